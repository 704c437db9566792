//! From recorded pedestrian positions to a grid MDP and demonstrations.
//!
//! The pipeline: [`read_tracks`] parses CSV rows `track,frame,x,y` (metres) into
//! [`Track`]s; [`Scene::covering`] lays a grid of square cells over them (state =
//! y·width + x); [`discretize`] maps each track to a path of cells in which every step is
//! one legal move of a deterministic grid MDP (gaps filled along straight lines, repeated
//! cells collapsed or kept as `stay`), giving [`Demonstrations`](crate::demos::Demonstrations)
//! whose trajectory ids are the track ids; [`grid_features`] builds reward features from
//! the cells that the training demonstrations visited ([`visited_cells`]), to be put on
//! the MDP with [`Mdp::with_features`](crate::Mdp::with_features).
//!
//! Before a grid is built its size can be checked: [`Extent`] keeps the rows of the
//! extreme positions, [`Scene::covering_extent`] refuses more than [`MAX_CELLS`] cells
//! and [`check_grid_memory`] a grid MDP with features ([`GridMemory`], of cells or of a
//! kinematic lattice) over a memory limit, both naming those rows. [`discretize_on_grid`] puts new tracks on the grid of an existing MDP,
//! keeping its features, and cuts tracks at the positions outside it.
//!
//! ```
//! use irl::tracks::{discretize, grid_features, read_tracks, visited_cells};
//! use irl::tracks::{DiscretizeParams, GridFeatureParams};
//!
//! // One walker crossing 1.5 m eastwards in one 0.4 s step: with 0.5 m cells the scene
//! // is 4 × 1 cells and the jump of three cells is filled with two intermediate cells.
//! let csv = "track,frame,x,y\nw,0,0.1,0.1\nw,10,1.6,0.1\n";
//! let tracks = read_tracks(csv.as_bytes(), "example.csv")?;
//! let d = discretize(&tracks, &DiscretizeParams::new(0.5))?;
//! assert_eq!((d.scene.width, d.scene.height), (4, 1));
//! assert_eq!(d.demos.trajectories[0].states, vec![0, 1, 2, 3]);
//! assert_eq!(d.report.filled_gaps, 1);
//! let visited = visited_cells(&d.demos, d.scene.n_cells())?;
//! let mdp = d.mdp.with_features(grid_features(&d.scene, &visited, &GridFeatureParams::default())?)?;
//! d.demos.validate(&mdp)?;
//! # Ok::<(), irl::Error>(())
//! ```

mod discretize;
mod extent;
mod grid_features;
mod grid_memory;
mod lattice_mdp;
mod map_match;
mod on_grid;
mod reader;
mod resample;
mod scene;
mod timed;

pub use discretize::{
    discretize, discretize_in_scene, grid_mdp, line_cells, Connectivity, DiscretizeParams,
    DiscretizeReport, Discretized, GridMoves, OUTSIDE_EXAMPLES,
};
pub use extent::{Extent, Extreme};
pub use grid_features::{
    euclidean_distance_transform, grid_features, visited_cells, GridFeatureParams,
};
pub use grid_memory::{check_grid_memory, GridMemory};
pub use lattice_mdp::{lattice_grid, lattice_mdp, lattice_step, KINEMATIC_FEATURES};
pub use map_match::{map_match, match_positions, MatchedPiece};
pub use on_grid::{discretize_on_grid, grid_moves_of};
pub use reader::{read_tracks, read_tracks_file, Track, TrackPoint, TRACK_COLUMNS};
pub use resample::{resample, TimeStep, MAX_SAMPLES_PER_TRACK};
pub use scene::{Cell, Scene, MAX_CELLS};
pub use timed::{
    discretize_timed, timed_moves, write_positions, TimedDiscretized, TimedParams, TimedPositions,
    TimedReport,
};
