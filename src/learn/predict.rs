//! Prediction with inferred destinations: goal posteriors, occupancies and samples.
//!
//! A goal-conditioned model fitted without a horizon has one stationary soft-optimal
//! policy π_g per goal g, that of the MDP with g's states terminal. Given the observed
//! steps (s_0, a_0, …, s_{k−1}, a_{k−1}) and the current state s_k of a walker, the
//! posterior over the goals is
//!
//!   P(g | prefix) ∝ P(g) · Π_t π_g(a_t | s_t),
//!
//! with P(g) the goals' training frequencies. A goal whose states the prefix has already
//! passed through (s_t ∈ g for t ≤ k: the walker would have stopped there) has likelihood 0.
//! The forecast of the next steps is the posterior mixture: the per-step distribution over
//! states D_t = Σ_g P(g | prefix)·D_t^g, where D^g starts at s_k and moves by π_g; mass that
//! arrives in g stays there (the walker has arrived). Samples draw g from the posterior,
//! then each action from π_g. The predictive probability of the next action is
//! Σ_g P(g | prefix)·π_g(a | s), which scores a model that does not know the goal.
//!
//! Each goal's policy is S × A numbers; the policies are solved in parallel. Their memory,
//! and that of a forecast's per-step rows and samples, is checked before it is allocated
//! ([`GoalPolicies::new`], [`GoalPolicies::prediction_memory`]).

use std::sync::Arc;

use rand::Rng;
use rayon::prelude::*;

use super::goals::{goal_mdp, goal_of, Goal, GoalRule};
use super::model::FittedModel;
use crate::error::{Error, Result};
use crate::inference::{
    backward, draw, name_weights, product, q_and_policy, KernelLayout, MemoryEstimate, MemoryLimit,
    SoftProblem,
};
use crate::mdp::Mdp;

/// The stationary policies of a model's goals on an MDP.
#[derive(Debug, Clone)]
pub struct GoalPolicies {
    goals: Vec<Goal>,
    prior: Vec<f64>,
    /// π_g(a|s) at row s·A + a, per goal.
    policies: Vec<Vec<f64>>,
    mdp: Mdp,
    /// The model's memory limit, which forecasts with these policies keep to.
    memory_limit: MemoryLimit,
    /// The model's training goals and goal rule, which say where a track is going.
    training_goals: Vec<Goal>,
    goal_rule: GoalRule,
}

/// The smallest mass a forecast follows into a state.
pub const NEGLIGIBLE_MASS: f64 = 1e-9;

/// A distribution over states, as (state, probability) pairs.
pub type Occupancy = Vec<(usize, f64)>;

impl GoalPolicies {
    /// Solve the policy of each of `goals` (weighted by their counts) for `model` on `mdp`.
    pub fn new(model: &FittedModel, mdp: &Mdp, goals: &[Goal]) -> Result<Self> {
        model.check_mdp(mdp)?;
        if model.settings.horizon.is_some() {
            return Err(Error::param(
                "model",
                "destination inference needs a stationary model (fitted without a horizon)",
            ));
        }
        if goals.is_empty() {
            return Err(Error::param("goals", "there are no goals to infer"));
        }
        policies_memory(model, mdp, goals.len())
            .check("the goals' policies", model.settings.memory_limit)?;
        let layout = Arc::new(KernelLayout::new(mdp));
        let policies = goals
            .par_iter()
            .map(|g| {
                let task = goal_mdp(mdp, g)?;
                let reward = task.features().reward(model.theta(), task.n_actions());
                let problem = SoftProblem::with_layout(
                    &task,
                    Arc::clone(&layout),
                    reward,
                    model.settings.clone(),
                );
                let values = backward(&problem)
                    .map_err(|e| name_weights(e, model.theta(), mdp.features().names()))?;
                let (_, pi) = q_and_policy(&problem, &values);
                Ok(pi.into_raw_vec_and_offset().0)
            })
            .collect::<Result<Vec<_>>>()?;
        let total: f64 = goals.iter().map(|g| g.count as f64).sum();
        let prior = if total > 0.0 {
            goals.iter().map(|g| g.count as f64 / total).collect()
        } else {
            vec![1.0 / goals.len() as f64; goals.len()]
        };
        Ok(Self {
            prior,
            goals: goals.to_vec(),
            policies,
            mdp: mdp.clone(),
            memory_limit: model.settings.memory_limit,
            training_goals: model.goals.clone(),
            goal_rule: model.goal_rule,
        })
    }

