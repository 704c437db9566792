//! The fitting objective as an argmin problem.
//!
//! Minimised: J(θ) = (NLL(θ) + λ‖θ‖²) / n, the negative log-posterior under a Gaussian
//! prior, per demonstrated action (n actions in all), so tolerances mean the same for any
//! amount of data while the prior's pull still shrinks as demonstrations accumulate.
//! ∇J = (∇NLL + 2λθ) / n.
//!
//! The demonstrations may be split into tasks that share θ but differ in their MDP (for
//! goal-conditioned fitting, one task per goal with that goal terminal); the tasks'
//! likelihoods are evaluated in parallel and added.
//!
//! argmin asks for the cost and the gradient separately at the same θ; the last
//! evaluation is cached so one backward + forward pass per task serves both. Each task's
//! value rows are kept between evaluations and the next backward pass writes into them
//! (see [`backward_reusing`](crate::inference::backward_reusing)); the evaluation holds
//! them at its peak anyway. The kernels' layout of the transitions (O(nnz) to build) is
//! built once, when the objective is, for each distinct set of transitions: tasks whose
//! MDPs share their transitions (one per goal, see [`goal_tasks`](super::goal_tasks))
//! share one layout, which does not depend on the terminal states.

use std::sync::{Arc, Mutex};

use argmin::core::{CostFunction, Error as ArgminError, Gradient};
use ndarray::{Array1, ArrayView1};
use rayon::prelude::*;

use super::demo_steps::DemoSteps;
use super::likelihood::nll_and_gradient_reusing;
use crate::error::{Error, Result};
use crate::inference::{KernelLayout, SoftSettings, SoftValues};
use crate::mdp::Mdp;

/// One group of demonstrations with the MDP they were recorded in.
#[derive(Debug, Clone)]
pub struct Task {
    pub mdp: Mdp,
    pub steps: DemoSteps,
}

/// Objective value and gradient at one θ.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectiveValue {
    pub theta: Array1<f64>,
    /// NLL(θ): −Σ log π over all demonstrated actions.
    pub nll: f64,
    /// ∇NLL(θ).
    pub nll_gradient: Array1<f64>,
    /// J(θ) = (NLL + λ‖θ‖²)/n.
    pub cost: f64,
    /// ∇J(θ).
    pub gradient: Array1<f64>,
}

/// The negative log-posterior per action of demonstrations split into tasks.
#[derive(Debug)]
pub struct Objective {
    tasks: Vec<Task>,
    /// The kernels' layout of each task's transitions, one per distinct transitions.
    layouts: Vec<Arc<KernelLayout>>,
    settings: SoftSettings,
    l2: f64,
    n_actions: usize,
    last: Mutex<Option<ObjectiveValue>>,
    evaluations: Mutex<usize>,
    /// The value rows of the last evaluation, one entry per task.
    spare_values: Mutex<Vec<Option<SoftValues>>>,
    /// The first error of an evaluation the optimiser asked for that stops the fit:
    /// argmin keeps only its text (and a failed line search, not even the problem).
    failure: Mutex<Option<Error>>,
}

impl Objective {
    /// Build from tasks (at least one, with at least one action in all).
    pub fn new(tasks: Vec<Task>, settings: SoftSettings, l2: f64) -> Self {
        let n_actions = tasks.iter().map(|t| t.steps.n_actions()).sum();
        let mut layouts: Vec<Arc<KernelLayout>> = Vec::with_capacity(tasks.len());
        for task in &tasks {
            let layout = match layouts.iter().find(|layout| layout.is_for(&task.mdp)) {
                Some(shared) => Arc::clone(shared),
                None => Arc::new(KernelLayout::new(&task.mdp)),
            };
            layouts.push(layout);
        }
        Self {
            tasks,
            layouts,
            settings,
            l2,
            n_actions,
            last: Mutex::new(None),
            evaluations: Mutex::new(0),
            spare_values: Mutex::new(Vec::new()),
            failure: Mutex::new(None),
        }
    }

    /// The error that stopped the optimiser, if one of its evaluations failed with an
    /// error other than the soft values' divergence or overflow.
    pub fn take_failure(&self) -> Option<Error> {
        self.failure.lock().expect("unpoisoned").take()
    }

    /// Keep `error` as the optimiser's failure (the first one stays) and give argmin its
    /// text.
    fn fail(&self, error: Error) -> ArgminError {
        let text = error.to_string();
        self.failure
            .lock()
            .expect("unpoisoned")
            .get_or_insert(error);
        ArgminError::msg(text)
    }

    /// Total number of demonstrated actions n.
    pub fn n_actions(&self) -> usize {
        self.n_actions
    }

    /// λ.
    pub fn l2(&self) -> f64 {
        self.l2
    }

    /// The solver settings.
    pub fn settings(&self) -> &SoftSettings {
        &self.settings
    }

    /// The tasks.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// Number of distinct θ evaluated so far.
    pub fn evaluations(&self) -> usize {
        *self.evaluations.lock().expect("unpoisoned")
    }

