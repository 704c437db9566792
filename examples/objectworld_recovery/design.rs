//! The experimental design: which worlds, how many demonstrations, which learner.
//!
//! Reward recovery on objectworld after Levine, Popović and Koltun (2011), section 6:
//! a 32×32 objectworld (p = 0.7, object probability 0.05, C1 = C2 = 2), demonstrations
//! of 8 actions from the soft-optimal policy of the true reward (γ = 0.9, α = 1) started
//! uniformly at random, N ∈ {4, 8, 16, 32, 64, 128}, 16 random worlds, continuous and
//! discrete features, λ = 0.01, and the infinite-horizon discounted learner (γ = 0.9,
//! stationary policy, the expert's own model).
//!
//! Seed k (0-based) fixes world k and its demonstrations. Both feature sets of seed k
//! share the objects, hence the true reward and the demonstrations, so the two learners
//! are compared on identical data. The training demonstrations of seed k are one draw of
//! max N trajectories from stream [`TRAINING_STREAM`] + k; a run with N demonstrations
//! uses the first N of them (nested samples, so a larger N only adds data). The held-out
//! demonstrations are an independent draw from stream [`HELDOUT_STREAM`] + k.

use irl::eval::EvdSettings;
use irl::inference::SoftSettings;
use irl::learn::FitParams;
use irl::worlds::{ExpertParams, ExpertPolicy, ExpertStart, ObjectFeatures, ObjectworldParams};
use serde::Serialize;

/// Seed offset of the training demonstrations' random stream.
pub const TRAINING_STREAM: u64 = 1 << 32;
/// Seed offset of the held-out demonstrations' random stream.
pub const HELDOUT_STREAM: u64 = 2 << 32;

/// The feature sets compared, in table order.
pub const FEATURE_SETS: [ObjectFeatures; 2] =
    [ObjectFeatures::Discrete, ObjectFeatures::Continuous];

/// Everything that defines one execution of the experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Design {
    /// Side n of the objectworld grid.
    pub size: usize,
    pub move_probability: f64,
    pub object_probability: f64,
    pub inner_colours: usize,
    pub outer_colours: usize,
    /// Numbers of training demonstrations N, increasing.
    pub demo_counts: Vec<usize>,
    /// Number of random worlds (seeds 0..seeds).
    pub seeds: u64,
    /// Actions per demonstration.
    pub length: usize,
    /// Held-out demonstrations per world.
    pub heldout_trajectories: usize,
    /// Discount γ of the expert, the learner and the EVD.
    pub discount: f64,
    /// λ of the prior λ‖θ‖² (FitParams::l2).
    pub l2: f64,
    /// Iteration cap of L-BFGS.
    pub max_iterations: u64,
}

impl Design {
    /// The full experiment: 16 worlds, N = 4 … 128 demonstrations.
    pub fn full() -> Self {
        Self {
            size: 32,
            move_probability: 0.7,
            object_probability: 0.05,
            inner_colours: 2,
            outer_colours: 2,
            demo_counts: vec![4, 8, 16, 32, 64, 128],
            seeds: 16,
            length: 8,
            heldout_trajectories: 64,
            discount: 0.9,
            l2: 0.01,
            max_iterations: 500,
        }
    }

    /// A smoke run: the same worlds, three seeds and two values of N.
    pub fn quick() -> Self {
        Self {
            demo_counts: vec![4, 32],
            seeds: 3,
            ..Self::full()
        }
    }

    /// The largest N.
    pub fn max_demos(&self) -> usize {
        self.demo_counts.iter().copied().max().unwrap_or(0)
    }

    /// The objectworld parameters for one feature set.
    pub fn world_params(&self, features: ObjectFeatures) -> ObjectworldParams {
        ObjectworldParams {
            size: self.size,
            move_probability: self.move_probability,
            object_probability: self.object_probability,
            inner_colours: self.inner_colours,
            outer_colours: self.outer_colours,
            features,
        }
    }

    /// The expert drawing `n` demonstrations.
    pub fn expert(&self, n: usize) -> ExpertParams {
        ExpertParams {
            n_trajectories: n,
            length: self.length,
            discount: self.discount,
            policy: ExpertPolicy::Soft { beta: 1.0 },
            start: ExpertStart::Uniform,
        }
    }

    /// The learner's soft dynamic program: infinite horizon, discount γ, α = 1. Runs
    /// are parallelised across each other, so each solves sequentially.
    pub fn learner_settings(&self) -> SoftSettings {
        SoftSettings {
            parallel: false,
            ..SoftSettings::infinite(self.discount)
        }
    }

    /// The fit's hyper-parameters (standard errors are not needed here).
    pub fn fit_params(&self) -> FitParams {
        FitParams {
            settings: self.learner_settings(),
            l2: self.l2,
            max_iterations: self.max_iterations,
            max_features_for_standard_errors: 0,
            ..FitParams::default()
        }
    }

    /// EVD settings: discount γ, uniform start over all states.
    pub fn evd_settings(&self) -> EvdSettings {
        EvdSettings::new(self.discount)
    }
}

/// The name of a feature set in tables, JSON and legends.
pub fn feature_set_name(features: ObjectFeatures) -> &'static str {
    match features {
        ObjectFeatures::Discrete => "discrete",
        ObjectFeatures::Continuous => "continuous",
    }
}
