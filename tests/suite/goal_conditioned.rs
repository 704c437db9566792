//! Goal-conditioned fitting: each demonstration's last state is its absorbing goal, one
//! soft dynamic program per goal, one shared θ.
//!
//! - The objective (library `Objective` over the goal-conditioned fit's tasks) equals the
//!   NLL computed independently here (a soft dynamic program per goal written from the
//!   definitions, demonstrations cut at their first arrival at the goal, ones that start
//!   there dropped), for the start-aligned and own-horizon finite problems and the
//!   discounted infinite-horizon one; its gradient equals central finite differences of
//!   the cost.
//! - Recovery: on an 8×8 deterministic 8-connected grid with a step cost, a hazard block
//!   and an eastward pull, demonstrations sampled towards four goals from the true model
//!   give back the true weights within four standard errors, and the fitted weights' held-out
//!   NLL (`evaluate_by_goal`) is within 2 % of the true weights'.
//! - Through the binary: `irl fit --goal-conditioned` writes `goal_conditioned: true` and
//!   goals whose counts are the demonstrations' last states, weights equal to the
//!   library's fit, and `irl evaluate` prints the library's goal-by-goal metrics.

use crate::common;

use std::collections::BTreeMap;

use common::{far_from, path, sample_towards, succeed, SoftGrid};
use irl::demos::{write_demos, Demonstrations, Trajectory};
use irl::eval::evaluate_by_goal;
use irl::inference::SoftSettings;
use irl::learn::{group_by_goal, training_goals, Alignment, FitParams, GoalRule, Objective};
use irl::mdp::write_mdp;
use irl::Mdp;
use ndarray::Array1;
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// (a) The objective and its gradient.

/// A 5×4 grid: a step cost, a hazard on three cells, and pulls east and north.
fn small_world() -> SoftGrid {
    SoftGrid::new(5, 4, &["step_cost", "hazard", "east", "north"], |x, y| {
        let hazard = [(2, 1), (2, 2), (1, 2)].contains(&(x, y));
        vec![
            1.0,
            f64::from(u8::from(hazard)),
            x as f64 / 4.0,
            y as f64 / 3.0,
        ]
    })
}

/// Sampled demonstrations towards three goals, plus two hand-made ones: one that passes
/// its goal (state 4) and comes back, and one that starts at its goal (state 9).
fn small_demos(world: &SoftGrid, mdp: &Mdp, horizon: usize) -> Demonstrations {
    let truth = [-3.0, -1.0, 0.5, 0.3];
    let mut trajectories = Vec::new();
    for (i, goal) in [world.state(4, 3), world.state(0, 3), world.state(4, 0)]
        .into_iter()
        .enumerate()
    {
        let starts: Vec<usize> = (0..world.n_states()).filter(|&s| s != goal).collect();
        trajectories.extend(sample_towards(
            mdp, &truth, goal, &starts, 8, horizon, i as u64,
        ));
    }
    // (2,0) → (3,0) → (4,0) → (4,1) → (4,0): east, east, north, south.
    trajectories.push(Trajectory {
        id: "passes-its-goal".into(),
        states: vec![2, 3, 4, 9, 4],
        actions: vec![0, 0, 2, 3],
    });
    // (4,1) → (4,2) → (4,1): north, south; its goal is where it started.
    trajectories.push(Trajectory {
        id: "starts-at-its-goal".into(),
        states: vec![9, 14, 9],
        actions: vec![2, 3],
    });
    let demos = Demonstrations::new(trajectories);
    demos.validate(mdp).unwrap();
    demos
}

/// −Σ log π over the demonstrations, each cut at its first arrival at its last state,
/// from the reference dynamic program of `common::soft_grid`.
fn reference_nll(
    world: &SoftGrid,
    theta: &[f64],
    demos: &Demonstrations,
    settings: &SoftSettings,
    alignment: Alignment,
) -> f64 {
    let mut nll = 0.0;
    for traj in &demos.trajectories {
        let goal = *traj.states.last().unwrap();
        let arrival = traj.states.iter().position(|&s| s == goal).unwrap();
        let steps = traj.states[..arrival].iter().zip(&traj.actions[..arrival]);
        match settings.horizon {
            Some(horizon) => {
                let values = world.values(theta, goal, horizon);
                let offset = match alignment {
                    Alignment::Start => 0,
                    Alignment::OwnHorizon => horizon - arrival,
                };
                for (t, (&s, &a)) in steps.enumerate() {
                    nll -= world.log_policy(theta, &values[offset + t + 1], 1.0, s, a);
                }
            }
            None => {
                let v = world.stationary_values(theta, goal, settings.discount);
                for (&s, &a) in steps {
                    nll -= world.log_policy(theta, &v, settings.discount, s, a);
                }
            }
        }
    }
    nll
}

