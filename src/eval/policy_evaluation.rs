//! Exact evaluation of a stationary policy under a reward.
//!
//! For a policy π(a|s) the discounted value solves the Bellman equation
//!
//! ```text
//! V^π(s) = r_π(s) + γ Σ_s' P_π(s, s') V^π(s'),
//! r_π(s) = Σ_a π(a|s) r(s, a),   P_π(s, s') = Σ_a π(a|s) p(s'|s, a),
//! ```
//!
//! with V^π = 0 at terminal states (no reward after arrival). Up to
//! [`DENSE_STATE_LIMIT`] states the linear system (I − γP_π) V = r_π is solved directly
//! (LU factorisation through ndarray-linalg / LAPACK, run on a thread of its own with a
//! large stack so that callers on small-stack threads such as rayon's are safe); beyond,
//! by iterating V ← r_π + γ P_π V from V = 0 until ‖ΔV‖∞ ≤ tolerance · max(1, ‖V‖∞),
//! which leaves an error of at most γ/(1 − γ) times that change. With γ = 1 the system is solvable only
//! when π reaches a terminal state from every state; otherwise the dense path reports a
//! singular system and the iterative path does not converge (both errors).

use ndarray::{Array1, Array2, ArrayView2};
use ndarray_linalg::Solve;

use super::{check_discount, check_reward};
use crate::error::{Error, Result};
use crate::inference::{for_each_state_chunk, iterate_to_fixed_point, scratch_for};
use crate::mdp::{Mdp, Reward, PROBABILITY_SUM_TOLERANCE};

/// Largest number of states solved with a dense linear system by default.
pub const DENSE_STATE_LIMIT: usize = 4096;

/// Stack of the thread that runs the dense LAPACK solve. OpenBLAS's threaded LU
/// (`dgetrf_parallel`) keeps large work tables on the caller's stack: measured here,
/// between 1 and 2 MiB for S = 1024, enough to overflow a rayon worker (2 MiB, part of
/// it already in use) with a segmentation fault. The reservation is virtual; only the
/// pages touched are committed.
const LAPACK_STACK_BYTES: usize = 64 << 20;

/// How [`evaluate_policy`] solves the Bellman equation.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyEvaluationSettings {
    /// Solve densely when S ≤ this; iterate otherwise.
    pub dense_limit: usize,
    /// Relative stopping tolerance of the iteration.
    pub tolerance: f64,
    /// Iteration cap; reaching it is an error.
    pub max_iterations: usize,
    /// Run the iteration's per-state work on rayon's pool.
    pub parallel: bool,
}

impl Default for PolicyEvaluationSettings {
    fn default() -> Self {
        Self {
            dense_limit: DENSE_STATE_LIMIT,
            tolerance: 1e-12,
            max_iterations: 10_000_000,
            parallel: true,
        }
    }
}

/// The value V^π(s) of every state under `reward`, discounted by `discount` ∈ (0, 1].
///
/// `policy` is S×A; each non-terminal row must be a distribution over the available
/// actions (within 1e-9); terminal rows are ignored.
///
/// Complexity: O(S³) dense, O(iterations · nnz) iterative.
pub fn evaluate_policy(
    mdp: &Mdp,
    reward: &Reward,
    policy: ArrayView2<f64>,
    discount: f64,
    settings: &PolicyEvaluationSettings,
) -> Result<Vec<f64>> {
    check_discount(discount)?;
    check_reward(mdp, reward, "reward")?;
    check_policy(mdp, policy)?;
    let chain = MarkovChain::new(mdp, reward, policy, discount);
    let values = if mdp.n_states() <= settings.dense_limit {
        chain.solve_dense()?
    } else {
        chain.iterate(settings)?
    };
    if let Some(s) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::Numerical {
            what: "policy evaluation",
            message: format!("V of state {s} is {}", values[s]),
        });
    }
    Ok(values)
}

