//! The model contract as another program meets it: a minimal `irl-model/1` (format,
//! feature names, weights and the solver section) and an `irl-weights/1` document with
//! solver flags stand in for the model `irl fit` wrote.
//!
//! - `irl evaluate` prints exactly the same metrics for the fitted model, for its
//!   minimal form, for a minimal form that leaves out every solver setting at its
//!   default but the horizon, for one whose `training` holds only some fields, and for
//!   its weights given the fit's settings as flags; `irl forecast` writes the same bytes;
//!   `irl solve` and `irl plot reward` take the minimal model.
//! - Refused, with status 1, the file and the field in the message and no output: a model
//!   without `solver` or `solver.horizon`, a flag that contradicts the model, a present
//!   field out of range or of the wrong type, and `irl plot training` on a model whose
//!   training is incomplete.
//! - `irl fit --no-standard-errors` writes the same weights with `standard_errors` null,
//!   after exactly 2K fewer likelihood evaluations, and the model evaluates as the full one
//!   does; the standard errors' progress lines appear only when they are computed, and
//!   never with `--quiet`.

use crate::common;

use common::{irl, path, succeed};

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// The fit's settings: a horizon, and a discount and temperature away from the defaults,
/// so that settings taken from the wrong place change the numbers.
const FIT_SETTINGS: [&str; 6] = [
    "--horizon",
    "8",
    "--discount",
    "0.9",
    "--temperature",
    "1.5",
];

/// A 4×4 gridworld with 2×2 blocks (four features), its demonstrations, held-out ones of
/// another seed, and a model fitted under [`FIT_SETTINGS`] (`model.json`).
struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let world = Self { dir };
        for (out, seed) in [("world", "3"), ("heldout", "4")] {
            succeed(&[
                "generate",
                "gridworld",
                "--size",
                "4",
                "--block",
                "2",
                "--demos",
                "40",
                "--length",
                "8",
                "--seed",
                "3",
                "--demos-seed",
                seed,
                "--out",
                path(&world.file(out)),
            ]);
        }
        let mut args = vec![
            "fit".to_string(),
            "--mdp".into(),
            world.mdp(),
            "--demos".into(),
            path(&world.file("world/demos.csv")).into(),
            "--quiet".into(),
            "--out".into(),
            path(&world.file("model.json")).into(),
        ];
        args.extend(FIT_SETTINGS.iter().map(|s| s.to_string()));
        succeed(&args);
        world
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn mdp(&self) -> String {
        path(&self.file("world/mdp.json")).into()
    }

    fn model(&self) -> Value {
        read_json(&self.file("model.json"))
    }

    /// Write `doc` as `name` and return its path.
    fn write(&self, name: &str, doc: &Value) -> PathBuf {
        let file = self.file(name);
        fs::write(&file, doc.to_string()).unwrap();
        file
    }

    /// `irl evaluate` of `model` on the held-out demonstrations, with `flags`.
    fn evaluate(&self, model: &Path, flags: &[&str]) -> std::process::Output {
        let mut args = vec![
            "evaluate".to_string(),
            "--mdp".into(),
            self.mdp(),
            "--model".into(),
            path(model).into(),
            "--demos".into(),
            path(&self.file("heldout/demos.csv")).into(),
        ];
        args.extend(flags.iter().map(|s| s.to_string()));
        irl(&args)
    }

    /// The metrics `irl evaluate` prints, the standard errors left out.
    fn metrics(&self, model: &Path, flags: &[&str]) -> Value {
        let output = self.evaluate(model, flags);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut metrics: Value = serde_json::from_slice(&output.stdout).unwrap();
        for weight in metrics["weights"].as_array_mut().unwrap() {
            weight.as_object_mut().unwrap().remove("standard_error");
        }
        metrics
    }

    /// The bytes `irl forecast` writes for `model` from state 5 over 6 steps.
    fn forecast(&self, model: &Path, flags: &[&str], out: &str) -> Vec<u8> {
        let mut args = vec![
            "forecast".to_string(),
            "--mdp".into(),
            self.mdp(),
            "--model".into(),
            path(model).into(),
            "--start".into(),
            "5".into(),
            "--steps".into(),
            "6".into(),
            "--out".into(),
            path(&self.file(out)).into(),
        ];
        args.extend(flags.iter().map(|s| s.to_string()));
        succeed(&args);
        fs::read(self.file(out)).unwrap()
    }
}

fn read_json(file: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap()
}

/// The minimal form of a model: format, names, weights and the five solver settings.
fn minimal(model: &Value) -> Value {
    let solver = &model["solver"];
    json!({
        "format": "irl-model/1",
        "feature_names": model["feature_names"],
        "weights": model["weights"],
        "solver": {
            "horizon": solver["horizon"],
            "discount": solver["discount"],
            "backup": solver["backup"],
            "temperature": solver["temperature"],
            "action_prior": solver["action_prior"],
        },
    })
}

