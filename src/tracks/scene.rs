//! Scene geometry: a rectangle of square cells laid over recorded positions.
//!
//! Cell (x, y) covers [origin_x + x·c, origin_x + (x+1)·c) × [origin_y + y·c, origin_y + (y+1)·c)
//! for cell size c (metres); the far edges of the rectangle belong to the last row and
//! column. Its centre is (origin_x + (x + ½)·c, origin_y + (y + ½)·c), and its state index
//! is y·width + x, as in an MDP's `grid`. Cell y grows with the metre y ("north").
//!
//! Covering a set of positions (margin rule): along each axis with extent E = max − min,
//! the scene has n = ⌊E/c⌋ + 1 cells, centred on the positions, so each side gets the
//! margin (n·c − E)/2, which lies in (0, c/2]. When that margin would be below 10⁻⁶·c
//! (E a hair under a multiple of c), one more cell is added so that rounding can never
//! put an extreme position outside. With c = 0.5 m this gives the UCY sizes of the
//! dataset's README (zara01 28×32, zara02 30×32, students03 36×36).

use super::extent::Extent;
use super::reader::Track;
use crate::error::{Error, Result};
use crate::mdp::{Grid, GridGeometry, Mdp};

/// Largest number of cells a scene may have.
pub const MAX_CELLS: usize = 10_000_000;

/// A cell by its column `x` and row `y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    pub x: usize,
    pub y: usize,
}

/// A grid of `width` × `height` square cells of side `cell` metres whose lower-left corner
/// is (`origin_x`, `origin_y`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scene {
    pub origin_x: f64,
    pub origin_y: f64,
    pub cell: f64,
    pub width: usize,
    pub height: usize,
}

impl Scene {
    /// A scene with the given geometry, checked: finite origin, cell > 0, at least one
    /// cell, at most [`MAX_CELLS`].
    pub fn new(
        origin_x: f64,
        origin_y: f64,
        cell: f64,
        width: usize,
        height: usize,
    ) -> Result<Self> {
        if !(origin_x.is_finite() && origin_y.is_finite()) {
            return Err(Error::param("origin", "the scene origin must be finite"));
        }
        check_cell_size(cell)?;
        match width.checked_mul(height) {
            Some(n) if (1..=MAX_CELLS).contains(&n) => Ok(Self {
                origin_x,
                origin_y,
                cell,
                width,
                height,
            }),
            _ => Err(Error::param(
                "cell",
                format!("a scene of {width}×{height} cells is outside 1..={MAX_CELLS} cells; choose a larger cell size"),
            )),
        }
    }

    /// The smallest centred scene of `cell`-metre cells that covers every position of
    /// `tracks`, by the margin rule of the module documentation.
    pub fn covering(tracks: &[Track], cell: f64) -> Result<Self> {
        Self::covering_extent(&Extent::of(tracks)?, cell)
    }

    /// The scene of [`covering`](Self::covering) for positions with this extent. More
    /// than [`MAX_CELLS`] cells is an error that names the extent, the grid and the rows
    /// of the extreme positions.
    pub fn covering_extent(extent: &Extent, cell: f64) -> Result<Self> {
        check_cell_size(cell)?;
        let (origin_x, width) = centred_axis(extent.min_x.value, extent.max_x.value, cell);
        let (origin_y, height) = centred_axis(extent.min_y.value, extent.max_y.value, cell);
        if width * height > MAX_CELLS as f64 {
            return Err(extent.too_large(
                cell,
                (width, height),
                &format!("more than the {MAX_CELLS} cells a scene may have"),
            ));
        }
        Self::new(origin_x, origin_y, cell, width as usize, height as usize)
    }

