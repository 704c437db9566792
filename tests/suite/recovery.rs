//! Recovering a known reward from its soft-optimal demonstrations.
//!
//! An 8×8 gridworld (slip 0.2, five actions, 2×2 macro-block features) has a known sparse
//! reward r* = θ*·f. Its soft-optimal expert (β = 1, γ = 0.9, infinite horizon) gives 300
//! training demonstrations of 20 actions, and an independent held-out set of the same size
//! is drawn with another seed. θ̂ is fitted with the solver settings the expert used
//! (infinite horizon, γ = 0.9, α = 1, prior `none`) and λ = 0.01 (the block features sum
//! to 1 in every state, so without a prior a constant shift of θ would be unidentified).
//!
//! The fitted reward must
//! - predict the held-out actions nearly as well as the true reward: NLL per action
//!   within 2 % of the true reward's (`irl::eval::evaluate` reports both);
//! - lead to a policy nearly as good: the soft-optimal policy of r̂, valued under r*, must
//!   earn within 5 % of |value| of what the soft-optimal policy of r* earns, both in
//!   Levine et al.'s expected value difference (uniform start over all states) and in
//!   `evaluate`'s (the model's solver settings, start p0).
//!
//! Neither bar is trivial: the zero reward (a uniformly random policy) misses both, which
//! the test checks too.

use irl::demos::Demonstrations;
use irl::eval::{evaluate, expected_value_difference, EvdSettings, HeldOutMetrics};
use irl::inference::SoftSettings;
use irl::learn::{Alignment, FitParams, FittedModel};
use irl::mdp::Reward;
use irl::worlds::{
    expert_demonstrations, gridworld, ExpertParams, ExpertPolicy, ExpertStart, GridActions,
    GridFeatures, GridworldParams, World,
};
use ndarray::Array1;

const DISCOUNT: f64 = 0.9;

fn world() -> World {
    let params = GridworldParams {
        size: 8,
        actions: GridActions::CardinalAndStay,
        slip: 0.2,
        features: GridFeatures::Blocks { block: 2 },
        reward_density: 0.1,
    };
    gridworld(&params, 1).expect("gridworld")
}

fn demonstrations(world: &World, seed: u64) -> Demonstrations {
    let params = ExpertParams {
        n_trajectories: 300,
        length: 20,
        discount: DISCOUNT,
        policy: ExpertPolicy::Soft { beta: 1.0 },
        start: ExpertStart::Uniform,
    };
    expert_demonstrations(&world.mdp, &world.true_reward(), &params, seed).expect("demos")
}

fn settings() -> SoftSettings {
    SoftSettings::infinite(DISCOUNT)
}

fn fit(world: &World, demos: &Demonstrations) -> FittedModel {
    let params = FitParams {
        settings: settings(),
        l2: 0.01,
        max_features_for_standard_errors: 0,
        ..FitParams::default()
    };
    params.fit(&world.mdp, demos).expect("fit")
}

fn held_out(world: &World, theta: &Array1<f64>, demos: &Demonstrations) -> HeldOutMetrics {
    evaluate(
        &world.mdp,
        &settings(),
        Alignment::Start,
        theta.view(),
        demos,
        Some(&world.true_reward()),
    )
    .expect("evaluate")
}

/// (true policy's value, learned policy's value) of the soft-optimal policies under r*.
fn soft_values(world: &World, theta: &Array1<f64>) -> (f64, f64) {
    let learned = world
        .mdp
        .features()
        .reward(theta.view(), world.mdp.n_actions());
    let evd = expected_value_difference(
        &world.mdp,
        &world.true_reward(),
        &learned,
        &EvdSettings::new(DISCOUNT),
    )
    .expect("expected value difference");
    (evd.soft.true_policy_value, evd.soft.learned_policy_value)
}

/// The optimal policy's value under r* from p0 under `evaluate`'s settings.
fn optimal_value_from_p0(world: &World) -> f64 {
    let reward: Reward = world.true_reward();
    let problem = irl::inference::SoftProblem::new(&world.mdp, reward.clone(), settings());
    let values = irl::inference::backward(&problem).expect("backward");
    let occupancy = irl::inference::state_action_occupancy(&problem, &values, world.mdp.initial())
        .expect("forward");
    let n_actions = world.mdp.n_actions();
    occupancy
        .iter()
        .enumerate()
        .map(|(row, o)| o * reward.get(row / n_actions, row % n_actions))
        .sum()
}

#[test]
fn fitted_reward_predicts_held_out_actions_and_earns_nearly_the_optimal_value() {
    let world = world();
    let training = demonstrations(&world, 11);
    let heldout = demonstrations(&world, 12);
    assert_ne!(training, heldout);
    let model = fit(&world, &training);
    assert!(
        model.training.as_ref().unwrap().converged,
        "{}",
        model.training.as_ref().unwrap().stop_reason
    );
    let theta = Array1::from(model.weights.clone());

    let metrics = held_out(&world, &theta, &heldout);
    let true_nll = metrics.true_nll_per_action.expect("true NLL");
    let nll_gap = (metrics.nll_per_action - true_nll) / true_nll;
    assert!(
        nll_gap.abs() <= 0.02,
        "held-out NLL per action {} vs the true reward's {true_nll} ({:+.2} %)",
        metrics.nll_per_action,
        100.0 * nll_gap
    );

    let (optimal, learned) = soft_values(&world, &theta);
    assert!(
        optimal - learned <= 0.05 * optimal.abs(),
        "soft EVD: the learned reward's policy earns {learned}, the true reward's {optimal}"
    );
    let optimal_p0 = optimal_value_from_p0(&world);
    let evd = metrics.expected_value_difference.expect("EVD");
    eprintln!(
        "θ* {:?}\nθ̂ {:?}\nheld-out NLL/action {} (true {true_nll}); soft values {learned} vs {optimal}; \
         evaluate EVD {evd} of {optimal_p0}; {} iterations, {:.2} s",
        world.true_weights.weights,
        model.weights,
        metrics.nll_per_action,
        model.training.as_ref().unwrap().iterations.len() - 1,
        model.training.as_ref().unwrap().seconds
    );
    assert!(
        evd <= 0.05 * optimal_p0.abs(),
        "evaluate's EVD {evd} against an optimal value of {optimal_p0}"
    );
}

#[test]
fn the_zero_reward_misses_both_bars() {
    let world = world();
    let heldout = demonstrations(&world, 12);
    let zero = Array1::zeros(world.mdp.features().dim());
    let metrics = held_out(&world, &zero, &heldout);
    let true_nll = metrics.true_nll_per_action.expect("true NLL");
    assert!(
        (metrics.nll_per_action - (5.0f64).ln()).abs() < 1e-12,
        "a zero reward gives uniform actions"
    );
    assert!(
        metrics.nll_per_action > 1.02 * true_nll,
        "uniform {} vs true {true_nll}",
        metrics.nll_per_action
    );
    let (optimal, learned) = soft_values(&world, &zero);
    assert!(
        optimal - learned > 0.05 * optimal.abs(),
        "uniform policy earns {learned}, optimal {optimal}"
    );
    let evd = metrics.expected_value_difference.expect("EVD");
    assert!(evd > 0.05 * optimal_value_from_p0(&world).abs());
}
