//! `irl generate`, `irl fit` and `irl evaluate` end to end through the binary.
//!
//! - generate → fit → evaluate: the model file is `irl-model/1` with the solver settings
//!   and per-iteration `training.objective` / `training.gradient_norm` arrays; evaluate
//!   prints one JSON object with the held-out metrics (and, given the true weights, the
//!   true reward's NLL and the expected value difference), whose numbers agree with the
//!   library's `irl::eval::evaluate` under the model's settings and with each other
//!   (NLL per trajectory = NLL per action × actions per trajectory).
//! - `--quiet` prints nothing on stderr; otherwise, stderr not being a terminal here,
//!   progress comes as plain lines, one per recorded iteration, without escape codes or
//!   carriage returns.
//! - Bad demonstration files (CSV: unknown state, impossible transition, a step that does
//!   not follow its predecessor, an empty file, a missing column, a non-numeric field;
//!   JSON Lines: a line with an impossible transition, a line that is not JSON) and a
//!   horizon shorter than the longest demonstration end with a non-zero status and a
//!   message naming the file (and the line), never a panic, and leave nothing in the
//!   output folder.
//! - With λ = 0 on a deterministic gridworld, γ = 1 and demonstrations spanning the
//!   horizon, the fitted optimum matches feature counts: the demonstrations' counts and
//!   the expected counts of a forward pass from their start states agree to the
//!   stopping tolerance, and the residuals the model file records at θ = 0 and at the end
//!   are exactly these classic differences (the exact gradient is then their difference).

use crate::common;

use common::{irl, path, succeed};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use irl::demos::{feature_counts, read_demos, start_distribution};
use irl::inference::{backward, forward, SoftProblem, SoftSettings};
use irl::learn::{read_weights, Alignment};
use irl::mdp::read_mdp;
use irl::Mdp;
use ndarray::Array1;
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("readable folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn read_json(file: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(file).expect("readable")).expect("JSON")
}

fn load_mdp(file: &Path) -> Mdp {
    read_mdp(fs::File::open(file).expect("mdp file")).expect("valid MDP")
}

/// A 6×6 gridworld (slip 0.2, 2×2 blocks, three rewarding blocks) with 100 training
/// demonstrations of 15 actions in `dir/train` and, from the same world, 100 held-out ones
/// in `dir/heldout`. The expert is soft-optimal for 3·r*, sharp enough that a fitted
/// reward predicts held-out actions clearly better than chance.
fn generate(dir: &Path) -> (PathBuf, PathBuf) {
    let (train, heldout) = (dir.join("train"), dir.join("heldout"));
    for (out, demos_seed) in [(&train, "3"), (&heldout, "4")] {
        succeed(&[
            "generate",
            "gridworld",
            "--size",
            "6",
            "--demos",
            "100",
            "--length",
            "15",
            "--reward-density",
            "0.3",
            "--beta",
            "3",
            "--seed",
            "3",
            "--demos-seed",
            demos_seed,
            "--out",
            path(out),
        ]);
        assert_eq!(listing(out), ["demos.csv", "mdp.json", "true_weights.json"]);
    }
    assert_eq!(
        fs::read(train.join("mdp.json")).unwrap(),
        fs::read(heldout.join("mdp.json")).unwrap(),
        "the same --seed gives the same world"
    );
    assert_ne!(
        fs::read(train.join("demos.csv")).unwrap(),
        fs::read(heldout.join("demos.csv")).unwrap(),
        "another --demos-seed gives other demonstrations"
    );
    (train, heldout)
}

/// `irl fit` on the training set with γ = 0.9 and no horizon, as the expert was made.
fn fit_args(train: &Path, out: &Path) -> Vec<String> {
    let mdp = train.join("mdp.json");
    let demos = train.join("demos.csv");
    [
        "fit",
        "--mdp",
        path(&mdp),
        "--demos",
        path(&demos),
        "--discount",
        "0.9",
        "--out",
        path(out),
    ]
    .map(String::from)
    .to_vec()
}

