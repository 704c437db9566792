//! `irl bench` end to end through the binary, on tiny grids (no assertion on any time).
//!
//! - The Markdown table has its header, one row per case in order (the `--sizes` cases,
//!   then the `--extra` ones), and in each row the grid, S, A, the number of stored
//!   transitions and T equal hand counts: a compass grid (8 actions, 0 < slip < 1) has 16
//!   entries per corner cell, 20 per edge cell and 24 per interior cell; a 4-action grid
//!   16 per cell but 12 per corner. Times carry a unit, memory reads MiB or n/a.
//! - The thread-scaling and fit lines name their grid, and the fit counts its
//!   demonstrated actions (demonstrations × T: no terminal states).
//! - `--json` holds the same numbers, and the traffic model's bytes per step equal
//!   5·nnz + 4·S·A + 24·S worked out by hand; bytes/s = T · bytes per step / seconds.
//! - Progress comes on stderr as plain lines (stderr is not a terminal here); `--quiet`
//!   silences it (a debug build still warns that its timings mean nothing).
//! - Bad options fail before any measurement with a message naming the option.
//! - `irl generate gridworld --actions 8 --features regions` writes the benchmark's world.

use crate::common;

use common::{irl, path, succeed};

use irl::mdp::read_mdp;
use irl::worlds::{gridworld, GridActions, GridFeatures, GridworldParams};
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The cells of each Markdown table line, header and separator included.
fn table(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

fn is_duration(cell: &str) -> bool {
    let Some((number, unit)) = cell.split_once(' ') else {
        return false;
    };
    number.parse::<f64>().is_ok() && ["s", "ms", "µs"].contains(&unit)
}

#[test]
fn tiny_benchmark_prints_the_table_the_lines_and_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let out = succeed(&[
        "bench",
        "--sizes",
        "5,6",
        "--horizon",
        "4",
        "--demos",
        "3",
        "--repeats",
        "1",
        "--min-time",
        "0",
        "--extra",
        "5:4:3",
        "--fit-size",
        "5",
        "--json",
        path(&json),
        "--quiet",
    ]);
    let stdout = text(&out.stdout);
    let rows = table(&stdout);
    assert_eq!(rows.len(), 2 + 3, "{stdout}");
    assert_eq!(
        rows[0],
        [
            "grid",
            "S",
            "A",
            "transitions",
            "T",
            "build",
            "backward",
            "forward",
            "backward + forward",
            "fit iteration",
            "peak RSS",
            "backward traffic"
        ]
    );
    assert!(rows[1].iter().all(|c| c.starts_with("--") || c == "---:"));
    // Compass 5×5: 4·16 + 12·20 + 9·24 = 520; compass 6×6: 4·16 + 16·20 + 16·24 = 768;
    // 4 actions 5×5: 25·16 − 4·4 = 384.
    let expected = [
        ["5×5", "25", "8", "520", "4"],
        ["6×6", "36", "8", "768", "4"],
        ["5×5", "25", "4", "384", "3"],
    ];
    for (row, want) in rows[2..].iter().zip(expected) {
        assert_eq!(row.len(), 12, "{row:?}");
        assert_eq!(row[..5], want, "{row:?}");
        for cell in &row[5..10] {
            assert!(is_duration(cell), "{cell} in {row:?}");
        }
        assert!(row[10] == "n/a" || row[10].ends_with(" MiB"), "{row:?}");
        assert!(
            row[11].ends_with(" MB/s") || row[11].ends_with(" GB/s"),
            "{row:?}"
        );
    }
    assert!(
        stdout.contains("Backward pass at 6×6 (S = 36, A = 8, T = 4): 1 thread "),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "IRL fit at 5×5 (S = 25, A = 8, K = 20, T = 4, 3 demonstrations, 12 actions; "
        ),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .lines()
            .all(|l| l.contains("WARNING: this is a debug build")),
        "--quiet still printed: {stderr}"
    );

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["format"], "irl-bench/1");
    assert_eq!(report["features"], 20);
    assert_eq!(report["optimised"], !cfg!(debug_assertions));
    let cases = report["cases"].as_array().unwrap();
    // 5·nnz + 4·S·A + 24·S (a few distinct probabilities, coded in a byte each):
    // 2600 + 800 + 600, 3840 + 1152 + 864, 1920 + 400 + 600.
    let bytes_per_step = [4000, 5856, 2920];
    for (case, (want, bytes)) in cases.iter().zip(expected.iter().zip(bytes_per_step)) {
        assert_eq!(case["transitions"].as_u64().unwrap().to_string(), want[3]);
        assert_eq!(case["backward_bytes_per_step"], bytes);
        let horizon = case["horizon"].as_f64().unwrap();
        let seconds = case["backward"]["seconds"].as_f64().unwrap();
        let rate = case["backward_bytes_per_second"].as_f64().unwrap();
        assert!((rate / (horizon * bytes as f64 / seconds) - 1.0).abs() < 1e-12);
        assert_eq!(case["backward"]["runs"], 1);
    }
    assert_eq!(report["scaling"]["side"], 6);
    assert_eq!(report["fit"]["demonstrated_actions"], 12);
    assert!(report["fit"]["evaluations"].as_u64() >= report["fit"]["iterations"].as_u64());
}

