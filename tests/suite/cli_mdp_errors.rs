//! `irl solve` on bad input: every malformed MDP or weights file ends the run with a
//! non-zero status and a message on stderr that names the file and the field or index
//! at fault, never a panic, and leaves nothing (neither the output nor a temporary file)
//! in the output folder.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

#[cfg(target_os = "linux")]
use crate::common::irl_under_ulimit;
use crate::common::{irl, path};

/// The transitions of the valid MDP: state 2 is terminal (its listed self-loop is
/// ignored) and action 1 is unavailable there.
const TRANSITIONS: &str = r#""s": [0, 0, 0, 1, 1, 2], "a": [0, 0, 1, 0, 1, 0],
                 "s_next": [1, 2, 0, 2, 0, 2], "p": [0.5, 0.5, 1.0, 1.0, 1.0, 1.0]"#;

/// The valid MDP with other transition arrays.
fn mdp_with(transitions: &str) -> String {
    format!(
        r#"{{"format": "irl-mdp/1", "n_states": 3, "n_actions": 2,
 "transitions": {{{transitions}}},
 "initial": [0.5, 0.5, 0.0],
 "terminal": [2],
 "features": {{"kind": "state", "names": ["good"], "values": [[0.0], [1.0], [2.0]]}}}}
"#
    )
}

const WEIGHTS: &str = r#"{"format": "irl-weights/1", "feature_names": ["good"], "weights": [0.5]}"#;

/// Write the two inputs, run `irl solve` into a fresh output folder, and return the
/// outcome with the names left in that folder.
fn run(mdp: &str, weights: &str) -> (Output, Vec<String>, tempfile::TempDir) {
    let inputs = tempfile::tempdir().expect("temporary folder");
    fs::write(inputs.path().join("mdp.json"), mdp).expect("write mdp");
    fs::write(inputs.path().join("weights.json"), weights).expect("write weights");
    let out_dir = inputs.path().join("out");
    fs::create_dir(&out_dir).expect("output folder");
    let output = solve(inputs.path(), &out_dir.join("solution.json"));
    (output, listing(&out_dir), inputs)
}

fn solve(inputs: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_irl"))
        .arg("solve")
        .arg("--mdp")
        .arg(inputs.join("mdp.json"))
        .arg("--weights")
        .arg(inputs.join("weights.json"))
        .args(["--horizon", "3"])
        .arg("--out")
        .arg(out)
        .output()
        .expect("the irl binary runs")
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("readable folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Replace `from` (which must occur) by `to`.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in the base document");
    text.replacen(from, to, 1)
}

#[test]
fn the_base_inputs_solve() {
    let (output, left, _dir) = run(&mdp_with(TRANSITIONS), WEIGHTS);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(left, ["solution.json"]);
}

