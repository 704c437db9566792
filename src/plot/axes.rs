//! The axes of a chart, drawn alike in every figure: tick marks 5 px long (at the
//! default size), tick labels printed by [`tick_label`] in the tick font, axis
//! descriptions in the axis-label font, and optionally a light grey grid at the
//! labelled ticks. Line charts use the grid; heatmaps and their colour bars do not, and
//! a colour bar has no x axis.

use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;

use super::{drawing_error, tick_label, Typography};
use crate::error::Result;

/// Colour of the grid lines at the labelled ticks.
const GRID_COLOR: RGBColor = RGBColor(220, 220, 220);

/// What the axes of a chart show.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Axes<'a> {
    /// About how many labelled ticks the x axis gets; `None` leaves the x axis out.
    pub x_ticks: Option<usize>,
    /// About how many labelled ticks the y axis gets.
    pub y_ticks: usize,
    /// Description under the x axis (unused without an x axis).
    pub x_desc: &'a str,
    /// Description beside the y axis, rotated.
    pub y_desc: &'a str,
    /// Grey grid lines at the labelled ticks, or none.
    pub grid: bool,
}

/// Draw the axes of `chart` as `axes` describes them, scaled by `typo`.
pub(crate) fn draw_axes<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    typo: Typography,
    axes: &Axes<'_>,
) -> Result<()>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let label = |v: &f64| tick_label(*v);
    let mut mesh = chart.configure_mesh();
    if axes.grid {
        mesh.light_line_style(WHITE).bold_line_style(GRID_COLOR);
    } else {
        mesh.disable_mesh();
    }
    match axes.x_ticks {
        Some(ticks) => {
            mesh.x_labels(ticks)
                .x_label_formatter(&label)
                .x_desc(axes.x_desc);
        }
        None => {
            mesh.disable_x_axis();
        }
    }
    mesh.set_all_tick_mark_size(typo.px(5.0))
        .y_labels(axes.y_ticks)
        .y_label_formatter(&label)
        .label_style(typo.tick())
        .axis_desc_style(typo.axis_label())
        .y_desc(axes.y_desc)
        .draw()
        .map_err(drawing_error)
}
