//! Subcommands of the `irl` binary. Each lives in its own file and returns
//! `anyhow::Result`; [`run`] prints a failure as one paragraph on stderr and exits 1.

mod files;
mod solve;
mod solver_args;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

/// Parse the command line, run the subcommand, and turn its outcome into an exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Solve(args) => solve::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("irl: error: {}", one_paragraph(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes joined by ": ", leaving out a cause whose text the message
/// already ends with (the library's errors display their source as well as return it).
fn one_paragraph(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain().map(|c| c.to_string()) {
        if message.is_empty() {
            message = cause;
        } else if !message.ends_with(&cause) {
            message.push_str(": ");
            message.push_str(&cause);
        }
    }
    message
}
