//! The soft dynamic program against brute force: on tiny random MDPs (≤ 4 states,
//! ≤ 2 actions, T ≤ 4) every trajectory is listed and the library's numbers are compared
//! with sums over that list.
//!
//! A discount γ < 1 is read as docs/FORMATS.md reads it: after each action the process goes on
//! with probability γ and is otherwise absorbed (value 0, no more reward). A listed path
//! from s therefore takes actions a_0, a_1, … and ends at the horizon, on arrival at a
//! terminal state, or by absorption right after an action. Its weight is
//! w(τ) = Π_t γ p(s_{t+1}|s_t,a_t) · (1 − γ if absorbed), its return R(τ) = Σ_t r(s_t,a_t)
//! over the actions taken, and ρ(τ) = Π_t ρ(a_t|s_t), π(τ) = Π_t π_t(a_t|s_t).
//!
//! - Optimistic backup (the exact posterior): V_t(s) = α log Σ_τ w ρ exp(R/α) over paths
//!   from s with T − t steps, and π_t(a|s) is the share of that sum whose first action is a.
//! - Variational backup (maximum causal entropy): the objective of Levine (2018, Eq. 11)
//!   with a prior and a temperature, J(π) = Σ_τ p0 w π [Σ_t r − α log π_t + α log ρ], is
//!   Σ_s p0(s) V_0(s) at the solver's policy, and V_t(s) from (t, s). For another policy π',
//!   J(π') = J(π) − α E_π'[Σ_t log(π'_t/π_t)(a_t|s_t)] (an expected KL divergence, > 0).
//! - Occupancy and expected features are marginals of the trajectory distribution under
//!   the solver's policy with the true dynamics: D_t(s) = P(s_t = s) with mass staying in
//!   terminal states, and E[Σ_t γ^t f(s_t, a_t)].

use crate::common;

use common::{Shape, TableMdp};
use irl::inference::{
    solve, state_action_occupancy, ActionPrior, Backup, SoftProblem, SoftSettings, Solution,
};
use ndarray::Array3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const CASES: u64 = 1000;

/// One listed path: `actions.len()` rewarded steps; one state fewer than usual when the
/// path was absorbed after its last action.
#[derive(Debug, Clone)]
struct Path {
    states: Vec<usize>,
    actions: Vec<usize>,
    weight: f64,
}

/// Every path from `start` with at most `steps` actions; `continue_prob` is γ for the
/// absorbing reading of the discount and 1 for the true dynamics alone.
fn paths(table: &TableMdp, start: usize, steps: usize, continue_prob: f64) -> Vec<Path> {
    let mut out = Vec::new();
    let first = Path {
        states: vec![start],
        actions: vec![],
        weight: 1.0,
    };
    extend(table, steps, continue_prob, first, &mut out);
    out
}

fn extend(table: &TableMdp, steps: usize, continue_prob: f64, path: Path, out: &mut Vec<Path>) {
    let s = *path.states.last().expect("a path has a state");
    if path.actions.len() == steps || table.terminal[s] {
        out.push(path);
        return;
    }
    for a in table.actions(s) {
        if continue_prob < 1.0 {
            let mut absorbed = path.clone();
            absorbed.actions.push(a);
            absorbed.weight *= 1.0 - continue_prob;
            out.push(absorbed);
        }
        for &(next, p) in &table.successors[s][a] {
            let mut longer = path.clone();
            longer.actions.push(a);
            longer.states.push(next);
            longer.weight *= continue_prob * p;
            extend(table, steps, continue_prob, longer, out);
        }
    }
}

/// A random tiny problem and the settings to solve it with.
struct Case {
    table: TableMdp,
    settings: SoftSettings,
    label: String,
}

