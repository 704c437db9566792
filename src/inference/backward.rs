//! The soft backward pass (soft value iteration).
//!
//! Finite horizon T: V_T = 0 and, for t = T−1 … 0, V_t(s) = α log Σ_a ρ exp(Q_t(s,a)/α)
//! with Q_t from V_{t+1} (see [`kernel`](super::kernel)). Only the T+1 value rows are
//! kept, O(S·T) memory; Q_t and π_t are recomputed from V_{t+1} when needed.
//!
//! States go in runs of [`RUN_STATES`]: the run's soft-max parts come first (see
//! [`SoftProblem::soft_max_run`]), then all its logarithms in one loop, so they
//! vectorise like the exponentials.
//!
//! Infinite horizon: the same backup iterated from V = 0 to its fixed point. The
//! iteration stops when ‖V_{k+1} − V_k‖∞ ≤ tolerance · max(1, ‖V_{k+1}‖∞); reaching the
//! iteration cap is an error. With γ < 1 the backup is a γ-contraction; with γ = 1 it
//! converges when every policy reaches a terminal state.
//!
//! Complexity: O(T · (nnz + S·A)) time for the finite horizon, O(k · (nnz + S·A)) for k
//! iterations of the infinite one.

use ndarray::{Array2, ArrayView1};

use super::chunks::{chunk_states, for_each_state_chunk, on_pool, scratch_for};
use super::fixed_point::{iterate_to_fixed_point, Unconverged};
use super::kernel::{SoftProblem, RUN_STATES};
use super::lockstep::lockstep;
use super::overflow::{overflow_error, FirstOverflow, OverflowPlace};
use super::shared_slice::SharedSlice;
use crate::error::Result;

/// The soft values of a solved problem.
#[derive(Debug, Clone, PartialEq)]
pub struct SoftValues {
    /// V_t, rows t = 0..=T for a finite horizon; a single row for the infinite horizon.
    values: Array2<f64>,
    horizon: Option<usize>,
    /// Iterations the infinite-horizon fixed point took (T for a finite horizon).
    pub iterations: usize,
}

impl SoftValues {
    /// V_t (finite horizon) or the stationary V.
    pub fn at(&self, t: usize) -> ArrayView1<'_, f64> {
        match self.horizon {
            Some(_) => self.values.row(t),
            None => self.values.row(0),
        }
    }

    /// The values π_t is computed from: V_{t+1}, or the stationary V.
    pub fn next(&self, t: usize) -> ArrayView1<'_, f64> {
        match self.horizon {
            Some(_) => self.values.row(t + 1),
            None => self.values.row(0),
        }
    }

    /// All value rows (T+1 rows, or one).
    pub fn rows(&self) -> &Array2<f64> {
        &self.values
    }

    /// The horizon, or `None` for the stationary solution.
    pub fn horizon(&self) -> Option<usize> {
        self.horizon
    }

    /// Σ_s p(s) V_0(s) for a start distribution p.
    pub fn log_partition(&self, start: &[f64]) -> f64 {
        let v0 = self.at(0);
        start
            .iter()
            .zip(v0.iter())
            .filter(|(p, _)| **p > 0.0)
            .map(|(p, v)| p * v)
            .sum()
    }
}

/// Run the backward pass.
///
/// Returns the value rows; fails if the infinite-horizon iteration does not converge or
/// a value becomes non-finite.
pub fn backward(problem: &SoftProblem) -> Result<SoftValues> {
    backward_reusing(problem, None)
}

/// [`backward`], writing the finite-horizon value rows into the memory of `spare`, the
/// values of an earlier pass, when it holds enough of it (they are overwritten).
///
/// A loop of solves (a fit, a benchmark) keeps its rows' pages this way: fresh memory
/// costs the operating system a page fault per 4 KiB on first touch, about a fifth of a
/// pass at 10⁶ states, and the faults of two threads contend for the same locks.
pub fn backward_reusing(problem: &SoftProblem, spare: Option<SoftValues>) -> Result<SoftValues> {
    on_pool(problem.settings.parallel, || backward_here(problem, spare))
}

