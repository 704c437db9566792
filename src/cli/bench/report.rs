//! What `irl bench` measured, as its `irl-bench/1` JSON document holds it.

use serde::Serialize;

use super::clock::Timing;

/// The format tag of `irl bench --json` documents.
pub const BENCH_FORMAT: &str = "irl-bench/1";

/// Everything `irl bench` measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    pub format: &'static str,
    /// Threads of rayon's global pool.
    pub threads: usize,
    /// Hardware threads the system reports.
    pub available_threads: usize,
    /// Whether the code was compiled with optimisations (no debug assertions).
    pub optimised: bool,
    pub slip: f64,
    pub features: usize,
    pub demos: usize,
    pub seed: u64,
    pub repeats: usize,
    pub min_time: f64,
    pub time_budget: f64,
    pub cases: Vec<CaseReport>,
    pub scaling: Option<ScalingReport>,
    pub fit: Option<FitReport>,
}

/// The measurements of one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseReport {
    pub side: usize,
    pub states: usize,
    pub actions: usize,
    /// Stored (non-zero) transitions.
    pub transitions: usize,
    pub horizon: usize,
    pub build_seconds: f64,
    pub backward: Timing,
    pub forward: Timing,
    /// One NLL + gradient evaluation (one fit iteration).
    pub likelihood: Timing,
    /// Peak resident memory while the case ran; `None` where unknown.
    pub peak_resident_bytes: Option<u64>,
    pub backward_bytes_per_step: u64,
    pub backward_bytes_per_second: f64,
}

/// Thread scaling of the backward pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScalingReport {
    pub side: usize,
    pub states: usize,
    pub actions: usize,
    pub horizon: usize,
    pub threads: usize,
    pub one_thread: Timing,
    pub all_threads: Timing,
    /// The median over interleaved pairs of runs of one-thread time / all-threads time.
    pub speedup: f64,
}

/// A full fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitReport {
    pub side: usize,
    pub states: usize,
    pub actions: usize,
    pub features: usize,
    pub horizon: usize,
    pub demos: usize,
    /// Demonstrated actions.
    pub demonstrated_actions: usize,
    pub seconds: f64,
    pub iterations: usize,
    /// Likelihood evaluations, line searches included.
    pub evaluations: usize,
    pub converged: bool,
    pub stop_reason: String,
    pub nll_per_action: f64,
    pub l2: f64,
    pub peak_resident_bytes: Option<u64>,
}
