//! The typeface every plot uses, bundled so text renders on a machine without fonts.
//!
//! DejaVu Sans (Bitstream Vera licence with public-domain DejaVu changes; see
//! `data/fonts/LICENSE`) is compiled into the library and registered once with plotters'
//! `ab_glyph` text engine under the family name [`FAMILY`]. PNG output rasterises its
//! glyph outlines; SVG output names the family in `<text>` elements and uses the font's
//! advance widths to lay out labels and legends.

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle};

use crate::error::{Error, Result};

/// The family name all plots ask for.
pub(crate) const FAMILY: &str = "sans-serif";

static DEJAVU_SANS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/fonts/DejaVuSans.ttf"
));

/// Register the bundled font under [`FAMILY`] the first time it is called.
pub(crate) fn ensure_registered() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered =
        *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if registered {
        Ok(())
    } else {
        Err(Error::Plot {
            message: "the bundled font data/fonts/DejaVuSans.ttf is not a valid TrueType file"
                .into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::style::{FontDesc, FontFamily};

    fn text_width(family: &str, text: &str) -> Option<i32> {
        let font = FontDesc::new(FontFamily::Name(family), 20.0, FontStyle::Normal);
        font.box_size(text).ok().map(|(w, _)| w as i32)
    }

    #[test]
    fn the_bundled_font_lays_out_text_with_its_own_metrics() {
        ensure_registered().unwrap();
        let wide = text_width(FAMILY, "WWWW").unwrap();
        let narrow = text_width(FAMILY, "iiii").unwrap();
        // DejaVu Sans (read from its hmtx and hhea tables): advance of W = 2025 and of
        // i = 569 font units; ascent − descent = 1901 + 483 = 2384 units, which ab_glyph
        // scales to the 20 px size. Four letters: 4·20·2025/2384 ≈ 67.9 px and
        // 4·20·569/2384 ≈ 19.1 px.
        assert!((wide - 68).abs() <= 1, "WWWW measured {wide} px");
        assert!((narrow - 19).abs() <= 1, "iiii measured {narrow} px");
    }

    #[test]
    fn an_unregistered_family_has_no_metrics() {
        ensure_registered().unwrap();
        assert_eq!(text_width("no-such-family", "text"), None);
    }
}
