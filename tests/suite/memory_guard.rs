//! The memory guard from the command line: a solve or fit whose arrays exceed
//! `--memory-limit` stops before allocating them, says how much it needs, exits non-zero
//! and writes nothing.

use crate::common;

use common::{irl, irl_under_ulimit, path, succeed};

/// A 30×30 gridworld with 5 actions (the four moves and stay) and its demonstrations.
fn world(dir: &std::path::Path) {
    succeed(&[
        "generate",
        "gridworld",
        "--size",
        "30",
        "--demos",
        "20",
        "--length",
        "20",
        "--seed",
        "1",
        "--out",
        path(dir),
    ]);
}

#[test]
fn a_solve_over_the_limit_names_what_it_needs_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    let mdp = dir.path().join("mdp.json");
    let weights = dir.path().join("true_weights.json");
    let out = dir.path().join("solution.json");
    let args = |limit: &str| {
        vec![
            "solve".to_string(),
            "--mdp".into(),
            path(&mdp).into(),
            "--weights".into(),
            path(&weights).into(),
            "--horizon".into(),
            "100".into(),
            "--no-arrays".into(),
            "--memory-limit".into(),
            limit.into(),
            "--out".into(),
            path(&out).into(),
        ]
    };
    // values 101·900·8 = 727,200 B, forward 3·900·8 = 21,600 B, four chunks' scratch
    // 4·256·(5 + 2)·8 = 57,344 B, windows 900·8 = 7,200 B, one block's scratch
    // 256·(2·5 + 2)·8 = 24,576 B: 837,920 B ≈ 818 KiB in all.
    let refused = irl(&args("700K"));
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("would need 818 KiB") && message.contains("values 710 KiB"),
        "{message}"
    );
    assert!(
        message.contains("700 KiB") && message.contains("--memory-limit"),
        "{message}"
    );
    assert!(!out.exists());
    succeed(&args("820K"));
    assert!(out.exists());
}

#[test]
fn a_fit_over_the_limit_stops_before_its_first_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    let out = dir.path().join("model.json");
    let refused = irl(&[
        "fit",
        "--mdp",
        path(&dir.path().join("mdp.json")),
        "--demos",
        path(&dir.path().join("demos.csv")),
        "--horizon",
        "20",
        "--quiet",
        "--memory-limit",
        "10K",
        "--out",
        path(&out),
    ]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("this fit would need"), "{message}");
    assert!(!out.exists());
    let bad = irl(&[
        "fit",
        "--memory-limit",
        "lots",
        "--mdp",
        "x",
        "--demos",
        "y",
        "--out",
        "z",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a size"));
}

#[test]
fn an_evaluation_under_a_model_with_a_huge_horizon_stops_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    succeed(&[
        "generate",
        "gridworld",
        "--size",
        "5",
        "--demos",
        "10",
        "--length",
        "8",
        "--seed",
        "1",
        "--out",
        path(dir.path()),
    ]);
    let (mdp, demos) = (dir.path().join("mdp.json"), dir.path().join("demos.csv"));
    let model = dir.path().join("model.json");
    succeed(&[
        "fit",
        "--mdp",
        path(&mdp),
        "--demos",
        path(&demos),
        "--horizon",
        "10",
        "--quiet",
        "--out",
        path(&model),
    ]);
    let with_horizon = |horizon: u64| {
        let mut doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
        doc["solver"]["horizon"] = horizon.into();
        let edited = dir.path().join(format!("model-{horizon}.json"));
        std::fs::write(&edited, doc.to_string()).unwrap();
        edited
    };
    // 2^32 decisions over 25 states: 800 GiB of value rows, more than any machine here.
    let far = with_horizon(1 << 32);
    let refused = irl(&[
        "evaluate",
        "--mdp",
        path(&mdp),
        "--model",
        path(&far),
        "--demos",
        path(&demos),
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains(&format!(
            "{}: this evaluation would need 800 GiB",
            far.display()
        )) && message.contains("values 800 GiB")
            && message.contains("the horizon 4294967296 over 25 states")
            && !message.contains("--memory-limit")
            && !message.contains("panicked"),
        "{message}"
    );
    // 10^8 decisions: 18.6 GiB, refused under a 2 GB address-space limit.
    #[cfg(target_os = "linux")]
    {
        let long = with_horizon(100_000_000);
        let args = [
            "evaluate",
            "--mdp",
            path(&mdp),
            "--model",
            path(&long),
            "--demos",
            path(&demos),
        ];
        let refused = irl_under_ulimit(2_000_000, &args);
        assert_eq!(refused.status.code(), Some(1));
        let message = String::from_utf8_lossy(&refused.stderr);
        assert!(
            message.contains("this evaluation would need 18.6 GiB")
                && message.contains("the address space left under ulimit -v is"),
            "{message}"
        );
    }
}
