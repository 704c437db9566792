//! `irl discretize` end to end through the binary, on a hand-written tracks file whose
//! grid, paths and counts are worked out below by hand.
//!
//! Five tracks, 1 m cells. The positions span x ∈ [0.2, 3.2] and y ∈ [0.2, 2.2], so the
//! grid has ⌊3/1⌋ + 1 = 4 columns and ⌊2/1⌋ + 1 = 3 rows, centred with margins of
//! 0.5 m: origin (−0.3, −0.3), cell (x, y) = state 4y + x.
//! - a: (0,0) → (1,0) → (2,0) → (3,0), three steps east;
//! - b: (0,2) → (3,2) in one recorded step, a gap filled with (1,2) and (2,2);
//! - c: (1,1), (1,1) again (collapsed), then (2,2) northeast;
//! - d: two positions in cell (0,0): never leaves it, dropped;
//! - e: (3,2) → (0,0) in one step, filled along the line as (2,1), (1,1).
//!
//! So 4 of 5 tracks are kept, 7 position steps, 1 repeated cell, 2 filled gaps with
//! 4 inserted cells, 10 actions, and p0 puts ¼ on each kept track's first cell.
//! The outputs are checked against these numbers; `irl fit --goal-conditioned` and
//! `irl evaluate` accept the demonstrations and the held-out split. Every malformed
//! tracks file ends with a non-zero status and a one-line message naming the file and
//! the line, never a panic, and leaves no output behind.

use crate::common;

use common::{irl, path, succeed};

use std::fs;
use std::path::Path;

use serde_json::Value;

const TRACKS: &str = "track,frame,x,y
a,0,0.2,0.2
a,1,1.2,0.2
a,2,2.2,0.2
a,3,3.2,0.2
b,0,0.2,2.2
b,10,3.2,2.2
c,0,1.2,1.2
c,1,1.3,1.3
c,2,2.2,2.2
d,0,0.5,0.5
d,1,0.6,0.6
e,0,3.2,2.2
e,5,0.2,0.2
";

/// Action indices: east, west, north, south, northeast, northwest, southeast, southwest.
const EAST: usize = 0;
const WEST: usize = 1;
const NORTHEAST: usize = 4;
const SOUTHWEST: usize = 7;

/// The demonstrations worked out in the module documentation: (id, states, actions).
fn expected_demos() -> Vec<(&'static str, Vec<usize>, Vec<usize>)> {
    vec![
        ("a", vec![0, 1, 2, 3], vec![EAST, EAST, EAST]),
        ("b", vec![8, 9, 10, 11], vec![EAST, EAST, EAST]),
        ("c", vec![5, 10], vec![NORTHEAST]),
        ("e", vec![11, 6, 5, 0], vec![SOUTHWEST, WEST, SOUTHWEST]),
    ]
}

pub fn read_json(p: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap()
}

/// Demonstrations CSV as (id, states, actions) per trajectory, in file order.
pub fn parse_demos(p: &Path) -> Vec<(String, Vec<usize>, Vec<usize>)> {
    let text = fs::read_to_string(p).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("trajectory,step,state,action"));
    let mut out: Vec<(String, Vec<usize>, Vec<usize>)> = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 4, "{line}");
        if out.last().is_none_or(|t| t.0 != fields[0]) {
            out.push((fields[0].to_string(), vec![], vec![]));
        }
        let t = out.last_mut().unwrap();
        assert_eq!(fields[1].parse::<usize>().unwrap(), t.1.len(), "{line}");
        t.1.push(fields[2].parse().unwrap());
        if !fields[3].is_empty() {
            t.2.push(fields[3].parse().unwrap());
        }
    }
    out
}

