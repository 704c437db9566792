//! `irl evaluate`: held-out metrics of a fitted model, printed as one JSON object (or a
//! table): the model's scores, and with `--train` the walker baselines on the same steps,
//! and with `--observe`/`--predict` the displacement errors of its forecasts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use irl::demos::Demonstrations;
use irl::error::quote;
use irl::eval::{
    evaluate_forecasts, evaluate_model, policies_for, step_nlls, ForecastReport, ForecastSettings,
    HeldOutTrack, StepNlls,
};
use irl::mdp::Mdp;
use irl::tracks::read_tracks_file;
use irl::Error;

use super::console::print;
use super::files::{load_demos, load_mdp, load_model, load_true_reward};
use super::solver_args::ModelSolverArgs;

#[derive(Args)]
pub struct EvaluateArgs {
    /// The MDP (irl-mdp/1).
    #[arg(long)]
    mdp: PathBuf,
    /// The fitted model (irl-model/1), or weights (irl-weights/1) to score under the
    /// solver flags.
    #[arg(long)]
    model: PathBuf,
    #[command(flatten)]
    solver: ModelSolverArgs,
    /// Held-out demonstrations.
    #[arg(long)]
    demos: PathBuf,
    /// True weights (irl-weights/1), when known: over the MDP's features, or one-hot
    /// weights over the states (names s0, s1, …) for a true reward per state.
    #[arg(long)]
    true_weights: Option<PathBuf>,
    /// The training demonstrations: score the walker baselines (fitted on them) on the
    /// model's held-out steps (goal-conditioned stationary models).
    #[arg(long)]
    train: Option<PathBuf>,
    /// Positions of the held-out demonstrations (track CSV, one row per state, ids as in
    /// --demos; as irl discretize --time-step writes them); cell centres without it.
    #[arg(long)]
    tracks: Option<PathBuf>,
    /// Positions of the training demonstrations, for the straight walk's median speed;
    /// cell centres of --train without it.
    #[arg(long)]
    train_tracks: Option<PathBuf>,
    /// Forecasts: positions observed per window (with --predict).
    #[arg(long, requires = "predict")]
    observe: Option<usize>,
    /// Forecasts: positions predicted per window (with --observe).
    #[arg(long, requires = "observe")]
    predict: Option<usize>,
    /// Forecasts: samples K of minADE / minFDE.
    #[arg(long, default_value_t = 20)]
    samples: usize,
    /// Forecasts: seed of the samples.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print tables instead of JSON.
    #[arg(long)]
    table: bool,
}

pub fn run(args: EvaluateArgs) -> Result<()> {
    let mdp = load_mdp(&args.mdp)?;
    let model = load_model(&args.model, &mdp, &args.solver)?;
    let demos = load_demos(&args.demos, &mdp)?;
    let truth = args
        .true_weights
        .as_ref()
        .map(|path| load_true_reward(path, &mdp))
        .transpose()?;
    if truth.is_some() && model.is_goal_conditioned() {
        anyhow::bail!("--true-weights is not supported for goal-conditioned models");
    }
    let wants_forecast = args.observe.is_some();
    if (args.train.is_some() || wants_forecast)
        && !(model.is_goal_conditioned() && model.settings.horizon.is_none())
    {
        anyhow::bail!(
            "--train, --observe and --predict need a goal-conditioned model fitted without --horizon (stationary); {} is not",
            args.model.display()
        );
    }
    let metrics = evaluate_model(&mdp, &model, &demos, truth.as_ref()).map_err(|e| match e {
        Error::InvalidDemos { .. } | Error::LongerThanHorizon { .. } => e.in_file(&args.demos),
        // The model's settings (its horizon) size the memory, as they cause the rest.
        other => other.in_file(&args.model),
    })?;
    let mut json = serde_json::to_value(&metrics)?;
    let weights: Vec<serde_json::Value> = model
        .feature_names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            serde_json::json!({
                "feature": name,
                "weight": model.weights[k],
                "standard_error": model.standard_errors.as_ref().ok().and_then(|se| se.get(k)),
            })
        })
        .collect();
    json["weights"] = weights.into();
    let train = args
        .train
        .as_ref()
        .map(|path| load_demos(path, &mdp))
        .transpose()?;
    let policies = (train.is_some() || wants_forecast)
        .then(|| policies_for(&mdp, &model, &demos))
        .transpose()?;
    let mut baselines = None;
    if let (Some(train), Some(policies)) = (&train, &policies) {
        let nlls = step_nlls(&mdp, &model, policies, train, &demos)?;
        json["baselines"] = serde_json::to_value(&nlls)?;
        baselines = Some(nlls);
    }
    let mut forecast = None;
    if let (Some(observe), Some(predict), Some(policies)) = (args.observe, args.predict, &policies)
    {
        let held = positions(&mdp, &demos, args.tracks.as_deref())?;
        let train_positions = match (&args.train_tracks, &train) {
            (Some(path), Some(train)) => positions(&mdp, train, Some(path))?,
            (Some(path), None) => read_tracks_file(path)?
                .into_iter()
                .map(|t| t.points.iter().map(|p| (p.x, p.y)).collect())
                .collect(),
            (None, Some(train)) => positions(&mdp, train, None)?,
            (None, None) => held.clone(),
        };
        let tracks: Vec<HeldOutTrack> = demos
            .trajectories
            .iter()
            .zip(&held)
            .map(|(t, p)| HeldOutTrack {
                states: &t.states,
                positions: p,
            })
            .collect();
        let settings = ForecastSettings {
            observe,
            predict,
            samples: args.samples,
            seed: args.seed,
        };
        let report = evaluate_forecasts(&mdp, policies, &tracks, &train_positions, settings)?;
        json["forecast"] = serde_json::to_value(&report)?;
        forecast = Some(report);
    }
    if args.table {
        print(&tables(
            &metrics.nll_per_action,
            baselines.as_ref(),
            forecast.as_ref(),
        ))
    } else {
        print(&format!("{json}\n"))
    }
}

