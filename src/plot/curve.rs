//! Line charts: named series of (x, y) points with optional ± error bars and a legend.
//!
//! Used for training curves (the distance of the objective to its best value per
//! iteration, on a logarithmic y axis) and for a metric against the number of
//! demonstrations, where the x axis is logarithmic. Each series is drawn as straight
//! segments between its points in the given order, with a dot at each point (series of
//! at most 40 points; denser ones are plain lines) and, when errors are given, a vertical
//! bar from y − e to y + e. The axes span the data (error bars included) plus 4 % of the
//! span on each side, measured in log units on a logarithmic axis. A logarithmic x axis
//! is ticked at powers of 2 when x_max / x_min ≤ 1000 (N = 4, 8, …, 128) and at powers of
//! 10 otherwise; a logarithmic y axis at powers of 10.

use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{draw_axes, Axes};
use super::{
    drawing_error, linear_ticks, log_ticks, rgb, save, series_color, vertical_label_area,
    with_title, Figure, Rgb, Typography,
};
use crate::error::{Error, Result};

/// Fraction of the data span added on each side of an axis.
const PADDING: f64 = 0.04;

/// Number of ticks asked for on each axis.
const TICKS: usize = 10;

/// Series with more points than this are drawn as lines without dots.
const MAX_POINTS_WITH_DOTS: usize = 40;

/// Largest x_max / x_min for which a logarithmic axis is ticked at powers of 2.
const BINARY_TICKS_MAX_RATIO: f64 = 1000.0;

/// How values map to an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AxisScale {
    #[default]
    Linear,
    /// Equal ratios take equal lengths; every value on the axis must be positive.
    Log,
}

/// One named line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend entry; an empty name leaves the series out of the legend.
    pub name: String,
    /// Points (x, y) in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Half-length e ≥ 0 of the error bar at each point, or `None` for no bars.
    pub errors: Option<Vec<f64>>,
    /// Line colour; `None` takes the palette colour of the series' position.
    pub color: Option<Rgb>,
}

impl Series {
    /// A series without error bars in the palette colour of its position.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.into(),
            points,
            errors: None,
            color: None,
        }
    }
}

/// Everything a line chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChartSpec {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub x_scale: AxisScale,
    /// On a logarithmic y axis every y − e (the bottom of its error bar) must be positive.
    pub y_scale: AxisScale,
    /// Figure size in pixels (width, height).
    pub size: (u32, u32),
}

impl LineChartSpec {
    /// A chart of `series` with linear axes at the default size.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
        series: Vec<Series>,
    ) -> LineChartSpec {
        LineChartSpec {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series,
            x_scale: AxisScale::Linear,
            y_scale: AxisScale::Linear,
            size: super::DEFAULT_SIZE,
        }
    }
}

/// Draw the line chart described by `spec` to `path` (`.png` or `.svg`).
///
/// Errors: no series, a series without points, a non-finite coordinate, an error list
/// whose length differs from the points' or with a negative or non-finite entry, a
/// non-positive x on a logarithmic x axis, a non-positive y − e on a logarithmic y
/// axis, a size outside the limits, an unknown
/// extension, or a write failure. Nothing is written on error.
pub fn line_chart(spec: &LineChartSpec, path: &Path) -> Result<()> {
    let extent = Extent::check(spec)?;
    save(&Drawing { spec, extent }, spec.size, path)
}

/// The axis ranges, from validated data.
#[derive(Debug, Clone, Copy)]
struct Extent {
    x: (f64, f64),
    y: (f64, f64),
}

