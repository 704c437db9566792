//! Rewards and temperatures at the edges of a double, through the binary.
//!
//! - `irl solve` at rewards of ±1e12 over α = 1e-6 and ±1e50 over α = 1e6, with a
//!   horizon or without, succeeds with a document that holds no `null` but the
//!   infinite horizon's own, and policy rows of finite numbers summing to 1.
//! - Values that a double cannot hold end with status 1, no output file, and a message
//!   that says which value overflowed first, names the weight and the temperature behind
//!   it and what to change: rewards of ±1e308 (their sums overflow; never "raise the
//!   iteration cap"), ±1e308 over α = 1e-6 (r/α overflows), and features of 1e308
//!   whose expected counts overflow.
//! - `irl evaluate` blames such weights on the model file, not on the demonstrations.
//! - `irl fit --l2 1e308` is refused as a λ above the largest accepted.

use crate::common;

use common::{irl, path, succeed};

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// A 3×3 gridworld with one block feature per cell and five demonstrations, in `dir`.
fn world(dir: &Path) -> PathBuf {
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
    dir.join("mdp.json")
}

fn names() -> Vec<String> {
    (0..9)
        .map(|i| format!("block_x{}_y{}", i % 3, i / 3))
        .collect()
}

/// Weights `w` on the first cell and `−w` on the last, the others 0.
fn weights(dir: &Path, w: f64) -> PathBuf {
    let mut values = vec![0.0; 9];
    values[0] = w;
    values[8] = -w;
    let file = dir.join(format!("weights-{w:e}.json"));
    let doc = json!({"format": "irl-weights/1", "feature_names": names(), "weights": values});
    fs::write(&file, doc.to_string()).unwrap();
    file
}

/// The paths of every `null` in `doc`.
fn nulls(doc: &Value, at: String, found: &mut Vec<String>) {
    match doc {
        Value::Null => found.push(at),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nulls(item, format!("{at}[{i}]"), found);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                nulls(item, format!("{at}.{key}"), found);
            }
        }
        _ => {}
    }
}

/// The policy rows of a solution: [T][S][A] or [S][A].
fn policy_rows(policy: &Value) -> Vec<Vec<f64>> {
    let rows = |m: &Value| -> Vec<Vec<f64>> {
        m.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_f64().expect("a number"))
                    .collect()
            })
            .collect()
    };
    let items = policy.as_array().unwrap();
    if items[0][0].is_array() {
        items.iter().flat_map(rows).collect()
    } else {
        rows(policy)
    }
}

fn solve(mdp: &Path, weights: &Path, out: &Path, flags: &[&str]) -> std::process::Output {
    let mut args = vec![
        "solve",
        "--mdp",
        path(mdp),
        "--weights",
        path(weights),
        "--out",
        path(out),
    ];
    args.extend_from_slice(flags);
    irl(&args)
}

#[test]
fn large_rewards_over_small_or_large_temperatures_solve_to_finite_policies() {
    let dir = tempfile::tempdir().unwrap();
    let mdp = world(dir.path());
    let out = dir.path().join("solution.json");
    for (w, temperature) in [(1e12, "1e-6"), (1e50, "1e6")] {
        let file = weights(dir.path(), w);
        for flags in [
            &["--horizon", "10"][..],
            &["--horizon", "3", "--action-prior", "uniform"],
            &["--discount", "0.9"],
        ] {
            let mut all = vec!["--temperature", temperature];
            all.extend_from_slice(flags);
            let output = solve(&mdp, &file, &out, &all);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "{w} {all:?}: {stderr}");
            let doc: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
            let mut found = Vec::new();
            nulls(&doc, String::new(), &mut found);
            let stationary = flags[0] == "--discount";
            let allowed: &[&str] = if stationary { &[".horizon"] } else { &[] };
            assert_eq!(found, allowed, "{w} {all:?}");
            for row in policy_rows(&doc["policy"]) {
                assert!(row.iter().all(|p| p.is_finite() && *p >= 0.0), "{row:?}");
                assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{row:?}");
            }
        }
    }
}