#[test]
fn objective_matches_the_reference_and_its_gradient_matches_finite_differences() {
    let world = small_world();
    let mdp = world.mdp(None);
    let horizon = 12;
    let demos = small_demos(&world, &mdp, horizon);
    let goals = training_goals(&mdp, &demos, GoalRule::LastCell).unwrap();
    let groups = group_by_goal(&mdp, &demos, &goals, GoalRule::LastCell).unwrap();
    // Three goals: the one where a demonstration starts (state 9) gets no group.
    let goals: Vec<usize> = groups.iter().map(|g| g.goal.states[0]).collect();
    assert_eq!(goals, vec![4, 15, 19]);
    let passing = groups[0]
        .demos
        .trajectories
        .iter()
        .find(|t| t.id == "passes-its-goal")
        .unwrap();
    assert_eq!(
        (passing.states.clone(), passing.actions.clone()),
        (vec![2, 3, 4], vec![0, 0])
    );
    let theta = Array1::from(vec![-1.3, -0.7, 0.4, -0.2]);
    let l2 = 0.3;
    for (settings, alignment) in [
        (SoftSettings::finite(horizon, 1.0), Alignment::Start),
        (SoftSettings::finite(horizon, 1.0), Alignment::OwnHorizon),
        (SoftSettings::infinite(0.9), Alignment::Start),
    ] {
        let label = format!("{:?} {alignment:?}", settings.horizon);
        let fit = FitParams {
            settings: settings.clone(),
            alignment,
            goal_conditioned: true,
            ..FitParams::default()
        };
        let (tasks, goals) = fit.tasks(&mdp, &demos).unwrap();
        assert_eq!(goals.len(), groups.len());
        let objective = Objective::new(tasks, settings.clone(), l2);
        // The trajectory that starts at its goal contributes nothing; the one that passes
        // its goal contributes its first two actions.
        let expected_actions: usize = demos
            .trajectories
            .iter()
            .map(|t| {
                let goal = t.states.last().unwrap();
                t.states.iter().position(|s| s == goal).unwrap()
            })
            .sum();
        assert_eq!(objective.n_actions(), expected_actions, "{label}");
        let value = objective.evaluate(theta.view()).unwrap();
        let truth = reference_nll(
            &world,
            theta.as_slice().unwrap(),
            &demos,
            &settings,
            alignment,
        );
        assert!(
            (value.nll - truth).abs() <= 1e-9 * truth.abs(),
            "{label}: NLL {} vs reference {truth}",
            value.nll
        );
        let n = expected_actions as f64;
        assert!((value.cost - (truth + l2 * theta.dot(&theta)) / n).abs() < 1e-10);
        let h = 1e-4;
        for k in 0..theta.len() {
            let mut shifted = theta.clone();
            shifted[k] += h;
            let plus = objective.evaluate(shifted.view()).unwrap().cost;
            shifted[k] -= 2.0 * h;
            let minus = objective.evaluate(shifted.view()).unwrap().cost;
            let central = (plus - minus) / (2.0 * h);
            // Infinite-horizon evaluations start their value iteration from the previous
            // evaluation's values, so each is exact to the solver's tolerance but the
            // errors of θ ± h no longer cancel: central differences agree to about 10⁻⁷.
            assert!(
                (value.gradient[k] - central).abs() < 1e-6,
                "{label}, weight {k}: gradient {} vs central difference {central}",
                value.gradient[k]
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// (b) Recovery of known weights.

const TRUTH: [f64; 3] = [-3.5, -1.0, 0.5];
const HORIZON: usize = 30;

/// An 8×8 grid: a step cost, a hazard block x ∈ 3..=4, y ∈ 2..=5, and a pull east.
fn recovery_world() -> SoftGrid {
    SoftGrid::new(8, 8, &["step_cost", "hazard", "east"], |x, y| {
        let hazard = (3..=4).contains(&x) && (2..=5).contains(&y);
        vec![1.0, f64::from(u8::from(hazard)), x as f64 / 7.0]
    })
}

fn recovery_goals(world: &SoftGrid) -> [usize; 4] {
    [
        world.state(0, 0),
        world.state(7, 7),
        world.state(7, 0),
        world.state(2, 7),
    ]
}

/// `per_goal` demonstrations towards each goal from the true model, from the cells at
/// least four moves away. Returns them with the fraction that arrived within the horizon.
fn recovery_demos(
    world: &SoftGrid,
    mdp: &Mdp,
    per_goal: usize,
    seed: u64,
) -> (Demonstrations, f64) {
    let mut trajectories = Vec::new();
    for (i, goal) in recovery_goals(world).into_iter().enumerate() {
        let starts = far_from(world.width, world.n_states(), goal, 4);
        trajectories.extend(sample_towards(
            mdp,
            &TRUTH,
            goal,
            &starts,
            per_goal,
            HORIZON,
            seed + i as u64,
        ));
    }
    let arrived = trajectories.len() as f64 / (4 * per_goal) as f64;
    (Demonstrations::new(trajectories), arrived)
}

#[test]
fn known_weights_are_recovered_from_goal_directed_demonstrations() {
    let world = recovery_world();
    let mdp = world.mdp(None);
    let (train, arrived) = recovery_demos(&world, &mdp, 250, 100);
    let (held_out, held_arrived) = recovery_demos(&world, &mdp, 250, 200);
    // Every step's reward is at most −3 < −ln 8, so walkers do not linger: nearly all arrive.
    assert!(
        arrived > 0.99 && held_arrived > 0.99,
        "{arrived} {held_arrived}"
    );
    let settings = SoftSettings::finite(HORIZON, 1.0);
    let groups = group_by_goal(&mdp, &train, &[], GoalRule::LastCell).unwrap();
    assert_eq!(groups.len(), 4);
    let params = FitParams {
        settings: settings.clone(),
        goal_conditioned: true,
        l2: 0.0,
        ..FitParams::default()
    };
    let model = params.fit(&mdp, &train).unwrap();
    assert_eq!(model.goals.len(), groups.len());
    assert!(
        model.training.as_ref().unwrap().converged,
        "{}",
        model.training.as_ref().unwrap().stop_reason
    );
    let se = model.standard_errors.clone().unwrap();
    println!(
        "{} training actions; fitted {:?} ± {:?}, truth {TRUTH:?}",
        model.training.as_ref().unwrap().n_actions,
        model.weights,
        se
    );
    for k in 0..3 {
        let z = (model.weights[k] - TRUTH[k]) / se[k];
        assert!(
            z.abs() < 4.0,
            "{}: {} vs {} (se {}, z {z})",
            world.names[k],
            model.weights[k],
            TRUTH[k],
            se[k]
        );
        assert!(
            se[k] < 0.25 * TRUTH[k].abs(),
            "{}: se {}",
            world.names[k],
            se[k]
        );
    }
    let fitted = Array1::from(model.weights.clone());
    let truth = Array1::from(TRUTH.to_vec());
    let score = |theta: &Array1<f64>| {
        evaluate_by_goal(
            &mdp,
            &settings,
            Alignment::Start,
            theta.view(),
            &held_out,
            &[],
            GoalRule::LastCell,
        )
        .unwrap()
        .nll_per_action
    };
    let (fitted_nll, true_nll) = (score(&fitted), score(&truth));
    println!("held-out NLL per action: fitted {fitted_nll:.6}, true weights {true_nll:.6}");
    assert!(
        (fitted_nll - true_nll).abs() <= 0.02 * true_nll,
        "held-out NLL {fitted_nll} vs {true_nll} under the true weights"
    );
    // The held-out NLL under the true weights is the reference NLL of the definitions.
    let reference = reference_recovery_nll(&world, &held_out);
    assert!(
        (true_nll - reference).abs() < 1e-9 * reference,
        "{true_nll} vs {reference}"
    );
}

fn reference_recovery_nll(world: &SoftGrid, demos: &Demonstrations) -> f64 {
    let mut nll = 0.0;
    let mut n = 0;
    let mut values_of = BTreeMap::new();
    for traj in &demos.trajectories {
        let goal = *traj.states.last().unwrap();
        let values = values_of
            .entry(goal)
            .or_insert_with(|| world.values(&TRUTH, goal, HORIZON));
        for (t, (s, a)) in traj.steps().enumerate() {
            nll -= world.log_policy(&TRUTH, &values[t + 1], 1.0, s, a);
            n += 1;
        }
    }
    nll / n as f64
}

// ---------------------------------------------------------------------------------------
// (c) `irl fit --goal-conditioned` and `irl evaluate` through the binary.

#[test]
fn fit_goal_conditioned_and_evaluate_through_the_binary() {
    let world = recovery_world();
    let mdp = world.mdp(None);
    let (train, _) = recovery_demos(&world, &mdp, 40, 300);
    let (held_out, _) = recovery_demos(&world, &mdp, 15, 400);
    let dir = tempfile::tempdir().unwrap();
    let (mdp_path, train_path, held_path, model_path) = (
        dir.path().join("mdp.json"),
        dir.path().join("train.csv"),
        dir.path().join("heldout.csv"),
        dir.path().join("model.json"),
    );
    write_mdp(&mdp, std::fs::File::create(&mdp_path).unwrap()).unwrap();
    write_demos(&train_path, &train).unwrap();
    write_demos(&held_path, &held_out).unwrap();
    let horizon = HORIZON.to_string();
    succeed(&[
        "fit",
        "--mdp",
        path(&mdp_path),
        "--demos",
        path(&train_path),
        "--horizon",
        &horizon,
        "--goal-conditioned",
        "--quiet",
        "--out",
        path(&model_path),
    ]);
    let model: Value =
        serde_json::from_str(&std::fs::read_to_string(&model_path).unwrap()).unwrap();
    assert_eq!(model["format"], "irl-model/1");
    assert_eq!(model["goal_conditioned"], true);
    // Goals: the demonstrations' last states, counted here.
    let mut expected: BTreeMap<u64, u64> = BTreeMap::new();
    for t in &train.trajectories {
        *expected
            .entry(*t.states.last().unwrap() as u64)
            .or_default() += 1;
    }
    let goals: BTreeMap<u64, u64> = model["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["state"].as_u64().unwrap(), g["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(goals, expected);
    assert_eq!(goals.values().sum::<u64>(), train.len() as u64);
    assert_eq!(model["training"]["n_tasks"], 4);

    // The binary's weights are the library's fit with the same settings (λ = 0.01).
    let settings = SoftSettings::finite(HORIZON, 1.0);
    let library = FitParams {
        settings: settings.clone(),
        goal_conditioned: true,
        l2: 0.01,
        ..FitParams::default()
    }
    .fit(&mdp, &train)
    .unwrap();
    let weights: Vec<f64> = model["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_f64().unwrap())
        .collect();
    for (k, (w, l)) in weights.iter().zip(&library.weights).enumerate() {
        assert!((w - l).abs() < 1e-9, "weight {k}: binary {w}, library {l}");
    }

    let output = succeed(&[
        "evaluate",
        "--mdp",
        path(&mdp_path),
        "--model",
        path(&model_path),
        "--demos",
        path(&held_path),
    ]);
    let metrics: Value = serde_json::from_slice(&output.stdout).unwrap();
    let theta = Array1::from(weights);
    let expected = evaluate_by_goal(
        &mdp,
        &settings,
        Alignment::Start,
        theta.view(),
        &held_out,
        &[],
        GoalRule::LastCell,
    )
    .unwrap();
    for (name, want) in [
        ("nll_per_action", expected.nll_per_action),
        ("nll_per_trajectory", expected.nll_per_trajectory),
        ("action_accuracy", expected.action_accuracy),
        ("feature_residual", expected.feature_residual),
    ] {
        let got = metrics[name]
            .as_f64()
            .unwrap_or_else(|| panic!("{name} missing: {metrics}"));
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{name}: {got} vs {want}"
        );
    }
    assert_eq!(metrics["n_trajectories"], held_out.len());
    assert_eq!(metrics["n_actions"], held_out.n_actions());
    let listed = metrics["weights"].as_array().unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed
        .iter()
        .all(|w| w["standard_error"].as_f64().unwrap() > 0.0));

    // True weights are for models without goals only.
    let output = common::irl(&[
        "evaluate",
        "--mdp",
        path(&mdp_path),
        "--model",
        path(&model_path),
        "--demos",
        path(&held_path),
        "--true-weights",
        path(&model_path),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("goal-conditioned"), "{stderr}");
}
