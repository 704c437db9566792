//! Invariants of the soft dynamic program on random MDPs (proptest):
//!
//! - π_t(·|s) is a distribution on the available actions of every non-terminal state and
//!   all zero in terminal states;
//! - every finite-horizon occupancy row sums to 1, terminal mass included and kept; the
//!   discounted infinite-horizon occupancy of an MDP without terminals sums to 1/(1 − γ);
//! - the infinite-horizon V is a fixed point of the backup written out from docs/FORMATS.md
//!   (Q = r + γ Σ p V' or r + α log(γ Σ p e^{V'/α} + 1 − γ), V = α log Σ ρ e^{Q/α}), and
//!   the reported Q and π are that backup's;
//! - the parallel and sequential paths agree (MDPs of more than 2048 states, so that the
//!   work is split into several chunks);
//! - rewards of magnitude up to 10⁴ over T = 1000 steps or with γ = 0.999 give finite
//!   numbers within the bounds min(0, r_min)·H ≤ V ≤ (max(0, r_max) + α log A)·H, where H
//!   is T or 1/(1 − γ), and a diverging optimistic fixed point is an error, never ∞.
//!
//! The optimistic infinite-horizon backup has a fixed point only when exp(r/α)·γ·Σ_a ρ
//! stays below 1 along every path (the exact posterior sums exp(R/α) over unboundedly
//! long paths), so its rewards are capped at −α(log A + 1/2) here.

use crate::common;

use common::{Shape, TableMdp};
use irl::inference::{solve, ActionPrior, Backup, SoftSettings, Solution};
use ndarray::ArrayView1;
use proptest::prelude::*;

fn solved(table: &TableMdp, settings: &SoftSettings) -> Solution {
    solve(
        &table.build(),
        ArrayView1::from(&table.theta),
        settings,
        true,
    )
    .unwrap_or_else(|e| panic!("solve failed: {e}\n{settings:?}\n{table:?}"))
}

fn backup_strategy() -> impl Strategy<Value = Backup> {
    prop_oneof![Just(Backup::Variational), Just(Backup::Optimistic)]
}

fn prior_strategy() -> impl Strategy<Value = ActionPrior> {
    prop_oneof![Just(ActionPrior::None), Just(ActionPrior::Uniform)]
}

/// Caps the rewards of an optimistic infinite-horizon problem so its fixed point exists.
fn make_solvable(table: &mut TableMdp, settings: &SoftSettings) {
    if settings.horizon.is_none() && settings.backup == Backup::Optimistic {
        let alpha = settings.temperature;
        table.cap_rewards(-alpha * ((table.n_actions as f64).ln() + 0.5));
    }
}

