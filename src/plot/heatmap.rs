//! Heatmap of one value per grid cell, drawn in metres, with a colour bar and overlays.
//!
//! Cell (x, y) of a `height × width` grid (state y·width + x, row y of `values`) covers
//! the square [x₀ + x·c, x₀ + (x+1)·c] × [y₀ + y·c, y₀ + (y+1)·c] in metres, where
//! (x₀, y₀) is the grid's lower-left corner and c the cell size. The y axis points up and
//! both axes use the same number of pixels per metre, so cells stay square; the map takes
//! the largest size its aspect ratio allows, and the colour bar stands right beside it,
//! the two centred together, so a narrow or flat grid leaves no gap between them. A
//! finite value is coloured by its place on the [`ColorScale`] (linear, or logarithmic
//! for values spanning decades), over the given value range or else the finite values'
//! range (values outside are clamped); a non-finite value (NaN for "no value", ±∞) is
//! drawn in a neutral grey, listed under the colour bar. Tracks (polylines in metres,
//! optionally over a halo of another colour; all halos are drawn before all lines) and
//! labelled markers are drawn over the cells (a marker's label right of it, or left of
//! it where it would leave the map); tracks with a label are listed in a legend between the title and the map, one entry
//! per distinct label.

use std::path::Path;

use ndarray::ArrayView2;
use plotters::coord::combinators::IntoLogRange;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::{draw_axes, Axes};
pub use super::color_scale::ColorScale;
use super::color_scale::ValueScale;
use super::legend::{with_legend, LegendEntry, HALO_EXTRA};
use super::{
    colormap, drawing_error, linear_ticks, log_ticks, rgb, save, vertical_label_area, with_title,
    Figure, Rgb, Typography,
};
use crate::error::{Error, Result};

/// The colour of cells without a finite value.
pub const MISSING_COLOR: Rgb = Rgb(190, 190, 190);

/// Number of colour steps drawn in the colour bar.
const COLOR_BAR_STEPS: usize = 256;

/// A polyline in metres drawn over the heatmap, such as an observed track.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// Vertices (x, y) in metres.
    pub points: Vec<(f64, f64)>,
    pub color: Rgb,
    /// Line width in pixels at the default figure size.
    pub width: u32,
    /// Legend entry; tracks with the same label share one entry, and an empty label
    /// leaves the track out of the legend.
    pub label: String,
    /// A wider line of this colour drawn under the track, which keeps a light line
    /// visible on light cells.
    pub halo: Option<Rgb>,
}

impl Track {
    /// A track through `points` without a label or a halo.
    pub fn new(points: Vec<(f64, f64)>, color: Rgb, width: u32) -> Track {
        Track {
            points,
            color,
            width,
            label: String::new(),
            halo: None,
        }
    }
}

/// The symbol of a [`Marker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerShape {
    Circle,
    Square,
    Cross,
}

/// A labelled point in metres (a start or a goal).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Position (x, y) in metres.
    pub position: (f64, f64),
    /// Text printed beside the symbol; empty for none.
    pub label: String,
    pub color: Rgb,
    pub shape: MarkerShape,
}

/// Everything a heatmap shows.
#[derive(Debug, Clone)]
pub struct HeatmapSpec<'a> {
    /// One value per cell, indexed `[y][x]` (row y is grid row y, counted upwards).
    pub values: ArrayView2<'a, f64>,
    /// Lower-left corner (x₀, y₀) of cell (0, 0), in metres.
    pub origin: (f64, f64),
    /// Side of a square cell, in metres.
    pub cell_size: f64,
    /// The title; a line break starts a smaller second line.
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Text beside the colour bar (what the values are).
    pub color_bar_label: String,
    /// Text under the colour bar beside the grey swatch, shown when a value is not finite.
    pub missing_label: String,
    /// How values map onto the colormap.
    pub color_scale: ColorScale,
    /// Values mapped to the ends of the colormap; `None` derives them from the values
    /// (see [`ColorScale`]).
    pub value_range: Option<(f64, f64)>,
    pub tracks: Vec<Track>,
    pub markers: Vec<Marker>,
    /// Figure size in pixels (width, height).
    pub size: (u32, u32),
}

impl<'a> HeatmapSpec<'a> {
    /// A heatmap of `values` on a grid with lower-left corner `origin` and square cells
    /// of side `cell_size` metres; axes labelled "x (m)" and "y (m)", no title, a linear
    /// colour scale, no overlays, the default size.
    pub fn new(values: ArrayView2<'a, f64>, origin: (f64, f64), cell_size: f64) -> Self {
        HeatmapSpec {
            values,
            origin,
            cell_size,
            title: String::new(),
            x_label: "x (m)".into(),
            y_label: "y (m)".into(),
            color_bar_label: String::new(),
            missing_label: "no value".into(),
            color_scale: ColorScale::Linear,
            value_range: None,
            tracks: Vec::new(),
            markers: Vec::new(),
            size: super::DEFAULT_SIZE,
        }
    }
}

/// Draw the heatmap described by `spec` to `path` (`.png` or `.svg`).
///
/// Errors: an empty grid, a non-finite origin, a cell size that is not positive and
/// finite, an empty or non-finite value range (on a log scale: one that is not positive,
/// a floor outside (0, 1), or no positive value), non-finite track or marker
/// coordinates, a zero track width, a size outside the limits, an unknown extension, or
/// a write failure. Nothing is written on error.
pub fn heatmap(spec: &HeatmapSpec<'_>, path: &Path) -> Result<()> {
    let layout = Layout::check(spec)?;
    save(&Drawing { spec, layout }, spec.size, path)
}

