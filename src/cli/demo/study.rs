//! One scene of recorded tracks, end to end: the study `irl demo` runs.
//!
//! 1. Discretise the tracks on a grid over the scene ([`irl::tracks`]).
//! 2. Split the trajectories into training and held-out sets by a seeded shuffle.
//! 3. Build grid features from the training trajectories only (the cells they never
//!    visit count as obstacles).
//! 4. Fit θ goal-conditioned: each trajectory's last cell is its absorbing goal, one soft
//!    dynamic program per goal, one shared θ, finite horizon T = the longest trajectory.
//! 5. Score the held-out trajectories (each in its own goal's MDP) and two baselines
//!    that know nothing of goals: a uniform random walk over legal moves and smoothed
//!    per-cell move frequencies of the training trajectories.
//! 6. Draw the reward map, a forecast for one held-out trajectory, and the training curve.

use std::time::Instant;

use anyhow::Result;
use irl::demos::{split_demos, Demonstrations};
use irl::eval::{empirical_move_nll, evaluate_model, uniform_walk_nll, HeldOutMetrics};
use irl::inference::SoftSettings;
use irl::learn::{FitParams, FittedModel, IterationRecord};
use irl::mdp::Mdp;
use irl::tracks::{
    discretize, grid_features, visited_cells, Connectivity, DiscretizeParams, DiscretizeReport,
    GridFeatureParams, Scene, Track,
};

/// Settings of a scene study.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StudyParams {
    /// Cell side in metres.
    pub cell: f64,
    pub connectivity: Connectivity,
    /// Side of the region features, in cells.
    pub region_size: usize,
    /// Share of trajectories held out.
    pub held_out_fraction: f64,
    pub seed: u64,
    /// λ of the Gaussian prior.
    pub l2: f64,
    pub max_iterations: u64,
    pub gradient_tolerance: f64,
    pub objective_tolerance: f64,
    /// Pseudo-count κ of the move-frequency baseline.
    pub baseline_smoothing: f64,
}

impl Default for StudyParams {
    fn default() -> Self {
        Self {
            cell: 0.75,
            connectivity: Connectivity::Eight,
            region_size: 4,
            held_out_fraction: 0.2,
            seed: 0,
            l2: 0.1,
            max_iterations: 100,
            gradient_tolerance: 2e-4,
            objective_tolerance: 1e-7,
            baseline_smoothing: 1.0,
        }
    }
}

/// Everything a scene study produced.
#[derive(Debug, Clone)]
pub struct SceneStudy {
    pub name: String,
    pub params: StudyParams,
    pub scene: Scene,
    pub discretization: DiscretizeReport,
    /// The grid MDP with features from the training trajectories.
    pub mdp: Mdp,
    pub train: Demonstrations,
    pub held_out: Demonstrations,
    pub model: FittedModel,
    pub held_out_metrics: HeldOutMetrics,
    pub uniform_walk_nll: f64,
    pub empirical_move_nll: f64,
    pub seconds: f64,
}

/// Run the study on one scene's tracks; `on_iteration` sees the fit's progress.
pub fn study_scene(
    name: &str,
    tracks: &[Track],
    params: &StudyParams,
    on_iteration: impl FnMut(&IterationRecord) + Send + 'static,
) -> Result<SceneStudy> {
    let clock = Instant::now();
    let d = discretize(
        tracks,
        &DiscretizeParams {
            cell: params.cell,
            connectivity: params.connectivity,
            stay: false,
        },
    )?;
    let split = split_demos(&d.demos, params.held_out_fraction, params.seed)?;
    let visited = visited_cells(&split.train, d.scene.n_cells())?;
    let features = grid_features(
        &d.scene,
        &visited,
        &GridFeatureParams {
            region_size: params.region_size,
        },
    )?;
    let mdp = d.mdp.with_features(features)?;
    let fit = FitParams {
        settings: SoftSettings::finite(d.demos.max_len(), 1.0),
        goal_conditioned: true,
        l2: params.l2,
        max_iterations: params.max_iterations,
        gradient_tolerance: params.gradient_tolerance,
        objective_tolerance: params.objective_tolerance,
        ..FitParams::default()
    };
    let model = fit.fit_observed(&mdp, &split.train, on_iteration)?;
    let held_out_metrics = evaluate_model(&mdp, &model, &split.held_out, None)?;
    Ok(SceneStudy {
        name: name.into(),
        params: params.clone(),
        scene: d.scene,
        discretization: d.report,
        uniform_walk_nll: uniform_walk_nll(&mdp, &split.held_out),
        empirical_move_nll: empirical_move_nll(
            &mdp,
            &split.train,
            &split.held_out,
            params.baseline_smoothing,
        ),
        mdp,
        train: split.train,
        held_out: split.held_out,
        model,
        held_out_metrics,
        seconds: clock.elapsed().as_secs_f64(),
    })
}
