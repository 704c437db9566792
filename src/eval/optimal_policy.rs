//! Optimal and soft-optimal stationary policies of a reward, infinite horizon, discount γ.
//!
//! **Hard** (value iteration, max in place of log-sum-exp):
//!
//! ```text
//! Q(s,a) = r(s,a) + γ Σ_s' p(s'|s,a) V(s'),   V(s) = max_{a available} Q(s,a),
//! ```
//!
//! V = 0 at terminal states, iterated from V = 0 until ‖ΔV‖∞ ≤ tolerance · max(1, ‖V‖∞)
//! (then ‖V − V*‖∞ ≤ γ/(1 − γ) times that change). The greedy policy spreads its mass
//! uniformly over the available actions whose Q is within 10⁻⁹ · max(1, ‖V‖∞) of the
//! best: a tie rule that does not depend on the order of the actions and is optimal for
//! the reward it was computed from.
//!
//! **Soft**: the maximum causal entropy policy π(a|s) = exp(Q(s,a) − V(s)) of the
//! stationary soft backup (α = 1, action prior `none`, variational backup), computed by
//! [`crate::inference::backward`].

use ndarray::{Array2, ArrayView1, Axis};

use super::{check_discount, check_reward};
use crate::error::Result;
use crate::inference::iterate_to_fixed_point;
use crate::inference::{backward, q_and_policy, SoftProblem, SoftSettings};
use crate::mdp::{Mdp, Reward};

/// Relative width of a tie between Q values in [`greedy_policy`].
const TIE_TOLERANCE: f64 = 1e-9;

/// Stopping rule of [`hard_value_iteration`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValueIterationSettings {
    /// Relative stopping tolerance.
    pub tolerance: f64,
    /// Iteration cap; reaching it is an error.
    pub max_iterations: usize,
}

impl Default for ValueIterationSettings {
    fn default() -> Self {
        Self {
            tolerance: 1e-12,
            max_iterations: 10_000_000,
        }
    }
}

/// The optimal values of a reward.
#[derive(Debug, Clone, PartialEq)]
pub struct HardSolution {
    /// V*(s).
    pub value: Vec<f64>,
    /// Q*(s, a), S×A; −∞ for unavailable actions and at terminal states.
    pub q: Array2<f64>,
    /// Sweeps taken.
    pub iterations: usize,
}

/// Hard (max) value iteration for `reward` with discount γ ∈ (0, 1].
///
/// Errors: a bad reward or discount, no convergence within the cap (γ = 1 with a policy
/// that never reaches a terminal state), or a non-finite value.
///
/// Complexity: O(iterations · (nnz + S·A)).
pub fn hard_value_iteration(
    mdp: &Mdp,
    reward: &Reward,
    discount: f64,
    settings: &ValueIterationSettings,
) -> Result<HardSolution> {
    check_discount(discount)?;
    check_reward(mdp, reward, "reward")?;
    let n_states = mdp.n_states();
    let sweep = |v: &[f64], next: &mut [f64]| {
        for (s, out) in next.iter_mut().enumerate() {
            *out = if mdp.is_terminal(s) {
                0.0
            } else {
                available_q(mdp, reward, discount, s, ArrayView1::from(v))
                    .fold(f64::NEG_INFINITY, |m, (_, q)| m.max(q))
            };
        }
    };
    match iterate_to_fixed_point(
        n_states,
        None,
        settings.tolerance,
        settings.max_iterations,
        sweep,
    ) {
        Ok((v, iterations)) => {
            let mut q = Array2::from_elem((n_states, mdp.n_actions()), f64::NEG_INFINITY);
            for s in (0..n_states).filter(|&s| !mdp.is_terminal(s)) {
                for (a, value) in available_q(mdp, reward, discount, s, ArrayView1::from(&v)) {
                    q[[s, a]] = value;
                }
            }
            Ok(HardSolution {
                value: v,
                q,
                iterations,
            })
        }
        Err(stopped) => Err(stopped.into_error(
            "hard value iteration",
            settings.max_iterations,
            settings.tolerance,
            "with discount 1 every policy must reach a terminal state; give a discount below 1",
        )),
    }
}

/// (a, Q(s, a)) for the actions available in the non-terminal state s.
fn available_q<'a>(
    mdp: &'a Mdp,
    reward: &'a Reward,
    discount: f64,
    s: usize,
    v: ArrayView1<'a, f64>,
) -> impl Iterator<Item = (usize, f64)> + 'a {
    (0..mdp.n_actions())
        .filter(move |&a| mdp.available(s, a))
        .map(move |a| {
            let (next, prob) = mdp.transitions().successors(s, a);
            let expected: f64 = next
                .iter()
                .zip(prob)
                .map(|(&n, &p)| p * v[n as usize])
                .sum();
            (a, reward.get(s, a) + discount * expected)
        })
}

/// The greedy policy of a hard solution, uniform over (near-)tied best actions; rows of
/// terminal states are 0.
pub fn greedy_policy(mdp: &Mdp, solution: &HardSolution) -> Array2<f64> {
    let scale = solution.value.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    let width = TIE_TOLERANCE * scale;
    let mut policy = Array2::zeros(solution.q.dim());
    for (s, mut row) in policy.outer_iter_mut().enumerate() {
        if mdp.is_terminal(s) {
            continue;
        }
        let q = solution.q.row(s);
        let best = q.fold(f64::NEG_INFINITY, |m, &x| m.max(x));
        let is_best = |a: usize| mdp.available(s, a) && q[a] >= best - width;
        let n_best = (0..q.len()).filter(|&a| is_best(a)).count() as f64;
        for (a, p) in row.iter_mut().enumerate() {
            if is_best(a) {
                *p = 1.0 / n_best;
            }
        }
    }
    policy
}