fn as_usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn discretize_writes_the_hand_worked_grid_demonstrations_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let tracks = dir.path().join("walkers.csv");
    fs::write(&tracks, TRACKS).unwrap();
    let out = dir.path().join("grid");
    let output = succeed(&[
        "discretize",
        "--tracks",
        path(&tracks),
        "--cell",
        "1.0",
        "--out",
        path(&out),
    ]);
    let mut files: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["demos.csv", "mdp.json", "report.json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("4×3 cells"), "{stderr}");

    let mdp = read_json(&out.join("mdp.json"));
    assert_eq!(mdp["format"], "irl-mdp/1");
    assert_eq!(
        (mdp["n_states"].as_u64(), mdp["n_actions"].as_u64()),
        (Some(12), Some(8))
    );
    let grid = &mdp["grid"];
    assert_eq!(
        (grid["width"].as_u64(), grid["height"].as_u64()),
        (Some(4), Some(3))
    );
    for (key, want) in [("origin_x", -0.3), ("origin_y", -0.3), ("cell", 1.0)] {
        let got = grid[key]
            .as_f64()
            .unwrap_or_else(|| panic!("grid.{key} missing: {grid}"));
        assert!((got - want).abs() < 1e-12, "grid.{key} = {got}");
    }
    assert_eq!(
        mdp["action_names"],
        serde_json::json!([
            "east",
            "west",
            "north",
            "south",
            "northeast",
            "northwest",
            "southeast",
            "southwest"
        ])
    );
    // Every listed move stays on the grid, and every move that stays on it is listed:
    // on a 4 × 3 grid 9 + 9 east/west, 8 + 8 north/south and 4 × 6 diagonal moves.
    let t = &mdp["transitions"];
    let (s, a, s_next) = (
        as_usizes(&t["s"]),
        as_usizes(&t["a"]),
        as_usizes(&t["s_next"]),
    );
    assert_eq!(s.len(), 58);
    let deltas = [
        (1, 0),
        (-1, 0),
        (0, 1),
        (0, -1),
        (1, 1),
        (-1, 1),
        (1, -1),
        (-1, -1),
    ];
    for i in 0..s.len() {
        let (x, y) = ((s[i] % 4) as i64, (s[i] / 4) as i64);
        let (dx, dy) = deltas[a[i]];
        assert_eq!(s_next[i] as i64, (y + dy) * 4 + x + dx, "entry {i}");
        assert!((0..4).contains(&(x + dx)) && (0..3).contains(&(y + dy)));
        assert_eq!(t["p"][i].as_f64(), Some(1.0));
    }
    let initial: Vec<f64> = mdp["initial"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_f64().unwrap())
        .collect();
    let mut want = vec![0.0; 12];
    for state in [0, 8, 5, 11] {
        want[state] = 0.25;
    }
    assert_eq!(initial, want);
    // Obstacle distance is zero exactly on the two cells no track visits, (0,1) and (3,1).
    let names: Vec<&str> = mdp["features"]["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(names, ["step_cost", "border_distance", "obstacle_distance"]);
    for (state, row) in mdp["features"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let obstacle = row[2].as_f64().unwrap();
        assert_eq!(
            obstacle == 0.0,
            state == 4 || state == 7,
            "state {state}: {row}"
        );
    }

    let demos = parse_demos(&out.join("demos.csv"));
    let expected: Vec<(String, Vec<usize>, Vec<usize>)> = expected_demos()
        .into_iter()
        .map(|(id, s, a)| (id.to_string(), s, a))
        .collect();
    assert_eq!(demos, expected);

    let report = read_json(&out.join("report.json"));
    let r = &report["report"];
    for (key, want) in [
        ("tracks_in", 5),
        ("tracks_kept", 4),
        ("dropped_short", 1),
        ("position_steps", 7),
        ("repeated_cell_steps", 1),
        ("filled_gaps", 2),
        ("inserted_cells", 4),
        ("demo_actions", 10),
    ] {
        assert_eq!(r[key].as_u64(), Some(want), "report.{key}: {report}");
    }
    assert_eq!(r["dropped_ids"], serde_json::json!(["d"]));
    assert_eq!(report["train_trajectories"], 4);
    assert!(report["heldout_trajectories"].is_null());
    assert_eq!(report["grid"]["width"], 4);
    assert_eq!(report["grid"]["height"], 3);
}

#[test]
fn held_out_split_feeds_fit_and_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    let tracks = dir.path().join("walkers.csv");
    fs::write(&tracks, TRACKS).unwrap();
    let out = dir.path().join("grid");
    succeed(&[
        "discretize",
        "--tracks",
        path(&tracks),
        "--cell",
        "1",
        "--heldout-fraction",
        "0.25",
        "--seed",
        "3",
        "--out",
        path(&out),
    ]);
    // round(0.25 · 4) = 1 held out; the two files partition the four demonstrations.
    let train = parse_demos(&out.join("demos.csv"));
    let held = parse_demos(&out.join("heldout.csv"));
    assert_eq!((train.len(), held.len()), (3, 1));
    let mut all: Vec<_> = train.iter().chain(&held).cloned().collect();
    all.sort();
    let expected: Vec<(String, Vec<usize>, Vec<usize>)> = expected_demos()
        .into_iter()
        .map(|(id, s, a)| (id.to_string(), s, a))
        .collect();
    assert_eq!(all, expected);
    let report = read_json(&out.join("report.json"));
    assert_eq!(report["train_trajectories"], 3);
    assert_eq!(report["heldout_trajectories"], 1);

    let (mdp, model) = (out.join("mdp.json"), dir.path().join("model.json"));
    succeed(&[
        "fit",
        "--mdp",
        path(&mdp),
        "--demos",
        path(&out.join("demos.csv")),
        "--horizon",
        "5",
        "--goal-conditioned",
        "--quiet",
        "--out",
        path(&model),
    ]);
    let fitted = read_json(&model);
    assert_eq!(fitted["goal_conditioned"], true);
    let goal_total: u64 = fitted["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    assert_eq!(goal_total, 3);
    let output = succeed(&[
        "evaluate",
        "--mdp",
        path(&mdp),
        "--model",
        path(&model),
        "--demos",
        path(&out.join("heldout.csv")),
    ]);
    let metrics: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(metrics["n_trajectories"], 1);
    assert_eq!(metrics["n_actions"].as_u64(), Some(held[0].2.len() as u64));
    let nll = metrics["nll_per_action"].as_f64().unwrap();
    assert!(nll.is_finite() && nll >= 0.0, "{metrics}");
}

/// Run discretize on `content` saved as `name`; it must fail without output.
pub fn fails_without_output(name: &str, content: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let tracks = dir.path().join(name);
    fs::write(&tracks, content).unwrap();
    let out = dir.path().join("out");
    let mut args = vec!["discretize", "--tracks", path(&tracks), "--out", path(&out)];
    args.extend(extra);
    let output = irl(&args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{name}: succeeded");
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    assert!(stderr.starts_with("irl: error: "), "{name}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: {stderr}");
    assert!(!out.exists(), "{name}: the output folder was created");
    // An existing output folder stays as it was: empty.
    fs::create_dir(&out).unwrap();
    let again = irl(&args);
    assert!(!again.status.success());
    assert_eq!(
        fs::read_dir(&out).unwrap().count(),
        0,
        "{name}: left output"
    );
    stderr
}

#[test]
fn malformed_tracks_name_the_file_and_line_and_leave_no_output() {
    let cases: [(&str, &str, u32, &str); 14] = [
        (
            "missing_column.csv",
            "track,frame,x,z\na,0,0,0\na,1,1,1\n",
            1,
            "missing column `y`",
        ),
        (
            "twice.csv",
            "track,frame,x,y,x\na,0,0,0,0\na,1,1,1,1\n",
            1,
            "`x` appears twice",
        ),
        (
            "no_number.csv",
            "track,frame,x,y\na,0,0.2,0.2\na,1,abc,0.2\n",
            3,
            "x = `abc` is not a number",
        ),
        (
            "infinite.csv",
            "track,frame,x,y\na,0,0.2,0.2\na,1,0.3,inf\n",
            3,
            "y = `inf` is not a finite",
        ),
        (
            "frame.csv",
            "track,frame,x,y\na,0.5,0.2,0.2\na,1,0.3,1\n",
            2,
            "frame `0.5`",
        ),
        (
            "single.csv",
            "track,frame,x,y\na,0,0,0\na,1,1,1\nb,0,0,0\nc,0,1,1\nc,1,2,2\n",
            4,
            "track b has a single position",
        ),
        (
            "single_last.csv",
            "track,frame,x,y\na,0,0,0\na,1,1,1\nb,0,0,0\n",
            4,
            "track b has a single position",
        ),
        ("empty.csv", "", 1, "empty"),
        ("header_only.csv", "track,frame,x,y\n", 2, "no positions"),
        (
            "resumed.csv",
            "track,frame,x,y\na,0,0,0\na,1,1,1\nb,0,0,0\nb,1,1,1\na,2,2,2\n",
            6,
            "track a appears again after other tracks' rows (first seen at lines 2..3); \
             rows of a track must be consecutive — sort the file by track, then frame",
        ),
        (
            // a's single row, then b, then a again: the reappearance, not a's single row.
            "resumed_single.csv",
            "track,frame,x,y\na,0,0,0\nb,0,0,0\nb,1,1,1\na,1,1,1\n",
            5,
            "track a appears again after other tracks' rows (first seen at line 2)",
        ),
        (
            "resumed_crlf.csv",
            "track,frame,x,y\r\na,0,0,0\r\na,1,1,1\r\n\r\nb,0,0,0\r\nb,1,1,1\r\na,2,2,2\r\n",
            7,
            "(first seen at lines 2..3)",
        ),
        (
            "blank_line.csv",
            "track,frame,x,y\na,0,0,0\n\na,1,abc,1\n",
            4,
            "x = `abc` is not a number",
        ),
        (
            "short_row.csv",
            "track,frame,x,y\na,0,0,0\na,1,1\n",
            3,
            "3 fields, expected 4",
        ),
    ];
    for (name, content, line, message) in cases {
        let stderr = fails_without_output(name, content, &[]);
        assert!(
            stderr.contains(&format!("{name}, line {line}")),
            "{name}: expected the file and line {line} in: {stderr}"
        );
        assert!(
            stderr.contains(message),
            "{name}: expected `{message}` in: {stderr}"
        );
    }
}

#[test]
fn bad_parameters_and_degenerate_tracks_leave_no_output() {
    let stuck = "track,frame,x,y\na,0,0.1,0.1\na,1,0.2,0.2\nb,0,0.3,0.3\nb,1,0.1,0.3\n";
    let stderr = fails_without_output("stuck.csv", stuck, &["--cell", "1"]);
    assert!(
        stderr.contains("stuck.csv") && stderr.contains("leaves its first cell"),
        "{stderr}"
    );
    for (extra, message) in [
        (
            ["--cell", "0"],
            "--cell must be a positive number of metres, got 0",
        ),
        (["--connectivity", "6"], "expected 4 or 8"),
        (["--heldout-fraction", "1.5"], "not in (0, 1)"),
    ] {
        let stderr = fails_without_output("walkers.csv", TRACKS, &extra);
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
    }
}

#[test]
fn a_cell_that_is_not_a_positive_number_is_named_with_its_value() {
    // `-1` after --cell is the flag's value, not a flag, in either spelling.
    for (extra, shown) in [
        (vec!["--cell", "-1"], "-1"),
        (vec!["--cell=-1"], "-1"),
        (vec!["--cell", "-0.5"], "-0.5"),
        (vec!["--cell", "-inf"], "-inf"),
        (vec!["--cell", "inf"], "inf"),
        (vec!["--cell", "NaN"], "NaN"),
    ] {
        let stderr = fails_without_output("walkers.csv", TRACKS, &extra);
        assert!(
            stderr.contains(&format!(
                "--cell must be a positive number of metres, got {shown}"
            )),
            "{extra:?}: {stderr}"
        );
    }
}
