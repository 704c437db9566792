//! The fit's observer: records each iteration of the optimiser and shows it to the
//! caller's callback as it happens.
//!
//! The recorded feature residual is α‖∇NLL‖/n, the per-action mismatch of demonstrated
//! and expected feature counts: with ∇J = (∇NLL + 2λθ)/n it is α‖∇J − 2(λ/n)θ‖.

use std::sync::{Arc, Mutex};

use argmin::core::observers::Observe;
use argmin::core::{State, KV};
use ndarray::Array1;

use super::fit::{FitProgress, ProgressCallback};
use super::model::IterationRecord;
use super::stopping::FirstOrderState;

/// Records each iteration and forwards it to the caller's callback.
pub(super) struct Recorder {
    records: Arc<Mutex<Vec<IterationRecord>>>,
    on_progress: ProgressCallback,
    temperature: f64,
    l2_per_action: f64,
}

impl Recorder {
    /// A recorder appending to `records`; `l2_per_action` is λ/n.
    pub(super) fn new(
        records: Arc<Mutex<Vec<IterationRecord>>>,
        on_progress: ProgressCallback,
        temperature: f64,
        l2_per_action: f64,
    ) -> Self {
        Self {
            records,
            on_progress,
            temperature,
            l2_per_action,
        }
    }

    fn record(&mut self, state: &FirstOrderState, iteration: u64) {
        let (Some(theta), Some(gradient)) = (state.get_param(), state.get_gradient()) else {
            return;
        };
        let residual = norm(&(gradient - &(theta * (2.0 * self.l2_per_action)))) * self.temperature;
        let record = IterationRecord {
            iteration,
            objective: state.get_cost(),
            gradient_norm: norm(gradient),
            feature_residual: residual,
        };
        (self.on_progress.lock().expect("unpoisoned"))(FitProgress::Iteration(&record));
        self.records.lock().expect("unpoisoned").push(record);
    }
}

/// ‖v‖₂, scaled by the largest |v_k| so that entries past 10¹⁵⁴ do not overflow as
/// their squares would.
pub(super) fn norm(v: &Array1<f64>) -> f64 {
    let largest = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if largest == 0.0 || !largest.is_finite() {
        return largest;
    }
    largest * v.mapv(|x| (x / largest).powi(2)).sum().sqrt()
}

impl Observe<FirstOrderState> for Recorder {
    fn observe_init(
        &mut self,
        _name: &str,
        state: &FirstOrderState,
        _kv: &KV,
    ) -> std::result::Result<(), argmin::core::Error> {
        self.record(state, 0);
        Ok(())
    }

    /// argmin shows an iteration to its observers before counting it, so the state still
    /// holds the previous iteration's number.
    fn observe_iter(
        &mut self,
        state: &FirstOrderState,
        _kv: &KV,
    ) -> std::result::Result<(), argmin::core::Error> {
        self.record(state, state.get_iter() + 1);
        Ok(())
    }
}
