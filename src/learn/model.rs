//! Fitted models and their `irl-model/1` document.
//!
//! A [`FittedModel`] knows everything needed to use it: θ̂ with its feature names and
//! standard errors, the solver settings and alignment it was fitted under, the training
//! goals of a goal-conditioned fit, and how the fit went. Its reward, policy and
//! forecasts on an MDP with the same features need nothing else.

use std::io::Write;

use ndarray::{Array3, ArrayView1};
use serde::{Deserialize, Serialize};

use super::demo_steps::Alignment;
use super::fit::Optimizer;
use super::forecast::{forecast, Forecast};
use super::goals::{Goal, GoalRule};
use super::model_checks::model_error;
use super::weights::check_feature_names;
use super::MODEL_FORMAT;
use crate::error::Result;
use crate::inference::{
    backward, name_weights, q_and_policy, Backup, MemoryEstimate, SoftProblem, SoftSettings,
};
use crate::mdp::{Mdp, Reward};

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
    /// How the fit went: always there for a fit, `None` for a model read from a file
    /// whose `training` is absent or lacks some of its fields.
    pub training: Option<TrainingHistory>,
    /// Goal-conditioned models: the training goals and how many demonstrations ended at
    /// each (empty for a model fitted without goals).
    pub goals: Vec<Goal>,
    /// How a demonstration's goal follows from where it ends (goal-conditioned models).
    pub goal_rule: GoalRule,
    /// How demonstrations map onto the decisions of a finite horizon.
    pub alignment: Alignment,
}

impl FittedModel {
    /// Whether the model was fitted with each demonstration's last state as its goal.
    pub fn is_goal_conditioned(&self) -> bool {
        !self.goals.is_empty()
    }

    /// The fitted weights θ̂.
    pub fn theta(&self) -> ArrayView1<'_, f64> {
        ArrayView1::from(&self.weights)
    }

    /// Fail unless `mdp` has the features the model was fitted on (same names, same order).
    pub fn check_mdp(&self, mdp: &Mdp) -> Result<()> {
        check_feature_names(&self.feature_names, mdp.features()).map_err(model_error)?;
        self.check_goals(mdp)
    }

    /// The fitted reward r̂ = θ̂·f on `mdp`.
    pub fn reward(&self, mdp: &Mdp) -> Result<Reward> {
        self.check_mdp(mdp)?;
        Ok(mdp.features().reward(self.theta(), mdp.n_actions()))
    }

    /// The soft-optimal policy of r̂ on `mdp` under the model's solver settings, as
    /// π[t, s, a] for t < T (one row t = 0 without a horizon). A goal-conditioned model's
    /// policy towards goal g is that of [`goal_mdp`](super::goal_mdp)`(mdp, g)`.
    pub fn policy(&self, mdp: &Mdp) -> Result<Array3<f64>> {
        let reward = self.reward(mdp)?;
        self.settings.check(mdp)?;
        MemoryEstimate::solve(mdp, &self.settings, true)
            .check("this policy", self.settings.memory_limit)?;
        let problem = SoftProblem::new(mdp, reward, self.settings.clone());
        let values = backward(&problem)
            .map_err(|e| name_weights(e, self.theta(), mdp.features().names()))?;
        Ok(q_and_policy(&problem, &values).1)
    }

    /// Forecast from `start` for `steps` steps towards `goal` or, for a goal-conditioned
    /// model given none, mixed over its training goals (see [`forecast`]).
    pub fn forecast(
        &self,
        mdp: &Mdp,
        start: usize,
        goal: Option<&Goal>,
        steps: usize,
    ) -> Result<Forecast> {
        self.check_mdp(mdp)?;
        self.settings.check(mdp)?;
        MemoryEstimate::solve(mdp, &self.settings, false)
            .check("this forecast", self.settings.memory_limit)?;
        forecast(
            mdp,
            &self.settings,
            self.theta(),
            start,
            goal,
            steps,
            &self.goals,
        )
    }
}

#[derive(Serialize)]
struct SolverDocument {
    horizon: Option<usize>,
    discount: f64,
    backup: Backup,
    temperature: f64,
    action_prior: String,
    alignment: Alignment,
}

#[derive(Serialize)]
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

/// The `irl-model/1` document as written; [`model_file`](super::model_file) reads it.
#[derive(Serialize)]
struct ModelDocument {
    format: String,
    feature_names: Vec<String>,
    weights: Vec<f64>,
    standard_errors: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    standard_errors_note: Option<String>,
    solver: SolverDocument,
    #[serde(skip_serializing_if = "Option::is_none")]
    training: Option<TrainingDocument>,
    goal_conditioned: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    goals: Vec<Goal>,
    goal_rule: GoalRule,
}