    /// Evaluate at θ, reusing the cached value when θ is the last one evaluated.
    pub fn evaluate(&self, theta: ArrayView1<f64>) -> Result<ObjectiveValue> {
        if let Some(cached) = self.last.lock().expect("unpoisoned").as_ref() {
            if cached.theta == theta {
                return Ok(cached.clone());
            }
        }
        // With several tasks the parallelism is across tasks, each solved on one thread:
        // nesting rayon inside every step of every task costs more in wake-ups than the
        // small per-task grids gain (the results are the same either way).
        let per_task = SoftSettings {
            parallel: self.settings.parallel && self.tasks.len() == 1,
            ..self.settings.clone()
        };
        let mut spares = std::mem::take(&mut *self.spare_values.lock().expect("unpoisoned"));
        spares.resize_with(self.tasks.len(), || None);
        let parts = self
            .tasks
            .par_iter()
            .zip(&self.layouts)
            .zip(spares)
            .map(|((task, layout), spare)| {
                nll_and_gradient_reusing(&task.mdp, layout, &per_task, &task.steps, theta, spare)
            })
            .collect::<Vec<Result<_>>>();
        // A task that failed loses its values; the others keep theirs for the next start.
        if parts.iter().any(|part| part.is_err()) {
            let mut first_error = None;
            let kept = parts
                .into_iter()
                .map(|part| match part {
                    Ok(part) => Some(part.values),
                    Err(e) => {
                        first_error.get_or_insert(e);
                        None
                    }
                })
                .collect();
            *self.spare_values.lock().expect("unpoisoned") = kept;
            return Err(first_error.expect("a task failed"));
        }
        let parts: Vec<_> = parts
            .into_iter()
            .map(|part| part.expect("checked"))
            .collect();
        let k = theta.len();
        let mut nll = 0.0;
        let mut nll_gradient = Array1::zeros(k);
        for part in &parts {
            nll += part.nll;
            nll_gradient += &ArrayView1::from(&part.gradient);
        }
        let n = self.n_actions as f64;
        let penalty = self.l2 * theta.dot(&theta);
        let cost = (nll + penalty) / n;
        let gradient = (&nll_gradient + &(&theta * (2.0 * self.l2))) / n;
        if !(cost.is_finite() && gradient.iter().all(|g| g.is_finite())) {
            return Err(Error::Overflow {
                what: "the fit's objective",
                message: format!(
                    "at a θ of largest weight {:e}, NLL = {nll:e}, λ‖θ‖² = {penalty:e} (λ = {:e}) \
                     give J = {cost:e} and a gradient of largest entry {:e}",
                    theta.iter().fold(0.0f64, |m, w| m.max(w.abs())),
                    self.l2,
                    gradient.iter().fold(0.0f64, |m, g| m.max(g.abs()))
                ),
            });
        }
        let value = ObjectiveValue {
            theta: theta.to_owned(),
            nll,
            nll_gradient,
            cost,
            gradient,
        };
        *self.spare_values.lock().expect("unpoisoned") =
            parts.into_iter().map(|part| Some(part.values)).collect();
        *self.last.lock().expect("unpoisoned") = Some(value.clone());
        *self.evaluations.lock().expect("unpoisoned") += 1;
        Ok(value)
    }
}

/// The cost of a θ whose soft values diverge or overflow.
pub const DIVERGENT_COST: f64 = 1e10;

impl CostFunction for &Objective {
    type Param = Array1<f64>;
    type Output = f64;

    /// A θ whose soft values do not converge (an undiscounted problem whose steps cost
    /// too little) or leave the range of a double (a step far too long) costs
    /// [`DIVERGENT_COST`], so that a line search backs off from it (a finite number keeps
    /// the line search's interpolation finite).
    fn cost(&self, theta: &Self::Param) -> std::result::Result<f64, ArgminError> {
        match self.evaluate(theta.view()) {
            Ok(value) => Ok(value.cost),
            Err(Error::NotConverged { .. } | Error::Overflow { .. }) => Ok(DIVERGENT_COST),
            Err(e) => Err(self.fail(e)),
        }
    }
}

impl Gradient for &Objective {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;

