//! Expert demonstrations from a known reward.
//!
//! Both experts follow a stationary policy of the infinite-horizon problem with discount
//! γ < 1:
//!
//! - `Soft { beta }`: the soft-optimal policy for the reward β·r (α = 1, action prior
//!   `none`, variational backup), π(a|s) = exp(Q(s,a) − V(s)); β is an inverse
//!   temperature: β → ∞ approaches the optimal policy, β = 0 is uniformly random.
//! - `Hard { epsilon }`: ε-greedy around the optimal policy of r: with probability 1 − ε
//!   the greedy action (uniform over tied best actions, see [`greedy_policy`]), with
//!   probability ε an action drawn uniformly from those available (which may be the
//!   greedy one): π = (1 − ε)·π_greedy + ε/|A(s)|.
//!
//! Each of the N trajectories starts from a state drawn from the start distribution
//! (`Uniform`: uniform over non-terminal states; `Initial`: the MDP's p0) and takes up to
//! `length` actions, stopping early at a terminal state. Both are sampled by
//! [`crate::inference::sample_policy`], everything drawn from one ChaCha8 stream seeded
//! with the given seed: per trajectory the start state, then per step the action and the
//! successor.

use ndarray::ArrayViewMut1;

use super::check_probability;
use crate::demos::Demonstrations;
use crate::error::{Error, Result};
use crate::eval::{check_reward, greedy_policy, hard_value_iteration, ValueIterationSettings};
use crate::inference::{backward, sample, sample_policy, SoftProblem, SoftSettings};
use crate::mdp::{Mdp, Reward};

/// Which policy the expert follows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExpertPolicy {
    /// Soft-optimal for β·r.
    Soft { beta: f64 },
    /// Optimal with probability 1 − ε, a uniformly random available action otherwise.
    Hard { epsilon: f64 },
}

/// Where trajectories start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpertStart {
    /// Uniform over non-terminal states.
    Uniform,
    /// The MDP's initial distribution p0.
    Initial,
}

/// Parameters of [`expert_demonstrations`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExpertParams {
    /// Number of trajectories N.
    pub n_trajectories: usize,
    /// Actions per trajectory T (fewer when a terminal state is reached).
    pub length: usize,
    /// Discount γ ∈ (0, 1) of the expert's infinite-horizon problem.
    pub discount: f64,
    pub policy: ExpertPolicy,
    pub start: ExpertStart,
}

impl Default for ExpertParams {
    fn default() -> Self {
        Self {
            n_trajectories: 100,
            length: 20,
            discount: 0.9,
            policy: ExpertPolicy::Soft { beta: 1.0 },
            start: ExpertStart::Uniform,
        }
    }
}

impl ExpertParams {
    /// Check every parameter's range.
    pub fn check(&self) -> Result<()> {
        if !(self.discount > 0.0 && self.discount < 1.0) {
            return Err(Error::param(
                "discount",
                format!("{} is not in (0, 1)", self.discount),
            ));
        }
        match self.policy {
            ExpertPolicy::Soft { beta } if !(beta >= 0.0 && beta.is_finite()) => Err(Error::param(
                "beta",
                format!("{beta} is not a finite number ≥ 0"),
            )),
            ExpertPolicy::Hard { epsilon } => check_probability("epsilon", epsilon),
            ExpertPolicy::Soft { .. } => Ok(()),
        }
    }
}

