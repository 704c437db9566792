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

use super::reader::Track;
use crate::error::{Error, Result};
use crate::mdp::{Grid, GridGeometry};

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
        check_cell_size(cell)?;
        let mut points = tracks.iter().flat_map(|t| &t.points).peekable();
        if points.peek().is_none() {
            return Err(Error::param("tracks", "there are no positions to cover"));
        }
        let (mut min_x, mut max_x, mut min_y, mut max_y) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for p in points {
            min_x = min_x.min(p.x);
            max_x = max_x.max(p.x);
            min_y = min_y.min(p.y);
            max_y = max_y.max(p.y);
        }
        let (origin_x, width) = centred_axis(min_x, max_x, cell)?;
        let (origin_y, height) = centred_axis(min_y, max_y, cell)?;
        Self::new(origin_x, origin_y, cell, width, height)
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

/// Origin and number of cells along one axis: ⌊E/c⌋ + 1 cells centred on [min, max].
fn centred_axis(min: f64, max: f64, cell: f64) -> Result<(f64, usize)> {
    let extent = max - min;
    let whole = (extent / cell).floor();
    if whole.is_nan() || whole >= MAX_CELLS as f64 {
        return Err(Error::param(
            "cell",
            format!("an extent of {extent} m needs more than {MAX_CELLS} cells of {cell} m"),
        ));
    }
    let mut n = whole as usize + 1;
    if (n as f64 * cell - extent) / 2.0 < 1e-6 * cell {
        n += 1;
    }
    let margin = (n as f64 * cell - extent) / 2.0;
    Ok((min - margin, n))
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
        let e = Scene::covering(&[track(&[(0.0, 0.0), (100.0, 100.0)])], 1e-4)
            .unwrap_err()
            .to_string();
        assert!(e.contains("larger cell size"), "{e}");
        assert!(Scene::covering(&[], 0.5).is_err());
    }
}
