//! The memory guard of discretisation: what the grid MDP of a scene (cells, or a
//! kinematic lattice over them), its features and the writing of its `irl-mdp/1`
//! document will allocate, counted from the scene's size before anything is allocated
//! and checked against a [`MemoryLimit`] in the style of every memory guard (see
//! [`MemoryEstimate`]), naming the extent of the positions and their extreme rows.
//!
//! **Cells.** For a scene of S = W·H cells, A actions, N listed moves (each move
//! (dx, dy) is listed in (W − |dx|)·(H − |dy|) cells, `stay` in all S) and K grid
//! features (⌈W/R⌉·⌈H/R⌉ + 2 for regions of R cells, see
//! [`grid_features`](super::grid_features)), in bytes:
//!
//! ```text
//! transitions   4·(S·A + 1) + 12·N      the rows kept: pointers, successors, probabilities
//! features      8·S·K                    the feature table
//! cell arrays   44·S                     p0 and terminal masks of two MDPs, the visited
//!                                        cells and the distance arrays of the features
//! working       40·N + 8·(S·A + 1)       building the rows: the entry arrays, their order
//!                                        and the row pointers
//! ```
//!
//! **Lattice.** With V displacements per cell, L = S·V states, A = 10 actions, N listed
//! steps (each (displacement, action) pair whose next displacement d′ exists is listed
//! in (W − |d′x|)·(H − |d′y|) cells) and K = K_cells + 7 features per state and action:
//!
//! ```text
//! transitions   4·(L·A + 1) + 12·N
//! features      8·L·A·K + 8·S·K_cells    the dense table, and the cell features under it
//! cell arrays   44·S + 9·L
//! working       52·N + 12·(L·A + 1)      the lists of steps, their order and the rows
//! ```
//!
//! Writing `mdp.json` streams the arrays from the MDP and takes nothing of their size.
//! The tracks and the demonstrations are not counted: they are as large as the input,
//! not as the grid.

use super::discretize::GridMoves;
use super::extent::Extent;
use super::grid_features::GridFeatureParams;
use super::lattice_mdp::KINEMATIC_FEATURES;
use super::scene::Scene;
use crate::error::{Error, Result};
use crate::inference::{product, MemoryEstimate, MemoryLimit};
use crate::mdp::{Lattice, LATTICE_ACTIONS};

/// What the grid MDP and grid features of a scene take, by part, in bytes (see the
/// module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridMemory {
    pub transitions: u64,
    pub features: u64,
    pub cell_arrays: u64,
    pub working: u64,
}

impl GridMemory {
    /// The count for `scene` under `moves`, with the grid features of `features`.
    pub fn of(scene: &Scene, moves: &GridMoves, features: &GridFeatureParams) -> Result<Self> {
        let k = cell_features(scene, features)?;
        let (w, h) = (scene.width as u64, scene.height as u64);
        let s = w * h;
        let a = moves.len() as u64;
        let n: u64 = (0..moves.len())
            .map(|action| listed_cells(w, h, moves.delta(action)))
            .sum();
        let rows = product(&[s, a]).saturating_add(1);
        Ok(Self {
            transitions: product(&[4, rows]).saturating_add(product(&[12, n])),
            features: product(&[8, s, k]),
            cell_arrays: product(&[44, s]),
            working: product(&[40, n]).saturating_add(product(&[8, rows])),
        })
    }