#[test]
fn progress_comes_as_plain_lines_on_stderr() {
    let out = succeed(&[
        "bench",
        "--sizes",
        "5",
        "--horizon",
        "3",
        "--demos",
        "2",
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
    ]);
    let stderr = text(&out.stderr);
    for step in [
        "irl bench: 5×5 (A = 8, T = 3): building the world",
        "irl bench: 5×5 (A = 8, T = 3): backward pass",
        "irl bench: 5×5 (A = 8, T = 3): forward pass",
        "irl bench: 5×5 (A = 8, T = 3): one fit iteration (NLL and gradient)",
    ] {
        assert!(
            stderr.lines().any(|l| l == step),
            "{step} missing: {stderr}"
        );
    }
    assert!(!stderr.contains('\u{1b}') && !stderr.contains('\r'));
    let stdout = text(&out.stdout);
    assert_eq!(table(&stdout).len(), 3, "{stdout}");
    assert!(!stdout.contains("Backward pass at") && !stdout.contains("IRL fit at"));
}

#[test]
fn bad_options_are_named_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/folder/bench.json");
    let cases: [(&[&str], &str); 8] = [
        (&["--sizes", "4"], "`sizes`: grid side 4 is not in 5..=1024"),
        (&["--sizes", "5", "--extra", "10:3:5"], "`extra`: `10:3:5`"),
        (
            &["--sizes", "5", "--extra", "10x10"],
            "SIDE:ACTIONS:HORIZON",
        ),
        (&["--sizes", "5", "--actions", "6"], "`actions`"),
        (&["--sizes", "5", "--repeats", "0"], "`repeats`"),
        (&["--sizes", "5", "--slip", "1.5"], "`slip`"),
        (&["--sizes", "5", "--fit-size", "3"], "`fit_size`"),
        (
            &["--sizes", "5", "--json", path(&missing)],
            "does not exist",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["bench", "--quiet"];
        all.extend_from_slice(args);
        let out = irl(&all);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed a table");
    }
}

#[test]
fn generate_writes_the_benchmark_world() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("world");
    succeed(&[
        "generate",
        "gridworld",
        "--size",
        "6",
        "--actions",
        "8",
        "--features",
        "regions",
        "--reward-density",
        "0.2",
        "--demos",
        "2",
        "--length",
        "3",
        "--seed",
        "4",
        "--out",
        path(&out),
    ]);
    let file = std::fs::File::open(out.join("mdp.json")).unwrap();
    let mdp = read_mdp(std::io::BufReader::new(file)).unwrap();
    assert_eq!(mdp.n_actions(), 8);
    assert_eq!(mdp.action_names().unwrap()[3], "northwest");
    assert_eq!(mdp.transitions().nnz(), 768);
    assert_eq!(mdp.features().names()[19], "region_x4_y3");
    // The bench's world of case 6:8:5 and seed 4, built from its description: a 6 × 6
    // compass grid, slip 0.2, 5 × 4 region features, a fifth of them rewarded.
    let params = GridworldParams {
        size: 6,
        actions: GridActions::Compass,
        slip: 0.2,
        features: GridFeatures::Regions {
            columns: 5,
            rows: 4,
        },
        reward_density: 0.2,
    };
    let bench_world = gridworld(&params, 4).unwrap();
    assert_eq!(mdp, bench_world.mdp);
    let weights: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("true_weights.json")).unwrap())
            .unwrap();
    let written: Vec<f64> = weights["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_f64().unwrap())
        .collect();
    assert_eq!(written, bench_world.true_weights.weights);
}