/// The weights of a model as `irl-weights/1`.
fn weights_of(model: &Value) -> Value {
    json!({
        "format": "irl-weights/1",
        "feature_names": model["feature_names"],
        "weights": model["weights"],
    })
}

/// Assert that `output` failed with status 1, printed nothing on standard output, and
/// named each of `expected` on standard error.
fn refused(output: &std::process::Output, expected: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for part in expected {
        assert!(stderr.contains(part), "{part:?} not in: {stderr}");
    }
}

#[test]
fn a_minimal_model_and_the_weights_with_flags_evaluate_exactly_as_the_fitted_model() {
    let world = World::new();
    let model = world.model();
    assert_eq!(model["solver"]["horizon"], json!(8));
    let full = world.metrics(&world.file("model.json"), &[]);
    let nll = full["nll_per_action"].as_f64().unwrap();
    assert!(nll.is_finite() && nll > 0.0, "{full}");

    let minimal_file = world.write("minimal.json", &minimal(&model));
    assert_eq!(world.metrics(&minimal_file, &[]), full);

    // Only the horizon, the discount and the temperature differ from the defaults; the
    // rest may be left out, or be given as flags that agree with the file.
    let mut sparse = minimal(&model);
    let solver = sparse["solver"].as_object_mut().unwrap();
    solver.remove("backup");
    solver.remove("action_prior");
    let sparse_file = world.write("sparse.json", &sparse);
    assert_eq!(world.metrics(&sparse_file, &[]), full);
    assert_eq!(
        world.metrics(&sparse_file, &["--backup", "variational", "--horizon", "8"]),
        full
    );
    // The discount left out is the flag's.
    let mut no_discount = minimal(&model);
    no_discount["solver"]
        .as_object_mut()
        .unwrap()
        .remove("discount");
    let no_discount_file = world.write("no-discount.json", &no_discount);
    assert_eq!(
        world.metrics(&no_discount_file, &["--discount", "0.9"]),
        full
    );
    let at_default = world.metrics(&no_discount_file, &[]);
    assert_ne!(at_default["nll_per_action"], full["nll_per_action"]);

    // Training with only some of its fields.
    let mut partial = model.clone();
    let training = partial["training"].as_object_mut().unwrap();
    training.retain(|k, _| k == "iterations" || k == "converged");
    let partial_file = world.write("partial-training.json", &partial);
    assert_eq!(world.metrics(&partial_file, &[]), full);

    // The weights alone, with the fit's settings as flags.
    let weights_file = world.write("weights.json", &weights_of(&model));
    assert_eq!(world.metrics(&weights_file, &FIT_SETTINGS), full);
    let output = world.evaluate(&weights_file, &FIT_SETTINGS);
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(printed["weights"]
        .as_array()
        .unwrap()
        .iter()
        .all(|w| w["standard_error"].is_null()));
    // Without the flags the weights are scored under the defaults: another number.
    let defaults = world.metrics(&weights_file, &["--horizon", "8"]);
    assert_ne!(defaults["nll_per_action"], full["nll_per_action"]);
}

