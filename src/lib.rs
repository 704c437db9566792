//! # irl: inverse reinforcement learning on tabular MDPs
//!
//! Control as inference (Levine 2018): each step carries an "optimality" variable with
//! p(O = 1 | s, a) = exp(r(s, a)). Inference is a soft dynamic program whose backward
//! messages are soft values, V = α·log Σ_a ρ(a|s) exp(Q/α), and whose policy is
//! π = ρ·exp((Q − V)/α). Keeping the true dynamics in the backup (Q = r + γ E[V'])
//! gives maximum causal entropy (Ziebart 2010); the exact posterior backup
//! (Q = r + α log E[exp(V'/α)]) is optimistic under stochastic dynamics.
//! Inverse RL fits a linear reward r = θ·f by maximising the likelihood of demonstrated
//! actions under π; its gradient comes from one backward and one forward pass.
//!
//! Modules: [`mdp`] (sparse MDPs and `irl-mdp/1`), [`inference`] (the soft dynamic
//! program, occupancy, sampling), [`demos`] (demonstrations: readers, counts, splits),
//! [`learn`] (the likelihood, its exact gradient, fitting, models), [`worlds`] (benchmark
//! worlds with known rewards, expert demonstrations), [`eval`] (held-out metrics, policy
//! evaluation, expected value difference), [`tracks`] (recorded positions to grid MDPs),
//! [`plot`] (heatmaps and charts), [`bench`] (timing and memory of the passes, `irl bench`).

#![deny(unsafe_op_in_unsafe_fn)]

// Links the system OpenBLAS that ndarray-linalg (and ndarray's BLAS path) call.
extern crate openblas_src;

pub mod bench;
pub mod demos;
pub mod error;
pub mod eval;
pub mod inference;
pub mod io;
pub mod json;
pub mod learn;
pub mod mdp;
pub mod plot;
pub mod study;
pub mod tracks;
pub mod worlds;

#[cfg(test)]
pub(crate) mod test_support;

pub use error::{Error, Result};
pub use mdp::{Mdp, MdpParts};
