//! Colours: the viridis colormap for values and a colour-blind-safe palette for series.
//!
//! Viridis maps t ∈ [0, 1] to a colour whose lightness grows monotonically and roughly
//! uniformly in perceptual (CAM02-UCS) space, so equal steps of value look like equal
//! steps of colour and the map survives greyscale printing and common colour-vision
//! deficiencies. It was designed by Stéfan van der Walt and Nathaniel Smith for
//! matplotlib (2015, released as CC0). The colours come from `colorous::VIRIDIS`, which
//! holds matplotlib's 256 entries as 8-bit colours and interpolates between them with a
//! uniform cubic B-spline; entry i sits at t = i / 255, where the spline is within one
//! 8-bit step of the entry (within 1.5 of matplotlib's unrounded values). This module
//! adds what a figure needs around it: values outside [0, 1] are clamped and NaN takes
//! the colour of 0.
//!
//! The series palette is Okabe and Ito's set of colours distinguishable under the
//! common forms of colour blindness (Okabe & Ito 2008, "Color Universal Design"),
//! ordered so that the first entries contrast most on white; its yellow is omitted.

/// An sRGB colour with 8-bit components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// Viridis at `t`.
///
/// `t` is clamped to [0, 1]; NaN, which has no place on the scale, gives the colour
/// of 0. Callers that must show missing values distinctly test for them first.
pub fn viridis(t: f64) -> Rgb {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let (r, g, b) = colorous::VIRIDIS.eval_continuous(t).into_tuple();
    Rgb(r, g, b)
}

/// Okabe–Ito colours in the order series use them.
const SERIES_PALETTE: [Rgb; 7] = [
    Rgb(0, 114, 178),   // blue
    Rgb(213, 94, 0),    // vermillion
    Rgb(0, 158, 115),   // bluish green
    Rgb(230, 159, 0),   // orange
    Rgb(204, 121, 167), // reddish purple
    Rgb(86, 180, 233),  // sky blue
    Rgb(0, 0, 0),       // black
];

/// The colour for the series at `index`; the palette repeats after seven series.
pub fn series_color(index: usize) -> Rgb {
    SERIES_PALETTE[index % SERIES_PALETTE.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries of matplotlib's `_viridis_data` (`lib/matplotlib/_cm_listed.py`), the
    /// published table the map is defined by, as [red, green, blue] in [0, 1].
    const MATPLOTLIB: [(u8, [f64; 3]); 9] = [
        (0, [0.267004, 0.004874, 0.329415]),
        (64, [0.229739, 0.322361, 0.545706]),
        (127, [0.128729, 0.563265, 0.551229]),
        (128, [0.127568, 0.566949, 0.550556]),
        (200, [0.440137, 0.811138, 0.340967]),
        (240, [0.845561, 0.887322, 0.099702]),
        (246, [0.906311, 0.894855, 0.098125]),
        (250, [0.945636, 0.899815, 0.112838]),
        (255, [0.993248, 0.906157, 0.143936]),
    ];

    /// The largest difference between two colours' components, in 8-bit steps.
    fn steps_apart(color: Rgb, unit: [f64; 3]) -> f64 {
        let components = [color.0, color.1, color.2];
        (0..3)
            .map(|k| (f64::from(components[k]) - unit[k] * 255.0).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn colours_are_matplotlib_viridis_table_entries() {
        for (entry, expected) in MATPLOTLIB {
            let color = viridis(f64::from(entry) / 255.0);
            let apart = steps_apart(color, expected);
            assert!(
                apart <= 1.5,
                "entry {entry}: {color:?} is {apart} steps off"
            );
        }
        // The ends are exact: #440154 and #fde725, as matplotlib's and colorous's
        // documentation give them.
        assert_eq!(viridis(0.0), Rgb(68, 1, 84));
        assert_eq!(viridis(1.0), Rgb(253, 231, 37));
    }

    #[test]
    fn out_of_range_values_are_clamped_and_nan_takes_the_lowest_colour() {
        assert_eq!(viridis(-3.0), viridis(0.0));
        assert_eq!(viridis(7.0), viridis(1.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        assert_eq!(viridis(f64::NEG_INFINITY), viridis(0.0));
    }

    #[test]
    fn lightness_grows_monotonically() {
        // Rec. 709 luma as a proxy for lightness: viridis is built to increase it.
        let luma =
            |c: Rgb| 0.2126 * f64::from(c.0) + 0.7152 * f64::from(c.1) + 0.0722 * f64::from(c.2);
        let lumas: Vec<f64> = (0..=100).map(|i| luma(viridis(i as f64 / 100.0))).collect();
        assert!(lumas.windows(2).all(|w| w[1] > w[0]));
    }

    #[test]
    fn series_colors_cycle_through_the_palette() {
        assert_eq!(series_color(0), Rgb(0, 114, 178));
        assert_eq!(series_color(7), series_color(0));
        assert_ne!(series_color(1), series_color(0));
    }
}
