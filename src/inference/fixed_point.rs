//! Iterating a sweep V ← B(V) from V = 0 to its fixed point.
//!
//! Stops when ‖V_{k+1} − V_k‖∞ ≤ tolerance · max(1, ‖V_{k+1}‖∞). The soft, hard and
//! policy-evaluation backups all use it; each caller turns a failure into its own error.
//!
//! Giving up early: every backup here is monotone and non-expanding in the sup norm (a
//! soft or hard maximum of expectations, times γ ≤ 1), so the change c_k never grows, and
//! an iteration that diverges (a reward cycle that pays with γ = 1) shows as a change that
//! stops shrinking. From a cold start the change can also stall while values are still
//! descending a long way (a region reached only through near-free loops), so only a warm
//! start (values of a nearby problem) gives up early: once a tenth of the cap has run,
//! every [`RATE_WINDOW`] iterations the rate
//! ρ = (c_k / c_{k−W})^{1/W} projects the iterations still needed,
//! ln(tolerance·scale / c_k) / ln ρ; when k plus that exceeds the cap, or ρ = 1, the
//! iteration stops with [`Unconverged::TooSlow`] instead of running to the cap.

use crate::error::Error;

/// Why a fixed-point iteration stopped without converging.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unconverged {
    /// The cap was reached; the last sup-norm change.
    Cap { last_change: f64 },
    /// In sweep `iteration`, V(`state`) became `value`, an infinity or NaN: the first
    /// value of that sweep outside the range of a double.
    NonFinite {
        iteration: usize,
        state: usize,
        value: f64,
    },
    /// Stopped after `iterations`: at the change's rate the tolerance was `projected`
    /// iterations away in all (infinite when the change stopped shrinking), past the cap.
    TooSlow {
        iterations: usize,
        last_change: f64,
        projected: f64,
    },
}

/// Iterations between two estimates of the change's rate.
pub const RATE_WINDOW: usize = 50;

impl Unconverged {
    /// The error of a computation `what` that stopped this way under the cap
    /// `max_iterations`, with the caller's `hint` of what to change.
    pub fn into_error(
        self,
        what: &'static str,
        max_iterations: usize,
        tolerance: f64,
        hint: &str,
    ) -> Error {
        let (iterations, last_change, hint) = match self {
            Unconverged::NonFinite {
                iteration,
                state,
                value,
            } => {
                return Error::Overflow {
                    what,
                    message: format!(
                        "V(state {state}) became {value} in sweep {iteration}, out of the range of a double"
                    ),
                }
            }
            Unconverged::TooSlow {
                iterations,
                last_change,
                projected,
            } => (
                iterations,
                last_change,
                format!(
                    "stopped early: at its rate it would need {} iterations, past the cap of {max_iterations}; {hint}",
                    if projected.is_finite() { format!("about {projected:.0}") } else { "endless".to_string() }
                ),
            ),
            Unconverged::Cap { last_change } => (max_iterations, last_change, hint.to_string()),
        };
        Error::NotConverged {
            what,
            iterations,
            last_change,
            tolerance,
            hint,
        }
    }
}

/// Iterate `sweep(v, next)` on `n` values from `start` (zeros when `None` or of another
/// length); returns the fixed point and the iterations. A start near the fixed point (the
/// values of a nearby reward, say) saves iterations and, for a contraction, changes the
/// result by no more than the tolerance does.
pub fn iterate_to_fixed_point(
    n: usize,
    start: Option<Vec<f64>>,
    tolerance: f64,
    max_iterations: usize,
    mut sweep: impl FnMut(&[f64], &mut [f64]),
) -> Result<(Vec<f64>, usize), Unconverged> {
    let (mut v, warm) = match start {
        Some(v) if v.len() == n && v.iter().all(|x| x.is_finite()) => (v, true),
        _ => (vec![0.0; n], false),
    };
    let mut next = vec![0.0; n];
    let mut change = f64::INFINITY;
    let first_check = (max_iterations / 10).max(2 * RATE_WINDOW);
    let mut change_window_ago = f64::INFINITY;
    for iteration in 1..=max_iterations {
        sweep(&v, &mut next);
        change = v
            .iter()
            .zip(&next)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        if !change.is_finite() {
            if let Some(state) = next.iter().position(|x| !x.is_finite()) {
                return Err(Unconverged::NonFinite {
                    iteration,
                    state,
                    value: next[state],
                });
            }
        }
        let scale = next.iter().fold(1.0f64, |m, x| m.max(x.abs()));
        std::mem::swap(&mut v, &mut next);
        if change <= tolerance * scale {
            return Ok((v, iteration));
        }
        if iteration % RATE_WINDOW == 0 {
            if warm && iteration >= first_check {
                let projected = iteration as f64
                    + projected_iterations(change_window_ago, change, tolerance * scale);
                if projected > max_iterations as f64 {
                    return Err(Unconverged::TooSlow {
                        iterations: iteration,
                        last_change: change,
                        projected,
                    });
                }
            }
            change_window_ago = change;
        }
    }
    Err(Unconverged::Cap {
        last_change: change,
    })
}

