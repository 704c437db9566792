//! The product's figures, built from MDPs, models, demonstrations and recorded tracks:
//! maps of one value per state (reward, forecast visits) with paths and markers drawn
//! over them, and training curves.
//!
//! Grid MDPs place state s = y·width + x at cell (x, y); with a geometry in metres
//! ([`GridGeometry`]) the axes are in metres, otherwise in cells. A demonstration is
//! drawn as the polyline through its cells' centres ([`cell_path`]: white over a black
//! halo, visible on every colour of the map); a recorded track as the polyline through
//! its positions in metres ([`recorded_path`]: red), which needs a grid with a geometry
//! and positions inside the grid. Forecast visits are drawn on a log scale from
//! [`FORECAST_LOG_FLOOR`] times the largest visit count, so the start cell does not wash
//! out the rest of the map. The training curve shows how far the objective is from the
//! best value the fit reached, on a log axis, which shows convergence as a falling line
//! (see [`training_curve`]).

use std::path::Path;

use ndarray::{Array2, ArrayView1};

use super::colormap::Rgb;
use super::curve::{line_chart, AxisScale, LineChartSpec, Series};
use super::heatmap::{heatmap, ColorScale, HeatmapSpec, Marker, MarkerShape, Track};
use crate::demos::Trajectory;
use crate::error::{quote, Error, Result};
use crate::learn::IterationRecord;
use crate::mdp::{Grid, GridGeometry, Mdp};

/// Colour of recorded tracks.
pub const RECORDED_COLOR: Rgb = Rgb(230, 60, 60);
/// Colour of paths through cells, drawn over a [`CELL_PATH_HALO`].
pub const CELL_PATH_COLOR: Rgb = Rgb(255, 255, 255);
/// Colour of the halo under paths through cells.
pub const CELL_PATH_HALO: Rgb = Rgb(0, 0, 0);
const START_COLOR: Rgb = Rgb(255, 255, 255);
const GOAL_COLOR: Rgb = Rgb(255, 120, 200);
/// Width of tracks and paths in pixels at the default figure size.
const PATH_WIDTH: u32 = 2;

/// Bottom of the log colour scale of forecast visits, as a fraction of the largest.
pub const FORECAST_LOG_FLOOR: f64 = 1e-4;

fn grid_of(mdp: &Mdp) -> Result<(Grid, GridGeometry)> {
    let grid = mdp
        .grid()
        .ok_or_else(|| Error::param("mdp", "has no grid layout, so it cannot be drawn as a map"))?;
    Ok((grid, grid.geometry_or_cells()))
}

fn centre(grid: &Grid, geo: &GridGeometry, state: usize) -> (f64, f64) {
    let (x, y) = (state % grid.width, state / grid.width);
    (
        geo.origin_x + (x as f64 + 0.5) * geo.cell,
        geo.origin_y + (y as f64 + 0.5) * geo.cell,
    )
}

fn axis_label(grid: &Grid, axis: &str) -> String {
    if grid.geometry.is_some() {
        format!("{axis} (m)")
    } else {
        format!("{axis} (cells)")
    }
}

/// The polyline through a trajectory's cell centres, white over a black halo, listed in
/// the legend as `label`.
pub fn cell_path(mdp: &Mdp, trajectory: &Trajectory, label: &str) -> Result<Track> {
    let (grid, geo) = grid_of(mdp)?;
    let n = mdp.n_states();
    if let Some(&s) = trajectory.states.iter().find(|&&s| s >= n) {
        return Err(Error::param(
            "trajectory",
            format!(
                "trajectory {}: state {s} is out of range 0..{n}",
                quote(&trajectory.id)
            ),
        ));
    }
    Ok(Track {
        points: trajectory
            .states
            .iter()
            .map(|&s| centre(&grid, &geo, s))
            .collect(),
        color: CELL_PATH_COLOR,
        width: PATH_WIDTH,
        label: label.into(),
        halo: Some(CELL_PATH_HALO),
    })
}

