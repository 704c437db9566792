//! `irl discretize`: recorded tracks to a grid MDP with grid features and demonstrations,
//! or, with `--grid`, to demonstrations on the grid (and with the features) of an
//! existing MDP.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use irl::demos::{split_demos, write_demos, Demonstrations};
use irl::inference::MemoryLimit;
use irl::mdp::write_mdp;
use irl::tracks::{
    check_grid_memory, discretize_in_scene, grid_features, read_tracks_file, visited_cells,
    Connectivity, DiscretizeParams, Discretized, Extent, GridFeatureParams, GridMemory, GridMoves,
    Scene, Track,
};

use super::console::note;
use super::discretize_grid::on_grid;
use super::files::{check_out_folder, save, write_folder};
use super::memory_limit::parse_memory_limit;

/// The cell side without `--cell` or `--grid`, in metres.
const DEFAULT_CELL: f64 = 0.5;

/// The files `irl discretize` writes into its folder.
const OUTPUTS: [&str; 4] = ["mdp.json", "demos.csv", "heldout.csv", "report.json"];

/// The files of the timed mode, which adds the resampled positions.
pub const TIMED_OUTPUTS: [&str; 6] = [
    "mdp.json",
    "demos.csv",
    "heldout.csv",
    "tracks.csv",
    "heldout_tracks.csv",
    "report.json",
];

#[derive(Args)]
pub struct DiscretizeArgs {
    /// Recorded positions: CSV with columns track, frame, x, y (metres).
    #[arg(long)]
    pub tracks: PathBuf,
    /// Cell side in metres: 0.5, or with --grid the grid's (another is an error).
    #[arg(long, allow_hyphen_values = true)]
    pub cell: Option<f64>,
    /// Moves per cell, 4 or 8 neighbours: 8, or with --grid the grid's.
    #[arg(long)]
    pub connectivity: Option<usize>,
    /// Keep repeated cells as a "stay" action instead of collapsing them (with --grid,
    /// as the grid's MDP does).
    #[arg(long)]
    pub stay: bool,
    /// Side of the coarse regions of the region features, in cells.
    #[arg(long, default_value_t = 4, conflicts_with = "grid")]
    pub region_size: usize,
    /// Put the tracks on the grid of this MDP (irl-mdp/1 with a grid in metres) and keep
    /// its features and actions; positions outside the grid are skipped.
    #[arg(long)]
    pub grid: Option<PathBuf>,
    /// Hold out this fraction of the tracks (written to heldout.csv; features use the rest).
    #[arg(long)]
    pub heldout_fraction: Option<f64>,
    /// Seed of the held-out split.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Most memory the grid MDP and its features may take, checked before they are built:
    /// a size such as 2G or 512M, "available" (the memory free now) or "none".
    #[arg(long, default_value = "available", value_parser = parse_memory_limit)]
    pub memory_limit: MemoryLimit,
    /// Resample every track to steps of this many seconds (needs --fps): step t of a
    /// demonstration is t·Δ after its start, standing still is an action, and the
    /// positions are written to tracks.csv / heldout_tracks.csv.
    #[arg(
        long,
        requires = "fps",
        conflicts_with = "grid",
        allow_hyphen_values = true
    )]
    pub time_step: Option<f64>,
    /// Frames per second of the recording (with --time-step).
    #[arg(long, allow_hyphen_values = true)]
    pub fps: Option<f64>,
    /// With --time-step: the state is (cell, last displacement) of a kinematic lattice,
    /// and the action the change of displacement.
    #[arg(long, requires = "time_step")]
    pub lattice: bool,
    /// With --time-step: the longest step in cells per axis.
    #[arg(long, default_value_t = 2)]
    pub max_displacement: usize,
    /// Output folder, replaced as a whole: mdp.json, demos.csv, heldout.csv (with
    /// --heldout-fraction), report.json.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: DiscretizeArgs) -> Result<()> {
    let outputs: &[&str] = if args.time_step.is_some() {
        &TIMED_OUTPUTS
    } else {
        &OUTPUTS
    };
    check_out_folder(&args.out, outputs)?;
    if let Some(cell) = args.cell {
        if !(cell.is_finite() && cell > 0.0) {
            anyhow::bail!("--cell must be a positive number of metres, got {cell}");
        }
    }
    let connectivity = args
        .connectivity
        .map(Connectivity::from_neighbours)
        .transpose()?;
    let tracks = read_tracks_file(&args.tracks)?;
    if let (Some(time_step), Some(fps)) = (args.time_step, args.fps) {
        return super::discretize_timed::run(
            &tracks,
            &super::discretize_timed::TimedArgs {
                tracks_path: &args.tracks,
                cell: args.cell.unwrap_or(0.5),
                time_step,
                fps,
                max_displacement: args.max_displacement,
                lattice: args.lattice,
                region_size: args.region_size,
                heldout_fraction: args.heldout_fraction,
                seed: args.seed,
                memory_limit: args.memory_limit,
                out: &args.out,
            },
        );
    }
    let (d, connectivity, stay) = match &args.grid {
        Some(grid) => on_grid(&tracks, grid, &args, connectivity)?,
        None => {
            let connectivity = connectivity.unwrap_or_default();
            (
                covering(&tracks, &args, connectivity)?,
                connectivity,
                args.stay,
            )
        }
    };
    let params = DiscretizeParams {
        cell: d.scene.cell,
        connectivity,
        stay,
    };
    let (train, held_out) = match args.heldout_fraction {
        Some(f) => {
            let split = split_demos(&d.demos, f, args.seed)?;
            (split.train, Some(split.held_out))
        }
        None => (d.demos.clone(), None),
    };
    let mdp = if args.grid.is_some() {
        d.mdp.clone()
    } else {
        let visited = visited_cells(&train, d.scene.n_cells())?;
        d.mdp
            .with_features(grid_features(&d.scene, &visited, &feature_params(&args))?)?
    };
    let report = serde_json::json!({
        "tracks": args.tracks.display().to_string(),
        "grid_mdp": args.grid.as_ref().map(|g| g.display().to_string()),
        "params": params,
        "grid": {"width": d.scene.width, "height": d.scene.height, "cell": d.scene.cell,
                 "origin_x": d.scene.origin_x, "origin_y": d.scene.origin_y},
        "report": d.report,
        "train_trajectories": train.len(),
        "heldout_trajectories": held_out.as_ref().map(Demonstrations::len),
        "features": mdp.features().names(),
    });
    write_folder(&args.out, &OUTPUTS, |dir| {
        save(&dir.join("mdp.json"), |w| write_mdp(&mdp, w))?;
        write_demos(&dir.join("demos.csv"), &train)?;
        if let Some(held_out) = &held_out {
            write_demos(&dir.join("heldout.csv"), held_out)?;
        }
        save(&dir.join("report.json"), |w| {
            irl::json::to_writer(w, &report)
        })
    })?;
    note(&summary(&d, &args, train.len(), held_out.as_ref()));
    Ok(())
}

