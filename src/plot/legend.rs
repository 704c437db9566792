//! A legend band for the lines drawn over a map: entries side by side, each a short
//! line in the style of its lines (colour, width and, when set, the halo under it) and
//! the label, in rows centred under the title. Entries that do not fit on a row start the
//! next one. A band above the map never hides what the map shows.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{drawing_error, rgb, Rgb, Typography};
use crate::error::Result;

/// One entry: the style of a line and what it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LegendEntry {
    pub label: String,
    pub color: Rgb,
    /// Line width in pixels at the default figure size.
    pub width: u32,
    pub halo: Option<Rgb>,
}

/// Width of a line's halo: the line's width plus this many pixels (at the default
/// size), half of it on each side.
pub(crate) const HALO_EXTRA: f64 = 3.0;

/// Length of the sample line of an entry, at the default size.
const SAMPLE_LENGTH: f64 = 30.0;

/// Draw `entries` in a band at the top of `area` and return the area below it (all of
/// `area` when there are no entries).
pub(crate) fn with_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    typo: Typography,
) -> Result<DrawingArea<DB, Shift>> {
    if entries.is_empty() {
        return Ok(area.clone());
    }
    let (w, _) = area.dim_in_pixel();
    let style = typo.tick();
    let sample = typo.px(SAMPLE_LENGTH);
    let (label_gap, entry_gap) = (typo.px(8.0), typo.px(28.0));
    let mut widths = Vec::with_capacity(entries.len());
    for entry in entries {
        let (text_w, _) = area
            .estimate_text_size(&entry.label, &style)
            .map_err(drawing_error)?;
        widths.push(sample + label_gap + text_w);
    }
    let rows = rows(&widths, entry_gap, w.saturating_sub(2 * typo.px(15.0)));
    let row_height = (1.7 * style.font.get_size()).round() as u32;
    let text_style = style.pos(Pos::new(HPos::Left, VPos::Center));
    for (r, row) in rows.iter().enumerate() {
        let row_width: u32 =
            row.iter().map(|&i| widths[i]).sum::<u32>() + entry_gap * (row.len() as u32 - 1);
        let mut x = (w.saturating_sub(row_width) / 2) as i32;
        let y = (r as u32 * row_height + row_height / 2) as i32;
        for &i in row {
            let entry = &entries[i];
            let line = [(x, y), (x + sample as i32, y)];
            if let Some(halo) = entry.halo {
                let halo_width = typo.px(f64::from(entry.width) + HALO_EXTRA);
                area.draw(&PathElement::new(line, rgb(halo).stroke_width(halo_width)))
                    .map_err(drawing_error)?;
            }
            let width = typo.px(f64::from(entry.width));
            area.draw(&PathElement::new(
                line,
                rgb(entry.color).stroke_width(width),
            ))
            .map_err(drawing_error)?;
            let text_x = x + (sample + label_gap) as i32;
            area.draw_text(&entry.label, &text_style, (text_x, y))
                .map_err(drawing_error)?;
            x += (widths[i] + entry_gap) as i32;
        }
    }
    Ok(area.split_vertically(rows.len() as u32 * row_height).1)
}

/// Entries (by index) grouped into rows no wider than `room`, in order; an entry wider
/// than `room` has a row of its own.
fn rows(widths: &[u32], gap: u32, room: u32) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut used = 0;
    for (i, &w) in widths.iter().enumerate() {
        match rows.last_mut() {
            Some(row) if used + gap + w <= room => {
                row.push(i);
                used += gap + w;
            }
            _ => {
                rows.push(vec![i]);
                used = w;
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_fill_rows_in_order() {
        assert_eq!(rows(&[100, 100, 100], 10, 320), vec![vec![0, 1, 2]]);
        assert_eq!(rows(&[100, 100, 100], 10, 319), vec![vec![0, 1], vec![2]]);
        assert_eq!(rows(&[500, 50, 50], 10, 300), vec![vec![0], vec![1, 2]]);
        assert!(rows(&[], 10, 300).is_empty());
    }
}