fn check_policy(mdp: &Mdp, policy: ArrayView2<f64>) -> Result<()> {
    let shape = (mdp.n_states(), mdp.n_actions());
    if policy.dim() != shape {
        return Err(Error::param(
            "policy",
            format!("has shape {:?}, expected {shape:?}", policy.dim()),
        ));
    }
    for (s, row) in policy.outer_iter().enumerate() {
        if mdp.is_terminal(s) {
            continue;
        }
        for (a, &p) in row.iter().enumerate() {
            if !(p.is_finite() && p >= 0.0) {
                return Err(Error::param(
                    "policy",
                    format!("π({a}|{s}) = {p} is not a probability"),
                ));
            }
            if p > 0.0 && !mdp.available(s, a) {
                return Err(Error::param(
                    "policy",
                    format!("π({a}|{s}) = {p} but action {a} is unavailable in state {s}"),
                ));
            }
        }
        let total = row.sum();
        if (total - 1.0).abs() > PROBABILITY_SUM_TOLERANCE {
            return Err(Error::param(
                "policy",
                format!("row {s} sums to {total:.12}, expected 1"),
            ));
        }
    }
    Ok(())
}

/// r_π and γP_π, the latter in CSR form over states (successors merged per state).
struct MarkovChain {
    reward: Vec<f64>,
    row_start: Vec<usize>,
    next: Vec<u32>,
    weight: Vec<f64>,
}

impl MarkovChain {
    fn new(mdp: &Mdp, reward: &Reward, policy: ArrayView2<f64>, discount: f64) -> Self {
        let n_states = mdp.n_states();
        let mut chain = Self {
            reward: vec![0.0; n_states],
            row_start: Vec::with_capacity(n_states + 1),
            next: Vec::new(),
            weight: Vec::new(),
        };
        chain.row_start.push(0);
        let mut row: Vec<(u32, f64)> = Vec::new();
        for s in 0..n_states {
            row.clear();
            if !mdp.is_terminal(s) {
                for (a, &pi) in policy.row(s).iter().enumerate() {
                    if pi == 0.0 {
                        continue;
                    }
                    chain.reward[s] += pi * reward.get(s, a);
                    let (next, prob) = mdp.transitions().successors(s, a);
                    row.extend(next.iter().zip(prob).map(|(&n, &p)| (n, discount * pi * p)));
                }
            }
            row.sort_unstable_by_key(|&(n, _)| n);
            let row_begin = chain.next.len();
            for &(n, w) in &row {
                if chain.next.len() > row_begin && chain.next.last() == Some(&n) {
                    *chain.weight.last_mut().expect("weight") += w;
                } else {
                    chain.next.push(n);
                    chain.weight.push(w);
                }
            }
            chain.row_start.push(chain.next.len());
        }
        chain
    }

    fn successors(&self, s: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = self.row_start[s]..self.row_start[s + 1];
        self.next[range.clone()]
            .iter()
            .zip(&self.weight[range])
            .map(|(&n, &w)| (n as usize, w))
    }

