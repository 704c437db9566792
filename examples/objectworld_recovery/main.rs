//! Reward recovery on objectworld (Levine, Popović and Koltun 2011): how the expected
//! value difference of maximum causal entropy IRL falls with the number of
//! demonstrations, for continuous and discrete features. The design is in
//! [`design`]; each run is in [`run`].
//!
//! ```text
//! cargo run --release --example objectworld_recovery -- [OUTPUT_DIR] [--quick]
//! ```
//!
//! OUTPUT_DIR defaults to `target/objectworld_recovery/`; `--quick` runs three worlds
//! and N ∈ {4, 32} instead of the full 16 worlds and N ∈ {4, …, 128}. The table goes
//! to stdout, one progress line per finished run to stderr, and the figure (PNG, SVG)
//! and the raw numbers (JSON) to OUTPUT_DIR.

mod design;
mod output;
mod run;
mod summary;
mod worlds;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use rayon::prelude::*;

use design::{Design, FEATURE_SETS};
use run::{execute, RunKey, RunRecord};
use summary::{rows, table, BaselineSummary};
use worlds::SeedData;

const USAGE: &str = "usage: objectworld_recovery [OUTPUT_DIR] [--quick]";
const DEFAULT_FOLDER: &str = "target/objectworld_recovery";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
enum Command {
    Help,
    Run { folder: PathBuf, design: Design },
}

fn parse(args: impl IntoIterator<Item = String>) -> std::result::Result<Command, String> {
    let mut folder = None;
    let mut design = Design::full();
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--quick" => design = Design::quick(),
            flag if flag.starts_with('-') => return Err(format!("unknown option `{flag}`")),
            path if folder.is_none() => folder = Some(PathBuf::from(path)),
            extra => return Err(format!("unexpected argument `{extra}`")),
        }
    }
    Ok(Command::Run {
        folder: folder.unwrap_or_else(|| PathBuf::from(DEFAULT_FOLDER)),
        design,
    })
}

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Command::Run { folder, design }) => match experiment(&design, &folder) {
            Ok(finished) => {
                println!("{}", finished.table);
                println!(
                    "Total time {:.1} s. Figure: {}. Raw numbers: {}.",
                    finished.seconds,
                    finished
                        .plots
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    finished.json.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// What a finished experiment printed and wrote.
struct Finished {
    table: String,
    plots: Vec<PathBuf>,
    json: PathBuf,
    seconds: f64,
}

/// Run every (feature set, N, seed) of `design` in parallel and write the outputs.
fn experiment(design: &Design, folder: &Path) -> Result<Finished> {
    let clock = Instant::now();
    std::fs::create_dir_all(folder)
        .with_context(|| format!("creating the output folder {}", folder.display()))?;
    let seeds: Vec<SeedData> = (0..design.seeds)
        .into_par_iter()
        .map(|seed| SeedData::prepare(design, seed))
        .collect::<Result<_>>()?;
    eprintln!(
        "{} worlds ready after {:.1} s",
        seeds.len(),
        clock.elapsed().as_secs_f64()
    );
    // Largest N first, so that the longest fits do not end up last on one core.
    let mut keys = Vec::new();
    for &n_demos in design.demo_counts.iter().rev() {
        for seed_index in 0..seeds.len() {
            for feature_index in 0..FEATURE_SETS.len() {
                keys.push(RunKey {
                    seed_index,
                    feature_index,
                    n_demos,
                });
            }
        }
    }
    let done = AtomicUsize::new(0);
    let mut runs: Vec<RunRecord> = keys
        .par_iter()
        .map(|&key| {
            let record = execute(design, &seeds, key)?;
            let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
            eprintln!(
                "[{finished:>3}/{}] {:<10} N = {:>3} seed {:>2}: hard EVD {:6.2}, soft EVD {:6.2}, \
                 held-out NLL {:.4}, {} iterations{}, {:.2} s",
                keys.len(),
                record.features,
                record.n_demos,
                record.seed,
                record.hard_evd,
                record.soft_evd,
                record.heldout_nll_per_action,
                record.iterations,
                if record.converged { "" } else { " (not converged)" },
                record.fit_seconds
            );
            Ok(record)
        })
        .collect::<Result<_>>()?;
    runs.sort_by_key(|r| {
        let order = FEATURE_SETS
            .iter()
            .position(|&f| design::feature_set_name(f) == r.features);
        (order, r.n_demos, r.seed)
    });
    let baselines: Vec<_> = seeds.iter().map(|s| s.baseline.clone()).collect();
    let baseline = BaselineSummary::of(&baselines);
    let summary = rows(design, &runs);
    let plots = output::write_plots(folder, design, &summary, &baseline)?;
    let seconds = clock.elapsed().as_secs_f64();
    let json = output::write_json(
        folder,
        &output::Report {
            design,
            worlds: &baselines,
            baseline: &baseline,
            summary: &summary,
            runs: &runs,
            total_seconds: seconds,
        },
    )?;
    Ok(Finished {
        table: table(&summary, &baseline),
        plots,
        json,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> std::result::Result<Command, String> {
        parse(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn the_command_line_takes_a_folder_and_quick() {
        assert_eq!(
            args(&[]),
            Ok(Command::Run {
                folder: PathBuf::from(DEFAULT_FOLDER),
                design: Design::full()
            })
        );
        assert_eq!(
            args(&["out", "--quick"]),
            Ok(Command::Run {
                folder: PathBuf::from("out"),
                design: Design::quick()
            })
        );
        assert_eq!(args(&["--help"]), Ok(Command::Help));
        assert!(args(&["--fast"]).unwrap_err().contains("`--fast`"));
        assert!(args(&["a", "b"]).unwrap_err().contains("`b`"));
    }

    /// A small world end to end: every run is recorded, EVDs are sensible and the
    /// figure and the JSON are written.
    #[test]
    fn a_small_experiment_writes_its_table_figure_and_numbers() {
        let design = Design {
            size: 10,
            object_probability: 0.15,
            demo_counts: vec![4, 16],
            seeds: 2,
            heldout_trajectories: 16,
            max_iterations: 100,
            ..Design::full()
        };
        let folder = tempfile::tempdir().unwrap();
        let finished = experiment(&design, folder.path()).unwrap();
        let text = std::fs::read_to_string(&finished.json).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let runs = json["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 2 * 2 * 2);
        assert_eq!(runs[0]["features"], "discrete");
        assert_eq!(runs[0]["n_demos"], 4);
        assert_eq!(runs[7]["features"], "continuous");
        assert_eq!(runs[7]["n_demos"], 16);
        for run in runs {
            let hard = run["hard_evd"].as_f64().unwrap();
            let uniform = json["worlds"][run["seed"].as_u64().unwrap() as usize]
                ["uniform_hard_evd"]
                .as_f64()
                .unwrap();
            // The optimal policy is best in every state, so the hard EVD is ≥ 0; it
            // is bounded by the value range 2·10/(1 − γ) = 200 of rewards in [−10, 5].
            assert!((-1e-9..200.0).contains(&hard), "{run}");
            assert!(uniform > 0.0);
            assert!(run["heldout_nll_per_action"].as_f64().unwrap() > 0.0);
        }
        assert_eq!(json["summary"].as_array().unwrap().len(), 4);
        assert!(
            finished.table.contains("| discrete   |  16 |"),
            "{}",
            finished.table
        );
        let png = std::fs::read(&finished.plots[0]).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let svg = std::fs::read_to_string(&finished.plots[1]).unwrap();
        assert!(svg.contains("discrete features, hard EVD"));
    }
}
