//! `irl demo` through the binary, on one embedded scene with a three-iteration fit.
//!
//! - It writes report.md, report.json (one object per scene: the held-out NLL per step of
//!   the model and of every baseline, finite and positive, and the displacement errors of
//!   every forecast method) and the scene's two figures. The number of forecast windows
//!   is recomputed here from the same resampling and split of `data/ucy/zara01.csv`: a
//!   held-out track of n ≥ 20 positions gives n − 19 windows of 8 + 12.
//! - The output folder is replaced as a whole (a file left in it disappears) and no
//!   `.partial` staging folder remains; an unknown scene, a failing run, or an output
//!   that is not a named folder (`.`, `..`, an existing file) changes nothing on disk.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use irl::demos::split_demos;
use irl::tracks::{discretize_timed, read_tracks_file, Scene, TimeStep, TimedParams};
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

/// The forecast windows of zara01's held-out tracks as the demo splits them (0.5 m
/// cells, 0.4 s steps at 25 frames a second, a lattice of displacements up to 2 cells,
/// 20 % held out with seed 0): Σ (n − 19) over the held-out tracks of n ≥ 20 positions.
fn windows_by_hand() -> (usize, usize, usize) {
    let tracks =
        read_tracks_file(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/ucy/zara01.csv"))
            .unwrap();
    let scene = Scene::covering(&tracks, 0.5).unwrap();
    let params = TimedParams {
        time_step: TimeStep::new(0.4, 25.0).unwrap(),
        max_displacement: 2,
        lattice: true,
    };
    let d = discretize_timed(&tracks, &scene, &params).unwrap();
    let split = split_demos(&d.demos, 0.2, 0).unwrap();
    let windows = d
        .positions_of(&split.held_out)
        .iter()
        .map(|p| p.points.len().saturating_sub(19))
        .sum();
    (windows, split.train.len(), split.held_out.len())
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
    let b = &r["baselines"];
    for name in [
        "model",
        "model_inferred_goal",
        "uniform_walk",
        "move_frequency",
        "goal_directed_walker",
        "constant_velocity_walker",
    ] {
        let v = b[name].as_f64().unwrap();
        assert!(v.is_finite() && v > 0.0, "{name}: {v}");
    }
    // At most 10 lattice actions a state: the uniform walk's NLL is at most ln 10.
    assert!(b["uniform_walk"].as_f64().unwrap() <= 10f64.ln() + 1e-12);
    assert_eq!(
        (r["grid"][0].as_u64(), r["grid"][1].as_u64()),
        (Some(28), Some(32))
    );
    let (windows, n_train, n_held_out) = windows_by_hand();
    assert_eq!(r["forecast"]["windows"].as_u64(), Some(windows as u64));
    assert_eq!(r["train_trajectories"].as_u64(), Some(n_train as u64));
    assert_eq!(r["held_out_trajectories"].as_u64(), Some(n_held_out as u64));
    let methods = &r["forecast"]["methods"];
    for name in [
        "model",
        "model_true_goal",
        "constant_velocity",
        "straight_walk",
    ] {
        let ade = methods[name]["ade"].as_f64().unwrap();
        let fde = methods[name]["fde"].as_f64().unwrap();
        assert!(
            ade > 0.0 && ade.is_finite() && fde > 0.0,
            "{name}: {ade} {fde}"
        );
    }
    let min_ade = methods["model"]["min_ade_20"].as_f64().unwrap();
    assert!(
        min_ade <= methods["model"]["ade"].as_f64().unwrap() + 1.0,
        "{min_ade}"
    );

    let markdown = fs::read_to_string(out.join("report.md")).unwrap();
    let cv = methods["constant_velocity"]["ade"].as_f64().unwrap();
    assert!(
        markdown.contains(&format!(
            "| zara01 | {windows} | constant velocity | {cv:.3} |"
        )),
        "{markdown}"
    );
    for figure in ["forecast", "training"] {
        let file = out.join(format!("zara01_{figure}.png"));
        let image = image::open(&file).unwrap();
        assert!(image.width() >= 600 && image.height() >= 400, "{figure}");
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
