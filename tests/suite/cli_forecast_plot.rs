//! `irl forecast` and `irl plot` end to end through the binary, on a goal-conditioned
//! model that `irl fit --goal-conditioned` fits to demonstrations sampled towards three
//! goals of a 6×5 grid (0.5 m cells, origin (1 m, −2 m)) with a strong step cost.
//!
//! - A forecast towards a goal equals the forecast computed independently from the
//!   definitions (`common::soft_grid`) with the fitted weights: visits are non-negative,
//!   the start is visited at least once, Σ visits = 1 + the expected number of moves
//!   ≤ steps + 1, and `arrived` (the goal's entry) is in [0, 1] and close to 1 when the
//!   steps leave time to arrive; when they do not (3 steps for a goal 5 moves away),
//!   nothing arrives and the walker makes exactly 3 moves.
//! - Without a goal the forecast is the count-weighted mixture of the per-goal forecasts
//!   (each computed with `--goal`), leaving out a goal equal to the start.
//! - Bad cells and steps beyond the horizon are errors that name the problem and leave
//!   no file.
//! - `irl plot reward|forecast|training` write PNG (decoding at 900×700, not blank) and
//!   SVG (holding the default title and, for maps, axes in metres); any other extension
//!   is an error that leaves no file.
//! - `--tracks` draws recorded tracks as recorded: the SVG segments of a track join its
//!   vertices where its metres are, with one pixel scale on both axes (y up), and the
//!   legend names it; `--track-ids` picks tracks; `--title` and `--scale` change the
//!   title and the colour bar. Tracks off the grid, unknown ids, malformed track files
//!   and grids without metres are errors that name the problem and leave no file.

use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{far_from, sample_towards, SoftGrid};
use irl::demos::{write_demos, Demonstrations};
use irl::mdp::{write_mdp, GridGeometry};
use serde_json::Value;

const TRUTH: [f64; 3] = [-3.5, -1.0, 0.4];
const HORIZON: usize = 20;
const WIDTH: usize = 6;

/// A 6×5 grid: a step cost, a hazard on (2,2), (3,2), (2,3), and a pull east.
fn world() -> SoftGrid {
    SoftGrid::new(WIDTH, 5, &["step_cost", "hazard", "east"], |x, y| {
        let hazard = [(2, 2), (3, 2), (2, 3)].contains(&(x, y));
        vec![1.0, f64::from(u8::from(hazard)), x as f64 / 5.0]
    })
}

/// Goals (5,4), (0,4), (5,0) with 40, 25 and 15 sampled demonstrations.
const GOALS: [(usize, usize); 3] = [(29, 40), (24, 25), (5, 15)];

/// A fitted goal-conditioned model in a temporary folder.
struct Fixture {
    dir: tempfile::TempDir,
    world: SoftGrid,
    demos: Demonstrations,
    theta: Vec<f64>,
    /// (goal, count) from the model file.
    goals: Vec<(usize, f64)>,
}