fn backward_here(problem: &SoftProblem, spare: Option<SoftValues>) -> Result<SoftValues> {
    let mdp = problem.mdp;
    let (n_states, n_actions) = (mdp.n_states(), mdp.n_actions());
    let settings = &problem.settings;
    let scratch_len = RUN_STATES * (n_actions + 2);
    // The values of the states first..first + rows.len() from the next step's values.
    let sweep_chunk = |first: usize, next: &[f64], rows: &mut [f64], scratch: &mut [f64]| {
        let (z, parts) = scratch.split_at_mut(RUN_STATES * n_actions);
        let (max, sum) = parts.split_at_mut(RUN_STATES);
        for (r, values) in rows.chunks_mut(RUN_STATES).enumerate() {
            let start = first + r * RUN_STATES;
            let (max, sum) = (&mut max[..values.len()], &mut sum[..values.len()]);
            problem.soft_max_run(start, next, z, max, sum, None);
            problem.values_from_parts(start, max, sum, values);
        }
    };
    let mut scratch = scratch_for(n_states, scratch_len);
    let sweep = |next: &[f64], out: &mut [f64]| {
        for_each_state_chunk(
            settings.parallel,
            out,
            1,
            &mut scratch,
            scratch_len,
            |first, rows, scratch| sweep_chunk(first, next, rows, scratch),
        );
    };
    let values = match settings.horizon {
        Some(horizon) => {
            // Every value is written once, by the sweeps or (V_T) here, and not zeroed
            // first: fresh rows are a zeroed allocation, whose pages the operating system
            // maps and zeroes on first touch, as the sweeps' threads write them; a
            // spare's rows still hold its values, which the sweeps overwrite.
            let mut flat = storage_for((horizon + 1) * n_states, spare);
            flat[horizon * n_states..].fill(0.0);
            let rows = SharedSlice::new(&mut flat);
            let chunk = chunk_states(n_states);
            lockstep(
                settings.parallel,
                horizon,
                n_states.div_ceil(chunk),
                || vec![0.0; scratch_len],
                |step, c, scratch| {
                    let t = horizon - 1 - step;
                    let first = c * chunk;
                    let end = (first + chunk).min(n_states);
                    // SAFETY: the lockstep run starts this task after every task of the
                    // steps before, which wrote V_{t+1}, and no task of this step writes
                    // V_{t+1}; of V_t, this task alone writes its chunk.
                    let (next, out) = unsafe {
                        (
                            rows.part((t + 1) * n_states..(t + 2) * n_states),
                            rows.part_mut(t * n_states + first..t * n_states + end),
                        )
                    };
                    sweep_chunk(first, next, out, scratch);
                },
            );
            let values = Array2::from_shape_vec((horizon + 1, n_states), flat).expect("shape");
            SoftValues {
                values,
                horizon: Some(horizon),
                iterations: horizon,
            }
        }
        None => fixed_point(problem, spare, sweep)?,
    };
    let flat = values.values.as_slice().expect("standard layout");
    if !all_finite(flat) {
        return Err(overflow_error(problem, first_overflow(&values.values)));
    }
    Ok(values)
}

/// The first value out of range in the order the finite-horizon pass computes them:
/// the latest step t with such a value (V_T = 0, and each V_t comes from V_{t+1}), and
/// its first state there. `rows` must hold one.
fn first_overflow(rows: &Array2<f64>) -> FirstOverflow {
    (0..rows.nrows())
        .rev()
        .find_map(|t| {
            let row = rows.row(t);
            let state = row.iter().position(|v| !v.is_finite())?;
            Some(FirstOverflow {
                place: OverflowPlace::Step(t),
                state,
                value: row[state],
            })
        })
        .expect("a value out of range")
}

/// `len` numbers to overwrite: `spare`'s memory if it has the room (its old values,
/// then zeros where it held fewer), else a new zeroed allocation.
fn storage_for(len: usize, spare: Option<SoftValues>) -> Vec<f64> {
    match spare.map(|values| values.values.into_raw_vec_and_offset().0) {
        Some(mut flat) if flat.capacity() >= len => {
            flat.resize(len, 0.0);
            flat
        }
        _ => vec![0.0; len],
    }
}

/// Whether every value is finite, in four independent sums of v·0 (0 for a finite v,
/// NaN otherwise), which compile to vector instructions where a search would not.
fn all_finite(values: &[f64]) -> bool {
    let mut lanes = [0.0f64; 4];
    let mut chunks = values.chunks_exact(4);
    for chunk in &mut chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += v * 0.0;
        }
    }
    let rest: f64 = chunks.remainder().iter().map(|v| v * 0.0).sum();
    lanes.iter().sum::<f64>() + rest == 0.0
}

