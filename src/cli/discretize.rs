//! `irl discretize`: recorded tracks to a grid MDP with grid features and demonstrations.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use irl::demos::{split_demos, write_demos, Demonstrations};
use irl::mdp::write_mdp;
use irl::tracks::{
    discretize, grid_features, read_tracks_file, visited_cells, Connectivity, DiscretizeParams,
    GridFeatureParams,
};

use super::files::{save, write_folder};

#[derive(Args)]
pub struct DiscretizeArgs {
    /// Recorded positions: CSV with columns track, frame, x, y (metres).
    #[arg(long)]
    tracks: PathBuf,
    /// Cell side in metres.
    #[arg(long, default_value_t = 0.5)]
    cell: f64,
    /// Moves per cell: 4 or 8 neighbours.
    #[arg(long, default_value_t = 8)]
    connectivity: usize,
    /// Keep repeated cells as a "stay" action instead of collapsing them.
    #[arg(long)]
    stay: bool,
    /// Side of the coarse regions of the region features, in cells.
    #[arg(long, default_value_t = 4)]
    region_size: usize,
    /// Hold out this fraction of the tracks (written to heldout.csv; features use the rest).
    #[arg(long)]
    heldout_fraction: Option<f64>,
    /// Seed of the held-out split.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output folder: mdp.json, demos.csv, heldout.csv (with --heldout-fraction), report.json.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: DiscretizeArgs) -> Result<()> {
    let tracks = read_tracks_file(&args.tracks)?;
    let params = DiscretizeParams {
        cell: args.cell,
        connectivity: Connectivity::from_neighbours(args.connectivity)?,
        stay: args.stay,
    };
    let d = discretize(&tracks, &params).map_err(|e| e.in_file(&args.tracks))?;
    let (train, held_out) = match args.heldout_fraction {
        Some(f) => {
            let split = split_demos(&d.demos, f, args.seed)?;
            (split.train, Some(split.held_out))
        }
        None => (d.demos.clone(), None),
    };
    let visited = visited_cells(&train, d.scene.n_cells())?;
    let features = grid_features(
        &d.scene,
        &visited,
        &GridFeatureParams {
            region_size: args.region_size,
        },
    )?;
    let mdp = d.mdp.with_features(features)?;
    let report = serde_json::json!({
        "tracks": args.tracks.display().to_string(),
        "params": params,
        "grid": {"width": d.scene.width, "height": d.scene.height, "cell": d.scene.cell,
                 "origin_x": d.scene.origin_x, "origin_y": d.scene.origin_y},
        "report": d.report,
        "train_trajectories": train.len(),
        "heldout_trajectories": held_out.as_ref().map(Demonstrations::len),
        "features": mdp.features().names(),
    });
    write_folder(&args.out, |dir| {
        save(&dir.join("mdp.json"), |w| write_mdp(&mdp, w))?;
        write_demos(&dir.join("demos.csv"), &train)?;
        if let Some(held_out) = &held_out {
            write_demos(&dir.join("heldout.csv"), held_out)?;
        }
        save(&dir.join("report.json"), |w| {
            irl::json::to_writer(w, &report)
        })
    })?;
    let r = &d.report;
    eprintln!(
        "discretize: {}×{} cells of {} m; {} of {} tracks kept ({} dropped: never left their first cell); \
         {} steps, {:.1} % of them gaps filled; {} train{} demonstrations written to {}",
        d.scene.width,
        d.scene.height,
        d.scene.cell,
        r.tracks_kept,
        r.tracks_in,
        r.dropped_short,
        r.position_steps,
        100.0 * r.filled_gap_fraction(),
        train.len(),
        held_out.as_ref().map_or(String::new(), |h| format!(" + {} held-out", h.len())),
        args.out.display()
    );
    Ok(())
}
