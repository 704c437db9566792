//! Maximum causal entropy inverse reinforcement learning with linear rewards.

mod weights;

pub use weights::{read_weights, write_weights, Weights, WEIGHTS_FORMAT};

/// The format tag of fitted-model documents.
pub const MODEL_FORMAT: &str = "irl-model/1";