fn number(doc: &Value, key: &str) -> f64 {
    doc[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {doc}"))
}

fn numbers(doc: &Value) -> Vec<f64> {
    doc.as_array()
        .unwrap_or_else(|| panic!("not an array: {doc}"))
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

#[test]
fn generate_fit_evaluate_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (train, heldout) = generate(dir.path());
    let model_file = dir.path().join("model.json");
    let mut args = fit_args(&train, &model_file);
    args.push("--quiet".into());
    let output = succeed(&args);
    assert!(
        output.stderr.is_empty(),
        "--quiet printed {}",
        text(&output.stderr)
    );
    assert!(
        output.stdout.is_empty(),
        "fit printed {}",
        text(&output.stdout)
    );
    assert_eq!(listing(dir.path()), ["heldout", "model.json", "train"]);

    let model = read_json(&model_file);
    let mdp = load_mdp(&train.join("mdp.json"));
    assert_eq!(model["format"], "irl-model/1");
    let names: Vec<&str> = model["feature_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(names, mdp.features().names());
    let weights = numbers(&model["weights"]);
    assert_eq!(weights.len(), 9);
    let solver = &model["solver"];
    assert!(solver["horizon"].is_null(), "{solver}");
    assert_eq!(number(solver, "discount"), 0.9);
    assert_eq!(solver["backup"], "variational");
    assert_eq!(number(solver, "temperature"), 1.0);
    assert_eq!(solver["action_prior"], "none");
    let training = &model["training"];
    let objective = numbers(&training["objective"]);
    let gradient_norm = numbers(&training["gradient_norm"]);
    let iterations = training["iterations"].as_u64().unwrap() as usize;
    assert!(iterations >= 2, "{training}");
    assert_eq!(objective.len(), iterations + 1);
    assert_eq!(gradient_norm.len(), iterations + 1);
    assert!(objective
        .iter()
        .chain(&gradient_norm)
        .all(|x| x.is_finite()));
    // At θ = 0 every one of the 5 actions has π = 1/5: J = ln 5 (λ‖0‖² = 0).
    assert!((objective[0] - 5f64.ln()).abs() < 1e-12, "{}", objective[0]);
    assert!(objective[iterations] < objective[0]);
    assert_eq!(training["converged"], true);
    if training["stop_reason"] == "gradient norm below tolerance" {
        assert!(gradient_norm[iterations] <= 1e-6, "{training}");
    }

    let (train_mdp, heldout_demos) = (train.join("mdp.json"), heldout.join("demos.csv"));
    let true_weights = train.join("true_weights.json");
    let evaluate = |extra: &[&str]| -> Value {
        let mut args = vec![
            "evaluate",
            "--mdp",
            path(&train_mdp),
            "--model",
            path(&model_file),
            "--demos",
            path(&heldout_demos),
        ];
        args.extend_from_slice(extra);
        let output = succeed(&args);
        serde_json::from_slice(&output.stdout).expect("evaluate prints one JSON object")
    };
    let plain = evaluate(&[]);
    for key in [
        "nll_per_action",
        "nll_per_trajectory",
        "action_accuracy",
        "feature_residual",
    ] {
        assert!(number(&plain, key).is_finite(), "{key}");
    }
    assert!(plain.get("true_nll_per_action").is_none(), "{plain}");
    assert!(plain.get("expected_value_difference").is_none(), "{plain}");
    let nll = number(&plain, "nll_per_action");
    assert!(
        nll > 0.0 && nll < 5f64.ln(),
        "held-out NLL per action {nll}"
    );
    let per_trajectory = number(&plain, "nll_per_trajectory");
    assert!((per_trajectory - 15.0 * nll).abs() <= 1e-9 * per_trajectory);
    let accuracy = number(&plain, "action_accuracy");
    assert!((0.2..=1.0).contains(&accuracy), "accuracy {accuracy}");
    assert!(number(&plain, "feature_residual") >= 0.0);

    // The same numbers from the library under the model's settings.
    let demos = read_demos(&heldout.join("demos.csv"), &mdp).unwrap();
    let theta = Array1::from(weights);
    let truth = read_weights(fs::File::open(&true_weights).unwrap()).unwrap();
    let true_reward = mdp.features().reward(truth.theta().view(), mdp.n_actions());
    let expected = irl::eval::evaluate(
        &mdp,
        &SoftSettings::infinite(0.9),
        Alignment::Start,
        theta.view(),
        &demos,
        Some(&true_reward),
    )
    .unwrap();
    assert!((expected.nll_per_action - nll).abs() <= 1e-12 * nll);
    assert!((expected.action_accuracy - accuracy).abs() <= 1e-12);

    let with_truth = evaluate(&["--true-weights", path(&true_weights)]);
    for key in [
        "nll_per_action",
        "nll_per_trajectory",
        "action_accuracy",
        "feature_residual",
        "true_nll_per_action",
        "expected_value_difference",
    ] {
        assert!(
            number(&with_truth, key).is_finite(),
            "{key} in {with_truth}"
        );
    }
    let true_nll = number(&with_truth, "true_nll_per_action");
    assert!(
        (true_nll - expected.true_nll_per_action.unwrap()).abs() <= 1e-12 * true_nll,
        "{true_nll}"
    );
    let evd = number(&with_truth, "expected_value_difference");
    assert!(
        (evd - expected.expected_value_difference.unwrap()).abs() <= 1e-9,
        "{evd}"
    );
}

#[test]
fn progress_is_plain_lines_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (train, _) = generate(dir.path());
    let model_file = dir.path().join("model.json");
    let output = succeed(&fit_args(&train, &model_file));
    let stderr = text(&output.stderr);
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "{stderr:?}"
    );
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("iteration "))
        .collect();
    let objective = numbers(&read_json(&model_file)["training"]["objective"]);
    assert_eq!(progress.len(), objective.len(), "{stderr}");
    for (i, line) in progress.iter().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[1], i.to_string(), "{line}");
        assert_eq!(fields[2], "objective", "{line}");
        let value: f64 = fields[3].parse().expect("objective value");
        assert!(
            (value - objective[i]).abs() <= 1e-8,
            "{line} vs {}",
            objective[i]
        );
    }
    assert!(stderr.contains("fit: converged"), "{stderr}");
}

