//! Held-out evaluation of a fitted reward on demonstrations it never saw.
//!
//! For the soft-optimal policy π of r = θ·f under the model's solver settings:
//! - NLL per action: −Σ log π_t(a|s) / (number of actions); per trajectory: the same sum
//!   divided by the number of trajectories.
//! - Action accuracy: the share of steps whose demonstrated action is the most likely one
//!   (ties count for the lowest-numbered action).
//! - Feature residual: ‖∇_θ NLL‖₂·α / n, the per-action mismatch of demonstrated and
//!   expected feature counts (see [`likelihood`](crate::learn::nll_and_gradient)).
//! - With the true reward r*: the NLL per action under r*, and the expected value
//!   difference v(π*) − v(π̂) of the soft-optimal policies of r* and of r̂ under the same
//!   solver settings, each valued under r* from p0 exactly as Σ_{s,a} occupancy(s,a)·r*(s,a)
//!   (a forward pass each).

use std::sync::Arc;

use ndarray::ArrayView1;
use serde::Serialize;

use crate::demos::Demonstrations;
use crate::error::{Error, Result};
use crate::inference::{
    backward, state_action_occupancy, KernelLayout, MemoryEstimate, SoftProblem, SoftSettings,
    SoftValues,
};
use crate::learn::{
    goal_mdp, group_by_goal, nll_and_gradient_reusing, Alignment, DemoSteps, FittedModel, Goal,
    GoalRule,
};
use crate::mdp::{Mdp, Reward};
use rayon::prelude::*;

/// Held-out metrics, serialised as the JSON `irl evaluate` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldOutMetrics {
    pub n_trajectories: usize,
    pub n_actions: usize,
    pub nll_per_action: f64,
    pub nll_per_trajectory: f64,
    pub action_accuracy: f64,
    pub feature_residual: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_nll_per_action: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_value_difference: Option<f64>,
}

/// Σ log π and the number of correctly predicted actions for `demos` under `values`.
pub fn score(
    problem: &SoftProblem,
    values: &SoftValues,
    demos: &Demonstrations,
    alignment: Alignment,
) -> (f64, usize) {
    let n_actions = problem.mdp().n_actions();
    let horizon = problem.settings().horizon;
    let mut q = vec![0.0; n_actions];
    let mut log_pi = vec![0.0; n_actions];
    let (mut log_likelihood, mut correct) = (0.0, 0);
    for traj in &demos.trajectories {
        let offset = match (horizon, alignment) {
            (Some(h), Alignment::OwnHorizon) => h.saturating_sub(traj.len()),
            _ => 0,
        };
        for (t, (s, a)) in traj.steps().enumerate() {
            problem.q_values(s, values.next(offset + t), &mut q);
            problem.log_policy_from_q(s, &q, &mut log_pi);
            log_likelihood += log_pi[a];
            let best = log_pi
                .iter()
                .copied()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, v)| {
                    if v > bv {
                        (i, v)
                    } else {
                        (bi, bv)
                    }
                })
                .0;
            correct += usize::from(best == a);
        }
    }
    (log_likelihood, correct)
}

/// Evaluate weights `theta` on held-out `demos` (already validated against `mdp`).
pub fn evaluate(
    mdp: &Mdp,
    settings: &SoftSettings,
    alignment: Alignment,
    theta: ArrayView1<f64>,
    demos: &Demonstrations,
    true_reward: Option<&Reward>,
) -> Result<HeldOutMetrics> {
    let mut memory = MemoryEstimate::solve(mdp, settings, false);
    if true_reward.is_some() {
        // The true reward's values are held beside the fitted ones.
        memory.merge(&MemoryEstimate::value_rows(mdp, settings));
    }
    memory.check("this evaluation", settings.memory_limit)?;
    let steps = DemoSteps::new(demos, settings.horizon, alignment)?;
    let layout = Arc::new(KernelLayout::new(mdp));
    let fitted = nll_and_gradient_reusing(mdp, &layout, settings, &steps, theta, None)?;
    let n = steps.n_actions();
    let problem = SoftProblem::with_layout(
        mdp,
        Arc::clone(&layout),
        mdp.features().reward(theta, mdp.n_actions()),
        settings.clone(),
    );
    let (_, correct) = score(&problem, &fitted.values, demos, alignment);
    let residual =
        fitted.gradient.iter().map(|g| g * g).sum::<f64>().sqrt() * settings.temperature / n as f64;
    let mut metrics = HeldOutMetrics {
        n_trajectories: demos.len(),
        n_actions: n,
        nll_per_action: fitted.nll / n as f64,
        nll_per_trajectory: fitted.nll / demos.len() as f64,
        action_accuracy: correct as f64 / n as f64,
        feature_residual: residual,
        true_nll_per_action: None,
        expected_value_difference: None,
    };
    if let Some(true_reward) = true_reward {
        let true_problem =
            SoftProblem::with_layout(mdp, layout, true_reward.clone(), settings.clone());
        let true_values = backward(&true_problem)?;
        let (true_log_likelihood, _) = score(&true_problem, &true_values, demos, alignment);
        metrics.true_nll_per_action = Some(-true_log_likelihood / n as f64);
        let value_of = |problem: &SoftProblem, values: &SoftValues| -> Result<f64> {
            let occupancy = state_action_occupancy(problem, values, mdp.initial())?;
            let n_actions = mdp.n_actions();
            Ok(occupancy
                .iter()
                .enumerate()
                .map(|(row, o)| {
                    if *o == 0.0 {
                        0.0
                    } else {
                        o * true_reward.get(row / n_actions, row % n_actions)
                    }
                })
                .sum())
        };
        metrics.expected_value_difference =
            Some(value_of(&true_problem, &true_values)? - value_of(&problem, &fitted.values)?);
    }
    Ok(metrics)
}

