//! Seeded trajectory sampling from the soft-optimal policy.
//!
//! s_0 ~ p0 (or a given start), a_t ~ π_t(·|s_t), s_{t+1} ~ p(·|s_t, a_t); a trajectory
//! stops at a terminal state, after `length` actions, or at the horizon.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::backward::SoftValues;
use super::kernel::SoftProblem;
use crate::demos::{Demonstrations, Trajectory};

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

/// Sample `n` trajectories of up to `length` actions, reproducibly from `seed`.
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
    let n_actions = mdp.n_actions();
    let start = start.unwrap_or(mdp.initial());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut q, mut pi) = (vec![0.0; n_actions], vec![0.0; n_actions]);
    let length = values.horizon().map_or(length, |h| length.min(h));
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
                let v = problem.q_and_value(s, values.next(t), &mut q);
                problem.policy_from_q(s, &q, v, &mut pi);
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
