//! `irl demo` through the binary, on one embedded scene with a three-iteration fit.
//!
//! - It writes report.md, report.json (one object per scene: the held-out NLL per step of
//!   the model and of both baselines, finite and positive) and the scene's three figures
//!   (PNG, 900×700). The uniform-walk NLL is recomputed here: the same discretisation and
//!   split of `data/ucy/zara01.csv`, and on an 8-connected W×H grid a cell (x, y) has
//!   (number of x ± 1, x in range)·(number of y ± 1, y in range) − 1 moves.
//! - The output folder is replaced as a whole (a file left in it disappears) and no
//!   `.partial` staging folder remains; an unknown scene, a failing run, or an output
//!   that is not a named folder (`.`, `..`, an existing file) changes nothing on disk.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use irl::demos::split_demos;
use irl::tracks::{discretize, read_tracks_file, DiscretizeParams};
use serde_json::Value;

fn irl(args: &[&str]) -> Output {
    irl_in(Path::new("."), args)
}

/// Run the binary with `dir` as its working folder.
fn irl_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_irl"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the irl binary runs")
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Names of the entries of a folder.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn no_partial_folder(parent: &Path) {
    let partial: Vec<String> = entries(parent)
        .into_iter()
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(partial.is_empty(), "staging left behind: {partial:?}");
}

/// A folder `out` holding an old file, inside a fresh temporary folder.
fn old_output() -> (tempfile::TempDir, PathBuf) {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("old.txt"), "from an earlier run").unwrap();
    (parent, out)
}

/// Mean of log(number of moves) over the held-out steps of zara01 as the demo splits it
/// (0.75 m cells, 8-connected, 20 % held out with seed 0).
fn uniform_walk_nll_by_hand(width: usize, height: usize) -> (f64, usize, usize) {
    let tracks =
        read_tracks_file(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/ucy/zara01.csv"))
            .unwrap();
    let d = discretize(&tracks, &DiscretizeParams::new(0.75)).unwrap();
    assert_eq!((d.scene.width, d.scene.height), (width, height));
    let split = split_demos(&d.demos, 0.2, 0).unwrap();
    let along = |v: usize, n: usize| 1 + usize::from(v > 0) + usize::from(v + 1 < n);
    let (mut total, mut steps) = (0.0, 0);
    for t in &split.held_out.trajectories {
        for &s in &t.states[..t.actions.len()] {
            let (x, y) = (s % width, s / width);
            total += ((along(x, width) * along(y, height) - 1) as f64).ln();
            steps += 1;
        }
    }
    (
        total / steps as f64,
        split.train.len(),
        split.held_out.len(),
    )
}

#[test]
fn demo_writes_the_report_and_figures_and_replaces_its_folder() {
    let (parent, out) = old_output();
    let clock = Instant::now();
    let output = irl(&[
        "demo",
        "--scenes",
        "zara01",
        "--max-iters",
        "3",
        "--quiet",
        "--out",
        path(&out),
    ]);
    let seconds = clock.elapsed().as_secs_f64();
    println!("irl demo --scenes zara01 --max-iters 3: {seconds:.1} s");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        entries(&out),
        [
            "report.json",
            "report.md",
            "zara01_forecast.png",
            "zara01_reward.png",
            "zara01_training.png"
        ]
    );
    assert_eq!(entries(parent.path()), ["out"]);
    no_partial_folder(parent.path());

    let report: Value =
        serde_json::from_str(&fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let scenes = report.as_array().expect("an array of scenes");
    assert_eq!(scenes.len(), 1);
    let r = &scenes[0];
    assert_eq!(r["scene"], "zara01");
    assert!(r["iterations"].as_u64().unwrap() <= 3);
    let model = r["held_out"]["nll_per_action"].as_f64().unwrap();
    let uniform = r["uniform_walk_nll_per_action"].as_f64().unwrap();
    let empirical = r["empirical_move_nll_per_action"].as_f64().unwrap();
    for (name, v) in [
        ("model", model),
        ("uniform walk", uniform),
        ("move frequency", empirical),
    ] {
        assert!(v.is_finite() && v > 0.0, "{name}: {v}");
    }
    assert!(uniform < 8f64.ln(), "{uniform}");
    let width = r["grid"][0].as_u64().unwrap() as usize;
    let height = r["grid"][1].as_u64().unwrap() as usize;
    assert_eq!((width, height), (19, 21));
    let (by_hand, n_train, n_held_out) = uniform_walk_nll_by_hand(width, height);
    assert!((uniform - by_hand).abs() < 1e-12, "{uniform} vs {by_hand}");
    assert_eq!(r["train_trajectories"].as_u64(), Some(n_train as u64));
    assert_eq!(r["held_out_trajectories"].as_u64(), Some(n_held_out as u64));
    assert_eq!(
        r["held_out"]["n_trajectories"].as_u64(),
        Some(n_held_out as u64)
    );
    println!("held-out NLL per step: model {model:.4}, uniform {uniform:.4}, move frequency {empirical:.4}");

    let markdown = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("| zara01 | 19×21 |"), "{markdown}");
    for v in [model, uniform, empirical] {
        assert!(
            markdown.contains(&format!("{v:.4}")),
            "{v:.4} not in {markdown}"
        );
    }
    for figure in ["reward", "forecast", "training"] {
        let file = out.join(format!("zara01_{figure}.png"));
        let image = image::open(&file).unwrap();
        assert_eq!((image.width(), image.height()), (900, 700), "{figure}");
    }
}

#[test]
fn unknown_scene_is_an_error_that_touches_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let output = irl(&["demo", "--scenes", "zara01,nowhere", "--out", path(&out)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("unknown scene \"nowhere\""), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.exists());
    assert!(entries(parent.path()).is_empty());

    let (parent, out) = old_output();
    let output = irl(&["demo", "--scenes", "nowhere", "--out", path(&out)]);
    assert!(!output.status.success());
    assert_eq!(entries(&out), ["old.txt"]);
    assert_eq!(entries(parent.path()), ["out"]);
}

#[test]
fn a_failing_run_keeps_the_old_output_and_removes_its_staging() {
    let (parent, out) = old_output();
    let output = irl(&[
        "demo",
        "--scenes",
        "zara01",
        "--cell",
        "0",
        "--out",
        path(&out),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("cell"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(entries(&out), ["old.txt"]);
    assert_eq!(entries(parent.path()), ["out"]);
    no_partial_folder(parent.path());
}

#[test]
fn an_output_that_is_not_a_named_folder_is_refused_and_nothing_is_touched() {
    let work = tempfile::tempdir().unwrap();
    let sub = work.path().join("sub");
    fs::create_dir(&sub).unwrap();
    fs::write(work.path().join("keep.txt"), "mine").unwrap();
    fs::write(sub.join("report"), "also mine").unwrap();
    // `.` and `..` cannot be replaced by a rename; they used to be emptied before failing.
    for (cwd, out) in [
        (work.path(), "."),
        (sub.as_path(), ".."),
        (sub.as_path(), "report"),
    ] {
        let output = irl_in(
            cwd,
            &[
                "demo",
                "--scenes",
                "zara01",
                "--max-iters",
                "1",
                "--out",
                out,
            ],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "--out {out} accepted");
        assert!(stderr.contains(&format!("--out {out}")), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(entries(work.path()), ["keep.txt", "sub"], "--out {out}");
        assert_eq!(entries(&sub), ["report"], "--out {out}");
        assert_eq!(fs::read_to_string(sub.join("report")).unwrap(), "also mine");
    }
}
