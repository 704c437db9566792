//! Goal-directed demonstrations sampled from the library's soft-optimal policy in a
//! goal's MDP (`irl::learn::goal_mdp`), for tests that need data from a known model.

use irl::demos::Trajectory;
use irl::inference::{backward, sample, SoftProblem, SoftSettings};
use irl::learn::{goal_mdp, Goal};
use irl::Mdp;
use ndarray::Array1;

/// Sample `n` demonstrations towards `goal` from starts drawn uniformly from `starts`,
/// under θ with the given finite horizon (γ = 1). Those that do not arrive within the
/// horizon are left out; ids are `g<goal>-<i>`.
pub fn sample_towards(
    mdp: &Mdp,
    theta: &[f64],
    goal: usize,
    starts: &[usize],
    n: usize,
    horizon: usize,
    seed: u64,
) -> Vec<Trajectory> {
    let task = goal_mdp(mdp, &Goal::state(goal, 0)).unwrap();
    let theta = Array1::from(theta.to_vec());
    let problem = SoftProblem::new(
        &task,
        task.features().reward(theta.view(), task.n_actions()),
        SoftSettings::finite(horizon, 1.0),
    );
    let values = backward(&problem).unwrap();
    let mut p0 = vec![0.0; mdp.n_states()];
    for &s in starts {
        p0[s] = 1.0 / starts.len() as f64;
    }
    sample(&problem, &values, n, horizon, Some(&p0), seed)
        .trajectories
        .into_iter()
        .filter(|t| t.states.last() == Some(&goal))
        .map(|t| Trajectory {
            id: format!("g{goal}-{}", t.id),
            ..t
        })
        .collect()
}

/// States of a `width`-wide grid at Chebyshev distance at least `d` from `goal`.
pub fn far_from(width: usize, n_states: usize, goal: usize, d: usize) -> Vec<usize> {
    let (gx, gy) = (goal % width, goal / width);
    (0..n_states)
        .filter(|&s| (s % width).abs_diff(gx).max((s / width).abs_diff(gy)) >= d)
        .collect()
}
