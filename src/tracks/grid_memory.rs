//! The memory guard of discretisation: what the grid MDP of a scene, its grid features
//! and the writing of its `irl-mdp/1` document will allocate, counted from the scene's
//! size before anything is allocated and checked against a [`MemoryLimit`].
//!
//! For a scene of S = W·H cells, A actions, N listed moves (each move (dx, dy) is listed
//! in (W − |dx|)·(H − |dy|) cells, `stay` in all S) and K grid features
//! (⌈W/R⌉·⌈H/R⌉ + 2 for regions of R cells, see [`grid_features`](super::grid_features)),
//! in bytes:
//!
//! ```text
//! transitions   4·(S·A + 1) + 12·N      the rows kept: pointers, successors, probabilities
//! features      8·S·K                    the feature table
//! cell arrays   44·S                     p0 and terminal masks of two MDPs, the visited
//!                                        cells and the distance arrays of the features
//! working       max(40·N + 24·S·A + 8,   building the rows: the entry arrays, their order
//!                   32·N + 40·S·K + 56·S) and row sums; writing mdp.json: the entry
//!                                        arrays and the feature rows as JSON values
//! ```
//!
//! The two working sets never live at once, so the larger counts. The tracks and the
//! demonstrations are not counted: they are as large as the input, not as the grid.

use super::discretize::GridMoves;
use super::extent::Extent;
use super::grid_features::GridFeatureParams;
use super::scene::Scene;
use crate::error::{Error, Result};
use crate::inference::{format_bytes, MemoryLimit};

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
        let r = features.region_size;
        if r == 0 {
            return Err(Error::param(
                "region_size",
                "regions need at least one cell",
            ));
        }
        let (w, h) = (scene.width as u64, scene.height as u64);
        let s = w * h;
        let a = moves.len() as u64;
        let n: u64 = (0..moves.len())
            .map(|action| {
                let (dx, dy) = moves.delta(action);
                w.saturating_sub(dx.unsigned_abs()) * h.saturating_sub(dy.unsigned_abs())
            })
            .sum();
        let k = w.div_ceil(r as u64) * h.div_ceil(r as u64) + 2;
        let sk = s.saturating_mul(k);
        let build = 40 * n + 24 * s * a + 8;
        let write = (32 * n)
            .saturating_add(sk.saturating_mul(40))
            .saturating_add(56 * s);
        Ok(Self {
            transitions: 4 * (s * a + 1) + 12 * n,
            features: sk.saturating_mul(8),
            cell_arrays: 44 * s,
            working: build.max(write),
        })
    }

    /// Total bytes.
    pub fn total(&self) -> u64 {
        self.transitions
            .saturating_add(self.features)
            .saturating_add(self.cell_arrays)
            .saturating_add(self.working)
    }

    /// The parts in binary units: `transitions 1.06 KiB, features 288 B, …`.
    pub fn parts(&self) -> String {
        format!(
            "transitions {}, features {}, cell arrays {}, working memory {}",
            format_bytes(self.transitions),
            format_bytes(self.features),
            format_bytes(self.cell_arrays),
            format_bytes(self.working)
        )
    }
}

/// Fail when the grid MDP and grid features of `scene`, laid over positions of
/// `extent`, would take more than `limit`: the error names the extent, the grid, the
/// memory by part and the rows of the extreme positions.
pub fn check_grid_memory(
    scene: &Scene,
    extent: &Extent,
    moves: &GridMoves,
    features: &GridFeatureParams,
    limit: MemoryLimit,
) -> Result<()> {
    let Some((limit_bytes, source)) = limit.resolve() else {
        return Ok(());
    };
    let memory = GridMemory::of(scene, moves, features)?;
    if memory.total() <= limit_bytes {
        return Ok(());
    }
    Err(extent.too_large(
        scene.cell,
        (scene.width as f64, scene.height as f64),
        &format!(
            "whose MDP and features would need {} ({}) but {source} is {} (--memory-limit)",
            format_bytes(memory.total()),
            memory.parts(),
            format_bytes(limit_bytes)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdp::Features;
    use crate::tracks::discretize::{grid_mdp, Connectivity};
    use crate::tracks::grid_features::grid_features;
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
        // Building: 40·58 + 24·96 + 8 = 4632 > writing: 32·58 + 40·36 + 56·12 = 3968.
        assert_eq!(m.working, 4632);
        assert_eq!(m.total(), 1084 + 288 + 528 + 4632);
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
        let message = check_grid_memory(&scene, &e, &moves, &features, MemoryLimit::Bytes(1 << 30))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("x 0..300 m and y 0..20 m")
                && message.contains("6001 × 401 cells")
                && message.contains("features 2.65 TiB")
                && message.contains("the memory limit is 1.00 GiB")
                && message.contains("x = 300 at track 7, frame 20"),
            "{message}"
        );
        assert!(check_grid_memory(&scene, &e, &moves, &features, MemoryLimit::Unlimited).is_ok());
        let small = Scene::new(0.0, 0.0, 1.0, 4, 3).unwrap();
        assert!(check_grid_memory(&small, &e, &moves, &features, MemoryLimit::Bytes(6532)).is_ok());
        assert!(
            check_grid_memory(&small, &e, &moves, &features, MemoryLimit::Bytes(6531)).is_err()
        );
    }
}