/// The polyline through a recorded track's positions in metres, in red, listed in the
/// legend as `label`.
///
/// Errors: the MDP's grid has no position in metres, or a position lies outside the
/// grid (named by track and frame).
pub fn recorded_path(mdp: &Mdp, track: &crate::tracks::Track, label: &str) -> Result<Track> {
    let (grid, _) = grid_of(mdp)?;
    let geo = grid.geometry.ok_or_else(|| {
        Error::param(
            "mdp",
            "its grid has no position in metres (origin_x, origin_y, cell), so recorded \
             tracks cannot be placed on it",
        )
    })?;
    let x_range = (geo.origin_x, geo.origin_x + grid.width as f64 * geo.cell);
    let y_range = (geo.origin_y, geo.origin_y + grid.height as f64 * geo.cell);
    let slack = 1e-9 * geo.cell;
    let inside = |v: f64, (lo, hi): (f64, f64)| v >= lo - slack && v <= hi + slack;
    if let Some(p) = track
        .points
        .iter()
        .find(|p| !(inside(p.x, x_range) && inside(p.y, y_range)))
    {
        return Err(Error::InvalidTracks {
            place: format!("track {}, frame {}", quote(&track.id), p.frame),
            message: format!(
                "({}, {}) m lies outside the MDP's grid, which covers x ∈ [{}, {}] and \
                 y ∈ [{}, {}] m",
                p.x, p.y, x_range.0, x_range.1, y_range.0, y_range.1
            ),
        });
    }
    Ok(Track {
        points: track.points.iter().map(|p| (p.x, p.y)).collect(),
        color: RECORDED_COLOR,
        width: PATH_WIDTH,
        label: label.into(),
        halo: None,
    })
}

fn cell_marker(
    mdp: &Mdp,
    state: usize,
    label: &str,
    color: Rgb,
    shape: MarkerShape,
) -> Result<Marker> {
    let (grid, geo) = grid_of(mdp)?;
    let n = mdp.n_states();
    if state >= n {
        return Err(Error::param(
            "marker",
            format!("{label}: state {state} is out of range 0..{n}"),
        ));
    }
    Ok(Marker {
        position: centre(&grid, &geo, state),
        label: label.into(),
        color,
        shape,
    })
}

/// A white circle labelled "start" at the centre of `state`'s cell.
pub fn start_marker(mdp: &Mdp, state: usize) -> Result<Marker> {
    cell_marker(mdp, state, "start", START_COLOR, MarkerShape::Circle)
}

/// A pink square labelled "goal" at the centre of `state`'s cell.
pub fn goal_marker(mdp: &Mdp, state: usize) -> Result<Marker> {
    cell_marker(mdp, state, "goal", GOAL_COLOR, MarkerShape::Square)
}

/// A map of one value per state of a grid MDP, with what is drawn over it.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMap {
    /// One value per state.
    pub values: Vec<f64>,
    /// The title; a line break starts a smaller second line.
    pub title: String,
    pub color_bar_label: String,
    pub color_scale: ColorScale,
    pub tracks: Vec<Track>,
    pub markers: Vec<Marker>,
}

impl StateMap {
    /// A map of `values` on a linear colour scale, without a title or overlays.
    pub fn new(values: Vec<f64>, color_bar_label: &str) -> StateMap {
        StateMap {
            values,
            title: String::new(),
            color_bar_label: color_bar_label.into(),
            color_scale: ColorScale::Linear,
            tracks: Vec::new(),
            markers: Vec::new(),
        }
    }

    /// The reward map r(s) = θ·f(s) (state features; for state-action features, the
    /// mean over available actions).
    pub fn reward(mdp: &Mdp, theta: ArrayView1<f64>) -> StateMap {
        let reward = mdp.features().reward(theta, mdp.n_actions());
        let values = (0..mdp.n_states())
            .map(|s| {
                let available: Vec<usize> = (0..mdp.n_actions())
                    .filter(|&a| mdp.transitions().available(s, a))
                    .collect();
                if available.is_empty() {
                    reward.get(s, 0)
                } else {
                    available.iter().map(|&a| reward.get(s, a)).sum::<f64>()
                        / available.len() as f64
                }
            })
            .collect();
        StateMap::new(values, "reward θ·f(s)")
    }

    /// A map of a forecast's expected visits per state: on a log scale from
    /// [`FORECAST_LOG_FLOOR`] times the largest count when `log`, else linear.
    pub fn visits(visits: Vec<f64>, log: bool) -> StateMap {
        let mut map = StateMap::new(visits, "expected visits");
        if log {
            map.color_scale = ColorScale::Log {
                floor: FORECAST_LOG_FLOOR,
            };
        }
        map
    }

