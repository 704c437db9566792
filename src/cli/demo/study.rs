//! One scene of recorded tracks, end to end: the study `irl demo` runs.
//!
//! 1. Resample the tracks every 0.4 s and map-match them onto a kinematic lattice over the
//!    scene (state = cell and last displacement; [`irl::tracks::discretize_timed`]).
//! 2. Split the demonstrations into training and held-out sets by a seeded shuffle.
//! 3. Build the cell features from the training demonstrations only (the cells they
//!    never visit count as obstacles), and the lattice's kinematic features.
//! 4. Fit θ goal-conditioned and stationary: the training demonstrations' end cells are
//!    clustered into destinations, each an absorbing goal of its own soft dynamic
//!    program, all sharing θ; no horizon, γ = 0.99 (with γ = 1 a line search that tries
//!    a θ under which standing pays finds no finite values, and backs off blindly).
//! 5. Score the held-out demonstrations: step NLLs of the model (goal known, and goal
//!    inferred online) and of the walker baselines on the same steps, and forecasts
//!    (observe 8, predict 12) against constant velocity and a straight walk.

use std::time::Instant;

use anyhow::Result;
use irl::demos::{split_demos, Demonstrations};
use irl::eval::{
    evaluate_forecasts, policies_for, step_nlls, ForecastReport, ForecastSettings, HeldOutTrack,
    StepNlls,
};
use irl::inference::SoftSettings;
use irl::learn::{FitParams, FitProgress, FittedModel, GoalPolicies, GoalRule};
use irl::mdp::Mdp;
use irl::tracks::{
    discretize_timed, grid_features, GridFeatureParams, Scene, TimeStep, TimedParams,
    TimedPositions, TimedReport, Track,
};

/// Settings of a scene study.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StudyParams {
    /// Cell side in metres.
    pub cell: f64,
    /// Seconds a step.
    pub time_step: f64,
    /// Frames per second of the recordings.
    pub fps: f64,
    /// Largest displacement of a step, cells per axis.
    pub max_displacement: usize,
    /// Side of the region features, in cells.
    pub region_size: usize,
    /// Radius of the destination clusters, metres.
    pub goal_radius: f64,
    /// Share of demonstrations held out.
    pub held_out_fraction: f64,
    pub seed: u64,
    /// γ of the walkers' soft dynamic programs: below 1, so that every θ a line search
    /// tries has finite values (an effective horizon of 1/(1−γ) steps).
    pub discount: f64,
    /// Tolerance of the soft value iteration, relative to max(1, ‖V‖∞).
    pub value_tolerance: f64,
    /// λ of the Gaussian prior.
    pub l2: f64,
    pub max_iterations: u64,
    pub gradient_tolerance: f64,
    pub objective_tolerance: f64,
    pub forecast: ForecastSettings,
}

impl Default for StudyParams {
    fn default() -> Self {
        Self {
            cell: 0.5,
            time_step: 0.4,
            fps: 25.0,
            max_displacement: 2,
            region_size: 6,
            goal_radius: 1.5,
            held_out_fraction: 0.2,
            seed: 0,
            discount: 0.99,
            value_tolerance: 1e-6,
            l2: 0.1,
            max_iterations: 50,
            gradient_tolerance: 2e-4,
            objective_tolerance: 1e-7,
            forecast: ForecastSettings::default(),
        }
    }
}

/// Everything a scene study produced.
#[derive(Debug, Clone)]
pub struct SceneStudy {
    pub name: String,
    pub params: StudyParams,
    pub scene: Scene,
    pub discretization: TimedReport,
    /// The lattice MDP with features from the training demonstrations.
    pub mdp: Mdp,
    pub train: Demonstrations,
    pub held_out: Demonstrations,
    pub held_out_positions: Vec<TimedPositions>,
    pub model: FittedModel,
    pub policies: GoalPolicies,
    pub nlls: StepNlls,
    pub forecasts: ForecastReport,
    pub seconds: f64,
}

/// Run the study on one scene's tracks; `on_progress` sees the fit's progress.
pub fn study_scene(
    name: &str,
    tracks: &[Track],
    params: &StudyParams,
    on_progress: impl FnMut(FitProgress<'_>) + Send + 'static,
) -> Result<SceneStudy> {
    let clock = Instant::now();
    let scene = Scene::covering(tracks, params.cell)?;
    let timed = TimedParams {
        time_step: TimeStep::new(params.time_step, params.fps)?,
        max_displacement: params.max_displacement,
        lattice: true,
    };
    let d = discretize_timed(tracks, &scene, &timed)?;
    let split = split_demos(&d.demos, params.held_out_fraction, params.seed)?;
    let visited = d.visited_cells(&split.train)?;
    let cell_features = grid_features(
        &scene,
        &visited,
        &GridFeatureParams {
            region_size: params.region_size,
        },
    )?;
    let mdp = d.mdp(cell_features)?;
    let fit = FitParams {
        settings: SoftSettings {
            max_iterations: 3_000,
            tolerance: params.value_tolerance,
            ..SoftSettings::infinite(params.discount)
        },
        goal_conditioned: true,
        goal_rule: GoalRule::Clustered {
            radius: params.goal_radius,
        },
        l2: params.l2,
        max_iterations: params.max_iterations,
        gradient_tolerance: params.gradient_tolerance,
        objective_tolerance: params.objective_tolerance,
        standard_errors: false,
        ..FitParams::default()
    };
    let model = fit.fit_observed(&mdp, &split.train, on_progress)?;
    let policies = policies_for(&mdp, &model, &split.held_out)?;
    let nlls = step_nlls(&mdp, &model, &policies, &split.train, &split.held_out)?;
    let held_out_positions = d.positions_of(&split.held_out);
    let train_positions: Vec<Vec<(f64, f64)>> = d
        .positions_of(&split.train)
        .into_iter()
        .map(|p| p.points)
        .collect();
    let held: Vec<HeldOutTrack> = split
        .held_out
        .trajectories
        .iter()
        .zip(&held_out_positions)
        .map(|(t, p)| HeldOutTrack {
            states: &t.states,
            positions: &p.points,
        })
        .collect();
    let forecasts = evaluate_forecasts(&mdp, &policies, &held, &train_positions, params.forecast)?;
    Ok(SceneStudy {
        name: name.into(),
        params: params.clone(),
        scene,
        discretization: d.report,
        mdp,
        train: split.train,
        held_out: split.held_out,
        held_out_positions,
        model,
        policies,
        nlls,
        forecasts,
        seconds: clock.elapsed().as_secs_f64(),
    })
}
