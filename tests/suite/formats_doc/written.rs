//! The documents the `irl` commands write, produced on small worlds in a temporary
//! folder: a 3 × 3 gridworld (`generate`, `fit`, `solve`, `forecast`, `evaluate`), a scene
//! of four hand-made tracks (`discretize`, `fit --goal-conditioned`) and a 5 × 5 benchmark
//! (`bench --json`).

use std::path::Path;

use serde_json::Value;

use crate::common::{path, succeed};

/// Four walkers on a 2 m × 1.5 m patch: east, west, diagonally and north, each ending in
/// its own cell, so that every track is one goal.
const TRACKS: &str = "track,frame,x,y\n\
                      east,0,0.1,0.1\neast,10,1.9,0.1\n\
                      west,0,1.9,1.4\nwest,10,0.1,1.4\n\
                      diagonal,0,0.1,1.4\ndiagonal,10,1.9,0.1\n\
                      north,0,1.0,0.1\nnorth,10,1.0,1.4\n";

/// Every document, parsed.
pub struct Written {
    pub mdp: Value,
    pub true_weights: Value,
    pub model: Value,
    pub solution: Value,
    pub forecast: Value,
    pub evaluation: Value,
    pub scene_mdp: Value,
    pub scene_report: Value,
    pub goal_model: Value,
    pub bench: Value,
}

fn read(file: &Path) -> Value {
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

impl Written {
    /// Run the commands and read what they wrote.
    pub fn produce() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let at = |name: &str| dir.path().join(name);
        let world = at("world");
        succeed(&[
            "generate",
            "gridworld",
            "--size",
            "3",
            "--features",
            "coords",
            "--demos",
            "4",
            "--length",
            "3",
            "--out",
            path(&world),
        ]);
        let mdp = world.join("mdp.json");
        let demos = world.join("demos.csv");
        let truth = world.join("true_weights.json");
        let model = at("model.json");
        succeed(&[
            "fit",
            "--mdp",
            path(&mdp),
            "--demos",
            path(&demos),
            "--horizon",
            "3",
            "--max-iters",
            "5",
            "--quiet",
            "--out",
            path(&model),
        ]);
        let solution = at("solution.json");
        succeed(&[
            "solve",
            "--mdp",
            path(&mdp),
            "--weights",
            path(&model),
            "--horizon",
            "3",
            "--out",
            path(&solution),
        ]);
        let forecast = at("forecast.json");
        succeed(&[
            "forecast",
            "--mdp",
            path(&mdp),
            "--model",
            path(&model),
            "--start",
            "1,1",
            "--steps",
            "2",
            "--out",
            path(&forecast),
        ]);
        let evaluation = succeed(&[
            "evaluate",
            "--mdp",
            path(&mdp),
            "--model",
            path(&model),
            "--demos",
            path(&demos),
            "--true-weights",
            path(&truth),
        ]);

        let tracks = at("tracks.csv");
        std::fs::write(&tracks, TRACKS).expect("tracks written");
        let scene = at("scene");
        succeed(&[
            "discretize",
            "--tracks",
            path(&tracks),
            "--heldout-fraction",
            "0.25",
            "--out",
            path(&scene),
        ]);
        let goal_model = at("goal_model.json");
        succeed(&[
            "fit",
            "--mdp",
            path(&scene.join("mdp.json")),
            "--demos",
            path(&scene.join("demos.csv")),
            "--horizon",
            "8",
            "--goal-conditioned",
            "--max-iters",
            "5",
            "--quiet",
            "--out",
            path(&goal_model),
        ]);

        let bench = at("bench.json");
        succeed(&[
            "bench",
            "--sizes",
            "5",
            "--extra",
            "none",
            "--horizon",
            "2",
            "--demos",
            "1",
            "--repeats",
            "1",
            "--min-time",
            "0",
            "--fit-size",
            "5",
            "--quiet",
            "--json",
            path(&bench),
        ]);

        Self {
            mdp: read(&mdp),
            true_weights: read(&truth),
            model: read(&model),
            solution: read(&solution),
            forecast: read(&forecast),
            evaluation: serde_json::from_slice(&evaluation.stdout)
                .expect("irl evaluate prints JSON"),
            scene_mdp: read(&scene.join("mdp.json")),
            scene_report: read(&scene.join("report.json")),
            goal_model: read(&goal_model),
            bench: read(&bench),
        }
    }
}