/// Validated numbers the drawing needs.
#[derive(Debug, Clone, Copy)]
struct Layout {
    scale: ValueScale,
    /// Whether any cell has no finite value.
    has_missing: bool,
    /// Extent in metres: x range and y range.
    x_range: (f64, f64),
    y_range: (f64, f64),
}

impl Layout {
    fn check(spec: &HeatmapSpec<'_>) -> Result<Layout> {
        let (height, width) = spec.values.dim();
        if height == 0 || width == 0 {
            return Err(Error::param(
                "heatmap.values",
                format!("{height}×{width} cells: expected at least one row and one column"),
            ));
        }
        let (x0, y0) = spec.origin;
        if !(x0.is_finite() && y0.is_finite()) {
            return Err(Error::param(
                "heatmap.origin",
                format!("({x0}, {y0}): expected finite coordinates in metres"),
            ));
        }
        let c = spec.cell_size;
        if !(c.is_finite() && c > 0.0) {
            return Err(Error::param(
                "heatmap.cell_size",
                format!("{c}: expected a positive finite length in metres"),
            ));
        }
        let x_range = (x0, x0 + width as f64 * c);
        let y_range = (y0, y0 + height as f64 * c);
        if !(x_range.1.is_finite() && y_range.1.is_finite()) {
            return Err(Error::param(
                "heatmap.cell_size",
                format!("{c} m × {width}×{height} cells: the grid's extent overflows"),
            ));
        }
        let scale = ValueScale::resolve(spec.color_scale, spec.value_range, spec.values)?;
        for (t, track) in spec.tracks.iter().enumerate() {
            if track.width == 0 {
                return Err(Error::param(
                    "heatmap.tracks",
                    format!("track {t}: width 0, expected at least 1 pixel"),
                ));
            }
            if let Some(i) = track
                .points
                .iter()
                .position(|&(x, y)| !(x.is_finite() && y.is_finite()))
            {
                let (x, y) = track.points[i];
                return Err(Error::param(
                    "heatmap.tracks",
                    format!("track {t}, point {i}: ({x}, {y}), expected finite metres"),
                ));
            }
        }
        for (m, marker) in spec.markers.iter().enumerate() {
            let (x, y) = marker.position;
            if !(x.is_finite() && y.is_finite()) {
                return Err(Error::param(
                    "heatmap.markers",
                    format!(
                        "marker {m} ({}): ({x}, {y}), expected finite metres",
                        marker.label
                    ),
                ));
            }
        }
        Ok(Layout {
            scale,
            has_missing: spec.values.iter().any(|v| !v.is_finite()),
            x_range,
            y_range,
        })
    }

    /// The colour of a cell value.
    fn color(&self, value: f64) -> Rgb {
        if value.is_finite() {
            colormap::viridis(self.scale.fraction(value))
        } else {
            MISSING_COLOR
        }
    }

    /// The values the colour bar would label if it had room for `labels` ticks.
    fn bar_ticks(&self, labels: usize) -> Vec<f64> {
        let range = (self.scale.lo, self.scale.hi);
        if self.scale.log {
            log_ticks(range, labels)
        } else {
            linear_ticks(range, labels)
        }
    }
}

/// A polyline `width` pixels wide, drawn segment by segment with a round joint at each
/// inner vertex. (plotters fills a wide polyline as one polygon, which folds over itself
/// where a path turns back, as paths through cells often do.)
fn draw_polyline<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    points: &[(f64, f64)],
    color: Rgb,
    width: u32,
) -> Result<()> {
    let style = rgb(color).stroke_width(width);
    let segments = points
        .windows(2)
        .map(|pair| PathElement::new(vec![pair[0], pair[1]], style));
    chart.draw_series(segments).map_err(drawing_error)?;
    if width >= 3 && points.len() > 2 {
        let radius = width / 2;
        let joints = points[1..points.len() - 1]
            .iter()
            .map(|&p| Circle::new(p, radius, rgb(color).filled()));
        chart.draw_series(joints).map_err(drawing_error)?;
    }
    Ok(())
}

/// One legend entry per distinct non-empty track label, in the order of the tracks.
fn legend_entries(tracks: &[Track]) -> Vec<LegendEntry> {
    let mut entries: Vec<LegendEntry> = Vec::new();
    for track in tracks {
        if !track.label.is_empty() && entries.iter().all(|e| e.label != track.label) {
            entries.push(LegendEntry {
                label: track.label.clone(),
                color: track.color,
                width: track.width,
                halo: track.halo,
            });
        }
    }
    entries
}

struct Drawing<'s, 'a> {
    spec: &'s HeatmapSpec<'a>,
    layout: Layout,
}

impl Figure for Drawing<'_, '_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let spec = self.spec;
        let typo = Typography::for_size(spec.size);
        root.fill(&WHITE).map_err(drawing_error)?;
        let body = with_title(root, &spec.title, typo)?;
        let body = with_legend(&body, &legend_entries(&spec.tracks), typo)?;
        let bar = self.color_bar_geometry(&body, typo)?;
        let frame = self.frame(&body, &bar, typo)?;
        let (map_area, bar_area) = body.split_horizontally(frame.map_area_width);
        self.draw_map(&map_area, &frame, typo)?;
        self.draw_color_bar(&bar_area, &frame, &bar, typo)
    }
}

/// Most ticks asked for on an axis or on the colour bar.
const TICKS: usize = 8;

