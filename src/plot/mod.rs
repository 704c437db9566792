//! Figures: value heatmaps over a metric grid and line charts, written as PNG or SVG.
//!
//! Each figure is plain data in ([`HeatmapSpec`], [`LineChartSpec`]) and one file out.
//! The format follows the file's extension, `.png` (8-bit RGB raster) or `.svg`
//! (vector, text as `<text>` elements); any other extension is an error. The figure is
//! drawn in memory and written to a temporary sibling that is renamed over the target,
//! so a failure never leaves a partial file. Text uses DejaVu Sans compiled into the
//! library (`data/fonts/`), so nothing depends on the fonts installed where it runs.
//! Font sizes and line widths scale with the figure relative to [`DEFAULT_SIZE`].
//!
//! Modules: [`colormap`] (viridis, series palette), [`mod@heatmap`] (with its linear or
//! logarithmic colour scale, `color_scale`, and the legend of its tracks, `legend`),
//! [`curve`] (line charts), and the product's maps and curves built from MDPs, tracks and
//! fits (`maps`); both kinds of figure draw their axes with the same code (`axes`).
//!
//! ```no_run
//! use irl::plot::{heatmap, line_chart, AxisScale, HeatmapSpec, LineChartSpec, Series};
//! use ndarray::array;
//! use std::path::Path;
//!
//! let values = array![[0.0, 1.0], [f64::NAN, 0.5]]; // [y][x]; NaN is drawn grey
//! let mut map = HeatmapSpec::new(values.view(), (0.0, 0.0), 0.5);
//! map.title = "Soft value".into();
//! map.color_bar_label = "V(s)".into();
//! heatmap(&map, Path::new("value.svg"))?;
//!
//! let evd = Series::new("MaxEnt IRL", vec![(4.0, 2.1), (16.0, 0.9), (64.0, 0.3)]);
//! let mut chart = LineChartSpec::new("EVD", "demonstrations N", "EVD", vec![evd]);
//! chart.x_scale = AxisScale::Log;
//! line_chart(&chart, Path::new("evd.png"))?;
//! # Ok::<(), irl::Error>(())
//! ```

mod axes;
mod color_scale;
pub mod colormap;
pub mod curve;
mod font;
pub mod heatmap;
mod legend;
mod maps;

use std::io::Write;
use std::path::Path;

use image::{codecs::png::PngEncoder, ColorType, ImageEncoder};
use plotters::coord::combinators::{IntoLogRange, LogCoord};
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};
use crate::io::write_atomic;

pub use colormap::{series_color, viridis, Rgb};
pub use curve::{line_chart, AxisScale, LineChartSpec, Series};
pub use heatmap::{heatmap, ColorScale, HeatmapSpec, Marker, MarkerShape, Track};
pub use maps::{
    cell_path, goal_marker, recorded_path, start_marker, training_curve, StateMap,
    FORECAST_LOG_FLOOR,
};

/// Figure size in pixels (width, height) used when a spec does not say otherwise.
pub const DEFAULT_SIZE: (u32, u32) = (900, 700);

/// Smallest figure that leaves room for a title, axis labels and ticks.
const MIN_SIZE: (u32, u32) = (300, 200);
/// Largest figure side, which keeps the in-memory raster below 300 MB.
const MAX_SIDE: u32 = 10_000;

/// A figure that can draw itself on any plotters backend.
pub(crate) trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutputFormat {
    Png,
    Svg,
}

fn output_format(path: &Path) -> Result<OutputFormat> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("png") => Ok(OutputFormat::Png),
        Some("svg") => Ok(OutputFormat::Svg),
        _ => Err(Error::param(
            "output path",
            format!(
                "`{}`: expected a file name ending in .png or .svg",
                path.display()
            ),
        )),
    }
}

fn check_size(size: (u32, u32)) -> Result<()> {
    let (w, h) = size;
    if w < MIN_SIZE.0 || h < MIN_SIZE.1 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(Error::param(
            "size",
            format!(
                "{w}×{h} px: expected a width in {}..={MAX_SIDE} and a height in {}..={MAX_SIDE}",
                MIN_SIZE.0, MIN_SIZE.1
            ),
        ));
    }
    Ok(())
}

