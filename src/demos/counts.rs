//! Empirical statistics of demonstrations.
//!
//! - Visit weights w(s, a) = Σ_i Σ_{t<L_i} γ^t [s_{i,t} = s, a_{i,t} = a]: the discounted
//!   number of times each pair was demonstrated.
//! - Feature counts Σ_i Σ_{t<L_i} γ^t f(s_{i,t}, a_{i,t}) = Σ_{s,a} w(s, a) f(s, a): the
//!   empirical side of the maximum-entropy moment match, over the pairs at which reward is
//!   collected (the final state s_L of a trajectory adds nothing), as in docs/FORMATS.md.
//! - Step visits: for each step t, the distinct pairs (s_{i,t}, a_{i,t}) with their counts,
//!   which the likelihood Σ_i Σ_t log π_t(a_{i,t} | s_{i,t}) and its gradient need.
//! - Start distribution: the fraction of trajectories that start in each state.
//!
//! Every function expects demonstrations that are valid for the MDP (as the readers and
//! [`Demonstrations::validate`] ensure); indices out of range are a programming error.

use ndarray::Array1;

use super::Demonstrations;
use crate::error::{Error, Result};
use crate::mdp::Mdp;

/// How often one state-action pair was demonstrated at one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepVisit {
    pub state: usize,
    pub action: usize,
    pub count: usize,
}

/// Discounted visit weights w(s, a), laid out as rows `s·A + a` (the layout of
/// [`crate::mdp::Features::weighted_sum`]). `discount` must lie in (0, 1].
pub fn visit_weights(demos: &Demonstrations, mdp: &Mdp, discount: f64) -> Result<Vec<f64>> {
    if !(discount > 0.0 && discount <= 1.0) {
        return Err(Error::param(
            "discount",
            format!("{discount} is not in (0, 1]"),
        ));
    }
    let n_actions = mdp.n_actions();
    let mut weights = vec![0.0; mdp.n_states() * n_actions];
    for trajectory in &demos.trajectories {
        let mut factor = 1.0;
        for (s, a) in trajectory.steps() {
            weights[s * n_actions + a] += factor;
            factor *= discount;
        }
    }
    Ok(weights)
}

/// Empirical feature counts Σ_i Σ_{t<L_i} γ^t f(s_{i,t}, a_{i,t}), one entry per feature.
pub fn feature_counts(demos: &Demonstrations, mdp: &Mdp, discount: f64) -> Result<Array1<f64>> {
    let weights = visit_weights(demos, mdp, discount)?;
    Ok(Array1::from(
        mdp.features().weighted_sum(&weights, mdp.n_actions()),
    ))
}

/// For each step t = 0..max L, the distinct pairs (s_t, a_t) demonstrated at t with their
/// counts, sorted by state then action.
pub fn step_visits(demos: &Demonstrations) -> Vec<Vec<StepVisit>> {
    let mut pairs: Vec<Vec<(usize, usize)>> = vec![Vec::new(); demos.max_len()];
    for trajectory in &demos.trajectories {
        for (t, pair) in trajectory.steps().enumerate() {
            pairs[t].push(pair);
        }
    }
    pairs
        .into_iter()
        .map(|mut at_step| {
            at_step.sort_unstable();
            let mut visits: Vec<StepVisit> = Vec::new();
            for (state, action) in at_step {
                match visits.last_mut() {
                    Some(last) if (last.state, last.action) == (state, action) => last.count += 1,
                    _ => visits.push(StepVisit {
                        state,
                        action,
                        count: 1,
                    }),
                }
            }
            visits
        })
        .collect()
}

/// The empirical start distribution: the fraction of trajectories whose first state is s.
pub fn start_distribution(demos: &Demonstrations, n_states: usize) -> Result<Vec<f64>> {
    if demos.is_empty() {
        return Err(Error::demos(
            "demonstrations",
            "there is no trajectory, so no start distribution",
        ));
    }
    let share = 1.0 / demos.len() as f64;
    let mut distribution = vec![0.0; n_states];
    for trajectory in &demos.trajectories {
        distribution[trajectory.states[0]] += share;
    }
    Ok(distribution)
}
