//! `irl forecast`: the predicted visitation distribution from a start cell, or, from an
//! observed prefix of positions, the posterior over destinations with per-step occupancy
//! and sampled continuations.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use irl::error::quote;
use irl::learn::{FittedModel, GoalPolicies};
use irl::tracks::{match_positions, read_tracks_file};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::cells::parse_cell;
use super::files::{check_out, load_mdp, load_model, save};
use super::solver_args::ModelSolverArgs;

/// The format tag of forecast documents.
pub const FORECAST_FORMAT: &str = "irl-forecast/1";

#[derive(Args)]
pub struct ForecastArgs {
    /// The MDP (irl-mdp/1).
    #[arg(long)]
    mdp: PathBuf,
    /// The fitted model (irl-model/1), or weights (irl-weights/1) to forecast under the
    /// solver flags.
    #[arg(long)]
    model: PathBuf,
    #[command(flatten)]
    solver: ModelSolverArgs,
    /// Start cell: a state index or X,Y.
    #[arg(
        long,
        required_unless_present = "observed",
        conflicts_with = "observed"
    )]
    start: Option<String>,
    /// Goal cell (terminal); without it, a goal-conditioned model mixes its training
    /// goals by their frequency.
    #[arg(long, conflicts_with = "observed")]
    goal: Option<String>,
    /// Observed positions (a track CSV, one row per time step, in metres): infer the
    /// destination from them and forecast from the last (a stationary goal-conditioned
    /// model).
    #[arg(long)]
    observed: Option<PathBuf>,
    /// With --observed: the track of the file to use (the first by default).
    #[arg(long, requires = "observed")]
    track: Option<String>,
    /// With --observed: sampled continuations to write.
    #[arg(long, default_value_t = 0)]
    samples: usize,
    /// Seed of the samples.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Number of steps to forecast.
    #[arg(long)]
    steps: usize,
    /// Where to write the irl-forecast/1 document.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: ForecastArgs) -> Result<()> {
    check_out(&args.out)?;
    let mdp = load_mdp(&args.mdp)?;
    let model = load_model(&args.model, &mdp, &args.solver)?;
    if let Some(path) = &args.observed {
        return observed(&args, &mdp, &model, path);
    }
    let start = parse_cell(args.start.as_deref().expect("clap requires a start"), &mdp)?;
    let goal = args
        .goal
        .as_deref()
        .map(|g| parse_cell(g, &mdp))
        .transpose()?;
    let goal_states = goal.map(|g| irl::learn::goal_of(&mdp, &model.goals, g, model.goal_rule));
    let f = model.forecast(&mdp, start, goal_states.as_ref(), args.steps)?;
    let doc = serde_json::json!({
        "format": FORECAST_FORMAT,
        "start": f.start,
        "goal": goal,
        "steps": f.steps,
        "mixed_goals": goal.is_none() && model.is_goal_conditioned(),
        "arrived": f.arrived,
        "visits": f.visits,
    });
    save(&args.out, |w| irl::json::to_writer(w, &doc))
}

/// The forecast from observed positions.
fn observed(
    args: &ForecastArgs,
    mdp: &irl::Mdp,
    model: &FittedModel,
    path: &std::path::Path,
) -> Result<()> {
    if !model.is_goal_conditioned() || model.settings.horizon.is_some() {
        anyhow::bail!(
            "--observed needs a goal-conditioned model fitted without --horizon; {} is not",
            args.model.display()
        );
    }
    let tracks = read_tracks_file(path)?;
    let track = match &args.track {
        Some(id) => tracks
            .iter()
            .find(|t| &t.id == id)
            .with_context(|| format!("{}: there is no track {}", path.display(), quote(id)))?,
        None => tracks
            .first()
            .with_context(|| format!("{}: there is no track", path.display()))?,
    };
    let positions: Vec<(f64, f64)> = track.points.iter().map(|p| (p.x, p.y)).collect();
    let piece = match_positions(mdp, &positions).with_context(|| {
        format!(
            "{}: track {} does not lie on the MDP's grid (or the grid has no position in metres)",
            path.display(),
            track.id
        )
    })?;
    let policies = GoalPolicies::new(model, mdp, &model.goals)?;
    // The document holds every number of the rows and paths as a JSON value (32 bytes
    // and an array around each pair), some eight times their own size.
    let memory = policies.prediction_memory(args.steps, args.samples);
    let document = memory.total().saturating_mul(8);
    memory
        .with("the document", document)
        .check("this forecast", policies.memory_limit())?;
    let posterior = policies.posterior(&piece.states, &piece.actions);
    let start = *piece.states.last().expect("a state");
    let grid = mdp.grid().expect("matched on a grid");
    let (cx, cy) = grid.cell_centre(grid.cell_of(start));
    let last = positions[positions.len() - 1];
    let offset = (last.0 - cx, last.1 - cy);
    let at = |s: usize| {
        let (x, y) = grid.cell_centre(grid.cell_of(s));
        [x + offset.0, y + offset.1]
    };
    let occupancy = policies.occupancy(&posterior, start, args.steps);
    let expected: Vec<[f64; 2]> =
        irl::eval::expected_positions(mdp, &policies, &posterior, start, args.steps, offset)
            .into_iter()
            .map(|(x, y)| [x, y])
            .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let samples: Vec<Vec<[f64; 2]>> = policies
        .sample(&posterior, start, args.steps, args.samples, &mut rng)
        .iter()
        .map(|path| path.iter().map(|&s| at(s)).collect())
        .collect();
    let goals: Vec<serde_json::Value> = model
        .goals
        .iter()
        .zip(&posterior)
        .map(|(g, p)| serde_json::json!({"centre": g.centre, "states": g.states.len(), "probability": p}))
        .collect();
    let doc = serde_json::json!({
        "format": FORECAST_FORMAT,
        "start": start,
        "goal": null,
        "steps": args.steps,
        "mixed_goals": true,
        "posterior": goals,
        "occupancy": occupancy,
        "expected_positions": expected,
        "samples": samples,
    });
    save(&args.out, |w| irl::json::to_writer(w, &doc))
}
