//! The checks a model read from a file passes before it is used: every field a
//! computation reads is held to the rules its command-line flag is held to (the solver
//! settings to [`SoftSettings::check_ranges`], the goal radius to [`GoalRule::check`]),
//! and the standard errors must match the weights. Each failure names the document's
//! field and what it should be.

use super::model::FittedModel;
use super::MODEL_FORMAT;
use crate::error::{Error, Result};
use crate::mdp::Mdp;

impl FittedModel {
    /// Fail unless every field that does not depend on an MDP is in its range.
    pub(super) fn check_fields(&self) -> Result<()> {
        self.settings
            .check_ranges()
            .map_err(|e| in_field("solver", e))?;
        self.goal_rule
            .check()
            .map_err(|e| in_field("goal_rule", e))?;
        if let Ok(errors) = &self.standard_errors {
            if errors.len() != self.weights.len() {
                return Err(model_error(format!(
                    "standard_errors has {} entries for {} weights; expected one per weight, or null",
                    errors.len(),
                    self.weights.len()
                )));
            }
            if let Some((k, e)) = errors.iter().enumerate().find(|(_, e)| **e < 0.0) {
                return Err(model_error(format!(
                    "standard_errors[{k}] is {e}; expected a non-negative number"
                )));
            }
        }
        Ok(())
    }

    /// Fail unless every goal's states are states of `mdp`.
    pub(super) fn check_goals(&self, mdp: &Mdp) -> Result<()> {
        for (i, goal) in self.goals.iter().enumerate() {
            if let Some(&s) = goal.states.iter().find(|&&s| s >= mdp.n_states()) {
                return Err(model_error(format!(
                    "goals[{i}] holds state {s}; expected states of the MDP, 0..{}",
                    mdp.n_states()
                )));
            }
        }
        Ok(())
    }
}

/// An invalid `irl-model/1` document.
pub(super) fn model_error(message: String) -> Error {
    Error::InvalidJson {
        format: MODEL_FORMAT,
        message,
    }
}

/// A parameter error as an error of the document's field `section.name`.
fn in_field(section: &str, error: Error) -> Error {
    match error {
        Error::InvalidParameter { name, message } => {
            model_error(format!("{section}.{}: {message}", field_name(name)))
        }
        other => other,
    }
}

/// The document's name of a checked parameter: the goal radius is `clustered.radius`.
fn field_name(parameter: &str) -> &str {
    match parameter {
        "goal_radius" => "clustered.radius",
        other => other,
    }
}
