//! The extent of recorded positions: their bounding box, with the row (track and frame)
//! of each extreme, so that a grid too large to build can be traced to the rows that
//! make it so — typically a stray position, or positions in pixels rather than metres.

use super::reader::Track;
use crate::error::{quote, Error, Result};

/// One side of the bounding box: the extreme coordinate and the row it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Extreme {
    /// The coordinate, in metres.
    pub value: f64,
    /// The track of the position.
    pub track: String,
    /// The frame of the position.
    pub frame: i64,
}

/// The bounding box of a set of positions, with the rows of its four sides (the first
/// row in file order where a side is reached by several).
#[derive(Debug, Clone, PartialEq)]
pub struct Extent {
    pub min_x: Extreme,
    pub max_x: Extreme,
    pub min_y: Extreme,
    pub max_y: Extreme,
}

impl Extent {
    /// The extent of every position of `tracks`. No position, or one that is not
    /// finite, is an error (the latter naming its track and frame).
    ///
    /// Complexity: O(number of positions), no allocation but the four track ids.
    pub fn of(tracks: &[Track]) -> Result<Self> {
        // (value, track index, frame) of min x, max x, min y, max y.
        let mut sides: Option<[(f64, usize, i64); 4]> = None;
        for (k, track) in tracks.iter().enumerate() {
            for p in &track.points {
                if !(p.x.is_finite() && p.y.is_finite()) {
                    return Err(Error::InvalidTracks {
                        place: format!("track {}, frame {}", quote(&track.id), p.frame),
                        message: format!("position ({}, {}) is not finite", p.x, p.y),
                    });
                }
                let [min_x, max_x, min_y, max_y] = sides.get_or_insert([
                    (p.x, k, p.frame),
                    (p.x, k, p.frame),
                    (p.y, k, p.frame),
                    (p.y, k, p.frame),
                ]);
                if p.x < min_x.0 {
                    *min_x = (p.x, k, p.frame);
                }
                if p.x > max_x.0 {
                    *max_x = (p.x, k, p.frame);
                }
                if p.y < min_y.0 {
                    *min_y = (p.y, k, p.frame);
                }
                if p.y > max_y.0 {
                    *max_y = (p.y, k, p.frame);
                }
            }
        }
        let sides =
            sides.ok_or_else(|| Error::param("tracks", "there are no positions to cover"))?;
        let [min_x, max_x, min_y, max_y] = sides.map(|(value, k, frame)| Extreme {
            value,
            track: tracks[k].id.clone(),
            frame,
        });
        Ok(Self {
            min_x,
            max_x,
            min_y,
            max_y,
        })
    }

    /// The four extreme positions with their rows:
    /// `x = 0.2 at track a, frame 0, x = 3000 at track b, frame 7, y = …`.
    pub fn extreme_rows(&self) -> String {
        [
            ("x", &self.min_x),
            ("x", &self.max_x),
            ("y", &self.min_y),
            ("y", &self.max_y),
        ]
        .iter()
        .map(|(axis, e)| {
            format!(
                "{axis} = {} at track {}, frame {}",
                e.value, e.track, e.frame
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
    }

    /// The error for a grid of `cells` (width, height) of side `cell` over this extent
    /// that cannot be built, `why` saying why: the extent, the grid, the extreme rows and
    /// what to check.
    pub fn too_large(&self, cell: f64, cells: (f64, f64), why: &str) -> Error {
        Error::InvalidTracks {
            place: "all positions".into(),
            message: format!(
                "they span {}, which on cells of {} m is a grid of {} × {} cells, {why}; {}",
                self.span(),
                number(cell),
                count(cells.0),
                count(cells.1),
                self.advice()
            ),
        }
    }

    /// The cause of a memory check of a grid of `cells` of side `cell` over this extent:
    /// the extent and the grid that make it large, the extreme rows and what to check.
    pub fn memory_cause(&self, cell: f64, cells: (usize, usize)) -> String {
        format!(
            "the positions span {}, a grid of {} × {} cells of {} m, which makes it that large; {}",
            self.span(),
            cells.0,
            cells.1,
            number(cell),
            self.advice()
        )
    }

    /// `x 0..300 m and y 0..20 m`.
    fn span(&self) -> String {
        format!(
            "x {}..{} m and y {}..{} m",
            number(self.min_x.value),
            number(self.max_x.value),
            number(self.min_y.value),
            number(self.max_y.value)
        )
    }

    /// The extreme rows and what to check in them.
    fn advice(&self) -> String {
        format!(
            "the extreme positions are {}. Check the units (positions in pixels rather than \
             metres?) and stray rows, or choose a larger cell size (--cell)",
            self.extreme_rows()
        )
    }
}

/// A coordinate as written, or in scientific notation when very large or small.
fn number(v: f64) -> String {
    if v == 0.0 || (1e-4..1e15).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// A cell count, whole below 10¹⁵ and in scientific notation above.
fn count(n: f64) -> String {
    if n < 1e15 {
        format!("{n:.0}")
    } else {
        format!("{n:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracks::reader::TrackPoint;

    fn track(id: &str, points: &[(i64, f64, f64)]) -> Track {
        Track {
            id: id.into(),
            points: points
                .iter()
                .map(|&(frame, x, y)| TrackPoint { frame, x, y })
                .collect(),
        }
    }

    #[test]
    fn each_side_names_its_row() {
        let tracks = [
            track("a", &[(0, 0.5, 2.0), (1, -1.0, 2.5)]),
            track("b", &[(7, 3000.0, 1.0), (8, 2.0, -0.5)]),
        ];
        let e = Extent::of(&tracks).unwrap();
        assert_eq!(
            e.extreme_rows(),
            "x = -1 at track a, frame 1; x = 3000 at track b, frame 7; \
             y = -0.5 at track b, frame 8; y = 2.5 at track a, frame 1"
        );
        let message = e.too_large(0.05, (60021.0, 61.0), "too many").to_string();
        assert!(
            message.contains("x -1..3000 m and y -0.5..2.5 m")
                && message.contains("grid of 60021 × 61 cells, too many")
                && message.contains("units"),
            "{message}"
        );
        let cause = e.memory_cause(0.05, (60021, 61));
        assert!(
            cause.starts_with("the positions span x -1..3000 m and y -0.5..2.5 m, a grid of 60021 × 61 cells of 0.05 m")
                && cause.contains("x = 3000 at track b, frame 7"),
            "{cause}"
        );
        assert_eq!(count(f64::INFINITY), "inf");
        assert_eq!(count(2e20), "2e20");
        assert_eq!(
            (number(-1e300), number(3000.0), number(1e-7)),
            ("-1e300".into(), "3000".into(), "1e-7".into())
        );
    }

    #[test]
    fn no_positions_or_a_non_finite_one_is_an_error() {
        assert!(Extent::of(&[]).is_err());
        let e = Extent::of(&[track("n", &[(0, 0.0, 0.0), (4, f64::NAN, 1.0)])])
            .unwrap_err()
            .to_string();
        assert!(e.contains("track n, frame 4"), "{e}");
    }
}