/// Iterations still needed to take the change from `now` down to `target`, at the rate
/// it fell from `window_ago` over the last [`RATE_WINDOW`] iterations (infinite when it
/// did not fall).
fn projected_iterations(window_ago: f64, now: f64, target: f64) -> f64 {
    let log_rate = (now / window_ago).ln() / RATE_WINDOW as f64;
    if log_rate < 0.0 {
        ((target / now).ln() / log_rate).max(0.0)
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contraction_converges_to_its_fixed_point_and_divergence_is_reported() {
        // v ← 1 + v/2 has the fixed point 2.
        let (v, iterations) =
            iterate_to_fixed_point(1, None, 1e-12, 1000, |v, next| next[0] = 1.0 + v[0] / 2.0)
                .unwrap();
        assert!((v[0] - 2.0).abs() < 1e-11 && iterations > 30);
        let capped = iterate_to_fixed_point(1, None, 1e-12, 10, |v, next| next[0] = 1.0 + v[0]);
        assert_eq!(capped, Err(Unconverged::Cap { last_change: 1.0 }));
        let blown = iterate_to_fixed_point(2, None, 1e-12, 10, |v, next| {
            next[0] = 1.0;
            next[1] = if v[0] == 1.0 { f64::NEG_INFINITY } else { 0.0 };
        });
        assert_eq!(
            blown,
            Err(Unconverged::NonFinite {
                iteration: 2,
                state: 1,
                value: f64::NEG_INFINITY
            })
        );
        // A change too large for a double between finite values is no overflow: −MAX,
        // then MAX (a change of +∞), then MAX again.
        let swing = iterate_to_fixed_point(1, None, 1e-12, 10, |v, next| {
            next[0] = if v[0] == 0.0 { -f64::MAX } else { f64::MAX };
        });
        assert_eq!(swing, Ok((vec![f64::MAX], 3)));
    }

    #[test]
    fn a_change_that_stops_shrinking_or_shrinks_too_slowly_gives_up_before_the_cap() {
        // v ← 1 + v diverges: the change stays 1, so the first check (at a tenth of the
        // cap, here 200) gives up, when warm-started; from a cold start it runs to the cap.
        let warm = || Some(vec![0.0]);
        let diverging =
            iterate_to_fixed_point(1, warm(), 1e-9, 2000, |v, next| next[0] = 1.0 + v[0]);
        assert_eq!(
            diverging,
            Err(Unconverged::TooSlow {
                iterations: 200,
                last_change: 1.0,
                projected: f64::INFINITY
            })
        );
        // v ← 1 + 0.99 v from 0: v_k = 100(1 − 0.99^k), c_k = 0.99^(k−1), so reaching
        // 1e-9 · |v| (|v| → 100) takes k ≈ 1 + ln(1e-7)/ln(0.99) ≈ 1605 iterations, past
        // a cap of 1000 but within one of 2000. Checked at k = 100 (|v| = 63.4), the
        // projection is 100 + ln(1e-9 · 63.4 / 0.99^99)/ln(0.99) ≈ 1650.
        let cold = iterate_to_fixed_point(1, None, 1e-9, 2000, |v, next| next[0] = 1.0 + v[0]);
        assert_eq!(cold, Err(Unconverged::Cap { last_change: 1.0 }));
        let slow = |cap| {
            iterate_to_fixed_point(1, warm(), 1e-9, cap, |v, next| next[0] = 1.0 + 0.99 * v[0])
        };
        match slow(1000) {
            Err(Unconverged::TooSlow {
                iterations,
                projected,
                ..
            }) => {
                assert_eq!(iterations, 100);
                assert!((projected - 1650.08).abs() < 0.01, "{projected}");
            }
            other => panic!("{other:?}"),
        }
        let (v, iterations) = slow(2000).unwrap();
        assert!(
            (v[0] - 100.0).abs() < 2e-5 && (1600..1610).contains(&iterations),
            "{iterations}"
        );
    }
}