    /// Where the cost is [`DIVERGENT_COST`] the gradient is taken as 0.
    fn gradient(&self, theta: &Self::Param) -> std::result::Result<Array1<f64>, ArgminError> {
        match self.evaluate(theta.view()) {
            Ok(value) => Ok(value.gradient),
            Err(Error::NotConverged { .. } | Error::Overflow { .. }) => {
                Ok(Array1::zeros(theta.len()))
            }
            Err(e) => Err(self.fail(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::{goal_mdp, nll_and_gradient, Alignment};
    use crate::test_support::{random_demos, random_mdp};

    #[test]
    fn goal_tasks_share_one_layout_and_evaluate_as_with_their_own() {
        let mdp = random_mdp(5, 7, 3, 2, 3, false, &[]);
        let other = random_mdp(6, 7, 3, 2, 3, false, &[1]);
        let task = |mdp: Mdp, seed: u64| {
            let demos = random_demos(&mdp, seed, &[4, 2]);
            let steps = DemoSteps::new(&demos, Some(5), Alignment::Start).unwrap();
            Task { mdp, steps }
        };
        let tasks = vec![
            task(
                goal_mdp(&mdp, &crate::learn::Goal::state(2, 0)).unwrap(),
                11,
            ),
            task(
                goal_mdp(&mdp, &crate::learn::Goal::state(4, 0)).unwrap(),
                12,
            ),
            task(other.clone(), 13),
        ];
        let settings = SoftSettings::finite(5, 0.9);
        let objective = Objective::new(tasks.clone(), settings.clone(), 0.1);
        let layouts = &objective.layouts;
        assert!(Arc::ptr_eq(&layouts[0], &layouts[1]));
        assert!(!Arc::ptr_eq(&layouts[0], &layouts[2]));
        assert!(layouts[0].is_for(&mdp) && layouts[2].is_for(&other));
        // Each task alone, with a layout of its own, gives the same sums bit for bit.
        let theta = Array1::from(vec![0.4, -1.0, 0.7]);
        let value = objective.evaluate(theta.view()).unwrap();
        let (mut nll, mut gradient) = (0.0, Array1::zeros(3));
        for task in &tasks {
            let alone = nll_and_gradient(&task.mdp, &settings, &task.steps, theta.view()).unwrap();
            nll += alone.nll;
            gradient += &Array1::from(alone.gradient);
        }
        assert_eq!((value.nll, value.nll_gradient), (nll, gradient));
    }

    #[test]
    fn an_evaluation_after_another_is_the_same_as_a_fresh_one() {
        let tasks: Vec<Task> = [(5, &[][..]), (6, &[2][..])]
            .into_iter()
            .map(|(seed, terminal)| {
                let mdp = random_mdp(seed, 7, 3, 2, 3, false, terminal);
                let demos = random_demos(&mdp, seed + 10, &[4, 2, 5]);
                let steps = DemoSteps::new(&demos, Some(5), Alignment::Start).unwrap();
                Task { mdp, steps }
            })
            .collect();
        let settings = SoftSettings::finite(5, 0.95);
        let objective = Objective::new(tasks.clone(), settings.clone(), 0.1);
        let (first, second) = (
            Array1::from(vec![1.0, -2.0, 0.5]),
            Array1::from(vec![-0.3, 0.8, 1.1]),
        );
        objective.evaluate(first.view()).unwrap();
        let value = objective.evaluate(second.view()).unwrap();
        assert_eq!(objective.evaluations(), 2);
        let mut nll = 0.0;
        let mut gradient = Array1::zeros(3);
        for task in &tasks {
            let fresh = nll_and_gradient(&task.mdp, &settings, &task.steps, second.view()).unwrap();
            nll += fresh.nll;
            gradient += &Array1::from(fresh.gradient);
        }
        assert_eq!(value.nll, nll);
        assert_eq!(value.nll_gradient, gradient);
    }

    /// A θ whose soft values overflow costs [`DIVERGENT_COST`], so that a line search
    /// backs off; any other error of an evaluation is kept for the fit to report as
    /// itself (argmin keeps only its text), the first one only.
    #[test]
    fn an_overflow_costs_the_divergent_cost_and_any_other_error_is_kept() {
        let mdp = random_mdp(5, 7, 3, 2, 3, false, &[]);
        let demos = random_demos(&mdp, 3, &[4, 2]);
        let steps = DemoSteps::new(&demos, Some(5), Alignment::Start).unwrap();
        let (s, a) = demos.trajectories[0].steps().next().unwrap();
        let task = Task {
            mdp: mdp.clone(),
            steps,
        };
        let objective = Objective::new(vec![task.clone()], SoftSettings::finite(5, 1.0), 0.1);
        let huge = Array1::from(vec![1e308, -1e308, 1e308]);
        assert_eq!((&objective).cost(&huge).unwrap(), DIVERGENT_COST);
        assert_eq!(
            (&objective).gradient(&huge).unwrap(),
            Array1::<f64>::zeros(3)
        );
        assert!(objective.take_failure().is_none());
        // A prior that forbids a demonstrated action: the likelihood is 0 at every θ.
        let mut rho = ndarray::Array2::ones((7, 3));
        rho[[s, a]] = 0.0;
        let forbidding = SoftSettings {
            action_prior: crate::inference::ActionPrior::PerState(rho),
            ..SoftSettings::finite(5, 1.0)
        };
        let objective = Objective::new(vec![task], forbidding, 0.1);
        let zero = Array1::<f64>::zeros(3);
        let text = (&objective).cost(&zero).unwrap_err().to_string();
        assert!(text.contains("probability 0"), "{text}");
        assert!((&objective).gradient(&Array1::ones(3)).is_err());
        let kept = objective.take_failure().expect("the failure is kept");
        assert_eq!(kept.to_string(), text);
        assert!(matches!(kept, Error::Numerical { .. }), "{kept}");
        assert!(objective.take_failure().is_none());
    }
}
