//! Standard output that cannot be written: `irl evaluate` (JSON and `--table`), `irl
//! bench` and `irl --help` with standard output on a full disk (`/dev/full`) or in a
//! pipe whose reader has closed it end with status 1 and a message saying that standard
//! output could not be written, never a panic. Standard error that cannot be written
//! changes no exit status: a failing command still ends with status 1. A device given
//! as an input file (`/dev/zero`, which never ends) is refused at once.

use crate::common;

use common::{path, succeed};

use std::fs::File;
use std::path::Path;
use std::process::{Command, Output};

/// `irl` with `args`, standard output on a full disk.
fn to_full_disk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_irl"))
        .args(args)
        .stdout(File::create("/dev/full").expect("/dev/full opens for writing"))
        .output()
        .expect("the irl binary runs")
}

/// `irl` with `args`, standard output a pipe whose reading end is closed before `irl`
/// starts.
fn to_closed_pipe(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_irl"))
        .args(args)
        .stdout(writer)
        .output()
        .expect("the irl binary runs")
}

/// Fail unless `output` is a reported failure to write standard output for `reason`.
fn refused_output(output: &Output, reason: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("irl: error: could not write to standard output")
            && stderr.contains(reason),
        "{stderr}"
    );
}

/// A 3×3 gridworld with five demonstrations and a model of its true weights, in `dir`.
fn world(dir: &Path) {
    succeed(&[
        "generate",
        "gridworld",
        "--size",
        "3",
        "--demos",
        "5",
        "--length",
        "3",
        "--out",
        path(dir),
    ]);
    succeed(&[
        "fit",
        "--mdp",
        path(&dir.join("mdp.json")),
        "--demos",
        path(&dir.join("demos.csv")),
        "--horizon",
        "3",
        "--max-iters",
        "2",
        "--quiet",
        "--out",
        path(&dir.join("model.json")),
    ]);
}

#[test]
fn evaluate_reports_an_unwritable_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    let (mdp, model, demos) = (
        dir.path().join("mdp.json"),
        dir.path().join("model.json"),
        dir.path().join("demos.csv"),
    );
    let json = [
        "evaluate",
        "--mdp",
        path(&mdp),
        "--model",
        path(&model),
        "--demos",
        path(&demos),
    ];
    let table = [&json[..], &["--table"]].concat();
    for args in [&json[..], &table] {
        assert!(!succeed(args).stdout.is_empty());
        refused_output(&to_full_disk(args), "No space left on device");
        refused_output(&to_closed_pipe(args), "Broken pipe");
    }
}

#[test]
fn bench_and_help_report_an_unwritable_standard_output() {
    let bench = [
        "bench",
        "--quiet",
        "--sizes",
        "5",
        "--horizon",
        "2",
        "--demos",
        "1",
        "--repeats",
        "1",
        "--min-time",
        "0",
        "--extra",
        "none",
        "--fit-size",
        "0",
        "--scaling-size",
        "0",
    ];
    refused_output(&to_full_disk(&bench), "No space left on device");
    refused_output(&to_closed_pipe(&bench), "Broken pipe");
    refused_output(&to_full_disk(&["--help"]), "No space left on device");
    refused_output(
        &to_full_disk(&["solve", "--help"]),
        "No space left on device",
    );
}

#[test]
fn an_unwritable_standard_error_keeps_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let (missing, out) = (dir.path().join("missing.json"), dir.path().join("out.json"));
    let output = Command::new(env!("CARGO_BIN_EXE_irl"))
        .args([
            "solve",
            "--mdp",
            path(&missing),
            "--weights",
            path(&missing),
        ])
        .args(["--out", path(&out)])
        .stderr(File::create("/dev/full").expect("/dev/full opens for writing"))
        .output()
        .expect("the irl binary runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(!out.exists());
}

#[test]
fn a_device_as_an_input_file_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    let out = dir.path().join("refit.json");
    let mdp = path(&dir.path().join("mdp.json")).to_string();
    let demos = path(&dir.path().join("demos.csv")).to_string();
    for (flag, args) in [
        ("--mdp", ["fit", "--mdp", "/dev/zero", "--demos", &demos]),
        ("--demos", ["fit", "--mdp", &mdp, "--demos", "/dev/zero"]),
    ] {
        let started = std::time::Instant::now();
        let output = common::irl(&[&args[..], &["--horizon", "3", "--out", path(&out)]].concat());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{flag}: {stderr}");
        assert!(
            stderr.contains("/dev/zero") && stderr.contains("is a device, not a file"),
            "{flag}: {stderr}"
        );
        assert!(started.elapsed().as_secs() < 10, "{flag}");
        assert!(!out.exists(), "{flag}");
    }
}
