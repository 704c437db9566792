//! One random world per seed: its two feature sets, its demonstrations and baselines.
//!
//! Baselines, each a mean over a uniform start distribution on all S states (the EVD's
//! own scale, see `irl::eval::expected_value_difference`):
//! - optimal value v* = (1/S) Σ_s V^{π*}_{r*}(s), π* the hard-optimal policy of r*;
//! - soft-optimal value: the same for the soft-optimal (α = 1) policy of r*;
//! - uniform value: the same for the policy that picks every available action with equal
//!   probability, so "uniform hard EVD" = v* − v_uniform is the EVD a learner earns by
//!   learning nothing at all (θ = 0 gives exactly that policy);
//! - the held-out NLL per action of the true reward: the floor for a learner's NLL.

use anyhow::{Context, Result};
use irl::demos::Demonstrations;
use irl::eval::{
    evaluate, evaluate_policy, greedy_policy, hard_value_iteration, soft_optimal_policy,
};
use irl::learn::Alignment;
use irl::mdp::Mdp;
use irl::worlds::{expert_demonstrations, objectworld, place_objects, ObjectFeatures, World};
use ndarray::{Array1, Array2, ArrayView2};
use serde::Serialize;

use crate::design::{Design, FEATURE_SETS, HELDOUT_STREAM, TRAINING_STREAM};

/// Reference values of one world that do not depend on the learner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorldBaseline {
    pub seed: u64,
    pub n_objects: usize,
    /// Mean true reward over states.
    pub mean_true_reward: f64,
    /// Mean over states of the true value of the hard-optimal policy of r*.
    pub optimal_value: f64,
    /// Mean over states of the true value of the soft-optimal policy of r*.
    pub soft_optimal_value: f64,
    /// Mean over states of the true value of the uniform random policy.
    pub uniform_value: f64,
    /// `optimal_value − uniform_value`.
    pub uniform_hard_evd: f64,
    /// `soft_optimal_value − uniform_value`.
    pub uniform_soft_evd: f64,
    /// Held-out NLL per action of the true reward (the expert's own policy).
    pub true_heldout_nll_per_action: f64,
}

/// One seed's world (once per feature set), demonstrations and baselines.
#[derive(Debug, Clone)]
pub struct SeedData {
    pub seed: u64,
    /// The world with each feature set of [`FEATURE_SETS`], in that order.
    pub worlds: Vec<(ObjectFeatures, World)>,
    /// max N training demonstrations; a run with N uses the first N.
    pub training: Demonstrations,
    pub heldout: Demonstrations,
    pub baseline: WorldBaseline,
}

impl SeedData {
    /// Build world `seed` of the design with its demonstrations and baselines.
    pub fn prepare(design: &Design, seed: u64) -> Result<Self> {
        let worlds = FEATURE_SETS
            .iter()
            .map(|&features| Ok((features, objectworld(&design.world_params(features), seed)?)))
            .collect::<Result<Vec<_>>>()
            .with_context(|| format!("building world {seed}"))?;
        let world = &worlds[0].1;
        let truth = world.true_reward();
        let training = expert_demonstrations(
            &world.mdp,
            &truth,
            &design.expert(design.max_demos()),
            TRAINING_STREAM + seed,
        )?;
        let heldout = expert_demonstrations(
            &world.mdp,
            &truth,
            &design.expert(design.heldout_trajectories),
            HELDOUT_STREAM + seed,
        )?;
        let baseline = baseline(design, seed, world, &heldout)
            .with_context(|| format!("baselines of world {seed}"))?;
        Ok(Self {
            seed,
            worlds,
            training,
            heldout,
            baseline,
        })
    }

    /// The first `n` training demonstrations.
    pub fn training_prefix(&self, n: usize) -> Demonstrations {
        Demonstrations::new(self.training.trajectories[..n].to_vec())
    }
}

