//! Seeded trajectory sampling from a policy: the soft-optimal one, or any other.
//!
//! s_0 ~ p0 (or a given start), a_t ~ π_t(·|s_t), s_{t+1} ~ p(·|s_t, a_t); a trajectory
//! stops at a terminal state, after `length` actions, or at the horizon. Everything is
//! drawn from one ChaCha8 stream seeded with the given seed: per trajectory the start
//! state, then per step the action and the successor, each by [`draw`].

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::backward::SoftValues;
use super::kernel::SoftProblem;
use crate::demos::{Demonstrations, Trajectory};
use crate::mdp::Mdp;

/// Draw an index from unnormalised non-negative weights.
pub fn draw(rng: &mut impl Rng, weights: impl Iterator<Item = f64> + Clone) -> usize {
    let total: f64 = weights.clone().sum();
    let mut u = rng.random::<f64>() * total;
    let mut last = 0;
    for (i, w) in weights.enumerate() {
        if w > 0.0 {
            last = i;
            if u < w {
                return i;
            }
            u -= w;
        }
    }
    last
}

/// Sample `n` trajectories of up to `length` actions of the soft-optimal policy of
/// `problem` given its soft values, reproducibly from `seed`.
///
/// `start` is the start distribution (p0 when `None`).
pub fn sample(
    problem: &SoftProblem,
    values: &SoftValues,
    n: usize,
    length: usize,
    start: Option<&[f64]>,
    seed: u64,
) -> Demonstrations {
    let mdp = problem.mdp();
    let start = start.unwrap_or(mdp.initial());
    let length = values.horizon().map_or(length, |h| length.min(h));
    let mut q = vec![0.0; mdp.n_actions()];
    sample_policy(mdp, n, length, start, seed, |t, s, pi| {
        problem.q_values(s, values.next(t), &mut q);
        problem.policy_from_q(s, &q, pi);
    })
}

/// Sample `n` trajectories of up to `length` actions on `mdp` from the start
/// distribution `start`, reproducibly from `seed`; `policy(t, s, π)` writes π_t(·|s)
/// (unnormalised weights will do) into π, one entry per action.
pub fn sample_policy(
    mdp: &Mdp,
    n: usize,
    length: usize,
    start: &[f64],
    seed: u64,
    mut policy: impl FnMut(usize, usize, &mut [f64]),
) -> Demonstrations {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pi = vec![0.0; mdp.n_actions()];
    let trajectories = (0..n)
        .map(|i| {
            let mut s = draw(&mut rng, start.iter().copied());
            let mut traj = Trajectory {
                id: i.to_string(),
                states: vec![s],
                actions: vec![],
            };
            for t in 0..length {
                if mdp.is_terminal(s) {
                    break;
                }
                policy(t, s, &mut pi);
                let a = draw(&mut rng, pi.iter().copied());
                let (next, prob) = mdp.transitions().successors(s, a);
                s = next[draw(&mut rng, prob.iter().copied())] as usize;
                traj.actions.push(a);
                traj.states.push(s);
            }
            traj
        })
        .collect();
    Demonstrations::new(trajectories)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::corridor;

    #[test]
    fn a_time_dependent_policy_is_followed_step_by_step() {
        let mdp = corridor(vec![]);
        // Right on even steps, left on odd ones: 0 → 1 → 0 → 1 → 0.
        let demos = sample_policy(&mdp, 3, 4, mdp.initial(), 9, |t, _, pi| {
            pi.copy_from_slice(if t % 2 == 0 { &[1.0, 0.0] } else { &[0.0, 1.0] });
        });
        assert_eq!(demos.len(), 3);
        for (i, t) in demos.trajectories.iter().enumerate() {
            assert_eq!(t.id, i.to_string());
            assert_eq!(t.states, [0, 1, 0, 1, 0]);
            assert_eq!(t.actions, [0, 1, 0, 1]);
        }
    }

    #[test]
    fn trajectories_stop_at_a_terminal_state_and_start_where_told() {
        let mdp = corridor(vec![2]);
        let right = |_: usize, _: usize, pi: &mut [f64]| pi.copy_from_slice(&[1.0, 0.0]);
        let demos = sample_policy(&mdp, 2, 6, mdp.initial(), 1, right);
        assert!(demos.trajectories.iter().all(|t| t.states == [0, 1, 2]));
        // Starting in the terminal state, nothing happens.
        let demos = sample_policy(&mdp, 2, 6, &[0.0, 0.0, 1.0], 1, right);
        assert!(demos
            .trajectories
            .iter()
            .all(|t| t.states == [2] && t.actions.is_empty()));
    }

    #[test]
    fn action_frequencies_follow_the_policy_weights() {
        let mdp = corridor(vec![]);
        // Unnormalised weights 1 : 3, so right has probability 1/4 in every state.
        let demos = sample_policy(&mdp, 4000, 1, mdp.initial(), 2, |_, _, pi| {
            pi.copy_from_slice(&[1.0, 3.0]);
        });
        let right = demos
            .trajectories
            .iter()
            .filter(|t| t.actions == [0])
            .count() as f64;
        // Binomial standard deviation √(4000 · 1/4 · 3/4) ≈ 27: a 4σ band.
        assert!((right - 1000.0).abs() < 110.0, "{right} right moves");
    }
}
