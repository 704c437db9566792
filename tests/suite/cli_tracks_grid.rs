//! `irl discretize` on the grid of an earlier MDP (`--grid`), its guard against grids
//! too large to build, and its output folder, replaced as a whole.
//!
//! The earlier MDP: three tracks spanning x ∈ [0.5, 5.5] and y ∈ [0.5, 3.5] on 1 m cells
//! give a 6 × 4 grid with its origin at (0, 0), so cell (x, y) holds [x, x+1) × [y, y+1)
//! and is state 6y + x. The new tracks, worked by hand:
//! - n1: (1,1) → (3,1) in one step, filled: states 7, 8, 9, east, east;
//! - n2: (4,2), then x = 7 outside, then (5,2) → (5,3): piece n2#1 never leaves its cell
//!   and is dropped, piece n2#2 is 17, 23 (north), with no line across the cut;
//! - n3: both positions at negative x, outside: nothing;
//! - n4: (0,0), (0,0) again (collapsed), (1,1): states 0, 7, northeast.
//!
//! So 4 tracks in, 3 kept, 1 piece dropped, 3 positions of 2 tracks outside, 4 position
//! steps with 1 repeated cell and 1 filled gap of 1 cell, 4 actions, and p0 ⅓ on each of
//! 7, 17 and 0.

use crate::common;

use common::{irl, path, succeed};

use std::fs;
use std::path::Path;

use super::cli_tracks::{fails_without_output, parse_demos, read_json};

const OLD_TRACKS: &str = "track,frame,x,y
o1,0,0.5,0.5
o1,1,5.5,0.5
o2,0,0.5,3.5
o2,1,5.5,3.5
o3,0,2.5,0.5
o3,1,2.5,3.5
";

const NEW_TRACKS: &str = "track,frame,x,y
n1,0,1.5,1.5
n1,1,3.5,1.5
n2,0,4.5,2.5
n2,1,7.0,2.5
n2,2,5.5,2.5
n2,3,5.5,3.5
n3,0,-3,-3
n3,1,-2,-2
n4,0,0.5,0.5
n4,1,0.7,0.6
n4,2,1.5,1.5
";

/// Discretise `tracks` (written to `name` in `dir`) into `dir/out` with `extra` flags.
fn discretize(
    dir: &Path,
    name: &str,
    tracks: &str,
    out: &str,
    extra: &[&str],
) -> std::process::Output {
    let file = dir.join(name);
    fs::write(&file, tracks).unwrap();
    let out = dir.join(out);
    let mut args = vec![
        "discretize",
        "--tracks",
        path(&file),
        "--cell",
        "1",
        "--out",
        path(&out),
    ];
    args.extend(extra);
    succeed(&args)
}

/// The sorted names in a folder.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn new_tracks_on_an_old_grid_keep_its_features_and_skip_what_lies_outside() {
    let dir = tempfile::tempdir().unwrap();
    discretize(dir.path(), "old.csv", OLD_TRACKS, "old", &[]);
    let old_mdp = dir.path().join("old/mdp.json");
    let old = read_json(&old_mdp);
    assert_eq!(
        (
            old["grid"]["width"].as_u64(),
            old["grid"]["height"].as_u64()
        ),
        (Some(6), Some(4))
    );
    assert_eq!(old["grid"]["origin_x"].as_f64(), Some(0.0));
    assert_eq!(old["grid"]["origin_y"].as_f64(), Some(0.0));

    let output = discretize(
        dir.path(),
        "new.csv",
        NEW_TRACKS,
        "new",
        &["--grid", path(&old_mdp)],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("6×4 cells of 1 m (the grid of")
            && stderr.contains(
                "3 positions of 2 tracks lie outside the grid and were skipped \
                 (track n2, frame 1: (7, 2.5); track n3, frame 0: (-3, -3); track n3, frame 1: (-2, -2))"
            ),
        "{stderr}"
    );
    let new_dir = dir.path().join("new");
    let new = read_json(&new_dir.join("mdp.json"));
    for key in [
        "features",
        "transitions",
        "action_names",
        "grid",
        "terminal",
        "n_states",
        "n_actions",
    ] {
        assert_eq!(new[key], old[key], "{key} differs from the old MDP's");
    }
    let third = 1.0 / 3.0;
    let initial: Vec<f64> = new["initial"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_f64().unwrap())
        .collect();
    for (s, p) in initial.iter().enumerate() {
        let want = if [0, 7, 17].contains(&s) { third } else { 0.0 };
        assert!((p - want).abs() < 1e-12, "p0[{s}] = {p}");
    }
    // east = 0, north = 2, northeast = 4.
    let demos = parse_demos(&new_dir.join("demos.csv"));
    let expected = [
        ("n1", vec![7, 8, 9], vec![0, 0]),
        ("n2#2", vec![17, 23], vec![2]),
        ("n4", vec![0, 7], vec![4]),
    ];
    let expected: Vec<(String, Vec<usize>, Vec<usize>)> = expected
        .into_iter()
        .map(|(id, s, a)| (id.to_string(), s, a))
        .collect();
    assert_eq!(demos, expected);

    let report = read_json(&new_dir.join("report.json"));
    assert_eq!(report["grid_mdp"], path(&old_mdp));
    assert_eq!(report["params"]["connectivity"], "Eight");
    assert_eq!(report["features"], old["features"]["names"]);
    let r = &report["report"];
    for (key, want) in [
        ("tracks_in", 4),
        ("tracks_kept", 3),
        ("dropped_short", 1),
        ("positions_outside", 3),
        ("tracks_outside", 2),
        ("position_steps", 4),
        ("repeated_cell_steps", 1),
        ("filled_gaps", 1),
        ("inserted_cells", 1),
        ("demo_actions", 4),
    ] {
        assert_eq!(r[key].as_u64(), Some(want), "report.{key}: {report}");
    }
    assert_eq!(r["dropped_ids"], serde_json::json!(["n2#1"]));
    assert_eq!(r["outside_ids"], serde_json::json!(["n2", "n3"]));
    assert_eq!(r["outside_examples"].as_array().unwrap().len(), 3);

    // A model fitted on the old MDP is evaluated on the new demonstrations.
    let model = dir.path().join("model.json");
    succeed(&[
        "fit",
        "--mdp",
        path(&old_mdp),
        "--demos",
        path(&dir.path().join("old/demos.csv")),
        "--horizon",
        "6",
        "--max-iters",
        "5",
        "--quiet",
        "--out",
        path(&model),
    ]);
    let output = succeed(&[
        "evaluate",
        "--mdp",
        path(&new_dir.join("mdp.json")),
        "--model",
        path(&model),
        "--demos",
        path(&new_dir.join("demos.csv")),
    ]);
    let metrics: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(metrics["n_trajectories"], 3);
    assert_eq!(metrics["n_actions"], 4);
}

