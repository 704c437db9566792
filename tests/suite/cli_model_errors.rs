//! Model files are checked where they are read: `irl evaluate` and `irl forecast` given
//! a model whose solver settings break the rules of the flags that set them (a discount
//! outside (0, 1], a temperature that is not positive, a horizon of 0), whose standard
//! errors do not match its weights, or whose goals are not states of the MDP, end with
//! status 1 (never a panic) and a message that names the model file, the field and what
//! it should be, and write no output.

use crate::common;

use common::{irl, path, succeed};

use std::fs;
use std::path::Path;

use serde_json::{json, Value};

/// A 3×3 gridworld with one block per cell and five demonstrations, in `dir`.
fn world(dir: &Path) {
    succeed(&[
        "generate",
        "gridworld",
        "--size",
        "3",
        "--block",
        "1",
        "--demos",
        "5",
        "--length",
        "4",
        "--out",
        path(dir),
    ]);
}

/// A valid model of the world's nine features, fitted (as far as the file says) over a
/// horizon of 4.
fn model() -> Value {
    let names: Vec<String> = (0..9)
        .map(|i| format!("block_x{}_y{}", i % 3, i / 3))
        .collect();
    json!({
        "format": "irl-model/1",
        "feature_names": names,
        "weights": [0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.5],
        "standard_errors": vec![0.1; 9],
        "solver": {"horizon": 4, "discount": 1.0, "backup": "variational",
                   "temperature": 1.0, "action_prior": "none"},
        "training": {"iterations": 0, "converged": true, "stop_reason": "gradient norm below tolerance",
                     "objective": [1.0], "gradient_norm": [0.0], "feature_residual": [0.0],
                     "nll_per_action": 1.0, "n_actions": 20, "n_tasks": 1, "l2": 0.01,
                     "optimizer": {"lbfgs": {"memory": 10}}, "evaluations": 1, "seconds": 0.1},
    })
}

/// Run evaluate and forecast on `model` and check that both fail, naming the model file
/// and each of `expected`, and that forecast writes nothing.
fn refused(dir: &Path, model: &Value, expected: &[&str]) {
    let file = dir.join("bad-model.json");
    fs::write(&file, model.to_string()).unwrap();
    let mdp = dir.join("mdp.json");
    let out = dir.join("forecast.json");
    let runs = [
        irl(&[
            "evaluate",
            "--mdp",
            path(&mdp),
            "--model",
            path(&file),
            "--demos",
            path(&dir.join("demos.csv")),
        ]),
        irl(&[
            "forecast",
            "--mdp",
            path(&mdp),
            "--model",
            path(&file),
            "--start",
            "0",
            "--steps",
            "3",
            "--out",
            path(&out),
        ]),
    ];
    for output in runs {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(output.stdout.is_empty(), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(stderr.contains(path(&file)), "{stderr}");
        for part in expected {
            assert!(stderr.contains(part), "{part:?} not in: {stderr}");
        }
    }
    assert!(!out.exists());
}

#[test]
fn the_base_model_evaluates_and_forecasts() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    let file = dir.path().join("model.json");
    fs::write(&file, model().to_string()).unwrap();
    let mdp = dir.path().join("mdp.json");
    let demos = dir.path().join("demos.csv");
    let printed = succeed(&[
        "evaluate",
        "--mdp",
        path(&mdp),
        "--model",
        path(&file),
        "--demos",
        path(&demos),
    ]);
    let metrics: Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(metrics["weights"][8]["standard_error"], json!(0.1));
    let out = dir.path().join("forecast.json");
    succeed(&[
        "forecast",
        "--mdp",
        path(&mdp),
        "--model",
        path(&file),
        "--start",
        "0",
        "--steps",
        "3",
        "--out",
        path(&out),
    ]);
    assert!(out.exists());
}

#[test]
fn solver_settings_out_of_the_flags_ranges_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    let cases: [(&str, Value, &[&str]); 5] = [
        (
            "discount",
            json!(-0.5),
            &["solver.discount", "-0.5", "(0, 1]"],
        ),
        (
            "discount",
            json!(1.5),
            &["solver.discount", "1.5", "(0, 1]"],
        ),
        (
            "temperature",
            json!(-1.0),
            &["solver.temperature", "-1", "positive"],
        ),
        (
            "temperature",
            json!(0.0),
            &["solver.temperature", "0", "positive"],
        ),
        ("horizon", json!(0), &["solver.horizon", "at least 1"]),
    ];
    for (field, value, expected) in cases {
        let mut bad = model();
        bad["solver"][field] = value;
        refused(dir.path(), &bad, expected);
    }
}

#[test]
fn standard_errors_must_match_the_weights() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    let mut short = model();
    short["standard_errors"] = json!([0.1, 0.1, 0.1]);
    refused(
        dir.path(),
        &short,
        &[
            "standard_errors has 3 entries for 9 weights",
            "one per weight",
        ],
    );
    let mut negative = model();
    negative["standard_errors"][4] = json!(-2.0);
    refused(
        dir.path(),
        &negative,
        &["standard_errors[4] is -2", "non-negative"],
    );
}

#[test]
fn goals_must_be_states_of_the_mdp_and_a_goal_conditioned_model_must_have_them() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    let mut outside = model();
    outside["goal_conditioned"] = json!(true);
    outside["solver"]["horizon"] = Value::Null;
    outside["solver"]["discount"] = json!(0.9);
    outside["goals"] = json!([{"state": 8, "count": 3}, {"states": [2, 40], "count": 2}]);
    refused(dir.path(), &outside, &["goals[1] holds state 40", "0..9"]);
    let mut none = model();
    none["goal_conditioned"] = json!(true);
    refused(dir.path(), &none, &["goal_conditioned", "no goals"]);
    let mut radius = model();
    radius["goal_rule"] = json!({"clustered": {"radius": -1.0}});
    refused(
        dir.path(),
        &radius,
        &["goal_rule.clustered.radius", "-1", "non-negative"],
    );
}