    /// Draw the map on `mdp`'s grid to `path` (`.png` or `.svg`).
    ///
    /// Errors: the MDP has no grid, the values are not one per state, or any error of
    /// [`heatmap`].
    pub fn draw(&self, mdp: &Mdp, path: &Path) -> Result<()> {
        let (grid, geo) = grid_of(mdp)?;
        if self.values.len() != mdp.n_states() {
            return Err(Error::param(
                "map values",
                format!(
                    "{} values for {} states, expected one per state",
                    self.values.len(),
                    mdp.n_states()
                ),
            ));
        }
        let field = Array2::from_shape_fn((grid.height, grid.width), |(y, x)| {
            self.values[y * grid.width + x]
        });
        let mut spec = HeatmapSpec::new(field.view(), (geo.origin_x, geo.origin_y), geo.cell);
        spec.title = self.title.clone();
        spec.color_bar_label = self.color_bar_label.clone();
        spec.color_scale = self.color_scale;
        spec.x_label = axis_label(&grid, "x");
        spec.y_label = axis_label(&grid, "y");
        spec.missing_label = "unreachable".into();
        spec.tracks = self.tracks.clone();
        spec.markers = self.markers.clone();
        heatmap(&spec, path)
    }
}

/// The points (iteration, J − J_best + ε) of a training curve and J_best, the lowest
/// objective. ε is a tenth of the smallest positive distance to J_best, so that the
/// iterations at the best value sit a decade below the nearest other one on a log axis;
/// when every objective equals J_best, ε = 10⁻¹² · max(|J_best|, 1).
fn distance_to_best(iterations: &[IterationRecord]) -> (Vec<(f64, f64)>, f64) {
    let best = iterations
        .iter()
        .map(|r| r.objective)
        .fold(f64::INFINITY, f64::min);
    let nearest = iterations
        .iter()
        .map(|r| r.objective - best)
        .filter(|&d| d > 0.0)
        .fold(f64::INFINITY, f64::min);
    let epsilon = if nearest.is_finite() {
        0.1 * nearest
    } else {
        1e-12 * best.abs().max(1.0)
    };
    let points = iterations
        .iter()
        .map(|r| (r.iteration as f64, r.objective - best + epsilon))
        .collect();
    (points, best)
}

