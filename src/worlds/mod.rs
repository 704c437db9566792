//! Benchmark worlds with known rewards, for measuring how well inverse RL recovers them.
//!
//! Each generator builds a [`World`] reproducibly from a seed (ChaCha8 seeded with
//! `seed_from_u64`): the same parameters and seed give the same MDP and true reward, bit
//! for bit.
//!
//! - [`gridworld()`]: an N×N grid with slippery moves (4, 5 or 8 compass actions) and
//!   cell, coordinate, macro-block or region features; the true reward is linear in those
//!   features (sparse positive weights).
//! - [`objectworld()`]: the objectworld of Levine, Popović and Koltun (2011); its true
//!   reward is not linear in its distance features, so the true weights are one-hot
//!   weights over the states (see [`World::true_features`]).
//! - [`random_mdp()`]: random sparse dynamics with Gaussian features and weights.
//!
//! [`expert_demonstrations`] draws demonstrations from the soft-optimal or the
//! ε-greedy hard-optimal policy of a reward.

mod compass_grid;
mod expert;
mod gridworld;
mod objectworld;
mod random_mdp;

pub use compass_grid::{compass_transitions, COMPASS_ACTION_NAMES};
pub use expert::{expert_demonstrations, ExpertParams, ExpertPolicy, ExpertStart};
pub use gridworld::{
    grid_transitions, gridworld, gridworld_mdp, gridworld_true_weights, GridActions, GridFeatures,
    GridworldParams, GRID_ACTION_NAMES, MAX_GRID_SIZE,
};
pub use objectworld::{
    objectworld, objectworld_from_objects, objectworld_reward, place_objects, Object,
    ObjectFeatures, ObjectworldParams, MAX_OBJECTWORLD_SIZE,
};
pub use random_mdp::{random_mdp, RandomMdpParams};

use crate::error::{Error, Result};
use crate::learn::Weights;
use crate::mdp::{Features, Mdp, Reward};

/// Largest feature table (S·K stored numbers) a generator builds: 2^27 (1 GiB of f64).
pub const MAX_FEATURE_ENTRIES: usize = 1 << 27;

/// A generated MDP together with its true reward.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    /// The MDP, with the features a learner is given.
    pub mdp: Mdp,
    /// The features the true weights belong to: the MDP's own features when the true
    /// reward is linear in them (gridworld, random MDP), one-hot state features otherwise
    /// (objectworld).
    pub true_features: Features,
    /// The true weights θ* over [`World::true_features`].
    pub true_weights: Weights,
    /// The true reward r*(s), one value per state (it never depends on the action).
    pub true_reward: Vec<f64>,
}

impl World {
    /// Assemble a world whose true reward is θ*·f for the MDP's own features.
    fn linear(mdp: Mdp, theta: Vec<f64>) -> Self {
        let features = mdp.features().clone();
        let reward = features.reward(ndarray::ArrayView1::from(&theta), mdp.n_actions());
        Self {
            true_reward: reward.values().to_vec(),
            true_weights: Weights {
                feature_names: features.names().to_vec(),
                weights: theta,
            },
            true_features: features,
            mdp,
        }
    }

    /// Assemble a world whose true reward is given per state and is represented by
    /// one-hot weights (θ*_s = r*(s)).
    fn per_state(mdp: Mdp, reward: Vec<f64>) -> Self {
        let features = Features::one_hot(mdp.n_states());
        Self {
            true_weights: Weights {
                feature_names: features.names().to_vec(),
                weights: reward.clone(),
            },
            true_features: features,
            true_reward: reward,
            mdp,
        }
    }

    /// The true reward as a [`Reward`] of the MDP.
    pub fn true_reward(&self) -> Reward {
        Reward::per_state(self.true_reward.clone(), self.mdp.n_actions())
    }

    /// The MDP with the features of the true weights, so that θ*·f = r* exactly (for
    /// objectworld: the MDP with one-hot features).
    pub fn true_mdp(&self) -> Result<Mdp> {
        self.mdp.with_features(self.true_features.clone())
    }
}

/// Fail unless a feature table of `n_states × n_features` numbers stays within
/// [`MAX_FEATURE_ENTRIES`].
fn check_feature_table(name: &'static str, n_states: usize, n_features: usize) -> Result<()> {
    match n_states.checked_mul(n_features) {
        Some(entries) if entries <= MAX_FEATURE_ENTRIES => Ok(()),
        _ => Err(Error::param(
            name,
            format!(
                "{n_states} states × {n_features} features exceed the limit of \
                 {MAX_FEATURE_ENTRIES} stored feature values; choose smaller sizes"
            ),
        )),
    }
}

/// Fail unless `p` is a probability in [0, 1].
fn check_probability(name: &'static str, p: f64) -> Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!("{p} is not a probability in [0, 1]"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_table_limit_and_probabilities_are_checked() {
        assert!(check_feature_table("size", 1 << 20, 1 << 7).is_ok());
        let e = check_feature_table("size", 1 << 20, (1 << 7) + 1).unwrap_err();
        assert!(e.to_string().contains("`size`"), "{e}");
        assert!(check_feature_table("size", usize::MAX, 2).is_err());
        assert!(check_probability("slip", 1.0).is_ok());
        assert!(check_probability("slip", -0.1).is_err());
        assert!(check_probability("slip", f64::NAN).is_err());
    }
}
