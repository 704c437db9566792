//! Stopping rules wrapped around any argmin solver, and how far a finished fit was from
//! stopping by them.
//!
//! A fit converges when the gradient is small: ‖∇J‖₂ ≤ `gradient_threshold`, which the
//! fit sets to the larger of its absolute gradient tolerance and its relative one times
//! ‖∇J‖₂ at the starting point (so the rule asks for the same reduction whatever the
//! scale of the features). The relative objective change |J_k − J_{k−1}| / max(|J_k|, ε)
//! ≤ `objective_tolerance` is only a guard against a stall, where J no longer changes in
//! floating point before the gradient is small; it stops the fit as not converged, and
//! says so. The iteration cap is argmin's. The wrapped solver's own tests still apply
//! (L-BFGS is given zero tolerances so that these rules, and their recorded reasons,
//! decide). A fit that the cap stopped may have been flat for many iterations or still be
//! making progress; [`relative_change_over`] its last iterations tells which.

use argmin::core::{IterState, Problem, Solver, TerminationReason, TerminationStatus, KV};
use argmin_math::ArgminL2Norm;
use ndarray::Array1;

use super::model::IterationRecord;

/// The state argmin keeps for first-order solvers over θ.
pub type FirstOrderState = IterState<Array1<f64>, Array1<f64>, (), (), (), f64>;

/// Reason text when the gradient rule stops the fit.
pub const GRADIENT_SMALL: &str = "gradient norm below tolerance";
/// Reason text when the stall guard stops the fit.
pub const OBJECTIVE_STALLED: &str =
    "objective stalled: relative change below tolerance while the gradient norm is above its threshold";

/// Reason text when the iteration cap stops the fit.
pub const ITERATION_CAP: &str = "iteration cap reached";

/// How much the objective moved over the last `window` iterations, relative to its last
/// value: (max J − min J over the last `window` + 1 records) / max(|J_last|, ε), with ε
/// the smallest positive double; `None` with fewer than `window` + 1 records.
pub fn relative_change_over(iterations: &[IterationRecord], window: usize) -> Option<f64> {
    let tail = iterations.get(iterations.len().checked_sub(window + 1)?..)?;
    let last = tail.last()?.objective;
    let (lo, hi) = tail
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
            (lo.min(r.objective), hi.max(r.objective))
        });
    Some((hi - lo) / last.abs().max(f64::MIN_POSITIVE))
}

/// An argmin solver with the stopping rules above.
pub struct WithStoppingRules<S> {
    pub inner: S,
    /// Converged once ‖∇J‖₂ is at most this.
    pub gradient_threshold: f64,
    /// Stalled once the relative change of J is at most this.
    pub objective_tolerance: f64,
}

impl<O, S: Solver<O, FirstOrderState>> Solver<O, FirstOrderState> for WithStoppingRules<S> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        state: FirstOrderState,
    ) -> Result<(FirstOrderState, Option<KV>), argmin::core::Error> {
        self.inner.init(problem, state)
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        state: FirstOrderState,
    ) -> Result<(FirstOrderState, Option<KV>), argmin::core::Error> {
        self.inner.next_iter(problem, state)
    }

    fn terminate(&mut self, state: &FirstOrderState) -> TerminationStatus {
        if let Some(g) = state.get_gradient() {
            if g.l2_norm() <= self.gradient_threshold {
                return TerminationStatus::Terminated(TerminationReason::SolverExit(
                    GRADIENT_SMALL.into(),
                ));
            }
        }
        let (previous, current) = (state.get_prev_cost(), state.get_cost());
        if previous.is_finite()
            && (previous - current).abs()
                <= self.objective_tolerance * current.abs().max(f64::MIN_POSITIVE)
        {
            return TerminationStatus::Terminated(TerminationReason::SolverExit(
                OBJECTIVE_STALLED.into(),
            ));
        }
        self.inner.terminate(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(objectives: &[f64]) -> Vec<IterationRecord> {
        objectives
            .iter()
            .enumerate()
            .map(|(i, &objective)| IterationRecord {
                iteration: i as u64,
                objective,
                gradient_norm: 0.0,
                feature_residual: 0.0,
            })
            .collect()
    }

    #[test]
    fn the_change_spans_the_last_window_only() {
        // Over the last 2 iterations J goes 2.0 → 1.5 → 1.6: max − min = 0.5, over
        // |J_last| = 1.6. The drop from 10 lies before the window.
        let r = records(&[10.0, 2.0, 1.5, 1.6]);
        let change = relative_change_over(&r, 2).unwrap();
        assert!((change - 0.5 / 1.6).abs() < 1e-15, "{change}");
        assert!((relative_change_over(&r, 3).unwrap() - 8.5 / 1.6).abs() < 1e-15);
        assert_eq!(relative_change_over(&r, 4), None);
        assert_eq!(relative_change_over(&records(&[0.0, 0.0]), 1), Some(0.0));
    }
}
