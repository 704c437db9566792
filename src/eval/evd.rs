//! Expected value difference (Levine, Popović and Koltun 2011) and reward correlation.
//!
//! With r* the true reward, r̂ the learned one, π_r the optimal policy of a reward r and
//! V^π_{r*} the discounted value of π under r* ([`evaluate_policy`]), averaged over a
//! uniform start distribution over all S states:
//!
//! ```text
//! EVD = (1/S) Σ_s [ V^{π_{r*}}_{r*}(s) − V^{π_{r̂}}_{r*}(s) ]
//! ```
//!
//! It is reported twice: for the hard-optimal policies ([`hard_value_iteration`] and
//! [`greedy_policy`]; EVD ≥ 0 up to the solver tolerances) and for the soft-optimal
//! policies (α = 1, infinite horizon, [`soft_optimal_policy`]). The soft EVD can be
//! negative: the soft-optimal policy of r* does not maximise the plain expected r*, and
//! a learned reward of larger scale gives a greedier policy.
//!
//! The reward correlation is Pearson's r between r*(s) and r̂(s) over non-terminal states
//! when both rewards are per state, else between r*(s, a) and r̂(s, a) over the available
//! pairs; it is `None` when either side is constant (or fewer than two values exist).

use ndarray::ArrayView2;

use super::optimal_policy::{greedy_policy, hard_value_iteration, soft_optimal_policy};
use super::policy_evaluation::evaluate_policy;
use super::{check_discount, check_reward, PolicyEvaluationSettings, ValueIterationSettings};
use crate::error::Result;
use crate::mdp::{Mdp, Reward};

/// Settings of [`expected_value_difference`].
#[derive(Debug, Clone, PartialEq)]
pub struct EvdSettings {
    /// Discount γ ∈ (0, 1] of the policies and of their evaluation.
    pub discount: f64,
    pub value_iteration: ValueIterationSettings,
    pub evaluation: PolicyEvaluationSettings,
}

impl EvdSettings {
    /// Default solver settings with discount γ.
    pub fn new(discount: f64) -> Self {
        Self {
            discount,
            value_iteration: ValueIterationSettings::default(),
            evaluation: PolicyEvaluationSettings::default(),
        }
    }
}

/// True-reward values of the two policies and their difference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueGap {
    /// Mean over states of V^{π_{r*}}_{r*}.
    pub true_policy_value: f64,
    /// Mean over states of V^{π_{r̂}}_{r*}.
    pub learned_policy_value: f64,
    /// `true_policy_value − learned_policy_value`.
    pub difference: f64,
}

/// The expected value differences and the reward correlation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExpectedValueDifference {
    /// With hard-optimal (greedy) policies.
    pub hard: ValueGap,
    /// With soft-optimal (α = 1) policies.
    pub soft: ValueGap,
    /// Pearson correlation of the rewards; `None` when undefined.
    pub reward_correlation: Option<f64>,
}

/// Compare a learned reward with the true one on `mdp` (see the module doc).
///
/// Complexity: two hard and two soft value iterations, four policy evaluations.
pub fn expected_value_difference(
    mdp: &Mdp,
    true_reward: &Reward,
    learned_reward: &Reward,
    settings: &EvdSettings,
) -> Result<ExpectedValueDifference> {
    check_discount(settings.discount)?;
    check_reward(mdp, true_reward, "true_reward")?;
    check_reward(mdp, learned_reward, "learned_reward")?;
    let gamma = settings.discount;
    let mean_true_value = |policy: ArrayView2<f64>| -> Result<f64> {
        let v = evaluate_policy(mdp, true_reward, policy, gamma, &settings.evaluation)?;
        Ok(v.iter().sum::<f64>() / v.len() as f64)
    };
    let gap = |optimal: f64, learned: f64| ValueGap {
        true_policy_value: optimal,
        learned_policy_value: learned,
        difference: optimal - learned,
    };
    let hard_policy = |reward: &Reward| -> Result<_> {
        let solution = hard_value_iteration(mdp, reward, gamma, &settings.value_iteration)?;
        Ok(greedy_policy(mdp, &solution))
    };
    let hard = gap(
        mean_true_value(hard_policy(true_reward)?.view())?,
        mean_true_value(hard_policy(learned_reward)?.view())?,
    );
    let soft = gap(
        mean_true_value(soft_optimal_policy(mdp, true_reward, gamma)?.view())?,
        mean_true_value(soft_optimal_policy(mdp, learned_reward, gamma)?.view())?,
    );
    Ok(ExpectedValueDifference {
        hard,
        soft,
        reward_correlation: reward_correlation(mdp, true_reward, learned_reward)?,
    })
}