impl Extent {
    fn check(spec: &LineChartSpec) -> Result<Extent> {
        if spec.series.is_empty() {
            return Err(Error::param(
                "line_chart.series",
                "no series: expected at least one",
            ));
        }
        let mut x = (f64::INFINITY, f64::NEG_INFINITY);
        let mut y = (f64::INFINITY, f64::NEG_INFINITY);
        for (s, series) in spec.series.iter().enumerate() {
            let place = format!("series {s} (\"{}\")", series.name);
            if series.points.is_empty() {
                return Err(Error::param(
                    "line_chart.series",
                    format!("{place}: no points, expected at least one"),
                ));
            }
            if let Some(errors) = &series.errors {
                if errors.len() != series.points.len() {
                    return Err(Error::param(
                        "line_chart.series",
                        format!(
                            "{place}: {} errors for {} points, expected one per point",
                            errors.len(),
                            series.points.len()
                        ),
                    ));
                }
            }
            for (i, &(px, py)) in series.points.iter().enumerate() {
                if !(px.is_finite() && py.is_finite()) {
                    return Err(Error::param(
                        "line_chart.series",
                        format!("{place}, point {i}: ({px}, {py}), expected finite numbers"),
                    ));
                }
                if spec.x_scale == AxisScale::Log && px <= 0.0 {
                    return Err(Error::param(
                        "line_chart.series",
                        format!("{place}, point {i}: x = {px}, a logarithmic axis needs x > 0"),
                    ));
                }
                let e = series.errors.as_ref().map_or(0.0, |errors| errors[i]);
                if !(e.is_finite() && e >= 0.0) {
                    return Err(Error::param(
                        "line_chart.series",
                        format!("{place}, error {i}: {e}, expected a finite number ≥ 0"),
                    ));
                }
                if spec.y_scale == AxisScale::Log && py - e <= 0.0 {
                    return Err(Error::param(
                        "line_chart.series",
                        format!(
                            "{place}, point {i}: y − e = {}, a logarithmic axis needs y − e > 0",
                            py - e
                        ),
                    ));
                }
                x = (x.0.min(px), x.1.max(px));
                y = (y.0.min(py - e), y.1.max(py + e));
            }
        }
        Ok(Extent {
            x: padded_on(spec.x_scale, x),
            y: padded_on(spec.y_scale, y),
        })
    }
}

/// `range` padded as [`padded`] does, in log units on a logarithmic axis.
fn padded_on(scale: AxisScale, range: (f64, f64)) -> (f64, f64) {
    match scale {
        AxisScale::Linear => padded(range),
        AxisScale::Log => {
            let (lo, hi) = padded((range.0.ln(), range.1.ln()));
            (lo.exp(), hi.exp())
        }
    }
}

/// `(lo, hi)` widened by [`PADDING`] of its span on each side; a single value is
/// widened by 1 (or by a tenth of its magnitude when that is larger).
fn padded((lo, hi): (f64, f64)) -> (f64, f64) {
    if lo == hi {
        let half = (lo.abs() * 0.1).max(1.0);
        (lo - half, hi + half)
    } else {
        let pad = (hi - lo) * PADDING;
        (lo - pad, hi + pad)
    }
}

struct Drawing<'s> {
    spec: &'s LineChartSpec,
    extent: Extent,
}

impl Figure for Drawing<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let (x_lo, x_hi) = self.extent.x;
        match self.spec.x_scale {
            AxisScale::Linear => self.draw_with_x(root, x_lo..x_hi),
            AxisScale::Log => {
                let base = if x_hi / x_lo <= BINARY_TICKS_MAX_RATIO {
                    2.0
                } else {
                    10.0
                };
                self.draw_with_x(root, (x_lo..x_hi).log_scale().base(base))
            }
        }
    }
}