impl Fixture {
    fn new() -> Self {
        let world = world();
        let geometry = GridGeometry {
            origin_x: 1.0,
            origin_y: -2.0,
            cell: 0.5,
        };
        let mdp = world.mdp(Some(geometry));
        let mut trajectories = Vec::new();
        for (i, (goal, n)) in GOALS.into_iter().enumerate() {
            let starts = far_from(WIDTH, world.n_states(), goal, 3);
            trajectories.extend(sample_towards(
                &mdp, &TRUTH, goal, &starts, n, HORIZON, i as u64,
            ));
        }
        let demos = Demonstrations::new(trajectories);
        let dir = tempfile::tempdir().unwrap();
        write_mdp(&mdp, fs::File::create(dir.path().join("mdp.json")).unwrap()).unwrap();
        write_demos(&dir.path().join("demos.csv"), &demos).unwrap();
        let mut fixture = Self {
            dir,
            world,
            demos,
            theta: Vec::new(),
            goals: Vec::new(),
        };
        fixture.succeed(&[
            "fit",
            "--mdp",
            &fixture.file("mdp.json"),
            "--demos",
            &fixture.file("demos.csv"),
            "--horizon",
            &HORIZON.to_string(),
            "--goal-conditioned",
            "--quiet",
            "--out",
            &fixture.file("model.json"),
        ]);
        let model: Value =
            serde_json::from_str(&fs::read_to_string(fixture.path("model.json")).unwrap()).unwrap();
        fixture.theta = numbers(&model["weights"]);
        fixture.goals = model["goals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["state"].as_u64().unwrap() as usize,
                    g["count"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            fixture.goals.iter().map(|g| g.0).collect::<Vec<_>>(),
            vec![5, 24, 29]
        );
        fixture
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn file(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_string()
    }

    fn irl(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_irl"))
            .args(args)
            .output()
            .expect("the irl binary runs")
    }

    fn succeed(&self, args: &[&str]) -> Output {
        let output = self.irl(args);
        assert!(
            output.status.success(),
            "irl {args:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// `irl forecast` from `start` (towards `goal`) over `steps`, as JSON.
    fn forecast(&self, start: &str, goal: Option<&str>, steps: usize, out: &str) -> Value {
        let (mdp, model, out) = (
            self.file("mdp.json"),
            self.file("model.json"),
            self.file(out),
        );
        let steps = steps.to_string();
        let mut args = vec![
            "forecast", "--mdp", &mdp, "--model", &model, "--start", start, "--steps", &steps,
            "--out", &out,
        ];
        if let Some(g) = goal {
            args.extend(["--goal", g]);
        }
        self.succeed(&args);
        serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap()
    }

    /// Names of the files in the folder.
    fn listing(&self) -> BTreeSet<String> {
        fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect()
    }
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn assert_close(got: &[f64], want: &[f64], tolerance: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (s, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tolerance, "{what}, state {s}: {g} vs {w}");
    }
}

#[test]
fn forecasts_match_the_definitions_and_mix_goals_by_count() {
    let f = Fixture::new();
    let world = &f.world;
    let (start, goal) = (world.state(0, 0), world.state(5, 4));

    let towards = f.forecast("0,0", Some("5,4"), HORIZON, "towards.json");
    assert_eq!(towards["format"], "irl-forecast/1");
    assert_eq!(towards["start"], start);
    assert_eq!(towards["goal"], goal);
    assert_eq!(towards["steps"], HORIZON);
    assert_eq!(towards["mixed_goals"], false);
    let visits = numbers(&towards["visits"]);
    let arrived = towards["arrived"].as_f64().unwrap();
    let (want, want_arrived, moves) = world.forecast(&f.theta, goal, HORIZON, start, HORIZON);
    assert_close(&visits, &want, 1e-9, "forecast towards (5,4)");
    assert!((arrived - want_arrived).abs() < 1e-9);
    assert!(visits.iter().all(|&v| v >= 0.0));
    assert!(visits[start] >= 1.0);
    let total: f64 = visits.iter().sum();
    assert!(
        (total - (1.0 + moves)).abs() < 1e-9,
        "{total} vs 1 + {moves}"
    );
    assert!(total <= HORIZON as f64 + 1.0);
    assert!((0.0..=1.0).contains(&arrived));
    assert!(arrived > 0.99, "arrived {arrived}");
    assert!((visits[goal] - arrived).abs() < 1e-12);
    println!("towards (5,4): arrived {arrived:.6}, expected moves {moves:.4}");

    // Five moves are needed; in three steps nothing arrives and every step is a move.
    let short = f.forecast("0", Some("29"), 3, "short.json");
    let visits = numbers(&short["visits"]);
    assert_eq!(short["arrived"].as_f64(), Some(0.0));
    assert!((visits.iter().sum::<f64>() - 4.0).abs() < 1e-12);
    let (want, _, _) = world.forecast(&f.theta, goal, HORIZON, start, 3);
    assert_close(&visits, &want, 1e-9, "three steps");

    // Without a goal: the mixture over the training goals by count.
    for (start_cell, start_state) in [("1,1", world.state(1, 1)), ("5,0", world.state(5, 0))] {
        let mixed = f.forecast(start_cell, None, HORIZON, "mixed.json");
        assert_eq!(mixed["mixed_goals"], true);
        assert!(mixed["goal"].is_null());
        let used: Vec<(usize, f64)> = f
            .goals
            .iter()
            .copied()
            .filter(|&(g, _)| g != start_state)
            .collect();
        assert_eq!(used.len(), if start_state == 5 { 2 } else { 3 });
        let total: f64 = used.iter().map(|g| g.1).sum();
        let mut want = vec![0.0; world.n_states()];
        let mut want_arrived = 0.0;
        for (g, count) in used {
            let part = f.forecast(start_cell, Some(&g.to_string()), HORIZON, "part.json");
            for (w, v) in want.iter_mut().zip(numbers(&part["visits"])) {
                *w += count / total * v;
            }
            want_arrived += count / total * part["arrived"].as_f64().unwrap();
        }
        assert_close(&numbers(&mixed["visits"]), &want, 1e-9, start_cell);
        assert!((mixed["arrived"].as_f64().unwrap() - want_arrived).abs() < 1e-9);
    }
}

#[test]
fn bad_cells_and_too_many_steps_are_errors_without_output() {
    let f = Fixture::new();
    let (mdp, model, out) = (
        f.file("mdp.json"),
        f.file("model.json"),
        f.file("forecast.json"),
    );
    let before = f.listing();
    for (start, goal, steps, message) in [
        ("99,99", None, "5", "cell \"99,99\" is outside the 6×5 grid"),
        (
            "x",
            None,
            "5",
            "cell \"x\" is neither a state index nor X,Y",
        ),
        ("30", None, "5", "state 30 is out of range 0..30"),
        ("3,y", None, "5", "cell \"3,y\": y is not a cell index"),
        (
            "0,0",
            Some("6,0"),
            "5",
            "cell \"6,0\" is outside the 6×5 grid",
        ),
        (
            "0,0",
            Some("1.5"),
            "5",
            "cell \"1.5\" is neither a state index nor X,Y",
        ),
        ("0,0", None, "21", "21 exceeds the model's horizon 20"),
        (
            "0,0",
            Some("5,4"),
            "21",
            "21 exceeds the model's horizon 20",
        ),
    ] {
        let mut args = vec![
            "forecast", "--mdp", &mdp, "--model", &model, "--start", start, "--steps", steps,
            "--out", &out,
        ];
        if let Some(g) = goal {
            args.extend(["--goal", g]);
        }
        let output = f.irl(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            stderr.contains(message),
            "{args:?}: expected `{message}` in {stderr}"
        );
        assert_eq!(f.listing(), before, "{args:?} left a file");
    }
}

/// Decode a PNG and check its size and that it is not blank.
fn check_png(path: &Path) {
    let image = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    assert_eq!(image.dimensions(), (900, 700), "{}", path.display());
    let colours: BTreeSet<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    assert!(
        colours.len() > 20,
        "{}: {} colours",
        path.display(),
        colours.len()
    );
}

#[test]
fn plots_write_png_and_svg_and_refuse_other_extensions() {
    let f = Fixture::new();
    let (mdp, model, demos) = (
        f.file("mdp.json"),
        f.file("model.json"),
        f.file("demos.csv"),
    );
    // The observed track of the forecast map: the first demonstration towards (5,4).
    let observed = f
        .demos
        .trajectories
        .iter()
        .find(|t| t.states.last() == Some(&29))
        .unwrap();
    let start = observed.states[0].to_string();
    f.forecast(&start, Some("29"), HORIZON, "forecast.json");
    let forecast = f.file("forecast.json");
    let figures: [(&str, Vec<&str>, Vec<String>); 3] = [
        (
            "reward",
            vec!["--mdp", &mdp, "--model", &model, "--demos", &demos],
            vec![
                "model.json: reward θ·f(s)".into(),
                "x (m)".into(),
                "y (m)".into(),
            ],
        ),
        (
            "forecast",
            vec![
                "--mdp",
                &mdp,
                "--forecast",
                &forecast,
                "--demos",
                &demos,
                "--trajectory",
                &observed.id,
            ],
            vec![
                format!("forecast.json: expected visits over {HORIZON} steps"),
                "expected visits (log scale)".into(),
                format!("trajectory {} (cells)", observed.id),
                "x (m)".into(),
                "y (m)".into(),
            ],
        ),
        (
            "training",
            vec!["--model", &model],
            vec![
                "model.json: training curve".into(),
                "converged after".into(),
                "objective − best (log scale)".into(),
                "iteration".into(),
            ],
        ),
    ];
    for (kind, inputs, texts) in &figures {
        for extension in ["png", "svg"] {
            let out = f.file(&format!("{kind}.{extension}"));
            let mut args = vec!["plot", kind];
            args.extend(inputs.iter().copied());
            args.extend(["--out", &out]);
            f.succeed(&args);
            if extension == "png" {
                check_png(Path::new(&out));
            } else {
                let svg = fs::read_to_string(&out).unwrap();
                assert!(
                    svg.starts_with("<svg") || svg.starts_with("<?xml"),
                    "{kind}"
                );
                for text in texts {
                    assert!(svg.contains(text.as_str()), "{kind}.svg lacks `{text}`");
                }
            }
        }
        let before = f.listing();
        for bad in [format!("{kind}.jpg"), format!("{kind}_no_extension")] {
            let out = f.file(&bad);
            let mut args = vec!["plot", kind];
            args.extend(inputs.iter().copied());
            args.extend(["--out", &out]);
            let output = f.irl(&args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!output.status.success(), "{bad} accepted");
            assert!(stderr.contains(".png or .svg"), "{stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
            assert_eq!(f.listing(), before, "{bad} left a file");
        }
    }
    // A trajectory needs demonstrations, and must be among them.
    for (args, message) in [
        (
            vec![
                "--mdp",
                &mdp,
                "--forecast",
                &forecast,
                "--trajectory",
                "g29-0",
            ],
            "--trajectory needs --demos",
        ),
        (
            vec![
                "--mdp",
                &mdp,
                "--forecast",
                &forecast,
                "--demos",
                &demos,
                "--trajectory",
                "nobody",
            ],
            "no trajectory \"nobody\"",
        ),
    ] {
        let out = f.file("orphan.png");
        let mut full = vec!["plot", "forecast"];
        full.extend(args);
        full.extend(["--out", &out]);
        let output = f.irl(&full);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(stderr.contains(message), "{stderr}");
        assert!(!Path::new(&out).exists());
    }
}

/// Recorded tracks on the fixture's grid, which covers x ∈ [1, 4] and y ∈ [−2, 0.5] m.
const TRACKS: &str = "track,frame,x,y\n\
                      a,0,1.2,-1.8\n\
                      a,10,2.6,-0.4\n\
                      a,20,3.8,0.3\n\
                      b,0,3.9,-1.9\n\
                      b,10,1.1,0.4\n";

/// The vertices of the SVG polylines of colour `stroke`, in document order.
fn polylines(svg: &str, stroke: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline ")
        .skip(1)
        .filter(|element| {
            element[..element.find('>').unwrap()].contains(&format!("stroke=\"{stroke}\""))
        })
        .map(|element| {
            let points = element.split("points=\"").nth(1).unwrap();
            points[..points.find('"').unwrap()]
                .split_whitespace()
                .map(|pair| {
                    let (x, y) = pair.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

/// The recorded tracks' colour (`irl::plot` draws them in (230, 60, 60)).
const RED: &str = "#E63C3C";

#[test]
fn recorded_tracks_are_drawn_in_metres_and_bad_ones_write_nothing() {
    let f = Fixture::new();
    fs::write(f.path("tracks.csv"), TRACKS).unwrap();
    let (mdp, model, tracks) = (
        f.file("mdp.json"),
        f.file("model.json"),
        f.file("tracks.csv"),
    );
    let svg_of = |args: &[&str], name: &str| {
        let out = f.file(name);
        let mut full = args.to_vec();
        full.extend(["--out", &out]);
        f.succeed(&full);
        fs::read_to_string(&out).unwrap()
    };

    // One track: its line over the map and its sample in the legend.
    let reward = ["plot", "reward", "--mdp", &mdp, "--model", &model];
    let mut one = reward.to_vec();
    one.extend(["--tracks", &tracks, "--track-ids", "a"]);
    let svg = svg_of(&one, "one.svg");
    assert!(svg.contains("recorded track a"));
    // Lines are drawn segment by segment: the legend's sample comes first, above the
    // map, then the track's two segments, v0–v1 and v1–v2.
    let lines = polylines(&svg, RED);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines.iter().all(|l| l.len() == 2), "{lines:?}");
    assert_eq!(lines[1][1], lines[2][0]);
    let drawn = [lines[1][0], lines[1][1], lines[2][1]];
    assert!(lines[0][0].1 < drawn.iter().map(|v| v.1).fold(f64::INFINITY, f64::min));
    // The vertices in pixels against the positions in metres: one scale for x and y,
    // y pointing up, and the middle vertex where its metres say.
    let metres = [(1.2, -1.8), (2.6, -0.4), (3.8, 0.3)];
    let per_metre_x = (drawn[2].0 - drawn[0].0) / (metres[2].0 - metres[0].0);
    let per_metre_y = (drawn[0].1 - drawn[2].1) / (metres[2].1 - metres[0].1);
    assert!(per_metre_x > 100.0, "{per_metre_x} px per metre");
    assert!(
        (per_metre_x - per_metre_y).abs() < 1.0,
        "{per_metre_x} vs {per_metre_y}"
    );
    let middle = (
        drawn[0].0 + (metres[1].0 - metres[0].0) * per_metre_x,
        drawn[0].1 - (metres[1].1 - metres[0].1) * per_metre_x,
    );
    assert!((middle.0 - drawn[1].0).abs() <= 1.5 && (middle.1 - drawn[1].1).abs() <= 1.5);
    // The PNG has the red line.
    let png = f.file("one.png");
    let mut args = one.clone();
    args.extend(["--out", &png]);
    f.succeed(&args);
    check_png(Path::new(&png));
    let red = image::open(&png)
        .unwrap()
        .to_rgb8()
        .pixels()
        .filter(|p| p.0 == [230, 60, 60])
        .count();
    assert!(red > 300, "{red} red pixels");

    // Every track without --track-ids (up to --max-tracks), one legend entry.
    let mut all = reward.to_vec();
    all.extend(["--tracks", &tracks, "--title", "First line\nsecond line"]);
    let svg = svg_of(&all, "all.svg");
    assert_eq!(polylines(&svg, RED).len(), 4);
    for text in ["recorded tracks", "First line", "second line"] {
        assert!(svg.contains(text), "all.svg lacks `{text}`");
    }
    let mut capped = all.clone();
    capped.extend(["--max-tracks", "1"]);
    assert_eq!(polylines(&svg_of(&capped, "capped.svg"), RED).len(), 3);

    // A forecast with a linear scale and the recorded track b.
    f.forecast("0,0", Some("5,4"), HORIZON, "forecast.json");
    let forecast = f.file("forecast.json");
    let map = ["plot", "forecast", "--mdp", &mdp, "--forecast", &forecast];
    let mut linear = map.to_vec();
    linear.extend([
        "--tracks",
        &tracks,
        "--track-ids",
        "b,b",
        "--scale",
        "linear",
    ]);
    let svg = svg_of(&linear, "linear.svg");
    assert!(svg.contains("expected visits") && !svg.contains("log scale"));
    assert!(svg.contains("recorded track b"));
    assert_eq!(polylines(&svg, RED).len(), 2);

    // Errors: each names the problem and writes nothing.
    fs::write(f.path("far.csv"), "track,frame,x,y\nc,0,2,-1\nc,10,5,0\n").unwrap();
    fs::write(f.path("bad.csv"), "track,frame,x,y\na,0,2,-1\na,10,abc,0\n").unwrap();
    write_mdp(
        &f.world.mdp(None),
        fs::File::create(f.path("cells.json")).unwrap(),
    )
    .unwrap();
    let (far, bad, cells) = (f.file("far.csv"), f.file("bad.csv"), f.file("cells.json"));
    let before = f.listing();
    let out = f.file("refused.png");
    for (args, message) in [
        (
            vec!["--mdp", &mdp, "--model", &model, "--track-ids", "a"],
            "--track-ids needs --tracks".to_string(),
        ),
        (
            vec![
                "--mdp",
                &mdp,
                "--model",
                &model,
                "--tracks",
                &tracks,
                "--track-ids",
                "a,zz",
            ],
            format!("{tracks}: no track \"zz\" (the file has 2 tracks)"),
        ),
        (
            vec!["--mdp", &mdp, "--model", &model, "--tracks", &far],
            format!(
                "{far}: invalid tracks at track c, frame 10: (5, 0) m lies outside the MDP's grid"
            ),
        ),
        (
            vec!["--mdp", &mdp, "--model", &model, "--tracks", &bad],
            format!("{bad}, line 3"),
        ),
        (
            vec!["--mdp", &cells, "--model", &model, "--tracks", &tracks],
            format!(
                "--tracks needs an MDP whose grid has a position in metres (origin_x, \
                 origin_y, cell); {cells} has none"
            ),
        ),
    ] {
        let mut full = vec!["plot", "reward"];
        full.extend(args.iter().copied());
        full.extend(["--out", &out]);
        let output = f.irl(&full);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{full:?} succeeded");
        assert!(
            stderr.contains(&message),
            "expected `{message}` in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(f.listing(), before, "{full:?} left a file");
    }
}
