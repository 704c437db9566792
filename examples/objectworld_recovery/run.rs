//! One run: fit θ̂ to N demonstrations in one world with one feature set, then score it.
//!
//! - Hard and soft EVD: `expected_value_difference` of the learned reward r̂ = θ̂·f
//!   against the world's true per-state reward r*, discount γ, uniform start over all
//!   states: (1/S) Σ_s [V^{π_{r*}}_{r*}(s) − V^{π_{r̂}}_{r*}(s)] with π the hard-optimal
//!   (greedy) or the soft-optimal (α = 1) policy. This is Levine's scale: his toolkit's
//!   occupancy solves (I − γP_πᵀ) x = 1/S and scores xᵀr*, the same per-state mean.
//! - Held-out NLL per action of the soft-optimal policy of r̂ (the learner's own model)
//!   on the world's independent held-out demonstrations.

use anyhow::{Context, Result};
use irl::eval::{evaluate_model, expected_value_difference};
use serde::Serialize;

use crate::design::{feature_set_name, Design};
use crate::worlds::SeedData;

/// Which fit to do: a seed, a feature set (index into the seed's worlds) and N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunKey {
    pub seed_index: usize,
    pub feature_index: usize,
    pub n_demos: usize,
}

/// The measurements of one run, as written to the JSON file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    pub features: &'static str,
    pub n_demos: usize,
    pub seed: u64,
    pub hard_evd: f64,
    pub soft_evd: f64,
    /// Pearson correlation of r̂ and r* over states (`None` when r̂ is constant).
    pub reward_correlation: Option<f64>,
    pub heldout_nll_per_action: f64,
    pub heldout_action_accuracy: f64,
    pub train_nll_per_action: f64,
    pub iterations: usize,
    pub evaluations: usize,
    pub converged: bool,
    pub stop_reason: String,
    pub fit_seconds: f64,
}

/// Fit and score the run `key` of `seeds`.
pub fn execute(design: &Design, seeds: &[SeedData], key: RunKey) -> Result<RunRecord> {
    let data = &seeds[key.seed_index];
    let (features, world) = &data.worlds[key.feature_index];
    let place = || {
        format!(
            "{} features, N = {}, seed {}",
            feature_set_name(*features),
            key.n_demos,
            data.seed
        )
    };
    let demos = data.training_prefix(key.n_demos);
    let model = design
        .fit_params()
        .fit(&world.mdp, &demos)
        .with_context(place)?;
    let learned = model.reward(&world.mdp)?;
    let evd = expected_value_difference(
        &world.mdp,
        &world.true_reward(),
        &learned,
        &design.evd_settings(),
    )
    .with_context(place)?;
    let heldout = evaluate_model(&world.mdp, &model, &data.heldout, None).with_context(place)?;
    let training = model.training.as_ref().expect("a fit records its history");
    Ok(RunRecord {
        features: feature_set_name(*features),
        n_demos: key.n_demos,
        seed: data.seed,
        hard_evd: evd.hard.difference,
        soft_evd: evd.soft.difference,
        reward_correlation: evd.reward_correlation,
        heldout_nll_per_action: heldout.nll_per_action,
        heldout_action_accuracy: heldout.action_accuracy,
        train_nll_per_action: training.nll_per_action,
        iterations: training.iterations.len().saturating_sub(1),
        evaluations: training.evaluations,
        converged: training.converged,
        stop_reason: training.stop_reason.clone(),
        fit_seconds: training.seconds,
    })
}