/// The infinite-horizon values, iterated from a spare's values (an earlier evaluation's)
/// when there is one.
fn fixed_point(
    problem: &SoftProblem,
    spare: Option<SoftValues>,
    sweep: impl FnMut(&[f64], &mut [f64]),
) -> Result<SoftValues> {
    let settings = &problem.settings;
    let n_states = problem.mdp.n_states();
    let start = spare
        .filter(|s| s.horizon.is_none())
        .map(|s| s.values.into_raw_vec_and_offset().0);
    match iterate_to_fixed_point(
        n_states,
        start,
        settings.tolerance,
        settings.max_iterations,
        sweep,
    ) {
        Ok((v, iterations)) => Ok(SoftValues {
            values: Array2::from_shape_vec((1, n_states), v).expect("shape"),
            horizon: None,
            iterations,
        }),
        Err(Unconverged::NonFinite {
            iteration,
            state,
            value,
        }) => Err(overflow_error(
            problem,
            FirstOverflow {
                place: OverflowPlace::Sweep(iteration),
                state,
                value,
            },
        )),
        Err(stopped) => Err(stopped.into_error(
            "infinite-horizon soft value iteration",
            settings.max_iterations,
            settings.tolerance,
            &settings.divergence_hint(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::{SoftProblem, SoftSettings};
    use crate::mdp::Reward;
    use crate::test_support::random_mdp;

    #[test]
    fn all_finite_finds_an_infinity_or_nan_in_the_lanes_and_the_remainder() {
        let mut values: Vec<f64> = (0..11).map(|i| i as f64 - 5.0).collect();
        assert!(all_finite(&values));
        assert!(all_finite(&[]));
        for at in [0, 3, 9, 10] {
            for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
                let keep = values[at];
                values[at] = bad;
                assert!(!all_finite(&values), "{bad} at {at}");
                values[at] = keep;
            }
        }
    }

    #[test]
    fn a_spare_lends_its_memory_and_changes_no_value() {
        let mdp = random_mdp(3, 9, 3, 2, 2, false, &[4]);
        let problem = |scale: f64, settings: SoftSettings| {
            let reward = (0..9).map(|s| scale * s as f64).collect();
            SoftProblem::new(&mdp, Reward::per_state(reward, 3), settings)
        };
        let fresh = backward(&problem(0.5, SoftSettings::finite(6, 0.9))).unwrap();
        // The spare solved another reward over more steps, so a row it left unwritten
        // would show.
        let spare = backward(&problem(-1.0, SoftSettings::finite(8, 0.9))).unwrap();
        let address = spare.rows().as_ptr();
        let reused =
            backward_reusing(&problem(0.5, SoftSettings::finite(6, 0.9)), Some(spare)).unwrap();
        assert_eq!(reused, fresh);
        assert_eq!(reused.rows().as_ptr(), address);
        // Too small a spare is dropped and the rows are allocated anew.
        let small = backward(&problem(-1.0, SoftSettings::finite(2, 0.9))).unwrap();
        let grown =
            backward_reusing(&problem(0.5, SoftSettings::finite(6, 0.9)), Some(small)).unwrap();
        assert_eq!(grown, fresh);
        // The stationary iteration keeps its own two rows.
        let stationary = problem(0.5, SoftSettings::infinite(0.8));
        assert_eq!(
            backward_reusing(&stationary, Some(fresh)).unwrap(),
            backward(&stationary).unwrap()
        );
    }

    #[test]
    fn an_overflowing_value_is_an_error_naming_its_step_state_and_cause() {
        let mdp = random_mdp(5, 6, 2, 2, 1, false, &[]);
        // The largest finite reward everywhere: V_2 = MAX + ln|A| rounds to MAX, and V_1
        // = MAX + MAX overflows first; V_0, computed from it, is no number at all.
        let problem = |reward: Vec<f64>, settings: SoftSettings| {
            SoftProblem::new(&mdp, Reward::per_state(reward, 2), settings)
        };
        let message = backward(&problem(vec![f64::MAX; 6], SoftSettings::finite(3, 1.0)))
            .unwrap_err()
            .to_string();
        for part in [
            "the soft backward pass overflowed: V_1(state 0) = inf, the first value out of range",
            "the rewards range from 1.7976931348623157e308",
            "over up to 3 steps",
            "scale the weights down",
        ] {
            assert!(message.contains(part), "{part:?} not in: {message}");
        }
        // Rewards of −10³⁰⁰ at α = 10⁻¹⁰: r/α is −∞ and V_1 keeps the sign.
        let cold = SoftSettings {
            temperature: 1e-10,
            ..SoftSettings::finite(3, 1.0)
        };
        let message = backward(&problem(vec![-1e300; 6], cold))
            .unwrap_err()
            .to_string();
        for part in ["V_1(state 0) = -inf", "|r|/α", "raise the temperature"] {
            assert!(message.contains(part), "{part:?} not in: {message}");
        }
        // The fixed point names its sweep instead of a step.
        let message = backward(&problem(vec![1e307; 6], SoftSettings::infinite(0.999)))
            .unwrap_err()
            .to_string();
        for part in ["V(state ", "in sweep ", "1/(1 − γ) = 1000 steps"] {
            assert!(message.contains(part), "{part:?} not in: {message}");
        }
        assert!(!message.contains("iteration cap"), "{message}");
    }
}
