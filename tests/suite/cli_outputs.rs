//! Where the commands write: every output path is checked before the work (a missing
//! folder is named before any input is read), a device or another file that is not a
//! regular one is never replaced, and the temporary files of a run killed outright are
//! removed by the next write of the same output.

use std::fs;
use std::path::Path;

use crate::common::{irl, path, succeed};

/// Names in a folder, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A 5 × 5 gridworld with demonstrations in `dir`.
fn world(dir: &Path) {
    succeed(&[
        "generate",
        "gridworld",
        "--size",
        "5",
        "--demos",
        "5",
        "--length",
        "5",
        "--out",
        path(dir),
    ]);
}

#[test]
fn every_command_names_a_missing_output_folder_before_reading_its_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let none = dir.path().join("none.json");
    let none = path(&none);
    let out = |name: &str| missing.join(name).to_string_lossy().into_owned();
    let commands: Vec<Vec<String>> = [
        vec![
            "solve",
            "--mdp",
            none,
            "--weights",
            none,
            "--out",
            &out("s.json"),
        ],
        vec![
            "fit",
            "--mdp",
            none,
            "--demos",
            none,
            "--out",
            &out("m.json"),
        ],
        vec![
            "forecast",
            "--mdp",
            none,
            "--model",
            none,
            "--start",
            "0",
            "--steps",
            "3",
            "--out",
            &out("f.json"),
        ],
        vec![
            "plot",
            "reward",
            "--mdp",
            none,
            "--model",
            none,
            "--out",
            &out("r.png"),
        ],
        vec![
            "plot",
            "forecast",
            "--mdp",
            none,
            "--forecast",
            none,
            "--out",
            &out("f.png"),
        ],
        vec!["plot", "training", "--model", none, "--out", &out("t.png")],
        vec![
            "generate",
            "gridworld",
            "--demos",
            "1",
            "--length",
            "1",
            "--out",
            &out("g"),
        ],
        vec!["discretize", "--tracks", none, "--out", &out("d")],
        vec!["bench", "--sizes", "10", "--json", &out("b.json")],
        vec!["demo", "--scenes", "zara01", "--out", &out("demo")],
    ]
    .iter()
    .map(|args| args.iter().map(|a| a.to_string()).collect())
    .collect();
    for args in commands {
        let output = irl(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("the folder {} does not exist", missing.display())),
            "{args:?}: {stderr}"
        );
        assert!(
            !stderr.contains("none.json"),
            "{args:?} read an input first: {stderr}"
        );
        assert!(!missing.exists());
    }
    assert_eq!(names(dir.path()), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn a_device_or_a_named_pipe_is_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    let (mdp, weights) = (
        dir.path().join("mdp.json"),
        dir.path().join("true_weights.json"),
    );
    let pipe = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status();
    let mut targets = vec![(Path::new("/dev/null").to_path_buf(), "a character device")];
    if made.is_ok_and(|s| s.success()) {
        targets.push((pipe.clone(), "a named pipe"));
    }
    for (target, kind) in &targets {
        let output = irl(&[
            "solve",
            "--mdp",
            path(&mdp),
            "--weights",
            path(&weights),
            "--horizon",
            "3",
            "--out",
            path(target),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("cannot write {}: it is {kind}", target.display())),
            "{stderr}"
        );
        let file_type = fs::metadata(target).unwrap().file_type();
        assert!(file_type.is_char_device() || file_type.is_fifo());
    }
    let output = irl(&[
        "generate",
        "gridworld",
        "--demos",
        "1",
        "--length",
        "1",
        "--out",
        "/dev/null",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--out /dev/null is a character device, not a folder"),
        "{stderr}"
    );
    assert!(fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
}

/// The hidden temporary files of `name` in `dir`: `.name.<pid>.<n>.tmp`.
fn temporaries(dir: &Path, name: &str) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| n.starts_with(&format!(".{name}.")) && n.ends_with(".tmp"))
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn the_temporaries_of_a_killed_run_are_removed_by_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    // A process that has ended, and this one, which runs.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = format!(".solution.json.{dead}.0.tmp");
    let live = format!(".solution.json.{}.0.tmp", std::process::id());
    for name in [&stale, &live] {
        fs::write(dir.path().join(name), "cut short").unwrap();
    }
    let out = dir.path().join("solution.json");
    succeed(&[
        "solve",
        "--mdp",
        path(&dir.path().join("mdp.json")),
        "--weights",
        path(&dir.path().join("true_weights.json")),
        "--horizon",
        "3",
        "--out",
        path(&out),
    ]);
    assert!(out.is_file());
    assert_eq!(temporaries(dir.path(), "solution.json"), [live]);
}
