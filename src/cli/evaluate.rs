//! `irl evaluate`: held-out metrics of a fitted model, printed as one JSON object.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use irl::eval::evaluate_model;
use irl::io::open;
use irl::learn::FittedModel;

use super::files::{load_demos, load_mdp, load_true_reward};

#[derive(Args)]
pub struct EvaluateArgs {
    /// The MDP (irl-mdp/1).
    #[arg(long)]
    mdp: PathBuf,
    /// The fitted model (irl-model/1).
    #[arg(long)]
    model: PathBuf,
    /// Held-out demonstrations.
    #[arg(long)]
    demos: PathBuf,
    /// True weights (irl-weights/1), when known: over the MDP's features, or one-hot
    /// weights over the states (names s0, s1, …) for a true reward per state.
    #[arg(long)]
    true_weights: Option<PathBuf>,
}

pub fn run(args: EvaluateArgs) -> Result<()> {
    let mdp = load_mdp(&args.mdp)?;
    let model = FittedModel::read(open(&args.model)?).map_err(|e| e.in_file(&args.model))?;
    model.check_mdp(&mdp).map_err(|e| e.in_file(&args.model))?;
    let demos = load_demos(&args.demos, &mdp)?;
    let truth = args
        .true_weights
        .as_ref()
        .map(|path| load_true_reward(path, &mdp))
        .transpose()?;
    if truth.is_some() && model.is_goal_conditioned() {
        anyhow::bail!("--true-weights is not supported for goal-conditioned models");
    }
    let metrics =
        evaluate_model(&mdp, &model, &demos, truth.as_ref()).map_err(|e| e.in_file(&args.demos))?;
    let mut json = serde_json::to_value(&metrics)?;
    let weights: Vec<serde_json::Value> = model
        .feature_names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            serde_json::json!({
                "feature": name,
                "weight": model.weights[k],
                "standard_error": model.standard_errors.as_ref().ok().map(|se| se[k]),
            })
        })
        .collect();
    json["weights"] = weights.into();
    println!("{json}");
    Ok(())
}
