//! Walker baselines of the next move, scored on the same steps as a goal-conditioned model.
//!
//! Each scored step is a state s, the action a taken, the goal's centre g (metres) and the
//! walker's previous action. With d(s) the distance from the centre of s's cell to g, and
//! the expected next distance d(s, a) = Σ_{s'} p(s'|s,a)·d(s'):
//! - **goal-directed walker**: π(a|s) ∝ exp(−β·(d(s, a) − d(s))) over the available actions;
//!   β ≥ 0 maximises the training steps' likelihood (a concave problem in β, solved by
//!   golden-section search on [0, [`MAX_BETA`]]);
//! - **constant-velocity walker**: with probability p the walker keeps its velocity — on a
//!   kinematic lattice the zero acceleration, elsewhere the previous action — and otherwise
//!   takes one of the other available actions uniformly; where that action is unavailable
//!   (or there is no previous action) all available actions are equally likely. The
//!   likelihood's maximiser is p = (steps that keep) / (steps where keeping is possible).

use super::displacement::distance;
use crate::mdp::{Mdp, STOP_ACTION};

/// The largest β searched.
pub const MAX_BETA: f64 = 100.0;

/// The zero-acceleration action of a lattice MDP.
const KEEP_VELOCITY: usize = 4;

/// One step to score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredStep {
    pub state: usize,
    pub action: usize,
    /// The action before this one, if any.
    pub previous: Option<usize>,
    /// The walker's goal, metres.
    pub goal: (f64, f64),
}

fn centre(mdp: &Mdp, state: usize) -> (f64, f64) {
    let grid = mdp.grid().expect("walkers need a grid");
    grid.cell_centre(grid.cell_of(state))
}

/// log π(a|s) of the goal-directed walker with inverse temperature β.
pub fn goal_directed_log_probability(mdp: &Mdp, step: &ScoredStep, beta: f64) -> f64 {
    let here = distance(centre(mdp, step.state), step.goal);
    let mut scores = Vec::with_capacity(mdp.n_actions());
    let mut taken = f64::NAN;
    for a in (0..mdp.n_actions()).filter(|&a| mdp.available(step.state, a)) {
        let (next, p) = mdp.transitions().successors(step.state, a);
        let there: f64 = next
            .iter()
            .zip(p)
            .map(|(&s, &q)| q * distance(centre(mdp, s as usize), step.goal))
            .sum();
        let score = -beta * (there - here);
        if a == step.action {
            taken = score;
        }
        scores.push(score);
    }
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let log_sum = max + scores.iter().map(|x| (x - max).exp()).sum::<f64>().ln();
    taken - log_sum
}

/// The β of the goal-directed walker that maximises the likelihood of `steps`.
pub fn fit_goal_directed(mdp: &Mdp, steps: &[ScoredStep]) -> f64 {
    let nll = |beta: f64| -> f64 {
        -steps
            .iter()
            .map(|s| goal_directed_log_probability(mdp, s, beta))
            .sum::<f64>()
    };
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut lo, mut hi) = (0.0, MAX_BETA);
    let (mut x1, mut x2) = (hi - ratio * (hi - lo), lo + ratio * (hi - lo));
    let (mut f1, mut f2) = (nll(x1), nll(x2));
    for _ in 0..80 {
        if f1 <= f2 {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - ratio * (hi - lo);
            f1 = nll(x1);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + ratio * (hi - lo);
            f2 = nll(x2);
        }
    }
    (lo + hi) / 2.0
}

/// The action that keeps the walker's velocity in this step, if it is available.
fn keep_action(mdp: &Mdp, step: &ScoredStep) -> Option<usize> {
    let lattice = mdp.grid().and_then(|g| g.lattice).is_some();
    let keep = if lattice {
        Some(KEEP_VELOCITY)
    } else {
        step.previous
    };
    keep.filter(|&a| a != STOP_ACTION || !lattice)
        .filter(|&a| mdp.available(step.state, a))
}

/// log π(a|s) of the constant-velocity walker with keeping probability p.
pub fn constant_velocity_log_probability(mdp: &Mdp, step: &ScoredStep, p: f64) -> f64 {
    let n = mdp.n_available(step.state) as f64;
    match keep_action(mdp, step) {
        Some(_) if n == 1.0 => 0.0,
        Some(keep) if keep == step.action => p.ln(),
        Some(_) => ((1.0 - p) / (n - 1.0)).ln(),
        None => -n.ln(),
    }
}

/// The maximum-likelihood p of the constant-velocity walker on `steps`, kept inside
/// [10⁻⁶, 1 − 10⁻⁶] so that no held-out step has probability 0.
pub fn fit_constant_velocity(mdp: &Mdp, steps: &[ScoredStep]) -> f64 {
    let (mut kept, mut possible) = (0usize, 0usize);
    for s in steps {
        if let Some(keep) = keep_action(mdp, s) {
            if mdp.n_available(s.state) > 1 {
                possible += 1;
                kept += usize::from(keep == s.action);
            }
        }
    }
    if possible == 0 {
        return 0.5;
    }
    (kept as f64 / possible as f64).clamp(1e-6, 1.0 - 1e-6)
}

/// Mean negative log-probability of `steps` under a walker.
pub fn mean_nll(steps: &[ScoredStep], log_probability: impl Fn(&ScoredStep) -> f64) -> f64 {
    -steps.iter().map(log_probability).sum::<f64>() / steps.len() as f64
}