    fn solve_dense(&self) -> Result<Vec<f64>> {
        let n_states = self.reward.len();
        let mut system = Array2::<f64>::eye(n_states);
        for s in 0..n_states {
            for (n, w) in self.successors(s) {
                system[[s, n]] -= w;
            }
        }
        let rhs = Array1::from(self.reward.clone());
        let failure = |message: String| Error::Numerical {
            what: "policy evaluation",
            message,
        };
        let solved = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(LAPACK_STACK_BYTES)
                .spawn_scoped(scope, move || system.solve_into(rhs))
                .map(|handle| handle.join())
        })
        .map_err(|e| failure(format!("could not start the dense solve's thread: {e}")))?
        .map_err(|_| failure("the dense solve's thread panicked".into()))?;
        let values = solved.map_err(|e| {
            failure(format!(
                "the linear system (I − γP_π) V = r_π has no unique solution ({e}); \
                 with discount 1 the policy must reach a terminal state from every state"
            ))
        })?;
        Ok(values.to_vec())
    }

    fn iterate(&self, settings: &PolicyEvaluationSettings) -> Result<Vec<f64>> {
        let n_states = self.reward.len();
        let mut scratch = scratch_for(n_states, 0);
        let sweep = |v: &[f64], next: &mut [f64]| {
            for_each_state_chunk(
                settings.parallel,
                next,
                1,
                &mut scratch,
                0,
                |first, out, _| {
                    for (i, x) in out.iter_mut().enumerate() {
                        let s = first + i;
                        *x =
                            self.reward[s] + self.successors(s).map(|(n, w)| w * v[n]).sum::<f64>();
                    }
                },
            );
        };
        match iterate_to_fixed_point(
            n_states,
            None,
            settings.tolerance,
            settings.max_iterations,
            sweep,
        ) {
            Ok((v, _)) => Ok(v),
            Err(stopped) => Err(stopped.into_error(
                "iterative policy evaluation",
                settings.max_iterations,
                settings.tolerance,
                "with discount 1 the policy must reach a terminal state from every state",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdp::{Features, MdpParts, Transitions};
    use crate::worlds::{random_mdp, RandomMdpParams};
    use ndarray::array;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn mdp_from(n_states: usize, n_actions: usize, entries: &[(usize, usize, usize, f64)]) -> Mdp {
        let column =
            |f: fn(&(usize, usize, usize, f64)) -> usize| entries.iter().map(f).collect::<Vec<_>>();
        let p: Vec<f64> = entries.iter().map(|e| e.3).collect();
        Mdp::new(MdpParts {
            transitions: Transitions::from_arrays(
                n_states,
                n_actions,
                &column(|e| e.0),
                &column(|e| e.1),
                &column(|e| e.2),
                &p,
            )
            .unwrap(),
            initial: None,
            terminal: vec![],
            features: Features::one_hot(n_states),
            action_names: None,
            grid: None,
        })
        .unwrap()
    }

    const DENSE: PolicyEvaluationSettings = PolicyEvaluationSettings {
        dense_limit: usize::MAX,
        tolerance: 1e-12,
        max_iterations: 10_000_000,
        parallel: false,
    };
    const ITERATIVE: PolicyEvaluationSettings = PolicyEvaluationSettings {
        dense_limit: 0,
        ..DENSE
    };

    /// Two states; action 0 keeps the state, action 1 switches it.
    fn two_state_chain() -> Mdp {
        mdp_from(
            2,
            2,
            &[
                (0, 0, 0, 1.0),
                (0, 1, 1, 1.0),
                (1, 0, 1, 1.0),
                (1, 1, 0, 1.0),
            ],
        )
    }

    #[test]
    fn two_state_chain_matches_the_hand_solution() {
        // r(0,·) = (1, 1), r(1,·) = (2, 0); π(·|0) = (½, ½), π(·|1) = (1, 0); γ = 0.9.
        // V(1) = 2 + 0.9 V(1) = 20; V(0) = 1 + 0.9 (½ V(0) + ½ · 20) → V(0) = 200/11.
        let mdp = two_state_chain();
        let reward = Reward::per_state_action(vec![1.0, 1.0, 2.0, 0.0], 2);
        let policy = array![[0.5, 0.5], [1.0, 0.0]];
        for settings in [DENSE, ITERATIVE] {
            let v = evaluate_policy(&mdp, &reward, policy.view(), 0.9, &settings).unwrap();
            assert!((v[0] - 200.0 / 11.0).abs() < 1e-9, "{v:?}");
            assert!((v[1] - 20.0).abs() < 1e-9, "{v:?}");
        }
    }

    #[test]
    fn terminal_states_end_the_reward_and_allow_discount_one() {
        // 0 → 1 → 2 (terminal), rewards 1, 2, 5: V = (3, 2, 0) with γ = 1.
        let mdp = mdp_from(3, 1, &[(0, 0, 1, 1.0), (1, 0, 2, 1.0), (2, 0, 2, 1.0)])
            .with_terminals(&[2], None)
            .unwrap();
        let reward = Reward::per_state(vec![1.0, 2.0, 5.0], 1);
        let policy = array![[1.0], [1.0], [0.0]];
        for settings in [DENSE, ITERATIVE] {
            let v = evaluate_policy(&mdp, &reward, policy.view(), 1.0, &settings).unwrap();
            assert_eq!(v, vec![3.0, 2.0, 0.0]);
        }
    }

    #[test]
    fn dense_and_iterative_agree_on_a_random_mdp_and_satisfy_bellman() {
        let world = random_mdp(
            &RandomMdpParams {
                n_states: 60,
                n_actions: 3,
                n_successors: 4,
                ..Default::default()
            },
            21,
        )
        .unwrap();
        let mdp = &world.mdp;
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut policy = Array2::from_shape_simple_fn((60, 3), || rng.random::<f64>());
        for mut row in policy.outer_iter_mut() {
            let total = row.sum();
            row.mapv_inplace(|p| p / total);
        }
        let reward = world.true_reward();
        let gamma = 0.95;
        let dense = evaluate_policy(mdp, &reward, policy.view(), gamma, &DENSE).unwrap();
        let iterative = evaluate_policy(mdp, &reward, policy.view(), gamma, &ITERATIVE).unwrap();
        let parallel = PolicyEvaluationSettings {
            parallel: true,
            ..ITERATIVE
        };
        assert_eq!(
            iterative,
            evaluate_policy(mdp, &reward, policy.view(), gamma, &parallel).unwrap()
        );
        for s in 0..60 {
            assert!((dense[s] - iterative[s]).abs() < 1e-9, "state {s}");
            let mut bellman = 0.0;
            for a in 0..3 {
                let (next, p) = mdp.transitions().successors(s, a);
                let ev: f64 = next
                    .iter()
                    .zip(p)
                    .map(|(&n, &q)| q * dense[n as usize])
                    .sum();
                bellman += policy[[s, a]] * (reward.get(s, a) + gamma * ev);
            }
            assert!((bellman - dense[s]).abs() < 1e-10, "state {s}");
        }
    }

    /// OpenBLAS's threaded LU needs 1–2 MiB of the caller's stack at S = 1024; called
    /// from a thread with less, the dense solve used to end in a segmentation fault.
    #[test]
    fn the_dense_solve_works_from_a_small_stack_thread() {
        let world = random_mdp(
            &RandomMdpParams {
                n_states: 1024,
                n_actions: 2,
                n_successors: 3,
                ..Default::default()
            },
            5,
        )
        .unwrap();
        let policy = Array2::from_elem((1024, 2), 0.5);
        let reward = world.true_reward();
        let values = |settings: PolicyEvaluationSettings| {
            evaluate_policy(&world.mdp, &reward, policy.view(), 0.9, &settings).unwrap()
        };
        let dense = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(512 << 10)
                .spawn_scoped(scope, || values(DENSE))
                .unwrap()
                .join()
                .unwrap()
        });
        let iterative = values(ITERATIVE);
        for s in 0..1024 {
            assert!((dense[s] - iterative[s]).abs() < 1e-9, "state {s}");
        }
    }

    #[test]
    fn unsolvable_systems_and_bad_policies_are_errors() {
        let mdp = two_state_chain();
        let reward = Reward::per_state(vec![1.0, 1.0], 2);
        let stay = array![[1.0, 0.0], [1.0, 0.0]];
        let e = evaluate_policy(&mdp, &reward, stay.view(), 1.0, &DENSE).unwrap_err();
        assert!(matches!(e, Error::Numerical { .. }), "{e}");
        let capped = PolicyEvaluationSettings {
            max_iterations: 1000,
            ..ITERATIVE
        };
        let e = evaluate_policy(&mdp, &reward, stay.view(), 1.0, &capped).unwrap_err();
        assert!(matches!(e, Error::NotConverged { .. }), "{e}");
        let short = array![[0.5, 0.4], [1.0, 0.0]];
        let e = evaluate_policy(&mdp, &reward, short.view(), 0.9, &DENSE).unwrap_err();
        assert!(e.to_string().contains("row 0 sums to"), "{e}");
        let one_way = mdp_from(2, 2, &[(0, 0, 0, 1.0), (0, 1, 1, 1.0), (1, 0, 1, 1.0)]);
        let unavailable = array![[1.0, 0.0], [0.5, 0.5]];
        let e = evaluate_policy(&one_way, &reward, unavailable.view(), 0.9, &DENSE).unwrap_err();
        assert!(e.to_string().contains("unavailable in state 1"), "{e}");
        let wide = Array2::from_elem((2, 3), 1.0 / 3.0);
        assert!(evaluate_policy(&mdp, &reward, wide.view(), 0.9, &DENSE).is_err());
        assert!(evaluate_policy(&mdp, &reward, stay.view(), 0.0, &DENSE).is_err());
        let short_reward = Reward::per_state(vec![1.0], 2);
        assert!(evaluate_policy(&mdp, &short_reward, stay.view(), 0.9, &DENSE).is_err());
    }
}