/// Draw N demonstrations of the expert for `reward` on `mdp`, reproducibly from `seed`.
pub fn expert_demonstrations(
    mdp: &Mdp,
    reward: &Reward,
    params: &ExpertParams,
    seed: u64,
) -> Result<Demonstrations> {
    params.check()?;
    check_reward(mdp, reward, "reward")?;
    let start = match params.start {
        ExpertStart::Initial => mdp.initial().to_vec(),
        ExpertStart::Uniform => {
            let n = (0..mdp.n_states()).filter(|&s| !mdp.is_terminal(s)).count();
            (0..mdp.n_states())
                .map(|s| {
                    if mdp.is_terminal(s) {
                        0.0
                    } else {
                        1.0 / n as f64
                    }
                })
                .collect()
        }
    };
    match params.policy {
        ExpertPolicy::Soft { beta } => {
            let scaled: Vec<f64> = reward.values().iter().map(|r| beta * r).collect();
            let scaled = if reward.is_per_action() {
                Reward::per_state_action(scaled, mdp.n_actions())
            } else {
                Reward::per_state(scaled, mdp.n_actions())
            };
            let problem = SoftProblem::new(mdp, scaled, SoftSettings::infinite(params.discount));
            let values = backward(&problem)?;
            Ok(sample(
                &problem,
                &values,
                params.n_trajectories,
                params.length,
                Some(&start),
                seed,
            ))
        }
        ExpertPolicy::Hard { epsilon } => {
            let solution = hard_value_iteration(
                mdp,
                reward,
                params.discount,
                &ValueIterationSettings::default(),
            )?;
            let mut policy = greedy_policy(mdp, &solution);
            for (s, mut row) in policy.outer_iter_mut().enumerate() {
                let n_available = mdp.n_available(s) as f64;
                for (a, p) in row.iter_mut().enumerate() {
                    if mdp.available(s, a) {
                        *p = (1.0 - epsilon) * *p + epsilon / n_available;
                    }
                }
            }
            let (n, length) = (params.n_trajectories, params.length);
            Ok(sample_policy(mdp, n, length, &start, seed, |_, s, pi| {
                ArrayViewMut1::from(pi).assign(&policy.row(s));
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support;
    use crate::worlds::{gridworld, GridFeatures, GridworldParams};

    fn world() -> crate::worlds::World {
        let params = GridworldParams {
            size: 6,
            features: GridFeatures::Blocks { block: 3 },
            reward_density: 0.25,
            ..Default::default()
        };
        gridworld(&params, 2).unwrap()
    }

    #[test]
    fn demonstrations_are_valid_reproducible_and_seed_dependent() {
        let world = world();
        for policy in [
            ExpertPolicy::Soft { beta: 2.0 },
            ExpertPolicy::Hard { epsilon: 0.1 },
        ] {
            let params = ExpertParams {
                n_trajectories: 20,
                length: 15,
                policy,
                ..Default::default()
            };
            let demos =
                expert_demonstrations(&world.mdp, &world.true_reward(), &params, 3).unwrap();
            demos.validate(&world.mdp).unwrap();
            assert_eq!(demos.len(), 20);
            assert!(demos.trajectories.iter().all(|t| t.len() == 15));
            let again =
                expert_demonstrations(&world.mdp, &world.true_reward(), &params, 3).unwrap();
            assert_eq!(demos, again);
            let other =
                expert_demonstrations(&world.mdp, &world.true_reward(), &params, 4).unwrap();
            assert_ne!(demos, other);
        }
    }

    /// The corridor 0 – 1 – 2 with the reward in state 2; action 0 moves right, 1 left.
    fn corridor() -> (Mdp, Reward) {
        let mdp = test_support::corridor(vec![]);
        (mdp, Reward::per_state(vec![0.0, 0.0, 1.0], 2))
    }

    #[test]
    fn a_greedy_expert_walks_straight_to_the_reward_and_epsilon_sets_the_noise() {
        let (mdp, reward) = corridor();
        let greedy = ExpertParams {
            n_trajectories: 5,
            length: 4,
            policy: ExpertPolicy::Hard { epsilon: 0.0 },
            start: ExpertStart::Initial,
            ..Default::default()
        };
        let demos = expert_demonstrations(&mdp, &reward, &greedy, 0).unwrap();
        for t in &demos.trajectories {
            assert_eq!(t.states, [0, 1, 2, 2, 2]);
            assert_eq!(t.actions, [0, 0, 0, 0]);
        }
        // ε = 0.4: the greedy action has probability 0.6 + 0.2 = 0.8 in every state.
        let noisy = ExpertParams {
            n_trajectories: 2000,
            length: 5,
            policy: ExpertPolicy::Hard { epsilon: 0.4 },
            ..greedy
        };
        let demos = expert_demonstrations(&mdp, &reward, &noisy, 1).unwrap();
        let right = demos
            .trajectories
            .iter()
            .flat_map(|t| &t.actions)
            .filter(|&&a| a == 0)
            .count();
        let share = right as f64 / 10_000.0;
        assert!(
            (share - 0.8).abs() < 0.015,
            "share of greedy actions {share}"
        );
    }

    #[test]
    fn beta_zero_gives_uniform_actions_and_uniform_starts() {
        let (mdp, reward) = corridor();
        let params = ExpertParams {
            n_trajectories: 3000,
            length: 1,
            policy: ExpertPolicy::Soft { beta: 0.0 },
            start: ExpertStart::Uniform,
            ..Default::default()
        };
        let demos = expert_demonstrations(&mdp, &reward, &params, 5).unwrap();
        let right = demos
            .trajectories
            .iter()
            .filter(|t| t.actions[0] == 0)
            .count() as f64;
        assert!((right / 3000.0 - 0.5).abs() < 0.03);
        let in_two = demos
            .trajectories
            .iter()
            .filter(|t| t.states[0] == 2)
            .count() as f64;
        assert!((in_two / 3000.0 - 1.0 / 3.0).abs() < 0.03);
    }

    #[test]
    fn bad_parameters_are_named() {
        let (mdp, reward) = corridor();
        let bad = |params: ExpertParams, name: &str| {
            let e = expert_demonstrations(&mdp, &reward, &params, 0)
                .unwrap_err()
                .to_string();
            assert!(e.contains(&format!("`{name}`")), "{e}");
        };
        let ok = ExpertParams::default();
        bad(
            ExpertParams {
                discount: 1.0,
                ..ok.clone()
            },
            "discount",
        );
        bad(
            ExpertParams {
                policy: ExpertPolicy::Soft { beta: -1.0 },
                ..ok.clone()
            },
            "beta",
        );
        bad(
            ExpertParams {
                policy: ExpertPolicy::Hard { epsilon: 2.0 },
                ..ok
            },
            "epsilon",
        );
    }
}
