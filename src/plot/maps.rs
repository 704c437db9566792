//! The product's figures, built from MDPs, models and demonstrations: reward maps,
//! visitation / forecast maps with observed tracks drawn over them, training curves.
//!
//! Grid MDPs place state s = y·width + x at cell (x, y); with a geometry in metres
//! ([`GridGeometry`]) the axes are in metres, otherwise in cells. A trajectory is drawn
//! as the polyline through its cells' centres.

use std::path::Path;

use ndarray::{Array2, ArrayView1};

use super::colormap::Rgb;
use super::curve::{line_chart, LineChartSpec, Series};
use super::heatmap::{heatmap, HeatmapSpec, Marker, MarkerShape, Track};
use crate::demos::Trajectory;
use crate::error::{Error, Result};
use crate::learn::IterationRecord;
use crate::mdp::{Grid, GridGeometry, Mdp};

const TRACK_COLOR: Rgb = Rgb(230, 60, 60);
const START_COLOR: Rgb = Rgb(255, 255, 255);
const GOAL_COLOR: Rgb = Rgb(255, 120, 200);

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

/// The polyline through a trajectory's cell centres.
pub fn trajectory_track(
    mdp: &Mdp,
    trajectory: &Trajectory,
    color: Rgb,
    width: u32,
) -> Result<Track> {
    let (grid, geo) = grid_of(mdp)?;
    Ok(Track {
        points: trajectory
            .states
            .iter()
            .map(|&s| centre(&grid, &geo, s))
            .collect(),
        color,
        width,
    })
}

/// Draw per-state `values` as a map of the MDP's grid with trajectories over it.
pub fn state_map(
    mdp: &Mdp,
    values: ArrayView1<f64>,
    title: &str,
    color_bar_label: &str,
    trajectories: &[&Trajectory],
    markers: &[(usize, &str)],
    path: &Path,
) -> Result<()> {
    let (grid, geo) = grid_of(mdp)?;
    let field = Array2::from_shape_fn((grid.height, grid.width), |(y, x)| {
        values[y * grid.width + x]
    });
    let mut spec = HeatmapSpec::new(field.view(), (geo.origin_x, geo.origin_y), geo.cell);
    spec.title = title.into();
    spec.color_bar_label = color_bar_label.into();
    spec.x_label = axis_label(&grid, "x");
    spec.y_label = axis_label(&grid, "y");
    spec.missing_label = "unreachable".into();
    for traj in trajectories {
        spec.tracks
            .push(trajectory_track(mdp, traj, TRACK_COLOR, 2)?);
    }
    for (i, &(state, label)) in markers.iter().enumerate() {
        let (color, shape) = if i == 0 {
            (START_COLOR, MarkerShape::Circle)
        } else {
            (GOAL_COLOR, MarkerShape::Square)
        };
        spec.markers.push(Marker {
            position: centre(&grid, &geo, state),
            label: label.into(),
            color,
            shape,
        });
    }
    heatmap(&spec, path)
}

/// The reward map r(s) = θ·f(s) (state features; for state-action features, the mean
/// over available actions).
pub fn reward_map(
    mdp: &Mdp,
    theta: ArrayView1<f64>,
    title: &str,
    trajectories: &[&Trajectory],
    path: &Path,
) -> Result<()> {
    let reward = mdp.features().reward(theta, mdp.n_actions());
    let values: Vec<f64> = (0..mdp.n_states())
        .map(|s| {
            let available: Vec<usize> = (0..mdp.n_actions())
                .filter(|&a| mdp.transitions().available(s, a))
                .collect();
            if available.is_empty() {
                reward.get(s, 0)
            } else {
                available.iter().map(|&a| reward.get(s, a)).sum::<f64>() / available.len() as f64
            }
        })
        .collect();
    state_map(
        mdp,
        ArrayView1::from(&values),
        title,
        "reward θ·f(s)",
        trajectories,
        &[],
        path,
    )
}

/// The training curve: objective per iteration.
pub fn training_curve(iterations: &[IterationRecord], title: &str, path: &Path) -> Result<()> {
    let points = iterations
        .iter()
        .map(|r| (r.iteration as f64, r.objective))
        .collect();
    let spec = LineChartSpec::new(
        title,
        "iteration",
        "objective (NLL + λ‖θ‖²) per action",
        vec![Series::new("objective", points)],
    );
    line_chart(&spec, path)
}
