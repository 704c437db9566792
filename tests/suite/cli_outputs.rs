//! Where the commands write: every output path is checked before the work (a missing
//! folder is named before any input is read), a device or another file that is not a
//! regular one is never replaced, a command ended by SIGTERM while it writes leaves no
//! temporary file, and the temporary files of a run killed outright are removed by the
//! next write of the same output.

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
fn a_write_ended_by_sigterm_leaves_no_temporary_file() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    succeed(&[
        "generate",
        "gridworld",
        "--size",
        "30",
        "--demos",
        "5",
        "--length",
        "5",
        "--out",
        path(dir.path()),
    ]);
    let out = dir.path().join("solution.json");
    // Q and π of 300 steps over 900 states and 5 actions: tens of megabytes to write.
    let mut child = Command::new(env!("CARGO_BIN_EXE_irl"))
        .args(["solve", "--mdp"])
        .arg(dir.path().join("mdp.json"))
        .arg("--weights")
        .arg(dir.path().join("true_weights.json"))
        .args(["--horizon", "300", "--out"])
        .arg(&out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let signal = |name: &str| {
        let sent = Command::new("kill").args([name, &pid]).status().unwrap();
        assert!(sent.success(), "kill {name}");
    };
    // Wait for the temporary file to hold data (the check of the output before the work
    // creates an empty one and removes it), then stop the writer there.
    let writing = loop {
        let holding = temporaries(dir.path(), "solution.json")
            .into_iter()
            .find(|n| fs::metadata(dir.path().join(n)).is_ok_and(|m| m.len() > 0));
        if let Some(name) = holding {
            signal("-STOP");
            break name;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the solve ended before it was signalled"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    };
    assert!(dir.path().join(&writing).exists());
    signal("-TERM");
    signal("-CONT");
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(15), "{status:?}");
    assert_eq!(
        temporaries(dir.path(), "solution.json"),
        Vec::<String>::new()
    );
    assert!(!out.exists());
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
