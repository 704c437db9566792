//! `irl forecast`: the predicted visitation distribution from a start cell.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use irl::io::open;
use irl::learn::FittedModel;

use super::cells::parse_cell;
use super::files::{load_mdp, save};

/// The format tag of forecast documents.
pub const FORECAST_FORMAT: &str = "irl-forecast/1";

#[derive(Args)]
pub struct ForecastArgs {
    /// The MDP (irl-mdp/1).
    #[arg(long)]
    mdp: PathBuf,
    /// The fitted model (irl-model/1).
    #[arg(long)]
    model: PathBuf,
    /// Start cell: a state index or X,Y.
    #[arg(long)]
    start: String,
    /// Goal cell (terminal); without it, a goal-conditioned model mixes its training
    /// goals by their frequency.
    #[arg(long)]
    goal: Option<String>,
    /// Number of steps to forecast.
    #[arg(long)]
    steps: usize,
    /// Where to write the irl-forecast/1 document.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: ForecastArgs) -> Result<()> {
    let mdp = load_mdp(&args.mdp)?;
    let model = FittedModel::read(open(&args.model)?).map_err(|e| e.in_file(&args.model))?;
    model.check_mdp(&mdp).map_err(|e| e.in_file(&args.model))?;
    let start = parse_cell(&args.start, &mdp)?;
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