/// A 3×3 gridworld (slip 0.2, five actions): state 0 moves to 1 (east), 3 (north) or
/// stays; state 8 is two steps away from 0 in each direction.
fn small_world(dir: &Path) -> PathBuf {
    let out = dir.join("world");
    succeed(&[
        "generate",
        "gridworld",
        "--size",
        "3",
        "--features",
        "coords",
        "--demos",
        "1",
        "--length",
        "1",
        "--seed",
        "1",
        "--out",
        path(&out),
    ]);
    out.join("mdp.json")
}

const VALID_CSV: &str = "trajectory,step,state,action\na,0,0,0\na,1,1,2\na,2,4,\n";

/// Run `irl fit` on demonstrations `contents` (written to `name`) with extra flags;
/// returns the outcome, the demonstration file and what is left in the output folder.
fn fit_on(
    dir: &Path,
    mdp: &Path,
    name: &str,
    contents: &str,
    extra: &[&str],
) -> (Output, PathBuf, Vec<String>) {
    let demos = dir.join(name);
    fs::write(&demos, contents).unwrap();
    let out_dir = dir.join(format!("out-{name}"));
    fs::create_dir(&out_dir).unwrap();
    let mut args = vec![
        "fit",
        "--mdp",
        path(mdp),
        "--demos",
        path(&demos),
        "--quiet",
        "--out",
    ];
    let out = out_dir.join("model.json");
    args.push(path(&out));
    args.extend_from_slice(extra);
    let output = irl(&args);
    (output, demos, listing(&out_dir))
}

fn assert_rejected(output: &Output, file: &Path, left: &[String], expected: &[&str]) {
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "accepted {}", file.display());
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(path(file)),
        "the message does not name the file: {stderr}"
    );
    for part in expected {
        assert!(stderr.contains(part), "{part:?} missing from: {stderr}");
    }
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(output.stdout.is_empty());
}