/// Evaluate a goal-conditioned model: each held-out demonstration is scored in the MDP
/// where its own last state is the goal (see [`group_by_goal`]), and the sums over goals
/// give the metrics. Goals are solved in parallel, and share one kernels' layout of the
/// transitions (the goals' MDPs differ only in their terminal states).
pub fn evaluate_by_goal(
    mdp: &Mdp,
    settings: &SoftSettings,
    alignment: Alignment,
    theta: ArrayView1<f64>,
    demos: &Demonstrations,
    goals: &[Goal],
    rule: GoalRule,
) -> Result<HeldOutMetrics> {
    let groups = group_by_goal(mdp, demos, goals, rule)?;
    // Goals are evaluated in parallel, one per thread.
    let per_goal = MemoryEstimate::solve(mdp, settings, false);
    let mut memory = MemoryEstimate::default();
    for _ in 0..rayon::current_num_threads().min(groups.len()) {
        memory.merge(&per_goal);
    }
    memory.check("this evaluation", settings.memory_limit)?;
    let layout = Arc::new(KernelLayout::new(mdp));
    let parts = groups
        .par_iter()
        .map(|group| {
            let task_mdp = goal_mdp(mdp, &group.goal)?;
            let steps = DemoSteps::new(&group.demos, settings.horizon, alignment)?;
            let fitted =
                nll_and_gradient_reusing(&task_mdp, &layout, settings, &steps, theta, None)?;
            let reward = task_mdp.features().reward(theta, task_mdp.n_actions());
            let problem =
                SoftProblem::with_layout(&task_mdp, Arc::clone(&layout), reward, settings.clone());
            let (_, correct) = score(&problem, &fitted.values, &group.demos, alignment);
            Ok((fitted.nll, fitted.gradient, correct, steps.n_actions()))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut gradient = vec![0.0; theta.len()];
    let (mut nll, mut correct, mut n) = (0.0, 0, 0);
    for (part_nll, part_gradient, part_correct, part_n) in parts {
        nll += part_nll;
        gradient
            .iter_mut()
            .zip(&part_gradient)
            .for_each(|(g, p)| *g += p);
        correct += part_correct;
        n += part_n;
    }
    let n_trajectories = groups.iter().map(|g| g.demos.len()).sum::<usize>();
    Ok(HeldOutMetrics {
        n_trajectories,
        n_actions: n,
        nll_per_action: nll / n as f64,
        nll_per_trajectory: nll / n_trajectories as f64,
        action_accuracy: correct as f64 / n as f64,
        feature_residual: gradient.iter().map(|g| g * g).sum::<f64>().sqrt() * settings.temperature
            / n as f64,
        true_nll_per_action: None,
        expected_value_difference: None,
    })
}

/// Score a fitted model on held-out `demos` (validated against `mdp`) under the settings
/// and alignment it was fitted with: each demonstration in its own goal's MDP for a
/// goal-conditioned model ([`evaluate_by_goal`]), in `mdp` as it is otherwise
/// ([`evaluate`], which also compares with `true_reward` when it is known).
pub fn evaluate_model(
    mdp: &Mdp,
    model: &FittedModel,
    demos: &Demonstrations,
    true_reward: Option<&Reward>,
) -> Result<HeldOutMetrics> {
    model.check_mdp(mdp)?;
    if model.is_goal_conditioned() {
        if true_reward.is_some() {
            return Err(Error::param(
                "true_reward",
                "a true reward cannot be compared with a goal-conditioned model",
            ));
        }
        evaluate_by_goal(
            mdp,
            &model.settings,
            model.alignment,
            model.theta(),
            demos,
            &model.goals,
            model.goal_rule,
        )
    } else {
        evaluate(
            mdp,
            &model.settings,
            model.alignment,
            model.theta(),
            demos,
            true_reward,
        )
    }
}
