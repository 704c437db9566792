//! `irl discretize --time-step`: tracks resampled to a fixed time step, on grid cells or
//! on a kinematic lattice.

use std::path::Path;

use anyhow::Result;
use irl::demos::{split_demos, write_demos, Demonstrations};
use irl::mdp::write_mdp;
use irl::tracks::{
    check_grid_memory, discretize_timed, grid_features, timed_moves, write_positions, Extent,
    GridFeatureParams, GridMemory, Scene, TimeStep, TimedParams, Track,
};

use super::console::note;
use super::files::{save, write_folder};

/// What the timed path needs from the command line.
pub struct TimedArgs<'a> {
    pub tracks_path: &'a Path,
    pub cell: f64,
    pub time_step: f64,
    pub fps: f64,
    pub max_displacement: usize,
    pub lattice: bool,
    pub region_size: usize,
    pub heldout_fraction: Option<f64>,
    pub seed: u64,
    pub memory_limit: irl::inference::MemoryLimit,
    pub out: &'a Path,
}

pub fn run(tracks: &[Track], args: &TimedArgs) -> Result<()> {
    let params = TimedParams {
        time_step: TimeStep::new(args.time_step, args.fps)?,
        max_displacement: args.max_displacement,
        lattice: args.lattice,
    };
    let in_tracks = |e: irl::Error| e.in_file(args.tracks_path);
    let extent = Extent::of(tracks).map_err(in_tracks)?;
    let scene = Scene::covering_extent(&extent, args.cell).map_err(in_tracks)?;
    let features = GridFeatureParams {
        region_size: args.region_size,
    };
    let memory = match params.lattice() {
        Some(lattice) => GridMemory::lattice(&scene, lattice, &features),
        None => GridMemory::of(&scene, &timed_moves(params.max_displacement), &features),
    }?;
    check_grid_memory(&scene, &extent, &memory, args.memory_limit).map_err(in_tracks)?;
    let d = discretize_timed(tracks, &scene, &params).map_err(|e| e.in_file(args.tracks_path))?;
    let (train, held_out) = match args.heldout_fraction {
        Some(f) => {
            let split = split_demos(&d.demos, f, args.seed)?;
            (split.train, Some(split.held_out))
        }
        None => (d.demos.clone(), None),
    };
    let visited = d.visited_cells(&train)?;
    let mdp = d.mdp(grid_features(&scene, &visited, &features)?)?;
    let report = serde_json::json!({
        "tracks": args.tracks_path.display().to_string(),
        "params": {"cell": args.cell, "time_step": params.time_step.seconds, "fps": params.time_step.fps,
                   "max_displacement": params.max_displacement, "lattice": params.lattice},
        "grid": {"width": scene.width, "height": scene.height, "cell": scene.cell,
                 "origin_x": scene.origin_x, "origin_y": scene.origin_y},
        "report": d.report,
        "train_trajectories": train.len(),
        "heldout_trajectories": held_out.as_ref().map(Demonstrations::len),
        "features": mdp.features().names(),
    });
    write_folder(args.out, &super::discretize::TIMED_OUTPUTS, |dir| {
        save(&dir.join("mdp.json"), |w| write_mdp(&mdp, w))?;
        write_demos(&dir.join("demos.csv"), &train)?;
        save(&dir.join("tracks.csv"), |w| {
            write_positions(&d.positions_of(&train), w)
        })?;
        if let Some(held_out) = &held_out {
            write_demos(&dir.join("heldout.csv"), held_out)?;
            save(&dir.join("heldout_tracks.csv"), |w| {
                write_positions(&d.positions_of(held_out), w)
            })?;
        }
        save(&dir.join("report.json"), |w| {
            irl::json::to_writer(w, &report)
        })
    })?;
    let r = &d.report;
    note(&format!(
        "discretize: {}×{} cells of {} m{}, {} s steps; {} of {} tracks kept as {} pieces ({} splits, {} dropped: never left their first cell); \
         {} positions, RMS match error {:.3} m; {} train{} demonstrations written to {}",
        scene.width,
        scene.height,
        scene.cell,
        if params.lattice { " × a kinematic lattice" } else { "" },
        params.time_step.seconds,
        r.tracks_kept,
        r.tracks_in,
        r.pieces,
        r.splits,
        r.dropped_short,
        r.positions,
        r.rms_match_error,
        train.len(),
        held_out.as_ref().map_or(String::new(), |h| format!(" + {} held-out", h.len())),
        args.out.display()
    ));
    Ok(())
}