/// Draw `figure` at `size` and write it to `path` in the format its extension names.
pub(crate) fn save(figure: &impl Figure, size: (u32, u32), path: &Path) -> Result<()> {
    let format = output_format(path)?;
    check_size(size)?;
    font::ensure_registered()?;
    match format {
        OutputFormat::Png => {
            let (w, h) = size;
            let mut pixels = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
                figure.draw(&root)?;
                root.present().map_err(drawing_error)?;
            }
            write_atomic(path, |out| {
                PngEncoder::new(out)
                    .write_image(&pixels, w, h, ColorType::Rgb8)
                    .map_err(|e| Error::Plot {
                        message: format!("encoding PNG: {e}"),
                    })
            })
        }
        OutputFormat::Svg => {
            let mut document = String::new();
            {
                let root = SVGBackend::with_string(&mut document, size).into_drawing_area();
                figure.draw(&root)?;
                root.present().map_err(drawing_error)?;
            }
            write_atomic(path, |out| {
                out.write_all(document.as_bytes()).map_err(|e| Error::Io {
                    path: path.to_path_buf(),
                    source: e,
                })
            })
        }
    }
}

/// Convert a plotters drawing error into the library's error.
pub(crate) fn drawing_error<E: std::error::Error + Send + Sync>(
    error: DrawingAreaErrorKind<E>,
) -> Error {
    Error::Plot {
        message: error.to_string(),
    }
}

/// Font sizes and spacing for a figure, scaled with its size relative to the default.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Typography {
    scale: f64,
}

impl Typography {
    pub(crate) fn for_size((w, h): (u32, u32)) -> Typography {
        let scale = (f64::from(w) / f64::from(DEFAULT_SIZE.0))
            .min(f64::from(h) / f64::from(DEFAULT_SIZE.1))
            .clamp(0.5, 4.0);
        Typography { scale }
    }

    /// A length of `pixels` at the default size, scaled to this figure.
    pub(crate) fn px(&self, pixels: f64) -> u32 {
        (pixels * self.scale).round().max(1.0) as u32
    }

    fn font(&self, size: f64) -> TextStyle<'static> {
        (font::FAMILY, size * self.scale).into_font().color(&BLACK)
    }

    pub(crate) fn title(&self) -> TextStyle<'static> {
        self.font(26.0)
    }

    pub(crate) fn axis_label(&self) -> TextStyle<'static> {
        self.font(20.0)
    }

    pub(crate) fn tick(&self) -> TextStyle<'static> {
        self.font(16.0)
    }
}

/// Draw `title` centred in a band at the top of `root` and return the area below it
/// (all of `root` when the title is empty). A line break starts a subtitle: the first
/// line is drawn in the title font, each further line in the smaller axis-label font.
/// A line wider than the figure (less a margin each side) is wrapped at spaces. The
/// first line's band is 1.9 title heights tall, each further line's 1.5 of its own
/// heights, and the text is anchored at each band's vertical centre, which both backends
/// honour, so large titles are not clipped at the top edge.
pub(crate) fn with_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    typo: Typography,
) -> Result<DrawingArea<DB, Shift>> {
    if title.is_empty() {
        return Ok(root.clone());
    }
    let (w, _) = root.dim_in_pixel();
    let room = w.saturating_sub(2 * typo.px(20.0));
    let mut top = 0u32;
    for (i, line) in title.lines().enumerate() {
        let (font, spacing) = if i == 0 {
            (typo.title(), 1.9)
        } else {
            (typo.axis_label(), 1.5)
        };
        let style = font.pos(Pos::new(HPos::Center, VPos::Center));
        let band = (spacing * style.font.get_size()).round() as u32;
        for part in wrapped(root, line, &style, room)? {
            root.draw_text(&part, &style, ((w / 2) as i32, (top + band / 2) as i32))
                .map_err(drawing_error)?;
            top += band;
        }
    }
    Ok(root.split_vertically(top).1)
}

/// `line` broken at spaces into pieces at most `room` pixels wide in `style` (a single
/// word wider than that stays whole).
fn wrapped<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    line: &str,
    style: &TextStyle<'_>,
    room: u32,
) -> Result<Vec<String>> {
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        let (width, _) = area
            .estimate_text_size(&candidate, style)
            .map_err(drawing_error)?;
        if width > room && !current.is_empty() {
            pieces.push(std::mem::replace(&mut current, word.to_string()));
        } else {
            current = candidate;
        }
    }
    pieces.push(current);
    Ok(pieces)
}

