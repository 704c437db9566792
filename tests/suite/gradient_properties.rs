//! The exact gradient of the demonstrations' negative log-likelihood (proptest).
//!
//! `nll_and_gradient` differentiates NLL(θ) = −Σ log π_t(a|s) in reverse mode through the
//! soft dynamic program. Here its gradient is compared with central differences of the
//! NLL it reports, (NLL(θ + h e_k) − NLL(θ − h e_k)) / 2h, on random MDPs (up to 7 states
//! and 3 actions, some actions unavailable, sometimes a terminal state) with random-walk
//! demonstrations, which need only be valid under the MDP. The agreement asked for is
//! |numeric − analytic| ≤ 1e-5 · max(|numeric|, |analytic|, floor): a relative error below
//! 1e-5, where the floor (1e-3 per demonstrated action) keeps components that are near 0
//! from being judged by the rounding noise of the differences alone.
//!
//! Cases, each with state features and with state-action features and both backups:
//! - a finite horizon that every demonstration spans;
//! - demonstrations of mixed lengths, aligned at the start (`Alignment::Start`) or each
//!   its own horizon (`Alignment::OwnHorizon`);
//! - demonstrations that end on arriving in a terminal state, with a horizon or without
//!   one (then with γ = 1, which converges because every action may end in that state);
//! - the discounted infinite horizon (γ < 1). The optimistic fixed point exists only while
//!   γ·Σ_a ρ(a|s)·exp(r/α) < 1 can hold, so there the prior is uniform and every |θ_k| is
//!   at most 0.07 (|r| ≤ 0.21 with features in [−1, 1]³, γ ≤ 0.8, α ≥ 0.9).
//!
//! Infinite-horizon solves use a fixed-point tolerance of 1e-15 rather than the default
//! 1e-12, so that where value iteration stops does not show in the differences.

use crate::common;

use common::{Shape, TableMdp};
use irl::demos::{Demonstrations, Trajectory};
use irl::inference::{ActionPrior, Backup, SoftSettings};
use irl::learn::{nll_and_gradient, Alignment, DemoSteps};
use irl::Mdp;
use ndarray::Array1;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Largest accepted relative error.
const RELATIVE_TOLERANCE: f64 = 1e-5;
/// The floor of the error's denominator, per demonstrated action.
const FLOOR_PER_ACTION: f64 = 1e-3;
/// Fixed-point tolerance of the infinite-horizon solves.
const FIXED_POINT_TOLERANCE: f64 = 1e-15;