prop_compose! {
    /// A random MDP of up to 8 states and 3 actions with terminal states and unavailable
    /// actions, and settings with a horizon of up to 8 or a discount in [0.5, 0.95].
    fn small_problem()(
        seed in any::<u64>(),
        n_states in 1usize..=8,
        n_actions in 1usize..=3,
        terminal in any::<bool>(),
        unavailable in any::<bool>(),
        horizon in prop::option::of(1usize..=8),
        discount in 0.5f64..0.95,
        backup in backup_strategy(),
        action_prior in prior_strategy(),
        temperature in 0.5f64..2.0,
    ) -> (TableMdp, SoftSettings) {
        let shape = Shape { terminal, unavailable, ..Shape::plain(n_states, n_actions) };
        let mut table = TableMdp::random(shape, seed);
        let settings = SoftSettings {
            horizon,
            discount: if horizon.is_some() && seed % 2 == 0 { 1.0 } else { discount },
            backup,
            temperature,
            action_prior,
            ..SoftSettings::default()
        };
        make_solvable(&mut table, &settings);
        (table, settings)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn policy_rows_are_distributions((table, settings) in small_problem()) {
        let solution = solved(&table, &settings);
        let (_, policy) = solution.q_and_policy.as_ref().expect("arrays");
        for step in 0..policy.dim().0 {
            for s in 0..table.n_states {
                let row = policy.slice(ndarray::s![step, s, ..]);
                if table.terminal[s] {
                    prop_assert!(row.iter().all(|&p| p == 0.0), "terminal row {row}");
                    continue;
                }
                for a in 0..table.n_actions {
                    let p = row[a];
                    prop_assert!(p.is_finite() && p >= 0.0, "π({a}|{s}) = {p}");
                    prop_assert!(table.available(s, a) || p == 0.0, "unavailable action has π = {p}");
                }
                prop_assert!((row.sum() - 1.0).abs() <= 1e-12, "row sums to {}", row.sum());
            }
        }
    }

    #[test]
    fn occupancy_rows_sum_to_one((table, settings) in small_problem()) {
        let solution = solved(&table, &settings);
        let rows = solution.occupancy.states.as_ref().expect("rows");
        match settings.horizon {
            Some(horizon) => {
                prop_assert_eq!(rows.nrows(), horizon + 1);
                for (step, row) in rows.outer_iter().enumerate() {
                    prop_assert!(row.iter().all(|&d| d >= 0.0));
                    prop_assert!((row.sum() - 1.0).abs() <= 1e-12, "row {step} sums to {}", row.sum());
                }
                for s in (0..table.n_states).filter(|&s| table.terminal[s]) {
                    for step in 0..horizon {
                        prop_assert!(rows[[step + 1, s]] >= rows[[step, s]] - 1e-15, "terminal mass left {s}");
                    }
                }
            }
            None if table.terminal.iter().all(|t| !t) => {
                let expected = 1.0 / (1.0 - settings.discount);
                prop_assert!((rows.sum() - expected).abs() <= 1e-9 * expected, "Σ D = {}", rows.sum());
            }
            None => {}
        }
    }

    #[test]
    fn infinite_horizon_value_is_a_fixed_point(
        (table, mut settings) in small_problem(),
        terminal_reached in any::<bool>(),
        discount in 0.5f64..0.95,
        seed in any::<u64>(),
    ) {
        settings.horizon = None;
        let mut table = if terminal_reached {
            // Every action may end in the terminal state, so γ = 1 converges too.
            let shape = Shape {
                terminal: true,
                leak_to_terminal: true,
                ..Shape::plain(table.n_states.max(2), table.n_actions)
            };
            settings.discount = 1.0;
            TableMdp::random(shape, seed)
        } else {
            settings.discount = discount;
            table
        };
        make_solvable(&mut table, &settings);
        let solution = solved(&table, &settings);
        let v = solution.values.at(0).to_vec();
        let (q, policy) = solution.q_and_policy.as_ref().expect("arrays");
        let scale = v.iter().fold(1.0f64, |m, x| m.max(x.abs()));
        for s in 0..table.n_states {
            let (expected_q, expected_v) = backup(&table, &settings, &v, s);
            prop_assert!((expected_v - v[s]).abs() <= 1e-9 * scale, "V({s}) = {} but one backup gives {expected_v}", v[s]);
            for a in 0..table.n_actions {
                let rho = table.prior(&settings.action_prior, s, a);
                if rho == 0.0 {
                    prop_assert_eq!(q[[0, s, a]], f64::NEG_INFINITY);
                    prop_assert_eq!(policy[[0, s, a]], 0.0);
                    continue;
                }
                prop_assert!((q[[0, s, a]] - expected_q[a]).abs() <= 1e-9 * scale, "Q({s},{a})");
                let expected_pi = rho * ((expected_q[a] - v[s]) / settings.temperature).exp();
                prop_assert!((policy[[0, s, a]] - expected_pi).abs() <= 1e-9, "π({a}|{s})");
            }
        }
    }
}

/// One application of the backup at state s, straight from the definitions:
/// returns Q(s, ·) (−∞ where ρ = 0) and V(s) (0 in terminal states).
fn backup(table: &TableMdp, settings: &SoftSettings, next_v: &[f64], s: usize) -> (Vec<f64>, f64) {
    let (gamma, alpha) = (settings.discount, settings.temperature);
    let mut q = vec![f64::NEG_INFINITY; table.n_actions];
    if table.terminal[s] {
        return (q, 0.0);
    }
    let mut z = 0.0;
    for (a, q_a) in q.iter_mut().enumerate() {
        let rho = table.prior(&settings.action_prior, s, a);
        if rho == 0.0 {
            continue;
        }
        let successors = &table.successors[s][a];
        let look_ahead = match settings.backup {
            Backup::Variational => {
                gamma * successors.iter().map(|&(n, p)| p * next_v[n]).sum::<f64>()
            }
            Backup::Optimistic => {
                let mean: f64 = successors
                    .iter()
                    .map(|&(n, p)| p * (next_v[n] / alpha).exp())
                    .sum();
                alpha * (gamma * mean + 1.0 - gamma).ln()
            }
        };
        *q_a = table.reward(s, a) + look_ahead;
        z += rho * (*q_a / alpha).exp();
    }
    (q, alpha * z.ln())
}

prop_compose! {
    /// MDPs of 2049 to 5000 states (two or three chunks of 2048).
    fn large_problem()(
        seed in any::<u64>(),
        n_states in 2049usize..=5000,
        n_actions in 1usize..=3,
        terminal in any::<bool>(),
        horizon in prop::option::of(1usize..=6),
        backup in backup_strategy(),
        action_prior in prior_strategy(),
    ) -> (TableMdp, SoftSettings) {
        let shape = Shape { terminal, unavailable: true, ..Shape::plain(n_states, n_actions) };
        let mut table = TableMdp::random(shape, seed);
        let settings = SoftSettings { horizon, discount: 0.9, backup, action_prior, ..SoftSettings::default() };
        make_solvable(&mut table, &settings);
        (table, settings)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn parallel_and_sequential_paths_agree((table, settings) in large_problem()) {
        let mdp = table.build();
        let theta = ArrayView1::from(&table.theta);
        let run = |parallel| solve(&mdp, theta, &SoftSettings { parallel, ..settings.clone() }, true).expect("solves");
        let (par, seq) = (run(true), run(false));
        let close = |x: f64, y: f64| x.to_bits() == y.to_bits();
        let pairs = [
            (par.values.rows().iter().copied().collect::<Vec<_>>(), seq.values.rows().iter().copied().collect::<Vec<_>>(), "V"),
            (par.q_and_policy.as_ref().unwrap().0.iter().copied().collect(), seq.q_and_policy.as_ref().unwrap().0.iter().copied().collect(), "Q"),
            (par.q_and_policy.as_ref().unwrap().1.iter().copied().collect(), seq.q_and_policy.as_ref().unwrap().1.iter().copied().collect(), "π"),
            (par.occupancy.states.as_ref().unwrap().iter().copied().collect(), seq.occupancy.states.as_ref().unwrap().iter().copied().collect(), "D"),
            (par.occupancy.visits.clone(), seq.occupancy.visits.clone(), "visits"),
            (par.occupancy.expected_features.clone(), seq.occupancy.expected_features.clone(), "expected features"),
            (vec![par.log_partition], vec![seq.log_partition], "log_partition"),
        ];
        for (x, y, what) in pairs {
            prop_assert_eq!(x.len(), y.len());
            if let Some(i) = (0..x.len()).find(|&i| !close(x[i], y[i])) {
                prop_assert!(false, "{} differs at {}: {} vs {}", what, i, x[i], y[i]);
            }
        }
    }
}

prop_compose! {
    /// Rewards up to 10⁴ in magnitude, with T = 1000 or (no horizon) γ = 0.999.
    fn extreme_problem()(
        seed in any::<u64>(),
        n_states in 1usize..=6,
        n_actions in 1usize..=3,
        terminal in any::<bool>(),
        unavailable in any::<bool>(),
        finite in any::<bool>(),
        backup in backup_strategy(),
        action_prior in prior_strategy(),
        temperature in 0.5f64..2.0,
    ) -> (TableMdp, SoftSettings) {
        let shape = Shape { terminal, unavailable, ..Shape::plain(n_states, n_actions) };
        let mut table = TableMdp::random(shape, seed);
        table.scale_rewards(1e4 / 3.0);
        let settings = SoftSettings {
            horizon: finite.then_some(1000),
            discount: if finite { 1.0 } else { 0.999 },
            backup,
            temperature,
            action_prior,
            parallel: false,
            ..SoftSettings::default()
        };
        make_solvable(&mut table, &settings);
        (table, settings)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn extreme_rewards_give_finite_bounded_numbers((table, settings) in extreme_problem()) {
        let solution = solved(&table, &settings);
        let rewards: Vec<f64> = (0..table.n_states)
            .flat_map(|s| table.actions(s).into_iter().map(move |a| (s, a)))
            .map(|(s, a)| table.reward(s, a))
            .collect();
        let r_min = rewards.iter().copied().fold(0.0f64, f64::min);
        let r_max = rewards.iter().copied().fold(0.0f64, f64::max);
        let alpha = settings.temperature;
        let reach = settings.horizon.map_or(1.0 / (1.0 - settings.discount), |t| t as f64);
        let lower = r_min * reach;
        let upper = (r_max + alpha * (table.n_actions as f64).ln()) * reach;
        let slack = 1e-9 * lower.abs().max(upper.abs()).max(1.0);
        for &v in solution.values.rows() {
            prop_assert!(v.is_finite() && v >= lower - slack && v <= upper + slack, "V = {v} outside [{lower}, {upper}]");
        }
        let (q, policy) = solution.q_and_policy.as_ref().expect("arrays");
        prop_assert!(q.iter().all(|x| x.is_finite() || *x == f64::NEG_INFINITY));
        for step in 0..policy.dim().0 {
            for s in (0..table.n_states).filter(|&s| !table.terminal[s]) {
                let row = policy.slice(ndarray::s![step, s, ..]);
                prop_assert!(row.iter().all(|p| p.is_finite()) && (row.sum() - 1.0).abs() <= 1e-12);
            }
        }
        let rows = solution.occupancy.states.as_ref().expect("rows");
        prop_assert!(rows.iter().all(|d| d.is_finite() && *d >= 0.0));
        if settings.horizon.is_some() {
            for row in rows.outer_iter() {
                prop_assert!((row.sum() - 1.0).abs() <= 1e-9, "row sums to {}", row.sum());
            }
        }
        prop_assert!(solution.occupancy.expected_features.iter().all(|f| f.is_finite()));
        prop_assert!(solution.log_partition.is_finite());
    }
}

/// One state, two actions that both stay, reward r for each: V_0 = T·(r + α log 2)
/// under either backup (deterministic dynamics), and V = (r + α log 2)/(1 − γ) for the
/// variational infinite horizon.
fn self_loop(reward: f64) -> TableMdp {
    let mut table = TableMdp::random(Shape::plain(1, 2), 0);
    table.successors = vec![vec![vec![(0, 1.0)], vec![(0, 1.0)]]];
    table.features = vec![vec![vec![1.0], vec![1.0]]];
    table.theta = vec![reward];
    table
}

#[test]
fn extreme_self_loop_matches_hand_computed_values() {
    for backup in [Backup::Variational, Backup::Optimistic] {
        for reward in [1e4, -1e4] {
            let settings = SoftSettings {
                horizon: Some(1000),
                backup,
                parallel: false,
                ..SoftSettings::default()
            };
            let v0 = solved(&self_loop(reward), &settings).values.at(0)[0];
            let expected = 1000.0 * (reward + 2f64.ln());
            assert!(
                (v0 - expected).abs() <= 1e-12 * expected.abs(),
                "{backup:?}: {v0} vs {expected}"
            );
        }
    }
    let settings = SoftSettings {
        parallel: false,
        ..SoftSettings::infinite(0.999)
    };
    let v = solved(&self_loop(1e4), &settings).values.at(0)[0];
    let expected = (1e4 + 2f64.ln()) / 0.001;
    assert!((v - expected).abs() <= 1e-9 * expected, "{v} vs {expected}");
    // Optimistic: V = r + log 2 + log(γ e^V + 1 − γ), and e^V underflows to 0 at r = −10⁴.
    let settings = SoftSettings {
        backup: Backup::Optimistic,
        ..settings
    };
    let v = solved(&self_loop(-1e4), &settings).values.at(0)[0];
    let expected = -1e4 + 2f64.ln() + 0.001f64.ln();
    assert!((v - expected).abs() <= 1e-9, "{v} vs {expected}");
}

#[test]
fn diverging_optimistic_fixed_point_is_an_error_not_infinity() {
    // r + log 2 + log γ > 0: the exact posterior's sum over ever longer paths diverges.
    let settings = SoftSettings {
        backup: Backup::Optimistic,
        max_iterations: 5_000,
        parallel: false,
        ..SoftSettings::infinite(0.999)
    };
    let table = self_loop(1e4);
    let error = solve(
        &table.build(),
        ArrayView1::from(&table.theta),
        &settings,
        false,
    )
    .expect_err("no fixed point exists");
    let message = error.to_string();
    assert!(
        message.contains("did not converge within 5000 iterations"),
        "{message}"
    );
}