fn case(index: u64, backup: Backup) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_0000 + index);
    let shape = Shape {
        n_states: rng.random_range(1..=4),
        n_actions: rng.random_range(1..=2),
        max_successors: 3,
        terminal: rng.random_bool(0.4),
        unavailable: rng.random_bool(0.4),
        leak_to_terminal: false,
    };
    let table = TableMdp::random(shape, rng.random());
    let settings = SoftSettings {
        horizon: Some(rng.random_range(1..=4)),
        discount: if rng.random_bool(0.5) { 1.0 } else { 0.7 },
        backup,
        temperature: [1.0, 1.0, 0.5, 2.0][rng.random_range(0..4)],
        action_prior: if rng.random_bool(0.5) {
            ActionPrior::None
        } else {
            ActionPrior::Uniform
        },
        ..SoftSettings::default()
    };
    let label = format!("case {index}: {shape:?}, {settings:?}, {table:?}");
    Case {
        table,
        settings,
        label,
    }
}

fn solved(case: &Case) -> Solution {
    solve(
        &case.table.build(),
        ndarray::ArrayView1::from(&case.table.theta),
        &case.settings,
        true,
    )
    .unwrap_or_else(|e| panic!("{}: solve failed: {e}", case.label))
}

fn policy_of(solution: &Solution) -> &Array3<f64> {
    &solution
        .q_and_policy
        .as_ref()
        .expect("arrays were asked for")
        .1
}

fn assert_close(got: f64, expected: f64, tolerance: f64, what: &str, label: &str) {
    let scale = expected.abs().max(1.0);
    assert!(
        (got - expected).abs() <= tolerance * scale,
        "{what}: got {got}, enumeration gives {expected} ({label})"
    );
}

/// Which features the cases exercised; every one must be seen at least once.
#[derive(Default)]
struct Coverage {
    terminal: usize,
    unavailable: usize,
    uniform: usize,
    discounted: usize,
    hot_or_cold: usize,
    two_actions: usize,
}

impl Coverage {
    fn record(&mut self, case: &Case) {
        let t = &case.table;
        let s = &case.settings;
        self.terminal += t.terminal.iter().any(|&x| x) as usize;
        self.unavailable +=
            (0..t.n_states).any(|s| !t.terminal[s] && t.actions(s).len() < t.n_actions) as usize;
        self.uniform += (s.action_prior == ActionPrior::Uniform) as usize;
        self.discounted += (s.discount < 1.0) as usize;
        self.hot_or_cold += (s.temperature != 1.0) as usize;
        self.two_actions += (t.n_actions == 2) as usize;
    }

    fn assert_broad(&self) {
        for (what, n) in [
            ("terminal states", self.terminal),
            ("unavailable actions", self.unavailable),
            ("uniform prior", self.uniform),
            ("discount < 1", self.discounted),
            ("temperature ≠ 1", self.hot_or_cold),
            ("two actions", self.two_actions),
        ] {
            assert!(n >= 10, "only {n} cases with {what}");
        }
    }
}

#[test]
fn optimistic_values_and_policies_are_the_exact_posterior() {
    let mut coverage = Coverage::default();
    for index in 0..CASES {
        let case = case(index, Backup::Optimistic);
        coverage.record(&case);
        let (t, settings) = (&case.table, &case.settings);
        let solution = solved(&case);
        let policy = policy_of(&solution);
        let horizon = settings.horizon.expect("finite");
        let alpha = settings.temperature;
        let prior = &settings.action_prior;
        let mut expected_partition = 0.0;
        for step in 0..horizon {
            for s in 0..t.n_states {
                let value = solution.values.at(step)[s];
                if t.terminal[s] {
                    assert_eq!(value, 0.0, "terminal V ({})", case.label);
                    continue;
                }
                let mut by_first_action = vec![0.0; t.n_actions];
                for path in paths(t, s, horizon - step, settings.discount) {
                    let log_prior: f64 = path
                        .actions
                        .iter()
                        .enumerate()
                        .map(|(i, &a)| t.prior(prior, path.states[i], a).ln())
                        .sum();
                    let ret: f64 = (path.actions.iter().enumerate())
                        .map(|(i, &a)| t.reward(path.states[i], a))
                        .sum();
                    by_first_action[path.actions[0]] +=
                        path.weight * (log_prior + ret / alpha).exp();
                }
                let total: f64 = by_first_action.iter().sum();
                let what = format!("V_{step}({s})");
                assert_close(value, alpha * total.ln(), 1e-12, &what, &case.label);
                for (a, share) in by_first_action.iter().enumerate() {
                    let what = format!("π_{step}({a}|{s})");
                    assert_close(
                        policy[[step, s, a]],
                        share / total,
                        1e-12,
                        &what,
                        &case.label,
                    );
                }
                if step == 0 {
                    expected_partition += t.initial[s] * alpha * total.ln();
                }
            }
        }
        assert_close(
            solution.log_partition,
            expected_partition,
            1e-12,
            "log_partition",
            &case.label,
        );
    }
    coverage.assert_broad();
}

