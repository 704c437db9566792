//! `irl fit`: maximum causal entropy IRL on demonstrations, written as irl-model/1.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use irl::learn::{
    relative_change_over, Alignment, FitParams, FitProgress, FittedModel, GoalRule,
    IterationRecord, Optimizer, TrainingHistory, DEFAULT_L2, ITERATION_CAP,
};
use irl::Error;

use super::console::note;
use super::files::{check_out, load_demos, load_mdp, save};
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
    /// λ of the Gaussian prior, at most 1e100: the objective is Σ log π − λ‖θ‖².
    #[arg(long, default_value_t = DEFAULT_L2)]
    l2: f64,
    /// Optimiser.
    #[arg(long, value_enum, default_value_t = OptimizerArg::Lbfgs)]
    optimizer: OptimizerArg,
    /// Iteration cap of the optimiser.
    #[arg(long, default_value_t = FitParams::default().max_iterations)]
    max_iters: u64,
    /// Converged when the per-action gradient norm falls to this (0: only the relative
    /// rule).
    #[arg(long, default_value_t = FitParams::default().gradient_tolerance)]
    gradient_tolerance: f64,
    /// Converged when the gradient norm falls to this times its value at the start.
    #[arg(long, default_value_t = FitParams::default().relative_gradient_tolerance)]
    relative_gradient_tolerance: f64,
    /// Stall guard: stop, not converged, when the relative change of the objective
    /// falls to this before the gradient is small.
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
    /// Skip the standard errors (2K likelihood evaluations after the fit's); the model
    /// then has standard_errors null.
    #[arg(long)]
    no_standard_errors: bool,
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
    check_out(&args.out)?;
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
        relative_gradient_tolerance: args.relative_gradient_tolerance,
        objective_tolerance: args.objective_tolerance,
        standard_errors: !args.no_standard_errors,
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
        note(summary(&model).trim_end());
    }
    Ok(())
}

/// Iterations over which a fit stopped by the iteration cap is checked for flatness.
const FLAT_WINDOW: usize = 10;
/// Relative change of the objective over [`FLAT_WINDOW`] iterations below which a fit
/// stopped by the cap is called flat.
const FLAT_TOLERANCE: f64 = 1e-6;

/// How the fit ended, in words: converged or not, after how many iterations, and why;
/// for a fit stopped by the iteration cap, whether the objective had been flat over the
/// last [`FLAT_WINDOW`] iterations or was still moving.
pub fn fit_status(t: &TrainingHistory) -> String {
    let iterations = t.iterations.len().saturating_sub(1);
    if t.converged {
        return format!(
            "converged after {iterations} iterations ({})",
            t.stop_reason
        );
    }
    if t.stop_reason != ITERATION_CAP {
        return format!(
            "NOT converged after {iterations} iterations ({})",
            t.stop_reason
        );
    }
    let cap = t.iterations.last().map_or(0, |r| r.iteration);
    let stopped = format!("NOT converged: stopped at the iteration cap of {cap}");
    match relative_change_over(&t.iterations, FLAT_WINDOW) {
        Some(change) if change < FLAT_TOLERANCE => format!(
            "{stopped}; the objective changed by less than {FLAT_TOLERANCE:e} over the last \
             {FLAT_WINDOW} iterations (flat)"
        ),
        Some(change) => format!(
            "{stopped}; the objective still changed by {change:.1e} (relative) over the last \
             {FLAT_WINDOW} iterations"
        ),
        None => stopped,
    }
}

