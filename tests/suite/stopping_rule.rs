//! The default stopping rule ends a fit at the optimum.
//!
//! - A small fit under the defaults converges by the gradient rule: its last gradient
//!   norm is at most 10⁻⁶ of the first, and its θ lies within the Newton estimate of its
//!   distance to the optimum, 2‖∇J‖/λ_min(∇²J) (the Hessian from the observed
//!   information), of a fit run until J no longer moves in floating point.
//! - The README's 20 × 20 gridworld: the default fit ends within 5·10⁻⁶ of the tightly
//!   converged θ (the README gives 4.2·10⁻⁶), nine iterations after the former rule
//!   (absolute gradient tolerance 10⁻⁶, objective change 10⁻¹⁰), which ended 1.3·10⁻⁴
//!   away.

use crate::common;

use common::{path, succeed};

use std::fs;
use std::path::Path;

use irl::inference::SoftSettings;
use irl::learn::{
    observed_information, Alignment, DemoSteps, FitParams, Objective, Task, GRADIENT_SMALL,
};
use irl::worlds::{expert_demonstrations, gridworld, ExpertParams, GridworldParams};
use ndarray::{Array1, ArrayView1};
use ndarray_linalg::{Eigh, UPLO};
use serde_json::Value;

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

#[test]
fn a_default_fit_ends_where_the_gradient_is_small_and_near_the_optimum() {
    let world = gridworld(
        &GridworldParams {
            size: 6,
            ..Default::default()
        },
        1,
    )
    .unwrap();
    let expert = ExpertParams {
        n_trajectories: 200,
        length: 10,
        ..Default::default()
    };
    let demos = expert_demonstrations(&world.mdp, &world.true_reward(), &expert, 2).unwrap();
    let settings = SoftSettings::finite(10, 1.0);
    let params = FitParams {
        standard_errors: false,
        ..FitParams::new(settings.clone())
    };
    let model = params.fit(&world.mdp, &demos).unwrap();
    let training = model.training.as_ref().unwrap();
    assert!(training.converged, "{}", training.stop_reason);
    assert_eq!(training.stop_reason, GRADIENT_SMALL);
    let first = training.iterations[0].gradient_norm;
    let last = training.iterations.last().unwrap().gradient_norm;
    assert!(first > 1e-3, "{first}");
    assert!(last <= 1e-6 * first, "{last} against {first}");

    let tight = FitParams {
        relative_gradient_tolerance: 0.0,
        objective_tolerance: 0.0,
        max_iterations: 1000,
        ..params.clone()
    }
    .fit(&world.mdp, &demos)
    .unwrap();
    let gap = distance(&model.weights, &tight.weights);

    // The Newton estimate of the distance to the optimum: ‖H⁻¹∇J‖ ≤ ‖∇J‖/λ_min(H),
    // H the Hessian of J = (NLL + λ‖θ‖²)/n, doubled for the curvature's change on the way.
    let task = Task {
        mdp: world.mdp.clone(),
        steps: DemoSteps::new(&demos, settings.horizon, Alignment::Start).unwrap(),
    };
    let objective = Objective::new(vec![task], settings, params.l2);
    let theta = Array1::from(model.weights.clone());
    let hessian =
        observed_information(&objective, theta.view()).unwrap() / objective.n_actions() as f64;
    let (eigenvalues, _) = hessian.eigh(UPLO::Lower).unwrap();
    let smallest = eigenvalues.iter().fold(f64::INFINITY, |m, &v| m.min(v));
    assert!(smallest > 0.0, "{eigenvalues}");
    let gradient = objective
        .evaluate(ArrayView1::from(&model.weights))
        .unwrap()
        .gradient;
    let bound = 2.0 * gradient.dot(&gradient).sqrt() / smallest;
    assert!(
        gap <= bound,
        "‖θ − θ_tight‖ = {gap:e} above the bound {bound:e}"
    );
    assert!(gap < 1e-4, "{gap:e}");
}

fn read_json(file: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap()
}

#[test]
fn on_the_readme_gridworld_the_default_fit_ends_within_its_stated_distance() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("g20");
    succeed(&[
        "generate",
        "gridworld",
        "--size",
        "20",
        "--demos",
        "200",
        "--length",
        "20",
        "--out",
        path(&world),
    ]);
    let (mdp, demos) = (world.join("mdp.json"), world.join("demos.csv"));
    let fit = |extra: &[&str], out: &str| {
        let file = dir.path().join(out);
        let mut args = vec![
            "fit",
            "--mdp",
            path(&mdp),
            "--demos",
            path(&demos),
            "--horizon",
            "20",
            "--no-standard-errors",
            "--quiet",
            "--out",
            path(&file),
        ];
        args.extend(extra);
        succeed(&args);
        read_json(&file)
    };
    let default = fit(&[], "default.json");
    let former = fit(
        &[
            "--gradient-tolerance",
            "1e-6",
            "--relative-gradient-tolerance",
            "0",
            "--objective-tolerance",
            "1e-10",
        ],
        "former.json",
    );
    let tight = fit(
        &[
            "--relative-gradient-tolerance",
            "0",
            "--objective-tolerance",
            "0",
            "--max-iters",
            "1000",
        ],
        "tight.json",
    );
    let weights = |m: &Value| -> Vec<f64> {
        m["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_f64().unwrap())
            .collect()
    };
    let training = &default["training"];
    assert_eq!(training["stop_reason"], GRADIENT_SMALL);
    let norms = training["gradient_norm"].as_array().unwrap();
    let (first, last) = (
        norms[0].as_f64().unwrap(),
        norms.last().unwrap().as_f64().unwrap(),
    );
    assert!(last <= 1e-6 * first, "{last} against {first}");

    let gap = distance(&weights(&default), &weights(&tight));
    assert!(gap <= 5e-6, "default: ‖θ − θ_tight‖ = {gap:e}");
    let former_gap = distance(&weights(&former), &weights(&tight));
    assert!(
        former_gap > 1e-4,
        "former rule: ‖θ − θ_tight‖ = {former_gap:e}"
    );
    let iterations = |m: &Value| m["training"]["iterations"].as_u64().unwrap();
    assert_eq!(iterations(&default) - iterations(&former), 9);
}