#[test]
fn a_grid_that_cannot_take_the_tracks_or_flags_that_contradict_it_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    discretize(dir.path(), "old.csv", OLD_TRACKS, "old", &[]);
    let old_mdp = dir.path().join("old/mdp.json");
    let old = read_json(&old_mdp);
    let write = |name: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let mut doc = old.clone();
        edit(&mut doc);
        let p = dir.path().join(name);
        fs::write(&p, doc.to_string()).unwrap();
        p.to_str().unwrap().to_string()
    };
    let no_grid = write("no_grid.json", &|d| {
        d.as_object_mut().unwrap().remove("grid");
    });
    let no_metres = write("no_metres.json", &|d| {
        d["grid"].as_object_mut().unwrap().remove("cell");
    });
    let renamed = write("renamed.json", &|d| d["action_names"][0] = "left".into());
    let old_mdp = path(&old_mdp).to_string();
    let cases: [(Vec<&str>, &str); 6] = [
        (
            vec!["--grid", &no_grid],
            "no_grid.json: invalid MDP at grid: the MDP has no grid",
        ),
        (
            vec!["--grid", &no_metres],
            "no_metres.json: invalid MDP at grid: the 6×4 grid has no position in metres",
        ),
        (
            vec!["--grid", &renamed],
            "renamed.json: invalid MDP at action_names",
        ),
        (
            vec!["--grid", &old_mdp, "--cell", "0.5"],
            "--cell 0.5 disagrees with --grid",
        ),
        (
            vec!["--grid", &old_mdp, "--connectivity", "4"],
            "--connectivity 4 disagrees with --grid",
        ),
        (
            vec!["--grid", &old_mdp, "--stay"],
            "whose MDP has no stay action",
        ),
    ];
    for (extra, message) in cases {
        let stderr = fails_without_output("new.csv", NEW_TRACKS, &extra);
        assert!(
            stderr.contains(message),
            "{extra:?}: expected `{message}` in {stderr}"
        );
    }
    // Flags that repeat the grid's are accepted.
    discretize(
        dir.path(),
        "new.csv",
        NEW_TRACKS,
        "again",
        &["--grid", &old_mdp, "--connectivity", "8"],
    );
    let far = "track,frame,x,y\nfar,0,50,50\nfar,1,51,51\n";
    let stderr = fails_without_output("far.csv", far, &["--grid", &old_mdp]);
    assert!(
        stderr.contains("far.csv: invalid tracks at all tracks: all 2 positions lie outside the grid x 0..6, y 0..4"),
        "{stderr}"
    );
    // --region-size has no meaning with --grid: the parser refuses it.
    let tracks = dir.path().join("new.csv");
    let refused = irl(&[
        "discretize",
        "--tracks",
        path(&tracks),
        "--grid",
        &old_mdp,
        "--region-size",
        "2",
        "--out",
        path(&dir.path().join("never")),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(!dir.path().join("never").exists());
}

/// Tracks in a 20 m square, and one stray row `stray,120` at x = `stray_x`.
fn stray_tracks(stray_x: f64) -> String {
    format!(
        "track,frame,x,y\na,0,0,0\na,1,20,20\nb,0,20,0\nb,1,0,20\nstray,119,10,10\nstray,120,{stray_x},10\n"
    )
}

#[test]
fn a_stray_row_that_makes_the_grid_too_large_is_named_and_nothing_is_built() {
    // x = 3000 on 0.05 m cells: 60001 × 401 cells, over the bound of 10⁷ cells.
    let stderr = fails_without_output("stray.csv", &stray_tracks(3000.0), &["--cell", "0.05"]);
    for part in [
        "stray.csv: invalid tracks at all positions",
        "they span x 0..3000 m and y 0..20 m",
        "grid of 60001 × 401 cells, more than the 10000000 cells a scene may have",
        "x = 3000 at track stray, frame 120",
        "x = 0 at track a, frame 0",
        "Check the units",
        "(--cell)",
    ] {
        assert!(stderr.contains(part), "expected `{part}` in {stderr}");
    }
    // x = 300: 6001 × 401 cells, under the bound, but ⌈6001/4⌉·⌈401/4⌉ + 2 = 151,603
    // features of 2.4 million cells are 2.65 TiB, over a limit of 64 MiB; so are the
    // timed grid's (the same features, 25 moves) and the lattice's (25 states a cell,
    // 10 actions and 7 more features per state and action).
    for (mode, features) in [
        (&[][..], "features 2.65 TiB"),
        (
            &["--time-step", "0.4", "--fps", "25"][..],
            "features 2.65 TiB",
        ),
        (
            &["--time-step", "0.4", "--fps", "25", "--lattice"][..],
            "features 733 TiB",
        ),
    ] {
        let mut extra = vec!["--cell", "0.05", "--memory-limit", "64M"];
        extra.extend(mode);
        let stderr = fails_without_output("stray.csv", &stray_tracks(300.0), &extra);
        for part in [
            "stray.csv: discretising would need",
            features,
            "but the memory limit is 64.0 MiB;",
            "the positions span x 0..300 m and y 0..20 m, a grid of 6001 × 401 cells of 0.05 m",
            "x = 300 at track stray, frame 120",
            "(--memory-limit)",
        ] {
            assert!(
                stderr.contains(part),
                "{mode:?}: expected `{part}` in {stderr}"
            );
        }
    }
    // With the stray position inside the square, 1 m cells fit the same limit:
    // 21 × 21 cells.
    let dir = tempfile::tempdir().unwrap();
    discretize(
        dir.path(),
        "fine.csv",
        &stray_tracks(10.5),
        "ok",
        &["--memory-limit", "64M"],
    );
    let report = read_json(&dir.path().join("ok/report.json"));
    assert_eq!(
        (
            report["grid"]["width"].as_u64(),
            report["grid"]["height"].as_u64()
        ),
        (Some(21), Some(21))
    );
}

#[test]
fn a_re_run_replaces_the_folder_and_a_folder_with_other_files_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    discretize(
        dir.path(),
        "old.csv",
        OLD_TRACKS,
        "out",
        &["--heldout-fraction", "0.34"],
    );
    let out = dir.path().join("out");
    assert_eq!(
        names(&out),
        ["demos.csv", "heldout.csv", "mdp.json", "report.json"]
    );
    // The folder has the permissions of a folder made the usual way, not a temporary one's.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let usual = dir.path().join("usual");
        fs::create_dir(&usual).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode();
        assert_eq!(mode(&out), mode(&usual));
        fs::remove_dir(&usual).unwrap();
    }
    // Without --heldout-fraction, the stale heldout.csv goes with the old folder.
    discretize(dir.path(), "old.csv", OLD_TRACKS, "out", &[]);
    assert_eq!(names(&out), ["demos.csv", "mdp.json", "report.json"]);
    assert_eq!(parse_demos(&out.join("demos.csv")).len(), 3);
    // No hidden staging or set-aside folder is left beside it.
    assert_eq!(names(dir.path()), ["old.csv", "out"]);
    // A file of the user's in the folder: refused, and the folder is left as it was.
    fs::write(out.join("notes.txt"), "mine").unwrap();
    let before = fs::read(out.join("mdp.json")).unwrap();
    let tracks = dir.path().join("old.csv");
    let refused = irl(&[
        "discretize",
        "--tracks",
        path(&tracks),
        "--cell",
        "2",
        "--out",
        path(&out),
    ]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("holds notes.txt, which this command does not write"),
        "{stderr}"
    );
    assert_eq!(
        names(&out),
        ["demos.csv", "mdp.json", "notes.txt", "report.json"]
    );
    assert_eq!(fs::read(out.join("mdp.json")).unwrap(), before);
    assert_eq!(names(dir.path()), ["old.csv", "out"]);
}
