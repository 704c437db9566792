//! Stopping rules wrapped around any argmin solver.
//!
//! Stop when ‖∇J‖₂ ≤ `gradient_tolerance`, or when the relative objective change
//! |J_k − J_{k−1}| / max(|J_k|, ε) ≤ `objective_tolerance`; the iteration cap is argmin's.
//! The wrapped solver's own tests still apply (L-BFGS is given zero tolerances so that
//! these rules, and their recorded reasons, decide).

use argmin::core::{IterState, Problem, Solver, TerminationReason, TerminationStatus, KV};
use argmin_math::ArgminL2Norm;
use ndarray::Array1;

/// The state argmin keeps for first-order solvers over θ.
pub type FirstOrderState = IterState<Array1<f64>, Array1<f64>, (), (), (), f64>;

/// Reason text when the gradient rule stops the fit.
pub const GRADIENT_SMALL: &str = "gradient norm below tolerance";
/// Reason text when the objective rule stops the fit.
pub const OBJECTIVE_FLAT: &str = "relative objective change below tolerance";

/// An argmin solver with the stopping rules above.
pub struct WithStoppingRules<S> {
    pub inner: S,
    pub gradient_tolerance: f64,
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
            if g.l2_norm() <= self.gradient_tolerance {
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
                OBJECTIVE_FLAT.into(),
            ));
        }
        self.inner.terminate(state)
    }
}