impl Drawing<'_> {
    fn draw_with_x<DB, X>(&self, root: &DrawingArea<DB, Shift>, x_axis: X) -> Result<()>
    where
        DB: DrawingBackend,
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let (y_lo, y_hi) = self.extent.y;
        match self.spec.y_scale {
            AxisScale::Linear => {
                let ticks = linear_ticks(self.extent.y, TICKS);
                self.draw_on(root, x_axis, RangedCoordf64::from(y_lo..y_hi), &ticks)
            }
            AxisScale::Log => {
                let ticks = log_ticks(self.extent.y, TICKS);
                self.draw_on(root, x_axis, (y_lo..y_hi).log_scale(), &ticks)
            }
        }
    }

    /// Draw the chart on axes `x_axis` and `y_axis`; `y_ticks` are the values the y axis
    /// labels, which size its label area.
    fn draw_on<DB, X, Y>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x_axis: X,
        y_axis: Y,
        y_ticks: &[f64],
    ) -> Result<()>
    where
        DB: DrawingBackend,
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let spec = self.spec;
        let typo = Typography::for_size(spec.size);
        root.fill(&WHITE).map_err(drawing_error)?;
        let y_label_area = vertical_label_area(root, typo, y_ticks, true)?;
        let body = with_title(root, &spec.title, typo)?;
        let mut chart = ChartBuilder::on(&body)
            .margin(typo.px(20.0))
            .x_label_area_size(typo.px(60.0))
            .y_label_area_size(y_label_area)
            .build_cartesian_2d(x_axis, y_axis)
            .map_err(drawing_error)?;
        let axes = Axes {
            x_ticks: Some(TICKS),
            y_ticks: TICKS,
            x_desc: &spec.x_label,
            y_desc: &spec.y_label,
            grid: true,
        };
        draw_axes(&mut chart, typo, &axes)?;

        for (s, series) in spec.series.iter().enumerate() {
            let color = rgb(series.color.unwrap_or_else(|| series_color(s)));
            let line_width = typo.px(2.0);
            let drawn = chart
                .draw_series(LineSeries::new(
                    series.points.iter().copied(),
                    color.stroke_width(line_width),
                ))
                .map_err(drawing_error)?;
            if !series.name.is_empty() {
                let legend_length = typo.px(24.0) as i32;
                drawn.label(series.name.as_str()).legend(move |(x, y)| {
                    PathElement::new(
                        vec![(x, y), (x + legend_length, y)],
                        color.stroke_width(line_width),
                    )
                });
            }
            if series.points.len() <= MAX_POINTS_WITH_DOTS {
                let radius = typo.px(4.0);
                let dots = series
                    .points
                    .iter()
                    .map(|&point| Circle::new(point, radius, color.filled()));
                chart.draw_series(dots).map_err(drawing_error)?;
            }
            if let Some(errors) = &series.errors {
                let bars = series.points.iter().zip(errors).map(|(&(x, y), &e)| {
                    ErrorBar::new_vertical(
                        x,
                        y - e,
                        y,
                        y + e,
                        color.stroke_width(typo.px(1.5)),
                        typo.px(10.0),
                    )
                });
                chart.draw_series(bars).map_err(drawing_error)?;
            }
        }

        if spec.series.iter().any(|s| !s.name.is_empty()) {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .margin(typo.px(12.0))
                .legend_area_size(typo.px(30.0))
                .label_font(typo.tick())
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(drawing_error)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::testing::{assert_svg_texts, png_and_svg, svg_elements};
    use crate::test_support::folder_entries;

    const DOUBLINGS: [f64; 6] = [4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

    /// Centres (cx, cy) of the dots of colour `color` in an SVG chart, left to right.
    fn dots(svg: &str, color: Rgb) -> Vec<(i32, i32)> {
        let fill = format!("#{:02X}{:02X}{:02X}", color.0, color.1, color.2);
        let mut centres: Vec<(i32, i32)> = svg_elements(svg, "circle")
            .into_iter()
            .filter(|c| c["fill"] == fill)
            .map(|c| (c["cx"].parse().unwrap(), c["cy"].parse().unwrap()))
            .collect();
        centres.sort();
        centres
    }

    fn render_svg(spec: &LineChartSpec) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chart.svg");
        line_chart(spec, &path).unwrap();
        std::fs::read_to_string(path).unwrap()
    }

    fn evd_spec() -> LineChartSpec {
        let maxent = Series {
            name: "MaxCausalEnt".into(),
            points: DOUBLINGS.iter().map(|&n| (n, 4.0 / n.sqrt())).collect(),
            errors: Some(DOUBLINGS.iter().map(|&n| 1.0 / n.sqrt()).collect()),
            color: None,
        };
        let cloning = Series::new(
            "behaviour cloning",
            DOUBLINGS.iter().map(|&n| (n, 6.0 / n.powf(0.3))).collect(),
        );
        let mut spec = LineChartSpec::new(
            "EVD against demonstrations",
            "number of demonstrations N",
            "expected value difference",
            vec![maxent, cloning],
        );
        spec.x_scale = AxisScale::Log;
        spec
    }

    #[test]
    fn png_and_svg_show_title_axes_ticks_and_legend() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = evd_spec();
        spec.size = (800, 600);
        let (png, document) = png_and_svg(dir.path(), "evd", |path| line_chart(&spec, path));
        assert_eq!(png.dimensions(), (800, 600));
        assert_svg_texts(
            &document,
            &[
                "EVD against demonstrations",
                "number of demonstrations N",
                "expected value difference",
                "MaxCausalEnt",
                "behaviour cloning",
                "4",
                "8",
                "16",
                "32",
                "64",
                "128",
            ],
        );
    }

    #[test]
    fn a_title_has_a_second_line_and_long_lines_wrap() {
        let second = "the objective changed by less than 1e-6 over the last 10 iterations";
        let mut spec = LineChartSpec::new(
            format!("zara01 · 0.75 m cells\n{second}"),
            "iteration",
            "value",
            vec![Series::new("s", vec![(0.0, 0.0), (1.0, 1.0)])],
        );
        spec.size = (300, 200);
        let svg = render_svg(&spec);
        let texts = crate::plot::testing::svg_texts(&svg);
        assert_eq!(texts[0], "zara01 · 0.75 m cells");
        // 300 px wide, with 20 px margins scaled by ½: the second line, about 330 px in
        // the axis-label font at half its size, is wider than the 280 px of room, so it
        // is broken at spaces into lines that give it back when joined.
        let pieces: Vec<&String> = texts[1..]
            .iter()
            .take_while(|t| second.contains(t.as_str()))
            .collect();
        assert!(pieces.len() >= 2, "{texts:?}");
        let joined: Vec<&str> = pieces.iter().map(|t| t.as_str()).collect();
        assert_eq!(joined.join(" "), second);
    }

    #[test]
    fn a_log_axis_gives_doublings_equal_lengths() {
        let svg = render_svg(&evd_spec());
        let centres = dots(&svg, series_color(0));
        assert_eq!(centres.len(), DOUBLINGS.len());
        let steps: Vec<i32> = centres.windows(2).map(|w| w[1].0 - w[0].0).collect();
        assert!(steps[0] > 50);
        assert!(steps.iter().all(|s| (s - steps[0]).abs() <= 1), "{steps:?}");
    }

    #[test]
    fn a_linear_axis_gives_equal_differences_equal_lengths() {
        let points = vec![(1.0, 0.0), (2.0, 1.0), (4.0, 0.0), (8.0, 1.0)];
        let spec = LineChartSpec::new("linear", "x", "y", vec![Series::new("s", points)]);
        let centres = dots(&render_svg(&spec), series_color(0));
        let steps: Vec<f64> = centres
            .windows(2)
            .map(|w| f64::from(w[1].0 - w[0].0))
            .collect();
        // x steps 1, 2, 4 in data units.
        assert!((steps[1] - 2.0 * steps[0]).abs() <= 1.5, "{steps:?}");
        assert!((steps[2] - 4.0 * steps[0]).abs() <= 1.5, "{steps:?}");
        // y = 1 is drawn above y = 0.
        assert!(centres[1].1 < centres[0].1);
    }

    #[test]
    fn error_bars_reach_from_y_minus_e_to_y_plus_e() {
        let color = Rgb(10, 20, 30);
        let series = Series {
            name: "with errors".into(),
            points: vec![(1.0, 0.0), (2.0, 0.0), (3.0, 4.0)],
            errors: Some(vec![1.0, 2.0, 0.5]),
            color: Some(color),
        };
        let svg = render_svg(&LineChartSpec::new("bars", "x", "y", vec![series]));
        let centres = dots(&svg, color);
        let bars: Vec<(i32, i32, i32)> = svg_elements(&svg, "line")
            .into_iter()
            .filter(|l| l["stroke"] == "#0A141E" && l["x1"] == l["x2"])
            .map(|l| {
                let y1: i32 = l["y1"].parse().unwrap();
                let y2: i32 = l["y2"].parse().unwrap();
                (l["x1"].parse().unwrap(), y1.min(y2), y1.max(y2))
            })
            .collect();
        assert_eq!(bars.len(), 3);
        // Pixels per unit of y, from the two dots at y = 0 and y = 4.
        let per_unit = f64::from(centres[0].1 - centres[2].1) / 4.0;
        for ((x, top, bottom), (&(cx, cy), e)) in
            bars.iter().zip(centres.iter().zip([1.0, 2.0, 0.5]))
        {
            assert_eq!(*x, cx);
            assert!((f64::from(bottom - top) - 2.0 * e * per_unit).abs() <= 1.5);
            assert!((f64::from(top + bottom) / 2.0 - f64::from(cy)).abs() <= 1.0);
        }
    }

    #[test]
    fn axis_ranges_pad_the_data() {
        assert_eq!(padded((0.0, 10.0)), (-0.4, 10.4));
        assert_eq!(padded((5.0, 5.0)), (4.0, 6.0));
        assert_eq!(padded((100.0, 100.0)), (90.0, 110.0));
        let extent = Extent::check(&evd_spec()).unwrap();
        // y reaches down to the lowest error bar, 4/√128 − 1/√128, and up to the
        // highest point, behaviour cloning's 6/4^0.3 ≈ 3.96 (above 4/√4 + 1/√4 = 2.5).
        let (lo, hi) = (3.0 / 128f64.sqrt(), 6.0 / 4f64.powf(0.3));
        let pad = (hi - lo) * PADDING;
        assert!((extent.y.0 - (lo - pad)).abs() < 1e-12);
        assert!((extent.y.1 - (hi + pad)).abs() < 1e-12);
        // x is padded in log space: 4 and 128 are 5 doublings apart.
        let factor = (5.0 * 2f64.ln() * PADDING).exp();
        assert!((extent.x.0 - 4.0 / factor).abs() < 1e-9);
        assert!((extent.x.1 - 128.0 * factor).abs() < 1e-9);
    }

    #[test]
    fn invalid_specs_are_refused_and_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.svg");
        let chart = |series: Vec<Series>| LineChartSpec::new("t", "x", "y", series);
        let with_errors = |errors: Vec<f64>| Series {
            errors: Some(errors),
            ..Series::new("e", vec![(1.0, 1.0), (2.0, 2.0)])
        };
        let mut log_with_zero = chart(vec![Series::new("z", vec![(0.0, 1.0), (2.0, 2.0)])]);
        log_with_zero.x_scale = AxisScale::Log;
        let cases = vec![
            (chart(vec![]), "no series"),
            (
                chart(vec![Series::new("empty", vec![])]),
                "series 0 (\"empty\"): no points",
            ),
            (
                chart(vec![
                    Series::new("a", vec![(0.0, 0.0)]),
                    Series::new("b", vec![(1.0, f64::NAN)]),
                ]),
                "series 1 (\"b\"), point 0",
            ),
            (chart(vec![with_errors(vec![0.1])]), "1 errors for 2 points"),
            (chart(vec![with_errors(vec![0.1, -0.1])]), "error 1: -0.1"),
            (
                chart(vec![with_errors(vec![f64::NAN, 0.1])]),
                "error 0: NaN",
            ),
            (
                log_with_zero,
                "point 0: x = 0, a logarithmic axis needs x > 0",
            ),
            (
                LineChartSpec {
                    size: (200, 100),
                    ..chart(vec![Series::new("s", vec![(0.0, 0.0)])])
                },
                "size",
            ),
        ];
        for (spec, expected) in cases {
            let message = line_chart(&spec, &path).unwrap_err().to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
        let message = line_chart(&evd_spec(), &dir.path().join("chart.pdf"))
            .unwrap_err()
            .to_string();
        assert!(message.contains("chart.pdf") && message.contains(".png or .svg"));
        assert!(folder_entries(dir.path()).is_empty());
    }
}
