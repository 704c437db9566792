//! Fitted models and their `irl-model/1` document.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use super::demo_steps::Alignment;
use super::fit::Optimizer;
use super::goals::GoalCount;
use super::MODEL_FORMAT;
use crate::error::{Error, Result};
use crate::inference::{ActionPrior, Backup, SoftSettings};
use crate::json::from_reader;

/// One iteration of the optimiser (iteration 0 is the starting point).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IterationRecord {
    pub iteration: u64,
    /// J(θ) = (NLL + λ‖θ‖²)/n.
    pub objective: f64,
    /// ‖∇J‖₂.
    pub gradient_norm: f64,
    /// ‖demonstrated − expected feature counts‖₂ per action (α‖∇NLL‖/n).
    pub feature_residual: f64,
}

/// How the fit went.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingHistory {
    pub iterations: Vec<IterationRecord>,
    pub converged: bool,
    pub stop_reason: String,
    pub nll_per_action: f64,
    pub n_actions: usize,
    pub n_tasks: usize,
    pub l2: f64,
    pub optimizer: Optimizer,
    /// Distinct θ at which the objective was evaluated (backward + forward passes).
    pub evaluations: usize,
    pub seconds: f64,
}

/// Fitted reward weights with the settings they were fitted under.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedModel {
    pub feature_names: Vec<String>,
    pub weights: Vec<f64>,
    /// Standard error per weight, or why there is none.
    pub standard_errors: std::result::Result<Vec<f64>, String>,
    pub settings: SoftSettings,
    pub training: TrainingHistory,
    /// Goal-conditioned models: the training goals and how many demonstrations ended at
    /// each (empty for a model fitted without goals).
    pub goals: Vec<GoalCount>,
    /// How demonstrations map onto the decisions of a finite horizon.
    pub alignment: Alignment,
}

impl FittedModel {
    /// Whether the model was fitted with each demonstration's last state as its goal.
    pub fn is_goal_conditioned(&self) -> bool {
        !self.goals.is_empty()
    }
}

#[derive(Serialize, Deserialize)]
struct SolverDocument {
    horizon: Option<usize>,
    discount: f64,
    backup: Backup,
    temperature: f64,
    action_prior: String,
    #[serde(default)]
    alignment: Alignment,
}

#[derive(Serialize, Deserialize)]
struct TrainingDocument {
    iterations: usize,
    converged: bool,
    stop_reason: String,
    objective: Vec<f64>,
    gradient_norm: Vec<f64>,
    feature_residual: Vec<f64>,
    nll_per_action: f64,
    n_actions: usize,
    n_tasks: usize,
    l2: f64,
    optimizer: Optimizer,
    evaluations: usize,
    seconds: f64,
}

#[derive(Serialize, Deserialize)]
struct ModelDocument {
    format: String,
    feature_names: Vec<String>,
    weights: Vec<f64>,
    #[serde(default)]
    standard_errors: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    standard_errors_note: Option<String>,
    solver: SolverDocument,
    training: TrainingDocument,
    #[serde(default)]
    goal_conditioned: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    goals: Vec<GoalCount>,
}

impl FittedModel {
    /// Write the `irl-model/1` document.
    pub fn write(&self, writer: impl Write) -> Result<()> {
        let t = &self.training;
        let s = &self.settings;
        let doc = ModelDocument {
            format: MODEL_FORMAT.into(),
            feature_names: self.feature_names.clone(),
            weights: self.weights.clone(),
            standard_errors: self.standard_errors.as_ref().ok().cloned(),
            standard_errors_note: self.standard_errors.as_ref().err().cloned(),
            solver: SolverDocument {
                horizon: s.horizon,
                discount: s.discount,
                backup: s.backup,
                temperature: s.temperature,
                action_prior: s.action_prior.name().into(),
                alignment: self.alignment,
            },
            training: TrainingDocument {
                iterations: t.iterations.len().saturating_sub(1),
                converged: t.converged,
                stop_reason: t.stop_reason.clone(),
                objective: t.iterations.iter().map(|r| r.objective).collect(),
                gradient_norm: t.iterations.iter().map(|r| r.gradient_norm).collect(),
                feature_residual: t.iterations.iter().map(|r| r.feature_residual).collect(),
                nll_per_action: t.nll_per_action,
                n_actions: t.n_actions,
                n_tasks: t.n_tasks,
                l2: t.l2,
                optimizer: t.optimizer,
                evaluations: t.evaluations,
                seconds: t.seconds,
            },
            goal_conditioned: self.is_goal_conditioned(),
            goals: self.goals.clone(),
        };
        crate::json::to_writer(writer, &doc)
    }

    /// Read an `irl-model/1` document.
    pub fn read(reader: impl Read) -> Result<Self> {
        let doc: ModelDocument = from_reader(reader, MODEL_FORMAT)?;
        let bad = |message: String| Error::InvalidJson {
            format: MODEL_FORMAT,
            message,
        };
        if doc.format != MODEL_FORMAT {
            return Err(bad(format!(
                "format is \"{}\", expected \"{MODEL_FORMAT}\"",
                doc.format
            )));
        }
        if doc.weights.len() != doc.feature_names.len() {
            return Err(bad(format!(
                "{} weights for {} feature_names",
                doc.weights.len(),
                doc.feature_names.len()
            )));
        }
        let action_prior = match doc.solver.action_prior.as_str() {
            "none" => ActionPrior::None,
            "uniform" => ActionPrior::Uniform,
            other => {
                return Err(bad(format!(
                    "solver.action_prior \"{other}\" is not \"none\" or \"uniform\""
                )))
            }
        };
        let t = doc.training;
        let iterations = (0..t.objective.len())
            .map(|i| IterationRecord {
                iteration: i as u64,
                objective: t.objective[i],
                gradient_norm: t.gradient_norm.get(i).copied().unwrap_or(f64::NAN),
                feature_residual: t.feature_residual.get(i).copied().unwrap_or(f64::NAN),
            })
            .collect();
        Ok(Self {
            feature_names: doc.feature_names,
            weights: doc.weights,
            standard_errors: doc
                .standard_errors
                .ok_or_else(|| doc.standard_errors_note.unwrap_or_default()),
            settings: SoftSettings {
                horizon: doc.solver.horizon,
                discount: doc.solver.discount,
                backup: doc.solver.backup,
                temperature: doc.solver.temperature,
                action_prior,
                ..SoftSettings::default()
            },
            training: TrainingHistory {
                iterations,
                converged: t.converged,
                stop_reason: t.stop_reason,
                nll_per_action: t.nll_per_action,
                n_actions: t.n_actions,
                n_tasks: t.n_tasks,
                l2: t.l2,
                optimizer: t.optimizer,
                evaluations: t.evaluations,
                seconds: t.seconds,
            },
            goals: doc.goals,
            alignment: doc.solver.alignment,
        })
    }
}