/// Pearson's correlation of two rewards on `mdp` (see the module doc).
pub fn reward_correlation(mdp: &Mdp, first: &Reward, second: &Reward) -> Result<Option<f64>> {
    check_reward(mdp, first, "first reward")?;
    check_reward(mdp, second, "second reward")?;
    let states = (0..mdp.n_states()).filter(|&s| !mdp.is_terminal(s));
    let pairs: Vec<(f64, f64)> = if first.is_per_action() || second.is_per_action() {
        states
            .flat_map(|s| {
                (0..mdp.n_actions())
                    .filter(move |&a| mdp.available(s, a))
                    .map(move |a| (first.get(s, a), second.get(s, a)))
            })
            .collect()
    } else {
        states
            .map(|s| (first.get(s, 0), second.get(s, 0)))
            .collect()
    };
    Ok(pearson(&pairs))
}

fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    let constant =
        |value: fn(&(f64, f64)) -> f64| pairs.iter().all(|p| value(p) == value(&pairs[0]));
    if pairs.len() < 2 || constant(|p| p.0) || constant(|p| p.1) {
        return None;
    }
    let n = pairs.len() as f64;
    let mean_x = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in pairs {
        let (dx, dy) = (x - mean_x, y - mean_y);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdp::{Features, MdpParts, Transitions};
    use crate::worlds::{
        gridworld, objectworld, GridFeatures, GridworldParams, ObjectFeatures, ObjectworldParams,
    };

    fn scaled(reward: &Reward, factor: f64, shift: f64, n_actions: usize) -> Reward {
        Reward::per_state(
            reward.values().iter().map(|r| factor * r + shift).collect(),
            n_actions,
        )
    }

    #[test]
    fn two_state_switch_world_matches_the_hand_values() {
        // Action 0 stays, action 1 switches; r* = (0, 1), r̂ = (1, 0), γ = ½.
        // π_{r*} heads for state 1: V = (½·2, 2) = (1, 2), mean 1.5.
        // π_{r̂} heads for state 0: under r*, V = (0, 1 + ½·0) = (0, 1), mean 0.5.
        let mdp = Mdp::new(MdpParts {
            transitions: Transitions::from_arrays(
                2,
                2,
                &[0, 0, 1, 1],
                &[0, 1, 0, 1],
                &[0, 1, 1, 0],
                &[1.0; 4],
            )
            .unwrap(),
            initial: None,
            terminal: vec![],
            features: Features::one_hot(2),
            action_names: None,
            grid: None,
        })
        .unwrap();
        let truth = Reward::per_state(vec![0.0, 1.0], 2);
        let learned = Reward::per_state(vec![1.0, 0.0], 2);
        let evd =
            expected_value_difference(&mdp, &truth, &learned, &EvdSettings::new(0.5)).unwrap();
        assert!((evd.hard.true_policy_value - 1.5).abs() < 1e-10);
        assert!((evd.hard.learned_policy_value - 0.5).abs() < 1e-10);
        assert!((evd.hard.difference - 1.0).abs() < 1e-10);
        assert_eq!(evd.reward_correlation, Some(-1.0));
    }

    fn blocks_world() -> crate::worlds::World {
        let params = GridworldParams {
            size: 8,
            features: GridFeatures::Blocks { block: 2 },
            reward_density: 0.2,
            ..Default::default()
        };
        gridworld(&params, 17).unwrap()
    }

    #[test]
    fn learning_the_true_reward_or_a_positive_multiple_costs_nothing() {
        let world = blocks_world();
        let truth = world.true_reward();
        let settings = EvdSettings::new(0.9);
        let same = expected_value_difference(&world.mdp, &truth, &truth, &settings).unwrap();
        assert!(same.hard.difference.abs() < 1e-9 && same.soft.difference.abs() < 1e-9);
        assert!((same.reward_correlation.unwrap() - 1.0).abs() < 1e-12);
        let tripled = scaled(&truth, 3.0, 0.0, 5);
        let evd = expected_value_difference(&world.mdp, &truth, &tripled, &settings).unwrap();
        assert!(evd.hard.difference.abs() < 1e-9, "{evd:?}");
        assert!(
            evd.soft.difference.abs() > 1e-6,
            "a sharper soft policy differs: {evd:?}"
        );
    }

    #[test]
    fn a_negated_reward_is_clearly_worse_under_both_policies() {
        let world = blocks_world();
        let truth = world.true_reward();
        let negated = scaled(&truth, -1.0, 0.0, 5);
        let evd = expected_value_difference(&world.mdp, &truth, &negated, &EvdSettings::new(0.9))
            .unwrap();
        assert!(
            evd.hard.difference > 0.5 && evd.soft.difference > 0.5,
            "{evd:?}"
        );
        assert!((evd.reward_correlation.unwrap() + 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_constant_reward_gives_the_uniform_policy_in_both_senses() {
        // Every action ties for a constant reward, so the greedy policy is uniform; the
        // soft policy of a constant reward is uniform too (every action has the same Q).
        let world = blocks_world();
        let truth = world.true_reward();
        let constant = Reward::per_state(vec![0.3; 64], 5);
        let evd = expected_value_difference(&world.mdp, &truth, &constant, &EvdSettings::new(0.9))
            .unwrap();
        assert!(
            (evd.hard.learned_policy_value - evd.soft.learned_policy_value).abs() < 1e-9,
            "{evd:?}"
        );
        assert_eq!(evd.reward_correlation, None);
        assert!(evd.hard.difference > 0.0);
    }

    #[test]
    fn objectworld_true_reward_has_zero_evd_and_its_negation_does_not() {
        let params = ObjectworldParams {
            size: 10,
            object_probability: 0.15,
            features: ObjectFeatures::Continuous,
            ..Default::default()
        };
        let world = objectworld(&params, 4).unwrap();
        let truth = world.true_reward();
        let settings = EvdSettings::new(0.9);
        let same = expected_value_difference(&world.mdp, &truth, &truth, &settings).unwrap();
        assert!(same.hard.difference.abs() < 1e-9 && same.soft.difference.abs() < 1e-9);
        let negated = scaled(&truth, -1.0, 0.0, 5);
        let evd = expected_value_difference(&world.mdp, &truth, &negated, &settings).unwrap();
        assert!(
            evd.hard.difference > 1.0 && evd.soft.difference > 1.0,
            "{evd:?}"
        );
    }

    #[test]
    fn correlation_is_pearson_r_and_uses_state_action_pairs_when_needed() {
        let world = blocks_world();
        let truth = world.true_reward();
        let affine = scaled(&truth, 2.0, 1.0, 5);
        let r = reward_correlation(&world.mdp, &truth, &affine)
            .unwrap()
            .unwrap();
        assert!((r - 1.0).abs() < 1e-12);
        // Hand value: x = (1, 2, 3), y = (1, 3, 2): r = 0.5.
        assert!((pearson(&[(1.0, 1.0), (2.0, 3.0), (3.0, 2.0)]).unwrap() - 0.5).abs() < 1e-15);
        // A per-action reward equal to the per-state one on every action correlates fully.
        let per_action =
            Reward::per_state_action(truth.values().iter().flat_map(|&r| [r; 5]).collect(), 5);
        let r = reward_correlation(&world.mdp, &truth, &per_action)
            .unwrap()
            .unwrap();
        assert!((r - 1.0).abs() < 1e-12);
        assert!(
            reward_correlation(&world.mdp, &truth, &Reward::per_state(vec![0.0; 3], 5)).is_err()
        );
    }
}