    /// The count for the kinematic `lattice` over `scene`, with the grid features of
    /// `features` as its cell features.
    pub fn lattice(scene: &Scene, lattice: Lattice, features: &GridFeatureParams) -> Result<Self> {
        let k_cells = cell_features(scene, features)?;
        let k = k_cells + KINEMATIC_FEATURES.len() as u64;
        let (w, h) = (scene.width as u64, scene.height as u64);
        let s = w * h;
        let l = product(&[s, lattice.n_displacements() as u64]);
        let a = LATTICE_ACTIONS as u64;
        let n: u64 = (0..lattice.n_displacements())
            .flat_map(|v| (0..LATTICE_ACTIONS).map(move |action| (v, action)))
            .filter_map(|(v, action)| lattice.step(lattice.displacement(v), action))
            .map(|step| listed_cells(w, h, step.moved))
            .sum();
        let rows = product(&[l, a]).saturating_add(1);
        Ok(Self {
            transitions: product(&[4, rows]).saturating_add(product(&[12, n])),
            features: product(&[8, l, a, k]).saturating_add(product(&[8, s, k_cells])),
            cell_arrays: product(&[44, s]).saturating_add(product(&[9, l])),
            working: product(&[52, n]).saturating_add(product(&[12, rows])),
        })
    }

    /// Total bytes.
    pub fn total(&self) -> u64 {
        self.estimate().total()
    }

    /// The parts as a memory estimate.
    pub fn estimate(&self) -> MemoryEstimate {
        MemoryEstimate::default()
            .with("transitions", self.transitions)
            .with("features", self.features)
            .with("cell arrays", self.cell_arrays)
            .with("working memory", self.working)
    }
}

/// K of the grid features of `scene`: ⌈W/R⌉·⌈H/R⌉ + 2.
fn cell_features(scene: &Scene, features: &GridFeatureParams) -> Result<u64> {
    let r = features.region_size as u64;
    if r == 0 {
        return Err(Error::param(
            "region_size",
            "regions need at least one cell",
        ));
    }
    Ok((scene.width as u64).div_ceil(r) * (scene.height as u64).div_ceil(r) + 2)
}

/// The cells of a W × H grid from which the step `(dx, dy)` stays on it.
fn listed_cells(w: u64, h: u64, (dx, dy): (i64, i64)) -> u64 {
    w.saturating_sub(dx.unsigned_abs()) * h.saturating_sub(dy.unsigned_abs())
}

