//! The forward pass: state occupancy and expected feature counts.
//!
//! Finite horizon: D_0 = p0 and D_{t+1}(s') = Σ_{s,a} D_t(s) π_t(a|s) p(s'|s,a), plus
//! D_t(s') itself when s' is terminal (absorbing mass stays, so every row sums to 1).
//! The state-action occupancy is Σ_{t<T} γ^t D_t(s) π_t(a|s) and the expected features
//! are its sum against f(s, a).
//!
//! Infinite horizon: the same recursion with the stationary π, summed as Σ_t γ^t D_t until
//! the discounted mass still moving falls below the tolerance. A terminal state's entry is
//! then the discounted probability of arriving there (each arrival counted once), which
//! keeps it finite when γ = 1.
//!
//! π_t is recomputed from V_{t+1} state by state; the step from D_t to D_{t+1} is a gather
//! over the predecessor CSR, parallel over s' with no write conflicts.

use ndarray::{Array2, ArrayView1};

use super::backward::SoftValues;
use super::chunks::for_each_state_chunk;
use super::kernel::SoftProblem;
use crate::error::{Error, Result};
use crate::mdp::Mdp;

/// The result of a forward pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Occupancy {
    /// D_0..D_T (finite horizon) or the discounted sum Σ_t γ^t D_t (one row); `None`
    /// when the rows were not asked for.
    pub states: Option<Array2<f64>>,
    /// Σ_t γ^t D_t(s) π_t(a|s), rows `s·A + a`.
    pub state_action: Vec<f64>,
    /// Σ_{s,a} state_action(s, a) f(s, a).
    pub expected_features: Vec<f64>,
}

/// Run the forward pass from the start distribution `start`.
///
/// `keep_rows` keeps the per-step state occupancy (finite horizon: (T+1)·S numbers).
pub fn forward(
    problem: &SoftProblem,
    values: &SoftValues,
    start: &[f64],
    keep_rows: bool,
) -> Result<Occupancy> {
    let mdp = problem.mdp;
    let (n_states, n_actions) = (mdp.n_states(), mdp.n_actions());
    let settings = &problem.settings;
    let gamma = settings.discount;
    let mut d = start.to_vec();
    let mut d_next = vec![0.0; n_states];
    let mut flow = vec![0.0; n_states * n_actions];
    let mut state_action = vec![0.0; n_states * n_actions];
    let mut weight = 1.0;
    let states = match values.horizon() {
        Some(horizon) => {
            let mut rows = keep_rows.then(|| Array2::zeros((horizon + 1, n_states)));
            for t in 0..horizon {
                if let Some(rows) = rows.as_mut() {
                    rows.row_mut(t).assign(&ArrayView1::from(&d));
                }
                policy_flow(problem, values.next(t), &d, &mut flow);
                accumulate(&mut state_action, &flow, weight);
                gather(mdp, &flow, &d, &mut d_next, true, settings.parallel);
                std::mem::swap(&mut d, &mut d_next);
                weight *= gamma;
            }
            if let Some(rows) = rows.as_mut() {
                rows.row_mut(horizon).assign(&ArrayView1::from(&d));
            }
            rows
        }
        None => {
            let mut total = vec![0.0; n_states];
            let mut converged = false;
            for _ in 0..settings.max_iterations {
                accumulate(&mut total, &d, weight);
                policy_flow(problem, values.next(0), &d, &mut flow);
                accumulate(&mut state_action, &flow, weight);
                gather(mdp, &flow, &d, &mut d_next, false, settings.parallel);
                std::mem::swap(&mut d, &mut d_next);
                weight *= gamma;
                let moving: f64 = (0..n_states)
                    .filter(|&s| !mdp.is_terminal(s))
                    .map(|s| d[s])
                    .sum();
                if weight * moving <= settings.tolerance {
                    accumulate(&mut total, &d, weight);
                    converged = true;
                    break;
                }
            }
            if !converged {
                return Err(Error::NotConverged {
                    what: "infinite-horizon occupancy",
                    iterations: settings.max_iterations,
                    last_change: weight,
                    tolerance: settings.tolerance,
                    hint: settings.divergence_hint(),
                });
            }
            keep_rows.then(|| Array2::from_shape_vec((1, n_states), total).expect("shape"))
        }
    };
    let expected_features = mdp.features().weighted_sum(&state_action, n_actions);
    Ok(Occupancy {
        states,
        state_action,
        expected_features,
    })
}

/// flow(s, a) = d(s) π(a|s) with π from `next_v`; states without mass are skipped.
pub(crate) fn policy_flow(
    problem: &SoftProblem,
    next_v: ArrayView1<f64>,
    d: &[f64],
    flow: &mut [f64],
) {
    let n_actions = problem.mdp.n_actions();
    for_each_state_chunk(
        problem.settings.parallel,
        flow,
        n_actions,
        n_actions,
        |first, rows, q| {
            for (i, row) in rows.chunks_exact_mut(n_actions).enumerate() {
                let s = first + i;
                if d[s] == 0.0 || problem.mdp.is_terminal(s) {
                    row.fill(0.0);
                    continue;
                }
                let v = problem.q_and_value(s, next_v, q);
                problem.policy_from_q(s, q, v, row);
                row.iter_mut().for_each(|x| *x *= d[s]);
            }
        },
    );
}

/// d_next(s') = Σ_{(s,a) → s'} flow(s, a) p(s'|s, a), plus d(s') at terminal s' when
/// `keep_terminal` (absorbing mass stays).
pub(crate) fn gather(
    mdp: &Mdp,
    flow: &[f64],
    d: &[f64],
    d_next: &mut [f64],
    keep_terminal: bool,
    parallel: bool,
) {
    let transitions = mdp.transitions();
    for_each_state_chunk(parallel, d_next, 1, 0, |first, out, _| {
        for (i, x) in out.iter_mut().enumerate() {
            let s = first + i;
            let (rows, probs) = transitions.predecessors(s);
            let mut acc = 0.0;
            for (&row, &p) in rows.iter().zip(probs) {
                acc += flow[row as usize] * p;
            }
            if keep_terminal && mdp.is_terminal(s) {
                acc += d[s];
            }
            *x = acc;
        }
    });
}

fn accumulate(total: &mut [f64], x: &[f64], weight: f64) {
    total.iter_mut().zip(x).for_each(|(t, v)| *t += weight * v);
}