/// The training curve: per iteration, how far the objective J is above the best value
/// J_best the fit reached, J − J_best + ε on a log axis (see `distance_to_best` for ε),
/// with J_best in the legend. A fit that converges shows a line falling by decades; one
/// that stalls shows a line that flattens out above ε.
///
/// Errors: no iterations, a non-finite objective, or any error of [`line_chart`].
pub fn training_curve(iterations: &[IterationRecord], title: &str, path: &Path) -> Result<()> {
    if let Some(r) = iterations.iter().find(|r| !r.objective.is_finite()) {
        return Err(Error::param(
            "training curve",
            format!(
                "iteration {}: objective {}, expected a finite number",
                r.iteration, r.objective
            ),
        ));
    }
    if iterations.is_empty() {
        return Err(Error::param("training curve", "no iterations recorded"));
    }
    let (points, best) = distance_to_best(iterations);
    let mut spec = LineChartSpec::new(
        title,
        "iteration",
        "objective − best (log scale)",
        vec![Series::new(
            format!("objective (NLL + λ‖θ‖²) per action − best {best:.6}"),
            points,
        )],
    );
    spec.y_scale = AxisScale::Log;
    line_chart(&spec, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdp::Features;
    use crate::plot::colormap::viridis;
    use crate::plot::testing::{
        assert_svg_texts, blob, blob_in, png_and_svg, read_png, svg_elements,
    };
    use crate::test_support::folder_entries;
    use crate::tracks::{grid_mdp, Connectivity, GridMoves, TrackPoint};

    /// A 4 × 3 grid of 0.5 m cells with its lower-left corner at (10 m, −2 m), or
    /// without a position in metres.
    fn grid_world(in_metres: bool) -> Mdp {
        let geometry = in_metres.then_some(GridGeometry {
            origin_x: 10.0,
            origin_y: -2.0,
            cell: 0.5,
        });
        let grid = Grid {
            width: 4,
            height: 3,
            geometry,
            lattice: None,
        };
        let moves = GridMoves::new(Connectivity::Eight, false);
        grid_mdp(grid, &moves, Features::one_hot(12), None).unwrap()
    }

    fn recorded(id: &str, points: &[(f64, f64)]) -> crate::tracks::Track {
        crate::tracks::Track {
            id: id.into(),
            points: points
                .iter()
                .enumerate()
                .map(|(i, &(x, y))| TrackPoint {
                    frame: 10 * i as i64,
                    x,
                    y,
                })
                .collect(),
        }
    }

    #[test]
    fn a_recorded_track_is_drawn_at_its_positions_in_metres() {
        let dir = tempfile::tempdir().unwrap();
        let mdp = grid_world(true);
        // Cell (0, 0) lowest, cell (3, 2) highest, the rest in between: their pixel
        // boxes give where the metres are.
        let mut values = vec![0.5; 12];
        values[0] = 0.0;
        values[11] = 1.0;
        let mut map = StateMap::new(values, "value");
        // A turn at (11.3 m, −0.9 m), well inside cell (2, 2) and away from the corners.
        let vertices = [(10.6, -1.6), (11.3, -0.9), (11.8, -1.4)];
        map.tracks
            .push(recorded_path(&mdp, &recorded("17", &vertices), "recorded").unwrap());
        let path = dir.path().join("map.png");
        map.draw(&mdp, &path).unwrap();
        let image = read_png(&path);

        let slice = viridis(25.5 / 256.0);
        let bar_left = blob(&image, slice).unwrap().bounds.0;
        let region = (0, 0, bar_left - 1, image.height());
        let low = blob_in(&image, viridis(0.0), region).unwrap();
        let high = blob_in(&image, viridis(1.0), region).unwrap();
        // Pixels per metre from the outer edges of the corner cells: 4 cells = 2 m wide.
        let per_metre = f64::from(high.bounds.2 + 1 - low.bounds.0) / 2.0;
        let up = f64::from(low.bounds.3 + 1 - high.bounds.1) / 1.5;
        assert!((per_metre - up).abs() < 1.0, "{per_metre} vs {up}");
        let to_pixel = |(x, y): (f64, f64)| {
            (
                f64::from(low.bounds.0) + (x - 10.0) * per_metre,
                f64::from(low.bounds.3 + 1) - (y + 2.0) * per_metre,
            )
        };
        for vertex in vertices {
            let (px, py) = to_pixel(vertex);
            let near = blob_in(
                &image,
                RECORDED_COLOR,
                (
                    (px - 2.0) as u32,
                    (py - 2.0) as u32,
                    (px + 2.0) as u32,
                    (py + 2.0) as u32,
                ),
            );
            assert!(
                near.is_some(),
                "no red pixel near {vertex:?} = ({px}, {py})"
            );
        }
        // Halfway along the first segment, and not in the middle of a cell's side.
        let (px, py) = to_pixel((10.95, -1.25));
        assert!(blob_in(
            &image,
            RECORDED_COLOR,
            (px as u32 - 2, py as u32 - 2, px as u32 + 2, py as u32 + 2)
        )
        .is_some());
        // The track is a line, not the whole map: about 2 px wide along its length.
        let red = blob_in(&image, RECORDED_COLOR, region).unwrap();
        let length = (0.7f64.hypot(0.7) + 0.5f64.hypot(0.5)) * per_metre;
        assert!(
            (red.count as f64) < 5.0 * length,
            "{} red pixels for {length} px of track",
            red.count
        );
    }

    #[test]
    fn recorded_tracks_need_metres_and_must_lie_on_the_grid() {
        let inside = recorded("7", &[(10.1, -1.9), (11.9, -0.6)]);
        let message = recorded_path(&grid_world(false), &inside, "t")
            .unwrap_err()
            .to_string();
        assert!(message.contains("no position in metres"), "{message}");
        // The grid covers x ∈ [10, 12], y ∈ [−2, −0.5]; frame 10 is north of it.
        let outside = recorded("far", &[(10.5, -1.0), (11.0, -0.4), (11.5, -1.0)]);
        let message = recorded_path(&grid_world(true), &outside, "t")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("track far, frame 10: (11, -0.4) m lies outside the MDP's grid")
                && message.contains("x ∈ [10, 12] and y ∈ [-2, -0.5] m"),
            "{message}"
        );
        // Positions on the edges are inside.
        let edges = recorded("e", &[(10.0, -2.0), (12.0, -0.5)]);
        assert_eq!(
            recorded_path(&grid_world(true), &edges, "t")
                .unwrap()
                .points,
            vec![(10.0, -2.0), (12.0, -0.5)]
        );
    }

    #[test]
    fn a_cell_path_runs_through_cell_centres_over_a_halo() {
        let mdp = grid_world(true);
        let walk = Trajectory {
            id: "w".into(),
            states: vec![0, 5, 6],
            actions: vec![4, 0],
        };
        let path = cell_path(&mdp, &walk, "cells").unwrap();
        // State 5 is cell (1, 1): centre (10 + 1.5·0.5, −2 + 1.5·0.5).
        assert_eq!(
            path.points,
            vec![(10.25, -1.75), (10.75, -1.25), (11.25, -1.25)]
        );
        assert_eq!(
            (path.color, path.halo),
            (CELL_PATH_COLOR, Some(CELL_PATH_HALO))
        );
        let bad = Trajectory {
            states: vec![0, 12],
            ..walk
        };
        let message = cell_path(&mdp, &bad, "cells").unwrap_err().to_string();
        assert!(
            message.contains("state 12 is out of range 0..12"),
            "{message}"
        );
        assert!(start_marker(&mdp, 12).is_err());
        assert_eq!(goal_marker(&mdp, 11).unwrap().position, (11.75, -0.75));
    }

    #[test]
    fn values_must_be_one_per_state_and_nothing_is_written_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let message = StateMap::new(vec![1.0; 11], "v")
            .draw(&grid_world(true), &dir.path().join("m.png"))
            .unwrap_err()
            .to_string();
        assert!(message.contains("11 values for 12 states"), "{message}");
        assert!(folder_entries(dir.path()).is_empty());
    }

    fn records(objectives: &[f64]) -> Vec<IterationRecord> {
        objectives
            .iter()
            .enumerate()
            .map(|(i, &objective)| IterationRecord {
                iteration: i as u64,
                objective,
                gradient_norm: 0.0,
                feature_residual: 0.0,
            })
            .collect()
    }

    #[test]
    fn the_distance_to_the_best_puts_the_best_a_decade_below_the_nearest() {
        let (points, best) = distance_to_best(&records(&[3.0, 2.0, 1.5, 1.501, 1.5]));
        assert_eq!(best, 1.5);
        // Nearest positive distance 0.001, so ε = 1e-4.
        let want = [1.5001, 0.5001, 1e-4, 0.0011, 1e-4];
        for ((x, y), (i, w)) in points.iter().zip(want.iter().enumerate()) {
            assert_eq!(*x, i as f64);
            assert!((y - w).abs() < 1e-12, "{points:?}");
        }
        let (flat, best) = distance_to_best(&records(&[-4.0, -4.0]));
        assert_eq!((best, flat[1].1), (-4.0, 4e-12));
    }

    #[test]
    fn the_training_curve_falls_by_decades_on_a_log_axis() {
        let dir = tempfile::tempdir().unwrap();
        // Distances to the best 1, 0.1, 0.01, 0.001 and 0 (drawn at ε = 1e-4).
        let iterations = records(&[2.0, 1.1, 1.01, 1.001, 1.0]);
        let (_, svg) = png_and_svg(dir.path(), "training", |path| {
            training_curve(&iterations, "fit\nconverged", path)
        });
        assert_svg_texts(
            &svg,
            &[
                "fit",
                "converged",
                "objective − best (log scale)",
                "objective (NLL + λ‖θ‖²) per action − best 1.000000",
                "1e-4",
                "0.001",
                "0.01",
                "0.1",
                "1",
            ],
        );
        let mut dots: Vec<(i32, i32)> = svg_elements(&svg, "circle")
            .into_iter()
            .map(|c| (c["cx"].parse().unwrap(), c["cy"].parse().unwrap()))
            .collect();
        dots.sort();
        assert_eq!(dots.len(), 5);
        let decades = [1.0001f64, 0.1001, 0.0101, 0.0011, 0.0001].map(f64::log10);
        let per_decade = f64::from(dots[4].1 - dots[0].1) / (decades[0] - decades[4]);
        assert!(per_decade > 50.0, "{per_decade} px per decade");
        for (dot, decade) in dots.iter().zip(decades) {
            let want = f64::from(dots[0].1) + (decades[0] - decade) * per_decade;
            assert!((f64::from(dot.1) - want).abs() <= 1.5, "{dots:?}");
        }
        let none = training_curve(&[], "t", &dir.path().join("none.png"));
        assert!(none.unwrap_err().to_string().contains("no iterations"));
    }
}