/// Fail when `memory`, that of the grid MDP and features of `scene` laid over positions
/// of `extent`, exceeds `limit`: the error gives the memory by part and the limit, and
/// names the extent, the grid and the rows of the extreme positions.
pub fn check_grid_memory(
    scene: &Scene,
    extent: &Extent,
    memory: &GridMemory,
    limit: MemoryLimit,
) -> Result<()> {
    memory
        .estimate()
        .because(extent.memory_cause(scene.cell, (scene.width, scene.height)))
        .check("discretising", limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdp::Features;
    use crate::tracks::discretize::{grid_mdp, Connectivity};
    use crate::tracks::grid_features::grid_features;
    use crate::tracks::lattice_mdp::lattice_mdp;
    use crate::tracks::reader::{Track, TrackPoint};

    fn extent(points: &[(f64, f64)]) -> Extent {
        let track = Track {
            id: "7".into(),
            points: points
                .iter()
                .enumerate()
                .map(|(i, &(x, y))| TrackPoint {
                    frame: 10 * i as i64,
                    x,
                    y,
                })
                .collect(),
        };
        Extent::of(&[track]).unwrap()
    }

    #[test]
    fn a_four_by_three_grid_by_hand() {
        // S = 12, A = 8, N = 2·3·3 + 2·4·2 + 4·3·2 = 58, K = 1·1 + 2 = 3.
        let scene = Scene::new(0.0, 0.0, 1.0, 4, 3).unwrap();
        let moves = GridMoves::new(Connectivity::Eight, false);
        let m = GridMemory::of(&scene, &moves, &GridFeatureParams::default()).unwrap();
        assert_eq!(m.transitions, 4 * 97 + 12 * 58);
        assert_eq!(m.features, 8 * 12 * 3);
        assert_eq!(m.cell_arrays, 44 * 12);
        // Building: 40·58 + 8·97.
        assert_eq!(m.working, 3096);
        assert_eq!(m.total(), 1084 + 288 + 528 + 3096);
        // N and K are those of the MDP and the features that would be built.
        let mdp = grid_mdp(scene.grid(), &moves, Features::one_hot(12), None).unwrap();
        assert_eq!(mdp.transitions().nnz(), 58);
        let visited = vec![true; 12];
        let f = grid_features(&scene, &visited, &GridFeatureParams { region_size: 2 }).unwrap();
        let m2 = GridMemory::of(&scene, &moves, &GridFeatureParams { region_size: 2 }).unwrap();
        assert_eq!(m2.features, 8 * 12 * f.dim() as u64);
        // 4 moves and stay: N = 9 + 9 + 8 + 8 + 12 = 46.
        let four = GridMoves::new(Connectivity::Four, true);
        let m4 = GridMemory::of(&scene, &four, &GridFeatureParams::default()).unwrap();
        assert_eq!(m4.transitions, 4 * 61 + 12 * 46);
    }

    #[test]
    fn a_stray_row_over_the_limit_is_named_before_allocating() {
        // One stray position at x = 300 in a 20 m scene of 0.05 m cells: 6001 × 401
        // cells and ⌈6001/4⌉·⌈401/4⌉ + 2 = 151,603 features, 8·S·K ≈ 2.65 TiB of them.
        let e = extent(&[(0.0, 0.0), (20.0, 20.0), (300.0, 10.0)]);
        let scene = Scene::covering_extent(&e, 0.05).unwrap();
        assert_eq!((scene.width, scene.height), (6001, 401));
        let moves = GridMoves::new(Connectivity::Eight, false);
        let features = GridFeatureParams::default();
        let m = GridMemory::of(&scene, &moves, &features).unwrap();
        assert_eq!(m.features, 8 * 6001 * 401 * 151_603);
        let message = check_grid_memory(&scene, &e, &m, MemoryLimit::Bytes(1 << 30))
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("discretising would need ")
                && message.contains("features 2.65 TiB")
                && message.contains("the memory limit is 1.00 GiB")
                && message.contains("x 0..300 m and y 0..20 m, a grid of 6001 × 401 cells")
                && message.contains("x = 300 at track 7, frame 20"),
            "{message}"
        );
        assert!(check_grid_memory(&scene, &e, &m, MemoryLimit::Unlimited).is_ok());
        let small = Scene::new(0.0, 0.0, 1.0, 4, 3).unwrap();
        let m = GridMemory::of(&small, &moves, &features).unwrap();
        assert!(check_grid_memory(&small, &e, &m, MemoryLimit::Bytes(4996)).is_ok());
        assert!(check_grid_memory(&small, &e, &m, MemoryLimit::Bytes(4995)).is_err());
    }

    #[test]
    fn a_lattice_is_counted_from_the_steps_it_lists() {
        // A 3 × 2 scene, m = 1: V = 9, L = 54 states, 11 actions; one cell feature
        // table of K_cells = 1·1 + 2 = 3, so K = 11.
        let scene = Scene::new(0.0, 0.0, 0.5, 3, 2).unwrap();
        let lattice = Lattice {
            max_displacement: 1,
        };
        let features = GridFeatureParams::default();
        let m = GridMemory::lattice(&scene, lattice, &features).unwrap();
        let visited = vec![true; 6];
        let cells = grid_features(&scene, &visited, &features).unwrap();
        let mdp = lattice_mdp(&scene, lattice, &cells, 0.4, None).unwrap();
        let n = mdp.transitions().nnz() as u64;
        assert_eq!(m.transitions, 4 * (594 + 1) + 12 * n);
        assert_eq!(
            m.features,
            8 * 594 * mdp.features().dim() as u64 + 8 * 6 * 3
        );
        assert_eq!(m.cell_arrays, 44 * 6 + 9 * 54);
        assert_eq!(m.working, 52 * n + 12 * 595);
    }
}
