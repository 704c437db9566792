//! Fitting θ by maximum (penalised) likelihood with argmin.
//!
//! Hyper-parameters live in [`FitParams`] (checked once by [`FitParams::check`]);
//! [`FitParams::fit`] returns a separate [`FittedModel`] that carries everything needed
//! to use it: the weights, the solver settings and alignment they were fitted under, the
//! feature names and, for goal-conditioned fits, the training goals.
//!
//! The demonstrations become one or more [`Task`]s ([`FitParams::tasks`]): one task in
//! the MDP as it is, or, goal-conditioned, one task per goal with that goal terminal (see
//! [`goals`](super::goals)). Every task shares θ. The optimiser is L-BFGS with a
//! More–Thuente line search, or steepest descent with the same line search; see
//! [`objective`](super::objective) for the function minimised and
//! [`stopping`](super::stopping) for the stopping rules.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use argmin::core::observers::ObserverMode;
use argmin::core::{Executor, State, TerminationReason};
use argmin::solver::gradientdescent::SteepestDescent;
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use ndarray::Array1;

use super::demo_steps::{Alignment, DemoSteps};
use super::goals::{goal_tasks, group_by_goal, training_goals, Goal, GoalRule};
use super::model::{FittedModel, IterationRecord, TrainingHistory};
use super::objective::{Objective, Task};
use super::recorder::norm;
use super::recorder::Recorder;
use super::stopping::{FirstOrderState, WithStoppingRules, GRADIENT_SMALL, ITERATION_CAP};
use super::uncertainty::standard_errors_observed;
use crate::demos::Demonstrations;
use crate::error::{Error, Result};
use crate::inference::{MemoryEstimate, SoftSettings};
use crate::mdp::Mdp;

/// λ of the Gaussian prior λ‖θ‖² unless told otherwise: a weak prior whose pull fades as
/// demonstrations accumulate (the objective is per demonstrated action).
pub const DEFAULT_L2: f64 = 0.01;

/// The largest λ a fit accepts. The optimiser squares gradients of about 2λ‖θ‖ (in its
/// norms and curvature pairs), which leave the range of a double from about λ = 10¹⁵⁰ on,
/// while a λ far smaller already pins θ̂ to 0 (to within 10⁻⁶ at λ = 10⁶).
pub const MAX_L2: f64 = 1e100;

/// The default relative gradient tolerance: a fit has converged when ‖∇J‖₂ has fallen
/// to 10⁻⁶ of its value at the start.
pub const DEFAULT_RELATIVE_GRADIENT_TOLERANCE: f64 = 1e-6;

/// The default stall guard: a relative change of J of a few units in the last place of
/// a double, where J no longer moves in floating point.
pub const DEFAULT_OBJECTIVE_TOLERANCE: f64 = 1e-15;

/// The optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Optimizer {
    /// L-BFGS keeping `memory` correction pairs.
    Lbfgs { memory: usize },
    /// Steepest descent.
    GradientDescent,
}

/// What a fit shows its caller while it runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FitProgress<'a> {
    /// The optimiser finished an iteration (iteration 0 is the starting point).
    Iteration(&'a IterationRecord),
    /// The standard errors: `done` of the `total` columns of the observed information
    /// computed, each two likelihood evaluations; shown with `done` = 0 before the first.
    StandardErrors { done: usize, total: usize },
}

/// The caller's progress callback, shared by the optimiser's observer and the standard
/// errors that follow it.
pub(super) type ProgressCallback = Arc<Mutex<Box<dyn FnMut(FitProgress<'_>) + Send>>>;

/// Hyper-parameters of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FitParams {
    /// The soft dynamic program, horizon included: the only place the horizon is given.
    pub settings: SoftSettings,
    /// How demonstrations map onto the decisions of a finite horizon.
    pub alignment: Alignment,
    /// Treat each demonstration's last state as its goal: one task per distinct goal, in
    /// the MDP with that goal terminal, all sharing θ.
    pub goal_conditioned: bool,
    /// Which goal a demonstration heads for (goal-conditioned fits).
    pub goal_rule: GoalRule,
    /// λ of the Gaussian prior λ‖θ‖².
    pub l2: f64,
    pub optimizer: Optimizer,
    pub max_iterations: u64,
    /// Converged when ‖∇J‖₂ falls to this (J is per action); 0 leaves the decision to
    /// `relative_gradient_tolerance`.
    pub gradient_tolerance: f64,
    /// Converged when ‖∇J‖₂ falls to this times ‖∇J‖₂ at the starting point.
    pub relative_gradient_tolerance: f64,
    /// Stopped as stalled, not converged, when |ΔJ|/|J| falls to this first.
    pub objective_tolerance: f64,
    /// Starting θ (zeros when `None`).
    pub initial: Option<Array1<f64>>,
    /// Compute standard errors from the observed information (2K likelihood
    /// evaluations after the optimiser's).
    pub standard_errors: bool,
    /// Compute standard errors only when K is at most this.
    pub max_features_for_standard_errors: usize,
}

