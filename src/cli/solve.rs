//! `irl solve`: the soft dynamic program for given weights, written as irl-solution/1.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::files::{check_out, load_mdp, load_weights, save};
use super::solver_args::SolverArgs;

#[derive(Args)]
pub struct SolveArgs {
    /// The MDP (irl-mdp/1).
    #[arg(long)]
    mdp: PathBuf,
    /// Reward weights (irl-weights/1 or irl-model/1).
    #[arg(long)]
    weights: PathBuf,
    #[command(flatten)]
    solver: SolverArgs,
    /// Leave out value, q, policy and occupancy (for large problems).
    #[arg(long)]
    no_arrays: bool,
    /// Where to write the irl-solution/1 document.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: SolveArgs) -> Result<()> {
    check_out(&args.out)?;
    let mdp = load_mdp(&args.mdp)?;
    let weights = load_weights(&args.weights, &mdp)?;
    let settings = args.solver.settings();
    let solution = irl::inference::solve(&mdp, weights.theta().view(), &settings, !args.no_arrays)?;
    save(&args.out, |w| solution.write(w, !args.no_arrays))
}