#[test]
fn each_bad_mdp_is_reported_with_its_place() {
    let base = mdp_with(TRANSITIONS);
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "probabilities not summing to 1",
            edit(&base, "\"p\": [0.5, 0.5,", "\"p\": [0.5, 0.4,"),
            vec!["transitions.p[1]", "sum to 0.9"],
        ),
        (
            "successor out of range",
            edit(&base, "\"s_next\": [1, 2, 0,", "\"s_next\": [1, 3, 0,"),
            vec!["transitions.s_next[1]", "0..3"],
        ),
        (
            "action out of range",
            edit(
                &base,
                "\"a\": [0, 0, 1, 0, 1, 0]",
                "\"a\": [0, 0, 1, 0, 2, 0]",
            ),
            vec!["transitions.a[4]", "0..2"],
        ),
        (
            "NaN feature",
            edit(&base, "[2.0]]", "[NaN]]"),
            vec!["line 6", "NaN"],
        ),
        (
            "NaN probability",
            edit(&base, "1.0, 1.0, 1.0]}", "1.0, 1.0, NaN]}"),
            vec!["line 3", "NaN"],
        ),
        (
            "duplicate entry",
            mdp_with(
                r#""s": [0, 0, 0, 1, 1, 2, 1], "a": [0, 0, 1, 0, 1, 0, 0],
                 "s_next": [1, 2, 0, 2, 0, 2, 2], "p": [0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 0.0]"#,
            ),
            vec!["transitions[6]", "duplicate", "first given at index 3"],
        ),
        (
            "missing field",
            edit(&base, "\"n_actions\": 2,", ""),
            vec!["missing field", "n_actions"],
        ),
        (
            "wrong format tag",
            edit(&base, "irl-mdp/1", "irl-mdp/2"),
            vec!["format", "irl-mdp/2"],
        ),
        (
            "truncated JSON",
            base[..base.len() / 2].to_string(),
            vec!["truncated", "line 3"],
        ),
        (
            "non-terminal state without actions",
            edit(
                &mdp_with(
                    r#""s": [0, 0, 0, 1, 1], "a": [0, 0, 1, 0, 1],
                 "s_next": [1, 2, 0, 2, 0], "p": [0.5, 0.5, 1.0, 1.0, 1.0]"#,
                ),
                "\"terminal\": [2]",
                "\"terminal\": []",
            ),
            vec!["transitions (state 2)", "no available action"],
        ),
        (
            "initial not summing to 1",
            edit(&base, "[0.5, 0.5, 0.0]", "[0.5, 0.6, 0.0]"),
            vec!["initial", "sums to 1.1"],
        ),
        (
            "negative initial probability",
            edit(&base, "[0.5, 0.5, 0.0]", "[1.5, -0.5, 0.0]"),
            vec!["initial[1]"],
        ),
        (
            "terminal state out of range",
            edit(&base, "\"terminal\": [2]", "\"terminal\": [5]"),
            vec!["terminal[0]", "0..3"],
        ),
        (
            "feature rows of unequal length",
            edit(&base, "[[0.0], [1.0], [2.0]]", "[[0.0], [1.0, 3.0], [2.0]]"),
            vec!["features.values[1]"],
        ),
    ];
    for (what, mdp, places) in cases {
        let (output, left, _dir) = run(&mdp, WEIGHTS);
        assert_rejected(what, &output, &left, "mdp.json", &places);
    }
}

#[test]
fn declared_sizes_the_file_cannot_hold_are_refused_before_allocating() {
    // Half a kilobyte declaring 10^9 states: a state needs a transition or to be
    // terminal, and the file lists 6 transitions and 1 terminal state.
    let base = mdp_with(TRANSITIONS);
    let huge = edit(&base, "\"n_states\": 3", "\"n_states\": 1e9");
    let (output, left, _dir) = run(&huge, WEIGHTS);
    assert_rejected(
        "10^9 states",
        &output,
        &left,
        "mdp.json",
        &[
            "transitions (state 3)",
            "declares 1000000000 states",
            "at most 7 states",
        ],
    );
    // 3 states with 10^9 actions each: 33.5 GiB of row pointers, more than a 2 GB
    // address space leaves.
    #[cfg(target_os = "linux")]
    {
        let inputs = tempfile::tempdir().expect("temporary folder");
        let wide = edit(&base, "\"n_actions\": 2", "\"n_actions\": 1e9");
        fs::write(inputs.path().join("mdp.json"), wide).expect("write mdp");
        fs::write(inputs.path().join("weights.json"), WEIGHTS).expect("write weights");
        let out_dir = inputs.path().join("out");
        fs::create_dir(&out_dir).expect("output folder");
        let (mdp, weights) = (
            inputs.path().join("mdp.json"),
            inputs.path().join("weights.json"),
        );
        let out = out_dir.join("solution.json");
        let args = [
            "solve",
            "--mdp",
            path(&mdp),
            "--weights",
            path(&weights),
            "--out",
            path(&out),
        ];
        let output = irl_under_ulimit(2_000_000, &args);
        assert_rejected(
            "10^9 actions",
            &output,
            &listing(&out_dir),
            "mdp.json",
            &[
                "reading the MDP would need 33.5 GiB",
                "row pointers 33.5 GiB",
                "the address space left under ulimit -v is",
                "n_states = 3 and n_actions = 1000000000",
            ],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("--memory-limit"), "{stderr}");
    }
}

