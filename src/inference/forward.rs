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
//! π_t is recomputed from V_{t+1} state by state and D_t is pushed along the rows just
//! read (see [`propagate`](super::propagate)). With state features only the per-state
//! visits are summed; the S·A state-action occupancy is kept only when the features
//! depend on the action or a caller asks for it.

use ndarray::{Array2, ArrayView1};

use super::backward::SoftValues;
use super::chunks::on_pool;
use super::kernel::SoftProblem;
use super::propagate::{Carry, Propagator, Totals};
use crate::error::{Error, Result};

/// The result of a forward pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Occupancy {
    /// D_0..D_T (finite horizon) or the discounted sum Σ_t γ^t D_t (one row); `None`
    /// when the rows were not asked for.
    pub states: Option<Array2<f64>>,
    /// Σ_t γ^t D_t(s) over the steps at which s acts (non-terminal s, t < T): the
    /// discounted visits at which reward is collected.
    pub visits: Vec<f64>,
    /// Σ_t γ^t D_t(s) π_t(a|s), rows `s·A + a`; kept when the features depend on the
    /// action or when asked for (see [`state_action_occupancy`]).
    pub state_action: Option<Vec<f64>>,
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
    let pairs = problem.mdp().features().is_per_action();
    run(problem, values, start, keep_rows, pairs)
}

/// The state-action occupancy Σ_t γ^t D_t(s) π_t(a|s) from `start`, rows `s·A + a`.
pub fn state_action_occupancy(
    problem: &SoftProblem,
    values: &SoftValues,
    start: &[f64],
) -> Result<Vec<f64>> {
    Ok(run(problem, values, start, false, true)?
        .state_action
        .expect("asked for"))
}

fn run(
    problem: &SoftProblem,
    values: &SoftValues,
    start: &[f64],
    keep_rows: bool,
    pairs: bool,
) -> Result<Occupancy> {
    on_pool(problem.settings.parallel, || {
        run_here(problem, values, start, keep_rows, pairs)
    })
}

fn run_here(
    problem: &SoftProblem,
    values: &SoftValues,
    start: &[f64],
    keep_rows: bool,
    pairs: bool,
) -> Result<Occupancy> {
    let mdp = problem.mdp;
    let (n_states, n_actions) = (mdp.n_states(), mdp.n_actions());
    let settings = &problem.settings;
    let gamma = settings.discount;
    let mut propagator = Propagator::new(problem);
    let mut d = start.to_vec();
    let mut d_next = vec![0.0; n_states];
    let mut visits = vec![0.0; n_states];
    let mut state_action = pairs.then(|| vec![0.0; n_states * n_actions]);
    let mut weight = 1.0;
    let mut step =
        |d: &[f64], d_next: &mut [f64], next_v: ArrayView1<f64>, weight: f64, absorbing| {
            let next_v = next_v.as_slice().expect("contiguous values");
            let totals = Totals {
                acting: Some(&mut visits),
                pairs: state_action.as_deref_mut(),
                weight,
            };
            propagator.step(
                problem,
                next_v,
                d,
                Carry::Dynamics,
                absorbing,
                d_next,
                totals,
            );
        };
    let states = match values.horizon() {
        Some(horizon) => {
            let mut rows = keep_rows.then(|| Array2::zeros((horizon + 1, n_states)));
            for t in 0..horizon {
                if let Some(rows) = rows.as_mut() {
                    rows.row_mut(t).assign(&ArrayView1::from(&d));
                }
                step(&d, &mut d_next, values.next(t), weight, true);
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
                step(&d, &mut d_next, values.next(0), weight, false);
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
    let expected_features = match &state_action {
        Some(pairs) => mdp.features().weighted_sum(pairs, n_actions),
        None => mdp.features().weighted_state_sum(&visits),
    };
    Ok(Occupancy {
        states,
        visits,
        state_action,
        expected_features,
    })
}

fn accumulate(total: &mut [f64], x: &[f64], weight: f64) {
    total.iter_mut().zip(x).for_each(|(t, v)| *t += weight * v);
}
