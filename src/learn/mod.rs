//! Maximum causal entropy inverse reinforcement learning with linear rewards.
//!
//! For r = θ·f the demonstrations' log-likelihood under the soft-optimal policy π_θ is
//! L(θ) = Σ log π_θ(a|s) over every demonstrated action; a fit maximises L(θ) − λ‖θ‖².
//! Its gradient is demonstrated minus expected feature counts, computed exactly by one
//! backward and one forward pass ([`nll_and_gradient`]).
//!
//! - [`FitParams`] → [`FitParams::fit`] → [`FittedModel`]: the fit, plain or
//!   goal-conditioned, and the model it returns (θ̂, standard errors, the settings it
//!   was fitted under; its reward, policy and forecasts); [`FittedModel::read_with`]
//!   reads a model file, minimal or an `irl-weights/1` one, filling in the settings it
//!   leaves out ([`ModelFile`], [`GivenSettings`]).
//! - [`Objective`], [`Task`]: the function minimised, for fits of your own.
//! - [`forecast`]: where a walker goes under a fitted reward.
//! - [`Weights`], [`read_weights`], [`write_weights`]: `irl-weights/1` documents.

mod demo_steps;
mod fit;
mod forecast;
mod goals;
mod likelihood;
mod model;
mod model_checks;
mod model_file;
mod objective;
mod predict;
mod recorder;
mod stopping;
mod uncertainty;
mod weights;

pub use demo_steps::{Alignment, DemoSteps};
pub use fit::{
    FitParams, FitProgress, Optimizer, DEFAULT_L2, DEFAULT_OBJECTIVE_TOLERANCE,
    DEFAULT_RELATIVE_GRADIENT_TOLERANCE, MAX_L2, STANDARD_ERRORS_NOT_REQUESTED,
};
pub use forecast::{forecast, Forecast};
pub(crate) use goals::GOAL_NEEDS;
pub use goals::{
    goal_around, goal_mdp, goal_of, group_by_goal, training_goals, Goal, GoalGroup, GoalRule,
};
pub use likelihood::{nll_and_gradient, nll_and_gradient_reusing, LikelihoodEvaluation};
pub use model::{FittedModel, IterationRecord, TrainingHistory};
pub use model_file::{GivenSettings, ModelFile};
pub use objective::{Objective, ObjectiveValue, Task};
pub use predict::{GoalPolicies, Occupancy, NEGLIGIBLE_MASS};
pub use stopping::{relative_change_over, GRADIENT_SMALL, ITERATION_CAP, OBJECTIVE_STALLED};
pub use uncertainty::{
    observed_information, observed_information_observed, standard_errors, standard_errors_observed,
};

pub use weights::{read_weights, write_weights, Weights, WEIGHTS_FORMAT};

/// The format tag of fitted-model documents.
pub const MODEL_FORMAT: &str = "irl-model/1";