#[test]
fn forecasts_solutions_and_reward_maps_take_the_minimal_model_and_the_weights() {
    let world = World::new();
    let model = world.model();
    let full = world.forecast(&world.file("model.json"), &[], "full-forecast.json");
    let minimal_file = world.write("minimal.json", &minimal(&model));
    assert_eq!(
        world.forecast(&minimal_file, &[], "minimal-forecast.json"),
        full
    );
    let weights_file = world.write("weights.json", &weights_of(&model));
    assert_eq!(
        world.forecast(&weights_file, &FIT_SETTINGS, "weights-forecast.json"),
        full
    );

    let mut solutions = Vec::new();
    for (model, out) in [
        (world.file("model.json"), "full-solution.json"),
        (minimal_file.clone(), "minimal-solution.json"),
    ] {
        let mut args = vec![
            "solve".to_string(),
            "--mdp".into(),
            world.mdp(),
            "--weights".into(),
            path(&model).into(),
            "--out".into(),
            path(&world.file(out)).into(),
        ];
        args.extend(FIT_SETTINGS.iter().map(|s| s.to_string()));
        succeed(&args);
        let mut solution = read_json(&world.file(out));
        solution.as_object_mut().unwrap().remove("timing");
        solutions.push(solution);
    }
    assert_eq!(solutions[0], solutions[1]);

    let figure = world.file("reward.png");
    succeed(&[
        "plot",
        "reward",
        "--mdp",
        &world.mdp(),
        "--model",
        path(&minimal_file),
        "--out",
        path(&figure),
    ]);
    assert!(fs::read(&figure).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn incomplete_or_contradicted_models_are_refused_naming_the_file_and_the_field() {
    let world = World::new();
    let model = world.model();

    let mut no_solver = minimal(&model);
    no_solver.as_object_mut().unwrap().remove("solver");
    let file = world.write("no-solver.json", &no_solver);
    refused(
        &world.evaluate(&file, &[]),
        &[path(&file), "solver is missing"],
    );

    let mut no_horizon = minimal(&model);
    no_horizon["solver"]
        .as_object_mut()
        .unwrap()
        .remove("horizon");
    let file = world.write("no-horizon.json", &no_horizon);
    refused(
        &world.evaluate(&file, &[]),
        &[
            path(&file),
            "solver.horizon is missing",
            "null for the infinite horizon",
        ],
    );

    let file = world.write("minimal.json", &minimal(&model));
    refused(
        &world.evaluate(&file, &["--discount", "0.95"]),
        &[
            path(&file),
            "--discount 0.95 contradicts",
            "solver.discount is 0.9",
        ],
    );
    refused(
        &world.evaluate(&file, &["--horizon", "9"]),
        &["--horizon 9 contradicts", "solver.horizon is 8"],
    );
    refused(
        &world.evaluate(&file, &["--action-prior", "uniform"]),
        &[
            "--action-prior uniform contradicts",
            "solver.action_prior is none",
        ],
    );
    // A flag out of its range is the flag's error, not the file's.
    let weights = world.write("weights.json", &weights_of(&model));
    refused(
        &world.evaluate(&weights, &["--horizon", "8", "--discount", "2"]),
        &["`discount`", "2 is not in (0, 1]"],
    );

    // A field given is held to its rule, minimal model or not.
    let mut hot = minimal(&model);
    hot["solver"]["temperature"] = json!(-1.0);
    let file = world.write("hot.json", &hot);
    refused(
        &world.evaluate(&file, &[]),
        &[path(&file), "solver.temperature", "not a positive number"],
    );
    let mut typed = model.clone();
    typed["training"]["converged"] = json!("yes");
    let file = world.write("typed.json", &typed);
    refused(
        &world.evaluate(&file, &[]),
        &[path(&file), "expected a boolean at line 1 column"],
    );

    let mut partial = model.clone();
    partial["training"]
        .as_object_mut()
        .unwrap()
        .remove("seconds");
    let file = world.write("partial.json", &partial);
    let figure = world.file("training.png");
    let output = irl(&[
        "plot",
        "training",
        "--model",
        path(&file),
        "--out",
        path(&figure),
    ]);
    refused(&output, &[path(&file), "no complete training section"]);
    assert!(!figure.exists());
}

#[test]
fn a_fit_without_standard_errors_saves_their_evaluations_and_evaluates_alike() {
    let world = World::new();
    let fit = |extra: &[&str], out: &str| {
        let mut args = vec![
            "fit".to_string(),
            "--mdp".into(),
            world.mdp(),
            "--demos".into(),
            path(&world.file("world/demos.csv")).into(),
            "--out".into(),
            path(&world.file(out)).into(),
        ];
        args.extend(FIT_SETTINGS.iter().map(|s| s.to_string()));
        args.extend(extra.iter().map(|s| s.to_string()));
        let output = succeed(&args);
        (
            read_json(&world.file(out)),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (with, with_log) = fit(&[], "with.json");
    let (without, without_log) = fit(&["--no-standard-errors"], "without.json");
    let (_, quiet_log) = fit(&["--quiet"], "quiet.json");

    assert_eq!(with["weights"], without["weights"]);
    assert_eq!(with["standard_errors"].as_array().unwrap().len(), 4);
    assert!(without["standard_errors"].is_null());
    assert_eq!(
        without["standard_errors_note"],
        json!("not computed: not requested")
    );
    // The observed information of K = 4 features: 2K = 8 evaluations.
    let evaluations = |m: &Value| m["training"]["evaluations"].as_u64().unwrap();
    assert_eq!(evaluations(&with) - evaluations(&without), 8);

    assert!(
        with_log.contains(
            "standard errors: 8 likelihood evaluations for the observed information of 4 features"
        ),
        "{with_log}"
    );
    assert!(
        with_log.contains("standard errors: 4/4 features"),
        "{with_log}"
    );
    assert!(
        !without_log.contains("observed information") && !without_log.contains("/4 features"),
        "{without_log}"
    );
    assert!(
        without_log.contains("standard errors: not computed: not requested"),
        "{without_log}"
    );
    assert!(quiet_log.is_empty(), "{quiet_log}");

    assert_eq!(
        world.metrics(&world.file("without.json"), &[]),
        world.metrics(&world.file("with.json"), &[])
    );
}