/// Weight ± standard error per feature, and how the fit ended.
pub fn summary(model: &FittedModel) -> String {
    let mut text = match &model.training {
        Some(t) => format!(
            "fit: {}; NLL per action {:.6} on {} actions, {:.2} s\n",
            fit_status(t),
            t.nll_per_action,
            t.n_actions,
            t.seconds
        ),
        None => "fit: no history recorded\n".into(),
    };
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
/// The bar counts the optimiser's iterations, then the columns of the observed
/// information; plain lines give every iteration, then the standard errors' start and
/// each further tenth of their columns.
pub(super) struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

/// The bar's look while it counts the optimiser's iterations.
const ITERATION_TEMPLATE: &str = "{spinner} iteration {pos}/{len} {wide_msg}";
/// The bar's look while it counts the columns of the observed information.
const STANDARD_ERROR_TEMPLATE: &str =
    "{spinner} standard errors: feature {pos}/{len} [{bar:30}] {elapsed} {wide_msg}";

/// The line announcing the standard errors of `total` features.
fn standard_errors_start(total: usize) -> String {
    format!(
        "standard errors: {} likelihood evaluations for the observed information of {total} features",
        2 * total
    )
}

impl Progress {
    pub(super) fn new(quiet: bool, max_iters: u64) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(max_iters);
            bar.set_style(
                ProgressStyle::with_template(ITERATION_TEMPLATE).expect("valid template"),
            );
            bar
        });
        Self { bar, quiet }
    }

    pub(super) fn callback(&self) -> Box<dyn FnMut(FitProgress<'_>) + Send> {
        let line = |r: &IterationRecord| {
            format!(
                "objective {:.8}  |grad| {:.3e}  residual {:.3e}",
                r.objective, r.gradient_norm, r.feature_residual
            )
        };
        match (&self.bar, self.quiet) {
            (Some(bar), _) => {
                let bar = bar.clone();
                Box::new(move |event| match event {
                    FitProgress::Iteration(r) => {
                        bar.set_position(r.iteration);
                        bar.set_message(line(r));
                    }
                    FitProgress::StandardErrors { done: 0, total } => {
                        bar.set_style(
                            ProgressStyle::with_template(STANDARD_ERROR_TEMPLATE)
                                .expect("valid template"),
                        );
                        bar.set_length(total as u64);
                        bar.set_position(0);
                        bar.set_message(format!("({} evaluations)", 2 * total));
                        bar.reset_elapsed();
                    }
                    FitProgress::StandardErrors { done, .. } => bar.set_position(done as u64),
                })
            }
            (None, true) => Box::new(|_| {}),
            (None, false) => Box::new(move |event| match event {
                FitProgress::Iteration(r) => {
                    note(&format!("iteration {:>4}  {}", r.iteration, line(r)))
                }
                FitProgress::StandardErrors { done: 0, total } => {
                    note(&standard_errors_start(total))
                }
                FitProgress::StandardErrors { done, total } => {
                    if done * 10 / total > (done - 1) * 10 / total {
                        note(&format!("standard errors: {done}/{total} features"));
                    }
                }
            }),
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A history of `objectives` (iterations 0, 1, …) that stopped for `reason`.
    fn history(objectives: &[f64], converged: bool, reason: &str) -> TrainingHistory {
        TrainingHistory {
            iterations: objectives
                .iter()
                .enumerate()
                .map(|(i, &objective)| IterationRecord {
                    iteration: i as u64,
                    objective,
                    gradient_norm: 1e-3,
                    feature_residual: 1e-3,
                })
                .collect(),
            converged,
            stop_reason: reason.into(),
            nll_per_action: 1.5,
            n_actions: 400,
            n_tasks: 1,
            l2: 0.01,
            optimizer: Optimizer::Lbfgs { memory: 10 },
            evaluations: objectives.len(),
            seconds: 2.0,
        }
    }

    /// 101 objectives (iterations 0 to 100) that fall from 9 and then change by `step`
    /// per iteration over the last 20.
    fn capped(step: f64) -> Vec<f64> {
        (0..=100)
            .map(|i| {
                if i <= 80 {
                    1.5 + 7.5 * 0.9f64.powi(i) + 20.0 * step
                } else {
                    1.5 + 7.5 * 0.9f64.powi(80) + (100 - i) as f64 * step
                }
            })
            .collect()
    }

    #[test]
    fn a_capped_fit_that_went_flat_says_so() {
        // Over the last 10 iterations J falls by 10 · 1e-8 = 1e-7 at J ≈ 1.5: a relative
        // change of 6.7e-8, below 1e-6.
        let flat = history(&capped(1e-8), false, ITERATION_CAP);
        assert_eq!(
            fit_status(&flat),
            "NOT converged: stopped at the iteration cap of 100; the objective changed by \
             less than 1e-6 over the last 10 iterations (flat)"
        );
    }

    #[test]
    fn a_capped_fit_still_moving_gives_its_change() {
        // 10 · 1e-4 = 1e-3 over J_last = 1.5 + 7.5 · 0.9^80 ≈ 1.50164: 6.659e-4.
        let moving = history(&capped(1e-4), false, ITERATION_CAP);
        let last = 1.5 + 7.5 * 0.9f64.powi(80);
        assert!(((1e-3 / last) - 6.659e-4).abs() < 5e-8);
        assert_eq!(
            fit_status(&moving),
            "NOT converged: stopped at the iteration cap of 100; the objective still \
             changed by 6.7e-4 (relative) over the last 10 iterations"
        );
        // Fewer than 11 records: nothing to say about the last 10 iterations.
        let short = history(&[3.0, 2.0, 1.9], false, ITERATION_CAP);
        assert_eq!(
            fit_status(&short),
            "NOT converged: stopped at the iteration cap of 2"
        );
    }

    #[test]
    fn other_endings_name_their_reason() {
        let converged = history(&capped(1e-8), true, "gradient norm below tolerance");
        assert_eq!(
            fit_status(&converged),
            "converged after 100 iterations (gradient norm below tolerance)"
        );
        let failed = history(&[3.0, 2.0], false, "line search failed");
        assert_eq!(
            fit_status(&failed),
            "NOT converged after 1 iterations (line search failed)"
        );
    }

    #[test]
    fn the_summary_leads_with_the_status() {
        let model = FittedModel {
            feature_names: vec!["step_cost".into(), "hazard".into()],
            weights: vec![-1.0, -3.5],
            standard_errors: Ok(vec![0.1, 0.25]),
            settings: Default::default(),
            training: Some(history(&capped(1e-8), false, ITERATION_CAP)),
            goals: Vec::new(),
            goal_rule: GoalRule::LastCell,
            alignment: Alignment::Start,
        };
        let text = summary(&model);
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with("fit: NOT converged: stopped at the iteration cap of 100;"),
            "{first}"
        );
        assert!(
            first.ends_with("(flat); NLL per action 1.500000 on 400 actions, 2.00 s"),
            "{first}"
        );
        assert!(
            text.contains("  hazard        -3.5000 ± 0.2500\n"),
            "{text}"
        );
    }
}
