//! Evaluation: held-out likelihood and prediction metrics.

mod heldout;

pub use heldout::{evaluate, score, HeldOutMetrics};
