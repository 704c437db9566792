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
//! ## A fit in ten lines
//!
//! A 6 × 6 slippery gridworld with a known reward, 200 demonstrations of its soft-optimal
//! expert, and the reward fitted back from them:
//!
//! ```
//! use irl::inference::SoftSettings;
//! use irl::learn::FitParams;
//! use irl::worlds::{expert_demonstrations, gridworld, ExpertParams, GridworldParams};
//!
//! let world = gridworld(&GridworldParams { size: 6, ..Default::default() }, 1)?;
//! let expert = ExpertParams { n_trajectories: 200, length: 10, ..Default::default() };
//! let demos = expert_demonstrations(&world.mdp, &world.true_reward(), &expert, 2)?;
//! let model = FitParams::new(SoftSettings::infinite(expert.discount)).fit(&world.mdp, &demos)?;
//! let policy = model.policy(&world.mdp)?; // π[0, s, a]: stationary without a horizon
//! assert!(model.training.as_ref().is_some_and(|t| t.converged));
//! assert!((policy.sum() - world.mdp.n_states() as f64).abs() < 1e-9);
//! # Ok::<(), irl::Error>(())
//! ```
//!
//! The model keeps everything it was fitted with ([`learn::FittedModel`]): θ̂ with its
//! feature names and standard errors, the solver settings, the alignment and, for
//! goal-conditioned fits, the goals; `model.write(file)` stores it as `irl-model/1`.
//! Errors are one [`Error`] enum whose variants name what went wrong and where.
//!
//! Modules: [`mdp`] (sparse MDPs and `irl-mdp/1`), [`inference`] (the soft dynamic
//! program, occupancy, sampling), [`demos`] (demonstrations: readers, counts, splits),
//! [`learn`] (the likelihood, its exact gradient, fitting, models, forecasts), [`worlds`]
//! (benchmark worlds with known rewards, expert demonstrations), [`eval`] (held-out
//! metrics, policy evaluation, expected value difference), [`tracks`] (recorded
//! positions to grid MDPs), [`plot`] (heatmaps and charts).

#![deny(unsafe_op_in_unsafe_fn)]

// Links the system OpenBLAS that ndarray-linalg (and ndarray's BLAS path) call.
extern crate openblas_src;

pub mod demos;
pub mod error;
pub mod eval;
pub mod inference;
pub mod io;
pub mod json;
pub mod learn;
pub mod mdp;
pub mod plot;
pub mod tracks;
pub mod worlds;

#[cfg(test)]
pub(crate) mod test_support;

pub use error::{Error, Result};
pub use mdp::{Mdp, MdpParts};