    /// The destination of a track that ends in `state`, as the model scores it: the
    /// training goal that holds the state, else the region the model's goal rule draws
    /// around it ([`goal_of`]).
    pub fn destination_of(&self, state: usize) -> Goal {
        goal_of(&self.mdp, &self.training_goals, state, self.goal_rule)
    }

    /// What forecasting `steps` steps with `samples` sampled continuations allocates: the
    /// per-step rows of [`occupancy`](Self::occupancy) (at most every state in a row) and
    /// the paths of [`sample`](Self::sample).
    pub fn prediction_memory(&self, steps: usize, samples: usize) -> MemoryEstimate {
        let (steps, samples) = (steps as u64, samples as u64);
        let row = product(&[self.mdp.n_states() as u64, 16]).saturating_add(24);
        MemoryEstimate::default()
            .with("occupancy rows", product(&[steps, row]))
            .with(
                "sampled paths",
                product(&[samples, steps.saturating_add(3), 8]),
            )
            .because(format!(
                "{steps} steps and {samples} samples make it that large: forecast fewer steps \
                 or draw fewer samples"
            ))
    }

    /// The memory limit of the model the policies were solved for.
    pub fn memory_limit(&self) -> MemoryLimit {
        self.memory_limit
    }

    /// The goals.
    pub fn goals(&self) -> &[Goal] {
        &self.goals
    }

    /// π_g(a | s) for goal index `g`.
    pub fn probability(&self, g: usize, s: usize, a: usize) -> f64 {
        self.policies[g][s * self.mdp.n_actions() + a]
    }

    /// P(g | prefix) for the observed `states` (one more than `actions`).
    pub fn posterior(&self, states: &[usize], actions: &[usize]) -> Vec<f64> {
        let mut log_w: Vec<f64> = self.prior.iter().map(|p| p.ln()).collect();
        for (g, lw) in log_w.iter_mut().enumerate() {
            if states.iter().any(|&s| self.goals[g].contains(s)) {
                *lw = f64::NEG_INFINITY;
                continue;
            }
            for (&s, &a) in states.iter().zip(actions) {
                *lw += self.probability(g, s, a).ln();
            }
        }
        normalise_log(&log_w).unwrap_or_else(|| {
            // No goal explains the prefix (every likelihood is 0): fall back to the prior
            // over the goals not yet passed.
            let current = states.last().copied();
            let w: Vec<f64> = (0..self.goals.len())
                .map(|g| {
                    if current.is_some_and(|s| self.goals[g].contains(s)) {
                        0.0
                    } else {
                        self.prior[g]
                    }
                })
                .collect();
            let total: f64 = w.iter().sum();
            if total > 0.0 {
                w.iter().map(|x| x / total).collect()
            } else {
                self.prior.clone()
            }
        })
    }

    /// Σ_g weights_g · π_g(a | s); in a goal's own states the walker has arrived, and
    /// that goal contributes nothing.
    pub fn mixture_probability(&self, weights: &[f64], s: usize, a: usize) -> f64 {
        weights
            .iter()
            .enumerate()
            .filter(|&(g, &w)| w > 0.0 && !self.goals[g].contains(s))
            .map(|(g, &w)| w * self.probability(g, s, a))
            .sum::<f64>()
            / weights
                .iter()
                .enumerate()
                .filter(|&(g, _)| !self.goals[g].contains(s))
                .map(|(_, &w)| w)
                .sum::<f64>()
    }

