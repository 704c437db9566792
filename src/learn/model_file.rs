//! Reading a model from its file: an `irl-model/1` document, or an `irl-weights/1`
//! document used as a model.
//!
//! Only `format`, `feature_names`, `weights` and, in a model, the `solver` section with
//! its `horizon` are required (docs/FORMATS.md, "`irl-model/1`"). Every other solver
//! setting the document leaves out (or gives as `null`) is taken from the caller's
//! fallback settings, which is also where all the settings of an `irl-weights/1`
//! document come from; [`ModelFile::given`] says which settings the document gave.
//! `training` may be absent or hold only some of its fields: the model then has no
//! [`TrainingHistory`]. Every field present is checked as before (see
//! [`model_checks`](super::model_checks)).

use std::io::Read;

use serde::{Deserialize, Deserializer};

use super::demo_steps::Alignment;
use super::fit::Optimizer;
use super::goals::{Goal, GoalRule};
use super::model::{FittedModel, IterationRecord, TrainingHistory};
use super::model_checks::model_error;
use super::weights::WEIGHTS_FORMAT;
use super::MODEL_FORMAT;
use crate::error::{quote, Result};
use crate::inference::{ActionPrior, Backup, SoftSettings};
use crate::json::from_reader;

/// The solver settings a model file gives: `None` for each setting it leaves out (all of
/// them for an `irl-weights/1` document).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GivenSettings {
    /// `Some(None)` for a document's `"horizon": null`, the infinite horizon.
    pub horizon: Option<Option<usize>>,
    pub discount: Option<f64>,
    pub backup: Option<Backup>,
    pub temperature: Option<f64>,
    pub action_prior: Option<ActionPrior>,
}

impl GivenSettings {
    /// `fallback` with each setting the file gives replaced by the file's.
    pub fn over(&self, fallback: &SoftSettings) -> SoftSettings {
        SoftSettings {
            horizon: self.horizon.unwrap_or(fallback.horizon),
            discount: self.discount.unwrap_or(fallback.discount),
            backup: self.backup.unwrap_or(fallback.backup),
            temperature: self.temperature.unwrap_or(fallback.temperature),
            action_prior: self
                .action_prior
                .clone()
                .unwrap_or_else(|| fallback.action_prior.clone()),
            ..fallback.clone()
        }
    }
}

/// A model read from a file, with the solver settings the file gave.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    /// The document's format tag: [`MODEL_FORMAT`] or [`WEIGHTS_FORMAT`].
    pub format: &'static str,
    /// The model; its settings are [`given`](Self::given) over the fallback.
    pub model: FittedModel,
    pub given: GivenSettings,
}

/// `Some` of the value, so that a field given as `null` differs from one left out.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> std::result::Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

#[derive(Deserialize)]
struct SolverFields {
    #[serde(default, deserialize_with = "present")]
    horizon: Option<Option<usize>>,
    discount: Option<f64>,
    backup: Option<Backup>,
    temperature: Option<f64>,
    action_prior: Option<String>,
    alignment: Option<Alignment>,
}

#[derive(Deserialize)]
struct TrainingFields {
    iterations: Option<usize>,
    converged: Option<bool>,
    stop_reason: Option<String>,
    objective: Option<Vec<f64>>,
    gradient_norm: Option<Vec<f64>>,
    feature_residual: Option<Vec<f64>>,
    nll_per_action: Option<f64>,
    n_actions: Option<usize>,
    n_tasks: Option<usize>,
    l2: Option<f64>,
    optimizer: Option<Optimizer>,
    evaluations: Option<usize>,
    seconds: Option<f64>,
}

impl TrainingFields {
    /// The history, when every field is given. The iteration records follow `objective`;
    /// a gradient norm or feature residual the shorter arrays lack is NaN.
    fn history(self) -> Option<TrainingHistory> {
        let objective = self.objective?;
        let gradient_norm = self.gradient_norm?;
        let feature_residual = self.feature_residual?;
        self.iterations?;
        let iterations = (0..objective.len())
            .map(|i| IterationRecord {
                iteration: i as u64,
                objective: objective[i],
                gradient_norm: gradient_norm.get(i).copied().unwrap_or(f64::NAN),
                feature_residual: feature_residual.get(i).copied().unwrap_or(f64::NAN),
            })
            .collect();
        Some(TrainingHistory {
            iterations,
            converged: self.converged?,
            stop_reason: self.stop_reason?,
            nll_per_action: self.nll_per_action?,
            n_actions: self.n_actions?,
            n_tasks: self.n_tasks?,
            l2: self.l2?,
            optimizer: self.optimizer?,
            evaluations: self.evaluations?,
            seconds: self.seconds?,
        })
    }
}