    /// The scene of an MDP's grid, which must have its position in metres.
    pub fn of_mdp(mdp: &Mdp) -> Result<Self> {
        let grid = mdp.grid().ok_or_else(|| {
            Error::mdp(
                "grid",
                "the MDP has no grid; tracks can only be placed on a grid in metres",
            )
        })?;
        let g = grid.geometry.ok_or_else(|| {
            Error::mdp(
                "grid",
                format!(
                    "the {}×{} grid has no position in metres (origin_x, origin_y, cell); \
                     tracks can only be placed on a grid in metres",
                    grid.width, grid.height
                ),
            )
        })?;
        Self::new(g.origin_x, g.origin_y, g.cell, grid.width, grid.height)
            .map_err(|e| Error::mdp("grid", e.to_string()))
    }

    /// Number of cells (states).
    pub fn n_cells(&self) -> usize {
        self.width * self.height
    }

    /// The MDP grid layout.
    pub fn grid(&self) -> Grid {
        Grid {
            width: self.width,
            height: self.height,
            geometry: Some(GridGeometry {
                origin_x: self.origin_x,
                origin_y: self.origin_y,
                cell: self.cell,
            }),
            lattice: None,
        }
    }

    /// State index y·width + x of a cell.
    #[inline]
    pub fn state(&self, cell: Cell) -> usize {
        debug_assert!(cell.x < self.width && cell.y < self.height);
        cell.y * self.width + cell.x
    }

    /// The cell of a state index.
    #[inline]
    pub fn cell_of_state(&self, state: usize) -> Cell {
        Cell {
            x: state % self.width,
            y: state / self.width,
        }
    }

    /// The cell that contains the position (x, y) metres, or `None` outside the scene.
    pub fn cell_at(&self, x: f64, y: f64) -> Option<Cell> {
        let index = |value: f64, origin: f64, n: usize| {
            let u = (value - origin) / self.cell;
            (u >= 0.0 && u <= n as f64).then(|| (u.floor() as usize).min(n - 1))
        };
        Some(Cell {
            x: index(x, self.origin_x, self.width)?,
            y: index(y, self.origin_y, self.height)?,
        })
    }

    /// The centre of a cell, in metres.
    pub fn centre(&self, cell: Cell) -> (f64, f64) {
        (
            self.origin_x + (cell.x as f64 + 0.5) * self.cell,
            self.origin_y + (cell.y as f64 + 0.5) * self.cell,
        )
    }
}

fn check_cell_size(cell: f64) -> Result<()> {
    if cell.is_finite() && cell > 0.0 {
        Ok(())
    } else {
        Err(Error::param(
            "cell",
            format!("the cell size must be a positive number of metres, got {cell}"),
        ))
    }
}