    /// The per-step state distributions D_1 … D_steps from `start` under the mixture
    /// `weights` over the goals. Mass below [`NEGLIGIBLE_MASS`] in a state is dropped as it
    /// spreads (each step's distribution then sums to 1 minus what was dropped).
    pub fn occupancy(&self, weights: &[f64], start: usize, steps: usize) -> Vec<Occupancy> {
        let n = self.mdp.n_states();
        let n_actions = self.mdp.n_actions();
        let mut total = vec![0.0; n];
        let mut next = vec![0.0; n];
        let mut out: Vec<Occupancy> = vec![Vec::new(); steps];
        for (g, &w) in weights.iter().enumerate() {
            if w == 0.0 {
                continue;
            }
            let mut d: Vec<(usize, f64)> = vec![(start, w)];
            for row in out.iter_mut() {
                let mut touched = Vec::new();
                for &(s, p) in &d {
                    if self.goals[g].contains(s) {
                        if next[s] == 0.0 {
                            touched.push(s);
                        }
                        next[s] += p;
                        continue;
                    }
                    let pi = &self.policies[g][s * n_actions..(s + 1) * n_actions];
                    for (a, &pa) in pi.iter().enumerate() {
                        if pa * p < NEGLIGIBLE_MASS {
                            continue;
                        }
                        let (succ, prob) = self.mdp.transitions().successors(s, a);
                        for (&s2, &q) in succ.iter().zip(prob) {
                            let s2 = s2 as usize;
                            if next[s2] == 0.0 {
                                touched.push(s2);
                            }
                            next[s2] += p * pa * q;
                        }
                    }
                }
                d.clear();
                for &s in &touched {
                    d.push((s, next[s]));
                    next[s] = 0.0;
                }
                row.extend(d.iter().copied());
            }
        }
        for row in &mut out {
            for &(s, p) in row.iter() {
                total[s] += p;
            }
            let mut merged: Vec<(usize, f64)> = Vec::with_capacity(row.len());
            for &(s, _) in row.iter() {
                if total[s] != 0.0 {
                    merged.push((s, total[s]));
                    total[s] = 0.0;
                }
            }
            merged.sort_unstable_by_key(|&(s, _)| s);
            *row = merged;
        }
        out
    }

    /// `k` sampled continuations of `steps` states each from `start`: a goal drawn from
    /// `weights`, then actions from its policy; a walker that arrives stays.
    pub fn sample(
        &self,
        weights: &[f64],
        start: usize,
        steps: usize,
        k: usize,
        rng: &mut impl Rng,
    ) -> Vec<Vec<usize>> {
        let n_actions = self.mdp.n_actions();
        (0..k)
            .map(|_| {
                let g = draw(rng, weights.iter().copied());
                let mut s = start;
                let mut path = Vec::with_capacity(steps);
                for _ in 0..steps {
                    if !self.goals[g].contains(s) {
                        let row = &self.policies[g][s * n_actions..(s + 1) * n_actions];
                        let a = draw(rng, row.iter().copied());
                        let (succ, prob) = self.mdp.transitions().successors(s, a);
                        s = succ[draw(rng, prob.iter().copied())] as usize;
                    }
                    path.push(s);
                }
                path
            })
            .collect()
    }
}

/// What the policies of `n_goals` goals take: each goal's S × A policy, kept, and the
/// solves that run at once (one per thread), each with its values, Q and π.
fn policies_memory(model: &FittedModel, mdp: &Mdp, n_goals: usize) -> MemoryEstimate {
    let kept = product(&[
        n_goals as u64,
        mdp.n_states() as u64,
        mdp.n_actions() as u64,
        8,
    ]);
    let mut estimate = MemoryEstimate::default()
        .with("policies", kept)
        .because(format!(
            "{n_goals} goals over {} states and {} actions make it that large: use fewer goals \
             (a larger goal radius) or a smaller MDP",
            mdp.n_states(),
            mdp.n_actions()
        ));
    let solve = MemoryEstimate::solve(mdp, &model.settings, true);
    for _ in 0..rayon::current_num_threads().min(n_goals) {
        estimate.merge(&solve);
    }
    estimate
}

/// exp(x − logsumexp x), or `None` when every x is −∞.
fn normalise_log(log_w: &[f64]) -> Option<Vec<f64>> {
    let max = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY || max.is_nan() {
        return None;
    }
    let w: Vec<f64> = log_w.iter().map(|x| (x - max).exp()).collect();
    let total: f64 = w.iter().sum();
    Some(w.iter().map(|x| x / total).collect())
}
