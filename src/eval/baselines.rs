//! Baseline predictors of the next move, to judge a fitted reward against.
//!
//! - Uniform random walk: π(a|s) = 1/|A(s)| over the available actions, so the NLL of
//!   a step is log |A(s)|.
//! - Empirical move frequency: π(a|s) = (n(s,a) + κ) / (n(s) + κ·|A(s)|), the training
//!   demonstrations' counts in each cell smoothed by κ pseudo-counts per available action
//!   (Laplace smoothing for κ = 1); cells never visited in training fall back to uniform.

use crate::demos::Demonstrations;
use crate::mdp::Mdp;

/// NLL per action of `demos` under the uniform random walk over available actions.
pub fn uniform_walk_nll(mdp: &Mdp, demos: &Demonstrations) -> f64 {
    let (total, n) = demos
        .trajectories
        .iter()
        .flat_map(|t| t.steps())
        .fold((0.0, 0usize), |(total, n), (s, _)| {
            (total + (mdp.n_available(s) as f64).ln(), n + 1)
        });
    total / n as f64
}

/// NLL per action of `held_out` under the κ-smoothed move frequencies of `train`.
pub fn empirical_move_nll(
    mdp: &Mdp,
    train: &Demonstrations,
    held_out: &Demonstrations,
    kappa: f64,
) -> f64 {
    let n_actions = mdp.n_actions();
    let mut counts = vec![0.0; mdp.n_states() * n_actions];
    for (s, a) in train.trajectories.iter().flat_map(|t| t.steps()) {
        counts[s * n_actions + a] += 1.0;
    }
    let (total, n) = held_out.trajectories.iter().flat_map(|t| t.steps()).fold(
        (0.0, 0usize),
        |(total, n), (s, a)| {
            let row = &counts[s * n_actions..(s + 1) * n_actions];
            let visits: f64 = row.iter().sum();
            let p = (row[a] + kappa) / (visits + kappa * mdp.n_available(s) as f64);
            (total - p.ln(), n + 1)
        },
    );
    total / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demos::Trajectory;
    use crate::test_support::random_mdp;

    #[test]
    fn baselines_match_hand_computed_probabilities() {
        // State 0 has actions {0, 2} available (action 1 removed), others all 3.
        let mdp = random_mdp(1, 4, 3, 4, 1, false, &[]);
        let to = |s: usize, a: usize| mdp.transitions().successors(s, a).0[0] as usize;
        let step = |s: usize, a: usize| Trajectory {
            id: format!("{s}{a}"),
            states: vec![s, to(s, a)],
            actions: vec![a],
        };
        let train = Demonstrations::new(vec![step(0, 0), step(0, 0), step(0, 2), step(1, 1)]);
        let held_out = Demonstrations::new(vec![step(0, 0), step(2, 1)]);
        // Uniform: log 2 for state 0, log 3 for state 2.
        let uniform = uniform_walk_nll(&mdp, &held_out);
        assert!((uniform - (2f64.ln() + 3f64.ln()) / 2.0).abs() < 1e-12);
        // Empirical, κ = 1: state 0 saw a0 twice, a2 once: p(a0) = 3/5; state 2 unseen: 1/3.
        let empirical = empirical_move_nll(&mdp, &train, &held_out, 1.0);
        assert!((empirical - (-(0.6f64).ln() + 3f64.ln()) / 2.0).abs() < 1e-12);
    }
}
