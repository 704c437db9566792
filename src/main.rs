//! The `irl` command line: parse, validate, call the library, report.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
