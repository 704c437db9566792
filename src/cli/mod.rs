//! Subcommands of the `irl` binary. Each lives in its own file and returns
//! `anyhow::Result`; [`run`] prints a failure as one paragraph on stderr and exits 1.

mod bench;
mod cells;
mod console;
mod demo;
mod discretize;
mod discretize_grid;
mod discretize_timed;
mod evaluate;
mod files;
mod fit;
mod forecast;
mod generate;
mod memory_limit;
mod plot;
mod signals;
mod solve;
mod solver_args;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use console::note;

/// Inverse reinforcement learning on tabular MDPs.
#[derive(Parser)]
#[command(name = "irl", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Solve the soft dynamic program for given weights and write irl-solution/1.
    Solve(solve::SolveArgs),
    /// The main job: goal-conditioned reward learning on the embedded UCY pedestrian scenes.
    Demo(demo::DemoArgs),
    /// Fit reward weights to demonstrations (maximum causal entropy IRL); writes irl-model/1.
    Fit(fit::FitArgs),
    /// Forecast where a walker goes from a start cell (towards a goal, or mixed over goals).
    Forecast(forecast::ForecastArgs),
    /// Draw a reward map, a forecast map or a training curve (PNG or SVG).
    Plot(plot::PlotArgs),
    /// Generate a benchmark world (gridworld, objectworld, random) with expert demonstrations.
    Generate(generate::GenerateArgs),
    /// Turn recorded tracks (track, frame, x, y) into a grid MDP and demonstrations.
    Discretize(discretize::DiscretizeArgs),
    /// Score a fitted model on held-out demonstrations; prints JSON.
    Evaluate(evaluate::EvaluateArgs),
    /// Time the backward and forward passes, a fit iteration and a fit on gridworlds
    /// from 10^2 to 10^6 states; prints a Markdown table.
    Bench(bench::BenchArgs),
}

/// Parse the command line, run the subcommand, and turn its outcome into an exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(refused) => return parser_exit(&refused),
    };
    signals::clean_up_on_signals();
    let has_memory_limit = cli.command.has_memory_limit();
    let result = match cli.command {
        Command::Solve(args) => solve::run(args),
        Command::Fit(args) => fit::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Discretize(args) => discretize::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Forecast(args) => forecast::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Bench(args) => bench::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            note(&format!(
                "irl: error: {}",
                one_paragraph(&e, has_memory_limit)
            ));
            ExitCode::FAILURE
        }
    }
}

impl Command {
    /// Whether the command takes `--memory-limit`.
    fn has_memory_limit(&self) -> bool {
        matches!(
            self,
            Command::Solve(_) | Command::Fit(_) | Command::Discretize(_)
        )
    }
}

/// Print what the parser has to say (help and version on standard output, a refused
/// command line on standard error) and give its status; help or version that cannot be
/// written is an error (status 1).
fn parser_exit(refused: &clap::Error) -> ExitCode {
    let status = refused.exit_code();
    match refused.print().and_then(|()| std::io::stdout().flush()) {
        Ok(()) => ExitCode::from(u8::try_from(status).unwrap_or(1)),
        Err(e) if status == 0 => {
            note(&format!(
                "irl: error: could not write to standard output: {e}"
            ));
            ExitCode::FAILURE
        }
        Err(_) => ExitCode::from(u8::try_from(status).unwrap_or(1)),
    }
}

/// The error and its causes joined by ": ", leaving out a cause whose text the message
/// already ends with (the library's errors display their source as well as return it),
/// and the flag that changes what the library's error names (`--memory-limit` only for
/// a command that has it).
fn one_paragraph(error: &anyhow::Error, has_memory_limit: bool) -> String {
    let mut message = String::new();
    for cause in error.chain().map(|c| c.to_string()) {
        if message.is_empty() {
            message = cause;
        } else if !message.ends_with(&cause) {
            message.push_str(": ");
            message.push_str(&cause);
        }
    }
    if let Some(flag) = error
        .chain()
        .find_map(|c| c.downcast_ref::<irl::Error>())
        .and_then(flag_for)
        .filter(|&flag| flag != "--memory-limit" || has_memory_limit)
    {
        message.push_str(&format!(" ({flag})"));
    }
    message
}

/// The command-line flag that sets what a library error asks to change.
fn flag_for(error: &irl::Error) -> Option<&'static str> {
    match error.without_file() {
        irl::Error::LongerThanHorizon { .. } => Some("--horizon"),
        irl::Error::MemoryLimit { .. } => Some("--memory-limit"),
        _ => None,
    }
}
