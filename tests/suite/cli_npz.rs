//! MDPs whose transitions live in a `.npz` file, through the `irl` binary.
//!
//! - `irl generate ... --npz` writes DIR/mdp.json referencing DIR/transitions.npz; the
//!   pair loads back as the MDP the same command writes all in JSON without the flag.
//! - `irl solve` on the two forms gives the same solution, number for number.
//! - Without the flag, the transitions go to a `.npz` exactly when the world has more
//!   than 10^6 transition entries.
//! - A reference to a missing `.npz` ends the run with a message naming both files.

use crate::common;

use common::{irl, path, succeed};

use std::fs;
use std::path::Path;

use irl::mdp::read_mdp_file;
use serde_json::Value;

fn generate(world: &[&str], out: &Path, npz: bool) {
    let mut args: Vec<&str> = vec!["generate"];
    args.extend_from_slice(world);
    args.extend_from_slice(&[
        "--demos",
        "2",
        "--length",
        "3",
        "--seed",
        "4",
        "--out",
        path(out),
    ]);
    if npz {
        args.push("--npz");
    }
    succeed(&args);
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn solution(dir: &Path) -> Value {
    let out = dir.join("solution.json");
    succeed(&[
        "solve",
        "--mdp",
        path(&dir.join("mdp.json")),
        "--weights",
        path(&dir.join("true_weights.json")),
        "--horizon",
        "6",
        "--out",
        path(&out),
    ]);
    let mut value: Value = serde_json::from_str(&fs::read_to_string(out).unwrap()).unwrap();
    value.as_object_mut().unwrap().remove("timing");
    value
}

#[test]
fn generate_npz_loads_back_and_solves_as_the_json_form() {
    let dir = tempfile::tempdir().unwrap();
    let (json_dir, npz_dir) = (dir.path().join("json"), dir.path().join("npz"));
    let world = [
        "gridworld",
        "--size",
        "5",
        "--actions",
        "4",
        "--slip",
        "0.3",
    ];
    generate(&world, &json_dir, false);
    generate(&world, &npz_dir, true);
    assert_eq!(
        listing(&json_dir),
        ["demos.csv", "mdp.json", "true_weights.json"]
    );
    assert_eq!(
        listing(&npz_dir),
        [
            "demos.csv",
            "mdp.json",
            "transitions.npz",
            "true_weights.json"
        ]
    );
    let document: Value =
        serde_json::from_str(&fs::read_to_string(npz_dir.join("mdp.json")).unwrap()).unwrap();
    assert_eq!(
        document["transitions"],
        serde_json::json!({"npz": "transitions.npz"})
    );
    let from_json = read_mdp_file(&json_dir.join("mdp.json")).unwrap();
    let from_npz = read_mdp_file(&npz_dir.join("mdp.json")).unwrap();
    assert_eq!(from_npz, from_json);
    // 4 outcomes per move; in a corner the two blocked moves both stay: one entry fewer.
    assert_eq!(from_npz.transitions().nnz(), 25 * 4 * 4 - 4 * 4);
    let (a, b) = (solution(&json_dir), solution(&npz_dir));
    let value = a["value"].as_array().unwrap();
    assert_eq!((value.len(), value[0].as_array().unwrap().len()), (6, 25));
    assert_eq!(a, b);
}

#[test]
fn worlds_above_a_million_entries_use_npz_by_themselves() {
    let dir = tempfile::tempdir().unwrap();
    // 83,333 and 83,334 states with 4 actions and 3 successors: 999,996 and 1,000,008 entries.
    for (states, expect_npz) in [("83333", false), ("83334", true)] {
        let out = dir.path().join(states);
        let world = [
            "random",
            "--states",
            states,
            "--actions",
            "4",
            "--successors",
            "3",
            "--n-features",
            "2",
        ];
        generate(&world, &out, false);
        let mdp = read_mdp_file(&out.join("mdp.json")).unwrap();
        let has_npz = out.join("transitions.npz").exists();
        assert_eq!(
            has_npz,
            mdp.transitions().nnz() > 1_000_000,
            "{states} states"
        );
        assert_eq!(has_npz, expect_npz, "{states} states");
    }
}

#[test]
fn a_missing_npz_is_named_with_its_document() {
    let dir = tempfile::tempdir().unwrap();
    generate(&["gridworld", "--size", "3"], dir.path(), true);
    fs::remove_file(dir.path().join("transitions.npz")).unwrap();
    let output = irl(&[
        "solve",
        "--mdp",
        path(&dir.path().join("mdp.json")),
        "--weights",
        path(&dir.path().join("true_weights.json")),
        "--horizon",
        "2",
        "--out",
        path(&dir.path().join("solution.json")),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(path(&dir.path().join("mdp.json"))),
        "{stderr}"
    );
    assert!(
        stderr.contains(path(&dir.path().join("transitions.npz"))),
        "{stderr}"
    );
    assert!(!dir.path().join("solution.json").exists());
}