/// Width of the label area of a vertical axis with tick labels at `ticks`: the widest
/// tick label, the tick mark with its gaps and, when `with_description`, room for the
/// rotated axis description.
pub(crate) fn vertical_label_area<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    typo: Typography,
    ticks: &[f64],
    with_description: bool,
) -> Result<u32> {
    let mut widest = 0;
    for &value in ticks {
        let (w, _) = area
            .estimate_text_size(&tick_label(value), &typo.tick())
            .map_err(drawing_error)?;
        widest = widest.max(w);
    }
    let description = if with_description { typo.px(34.0) } else { 0 };
    Ok(widest + typo.px(18.0) + description)
}

/// The values plotters ticks on a linear axis over `range` when asked for `labels`.
pub(crate) fn linear_ticks(range: (f64, f64), labels: usize) -> Vec<f64> {
    RangedCoordf64::from(range.0..range.1).key_points(labels)
}

/// The values plotters ticks on a base-10 logarithmic axis over `range` (both ends
/// positive) when asked for `labels`.
pub(crate) fn log_ticks(range: (f64, f64), labels: usize) -> Vec<f64> {
    LogCoord::from((range.0..range.1).log_scale()).key_points(labels)
}

/// The plotters colour of an [`Rgb`].
pub(crate) fn rgb(color: Rgb) -> RGBColor {
    RGBColor(color.0, color.1, color.2)
}

/// A tick value printed with at most six significant digits and no trailing zeros
/// (integers without a decimal point); magnitudes below 10⁻³ or from 10⁶ on in
/// scientific form with at most three significant digits (`1e-4`, `2.5e7`).
pub(crate) fn tick_label(value: f64) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let magnitude = value.abs();
    if !(1e-3..1e6).contains(&magnitude) {
        let text = format!("{value:.2e}");
        let (mantissa, exponent) = text.split_once('e').expect("scientific form");
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exponent}");
    }
    let decimals = (5 - magnitude.log10().floor() as i32).clamp(0, 8) as usize;
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_chooses_the_format() {
        assert_eq!(
            output_format(Path::new("a/b.png")).unwrap(),
            OutputFormat::Png
        );
        assert_eq!(
            output_format(Path::new("b.SVG")).unwrap(),
            OutputFormat::Svg
        );
        for bad in ["b.jpg", "b", "png", "b.png.txt"] {
            let message = output_format(Path::new(bad)).unwrap_err().to_string();
            assert!(message.contains(bad) && message.contains(".png or .svg"));
        }
    }

    #[test]
    fn sizes_outside_the_limits_are_refused() {
        assert!(check_size(DEFAULT_SIZE).is_ok());
        assert!(check_size((300, 200)).is_ok());
        assert!(check_size((299, 700)).is_err());
        assert!(check_size((900, 0)).is_err());
        assert!(check_size((10_001, 700)).is_err());
    }

    #[test]
    fn tick_labels_are_short_and_exact() {
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(-0.0), "0");
        assert_eq!(tick_label(4.0), "4");
        assert_eq!(tick_label(128.0), "128");
        assert_eq!(tick_label(0.1 + 0.2), "0.3");
        assert_eq!(tick_label(-2.5), "-2.5");
        assert_eq!(tick_label(1234.5), "1234.5");
        assert_eq!(tick_label(2.999_999_999), "3");
        assert_eq!(tick_label(2.5e7), "2.5e7");
        assert_eq!(tick_label(-1e-4), "-1e-4");
        assert_eq!(tick_label(1.0000000000000002e-5), "1e-5");
        assert_eq!(tick_label(1.234e-7), "1.23e-7");
        assert_eq!(tick_label(3e6), "3e6");
    }

    #[test]
    fn typography_scales_with_the_smaller_ratio() {
        assert_eq!(Typography::for_size(DEFAULT_SIZE).px(10.0), 10);
        assert_eq!(Typography::for_size((1800, 1400)).px(10.0), 20);
        assert_eq!(Typography::for_size((1800, 700)).px(10.0), 10);
    }
}