/// The tracks on the scene that covers them, after checking that its grid MDP and
/// features fit in the memory limit.
fn covering(
    tracks: &[Track],
    args: &DiscretizeArgs,
    connectivity: Connectivity,
) -> Result<Discretized> {
    let in_tracks = |e: irl::Error| e.in_file(&args.tracks);
    let extent = Extent::of(tracks).map_err(in_tracks)?;
    let scene =
        Scene::covering_extent(&extent, args.cell.unwrap_or(DEFAULT_CELL)).map_err(in_tracks)?;
    let memory = GridMemory::of(
        &scene,
        &GridMoves::new(connectivity, args.stay),
        &feature_params(args),
    )
    .map_err(in_tracks)?;
    check_grid_memory(&scene, &extent, &memory, args.memory_limit).map_err(in_tracks)?;
    Ok(discretize_in_scene(tracks, &scene, connectivity, args.stay).map_err(in_tracks)?)
}

fn feature_params(args: &DiscretizeArgs) -> GridFeatureParams {
    GridFeatureParams {
        region_size: args.region_size,
    }
}

/// The line on standard error: grid, tracks kept, positions skipped, steps, outputs.
fn summary(
    d: &Discretized,
    args: &DiscretizeArgs,
    train: usize,
    held_out: Option<&Demonstrations>,
) -> String {
    let r = &d.report;
    let grid = args
        .grid
        .as_ref()
        .map_or(String::new(), |g| format!(" (the grid of {})", g.display()));
    let outside = if r.positions_outside == 0 {
        String::new()
    } else {
        format!(
            "; {} positions of {} tracks lie outside the grid and were skipped ({}{})",
            r.positions_outside,
            r.tracks_outside,
            r.outside_examples.join("; "),
            if r.positions_outside > r.outside_examples.len() {
                "; …"
            } else {
                ""
            }
        )
    };
    format!(
        "discretize: {}×{} cells of {} m{grid}; {} of {} tracks kept ({} dropped: never left their first cell){outside}; \
         {} steps, {:.1} % of them gaps filled; {train} train{} demonstrations written to {}",
        d.scene.width,
        d.scene.height,
        d.scene.cell,
        r.tracks_kept,
        r.tracks_in,
        r.dropped_short,
        r.position_steps,
        100.0 * r.filled_gap_fraction(),
        held_out.map_or(String::new(), |h| format!(" + {} held-out", h.len())),
        args.out.display()
    )
}
