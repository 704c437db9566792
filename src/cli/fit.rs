//! `irl fit`: maximum causal entropy IRL on demonstrations, written as irl-model/1.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use irl::learn::{
    Alignment, FitParams, FittedModel, GoalRule, IterationRecord, Optimizer, DEFAULT_L2,
};
use irl::Error;

use super::files::{load_demos, load_mdp, save};
use super::solver_args::SolverArgs;

#[derive(Args)]
pub struct FitArgs {
    /// The MDP (irl-mdp/1).
    #[arg(long)]
    mdp: PathBuf,
    /// Demonstrations (CSV, or JSON Lines with extension .jsonl).
    #[arg(long)]
    demos: PathBuf,
    #[command(flatten)]
    solver: SolverArgs,
    /// λ of the Gaussian prior: the objective is Σ log π − λ‖θ‖².
    #[arg(long, default_value_t = DEFAULT_L2)]
    l2: f64,
    /// Optimiser.
    #[arg(long, value_enum, default_value_t = OptimizerArg::Lbfgs)]
    optimizer: OptimizerArg,
    /// Iteration cap of the optimiser.
    #[arg(long, default_value_t = FitParams::default().max_iterations)]
    max_iters: u64,
    /// Stop when the per-action gradient norm falls to this.
    #[arg(long, default_value_t = FitParams::default().gradient_tolerance)]
    gradient_tolerance: f64,
    /// Stop when the relative change of the objective falls to this.
    #[arg(long, default_value_t = FitParams::default().objective_tolerance)]
    objective_tolerance: f64,
    /// With --horizon: treat each demonstration of L actions as an L-step problem
    /// (its last L decisions) instead of the first L decisions of the T-step problem.
    #[arg(long)]
    own_horizon: bool,
    /// Treat each demonstration's last state as its goal: solve the soft dynamic program
    /// once per distinct goal (that goal terminal), all sharing one θ.
    #[arg(long)]
    goal_conditioned: bool,
    /// With --goal-conditioned: cluster the demonstrations' last cells within this many
    /// metres into destinations (without it, each last cell is a goal).
    #[arg(long)]
    goal_radius: Option<f64>,
    /// No progress or summary on stderr.
    #[arg(long)]
    quiet: bool,
    /// Where to write the irl-model/1 document.
    #[arg(long)]
    out: PathBuf,
}

#[derive(ValueEnum, Clone, Copy)]
enum OptimizerArg {
    /// L-BFGS with a More–Thuente line search.
    Lbfgs,
    /// Steepest descent with a More–Thuente line search.
    GradientDescent,
}

pub fn run(args: FitArgs) -> Result<()> {
    let mdp = load_mdp(&args.mdp)?;
    let demos = load_demos(&args.demos, &mdp)?;
    let params = FitParams {
        settings: args.solver.settings(),
        alignment: if args.own_horizon {
            Alignment::OwnHorizon
        } else {
            Alignment::Start
        },
        goal_conditioned: args.goal_conditioned,
        goal_rule: args
            .goal_radius
            .map_or(GoalRule::LastCell, |radius| GoalRule::Clustered { radius }),
        l2: args.l2,
        optimizer: match args.optimizer {
            OptimizerArg::Lbfgs => Optimizer::Lbfgs { memory: 10 },
            OptimizerArg::GradientDescent => Optimizer::GradientDescent,
        },
        max_iterations: args.max_iters,
        gradient_tolerance: args.gradient_tolerance,
        objective_tolerance: args.objective_tolerance,
        ..FitParams::default()
    };
    let progress = Progress::new(args.quiet, args.max_iters);
    let model = params
        .fit_observed(&mdp, &demos, progress.callback())
        .map_err(|e| match e {
            Error::InvalidDemos { .. } | Error::LongerThanHorizon { .. } => e.in_file(&args.demos),
            other => other,
        })?;
    progress.finish();
    save(&args.out, |w| model.write(w))?;
    if !args.quiet {
        eprint!("{}", summary(&model));
    }
    Ok(())
}

/// Weight ± standard error per feature, and how the fit ended.
pub fn summary(model: &FittedModel) -> String {
    let t = &model.training;
    let mut text = format!(
        "fit: {} after {} iterations ({}), NLL per action {:.6} on {} actions, {:.2} s\n",
        if t.converged {
            "converged"
        } else {
            "NOT converged"
        },
        t.iterations.len().saturating_sub(1),
        t.stop_reason,
        t.nll_per_action,
        t.n_actions,
        t.seconds
    );
    let width = model
        .feature_names
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0);
    for (k, name) in model.feature_names.iter().enumerate() {
        let se = match &model.standard_errors {
            Ok(se) => format!(" ± {:.4}", se[k]),
            Err(_) => String::new(),
        };
        text += &format!("  {name:<width$}  {:>10.4}{se}\n", model.weights[k]);
    }
    if let Err(note) = &model.standard_errors {
        text += &format!("  standard errors: {note}\n");
    }
    text
}

/// Progress on stderr: a bar on a terminal, plain lines otherwise, nothing when quiet.
pub(super) struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    pub(super) fn new(quiet: bool, max_iters: u64) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(max_iters);
            bar.set_style(
                ProgressStyle::with_template("{spinner} iteration {pos}/{len} {wide_msg}")
                    .expect("valid template"),
            );
            bar
        });
        Self { bar, quiet }
    }

    pub(super) fn callback(&self) -> Box<dyn FnMut(&IterationRecord) + Send> {
        let line = |r: &IterationRecord| {
            format!(
                "objective {:.8}  |grad| {:.3e}  residual {:.3e}",
                r.objective, r.gradient_norm, r.feature_residual
            )
        };
        match (&self.bar, self.quiet) {
            (Some(bar), _) => {
                let bar = bar.clone();
                Box::new(move |r| {
                    bar.set_position(r.iteration);
                    bar.set_message(line(r));
                })
            }
            (None, true) => Box::new(|_| {}),
            (None, false) => {
                Box::new(move |r| eprintln!("iteration {:>4}  {}", r.iteration, line(r)))
            }
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