/// A random MDP with three features in [−1, 1], per state or per state-action pair.
fn mdp_table(shape: Shape, per_action: bool, seed: u64) -> TableMdp {
    let mut table = TableMdp::random(shape, seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    table.state_features = !per_action;
    for row in table.features.iter_mut() {
        let per_state: Vec<f64> = (0..3).map(|_| rng.random_range(-1.0..1.0)).collect();
        for f in row.iter_mut() {
            *f = if per_action {
                (0..3).map(|_| rng.random_range(-1.0..1.0)).collect()
            } else {
                per_state.clone()
            };
        }
    }
    table
}

/// Random walks: start in a uniformly drawn non-terminal state, take uniformly drawn
/// available actions and follow the MDP's transition probabilities, for `lengths[i]`
/// actions or until a terminal state is reached.
fn random_walks(table: &TableMdp, lengths: &[usize], seed: u64) -> Demonstrations {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let starts: Vec<usize> = (0..table.n_states)
        .filter(|&s| !table.terminal[s])
        .collect();
    let trajectories = lengths
        .iter()
        .enumerate()
        .map(|(i, &length)| {
            let mut s = starts[rng.random_range(0..starts.len())];
            let mut trajectory = Trajectory {
                id: format!("walk-{i}"),
                states: vec![s],
                actions: vec![],
            };
            while trajectory.actions.len() < length && !table.terminal[s] {
                let actions = table.actions(s);
                let a = actions[rng.random_range(0..actions.len())];
                let mut u: f64 = rng.random();
                let successors = &table.successors[s][a];
                let mut next = successors[successors.len() - 1].0;
                for &(candidate, p) in successors {
                    if u < p {
                        next = candidate;
                        break;
                    }
                    u -= p;
                }
                trajectory.actions.push(a);
                trajectory.states.push(next);
                s = next;
            }
            trajectory
        })
        .collect();
    Demonstrations::new(trajectories)
}

/// Worst relative error of the analytic gradient against central differences.
fn gradient_error(
    mdp: &Mdp,
    settings: &SoftSettings,
    steps: &DemoSteps,
    theta: &Array1<f64>,
) -> Result<f64, TestCaseError> {
    let nll = |x: &Array1<f64>| {
        nll_and_gradient(mdp, settings, steps, x.view())
            .map_err(|e| TestCaseError::fail(format!("nll_and_gradient failed: {e}")))
    };
    let analytic = nll(theta)?.gradient;
    let floor = FLOOR_PER_ACTION * steps.n_actions() as f64;
    let mut worst: f64 = 0.0;
    for k in 0..theta.len() {
        let h = 1e-5 * theta[k].abs().max(1.0);
        let (mut plus, mut minus) = (theta.clone(), theta.clone());
        plus[k] += h;
        minus[k] -= h;
        let numeric = (nll(&plus)?.nll - nll(&minus)?.nll) / (2.0 * h);
        let scale = numeric.abs().max(analytic[k].abs()).max(floor);
        worst = worst.max((numeric - analytic[k]).abs() / scale);
    }
    Ok(worst)
}

/// Check the gradient of `demos` under `settings` at θ.
fn check(
    table: &TableMdp,
    demos: &Demonstrations,
    settings: &SoftSettings,
    alignment: Alignment,
) -> Result<(), TestCaseError> {
    let mdp = table.build();
    demos
        .validate(&mdp)
        .map_err(|e| TestCaseError::fail(format!("invalid walk: {e}")))?;
    let steps = DemoSteps::new(demos, settings.horizon, alignment)
        .map_err(|e| TestCaseError::fail(format!("DemoSteps: {e}")))?;
    let theta = Array1::from(table.theta.clone());
    let error = gradient_error(&mdp, settings, &steps, &theta)?;
    prop_assert!(
        error < RELATIVE_TOLERANCE,
        "relative error {error:.3e}\nsettings {settings:?}\nalignment {alignment:?}\nθ {theta}\n{demos:?}"
    );
    Ok(())
}

fn backup_strategy() -> impl Strategy<Value = Backup> {
    prop_oneof![Just(Backup::Variational), Just(Backup::Optimistic)]
}

fn prior_strategy() -> impl Strategy<Value = ActionPrior> {
    prop_oneof![Just(ActionPrior::None), Just(ActionPrior::Uniform)]
}

fn alignment_strategy() -> impl Strategy<Value = Alignment> {
    prop_oneof![Just(Alignment::Start), Just(Alignment::OwnHorizon)]
}

/// θ uniform in [−2, 2]³.
fn theta_strategy() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-2.0f64..2.0, 3)
}

