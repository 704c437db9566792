//! Timed steps on a kinematic lattice, end to end on a small scene: the gradient of the
//! stationary goal-conditioned objective against central differences, the destination
//! posterior against Bayes' rule over independently solved goal policies, the fitted
//! walker baselines at their optimum, and bad input to the new command-line paths.

use irl::eval::{fit_goal_directed, goal_directed_log_probability, ScoredStep};
use irl::inference::SoftSettings;
use irl::learn::{goal_mdp, FitParams, GoalPolicies, GoalRule, Objective};
use irl::tracks::{
    discretize_timed, grid_features, read_tracks, GridFeatureParams, Scene, TimeStep,
    TimedDiscretized, TimedParams,
};
use irl::Mdp;

use crate::common::{irl, path, succeed};

/// Two walkers on a 5 × 3 scene of 1 m cells at 1 s steps: one east along the bottom,
/// one west along the top, m = 1 (V = 9, S = 135).
const TRACKS: &str = "track,frame,x,y\n\
a,0,0.5,0.5\na,1,1.5,0.5\na,2,2.5,0.6\na,3,3.4,0.5\na,4,4.5,0.5\n\
b,0,4.5,2.5\nb,1,3.5,2.5\nb,2,2.5,2.4\nb,3,1.5,1.5\nb,4,0.5,1.5\n";

fn world() -> (TimedDiscretized, Mdp) {
    let tracks = read_tracks(TRACKS.as_bytes(), "walkers.csv").unwrap();
    let scene = Scene::new(0.0, 0.0, 1.0, 5, 3).unwrap();
    let params = TimedParams {
        time_step: TimeStep::new(1.0, 1.0).unwrap(),
        max_displacement: 1,
        lattice: true,
    };
    let d = discretize_timed(&tracks, &scene, &params).unwrap();
    let visited = d.visited_cells(&d.demos).unwrap();
    let cells = grid_features(&scene, &visited, &GridFeatureParams { region_size: 3 }).unwrap();
    let mdp = d.mdp(cells).unwrap();
    (d, mdp)
}

fn stationary_fit() -> FitParams {
    FitParams {
        settings: SoftSettings {
            tolerance: 1e-13,
            ..SoftSettings::infinite(1.0)
        },
        goal_conditioned: true,
        goal_rule: GoalRule::Clustered { radius: 1.0 },
        l2: 0.1,
        ..FitParams::default()
    }
}

#[test]
fn the_demonstrations_are_the_hand_matched_lattice_paths() {
    let (d, mdp) = world();
    assert_eq!((mdp.n_states(), mdp.n_actions()), (135, 11));
    // Walker a: cells 0, 1, 2, 3, 4, every step east (d = (1, 0), index 5), so after
    // the free first displacement every action keeps the velocity (action 4).
    let a = &d.demos.trajectories[0];
    assert_eq!(a.states, vec![5, 9 + 5, 18 + 5, 27 + 5, 36 + 5]);
    assert_eq!(a.actions, vec![4, 4, 4, 4]);
    // Walker b turns south-west at its third step: from (2, 2) to (1, 1).
    let b = &d.demos.trajectories[1];
    let cells: Vec<usize> = b.states.iter().map(|s| s / 9).collect();
    assert_eq!(cells, vec![14, 13, 12, 6, 5]);
    assert_eq!(d.report.positions, 10);
    d.demos.validate(&mdp).unwrap();
}

#[test]
fn the_stationary_goal_gradient_matches_central_differences() {
    let (d, mdp) = world();
    let fit = stationary_fit();
    let (tasks, goals) = fit.tasks(&mdp, &d.demos).unwrap();
    assert_eq!(goals.len(), 2);
    let objective = Objective::new(tasks, fit.settings.clone(), fit.l2);
    let mut theta = fit.starting_point(&mdp);
    for (k, t) in theta.iter_mut().enumerate() {
        *t += 0.05 * ((k % 5) as f64 - 2.0);
    }
    let value = objective.evaluate(theta.view()).unwrap();
    let h = 1e-5;
    for k in 0..theta.len() {
        let mut plus = theta.clone();
        let mut minus = theta.clone();
        plus[k] += h;
        minus[k] -= h;
        let numeric = (objective.evaluate(plus.view()).unwrap().cost
            - objective.evaluate(minus.view()).unwrap().cost)
            / (2.0 * h);
        let analytic = value.gradient[k];
        assert!(
            (numeric - analytic).abs() <= 1e-6 * (1.0 + numeric.abs()),
            "feature {} ({}): analytic {analytic}, numeric {numeric}",
            k,
            mdp.features().names()[k]
        );
    }
}