/// Where the map and the colour bar go: the map's margins and label areas, chosen so
/// that a metre has the same length on both axes and the map with the colour bar beside
/// it is centred in the figure, and the vertical extent of the colour bar: the map's
/// height, or a minimum height centred on the map when the grid is too flat for a
/// readable bar. Tick counts follow the pixel lengths.
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// Width of the area holding the map with its axes; the colour bar's column starts
    /// at its right edge, where the map ends.
    map_area_width: u32,
    left: u32,
    top: u32,
    bottom: u32,
    x_label_area: u32,
    y_label_area: u32,
    x_ticks: usize,
    y_ticks: usize,
    bar_top: u32,
    bar_bottom: u32,
    bar_ticks: usize,
}

/// Number of ticks for an axis `length` pixels long with ticks at least `spacing` apart.
fn tick_count(length: f64, spacing: u32) -> usize {
    ((length / f64::from(spacing)) as usize).clamp(2, TICKS)
}

/// Horizontal pixel sizes of the colour bar's column, left to right.
#[derive(Debug, Clone, Copy)]
struct ColorBarGeometry {
    gap: u32,
    bar: u32,
    labels: u32,
    /// Room right of the labels; the rotated description is drawn partly into it.
    margin: u32,
    /// Width of the grey swatch and its label, when there are non-finite values.
    swatch: u32,
}

impl ColorBarGeometry {
    fn total_width(&self) -> u32 {
        (self.gap + self.bar + self.labels + self.margin).max(self.gap + self.swatch)
    }
}

impl Drawing<'_, '_> {
    /// The colour bar's label: the given one, with "log scale" added on a log scale.
    fn color_bar_label(&self) -> String {
        let label = &self.spec.color_bar_label;
        match (self.layout.scale.log, label.is_empty()) {
            (false, _) => label.clone(),
            (true, true) => "log scale".into(),
            (true, false) => format!("{label} (log scale)"),
        }
    }