#[derive(Deserialize)]
struct ModelFields {
    format: String,
    feature_names: Vec<String>,
    weights: Vec<f64>,
    standard_errors: Option<Vec<f64>>,
    standard_errors_note: Option<String>,
    solver: Option<SolverFields>,
    training: Option<TrainingFields>,
    #[serde(default)]
    goal_conditioned: bool,
    #[serde(default)]
    goals: Vec<Goal>,
    #[serde(default)]
    goal_rule: GoalRule,
}

impl FittedModel {
    /// Read an `irl-model/1` document; the solver settings it leaves out are the
    /// defaults of [`SoftSettings`].
    pub fn read(reader: impl Read) -> Result<Self> {
        let file = Self::read_with(reader, &SoftSettings::default())?;
        if file.format != MODEL_FORMAT {
            return Err(model_error(format!(
                "format is \"{WEIGHTS_FORMAT}\", expected \"{MODEL_FORMAT}\""
            )));
        }
        Ok(file.model)
    }

    /// Read an `irl-model/1` document, or an `irl-weights/1` one as a model without
    /// standard errors, training or goals. Each solver setting the document does not
    /// give is `fallback`'s, as are the tolerance, iteration cap and memory limit.
    /// `fallback` must pass [`SoftSettings::check_ranges`] (its error is returned as
    /// it is), so that every other error is the document's.
    pub fn read_with(reader: impl Read, fallback: &SoftSettings) -> Result<ModelFile> {
        fallback.check_ranges()?;
        let doc: ModelFields = from_reader(reader, MODEL_FORMAT)?;
        let format = match doc.format.as_str() {
            MODEL_FORMAT => MODEL_FORMAT,
            WEIGHTS_FORMAT => WEIGHTS_FORMAT,
            other => {
                return Err(model_error(format!(
                    "format is \"{}\", expected \"{MODEL_FORMAT}\" or \"{WEIGHTS_FORMAT}\"",
                    quote(other)
                )))
            }
        };
        if doc.weights.len() != doc.feature_names.len() {
            return Err(model_error(format!(
                "{} weights for {} feature_names",
                doc.weights.len(),
                doc.feature_names.len()
            )));
        }
        if format == WEIGHTS_FORMAT {
            let model = FittedModel {
                feature_names: doc.feature_names,
                weights: doc.weights,
                standard_errors: Err(format!("an {WEIGHTS_FORMAT} document has none")),
                settings: fallback.clone(),
                training: None,
                goals: Vec::new(),
                goal_rule: GoalRule::LastCell,
                alignment: Alignment::Start,
            };
            model.check_fields()?;
            return Ok(ModelFile {
                format,
                model,
                given: GivenSettings::default(),
            });
        }
        let solver = doc.solver.ok_or_else(|| {
            model_error(
                "solver is missing; expected the settings the model was fitted under, at least \
                 solver.horizon (a document of weights alone is irl-weights/1)"
                    .into(),
            )
        })?;
        let horizon = solver.horizon.ok_or_else(|| {
            model_error(
                "solver.horizon is missing; expected the horizon T the model was fitted with, \
                 or null for the infinite horizon"
                    .into(),
            )
        })?;
        let action_prior = solver
            .action_prior
            .as_deref()
            .map(|name| match name {
                "none" => Ok(ActionPrior::None),
                "uniform" => Ok(ActionPrior::Uniform),
                other => Err(model_error(format!(
                    "solver.action_prior \"{}\" is not \"none\" or \"uniform\"",
                    quote(other)
                ))),
            })
            .transpose()?;
        if doc.goal_conditioned && doc.goals.is_empty() {
            return Err(model_error(
                "goal_conditioned is true but there are no goals; expected the training goals"
                    .into(),
            ));
        }
        let given = GivenSettings {
            horizon: Some(horizon),
            discount: solver.discount,
            backup: solver.backup,
            temperature: solver.temperature,
            action_prior,
        };
        let model = FittedModel {
            feature_names: doc.feature_names,
            weights: doc.weights,
            standard_errors: doc.standard_errors.ok_or_else(|| {
                doc.standard_errors_note
                    .unwrap_or_else(|| "the model file gives none".into())
            }),
            settings: given.over(fallback),
            training: doc.training.and_then(TrainingFields::history),
            goals: doc.goals,
            goal_rule: doc.goal_rule,
            alignment: solver.alignment.unwrap_or_default(),
        };
        model.check_fields()?;
        Ok(ModelFile {
            format,
            model,
            given,
        })
    }
}