#[test]
fn the_valid_small_file_fits() {
    let dir = tempfile::tempdir().unwrap();
    let mdp = small_world(dir.path());
    let (output, _, left) = fit_on(dir.path(), &mdp, "good.csv", VALID_CSV, &["--horizon", "2"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(left, ["model.json"]);
}

#[test]
fn bad_demonstration_files_are_rejected_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let mdp = small_world(dir.path());
    let cases: [(&str, &str, &[&str]); 8] = [
        ("unknown_state.csv", "trajectory,step,state,action\na,0,0,0\na,1,99,2\na,2,4,\n", &["line 3", "state"]),
        ("impossible.csv", "trajectory,step,state,action\na,0,0,0\na,1,8,2\na,2,5,\n", &["line 3"]),
        ("gap.csv", "trajectory,step,state,action\na,0,0,0\na,2,1,2\na,3,4,\n", &["line 3", "step"]),
        ("empty.csv", "", &["line 1", "empty"]),
        ("missing_column.csv", "trajectory,step,state\na,0,0\na,1,1\n", &["line 1", "action"]),
        ("not_a_number.csv", "trajectory,step,state,action\na,0,0,0\na,1,one,2\na,2,4,\n", &["line 3", "state"]),
        (
            "impossible.jsonl",
            "{\"trajectory\": \"a\", \"states\": [0, 1, 4], \"actions\": [0, 2]}\n{\"trajectory\": \"b\", \"states\": [0, 8], \"actions\": [0]}\n",
            &["line 2"],
        ),
        (
            "broken.jsonl",
            "{\"trajectory\": \"a\", \"states\": [0, 1, 4], \"actions\": [0, 2]}\n{\"trajectory\": \"b\", \"states\": [0, 1\n",
            &["line 2"],
        ),
    ];
    for (name, contents, expected) in cases {
        let (output, file, left) = fit_on(dir.path(), &mdp, name, contents, &["--horizon", "3"]);
        assert_rejected(&output, &file, &left, expected);
    }
}

#[test]
fn a_horizon_shorter_than_a_demonstration_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mdp = small_world(dir.path());
    let (output, file, left) = fit_on(dir.path(), &mdp, "long.csv", VALID_CSV, &["--horizon", "1"]);
    assert_rejected(
        &output,
        &file,
        &left,
        &["trajectory a", "2 actions", "horizon 1", "--horizon"],
    );
}

#[test]
fn without_a_prior_the_optimum_matches_feature_counts() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    succeed(&[
        "generate",
        "gridworld",
        "--size",
        "5",
        "--slip",
        "0",
        "--features",
        "blocks",
        "--block",
        "2",
        "--reward-density",
        "0.3",
        "--demos",
        "80",
        "--length",
        "8",
        "--seed",
        "2",
        "--out",
        path(&world),
    ]);
    let model_file = dir.path().join("model.json");
    let tolerance = 1e-6;
    succeed(&[
        "fit",
        "--mdp",
        path(&world.join("mdp.json")),
        "--demos",
        path(&world.join("demos.csv")),
        "--horizon",
        "8",
        "--discount",
        "1",
        "--l2",
        "0",
        "--gradient-tolerance",
        "1e-6",
        "--objective-tolerance",
        "0",
        "--max-iters",
        "500",
        "--quiet",
        "--out",
        path(&model_file),
    ]);
    let model = read_json(&model_file);
    assert_eq!(
        model["training"]["stop_reason"], "gradient norm below tolerance",
        "{}",
        model["training"]
    );

    let mdp = load_mdp(&world.join("mdp.json"));
    let demos = read_demos(&world.join("demos.csv"), &mdp).unwrap();
    assert!(demos.trajectories.iter().all(|t| t.len() == 8));
    let n_actions = demos.n_actions() as f64;
    let demonstrated = feature_counts(&demos, &mdp, 1.0).unwrap();
    let start = start_distribution(&demos, mdp.n_states()).unwrap();
    let expected_counts = |theta: &Array1<f64>| -> Array1<f64> {
        let problem = SoftProblem::new(
            &mdp,
            mdp.features().reward(theta.view(), mdp.n_actions()),
            SoftSettings::finite(8, 1.0),
        );
        let values = backward(&problem).unwrap();
        let occupancy = forward(&problem, &values, &start, false).unwrap();
        Array1::from(occupancy.expected_features) * demos.len() as f64
    };
    let residual = |theta: &Array1<f64>| -> f64 {
        let gap = &demonstrated - &expected_counts(theta);
        gap.dot(&gap).sqrt() / n_actions
    };
    let fitted = Array1::from(numbers(&model["weights"]));
    let at_optimum = residual(&fitted);
    let at_zero = residual(&Array1::zeros(fitted.len()));
    eprintln!("feature residual per action: {at_zero:.3e} at θ = 0, {at_optimum:.3e} at θ̂");
    assert!(
        at_zero > 1e-2,
        "the counts already match at θ = 0: {at_zero}"
    );
    assert!(
        at_optimum <= tolerance * (1.0 + 1e-6),
        "‖demonstrated − expected‖/n = {at_optimum} at the optimum"
    );
    // Here the exact gradient is the classic difference, so the residuals the model file
    // records at the start (θ = 0) and at the end are these very numbers.
    let recorded = numbers(&model["training"]["feature_residual"]);
    let (first, last) = (recorded[0], recorded[recorded.len() - 1]);
    assert!(
        (first - at_zero).abs() <= 1e-9 * at_zero,
        "{first} vs {at_zero}"
    );
    assert!((last - at_optimum).abs() <= 1e-9, "{last} vs {at_optimum}");
}