/// The standard-error note of a fit told not to compute them.
pub const STANDARD_ERRORS_NOT_REQUESTED: &str = "not computed: not requested";

impl Default for FitParams {
    fn default() -> Self {
        Self {
            settings: SoftSettings::default(),
            alignment: Alignment::Start,
            goal_conditioned: false,
            goal_rule: GoalRule::LastCell,
            l2: DEFAULT_L2,
            optimizer: Optimizer::Lbfgs { memory: 10 },
            max_iterations: 200,
            gradient_tolerance: 0.0,
            relative_gradient_tolerance: DEFAULT_RELATIVE_GRADIENT_TOLERANCE,
            objective_tolerance: DEFAULT_OBJECTIVE_TOLERANCE,
            initial: None,
            standard_errors: true,
            max_features_for_standard_errors: 256,
        }
    }
}

impl FitParams {
    /// Defaults for everything but the solver settings.
    pub fn new(settings: SoftSettings) -> Self {
        Self {
            settings,
            ..Self::default()
        }
    }

    /// Check every hyper-parameter against the MDP the fit will run on.
    pub fn check(&self, mdp: &Mdp) -> Result<()> {
        self.settings.check(mdp)?;
        if !(self.l2 >= 0.0 && self.l2.is_finite()) {
            return Err(Error::param(
                "l2",
                format!("{} is not a non-negative number", self.l2),
            ));
        }
        if self.l2 > MAX_L2 {
            return Err(Error::param(
                "l2",
                format!(
                    "{:e} is above {MAX_L2:e}, the largest λ accepted: the optimiser's squares of \
                     gradients of about 2λ‖θ‖ would leave the range of a double, and a far smaller λ \
                     already fits θ̂ = 0",
                    self.l2
                ),
            ));
        }
        if self.max_iterations == 0 {
            return Err(Error::param("max_iterations", "must be at least 1"));
        }
        if let Optimizer::Lbfgs { memory: 0 } = self.optimizer {
            return Err(Error::param(
                "optimizer",
                "L-BFGS must keep at least 1 correction pair",
            ));
        }
        for (name, tol) in [
            ("gradient_tolerance", self.gradient_tolerance),
            (
                "relative_gradient_tolerance",
                self.relative_gradient_tolerance,
            ),
            ("objective_tolerance", self.objective_tolerance),
        ] {
            if !(tol >= 0.0 && tol.is_finite()) {
                return Err(Error::param(
                    name,
                    format!("{tol} is not a non-negative number"),
                ));
            }
        }
        if let Some(theta) = &self.initial {
            if theta.len() != mdp.features().dim() {
                return Err(Error::param(
                    "initial",
                    format!(
                        "has {} weights for {} features",
                        theta.len(),
                        mdp.features().dim()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The tasks a fit of `demos` on `mdp` solves, and for a goal-conditioned fit the
    /// goals with their demonstration counts (empty otherwise).
    pub fn tasks(&self, mdp: &Mdp, demos: &Demonstrations) -> Result<(Vec<Task>, Vec<Goal>)> {
        let horizon = self.settings.horizon;
        if self.goal_conditioned {
            let goals = training_goals(mdp, demos, self.goal_rule)?;
            let groups = group_by_goal(mdp, demos, &goals, self.goal_rule)?;
            let tasks = goal_tasks(mdp, &groups, horizon, self.alignment)?;
            Ok((tasks, groups.into_iter().map(|g| g.goal).collect()))
        } else {
            let steps = DemoSteps::new(demos, horizon, self.alignment)?;
            let task = Task {
                mdp: mdp.clone(),
                steps,
            };
            Ok((vec![task], Vec::new()))
        }
    }

    /// The starting θ of a fit: `initial` when given, else zeros, except that a
    /// stationary, undiscounted fit (no horizon, γ = 1) starts with the weight of a
    /// feature named `step_cost` at −(ln A + 1), A the most actions a state has. With
    /// r ≡ 0 the soft values of such a problem are infinite (every path of every length
    /// counts); with each step costing ln A + 1 the soft value iteration contracts,
    /// since Σ_a exp(r) ≤ A·e^{−ln A − 1} = 1/e < 1. A stationary goal-conditioned fit
    /// with γ < 1 starts there too: its values are finite from θ = 0, but as large as
    /// ln A/(1−γ), far from walkers who pay for each step on the way to a goal.
    pub fn starting_point(&self, mdp: &Mdp) -> Array1<f64> {
        if let Some(theta) = &self.initial {
            return theta.clone();
        }
        let mut theta = Array1::zeros(mdp.features().dim());
        if self.settings.horizon.is_none()
            && (self.settings.discount >= 1.0 || self.goal_conditioned)
        {
            let most = (0..mdp.n_states())
                .map(|s| mdp.n_available(s))
                .max()
                .unwrap_or(1)
                .max(1);
            if let Some(k) = mdp.features().names().iter().position(|n| n == "step_cost") {
                theta[k] = -((most as f64).ln() + 1.0);
            }
        }
        theta
    }

    /// Fit θ to `demos` (validated against `mdp`).
    pub fn fit(&self, mdp: &Mdp, demos: &Demonstrations) -> Result<FittedModel> {
        self.fit_observed(mdp, demos, |_: FitProgress<'_>| {})
    }

    /// [`fit`](Self::fit), showing `on_progress` each iteration's record and the
    /// standard errors' progress as they happen.
    pub fn fit_observed(
        &self,
        mdp: &Mdp,
        demos: &Demonstrations,
        on_progress: impl FnMut(FitProgress<'_>) + Send + 'static,
    ) -> Result<FittedModel> {
        self.check(mdp)?;
        let (tasks, goals) = self.tasks(mdp, demos)?;
        let params = FitParams {
            initial: Some(self.starting_point(mdp)),
            ..self.clone()
        };
        let mut model = params.fit_tasks(tasks, on_progress)?;
        model.goals = goals;
        model.goal_rule = self.goal_rule;
        Ok(model)
    }

    /// Fit one θ to tasks of your own (several MDPs with the same features, say); each
    /// task's steps must be arranged for `settings.horizon`.
    pub fn fit_tasks(
        &self,
        tasks: Vec<Task>,
        on_progress: impl FnMut(FitProgress<'_>) + Send + 'static,
    ) -> Result<FittedModel> {
        let on_progress: ProgressCallback = Arc::new(Mutex::new(Box::new(on_progress)));
        let first = tasks
            .first()
            .ok_or_else(|| Error::demos("demonstrations", "there is nothing to fit"))?;
        let features = first.mdp.features().clone();
        for task in &tasks {
            self.check(&task.mdp)?;
            self.settings.check_way_out(&task.mdp)?;
            task.steps.check_horizon(&self.settings)?;
            if task.mdp.features().names() != features.names() {
                return Err(Error::param(
                    "tasks",
                    "every task's MDP must have the same features, in the same order",
                ));
            }
        }
        self.check_memory(&tasks)?;
        let clock = Instant::now();
        let objective = Objective::new(tasks, self.settings.clone(), self.l2);
        let initial = self
            .initial
            .clone()
            .unwrap_or_else(|| Array1::zeros(features.dim()));
        // Evaluate once up front so that solver errors (a horizon too short, a diverging
        // fixed point) surface as themselves rather than through argmin; the gradient
        // there scales the relative gradient tolerance.
        let start = objective.evaluate(initial.view())?;
        let gradient_threshold = self
            .gradient_tolerance
            .max(self.relative_gradient_tolerance * norm(&start.gradient));
        let records = Arc::new(Mutex::new(Vec::new()));
        let observer = Recorder::new(
            Arc::clone(&records),
            Arc::clone(&on_progress),
            self.settings.temperature,
            self.l2 / objective.n_actions() as f64,
        );
        let linesearch = MoreThuenteLineSearch::new();
        let state = match self.optimizer {
            Optimizer::Lbfgs { memory } => {
                let lbfgs = LBFGS::new(linesearch, memory)
                    .with_tolerance_grad(0.0)
                    .and_then(|s| s.with_tolerance_cost(0.0))
                    .map_err(|e| Error::param("optimizer", e.to_string()))?;
                self.run(&objective, lbfgs, initial, gradient_threshold, observer)?
            }
            Optimizer::GradientDescent => self.run(
                &objective,
                SteepestDescent::new(linesearch),
                initial,
                gradient_threshold,
                observer,
            )?,
        };
        let best = state
            .get_best_param()
            .or(state.get_param())
            .cloned()
            .ok_or_else(|| Error::Numerical {
                what: "optimiser",
                message: "finished without a parameter".into(),
            })?;
        let final_value = objective.evaluate(best.view())?;
        let reason = state
            .get_termination_reason()
            .map_or_else(|| "stopped".to_string(), describe);
        let converged = reason == GRADIENT_SMALL;
        let iterations = records.lock().expect("unpoisoned").clone();
        let errors = if !self.standard_errors {
            Err(STANDARD_ERRORS_NOT_REQUESTED.into())
        } else if features.dim() <= self.max_features_for_standard_errors {
            let mut show = on_progress.lock().expect("unpoisoned");
            standard_errors_observed(&objective, best.view(), |done, total| {
                show(FitProgress::StandardErrors { done, total })
            })
        } else {
            Err(format!(
                "not computed: {} features exceed the limit of {}",
                features.dim(),
                self.max_features_for_standard_errors
            ))
        };
        let n = objective.n_actions();
        Ok(FittedModel {
            feature_names: features.names().to_vec(),
            weights: best.to_vec(),
            standard_errors: errors,
            settings: self.settings.clone(),
            alignment: self.alignment,
            goals: Vec::new(),
            goal_rule: self.goal_rule,
            training: Some(TrainingHistory {
                iterations,
                converged,
                stop_reason: reason,
                nll_per_action: final_value.nll / n as f64,
                n_actions: n,
                n_tasks: objective.tasks().len(),
                l2: self.l2,
                optimizer: self.optimizer,
                evaluations: objective.evaluations(),
                seconds: clock.elapsed().as_secs_f64(),
            }),
        })
    }

    /// Every task's value rows stay allocated from one evaluation to the next, which
    /// writes into them; the rest of an evaluation's memory exists while it runs, and
    /// tasks are evaluated in parallel, up to one per thread. Together, the rows and the
    /// largest evaluations that can run at once must fit under the memory limit.
    fn check_memory(&self, tasks: &[Task]) -> Result<()> {
        let mut combined = MemoryEstimate::default();
        for task in tasks {
            combined.merge(&MemoryEstimate::value_rows(&task.mdp, &self.settings));
        }
        let mut scratch: Vec<MemoryEstimate> = tasks
            .iter()
            .map(|task| MemoryEstimate::likelihood_scratch(&task.mdp, &self.settings))
            .collect();
        scratch.sort_by_key(|e| std::cmp::Reverse(e.total()));
        let at_once = rayon::current_num_threads().min(tasks.len()).max(1);
        for running in &scratch[..at_once] {
            combined.merge(running);
        }
        combined.check("this fit", self.settings.memory_limit)
    }

    /// Run the optimiser on `objective`, lent to it: argmin keeps only the text of an
    /// evaluation's error (and after a failed line search not even the problem), so the
    /// error itself is read back from the objective.
    fn run<'o, S>(
        &self,
        objective: &'o Objective,
        solver: S,
        initial: Array1<f64>,
        gradient_threshold: f64,
        observer: Recorder,
    ) -> Result<FirstOrderState>
    where
        S: argmin::core::Solver<&'o Objective, FirstOrderState>,
    {
        let solver = WithStoppingRules {
            inner: solver,
            gradient_threshold,
            objective_tolerance: self.objective_tolerance,
        };
        let result = Executor::new(objective, solver)
            .configure(|state| state.param(initial).max_iters(self.max_iterations))
            .add_observer(observer, ObserverMode::Always)
            .run()
            .map_err(|e| Error::Numerical {
                what: "optimiser",
                message: e.to_string(),
            });
        if let Some(failure) = objective.take_failure() {
            return Err(failure);
        }
        Ok(result?.state)
    }
}

fn describe(reason: &TerminationReason) -> String {
    match reason {
        TerminationReason::SolverExit(text) => text.clone(),
        TerminationReason::MaxItersReached => ITERATION_CAP.into(),
        other => other.text().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demos::Demonstrations;
    use crate::inference::MemoryLimit;
    use crate::inference::{backward, forward, sample, SoftProblem};
    use crate::learn::{Alignment, DemoSteps};
    use crate::mdp::{FeatureTable, Features, Mdp, MdpParts, Transitions};
    use crate::test_support::{random_demos, random_mdp};
    use ndarray::Array2;

    fn task(mdp: &Mdp, demos: &Demonstrations, horizon: Option<usize>) -> Task {
        Task {
            mdp: mdp.clone(),
            steps: DemoSteps::new(demos, horizon, Alignment::Start).unwrap(),
        }
    }

    #[test]
    fn the_memory_check_counts_the_value_rows_of_every_task() {
        // Three tasks of 7 states over T = 5: each keeps 6 rows of 7 values (336 B)
        // from one evaluation to the next, 1008 B in all on any number of threads.
        let tasks: Vec<Task> = (0..3)
            .map(|seed| {
                let mdp = random_mdp(seed, 7, 3, 2, 2, false, &[]);
                task(&mdp, &random_demos(&mdp, seed, &[3]), Some(5))
            })
            .collect();
        let params = FitParams {
            settings: SoftSettings {
                memory_limit: MemoryLimit::Bytes(1),
                ..SoftSettings::finite(5, 1.0)
            },
            ..FitParams::default()
        };
        let message = params
            .fit_tasks(tasks, |_: FitProgress<'_>| {})
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("this fit would need") && message.contains("values 1008 B"),
            "{message}"
        );
    }

    #[test]
    fn a_prior_weight_past_the_largest_accepted_is_refused_before_any_pass() {
        let mdp = random_mdp(4, 6, 2, 2, 2, false, &[]);
        let demos = random_demos(&mdp, 4, &[3, 2]);
        for l2 in [1e101, 1e308] {
            let params = FitParams {
                l2,
                ..FitParams::new(SoftSettings::finite(5, 1.0))
            };
            let message = params.fit(&mdp, &demos).unwrap_err().to_string();
            assert!(
                message.contains("invalid parameter `l2`") && message.contains("above 1e100"),
                "{message}"
            );
        }
        let pinned = FitParams {
            l2: MAX_L2,
            ..FitParams::new(SoftSettings::finite(5, 1.0))
        };
        let model = pinned.fit(&mdp, &demos).unwrap();
        assert!(
            model.weights.iter().all(|w| w.abs() < 1e-90),
            "{:?}",
            model.weights
        );
        let records = &model.training.as_ref().unwrap().iterations;
        assert!(records
            .iter()
            .all(|r| r.objective.is_finite() && r.gradient_norm.is_finite()));
    }

    #[test]
    fn tasks_must_be_arranged_for_the_fit_horizon() {
        let mdp = random_mdp(4, 6, 2, 2, 2, false, &[]);
        let demos = random_demos(&mdp, 4, &[3, 2]);
        let params = FitParams::new(SoftSettings::finite(5, 1.0));
        let message = params
            .fit_tasks(vec![task(&mdp, &demos, Some(4))], |_: FitProgress<'_>| {})
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("arranged for horizon 4 but the solver has horizon 5"),
            "{message}"
        );
        let message = params
            .fit_tasks(vec![task(&mdp, &demos, None)], |_: FitProgress<'_>| {})
            .unwrap_err()
            .to_string();
        assert!(message.contains("arranged for no horizon"), "{message}");
    }

    #[test]
    fn recovers_weights_from_many_sampled_demonstrations() {
        let mdp = random_mdp(3, 12, 3, 3, 3, false, &[]);
        let truth = Array1::from(vec![1.0, -0.5, 0.8]);
        let settings = SoftSettings::finite(8, 1.0);
        let problem = SoftProblem::new(
            &mdp,
            mdp.features().reward(truth.view(), 3),
            settings.clone(),
        );
        let values = backward(&problem).unwrap();
        let demos = sample(&problem, &values, 4000, 8, None, 5);
        let params = FitParams {
            settings,
            l2: 0.0,
            ..FitParams::default()
        };
        let model = params.fit(&mdp, &demos).unwrap();
        assert!(
            model.training.as_ref().unwrap().converged,
            "{}",
            model.training.as_ref().unwrap().stop_reason
        );
        let se = model.standard_errors.clone().unwrap();
        for k in 0..3 {
            let z = (model.weights[k] - truth[k]) / se[k];
            assert!(
                z.abs() < 4.0,
                "weight {k}: {} vs {} (se {})",
                model.weights[k],
                truth[k],
                se[k]
            );
            assert!(se[k] < 0.2, "se {k} = {}", se[k]);
        }
        let objective = &model.training.as_ref().unwrap().iterations;
        assert!(objective.last().unwrap().objective < objective[0].objective);
        assert!(objective
            .iter()
            .enumerate()
            .all(|(i, record)| record.iteration == i as u64));
    }

    /// Deterministic dynamics, γ = 1 and demonstrations that span the horizon: at the
    /// unregularised optimum the classic demonstrated and expected feature counts agree.
    #[test]
    fn classic_feature_counts_match_at_the_optimum() {
        // A 4-state ring: action 0 stays, action 1 moves on; two state features.
        let n = 4;
        let (mut s, mut a, mut s_next) = (vec![], vec![], vec![]);
        for state in 0..n {
            s.extend([state, state]);
            a.extend([0, 1]);
            s_next.extend([state, (state + 1) % n]);
        }
        let transitions =
            Transitions::from_arrays(n, 2, &s, &a, &s_next, &vec![1.0; 2 * n]).unwrap();
        let f =
            Array2::from_shape_vec((n, 2), vec![1.0, 0.0, 0.0, 1.0, 0.5, 0.5, 0.0, 0.0]).unwrap();
        let mdp = Mdp::new(MdpParts {
            transitions,
            initial: None,
            terminal: vec![],
            features: Features::new(vec!["a".into(), "b".into()], FeatureTable::State(f)).unwrap(),
            action_names: None,
            grid: None,
        })
        .unwrap();
        let demos = crate::test_support::random_demos(&mdp, 9, &[5; 40]);
        let horizon = 5;
        let settings = SoftSettings::finite(horizon, 1.0);
        let params = FitParams {
            settings: settings.clone(),
            l2: 0.0,
            gradient_tolerance: 1e-8,
            objective_tolerance: 0.0,
            ..FitParams::default()
        };
        let model = params.fit(&mdp, &demos).unwrap();
        assert_eq!(
            model.training.as_ref().unwrap().stop_reason,
            super::GRADIENT_SMALL
        );
        let theta = Array1::from(model.weights.clone());
        // Expected counts: forward pass from the demonstrations' start states.
        let mut start = vec![0.0; n];
        for t in &demos.trajectories {
            start[t.states[0]] += 1.0 / demos.len() as f64;
        }
        let problem = SoftProblem::new(&mdp, mdp.features().reward(theta.view(), 2), settings);
        let values = backward(&problem).unwrap();
        let expected = forward(&problem, &values, &start, false)
            .unwrap()
            .expected_features;
        for (k, expected_k) in expected.iter().enumerate() {
            let demonstrated: f64 = demos
                .trajectories
                .iter()
                .flat_map(|t| t.steps())
                .map(|(s, _)| mdp.features().get(s, 0, k))
                .sum::<f64>()
                / demos.len() as f64;
            assert!(
                (demonstrated - expected_k).abs() < 1e-6,
                "feature {k}: {demonstrated} vs {expected_k}"
            );
        }
    }
}