/// The stationary soft-optimal policy (α = 1) of `reward` with discount γ ∈ (0, 1], S×A.
pub fn soft_optimal_policy(mdp: &Mdp, reward: &Reward, discount: f64) -> Result<Array2<f64>> {
    check_reward(mdp, reward, "reward")?;
    let settings = SoftSettings::infinite(discount);
    settings.check(mdp)?;
    let problem = SoftProblem::new(mdp, reward.clone(), settings);
    let values = backward(&problem)?;
    let (_, policy) = q_and_policy(&problem, &values);
    Ok(policy.index_axis_move(Axis(0), 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::eval::evaluate_policy;
    use crate::worlds::{random_mdp, RandomMdpParams};

    #[test]
    fn hard_values_match_brute_force_over_all_deterministic_policies() {
        let world = random_mdp(
            &RandomMdpParams {
                n_states: 5,
                n_actions: 3,
                n_successors: 2,
                n_features: 3,
                ..Default::default()
            },
            8,
        )
        .unwrap();
        let mdp = &world.mdp;
        let reward = world.true_reward();
        let gamma = 0.9;
        let solution =
            hard_value_iteration(mdp, &reward, gamma, &ValueIterationSettings::default()).unwrap();
        // 3^5 = 243 deterministic policies; V*(s) is the best of them in every state.
        let mut best = [f64::NEG_INFINITY; 5];
        for code in 0..243usize {
            let mut policy = Array2::zeros((5, 3));
            for s in 0..5 {
                policy[[s, (code / 3usize.pow(s as u32)) % 3]] = 1.0;
            }
            let v =
                evaluate_policy(mdp, &reward, policy.view(), gamma, &Default::default()).unwrap();
            for (b, value) in best.iter_mut().zip(&v) {
                *b = b.max(*value);
            }
        }
        for (s, (v, b)) in solution.value.iter().zip(&best).enumerate() {
            assert!((v - b).abs() < 1e-9, "state {s}: {v} vs {b}");
        }
        let greedy = greedy_policy(mdp, &solution);
        let v = evaluate_policy(mdp, &reward, greedy.view(), gamma, &Default::default()).unwrap();
        for (s, (v, b)) in v.iter().zip(&best).enumerate() {
            assert!((v - b).abs() < 1e-9, "state {s}: greedy {v} vs {b}");
        }
    }

    #[test]
    fn ties_share_the_mass_and_unavailable_actions_get_none() {
        // Two self-loop actions in state 0 with equal reward, and an action that leaves.
        let mdp = Mdp::new(crate::mdp::MdpParts {
            transitions: crate::mdp::Transitions::from_arrays(
                2,
                3,
                &[0, 0, 0, 1],
                &[0, 1, 2, 0],
                &[0, 0, 1, 1],
                &[1.0; 4],
            )
            .unwrap(),
            initial: None,
            terminal: vec![],
            features: crate::mdp::Features::one_hot(2),
            action_names: None,
            grid: None,
        })
        .unwrap();
        let reward = Reward::per_state(vec![1.0, 0.0], 3);
        let solution =
            hard_value_iteration(&mdp, &reward, 0.5, &ValueIterationSettings::default()).unwrap();
        assert!((solution.value[0] - 2.0).abs() < 1e-11);
        assert_eq!(solution.value[1], 0.0);
        assert_eq!(solution.q[[1, 1]], f64::NEG_INFINITY);
        let policy = greedy_policy(&mdp, &solution);
        assert_eq!(policy.row(0).to_vec(), [0.5, 0.5, 0.0]);
        assert_eq!(policy.row(1).to_vec(), [1.0, 0.0, 0.0]);
    }

    #[test]
    fn soft_policy_of_self_loops_is_the_softmax_of_the_reward() {
        // One state, two self-loop actions: Q(a) = r(a) + γ V, so π = softmax(r).
        let mdp = Mdp::new(crate::mdp::MdpParts {
            transitions: crate::mdp::Transitions::from_arrays(
                1,
                2,
                &[0, 0],
                &[0, 1],
                &[0, 0],
                &[1.0, 1.0],
            )
            .unwrap(),
            initial: None,
            terminal: vec![],
            features: crate::mdp::Features::one_hot(1),
            action_names: None,
            grid: None,
        })
        .unwrap();
        let reward = Reward::per_state_action(vec![1.0, 0.0], 2);
        let policy = soft_optimal_policy(&mdp, &reward, 0.8).unwrap();
        let expected = 1.0 / (1.0 + (-1.0f64).exp());
        assert!((policy[[0, 0]] - expected).abs() < 1e-12);
        assert!((policy[[0, 1]] - (1.0 - expected)).abs() < 1e-12);
    }

    #[test]
    fn discount_one_without_terminals_does_not_converge() {
        let world = random_mdp(&RandomMdpParams::default(), 1).unwrap();
        let settings = ValueIterationSettings {
            max_iterations: 100,
            ..Default::default()
        };
        let e = hard_value_iteration(&world.mdp, &world.true_reward(), 1.0, &settings).unwrap_err();
        assert!(matches!(e, Error::NotConverged { .. }), "{e}");
    }
}
