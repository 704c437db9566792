//! `irl demo`: the main job. Goal-conditioned reward learning on the three UCY scenes
//! embedded in the binary, with held-out evaluation against two baselines, figures and
//! a report (markdown and JSON).

mod figures;
mod report;
mod study;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use irl::io::Temporary;
use irl::tracks::read_tracks;

use figures::write_figures;
use report::{markdown_report, StudyReport};
use study::{study_scene, StudyParams};

use super::console::note;
use super::files::staging_dir;
use super::fit::Progress;

/// The scenes shipped in `data/ucy/` (credit in its README).
const SCENES: [(&str, &str); 3] = [
    ("zara01", include_str!("../../../data/ucy/zara01.csv")),
    ("zara02", include_str!("../../../data/ucy/zara02.csv")),
    (
        "students03",
        include_str!("../../../data/ucy/students03.csv"),
    ),
];

#[derive(Args)]
pub struct DemoArgs {
    /// Output folder (replaced as a whole when the demo finishes).
    #[arg(long, default_value = "demo-output")]
    out: PathBuf,
    /// Scenes to run (zara01, zara02, students03); all by default.
    #[arg(long, value_delimiter = ',')]
    scenes: Vec<String>,
    /// Cell side in metres.
    #[arg(long, default_value_t = StudyParams::default().cell)]
    cell: f64,
    /// Seed of the train / held-out split.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Iteration cap of each fit.
    #[arg(long, default_value_t = StudyParams::default().max_iterations)]
    max_iters: u64,
    /// No progress on stderr.
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: DemoArgs) -> Result<()> {
    for name in &args.scenes {
        if !SCENES.iter().any(|(n, _)| n == name) {
            anyhow::bail!(
                "unknown scene \"{name}\"; the embedded scenes are zara01, zara02, students03"
            );
        }
    }
    let params = StudyParams {
        cell: args.cell,
        seed: args.seed,
        max_iterations: args.max_iters,
        ..StudyParams::default()
    };
    let staging = staging_dir(&args.out)?;
    run_scenes(&args, &params, staging.path())?;
    replace(staging, &args.out)?;
    if !args.quiet {
        note(&format!(
            "demo: report and figures in {}",
            args.out.display()
        ));
    }
    Ok(())
}

fn run_scenes(args: &DemoArgs, params: &StudyParams, dir: &Path) -> Result<()> {
    let mut reports = Vec::new();
    for (name, csv) in SCENES
        .iter()
        .filter(|(n, _)| args.scenes.is_empty() || args.scenes.iter().any(|s| s == n))
    {
        let tracks = read_tracks(csv.as_bytes(), &format!("data/ucy/{name}.csv"))?;
        if !args.quiet {
            note(&format!(
                "demo: {name}: {} tracks, fitting goal-conditioned rewards",
                tracks.len()
            ));
        }
        let progress = Progress::new(args.quiet, params.max_iterations);
        let study = study_scene(name, &tracks, params, progress.callback())?;
        progress.finish();
        write_figures(&study, dir)?;
        let report = StudyReport::of(&study);
        if !args.quiet {
            note(&format!("demo: {name}: {:.1} s", report.seconds));
            note(
                format!(
                    "{}{}",
                    report::nll_table(std::slice::from_ref(&report)),
                    report::displacement_table(std::slice::from_ref(&report))
                )
                .trim_end(),
            );
        }
        reports.push(report);
    }
    fs::write(dir.join("report.md"), markdown_report(&reports))?;
    fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(&reports)?,
    )?;
    Ok(())
}

/// Put the finished `staging` folder in the place of `out`.
fn replace(staging: Temporary, out: &Path) -> Result<()> {
    if out.exists() {
        fs::remove_dir_all(out).with_context(|| format!("could not replace {}", out.display()))?;
    }
    staging
        .persist(out)
        .with_context(|| format!("could not create {}", out.display()))
}
