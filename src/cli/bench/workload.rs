//! The benchmark's worlds: gridworlds with region features and a seeded true reward.
//!
//! A case (N, A, T) is the N×N [`gridworld`](irl::worlds::gridworld()) with action set A
//! (4, 5 or 8 compass actions) and the given slip, carrying [`REGION_COLUMNS`] ×
//! [`REGION_ROWS`] = 20 region indicators, and the gridworld's sparse positive true
//! weights θ* (reward density [`REWARD_DENSITY`]) drawn from the seed. It is solved with
//! horizon T, γ = 1, α = 1, no action prior and the variational backup, on rayon's pool.
//! The MDP is built without the [`World`](irl::worlds::World) wrapper, which would keep
//! a second copy of the feature table (160 MB at 10^6 states).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use ndarray::Array1;

use irl::error::quote;
use irl::inference::{KernelLayout, SoftProblem, SoftSettings};
use irl::mdp::Mdp;
use irl::worlds::{
    gridworld_mdp, gridworld_true_weights, GridActions, GridFeatures, GridworldParams,
};
use irl::{Error, Result};

/// Columns of the region partition.
pub const REGION_COLUMNS: usize = 5;
/// Rows of the region partition.
pub const REGION_ROWS: usize = 4;
/// Share of the regions with a non-zero true weight.
pub const REWARD_DENSITY: f64 = 0.2;

/// One benchmark case: an N×N grid with an action set, solved over T steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchCase {
    /// Grid side N.
    pub side: usize,
    pub actions: GridActions,
    /// Horizon T.
    pub horizon: usize,
}

impl fmt::Display for BenchCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{0}×{0} (A = {1}, T = {2})",
            self.side,
            self.actions.n_actions(),
            self.horizon
        )
    }
}

/// `SIDE:ACTIONS:HORIZON`, e.g. `100:4:50`.
impl FromStr for BenchCase {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let malformed = || {
            Error::param(
                "extra",
                format!(
                    "`{}` is not SIDE:ACTIONS:HORIZON such as 100:4:50",
                    quote(text)
                ),
            )
        };
        let fields: Vec<usize> = text
            .split(':')
            .map(|f| f.trim().parse::<usize>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| malformed())?;
        let [side, actions, horizon] = fields[..] else {
            return Err(malformed());
        };
        let actions = GridActions::from_count(actions).map_err(|e| match e {
            Error::InvalidParameter { message, .. } => {
                Error::param("extra", format!("`{}`: {message}", quote(text)))
            }
            other => other,
        })?;
        Ok(Self {
            side,
            actions,
            horizon,
        })
    }
}

/// A built case: the MDP, the kernels' layout of its transitions, θ* and the solver
/// settings.
#[derive(Debug, Clone)]
pub struct Workload {
    pub mdp: Mdp,
    pub layout: Arc<KernelLayout>,
    pub theta: Array1<f64>,
    pub settings: SoftSettings,
}

impl Workload {
    /// Build `case` with the given slip, and the kernels' layout of its transitions; θ*
    /// comes from `seed`.
    pub fn build(case: &BenchCase, slip: f64, seed: u64) -> Result<Self> {
        let params = grid_params(case, slip);
        let mdp = gridworld_mdp(&params)?;
        Ok(Self {
            layout: Arc::new(KernelLayout::new(&mdp)),
            mdp,
            theta: Array1::from(gridworld_true_weights(&params, seed)?),
            settings: SoftSettings::finite(case.horizon, 1.0),
        })
    }

    /// The soft dynamic program of the true reward θ*·f.
    pub fn problem(&self) -> SoftProblem<'_> {
        let reward = self
            .mdp
            .features()
            .reward(self.theta.view(), self.mdp.n_actions());
        SoftProblem::with_layout(
            &self.mdp,
            Arc::clone(&self.layout),
            reward,
            self.settings.clone(),
        )
    }
}

/// The gridworld parameters of a case.
pub fn grid_params(case: &BenchCase, slip: f64) -> GridworldParams {
    GridworldParams {
        size: case.side,
        actions: case.actions,
        slip,
        features: GridFeatures::Regions {
            columns: REGION_COLUMNS,
            rows: REGION_ROWS,
        },
        reward_density: REWARD_DENSITY,
    }
}

/// The seed of the expert demonstrations of a benchmark seeded with `seed`.
pub fn demonstration_seed(seed: u64) -> u64 {
    seed.wrapping_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_parse_from_side_actions_horizon() {
        let case: BenchCase = "100:4:50".parse().unwrap();
        assert_eq!(
            case,
            BenchCase {
                side: 100,
                actions: GridActions::Cardinal,
                horizon: 50
            }
        );
        assert_eq!(case.to_string(), "100×100 (A = 4, T = 50)");
        for bad in ["100:4", "100:4:50:1", "a:4:50", "100:-4:50", ""] {
            let e = bad.parse::<BenchCase>().unwrap_err().to_string();
            assert!(
                e.contains("`extra`") && e.contains("SIDE:ACTIONS:HORIZON"),
                "{e}"
            );
        }
        let e = "10:6:5".parse::<BenchCase>().unwrap_err().to_string();
        assert!(
            e.contains("`extra`") && e.contains("`10:6:5`: 6 is not"),
            "{e}"
        );
    }

    #[test]
    fn a_workload_has_twenty_regions_and_the_gridworld_weights() {
        let case = BenchCase {
            side: 6,
            actions: GridActions::Compass,
            horizon: 7,
        };
        let workload = Workload::build(&case, 0.2, 3).unwrap();
        assert_eq!(workload.mdp.n_states(), 36);
        assert_eq!(workload.mdp.features().dim(), 20);
        // 4 corners × 16 + 16 edge cells × 20 + 16 interior cells × 24.
        assert_eq!(workload.mdp.transitions().nnz(), 64 + 320 + 384);
        assert_eq!(workload.settings.horizon, Some(7));
        let world = irl::worlds::gridworld(&grid_params(&case, 0.2), 3).unwrap();
        assert_eq!(workload.theta.to_vec(), world.true_weights.weights);
        assert_eq!(workload.theta.iter().filter(|w| **w > 0.0).count(), 4);
        let problem = workload.problem();
        assert_eq!(problem.reward().values(), &world.true_reward[..]);
    }
}