fn baseline(
    design: &Design,
    seed: u64,
    world: &World,
    heldout: &Demonstrations,
) -> Result<WorldBaseline> {
    let mdp = &world.mdp;
    let truth = world.true_reward();
    let gamma = design.discount;
    let settings = design.evd_settings();
    let mean_value = |policy: ArrayView2<f64>| -> Result<f64> {
        let v = evaluate_policy(mdp, &truth, policy, gamma, &settings.evaluation)?;
        Ok(mean(&v))
    };
    let optimal = hard_value_iteration(mdp, &truth, gamma, &settings.value_iteration)?;
    let optimal_value = mean_value(greedy_policy(mdp, &optimal).view())?;
    let soft_optimal_value = mean_value(soft_optimal_policy(mdp, &truth, gamma)?.view())?;
    let uniform_value = mean_value(uniform_policy(mdp).view())?;
    let true_weights = Array1::from(world.true_weights.weights.clone());
    let true_heldout = evaluate(
        &world.true_mdp()?,
        &design.learner_settings(),
        Alignment::Start,
        true_weights.view(),
        heldout,
        None,
    )?;
    Ok(WorldBaseline {
        seed,
        n_objects: place_objects(&design.world_params(ObjectFeatures::Discrete), seed)?.len(),
        mean_true_reward: mean(&world.true_reward),
        optimal_value,
        soft_optimal_value,
        uniform_value,
        uniform_hard_evd: optimal_value - uniform_value,
        uniform_soft_evd: soft_optimal_value - uniform_value,
        true_heldout_nll_per_action: true_heldout.nll_per_action,
    })
}

/// π(a|s) = 1/|A(s)| for every available action (rows of terminal states stay zero).
pub fn uniform_policy(mdp: &Mdp) -> Array2<f64> {
    let mut policy = Array2::zeros((mdp.n_states(), mdp.n_actions()));
    for s in (0..mdp.n_states()).filter(|&s| !mdp.is_terminal(s)) {
        let share = 1.0 / mdp.n_available(s) as f64;
        for a in (0..mdp.n_actions()).filter(|&a| mdp.available(s, a)) {
            policy[[s, a]] = share;
        }
    }
    policy
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use irl::eval::expected_value_difference;
    use irl::mdp::Reward;

    fn small_design() -> Design {
        Design {
            size: 10,
            object_probability: 0.15,
            demo_counts: vec![3, 6],
            seeds: 1,
            heldout_trajectories: 10,
            ..Design::full()
        }
    }

    /// θ = 0 makes every action tie: the greedy and the soft policy of a constant reward
    /// are both uniform, so the EVD of a zero reward is the uniform-policy baseline.
    #[test]
    fn the_uniform_baseline_is_the_evd_of_a_zero_reward() {
        let design = small_design();
        let data = SeedData::prepare(&design, 3).unwrap();
        let world = &data.worlds[0].1;
        let zero = Reward::per_state(vec![0.0; 100], 5);
        let evd = expected_value_difference(
            &world.mdp,
            &world.true_reward(),
            &zero,
            &design.evd_settings(),
        )
        .unwrap();
        let b = &data.baseline;
        assert!(
            (evd.hard.difference - b.uniform_hard_evd).abs() < 1e-9,
            "{evd:?} {b:?}"
        );
        assert!(
            (evd.soft.difference - b.uniform_soft_evd).abs() < 1e-9,
            "{evd:?} {b:?}"
        );
        assert!((evd.hard.true_policy_value - b.optimal_value).abs() < 1e-9);
        assert!(b.uniform_hard_evd > 0.0 && b.optimal_value >= b.soft_optimal_value);
    }

    #[test]
    fn both_feature_sets_share_the_reward_and_runs_get_nested_demonstrations() {
        let design = small_design();
        let data = SeedData::prepare(&design, 3).unwrap();
        let (discrete, continuous) = (&data.worlds[0], &data.worlds[1]);
        assert_eq!(discrete.0, ObjectFeatures::Discrete);
        assert_eq!(continuous.0, ObjectFeatures::Continuous);
        assert_eq!(discrete.1.true_reward, continuous.1.true_reward);
        assert_eq!(discrete.1.mdp.features().dim(), 4 * 9);
        assert_eq!(continuous.1.mdp.features().dim(), 4);
        assert_eq!(data.training.len(), 6);
        assert_eq!(data.heldout.len(), 10);
        assert_eq!(
            data.training_prefix(3).trajectories[..],
            data.training.trajectories[..3]
        );
        assert!(data.training.trajectories.iter().all(|t| t.len() == 8));
        assert_ne!(data.training.trajectories[0], data.heldout.trajectories[0]);
    }
}