    fn color_bar_geometry<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        typo: Typography,
    ) -> Result<ColorBarGeometry> {
        let labels = vertical_label_area(
            area,
            typo,
            &self.layout.bar_ticks(TICKS),
            !self.color_bar_label().is_empty(),
        )?;
        let bar = typo.px(24.0);
        let swatch = if self.layout.has_missing {
            let (text_w, _) = area
                .estimate_text_size(&self.spec.missing_label, &typo.tick())
                .map_err(drawing_error)?;
            bar + typo.px(6.0) + text_w + typo.px(10.0)
        } else {
            0
        };
        Ok(ColorBarGeometry {
            gap: typo.px(12.0),
            bar,
            labels,
            margin: typo.px(12.0),
            swatch,
        })
    }

    fn frame<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        bar: &ColorBarGeometry,
        typo: Typography,
    ) -> Result<Frame> {
        let (w, h) = area.dim_in_pixel();
        let bar_width = bar.total_width().min(w / 3);
        let margin = typo.px(15.0);
        let x_label_area = typo.px(60.0);
        let y_ticks = linear_ticks(self.layout.y_range, TICKS);
        let y_label_area = vertical_label_area(area, typo, &y_ticks, true)?;
        let available_w = w
            .saturating_sub(2 * margin + y_label_area + bar_width)
            .max(1);
        let available_h = h.saturating_sub(2 * margin + x_label_area).max(1);
        let (x_min, x_max) = self.layout.x_range;
        let (y_min, y_max) = self.layout.y_range;
        let pixels_per_metre = (f64::from(available_w) / (x_max - x_min))
            .min(f64::from(available_h) / (y_max - y_min));
        let plot_w = ((pixels_per_metre * (x_max - x_min)).round() as u32).clamp(1, available_w);
        let plot_h = ((pixels_per_metre * (y_max - y_min)).round() as u32).clamp(1, available_h);
        let left = margin + (available_w - plot_w) / 2;
        let top = margin + (available_h - plot_h) / 2;
        let bar_h = plot_h.max(typo.px(240.0).min(available_h));
        let bar_top = (i64::from(top) + i64::from(plot_h) / 2 - i64::from(bar_h) / 2)
            .clamp(0, i64::from(h.saturating_sub(bar_h))) as u32;
        Ok(Frame {
            map_area_width: left + y_label_area + plot_w,
            left,
            top,
            bottom: h.saturating_sub(top + plot_h + x_label_area),
            x_label_area,
            y_label_area,
            x_ticks: tick_count(f64::from(plot_w), typo.px(75.0)),
            y_ticks: tick_count(f64::from(plot_h), typo.px(45.0)),
            bar_top,
            bar_bottom: h.saturating_sub(bar_top + bar_h),
            bar_ticks: tick_count(f64::from(bar_h), typo.px(45.0)),
        })
    }

    fn draw_map<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        frame: &Frame,
        typo: Typography,
    ) -> Result<()> {
        let spec = self.spec;
        let layout = &self.layout;
        let (x_min, x_max) = layout.x_range;
        let (y_min, y_max) = layout.y_range;
        let mut chart = ChartBuilder::on(area)
            .margin_left(frame.left)
            .margin_right(0)
            .margin_top(frame.top)
            .margin_bottom(frame.bottom)
            .x_label_area_size(frame.x_label_area)
            .y_label_area_size(frame.y_label_area)
            .build_cartesian_2d(x_min..x_max, y_min..y_max)
            .map_err(drawing_error)?;
        let axes = Axes {
            x_ticks: Some(frame.x_ticks),
            y_ticks: frame.y_ticks,
            x_desc: &spec.x_label,
            y_desc: &spec.y_label,
            grid: false,
        };
        draw_axes(&mut chart, typo, &axes)?;

        let (x0, y0) = spec.origin;
        let c = spec.cell_size;
        let cells = spec.values.indexed_iter().map(|((y, x), &value)| {
            let corner = (x0 + x as f64 * c, y0 + y as f64 * c);
            let opposite = (corner.0 + c, corner.1 + c);
            Rectangle::new([corner, opposite], rgb(layout.color(value)).filled())
        });
        chart.draw_series(cells).map_err(drawing_error)?;

        // Every halo first, then every line, so that no track's halo covers another's
        // line.
        let halos = spec.tracks.iter().filter_map(|t| {
            t.halo
                .map(|halo| (t, halo, f64::from(t.width) + HALO_EXTRA))
        });
        let lines = spec.tracks.iter().map(|t| (t, t.color, f64::from(t.width)));
        for (track, color, width) in halos.chain(lines) {
            draw_polyline(&mut chart, &track.points, color, typo.px(width))?;
        }

        for marker in &spec.markers {
            self.draw_marker(&mut chart, marker, typo)?;
        }
        Ok(())
    }

    fn draw_marker<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        marker: &Marker,
        typo: Typography,
    ) -> Result<()> {
        let r = typo.px(8.0) as i32;
        let at = EmptyElement::at(marker.position);
        let fill = rgb(marker.color).filled();
        let outline = BLACK.stroke_width(typo.px(2.0));
        let drawn = match marker.shape {
            MarkerShape::Circle => chart.draw_series(std::iter::once(
                at + Circle::new((0, 0), r, fill) + Circle::new((0, 0), r, outline),
            )),
            MarkerShape::Square => chart.draw_series(std::iter::once(
                at + Rectangle::new([(-r, -r), (r, r)], fill)
                    + Rectangle::new([(-r, -r), (r, r)], outline),
            )),
            MarkerShape::Cross => chart.draw_series(std::iter::once(
                at + Cross::new((0, 0), r, BLACK.stroke_width(typo.px(7.0)))
                    + Cross::new((0, 0), r, rgb(marker.color).stroke_width(typo.px(4.0))),
            )),
        };
        drawn.map_err(drawing_error)?;
        if marker.label.is_empty() {
            return Ok(());
        }
        let style = typo.tick();
        let (text_w, text_h) = chart
            .plotting_area()
            .estimate_text_size(&marker.label, &style)
            .map_err(drawing_error)?;
        let pad = typo.px(3.0) as i32;
        let (text_w, text_h) = (text_w as i32, text_h as i32);
        // Right of the symbol, or left of it when the label would leave the map.
        let box_w = text_w + 2 * pad;
        let (x_pixels, _) = chart.plotting_area().get_pixel_range();
        let (marker_x, _) = chart.backend_coord(&marker.position);
        let left = if marker_x + r + pad + box_w > x_pixels.end {
            -r - pad - box_w
        } else {
            r + pad
        };
        let label = EmptyElement::at(marker.position)
            + Rectangle::new(
                [(left, -text_h / 2 - pad), (left + box_w, text_h / 2 + pad)],
                WHITE.mix(0.85).filled(),
            )
            + Text::new(marker.label.clone(), (left + pad, -text_h / 2), style);
        chart
            .draw_series(std::iter::once(label))
            .map_err(drawing_error)?;
        Ok(())
    }

    fn draw_color_bar<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        frame: &Frame,
        geometry: &ColorBarGeometry,
        typo: Typography,
    ) -> Result<()> {
        let scale = self.layout.scale;
        if scale.log {
            self.draw_color_bar_on(
                area,
                frame,
                geometry,
                typo,
                (scale.lo..scale.hi).log_scale(),
            )?;
        } else {
            self.draw_color_bar_on(
                area,
                frame,
                geometry,
                typo,
                RangedCoordf64::from(scale.lo..scale.hi),
            )?;
        }
        if self.layout.has_missing {
            self.draw_missing_swatch(area, frame, geometry, typo)?;
        }
        Ok(())
    }

    /// The colour bar on a value axis `y_axis`: slices of equal height, each in the
    /// colour of the value at its middle, framed in black, ticked in values.
    fn draw_color_bar_on<DB, Y>(
        &self,
        area: &DrawingArea<DB, Shift>,
        frame: &Frame,
        geometry: &ColorBarGeometry,
        typo: Typography,
        y_axis: Y,
    ) -> Result<()>
    where
        DB: DrawingBackend,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let scale = self.layout.scale;
        let (area_w, _) = area.dim_in_pixel();
        let right = area_w.saturating_sub(geometry.gap + geometry.bar + geometry.labels);
        let mut bar = ChartBuilder::on(area)
            .margin_left(geometry.gap)
            .margin_top(frame.bar_top)
            .margin_bottom(frame.bar_bottom)
            .margin_right(right)
            .set_label_area_size(LabelAreaPosition::Right, geometry.labels)
            .build_cartesian_2d(RangedCoordf64::from(0.0..1.0), y_axis)
            .map_err(drawing_error)?;
        let label = self.color_bar_label();
        let axes = Axes {
            x_ticks: None,
            y_ticks: frame.bar_ticks,
            x_desc: "",
            y_desc: &label,
            grid: false,
        };
        draw_axes(&mut bar, typo, &axes)?;
        let steps = COLOR_BAR_STEPS as f64;
        let slices = (0..COLOR_BAR_STEPS).map(|k| {
            let (bottom, top) = (
                scale.value_at(k as f64 / steps),
                scale.value_at((k + 1) as f64 / steps),
            );
            let color = colormap::viridis((k as f64 + 0.5) / steps);
            Rectangle::new([(0.0, bottom), (1.0, top)], rgb(color).filled())
        });
        bar.draw_series(slices).map_err(drawing_error)?;
        bar.draw_series(std::iter::once(Rectangle::new(
            [(0.0, scale.lo), (1.0, scale.hi)],
            BLACK.stroke_width(1),
        )))
        .map_err(drawing_error)?;
        Ok(())
    }

    /// A grey square under the colour bar with the label for non-finite values.
    fn draw_missing_swatch<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        frame: &Frame,
        geometry: &ColorBarGeometry,
        typo: Typography,
    ) -> Result<()> {
        let (_, area_h) = area.dim_in_pixel();
        let bar_bottom = area_h as i32 - frame.bar_bottom as i32;
        let top = bar_bottom + typo.px(14.0) as i32;
        let (left, side) = (geometry.gap as i32, geometry.bar as i32);
        area.draw(&Rectangle::new(
            [(left, top), (left + side, top + side)],
            rgb(MISSING_COLOR).filled(),
        ))
        .map_err(drawing_error)?;
        area.draw(&Rectangle::new(
            [(left, top), (left + side, top + side)],
            BLACK.stroke_width(1),
        ))
        .map_err(drawing_error)?;
        area.draw(&Text::new(
            self.spec.missing_label.clone(),
            (left + side + typo.px(6.0) as i32, top + side / 2),
            typo.tick().pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(drawing_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::testing::{assert_svg_texts, blob, blob_in, png_and_svg, read_png, Blob};
    use crate::test_support::folder_entries;
    use ndarray::{array, Array2};

    fn found(image: &image::RgbImage, color: Rgb) -> Blob {
        blob(image, color).unwrap_or_else(|| panic!("no pixel of colour {color:?}"))
    }

    #[test]
    fn png_and_svg_show_title_axes_and_colour_bar() {
        let dir = tempfile::tempdir().unwrap();
        let values = array![[0.0, 1.0, 0.25], [f64::NAN, 0.5, 0.75]];
        let mut spec = HeatmapSpec::new(values.view(), (10.0, -2.0), 2.0);
        spec.title = "Soft value of each cell".into();
        spec.color_bar_label = "V(s) [nats]".into();
        spec.missing_label = "unreachable".into();
        spec.size = (800, 600);
        spec.markers.push(Marker {
            position: (11.0, -1.0),
            label: "start".into(),
            color: Rgb(255, 255, 255),
            shape: MarkerShape::Circle,
        });
        let (png, document) = png_and_svg(dir.path(), "map", |path| heatmap(&spec, path));
        assert_eq!(png.dimensions(), (800, 600));
        assert!(document.contains(r#"width="800" height="600""#));
        assert_svg_texts(
            &document,
            &[
                "Soft value of each cell",
                "x (m)",
                "y (m)",
                "V(s) [nats]",
                "unreachable",
                "start",
            ],
        );
        // The grid spans x ∈ [10, 16] and y ∈ [−2, 2] metres; the colour bar [0, 1].
        assert_svg_texts(&document, &["10", "16", "-2", "2", "0.6"]);
    }

    #[test]
    fn cells_take_their_value_colour_with_y_up_and_square_cells() {
        let dir = tempfile::tempdir().unwrap();
        // Row y = 0 is the bottom row; (x = 0, y = 1) has no value.
        let values = array![[0.0, 1.0, 0.25], [f64::NAN, 0.5, 0.75]];
        let mut spec = HeatmapSpec::new(values.view(), (0.0, 0.0), 1.0);
        spec.title = "orientation".into();
        spec.tracks
            .push(Track::new(vec![(0.5, 0.5), (2.5, 0.5)], Rgb(255, 0, 0), 3));
        spec.markers.push(Marker {
            position: (1.5, 1.5),
            label: String::new(),
            color: Rgb(255, 0, 255),
            shape: MarkerShape::Square,
        });
        let path = dir.path().join("cells.png");
        heatmap(&spec, &path).unwrap();
        let image = read_png(&path);

        // The colour bar's slices may share the cells' colours: cells are looked for left
        // of the bar, found by a slice colour that no cell has.
        let slice = colormap::viridis(25.5 / COLOR_BAR_STEPS as f64);
        let map = (0, 0, found(&image, slice).bounds.0 - 1, image.height());
        let in_map = |t: f64| {
            blob_in(&image, colormap::viridis(t), map)
                .unwrap_or_else(|| panic!("no cell of viridis({t})"))
        };
        let low = in_map(0.0); // cell (0, 0)
        let high = in_map(1.0); // cell (1, 0)
        let middle = in_map(0.5); // cell (1, 1)
        let quarter = in_map(0.25); // cell (2, 0)
        assert!(low.count > 20_000 && high.count > 20_000 && quarter.count > 20_000);

        // Cells are squares: the red track crosses the low cell but not its corners.
        assert!(low.width().abs_diff(low.height()) <= 1, "{low:?}");
        // x grows to the right along the bottom row.
        assert!((high.centre.1 - low.centre.1).abs() < 2.0);
        assert!((quarter.centre.1 - low.centre.1).abs() < 2.0);
        let pitch = high.centre.0 - low.centre.0;
        assert!(pitch > 100.0);
        assert!((quarter.centre.0 - high.centre.0 - pitch).abs() < 2.0);
        // y grows upwards, with the same pixels per metre as x.
        assert!((middle.centre.0 - high.centre.0).abs() < 2.0);
        assert!((high.centre.1 - middle.centre.1 - pitch).abs() < 2.0);
        // The grey cell is the square right above the low cell.
        let column_above_low = (low.bounds.0, 0, low.bounds.2, low.bounds.1 - 1);
        let missing = blob_in(&image, MISSING_COLOR, column_above_low).unwrap();
        assert_eq!(
            (missing.bounds.0, missing.bounds.2),
            (low.bounds.0, low.bounds.2)
        );
        assert_eq!(missing.bounds.3 + 1, low.bounds.1);
        assert!(
            missing.width().abs_diff(missing.height()) <= 1,
            "{missing:?}"
        );

        // Overlays land where their metres say.
        let track = found(&image, Rgb(255, 0, 0));
        assert!((track.centre.1 - low.centre.1).abs() < 2.0);
        assert!((track.centre.0 - high.centre.0).abs() < 2.0);
        assert!((track.width() as f64 - 2.0 * pitch).abs() < 4.0);
        let marker = found(&image, Rgb(255, 0, 255));
        assert!((marker.centre.0 - middle.centre.0).abs() < 2.0);
        assert!((marker.centre.1 - middle.centre.1).abs() < 2.0);
    }

    #[test]
    fn a_given_value_range_sets_the_colours_and_clamps() {
        let dir = tempfile::tempdir().unwrap();
        let values = array![[5.0, 20.0, -3.0]];
        let mut spec = HeatmapSpec::new(values.view(), (0.0, 0.0), 1.0);
        spec.value_range = Some((0.0, 10.0));
        let path = dir.path().join("range.png");
        heatmap(&spec, &path).unwrap();
        let image = read_png(&path);
        for t in [0.5, 1.0, 0.0] {
            assert!(
                found(&image, colormap::viridis(t)).count > 10_000,
                "t = {t}"
            );
        }
        // All values are finite: no grey swatch (a few anti-aliased text pixels may
        // share its grey; the swatch alone would be over 400).
        let grey = blob(&image, MISSING_COLOR).map_or(0, |b| b.count);
        assert!(grey < 100, "{grey} grey pixels");
    }

    #[test]
    fn invalid_specs_are_refused_and_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.png");
        let values = array![[0.0, 1.0]];
        let empty = Array2::<f64>::zeros((0, 3));
        let valid = HeatmapSpec::new(values.view(), (0.0, 0.0), 1.0);
        let track = |points: Vec<(f64, f64)>, width| Track::new(points, Rgb(0, 0, 0), width);
        let cases: Vec<(HeatmapSpec<'_>, &str)> = vec![
            (
                HeatmapSpec::new(empty.view(), (0.0, 0.0), 1.0),
                "heatmap.values",
            ),
            (
                HeatmapSpec {
                    cell_size: 0.0,
                    ..valid.clone()
                },
                "heatmap.cell_size",
            ),
            (
                HeatmapSpec {
                    cell_size: f64::NAN,
                    ..valid.clone()
                },
                "heatmap.cell_size",
            ),
            (
                HeatmapSpec {
                    origin: (f64::NAN, 0.0),
                    ..valid.clone()
                },
                "heatmap.origin",
            ),
            (
                HeatmapSpec {
                    cell_size: 1e308,
                    ..valid.clone()
                },
                "extent overflows",
            ),
            (
                HeatmapSpec {
                    value_range: Some((1.0, 1.0)),
                    ..valid.clone()
                },
                "heatmap.value_range",
            ),
            (
                HeatmapSpec {
                    value_range: Some((0.0, f64::INFINITY)),
                    ..valid.clone()
                },
                "heatmap.value_range",
            ),
            (
                HeatmapSpec {
                    tracks: vec![track(vec![(0.0, 0.0), (1.0, 1.0)], 0)],
                    ..valid.clone()
                },
                "track 0: width 0",
            ),
            (
                HeatmapSpec {
                    tracks: vec![track(vec![(0.0, 0.0), (1.0, f64::NAN)], 2)],
                    ..valid.clone()
                },
                "track 0, point 1",
            ),
            (
                HeatmapSpec {
                    markers: vec![Marker {
                        position: (f64::INFINITY, 0.0),
                        label: "goal".into(),
                        color: Rgb(0, 0, 0),
                        shape: MarkerShape::Cross,
                    }],
                    ..valid.clone()
                },
                "marker 0 (goal)",
            ),
            (
                HeatmapSpec {
                    size: (100, 100),
                    ..valid.clone()
                },
                "size",
            ),
        ];
        for (spec, expected) in cases {
            let message = heatmap(&spec, &path).unwrap_err().to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
        let message = heatmap(&valid, &dir.path().join("map.jpg"))
            .unwrap_err()
            .to_string();
        assert!(message.contains("map.jpg") && message.contains(".png or .svg"));
        assert!(folder_entries(dir.path()).is_empty());
    }

    /// The colour-bar slice used to find the bar: a colour no test cell has.
    fn bar_slice() -> Rgb {
        colormap::viridis(100.5 / COLOR_BAR_STEPS as f64)
    }

    /// A grid of `width` × `height` cells all at the top colour (value 2 clamped into
    /// the range [0, 1]).
    fn top_coloured(width: usize, height: usize) -> Array2<f64> {
        Array2::from_elem((height, width), 2.0)
    }

    #[test]
    fn narrow_and_flat_grids_have_the_colour_bar_right_beside_the_map() {
        let dir = tempfile::tempdir().unwrap();
        for (width, height) in [(28usize, 60usize), (60, 10)] {
            let values = top_coloured(width, height);
            let mut spec = HeatmapSpec::new(values.view(), (0.0, 0.0), 0.5);
            spec.value_range = Some((0.0, 1.0));
            spec.title = format!("{width} × {height}");
            spec.color_bar_label = "value".into();
            let path = dir.path().join(format!("{width}x{height}.png"));
            heatmap(&spec, &path).unwrap();
            let image = read_png(&path);
            let bar = found(&image, bar_slice());
            let region = (0, 0, bar.bounds.0 - 1, image.height());
            let map = blob_in(&image, colormap::viridis(1.0), region).unwrap();
            assert_eq!(map.count as u32, map.width() * map.height(), "{map:?}");
            // The gap is the bar's own 12 px (with its frame and rounding), not what the
            // map's aspect ratio leaves.
            let gap = bar.bounds.0 - map.bounds.2 - 1;
            assert!((11..=15).contains(&gap), "{width}×{height}: gap {gap} px");
            // Square cells: the map has the grid's aspect ratio.
            let aspect = f64::from(map.width()) / f64::from(map.height());
            let want = width as f64 / height as f64;
            assert!((aspect / want - 1.0).abs() < 0.01, "{aspect} vs {want}");
            // The bar (the run of non-white pixels through one of its slices, its frame
            // included) spans the map's height, at least 240 px, and is centred on it.
            let x = bar.centre.0 as u32;
            let coloured = |y: u32| image.get_pixel(x, y).0 != [255; 3];
            let mut top = bar.bounds.1;
            while top > 0 && coloured(top - 1) {
                top -= 1;
            }
            let mut bottom = bar.bounds.3;
            while bottom + 1 < image.height() && coloured(bottom + 1) {
                bottom += 1;
            }
            let bar_height = bottom - top + 1;
            assert!(bar_height + 2 >= map.height().max(240), "{top}..={bottom}");
            let bar_centre = f64::from(top + bottom) / 2.0;
            assert!(
                (bar_centre - map.centre.1).abs() <= 2.0,
                "{top}..={bottom} {map:?}"
            );
            // Map and bar are centred together: the white margins on the left and right
            // of everything drawn differ by less than the y axis' labels.
            let drawn: Vec<u32> = (0..image.width())
                .filter(|&x| (0..image.height()).any(|y| image.get_pixel(x, y).0 != [255; 3]))
                .collect();
            let (first, last) = (drawn[0], *drawn.last().unwrap());
            let (left, right) = (first, image.width() - 1 - last);
            assert!(
                left.abs_diff(right) < 40,
                "{width}×{height}: {left} vs {right}"
            );
            if height > width {
                assert!(map.height() > 450, "{map:?}");
            } else {
                assert!(map.width() > 550, "{map:?}");
            }
        }
    }

    #[test]
    fn a_log_scale_gives_each_decade_an_equal_step_of_colour() {
        let dir = tempfile::tempdir().unwrap();
        // Bottom row: 2 and 0.2 visits; top row: 0.02 and none. With a floor of 1e-3 of
        // the largest, the scale spans [0.002, 2]: three decades.
        let values = array![[2.0, 0.2], [0.02, 0.0]];
        let mut spec = HeatmapSpec::new(values.view(), (0.0, 0.0), 1.0);
        spec.color_scale = ColorScale::Log { floor: 1e-3 };
        spec.color_bar_label = "expected visits".into();
        let (image, svg) = png_and_svg(dir.path(), "visits", |path| heatmap(&spec, path));
        let bar = found(&image, colormap::viridis(25.5 / COLOR_BAR_STEPS as f64));
        let region = (0, 0, bar.bounds.0 - 1, image.height());
        let cell = |t: f64| {
            blob_in(&image, colormap::viridis(t), region)
                .unwrap_or_else(|| panic!("no cell of viridis({t})"))
        };
        let (one, tenth, hundredth, none) =
            (cell(1.0), cell(2.0 / 3.0), cell(1.0 / 3.0), cell(0.0));
        for c in [one, tenth, hundredth, none] {
            assert!(c.count > 20_000, "{c:?}");
        }
        assert!(tenth.centre.0 > one.centre.0 + 100.0);
        assert!(hundredth.centre.1 < one.centre.1 - 100.0);
        assert!((none.centre.0 - tenth.centre.0).abs() < 2.0);
        // Ticked in visits at the powers of ten inside the scale.
        assert_svg_texts(&svg, &["expected visits (log scale)", "0.01", "0.1", "1"]);
    }

    #[test]
    fn labelled_tracks_are_listed_once_in_a_legend_above_the_map() {
        let dir = tempfile::tempdir().unwrap();
        let values = top_coloured(4, 3);
        let mut spec = HeatmapSpec::new(values.view(), (0.0, 0.0), 1.0);
        spec.value_range = Some((0.0, 1.0));
        let labelled = |points, color, label: &str| Track {
            label: label.into(),
            ..Track::new(points, color, 3)
        };
        let (red, blue) = (Rgb(255, 0, 0), Rgb(0, 0, 255));
        spec.tracks = vec![
            labelled(vec![(0.5, 0.5), (3.5, 0.5)], red, "observed"),
            labelled(vec![(0.5, 1.5), (3.5, 1.5)], blue, "forecast samples"),
            labelled(vec![(0.5, 2.0), (3.5, 2.0)], blue, "forecast samples"),
            Track {
                halo: Some(Rgb(0, 0, 0)),
                ..labelled(vec![(0.5, 2.5), (3.5, 2.5)], Rgb(255, 255, 255), "cells")
            },
            Track::new(vec![(1.0, 0.0), (1.0, 3.0)], Rgb(0, 255, 0), 3),
        ];
        let (image, svg) = png_and_svg(dir.path(), "legend", |path| heatmap(&spec, path));
        let texts = crate::plot::testing::svg_texts(&svg);
        for label in ["observed", "forecast samples", "cells"] {
            assert_eq!(texts.iter().filter(|t| *t == label).count(), 1, "{label}");
        }
        let bar = found(&image, bar_slice());
        let map = blob_in(
            &image,
            colormap::viridis(1.0),
            (0, 0, bar.bounds.0 - 1, image.height()),
        )
        .unwrap();
        let above = (0, 0, image.width() - 1, map.bounds.1 - 1);
        // Sample lines 30 px long and 3 px wide, in the order of the tracks; the
        // unlabelled green track has none.
        let red_sample = blob_in(&image, red, above).unwrap();
        let blue_sample = blob_in(&image, blue, above).unwrap();
        assert!(
            (red_sample.width() as i32 - 30).abs() <= 2,
            "{red_sample:?}"
        );
        assert!(red_sample.height() <= 4, "{red_sample:?}");
        assert!(blue_sample.centre.0 > red_sample.centre.0 + 30.0);
        assert!((blue_sample.centre.1 - red_sample.centre.1).abs() < 1.0);
        assert!(blob_in(&image, Rgb(0, 255, 0), above).is_none());
        // The white sample shows by its black halo: a run of black 3 px above the
        // entries' centre line, longer than any run in the labels' text.
        let y = red_sample.centre.1.round() as u32 - 3;
        let longest = (0..image.width())
            .map(|x| image.get_pixel(x, y).0 == [0, 0, 0])
            .fold((0, 0), |(run, best), black| {
                let run = if black { run + 1 } else { 0 };
                (run, best.max(run))
            })
            .1;
        assert!(longest >= 28, "longest black run {longest} px");
        // Over the map, the halo frames the white line.
        let over_map = (map.bounds.0, map.bounds.1, map.bounds.2, map.bounds.3);
        assert!(blob_in(&image, Rgb(0, 0, 0), over_map).unwrap().count > 200);
    }

    #[test]
    fn a_marker_label_that_would_leave_the_map_goes_left_of_the_marker() {
        let dir = tempfile::tempdir().unwrap();
        let values = array![[0.0, 1.0, 0.5, 0.25]];
        let mut spec = HeatmapSpec::new(values.view(), (0.0, 0.0), 1.0);
        // A label of about 120 px does not fit right of the last cell's centre, about
        // 75 px from the map's edge.
        for (x, label) in [(0.5, "goal of the walk"), (3.5, "start of the walk")] {
            spec.markers.push(Marker {
                position: (x, 0.5),
                label: label.into(),
                color: Rgb(255, 255, 255),
                shape: MarkerShape::Circle,
            });
        }
        let path = dir.path().join("markers.svg");
        heatmap(&spec, &path).unwrap();
        let svg = std::fs::read_to_string(path).unwrap();
        let text_x = |label: &str| {
            let end = svg
                .find(&format!(">{label}<"))
                .or_else(|| svg.find(&format!(">\n{label}")));
            let start = svg[..end.expect("the label is drawn")]
                .rfind("<text ")
                .unwrap();
            let x = &svg[start..].split("x=\"").nth(1).unwrap();
            x[..x.find('"').unwrap()].parse::<f64>().unwrap()
        };
        let mut circles: Vec<f64> = crate::plot::testing::svg_elements(&svg, "circle")
            .iter()
            .map(|c| c["cx"].parse().unwrap())
            .collect();
        circles.sort_by(f64::total_cmp);
        let (left_marker, right_marker) = (circles[0], *circles.last().unwrap());
        assert!(
            text_x("goal of the walk") > left_marker,
            "goal label left of its marker"
        );
        assert!(
            text_x("start of the walk") + 100.0 < right_marker,
            "start label not left of its marker"
        );
    }

    #[test]
    fn a_path_that_turns_back_is_drawn_at_its_full_width() {
        let dir = tempfile::tempdir().unwrap();
        let values = top_coloured(4, 1);
        let mut spec = HeatmapSpec::new(values.view(), (0.0, 0.0), 1.0);
        spec.value_range = Some((0.0, 1.0));
        let red = Rgb(255, 0, 0);
        // There and back along the row, as a path through cells does after a slip.
        spec.tracks
            .push(Track::new(vec![(0.5, 0.5), (3.5, 0.5), (0.5, 0.5)], red, 6));
        let path = dir.path().join("back.png");
        heatmap(&spec, &path).unwrap();
        let image = read_png(&path);
        let bar = found(&image, bar_slice());
        let map = blob_in(
            &image,
            colormap::viridis(1.0),
            (0, 0, bar.bounds.0 - 1, image.height()),
        )
        .unwrap();
        let line = found(&image, red);
        // 3 of the 4 cells long (give or take the line's width at its ends) and 6 px wide.
        let length = 0.75 * f64::from(map.width() + 1);
        assert!(
            (f64::from(line.width()) - length).abs() <= 6.0,
            "{line:?} {map:?}"
        );
        assert!((5..=7).contains(&line.height()), "{line:?}");
        assert!(line.count as f64 >= 0.9 * 6.0 * length, "{line:?}");
    }
}
