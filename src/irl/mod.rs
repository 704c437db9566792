//! Maximum causal entropy inverse reinforcement learning with linear rewards.

mod demo_steps;
mod likelihood;
mod weights;

pub use demo_steps::{Alignment, DemoSteps};
pub use likelihood::{nll_and_gradient, LikelihoodEvaluation};

pub use weights::{read_weights, write_weights, Weights, WEIGHTS_FORMAT};

/// The format tag of fitted-model documents.
pub const MODEL_FORMAT: &str = "irl-model/1";