/// J(π) from state `start` at step `first_step`, with π_t taken from `policy`; also the
/// expected Σ_t log(policy / reference) along the way.
fn objective(
    case: &Case,
    policy: &Array3<f64>,
    reference: &Array3<f64>,
    start: usize,
    first_step: usize,
) -> (f64, f64) {
    let (t, settings) = (&case.table, &case.settings);
    let horizon = settings.horizon.expect("finite");
    let alpha = settings.temperature;
    let (mut total, mut log_ratio) = (0.0, 0.0);
    for path in paths(t, start, horizon - first_step, settings.discount) {
        let mut probability = path.weight;
        let (mut gain, mut ratio) = (0.0, 0.0);
        for (i, &a) in path.actions.iter().enumerate() {
            let (s, step) = (path.states[i], first_step + i);
            let pi = policy[[step, s, a]];
            probability *= pi;
            gain += t.reward(s, a) - alpha * pi.ln()
                + alpha * t.prior(&settings.action_prior, s, a).ln();
            ratio += (pi / reference[[step, s, a]]).ln();
        }
        if probability > 0.0 {
            total += probability * gain;
            log_ratio += probability * ratio;
        }
    }
    (total, log_ratio)
}

/// π' ∝ π·exp(±u) with u in [0.5, 1]: + for even actions, − for odd ones, so every state
/// with two available actions changes.
fn perturbed(case: &Case, policy: &Array3<f64>, rng: &mut ChaCha8Rng) -> Array3<f64> {
    let mut out = policy.clone();
    let (steps, n_states, n_actions) = policy.dim();
    for step in 0..steps {
        for s in (0..n_states).filter(|&s| !case.table.terminal[s]) {
            let mut total = 0.0;
            for a in 0..n_actions {
                let sign: f64 = if a % 2 == 0 { 1.0 } else { -1.0 };
                out[[step, s, a]] *= (sign * rng.random_range(0.5..1.0)).exp();
                total += out[[step, s, a]];
            }
            (0..n_actions).for_each(|a| out[[step, s, a]] /= total);
        }
    }
    out
}

#[test]
fn variational_policy_maximises_the_entropy_regularised_objective() {
    let mut coverage = Coverage::default();
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let mut strict_checks = 0;
    for index in 0..CASES {
        let case = case(index, Backup::Variational);
        coverage.record(&case);
        let (t, settings) = (&case.table, &case.settings);
        let solution = solved(&case);
        let policy = policy_of(&solution);
        let horizon = settings.horizon.expect("finite");
        for step in 0..horizon {
            for s in 0..t.n_states {
                let (j, _) = objective(&case, policy, policy, s, step);
                let what = format!("J from (t={step}, s={s}) against V");
                assert_close(solution.values.at(step)[s], j, 1e-12, &what, &case.label);
            }
        }
        let weighted = |pi: &Array3<f64>| -> (f64, f64) {
            let mut out = (0.0, 0.0);
            for s in (0..t.n_states).filter(|&s| t.initial[s] > 0.0) {
                let (j, r) = objective(&case, pi, policy, s, 0);
                out.0 += t.initial[s] * j;
                out.1 += t.initial[s] * r;
            }
            out
        };
        let (best, _) = weighted(policy);
        assert_close(
            solution.log_partition,
            best,
            1e-12,
            "log_partition against J(π*)",
            &case.label,
        );
        if t.n_actions < 2 {
            continue;
        }
        for _ in 0..3 {
            let other = perturbed(&case, policy, &mut rng);
            let (j, log_ratio) = weighted(&other);
            let gap = settings.temperature * log_ratio;
            assert!(
                best - j > 1e-6,
                "perturbed policy scores {j}, optimum {best} ({})",
                case.label
            );
            assert_close(j, best - gap, 1e-12, "J(π') = J(π*) − α·E[KL]", &case.label);
            strict_checks += 1;
        }
    }
    coverage.assert_broad();
    assert!(strict_checks >= 300, "only {strict_checks} perturbations");
}

