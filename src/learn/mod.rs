//! Maximum causal entropy inverse reinforcement learning with linear rewards.

mod demo_steps;
mod fit;
mod forecast;
mod goals;
mod likelihood;
mod model;
mod objective;
mod stopping;
mod uncertainty;
mod weights;

pub use demo_steps::{Alignment, DemoSteps};
pub use fit::{FitParams, Optimizer};
pub use forecast::{forecast, Forecast};
pub use goals::{goal_counts, goal_mdp, goal_tasks, group_by_goal, GoalCount, GoalGroup};
pub use likelihood::{nll_and_gradient, nll_and_gradient_reusing, LikelihoodEvaluation};
pub use model::{FittedModel, IterationRecord, TrainingHistory};
pub use objective::{Objective, ObjectiveValue, Task};
pub use uncertainty::{observed_information, standard_errors};

pub use weights::{read_weights, write_weights, Weights, WEIGHTS_FORMAT};

/// The format tag of fitted-model documents.
pub const MODEL_FORMAT: &str = "irl-model/1";