impl FittedModel {
    /// Write the `irl-model/1` document.
    pub fn write(&self, writer: impl Write) -> Result<()> {
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
            training: self.training.as_ref().map(|t| TrainingDocument {
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
            }),
            goal_conditioned: self.is_goal_conditioned(),
            goals: self.goals.clone(),
            goal_rule: self.goal_rule,
        };
        crate::json::to_writer(writer, &doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demos::{Demonstrations, Trajectory};
    use crate::learn::FitParams;
    use crate::mdp::{FeatureTable, Features, MdpParts, Transitions};
    use ndarray::Array2;

    /// State 0 chooses between leaving for the terminal state 1 (action 0) and staying
    /// (action 1); one feature, 1 in state 0. With r(0) = θ and T = 2, by hand:
    /// V_1(0) = θ + ln 2, V_0(0) = θ + ln(1 + 2e^θ), so π_0(leave|0) = 1/(1 + 2e^θ) and
    /// π_1(leave|0) = 1/2.
    fn leave_or_stay() -> Mdp {
        let transitions =
            Transitions::from_arrays(2, 2, &[0, 0], &[0, 1], &[1, 0], &[1.0, 1.0]).unwrap();
        let features = Features::new(
            vec!["here".into()],
            FeatureTable::State(Array2::from_shape_vec((2, 1), vec![1.0, 0.0]).unwrap()),
        )
        .unwrap();
        Mdp::new(MdpParts {
            transitions,
            initial: Some(vec![1.0, 0.0]),
            terminal: vec![1],
            features,
            action_names: None,
            grid: None,
        })
        .unwrap()
    }

    fn fitted(mdp: &Mdp) -> FittedModel {
        let demos = Demonstrations::new(vec![
            Trajectory {
                id: "stays".into(),
                states: vec![0, 0, 1],
                actions: vec![1, 0],
            },
            Trajectory {
                id: "leaves".into(),
                states: vec![0, 1],
                actions: vec![0],
            },
        ]);
        FitParams::new(SoftSettings::finite(2, 1.0))
            .fit(mdp, &demos)
            .unwrap()
    }

    #[test]
    fn the_policy_and_reward_are_those_of_the_fitted_weights() {
        let mdp = leave_or_stay();
        let model = fitted(&mdp);
        assert!(
            model.training.as_ref().unwrap().converged,
            "{}",
            model.training.as_ref().unwrap().stop_reason
        );
        let theta = model.weights[0];
        assert_eq!(model.theta().to_vec(), vec![theta]);
        assert_eq!(model.reward(&mdp).unwrap().values(), &[theta, 0.0]);
        let policy = model.policy(&mdp).unwrap();
        assert_eq!(policy.dim(), (2, 2, 2));
        let leave_first = 1.0 / (1.0 + 2.0 * theta.exp());
        assert!((policy[[0, 0, 0]] - leave_first).abs() < 1e-12);
        assert!((policy[[0, 0, 1]] - (1.0 - leave_first)).abs() < 1e-12);
        assert!((policy[[1, 0, 0]] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn the_model_refuses_an_mdp_with_other_features() {
        let mdp = leave_or_stay();
        let model = fitted(&mdp);
        let renamed = mdp
            .with_features(
                Features::new(
                    vec!["elsewhere".into()],
                    FeatureTable::State(Array2::zeros((2, 1))),
                )
                .unwrap(),
            )
            .unwrap();
        let message = model.policy(&renamed).unwrap_err().to_string();
        assert!(
            message
                .contains("feature_names[0] is \"here\" but the MDP's feature 0 is \"elsewhere\""),
            "{message}"
        );
    }

    #[test]
    fn a_model_keeps_its_settings_alignment_and_goals_through_its_file() {
        let mdp = leave_or_stay();
        let mut model = fitted(&mdp);
        model.alignment = Alignment::OwnHorizon;
        model.goals = vec![Goal::state(1, 2)];
        let mut file = Vec::new();
        model.write(&mut file).unwrap();
        let read = FittedModel::read(file.as_slice()).unwrap();
        assert_eq!(read.alignment, Alignment::OwnHorizon);
        assert_eq!(read.goals, model.goals);
        assert_eq!(read.settings.horizon, Some(2));
        assert_eq!(read.weights, model.weights);
        assert_eq!(read.feature_names, vec!["here".to_string()]);
    }
}