#[test]
fn the_destination_posterior_is_bayes_rule_over_the_goal_policies() {
    let (d, mdp) = world();
    let fit = FitParams {
        max_iterations: 5,
        ..stationary_fit()
    };
    let model = fit.fit(&mdp, &d.demos).unwrap();
    let policies = GoalPolicies::new(&model, &mdp, &model.goals).unwrap();
    // The first three steps of walker a, scored by each goal's own solved policy.
    let a = &d.demos.trajectories[0];
    let (states, actions) = (&a.states[..3], &a.actions[..2]);
    let mut weights: Vec<f64> = model
        .goals
        .iter()
        .map(|g| {
            let pi = model.policy(&goal_mdp(&mdp, g).unwrap()).unwrap();
            let likelihood: f64 = states
                .iter()
                .zip(actions)
                .map(|(&s, &act)| pi[[0, s, act]])
                .product();
            g.count as f64 * likelihood
        })
        .collect();
    let total: f64 = weights.iter().sum();
    weights.iter_mut().for_each(|w| *w /= total);
    let posterior = policies.posterior(states, actions);
    for (p, w) in posterior.iter().zip(&weights) {
        assert!((p - w).abs() < 1e-9, "{posterior:?} against {weights:?}");
    }
    // Walking east along the bottom points at a's destination, the east end.
    let east = model
        .goals
        .iter()
        .position(|g| g.centre.unwrap()[0] > 3.0)
        .unwrap();
    assert!(posterior[east] > 0.5, "{posterior:?}");
    // Occupancies are distributions: each step's mass sums to 1 (nothing is lost on a
    // grid this small).
    for step in policies.occupancy(&posterior, states[2], 4) {
        let mass: f64 = step.iter().map(|x| x.1).sum();
        assert!((mass - 1.0).abs() < 1e-6, "{mass}");
    }
}

#[test]
fn a_known_destination_is_the_goal_the_model_was_fitted_to_reach() {
    let (d, mdp) = world();
    let fit = FitParams {
        max_iterations: 2,
        ..stationary_fit()
    };
    let model = fit.fit(&mdp, &d.demos).unwrap();
    let policies = GoalPolicies::new(&model, &mdp, &model.goals).unwrap();
    let v = 9;
    // A track ending in walker a's last cell (4, 0) is going to a's training goal.
    let a_goal = model.goals.iter().find(|g| g.contains(4 * v)).unwrap();
    assert_eq!(policies.destination_of(4 * v + 3).states, a_goal.states);
    // One ending in cell (2, 1), 1 m or more from both training ends, gets the model's
    // rule around it: the cells within 1 m of (2.5, 1.5) are (2, 1) and its four
    // neighbours, with every displacement.
    let goal = policies.destination_of(7 * v);
    assert!(model.goals.iter().all(|g| !g.contains(7 * v)));
    let mut cells: Vec<usize> = goal.states.iter().map(|s| s / v).collect();
    cells.dedup();
    assert_eq!(cells, vec![2, 6, 7, 8, 12]);
    assert_eq!(goal.states.len(), 5 * v);
    assert_eq!(goal.centre, Some([2.5, 1.5]));
}

#[test]
fn the_fitted_goal_directed_beta_is_a_stationary_point_of_the_likelihood() {
    let (d, mdp) = world();
    let goal = |t: &irl::demos::Trajectory| {
        let grid = mdp.grid().unwrap();
        grid.cell_centre(grid.cell_of(*t.states.last().unwrap()))
    };
    let steps: Vec<ScoredStep> = d
        .demos
        .trajectories
        .iter()
        .flat_map(|t| {
            let g = goal(t);
            t.steps().map(move |(s, a)| ScoredStep {
                state: s,
                action: a,
                previous: None,
                goal: g,
            })
        })
        .collect();
    let beta = fit_goal_directed(&mdp, &steps);
    let ll = |b: f64| -> f64 {
        steps
            .iter()
            .map(|s| goal_directed_log_probability(&mdp, s, b))
            .sum()
    };
    let h = 1e-4;
    let slope = (ll(beta + h) - ll(beta - h)) / (2.0 * h);
    assert!(beta > 0.0 && beta < irl::eval::MAX_BETA, "{beta}");
    assert!(slope.abs() < 1e-3, "slope {slope} at β = {beta}");
}