/// Origin and number of cells along one axis: ⌊E/c⌋ + 1 cells centred on [min, max],
/// one more when the margin would vanish. The count is a float, so that an absurd
/// extent (or +∞ cells) can be reported before anything is converted or allocated.
fn centred_axis(min: f64, max: f64, cell: f64) -> (f64, f64) {
    let extent = max - min;
    let mut n = (extent / cell).floor() + 1.0;
    if (n * cell - extent) / 2.0 < 1e-6 * cell {
        n += 1.0;
    }
    let margin = (n * cell - extent) / 2.0;
    (min - margin, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracks::reader::TrackPoint;

    fn track(points: &[(f64, f64)]) -> Track {
        Track {
            id: "t".into(),
            points: points
                .iter()
                .enumerate()
                .map(|(i, &(x, y))| TrackPoint {
                    frame: i as i64,
                    x,
                    y,
                })
                .collect(),
        }
    }

    #[test]
    fn covering_scene_is_centred_with_the_documented_margin() {
        // x extent 1.7 m → ⌊3.4⌋ + 1 = 4 cells of 0.5 m, margin (2.0 − 1.7)/2 = 0.15 m;
        // y extent exactly 1.0 m → 3 cells, margin 0.25 m.
        let scene = Scene::covering(&[track(&[(0.3, -1.0), (2.0, 0.0)])], 0.5).unwrap();
        assert_eq!((scene.width, scene.height), (4, 3));
        assert!((scene.origin_x - 0.15).abs() < 1e-12);
        assert!((scene.origin_y + 1.25).abs() < 1e-12);
        assert_eq!(scene.cell_at(0.3, -1.0), Some(Cell { x: 0, y: 0 }));
        assert_eq!(scene.cell_at(2.0, 0.0), Some(Cell { x: 3, y: 2 }));
    }

    #[test]
    fn extent_a_hair_under_a_multiple_gets_one_more_cell() {
        let scene = Scene::covering(&[track(&[(0.0, 0.0), (1.0 - 1e-12, 0.0)])], 0.5).unwrap();
        assert_eq!(scene.width, 3);
        assert!(scene.cell_at(1.0 - 1e-12, 0.0).is_some());
    }

    #[test]
    fn cells_states_and_centres_agree() {
        let scene = Scene::new(-1.0, 2.0, 0.5, 5, 4).unwrap();
        let c = Cell { x: 3, y: 2 };
        assert_eq!(scene.state(c), 13);
        assert_eq!(scene.cell_of_state(13), c);
        assert_eq!(scene.centre(c), (0.75, 3.25));
        assert_eq!(scene.cell_at(0.75, 3.25), Some(c));
        assert_eq!(scene.cell_at(0.5, 3.0), Some(c));
        assert_eq!(scene.cell_at(1.5, 4.0), Some(Cell { x: 4, y: 3 }));
        assert_eq!(scene.cell_at(-1.01, 3.0), None);
        assert_eq!(scene.cell_at(1.51, 3.0), None);
        assert_eq!(scene.cell_at(f64::NAN, 3.0), None);
    }

    #[test]
    fn bad_geometry_is_rejected() {
        assert!(Scene::new(0.0, 0.0, 0.0, 2, 2).is_err());
        assert!(Scene::new(0.0, 0.0, 1.0, 0, 2).is_err());
        assert!(Scene::new(f64::NAN, 0.0, 1.0, 2, 2).is_err());
        assert!(Scene::covering(&[], 0.5).is_err());
    }

    #[test]
    fn a_scene_over_the_cell_bound_names_the_extreme_rows() {
        // x extent 3000 m on 0.05 m cells: 60001 columns (margin 0.025 m), y extent 20 m:
        // 401 rows; 60001 · 401 ≈ 2.4·10⁷ > 10⁷.
        let e = Scene::covering(&[track(&[(0.0, 0.0), (3000.0, 20.0)])], 0.05)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("grid of 60001 × 401 cells, more than the 10000000 cells")
                && e.contains("x = 3000 at track t, frame 1")
                && e.contains("larger cell size"),
            "{e}"
        );
        // So large that the count is not finite: still an error, not a conversion.
        let e = Scene::covering(&[track(&[(-1e300, 0.0), (1e300, 0.0)])], 1e-300)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x -1e300..1e300 m")
                && e.contains("cells of 1e-300 m is a grid of inf × 1 cells"),
            "{e}"
        );
    }

    #[test]
    fn the_scene_of_an_mdp_needs_a_grid_in_metres() {
        use crate::mdp::{Features, MdpParts, Transitions};
        let mdp = |grid: Option<Grid>| {
            Mdp::new(MdpParts {
                transitions: Transitions::from_arrays(2, 1, &[0, 1], &[0, 0], &[1, 0], &[1.0, 1.0])
                    .unwrap(),
                initial: None,
                terminal: vec![],
                features: Features::one_hot(2),
                action_names: None,
                grid,
            })
            .unwrap()
        };
        let scene = Scene::new(-1.0, 2.0, 0.5, 2, 1).unwrap();
        assert_eq!(Scene::of_mdp(&mdp(Some(scene.grid()))).unwrap(), scene);
        let e = Scene::of_mdp(&mdp(Some(Grid::new(2, 1))))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("at grid") && e.contains("no position in metres"),
            "{e}"
        );
        let e = Scene::of_mdp(&mdp(None)).unwrap_err().to_string();
        assert!(e.contains("has no grid"), "{e}");
    }
}