/// Helpers for the figure tests: reading back PNG pixels and SVG elements.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::HashMap;
    use std::path::Path;

    use super::Rgb;

    /// Pixels of one exact colour: how many, their centroid and bounding box.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Blob {
        pub count: usize,
        pub centre: (f64, f64),
        /// (x_min, y_min, x_max, y_max), inclusive.
        pub bounds: (u32, u32, u32, u32),
    }

    impl Blob {
        pub fn width(&self) -> u32 {
            self.bounds.2 - self.bounds.0 + 1
        }
        pub fn height(&self) -> u32 {
            self.bounds.3 - self.bounds.1 + 1
        }
    }

    pub(crate) fn read_png(path: &Path) -> image::RgbImage {
        image::open(path).expect("the PNG decodes").to_rgb8()
    }

    /// The pixels of `image` whose colour is exactly `color`, if any.
    pub(crate) fn blob(image: &image::RgbImage, color: Rgb) -> Option<Blob> {
        blob_in(image, color, (0, 0, u32::MAX, u32::MAX))
    }

    /// The pixels of colour `color` inside `region` = (x_min, y_min, x_max, y_max).
    pub(crate) fn blob_in(
        image: &image::RgbImage,
        color: Rgb,
        region: (u32, u32, u32, u32),
    ) -> Option<Blob> {
        let mut count = 0usize;
        let (mut sx, mut sy) = (0.0, 0.0);
        let mut bounds = (u32::MAX, u32::MAX, 0, 0);
        let (x0, y0, x1, y1) = region;
        for (x, y, pixel) in image.enumerate_pixels() {
            let inside = (x0..=x1).contains(&x) && (y0..=y1).contains(&y);
            if inside && pixel.0 == [color.0, color.1, color.2] {
                count += 1;
                sx += f64::from(x);
                sy += f64::from(y);
                bounds = (
                    bounds.0.min(x),
                    bounds.1.min(y),
                    bounds.2.max(x),
                    bounds.3.max(y),
                );
            }
        }
        (count > 0).then(|| Blob {
            count,
            centre: (sx / count as f64, sy / count as f64),
            bounds,
        })
    }

    /// The attributes of every `<tag …>` element of an SVG document.
    pub(crate) fn svg_elements(svg: &str, tag: &str) -> Vec<HashMap<String, String>> {
        let opening = format!("<{tag} ");
        svg.match_indices(&opening)
            .map(|(start, _)| {
                let rest = &svg[start + opening.len()..];
                let body = &rest[..rest.find('>').expect("the element is closed")];
                body.split('"')
                    .collect::<Vec<_>>()
                    .chunks(2)
                    .filter(|pair| pair.len() == 2)
                    .map(|pair| {
                        let name = pair[0].trim().trim_end_matches('=').to_string();
                        (name, pair[1].to_string())
                    })
                    .collect()
            })
            .collect()
    }

    /// The texts of the SVG's `<text>` elements.
    pub(crate) fn svg_texts(svg: &str) -> Vec<String> {
        svg.split("<text ")
            .skip(1)
            .map(|element| {
                let content = &element[element.find('>').expect("the element is closed") + 1..];
                content[..content.find("</text>").expect("the text ends")]
                    .trim()
                    .to_string()
            })
            .collect()
    }

    /// Draw a figure with `draw` as `stem.png` and `stem.svg` in the empty folder `dir`,
    /// check that exactly these two files are there, and return the PNG's pixels and the
    /// SVG document.
    pub(crate) fn png_and_svg(
        dir: &Path,
        stem: &str,
        draw: impl Fn(&Path) -> crate::Result<()>,
    ) -> (image::RgbImage, String) {
        let (png, svg) = (format!("{stem}.png"), format!("{stem}.svg"));
        draw(&dir.join(&png)).expect("the PNG is drawn");
        draw(&dir.join(&svg)).expect("the SVG is drawn");
        assert_eq!(
            crate::test_support::folder_entries(dir),
            [png.clone(), svg.clone()]
        );
        let document = std::fs::read_to_string(dir.join(svg)).expect("the SVG reads");
        (read_png(&dir.join(png)), document)
    }

    /// Assert that each of `expected` is the whole text of one of the SVG's `<text>`
    /// elements.
    pub(crate) fn assert_svg_texts(svg: &str, expected: &[&str]) {
        let texts = svg_texts(svg);
        for text in expected {
            assert!(
                texts.iter().any(|t| t == text),
                "no text {text:?} in {texts:?}"
            );
        }
    }
}