#[test]
fn occupancy_and_expected_features_are_trajectory_marginals() {
    let mut coverage = Coverage::default();
    for index in 0..2 * CASES {
        let backup = if index % 2 == 0 {
            Backup::Variational
        } else {
            Backup::Optimistic
        };
        let case = case(index / 2 + 7 * CASES, backup);
        coverage.record(&case);
        let (t, settings) = (&case.table, &case.settings);
        let solution = solved(&case);
        let policy = policy_of(&solution);
        let horizon = settings.horizon.expect("finite");
        let n_features = t.theta.len();
        let mut occupancy = vec![vec![0.0; t.n_states]; horizon + 1];
        let mut state_action = vec![0.0; t.n_states * t.n_actions];
        let mut features = vec![0.0; n_features];
        let mut total_probability = 0.0;
        for s0 in (0..t.n_states).filter(|&s| t.initial[s] > 0.0) {
            for path in paths(t, s0, horizon, 1.0) {
                let probability = t.initial[s0]
                    * path.weight
                    * (path.actions.iter().enumerate())
                        .map(|(i, &a)| policy[[i, path.states[i], a]])
                        .product::<f64>();
                total_probability += probability;
                for (step, row) in occupancy.iter_mut().enumerate() {
                    let last = path.states.len() - 1;
                    row[path.states[step.min(last)]] += probability;
                }
                for (i, &a) in path.actions.iter().enumerate() {
                    let s = path.states[i];
                    let discounted = probability * settings.discount.powi(i as i32);
                    state_action[s * t.n_actions + a] += discounted;
                    for (k, f) in features.iter_mut().enumerate() {
                        *f += discounted * t.features[s][a][k];
                    }
                }
            }
        }
        assert_close(total_probability, 1.0, 1e-12, "Σ P(τ)", &case.label);
        let rows = solution
            .occupancy
            .states
            .as_ref()
            .expect("rows were asked for");
        for (step, row) in occupancy.iter().enumerate() {
            for (s, &expected) in row.iter().enumerate() {
                let what = format!("D_{step}({s})");
                assert_close(rows[[step, s]], expected, 1e-12, &what, &case.label);
            }
        }
        let mdp = t.build();
        let problem = SoftProblem::new(
            &mdp,
            mdp.features()
                .reward(ndarray::ArrayView1::from(&t.theta), mdp.n_actions()),
            settings.clone(),
        );
        let pairs = state_action_occupancy(&problem, &solution.values, mdp.initial()).unwrap();
        for (i, &expected) in state_action.iter().enumerate() {
            let got = pairs[i];
            let what = format!(
                "state-action occupancy ({}, {})",
                i / t.n_actions,
                i % t.n_actions
            );
            assert_close(got, expected, 1e-12, &what, &case.label);
        }
        for (k, &expected) in features.iter().enumerate() {
            let got = solution.occupancy.expected_features[k];
            assert_close(
                got,
                expected,
                1e-12,
                &format!("expected feature {k}"),
                &case.label,
            );
        }
    }
    coverage.assert_broad();
}
