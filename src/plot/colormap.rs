//! Colours: the viridis colormap for values and a colour-blind-safe palette for series.
//!
//! Viridis maps t ∈ [0, 1] to a colour whose lightness grows monotonically and roughly
//! uniformly in perceptual (CAM02-UCS) space, so equal steps of value look like equal
//! steps of colour and the map survives greyscale printing and common colour-vision
//! deficiencies. It was designed by Stéfan van der Walt and Nathaniel Smith for
//! matplotlib (2015, released as CC0). The control points below are entries
//! 0, 16, 32, …, 240 and 255 of matplotlib's 256-entry `_viridis_data` table
//! (`lib/matplotlib/_cm_listed.py`); entry i sits at t = i / 255 and colours between
//! control points are interpolated linearly in each sRGB component (the largest
//! deviation from the full table is below one 8-bit step).
//!
//! The series palette is Okabe and Ito's set of colours distinguishable under the
//! common forms of colour blindness (Okabe & Ito 2008, "Color Universal Design"),
//! ordered so that the first entries contrast most on white; its yellow is omitted.

/// An sRGB colour with 8-bit components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// The colour with each component in [0, 1] rounded to the nearest 8-bit step.
    pub fn from_unit(components: [f64; 3]) -> Rgb {
        let byte = |c: f64| (c.clamp(0.0, 1.0) * 255.0).round() as u8;
        Rgb(
            byte(components[0]),
            byte(components[1]),
            byte(components[2]),
        )
    }
}

/// Viridis control points: (table index out of 255, [red, green, blue] in [0, 1]).
const VIRIDIS: [(u8, [f64; 3]); 17] = [
    (0, [0.267004, 0.004874, 0.329415]),
    (16, [0.282327, 0.094955, 0.417331]),
    (32, [0.278826, 0.175490, 0.483397]),
    (48, [0.258965, 0.251537, 0.524736]),
    (64, [0.229739, 0.322361, 0.545706]),
    (80, [0.199430, 0.387607, 0.554642]),
    (96, [0.172719, 0.448791, 0.557885]),
    (112, [0.149039, 0.508051, 0.557250]),
    (128, [0.127568, 0.566949, 0.550556]),
    (144, [0.120638, 0.625828, 0.533488]),
    (160, [0.157851, 0.683765, 0.501686]),
    (176, [0.246070, 0.738910, 0.452024]),
    (192, [0.369214, 0.788888, 0.382914]),
    (208, [0.515992, 0.831158, 0.294279]),
    (224, [0.678489, 0.863742, 0.189503]),
    (240, [0.845561, 0.887322, 0.099702]),
    (255, [0.993248, 0.906157, 0.143936]),
];

/// Viridis at `t`, as [red, green, blue] in [0, 1].
///
/// `t` is clamped to [0, 1]; NaN, which has no place on the scale, gives the colour
/// of 0. Callers that must show missing values distinctly test for them first.
pub fn viridis(t: f64) -> [f64; 3] {
    let position = if t.is_nan() {
        0.0
    } else {
        t.clamp(0.0, 1.0) * 255.0
    };
    let upper = upper_control_point(position);
    let (i0, c0) = VIRIDIS[upper - 1];
    let (i1, c1) = VIRIDIS[upper];
    let w = (position - f64::from(i0)) / f64::from(i1 - i0);
    [0, 1, 2].map(|k| c0[k] + w * (c1[k] - c0[k]))
}

/// Index of the first control point at or above `position` (never the first point).
fn upper_control_point(position: f64) -> usize {
    VIRIDIS
        .iter()
        .skip(1)
        .position(|&(index, _)| f64::from(index) >= position)
        .map_or(VIRIDIS.len() - 1, |p| p + 1)
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

    /// Entries of matplotlib's `_viridis_data`, copied by index for comparison.
    const ENTRY_0: [f64; 3] = [0.267004, 0.004874, 0.329415];
    const ENTRY_127: [f64; 3] = [0.128729, 0.563265, 0.551229];
    const ENTRY_128: [f64; 3] = [0.127568, 0.566949, 0.550556];
    const ENTRY_200: [f64; 3] = [0.440137, 0.811138, 0.340967];
    const ENTRY_255: [f64; 3] = [0.993248, 0.906157, 0.143936];

    fn max_difference(a: [f64; 3], b: [f64; 3]) -> f64 {
        (0..3).map(|k| (a[k] - b[k]).abs()).fold(0.0, f64::max)
    }

    #[test]
    fn endpoints_and_midpoint_are_the_viridis_table_values() {
        assert_eq!(viridis(0.0), ENTRY_0);
        assert_eq!(viridis(1.0), ENTRY_255);
        assert!(max_difference(viridis(128.0 / 255.0), ENTRY_128) < 1e-12);
        // matplotlib's viridis(0.5) is entry int(0.5 · 256) = 128; t = 0.5 lies half a
        // table step below it, well inside one 8-bit step.
        assert!(max_difference(viridis(0.5), ENTRY_128) < 1.0 / 255.0);
        assert_eq!(Rgb::from_unit(viridis(0.0)), Rgb(68, 1, 84));
        assert_eq!(Rgb::from_unit(viridis(1.0)), Rgb(253, 231, 37));
        assert_eq!(Rgb::from_unit(viridis(128.0 / 255.0)), Rgb(33, 145, 140));
    }

    #[test]
    fn interpolation_between_control_points_matches_the_full_table() {
        assert!(max_difference(viridis(127.0 / 255.0), ENTRY_127) < 1.0 / 255.0);
        assert!(max_difference(viridis(200.0 / 255.0), ENTRY_200) < 1.0 / 255.0);
        // Halfway between entries 0 and 16 is the average of the two control points.
        let halfway = viridis(8.0 / 255.0);
        let expected = [0.274_665_5, 0.049_914_5, 0.373_373];
        assert!(max_difference(halfway, expected) < 1e-12);
    }

    #[test]
    fn out_of_range_values_are_clamped_and_nan_takes_the_lowest_colour() {
        assert_eq!(viridis(-3.0), ENTRY_0);
        assert_eq!(viridis(7.0), ENTRY_255);
        assert_eq!(viridis(f64::NAN), ENTRY_0);
    }

    #[test]
    fn lightness_grows_monotonically() {
        // Rec. 709 luma as a proxy for lightness: viridis is built to increase it.
        let luma = |c: [f64; 3]| 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
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