#[test]
fn bad_timed_input_is_named_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tracks = dir.path().join("walkers.csv");
    std::fs::write(&tracks, TRACKS).unwrap();
    let out = dir.path().join("out");
    for (extra, says) in [
        (vec!["--time-step", "0.4", "--fps", "0"], "fps"),
        (vec!["--time-step", "-1", "--fps", "25"], "time_step"),
        (
            vec![
                "--time-step",
                "0.4",
                "--fps",
                "25",
                "--lattice",
                "--max-displacement",
                "0",
            ],
            "max_displacement",
        ),
    ] {
        let mut args = vec![
            "discretize",
            "--tracks",
            path(&tracks),
            "--cell",
            "1",
            "--out",
            path(&out),
        ];
        args.extend(extra.iter().copied());
        let o = irl(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && stderr.contains(says),
            "{args:?}: {stderr}"
        );
        assert!(!out.exists());
    }
    // A good run, then evaluate with positions that do not match the demonstrations.
    succeed(&[
        "discretize",
        "--tracks",
        path(&tracks),
        "--cell",
        "1",
        "--time-step",
        "1",
        "--fps",
        "1",
        "--lattice",
        "--max-displacement",
        "1",
        "--region-size",
        "3",
        "--out",
        path(&out),
    ]);
    let model = dir.path().join("model.json");
    succeed(&[
        "fit",
        "--mdp",
        path(&out.join("mdp.json")),
        "--demos",
        path(&out.join("demos.csv")),
        "--goal-conditioned",
        "--goal-radius",
        "1",
        "--max-iters",
        "3",
        "--quiet",
        "--out",
        path(&model),
    ]);
    let short = dir.path().join("short.csv");
    std::fs::write(&short, "track,frame,x,y\na,0,0.5,0.5\na,1,1.5,0.5\n").unwrap();
    let o = irl(&[
        "evaluate",
        "--mdp",
        path(&out.join("mdp.json")),
        "--model",
        path(&model),
        "--demos",
        path(&out.join("demos.csv")),
        "--tracks",
        path(&short),
        "--observe",
        "2",
        "--predict",
        "1",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && stderr.contains("short.csv")
            && stderr.contains("track a has 2 positions"),
        "{stderr}"
    );
    // An observed prefix off the grid.
    let off = dir.path().join("off.csv");
    std::fs::write(&off, "track,frame,x,y\nz,0,0.5,0.5\nz,1,9.5,0.5\n").unwrap();
    let forecast = dir.path().join("forecast.json");
    let o = irl(&[
        "forecast",
        "--mdp",
        path(&out.join("mdp.json")),
        "--model",
        path(&model),
        "--observed",
        path(&off),
        "--steps",
        "3",
        "--out",
        path(&forecast),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && stderr.contains("off.csv") && stderr.contains("track z"),
        "{stderr}"
    );
    assert!(!forecast.exists());
    // On the grid: a posterior over the two destinations and three expected positions.
    let on = dir.path().join("on.csv");
    std::fs::write(&on, "track,frame,x,y\nz,0,0.5,0.5\nz,1,1.5,0.5\n").unwrap();
    succeed(&[
        "forecast",
        "--mdp",
        path(&out.join("mdp.json")),
        "--model",
        path(&model),
        "--observed",
        path(&on),
        "--steps",
        "3",
        "--samples",
        "4",
        "--out",
        path(&forecast),
    ]);
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&forecast).unwrap()).unwrap();
    let total: f64 = doc["posterior"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["probability"].as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-12);
    assert_eq!(doc["expected_positions"].as_array().unwrap().len(), 3);
    assert_eq!(doc["samples"].as_array().unwrap().len(), 4);
}