/// Positions per demonstration, from a track CSV by id (one row per state) or the cell
/// centres of the states.
fn positions(
    mdp: &Mdp,
    demos: &Demonstrations,
    path: Option<&Path>,
) -> Result<Vec<Vec<(f64, f64)>>> {
    let grid = mdp
        .grid()
        .with_context(|| "forecasts need an MDP with a grid".to_string())?;
    let Some(path) = path else {
        return Ok(demos
            .trajectories
            .iter()
            .map(|t| {
                t.states
                    .iter()
                    .map(|&s| grid.cell_centre(grid.cell_of(s)))
                    .collect()
            })
            .collect());
    };
    let tracks = read_tracks_file(path)?;
    let by_id: HashMap<&str, &irl::tracks::Track> =
        tracks.iter().map(|t| (t.id.as_str(), t)).collect();
    demos
        .trajectories
        .iter()
        .map(|t| {
            let track = by_id.get(t.id.as_str()).with_context(|| {
                format!(
                    "{}: no track {} of the demonstrations",
                    path.display(),
                    quote(&t.id)
                )
            })?;
            if track.points.len() != t.states.len() {
                anyhow::bail!(
                    "{}: track {} has {} positions, but its demonstration has {} states (one position per state is needed)",
                    path.display(),
                    quote(&t.id),
                    track.points.len(),
                    t.states.len()
                );
            }
            Ok(track.points.iter().map(|p| (p.x, p.y)).collect())
        })
        .collect()
}

/// The NLL and displacement tables.
fn tables(
    model_nll: &f64,
    baselines: Option<&StepNlls>,
    forecast: Option<&ForecastReport>,
) -> String {
    let mut text = String::new();
    match baselines {
        Some(b) => {
            text += &format!("NLL per step on {} held-out steps of {} demonstrations ({} left out: they start in their goal)\n", b.steps, b.trajectories, b.trajectories_starting_in_goal);
            for (name, v) in [
                ("model, goal known", b.model),
                ("model, goal inferred", b.model_inferred_goal),
                ("uniform walk", b.uniform_walk),
                ("move frequency", b.move_frequency),
                ("goal-directed walker", b.goal_directed_walker),
                ("constant-velocity walker", b.constant_velocity_walker),
            ] {
                text += &format!("  {name:<26} {v:>8.4}\n");
            }
        }
        None => text += &format!("NLL per step: model {model_nll:.4}\n"),
    }
    if let Some(f) = forecast {
        text += &format!(
            "Forecasts: observe {}, predict {}, {} windows of {} tracks ({} tracks too short, {} windows unmatched); metres\n  {:<34} {:>7} {:>7} {:>9} {:>9}\n",
            f.settings.observe, f.settings.predict, f.windows, f.tracks, f.tracks_too_short, f.windows_unmatched,
            "method", "ADE", "FDE", "minADE", "minFDE"
        );
        for (name, s) in &f.methods {
            let opt = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.3}"));
            text += &format!(
                "  {name:<34} {:>7.3} {:>7.3} {:>9} {:>9}\n",
                s.ade,
                s.fde,
                opt(s.min_ade),
                opt(s.min_fde)
            );
        }
        text += &format!(
            "Whole tracks, destination known, ADE: model {:.3}, straight walk {:.3} ({} tracks)\n",
            f.whole_track_model_ade, f.whole_track_straight_walk_ade, f.whole_track_tracks
        );
    }
    text
}
