//! `irl solve` against a peer implementation: the cases in `tests/data/reference/` hold V,
//! Q, π, the occupancy rows, the expected features and the log-partition computed by the
//! `imitation` library (see that folder's README.md for the credit and how its numbers
//! were put into this project's conventions), and the binary must reproduce every number
//! to 1e-9 (absolute).
//!
//! A missing folder fails the test rather than skipping it: these numbers are the only
//! outside truth for the solver.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const TOLERANCE: f64 = 1e-9;
const ARRAYS: [&str; 4] = ["value", "q", "policy", "occupancy"];
const SUMMARIES: [&str; 2] = ["expected_features", "log_partition"];

fn reference_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reference");
    assert!(
        dir.join("README.md").is_file(),
        "the reference cases are missing: {} has no README.md",
        dir.display()
    );
    dir
}

/// Run `irl solve` on a reference case and return the written document.
fn solve(case: &str, horizon: usize, discount: f64, extra: &[&str]) -> Value {
    let dir = reference_dir().join(case);
    let out_dir = tempfile::tempdir().expect("temporary folder");
    let out = out_dir.path().join("solution.json");
    let output = Command::new(env!("CARGO_BIN_EXE_irl"))
        .arg("solve")
        .arg("--mdp")
        .arg(dir.join("mdp.json"))
        .arg("--weights")
        .arg(dir.join("weights.json"))
        .args(["--horizon", &horizon.to_string()])
        .args(["--discount", &discount.to_string()])
        .args(extra)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("the irl binary runs");
    assert!(
        output.status.success(),
        "irl solve failed on {case}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&out).expect("the solution was written");
    serde_json::from_str(&text).expect("the solution is JSON")
}

fn expected(case: &str) -> Value {
    let path = reference_dir().join(case).join("expected.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// Compare two JSON trees of numbers (and `null` for −∞) element by element.
fn assert_matches(got: &Value, want: &Value, place: &str) {
    match (got, want) {
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{place}: length");
            for (i, (g, w)) in g.iter().zip(w).enumerate() {
                assert_matches(g, w, &format!("{place}[{i}]"));
            }
        }
        (Value::Null, Value::Null) => {}
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!(
                (g - w).abs() <= TOLERANCE,
                "{place}: got {g}, reference {w} (difference {:e})",
                (g - w).abs()
            );
        }
        _ => panic!("{place}: got {got}, reference {want}"),
    }
}

fn check_case(case: &str, horizon: usize, discount: f64) {
    let want = expected(case);
    let got = solve(case, horizon, discount, &[]);
    for field in ARRAYS.iter().chain(&SUMMARIES) {
        let w = want
            .get(*field)
            .unwrap_or_else(|| panic!("{case}/expected.json has no {field}"));
        let g = got
            .get(*field)
            .unwrap_or_else(|| panic!("{case}: the solution has no {field}"));
        assert_matches(g, w, &format!("{case}.{field}"));
    }
    assert_eq!(got["horizon"], horizon);
    assert_eq!(got["discount"], discount);

    let summary = solve(case, horizon, discount, &["--no-arrays"]);
    for field in ARRAYS {
        assert!(
            summary.get(field).is_none(),
            "{case}: --no-arrays still wrote {field}"
        );
    }
    for field in SUMMARIES {
        assert_matches(&summary[field], &want[field], &format!("{case}.{field}"));
    }
}

#[test]
fn grid_case_matches_the_reference() {
    check_case("grid", 10, 0.9);
}

#[test]
fn random_case_matches_the_reference() {
    check_case("random", 6, 1.0);
}
