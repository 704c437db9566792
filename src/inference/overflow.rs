//! The error of soft values that leave the range of a double: which value went first
//! (the first step computed, counting back from the horizon, or the first sweep of the
//! fixed point), and what made it — a reward θ·f that is itself not finite, rewards so
//! large against the temperature that r/α is not, or rewards that add up past the
//! largest double over the steps — with what to change. [`name_weights`] adds the
//! weight that contributes most, where the caller knows θ.

use ndarray::ArrayView1;

use super::kernel::SoftProblem;
use crate::error::{quote, Error};

/// The first soft value outside the range of a double.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FirstOverflow {
    /// The step t of V_t (finite horizon), or the sweep of the fixed point.
    pub place: OverflowPlace,
    pub state: usize,
    pub value: f64,
}

/// Where in the backward pass a value overflowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum OverflowPlace {
    Step(usize),
    Sweep(usize),
}

/// The error of the soft backward pass of `problem` at its first overflow.
pub(crate) fn overflow_error(problem: &SoftProblem, first: FirstOverflow) -> Error {
    let settings = problem.settings();
    let n_actions = problem.mdp().n_actions();
    let state_of = |i: usize| {
        if problem.reward().is_per_action() {
            i / n_actions
        } else {
            i
        }
    };
    let values = problem.reward().values();
    let place = match first.place {
        OverflowPlace::Step(t) => format!("V_{t}(state {}) = {}", first.state, first.value),
        OverflowPlace::Sweep(k) => format!(
            "V(state {}) = {} in sweep {k} of the fixed point",
            first.state, first.value
        ),
    };
    let alpha = settings.temperature;
    let cause = if let Some(i) = values.iter().position(|r| !r.is_finite()) {
        format!(
            "the reward θ·f of state {} is {} itself; scale the weights down",
            state_of(i),
            values[i]
        )
    } else {
        let (lo, hi) = extremes(values);
        let largest = values[lo].abs().max(values[hi].abs());
        let span = format!(
            "the rewards range from {} (state {}) to {} (state {})",
            number(values[lo]),
            state_of(lo),
            number(values[hi]),
            state_of(hi)
        );
        if (largest / alpha).is_infinite() {
            format!(
                "{span}, and at temperature {} their size over the temperature, |r|/α, \
                 exceeds the largest double (about 1.8e308); scale the weights down or raise the temperature",
                number(alpha)
            )
        } else {
            let steps = match settings.horizon {
                Some(horizon) => format!("over up to {horizon} steps"),
                None if settings.discount < 1.0 => format!(
                    "over about 1/(1 − γ) = {:.0} steps at discount {}",
                    1.0 / (1.0 - settings.discount),
                    settings.discount
                ),
                None => "over the steps until a terminal state (discount 1),".to_string(),
            };
            format!(
                "{span} at temperature {}; added up {steps} they exceed the largest double \
                 (about 1.8e308); scale the weights down",
                number(alpha)
            )
        }
    };
    Error::Overflow {
        what: "the soft backward pass",
        message: format!("{place}, the first value out of range; {cause}"),
    }
}

/// `x` as people write it: plainly from 0.001 to a million, in scientific notation
/// outside (1e-6, not 0.000001).
fn number(x: f64) -> String {
    if x == 0.0 || (1e-3..1e6).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// The indices of the smallest and the largest of `values` (0 and 0 when empty).
fn extremes(values: &[f64]) -> (usize, usize) {
    let mut lo = 0;
    let mut hi = 0;
    for (i, &v) in values.iter().enumerate() {
        if v < values[lo] {
            lo = i;
        }
        if v > values[hi] {
            hi = i;
        }
    }
    (lo, hi)
}

/// An [`Error::Overflow`] with the weight of θ largest in size and its feature's name
/// added; any other error as it is.
pub(crate) fn name_weights(error: Error, theta: ArrayView1<f64>, names: &[String]) -> Error {
    match error {
        Error::Overflow { what, message } => {
            let largest = (0..theta.len()).reduce(|k, j| {
                if theta[j].abs() > theta[k].abs() {
                    j
                } else {
                    k
                }
            });
            let Some(k) = largest else {
                return Error::Overflow { what, message };
            };
            let name = quote(names.get(k).map_or("", String::as_str));
            Error::Overflow {
                what,
                message: format!(
                    "{message} (the largest weight is weights[{k}] = {}, of feature \"{name}\")",
                    number(theta[k])
                ),
            }
        }
        other => other,
    }
}
