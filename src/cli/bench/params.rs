//! What `irl bench` measures: the cases, the repeats, the thread-scaling case and the fit,
//! each checked against its range.

use irl::worlds::{GridActions, MAX_GRID_SIZE};
use irl::{Error, Result};

use super::workload::{BenchCase, REGION_COLUMNS, REGION_ROWS};

/// What to measure.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchParams {
    /// Grid sides N of the main cases, each with `actions` and `horizon`.
    pub sizes: Vec<usize>,
    pub actions: GridActions,
    /// Horizon T of the main cases, the thread scaling and the fit.
    pub horizon: usize,
    /// Further cases with their own action set and horizon.
    pub extra: Vec<BenchCase>,
    /// Slip probability of every world.
    pub slip: f64,
    /// Number of expert demonstrations.
    pub demos: usize,
    /// Runs per timed measurement.
    pub repeats: usize,
    /// Runs of a measurement go on until they took this many seconds (at most
    /// [`MAX_RUNS`]).
    pub min_time: f64,
    /// No further run of a measurement once its runs took this many seconds.
    pub time_budget: f64,
    /// Grid side of the thread-scaling case; `None` skips it.
    pub scaling_size: Option<usize>,
    /// Grid side of the full fit; `None` skips it.
    pub fit_size: Option<usize>,
    /// Seed of θ* (the demonstrations use [`demonstration_seed`]).
    pub seed: u64,
}

impl BenchParams {
    /// Check every parameter, naming the offending one.
    pub fn check(&self) -> Result<()> {
        if self.sizes.is_empty() && self.extra.is_empty() {
            return Err(Error::param(
                "sizes",
                "give at least one grid size or extra case",
            ));
        }
        for &side in &self.sizes {
            check_side("sizes", side)?;
        }
        for case in &self.extra {
            check_side("extra", case.side)?;
            if case.horizon == 0 {
                return Err(Error::param(
                    "extra",
                    format!("the horizon of {case} must be at least 1"),
                ));
            }
        }
        if let Some(side) = self.scaling_size {
            check_side("scaling_size", side)?;
        }
        if let Some(side) = self.fit_size {
            check_side("fit_size", side)?;
        }
        let at_least_one = [
            ("horizon", self.horizon),
            ("demos", self.demos),
            ("repeats", self.repeats),
        ];
        if let Some((name, _)) = at_least_one.iter().find(|(_, v)| *v == 0) {
            return Err(Error::param(name, "must be at least 1"));
        }
        if !(self.min_time >= 0.0 && self.min_time.is_finite()) {
            return Err(Error::param(
                "min_time",
                format!("{} is not a number of seconds ≥ 0", self.min_time),
            ));
        }
        if !(self.time_budget > 0.0 && self.time_budget.is_finite()) {
            return Err(Error::param(
                "time_budget",
                format!("{} is not a positive number of seconds", self.time_budget),
            ));
        }
        if !(0.0..=1.0).contains(&self.slip) {
            return Err(Error::param(
                "slip",
                format!("{} is not a probability in [0, 1]", self.slip),
            ));
        }
        Ok(())
    }

    /// The main cases followed by the extra ones.
    pub fn cases(&self) -> Vec<BenchCase> {
        self.sizes
            .iter()
            .map(|&side| self.case(side))
            .chain(self.extra.iter().copied())
            .collect()
    }

    /// The case of grid side `side` with the main action set and horizon.
    pub fn case(&self, side: usize) -> BenchCase {
        BenchCase {
            side,
            actions: self.actions,
            horizon: self.horizon,
        }
    }
}

/// The smallest grid side: every region needs a cell.
pub const MIN_SIDE: usize = if REGION_COLUMNS > REGION_ROWS {
    REGION_COLUMNS
} else {
    REGION_ROWS
};

fn check_side(name: &'static str, side: usize) -> Result<()> {
    if (MIN_SIDE..=MAX_GRID_SIZE).contains(&side) {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!(
                "grid side {side} is not in {MIN_SIDE}..={MAX_GRID_SIZE} (the {REGION_COLUMNS} × \
                 {REGION_ROWS} regions need at least {MIN_SIDE} cells a side)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> BenchParams {
        BenchParams {
            sizes: vec![5, 10],
            actions: GridActions::Compass,
            horizon: 4,
            extra: vec!["6:4:3".parse().unwrap()],
            slip: 0.2,
            demos: 3,
            repeats: 1,
            min_time: 0.0,
            time_budget: 1.0,
            scaling_size: Some(5),
            fit_size: None,
            seed: 0,
        }
    }

    #[test]
    fn cases_are_the_sizes_then_the_extras() {
        let cases = params().cases();
        let summary: Vec<(usize, usize, usize)> = cases
            .iter()
            .map(|c| (c.side, c.actions.n_actions(), c.horizon))
            .collect();
        assert_eq!(summary, [(5, 8, 4), (10, 8, 4), (6, 4, 3)]);
        assert!(params().check().is_ok());
    }

    #[test]
    fn bad_parameters_are_named() {
        let bad = |edit: fn(&mut BenchParams), name: &str| {
            let mut p = params();
            edit(&mut p);
            let e = p.check().unwrap_err().to_string();
            assert!(e.contains(&format!("`{name}`")), "{name}: {e}");
        };
        bad(|p| p.sizes = vec![5, 4], "sizes");
        bad(|p| p.sizes = vec![1025], "sizes");
        bad(
            |p| {
                p.sizes.clear();
                p.extra.clear()
            },
            "sizes",
        );
        bad(|p| p.extra = vec!["3:4:5".parse().unwrap()], "extra");
        bad(|p| p.extra = vec!["6:4:0".parse().unwrap()], "extra");
        bad(|p| p.scaling_size = Some(2), "scaling_size");
        bad(|p| p.fit_size = Some(0), "fit_size");
        bad(|p| p.horizon = 0, "horizon");
        bad(|p| p.demos = 0, "demos");
        bad(|p| p.repeats = 0, "repeats");
        bad(|p| p.time_budget = 0.0, "time_budget");
        bad(|p| p.min_time = -1.0, "min_time");
        bad(|p| p.time_budget = f64::NAN, "time_budget");
        bad(|p| p.slip = 1.5, "slip");
        let e = {
            let mut p = params();
            p.sizes = vec![4];
            p.check().unwrap_err().to_string()
        };
        assert!(e.contains("grid side 4 is not in 5..=1024"), "{e}");
    }
}