#[test]
fn values_a_double_cannot_hold_are_errors_naming_their_cause() {
    let dir = tempfile::tempdir().unwrap();
    let mdp = world(dir.path());
    let out = dir.path().join("solution.json");
    let huge = weights(dir.path(), 1e308);
    let cases: [(&[&str], &[&str]); 3] = [
        (
            &["--horizon", "3"],
            &[
                "V_1(state 0) = inf, the first value out of range",
                "the rewards range from -1e308 (state 8) to 1e308 (state 0)",
                "over up to 3 steps",
                "scale the weights down",
                "weights[0] = 1e308, of feature \"block_x0_y0\"",
            ],
        ),
        (
            &["--discount", "0.9"],
            &[
                "in sweep 2 of the fixed point",
                "1/(1 − γ) = 10 steps",
                "weights[0] = 1e308",
            ],
        ),
        (
            &["--horizon", "3", "--temperature", "1e-6"],
            &[
                "V_1(state 0) = inf",
                "at temperature 1e-6",
                "|r|/α",
                "raise the temperature",
            ],
        ),
    ];
    for (flags, expected) in cases {
        let output = solve(&mdp, &huge, &out, flags);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{flags:?}: {stderr}");
        assert!(
            stderr.starts_with("irl: error: the soft backward pass overflowed: "),
            "{stderr}"
        );
        for part in expected {
            assert!(stderr.contains(part), "{part:?} not in: {stderr}");
        }
        assert!(!stderr.contains("iteration cap"), "{stderr}");
        assert!(!out.exists());
    }
    // Features of 1e308 in every state: three steps of them add up past the largest
    // double, though every value and policy is fine.
    let mut doc: Value = serde_json::from_str(&fs::read_to_string(&mdp).unwrap()).unwrap();
    for row in doc["features"]["values"].as_array_mut().unwrap() {
        row[0] = json!(1e308);
    }
    let big_features = dir.path().join("big-features.json");
    fs::write(&big_features, doc.to_string()).unwrap();
    let output = solve(
        &big_features,
        &weights(dir.path(), 0.0),
        &out,
        &["--horizon", "3"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("expected_features[0] is inf, out of the range of a double"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn evaluate_blames_overflowing_weights_on_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let mdp = world(dir.path());
    let mut values = vec![0.0; 9];
    values[0] = 1e308;
    values[8] = -1e308;
    let model = json!({
        "format": "irl-model/1",
        "feature_names": names(),
        "weights": values,
        "standard_errors": null,
        "solver": {"horizon": 4, "discount": 1.0, "backup": "variational",
                   "temperature": 1.0, "action_prior": "none"},
        "training": {"iterations": 0, "converged": true, "stop_reason": "iteration cap reached",
                     "objective": [1.0], "gradient_norm": [0.0], "feature_residual": [0.0],
                     "nll_per_action": 1.0, "n_actions": 20, "n_tasks": 1, "l2": 0.01,
                     "optimizer": "gradient_descent", "evaluations": 1, "seconds": 0.1},
    });
    let file = dir.path().join("huge-model.json");
    fs::write(&file, model.to_string()).unwrap();
    let demos = dir.path().join("demos.csv");
    let output = irl(&[
        "evaluate",
        "--mdp",
        path(&mdp),
        "--model",
        path(&file),
        "--demos",
        path(&demos),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(
        stderr.starts_with(&format!("irl: error: {}: ", path(&file))),
        "{stderr}"
    );
    assert!(
        stderr.contains("overflowed") && stderr.contains("weights[0] = 1e308"),
        "{stderr}"
    );
    assert!(!stderr.contains("demos.csv"), "{stderr}");
}

#[test]
fn fit_refuses_a_prior_weight_above_the_largest_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let mdp = world(dir.path());
    let out = dir.path().join("model.json");
    let output = irl(&[
        "fit",
        "--mdp",
        path(&mdp),
        "--demos",
        path(&dir.path().join("demos.csv")),
        "--horizon",
        "4",
        "--l2",
        "1e308",
        "--out",
        path(&out),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("invalid parameter `l2`: 1e308 is above 1e100"),
        "{stderr}"
    );
    assert!(!stderr.contains("argmin"), "{stderr}");
    assert!(!out.exists());
}
