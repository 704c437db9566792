//! Benchmarks of the soft dynamic program and the likelihood on gridworlds (`irl bench`).
//!
//! **Cases.** Each case is an N×N gridworld with an action set and a horizon T (see
//! [`workload`] for the world: 20 region features, seeded true weights θ*, γ = 1, α = 1).
//! For each case, with the whole case inside one peak-memory window ([`memory`]):
//! - build the world (timed once);
//! - the backward pass V_T … V_0 for θ*;
//! - the forward pass from p0, without keeping the occupancy rows;
//! - one fit iteration: one [`nll_and_gradient`](crate::learn::nll_and_gradient) at θ* on
//!   the demonstrations (reward, backward pass and adjoint forward pass), which are `demos`
//!   trajectories of T actions sampled from the soft-optimal policy for θ*, from p0;
//! - the achieved traffic of the backward pass, T·[`backward_bytes_per_step`]/seconds.
//!
//! Times are medians over repeated runs: at least `repeats`, and more until a
//! measurement has run `min_time` seconds ([`clock`]). Repeated backward passes and fit
//! iterations run as a fit's loop does: each writes its value rows into the memory of the
//! run before ([`backward_reusing`](crate::inference::backward_reusing)), so the times
//! leave out the page faults on first touch of fresh memory that a single cold solve
//! also pays (about half a second of one thread at 10⁶ states, T = 100).
//!
//! **Thread scaling.** The backward pass of one case on a rayon pool of one thread and on
//! a pool of as many threads as rayon's global pool, run alternately and writing into the
//! same value rows; the speed-up is the median of the pairs' ratios
//! ([`clock::time_pairs`]).
//!
//! **Fit.** A full fit as `irl fit` runs it by default (L-BFGS with memory 10, λ = 0.01,
//! per-action gradient tolerance 1e-6, relative objective tolerance 1e-10, at most 200
//! iterations, from θ = 0) with standard errors off, on `demos` expert demonstrations of
//! one case; its wall time covers everything after the demonstrations are drawn.

mod clock;
mod memory;
mod run;
mod table;
mod traffic;
mod workload;

pub use clock::{median, time_pairs, time_runs, RunPolicy, Timing, MAX_RUNS};
pub use memory::{peak_resident_bytes, reset_peak_resident};
pub use run::{run_bench, Progress};
pub use table::markdown;
pub use traffic::{backward_bytes_per_second, backward_bytes_per_step};
pub use workload::{
    demonstration_seed, grid_params, BenchCase, Workload, REGION_COLUMNS, REGION_ROWS,
    REWARD_DENSITY,
};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::worlds::{GridActions, MAX_GRID_SIZE};

/// The format tag of `irl bench --json` documents.
pub const BENCH_FORMAT: &str = "irl-bench/1";

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

/// Everything `irl bench` measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    pub format: &'static str,
    /// Threads of rayon's global pool.
    pub threads: usize,
    /// Hardware threads the system reports.
    pub available_threads: usize,
    /// Whether the code was compiled with optimisations (no debug assertions).
    pub optimised: bool,
    pub slip: f64,
    pub features: usize,
    pub demos: usize,
    pub seed: u64,
    pub repeats: usize,
    pub min_time: f64,
    pub time_budget: f64,
    pub cases: Vec<CaseReport>,
    pub scaling: Option<ScalingReport>,
    pub fit: Option<FitReport>,
}

/// The measurements of one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseReport {
    pub side: usize,
    pub states: usize,
    pub actions: usize,
    /// Stored (non-zero) transitions.
    pub transitions: usize,
    pub horizon: usize,
    pub build_seconds: f64,
    pub backward: Timing,
    pub forward: Timing,
    /// One NLL + gradient evaluation (one fit iteration).
    pub likelihood: Timing,
    /// Peak resident memory while the case ran; `None` where unknown.
    pub peak_resident_bytes: Option<u64>,
    pub backward_bytes_per_step: u64,
    pub backward_bytes_per_second: f64,
}

/// Thread scaling of the backward pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScalingReport {
    pub side: usize,
    pub states: usize,
    pub actions: usize,
    pub horizon: usize,
    pub threads: usize,
    pub one_thread: Timing,
    pub all_threads: Timing,
    /// The median over interleaved pairs of runs of one-thread time / all-threads time.
    pub speedup: f64,
}

/// A full fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitReport {
    pub side: usize,
    pub states: usize,
    pub actions: usize,
    pub features: usize,
    pub horizon: usize,
    pub demos: usize,
    /// Demonstrated actions.
    pub demonstrated_actions: usize,
    pub seconds: f64,
    pub iterations: usize,
    /// Likelihood evaluations, line searches included.
    pub evaluations: usize,
    pub converged: bool,
    pub stop_reason: String,
    pub nll_per_action: f64,
    pub l2: f64,
    pub peak_resident_bytes: Option<u64>,
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