#[test]
fn an_undiscounted_stationary_solve_without_a_way_out_fails_at_once() {
    // State 0 leaves for the terminal state 1; states 2 and 3 only pass to each other.
    let mdp = r#"{"format": "irl-mdp/1", "n_states": 4, "n_actions": 1,
 "transitions": {"s": [0, 2, 3], "a": [0, 0, 0], "s_next": [1, 3, 2], "p": [1.0, 1.0, 1.0]},
 "terminal": [1],
 "features": {"kind": "state", "names": ["good"], "values": [[0.0], [1.0], [2.0], [3.0]]}}"#;
    let inputs = tempfile::tempdir().expect("temporary folder");
    let (mdp_path, weights) = (inputs.path().join("mdp.json"), inputs.path().join("w.json"));
    fs::write(&mdp_path, mdp).expect("write mdp");
    fs::write(&weights, WEIGHTS).expect("write weights");
    let out = inputs.path().join("solution.json");
    let solve = |extra: &[&str]| {
        let mut args = vec![
            "solve",
            "--mdp",
            path(&mdp_path),
            "--weights",
            path(&weights),
            "--out",
            path(&out),
        ];
        args.extend(extra);
        irl(&args)
    };
    let refused = solve(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("invalid parameter `discount`")
            && stderr.contains("no policy leads from state 2 to one")
            && stderr.contains("give a discount below 1 or a horizon"),
        "{stderr}"
    );
    assert!(!out.exists());
    for fine in [&["--discount", "0.9"][..], &["--horizon", "5"][..]] {
        let output = solve(fine);
        assert!(
            output.status.success(),
            "{fine:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn weights_that_do_not_fit_the_mdp_are_reported() {
    let cases = [
        (
            "too many weights",
            r#"{"format": "irl-weights/1", "feature_names": ["good", "bad"], "weights": [0.5, 1.0]}"#,
            vec!["2 weights", "1 features"],
        ),
        (
            "no weights",
            r#"{"format": "irl-weights/1", "feature_names": [], "weights": []}"#,
            vec!["0 weights", "1 features"],
        ),
        (
            "wrong feature name",
            r#"{"format": "irl-weights/1", "feature_names": ["bad"], "weights": [0.5]}"#,
            vec!["feature_names[0]", "\"good\""],
        ),
        (
            "wrong format tag",
            r#"{"format": "irl-mdp/1", "feature_names": ["good"], "weights": [0.5]}"#,
            vec!["format", "irl-weights/1"],
        ),
    ];
    for (what, weights, places) in cases {
        let (output, left, _dir) = run(&mdp_with(TRANSITIONS), weights);
        assert_rejected(what, &output, &left, "weights.json", &places);
    }
}

#[test]
fn a_failed_write_leaves_no_temporary_file() {
    let inputs = tempfile::tempdir().expect("temporary folder");
    fs::write(inputs.path().join("mdp.json"), mdp_with(TRANSITIONS)).expect("write mdp");
    fs::write(inputs.path().join("weights.json"), WEIGHTS).expect("write weights");
    let out_dir = inputs.path().join("out");
    // The output path is an existing folder: the temporary file is written beside it,
    // and renaming it over the folder fails.
    fs::create_dir_all(out_dir.join("solution.json")).expect("blocking folder");
    let output = solve(inputs.path(), &out_dir.join("solution.json"));
    let left = listing(&out_dir);
    assert_eq!(left, ["solution.json"], "left behind: {left:?}");
    assert!(out_dir.join("solution.json").is_dir());
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("solution.json"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn assert_rejected(what: &str, output: &Output, left: &[String], file: &str, places: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "{what}: exit status {:?}",
        output.status
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(
        stderr.contains(file),
        "{what}: {file} not named in {stderr}"
    );
    for place in places {
        assert!(stderr.contains(place), "{what}: {place:?} not in {stderr}");
    }
    assert_eq!(
        stderr.matches(places[0]).count(),
        1,
        "{what}: {:?} not named exactly once in {stderr}",
        places[0]
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{what}: not one paragraph: {stderr}"
    );
    assert!(
        left.is_empty(),
        "{what}: left in the output folder: {left:?}"
    );
}