prop_compose! {
    /// Finite-horizon settings: T in 1..=7, γ in [0.5, 1] (exactly 1 half the time).
    fn finite_settings()(
        horizon in 1usize..=7,
        discount in 0.5f64..1.0,
        undiscounted in any::<bool>(),
        backup in backup_strategy(),
        action_prior in prior_strategy(),
        temperature in 0.5f64..2.0,
    ) -> SoftSettings {
        SoftSettings {
            backup,
            action_prior,
            temperature,
            ..SoftSettings::finite(horizon, if undiscounted { 1.0 } else { discount })
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn finite_horizon_spanned_by_every_demonstration(
        seed in any::<u64>(),
        n_states in 2usize..=7,
        n_actions in 1usize..=3,
        unavailable in any::<bool>(),
        per_action in any::<bool>(),
        settings in finite_settings(),
        theta in theta_strategy(),
        n_demos in 1usize..=6,
    ) {
        let shape = Shape { unavailable, ..Shape::plain(n_states, n_actions) };
        let mut table = mdp_table(shape, per_action, seed);
        table.theta = theta;
        let horizon = settings.horizon.expect("finite");
        let demos = random_walks(&table, &vec![horizon; n_demos], seed);
        prop_assert!(demos.trajectories.iter().all(|t| t.len() == horizon));
        check(&table, &demos, &settings, Alignment::Start)?;
    }

    #[test]
    fn mixed_lengths_under_either_alignment(
        seed in any::<u64>(),
        n_states in 2usize..=7,
        n_actions in 1usize..=3,
        unavailable in any::<bool>(),
        per_action in any::<bool>(),
        settings in finite_settings(),
        alignment in alignment_strategy(),
        theta in theta_strategy(),
        fractions in prop::collection::vec(0.0f64..1.0, 1..=6),
    ) {
        let shape = Shape { unavailable, ..Shape::plain(n_states, n_actions) };
        let mut table = mdp_table(shape, per_action, seed);
        table.theta = theta;
        let horizon = settings.horizon.expect("finite");
        // Lengths 1..=T, the first demonstration spanning the horizon.
        let mut lengths: Vec<usize> = fractions
            .iter()
            .map(|f| 1 + (f * horizon as f64) as usize)
            .collect();
        lengths[0] = horizon;
        let demos = random_walks(&table, &lengths, seed);
        check(&table, &demos, &settings, alignment)?;
    }

    #[test]
    fn demonstrations_ending_in_a_terminal_state(
        seed in any::<u64>(),
        n_states in 2usize..=7,
        n_actions in 1usize..=3,
        unavailable in any::<bool>(),
        per_action in any::<bool>(),
        finite in finite_settings(),
        infinite in any::<bool>(),
        alignment in alignment_strategy(),
        theta in theta_strategy(),
        n_demos in 2usize..=6,
    ) {
        let shape = Shape {
            terminal: true,
            unavailable,
            leak_to_terminal: true,
            ..Shape::plain(n_states, n_actions)
        };
        let mut table = mdp_table(shape, per_action, seed);
        table.theta = theta;
        // Without a horizon γ = 1: every action may end in the terminal state, so every
        // policy reaches it and the fixed point exists for the variational backup.
        let settings = if infinite {
            SoftSettings {
                backup: Backup::Variational,
                tolerance: FIXED_POINT_TOLERANCE,
                ..SoftSettings::infinite(1.0)
            }
        } else {
            finite
        };
        let cap = settings.horizon.unwrap_or(12);
        let demos = random_walks(&table, &vec![cap; n_demos], seed);
        let terminal = n_states - 1;
        let ended = demos
            .trajectories
            .iter()
            .filter(|t| t.states.last() == Some(&terminal))
            .count();
        prop_assume!(ended > 0, "no walk reached the terminal state");
        let alignment = if infinite { Alignment::Start } else { alignment };
        check(&table, &demos, &settings, alignment)?;
    }

    #[test]
    fn discounted_infinite_horizon(
        seed in any::<u64>(),
        n_states in 1usize..=7,
        n_actions in 1usize..=3,
        unavailable in any::<bool>(),
        terminal in any::<bool>(),
        per_action in any::<bool>(),
        backup in backup_strategy(),
        action_prior in prior_strategy(),
        discount in 0.5f64..0.95,
        temperature in 0.9f64..2.0,
        theta in theta_strategy(),
        lengths in prop::collection::vec(1usize..=10, 1..=6),
    ) {
        let shape = Shape { terminal, unavailable, ..Shape::plain(n_states, n_actions) };
        let mut table = mdp_table(shape, per_action, seed);
        let settings = match backup {
            Backup::Variational => {
                table.theta = theta;
                SoftSettings { action_prior, temperature, ..SoftSettings::infinite(discount) }
            }
            Backup::Optimistic => {
                table.theta = theta.iter().map(|w| w * 0.035).collect();
                SoftSettings {
                    backup,
                    action_prior: ActionPrior::Uniform,
                    temperature,
                    ..SoftSettings::infinite(discount.min(0.8))
                }
            }
        };
        let settings = SoftSettings { tolerance: FIXED_POINT_TOLERANCE, ..settings };
        let demos = random_walks(&table, &lengths, seed);
        check(&table, &demos, &settings, Alignment::Start)?;
    }
}
