//! `irl discretize --grid`: the tracks on the grid of an existing MDP, whose cell,
//! moves and features the flags may repeat but not contradict.

use std::path::Path;

use anyhow::Result;
use irl::tracks::{discretize_on_grid, grid_moves_of, Connectivity, Discretized, Scene, Track};

use super::discretize::DiscretizeArgs;
use super::files::load_mdp;

/// The tracks on the grid of the MDP in `grid`, with the grid's connectivity and `stay`.
/// `--cell`, `--connectivity` and `--stay` that disagree with the grid are errors.
pub fn on_grid(
    tracks: &[Track],
    grid: &Path,
    args: &DiscretizeArgs,
    connectivity: Option<Connectivity>,
) -> Result<(Discretized, Connectivity, bool)> {
    let mdp = load_mdp(grid)?;
    let in_grid = |e: irl::Error| e.in_file(grid);
    let scene = Scene::of_mdp(&mdp).map_err(in_grid)?;
    let (grid_connectivity, grid_stay) = grid_moves_of(&mdp).map_err(in_grid)?;
    let name = grid.display();
    if let Some(cell) = args.cell {
        if (cell - scene.cell).abs() > 1e-9 * scene.cell {
            anyhow::bail!(
                "--cell {cell} disagrees with --grid {name}, whose cells are {} m; leave --cell out",
                scene.cell
            );
        }
    }
    if let Some(c) = connectivity.filter(|&c| c != grid_connectivity) {
        anyhow::bail!(
            "--connectivity {} disagrees with --grid {name}, whose MDP has {} neighbours; leave --connectivity out",
            c.neighbours(),
            grid_connectivity.neighbours()
        );
    }
    if args.stay && !grid_stay {
        anyhow::bail!(
            "--stay disagrees with --grid {name}, whose MDP has no stay action; leave --stay out"
        );
    }
    let d = discretize_on_grid(tracks, &mdp).map_err(|e| e.in_file(&args.tracks))?;
    Ok((d, grid_connectivity, grid_stay))
}
