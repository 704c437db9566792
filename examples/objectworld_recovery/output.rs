//! The files the experiment leaves: the EVD-vs-N figure (PNG and SVG) and the raw
//! numbers (JSON: design, per-world baselines, every run, the summary rows).
//!
//! In the figure, the series of one N are nudged apart horizontally by a few percent
//! (a constant factor on the logarithmic axis) so that their error bars do not overlap.

use std::path::{Path, PathBuf};

use anyhow::Result;
use irl::io::write_atomic;
use irl::plot::{line_chart, AxisScale, LineChartSpec, Rgb, Series};
use serde::Serialize;

use crate::design::Design;
use crate::run::RunRecord;
use crate::summary::{BaselineSummary, Row, Spread};
use crate::worlds::WorldBaseline;

/// Base name of the output files.
pub const STEM: &str = "objectworld_recovery";

/// Horizontal offsets (factors on x) of the four series, so error bars stay apart.
const NUDGES: [f64; 4] = [0.955, 0.985, 1.015, 1.045];

/// The JSON document.
#[derive(Serialize)]
pub struct Report<'a> {
    pub design: &'a Design,
    pub worlds: &'a [WorldBaseline],
    pub baseline: &'a BaselineSummary,
    pub summary: &'a [Row],
    pub runs: &'a [RunRecord],
    pub total_seconds: f64,
}

/// Write `<STEM>.json` into `folder`; returns its path.
pub fn write_json(folder: &Path, report: &Report) -> Result<PathBuf> {
    let path = folder.join(format!("{STEM}.json"));
    write_atomic(&path, |out| {
        serde_json::to_writer_pretty(&mut *out, report).map_err(|e| irl::Error::Io {
            path: path.clone(),
            source: e.into(),
        })
    })?;
    Ok(path)
}

/// Write `<STEM>.png` and `<STEM>.svg` into `folder`; returns their paths.
pub fn write_plots(
    folder: &Path,
    design: &Design,
    rows: &[Row],
    baseline: &BaselineSummary,
) -> Result<Vec<PathBuf>> {
    let spec = chart(design, rows, baseline);
    ["png", "svg"]
        .iter()
        .map(|extension| {
            let path = folder.join(format!("{STEM}.{extension}"));
            line_chart(&spec, &path)?;
            Ok(path)
        })
        .collect()
}

/// One plotted line: a feature set, an EVD kind and where its numbers are in a row.
struct Line {
    features: &'static str,
    kind: &'static str,
    color: Rgb,
    value: fn(&Row) -> Spread,
}

fn chart(design: &Design, rows: &[Row], baseline: &BaselineSummary) -> LineChartSpec {
    // Discrete in blues, continuous in warm colours; hard EVD dark, soft EVD light.
    let lines = [
        Line {
            features: "discrete",
            kind: "hard",
            color: Rgb(0, 90, 160),
            value: |r| r.hard_evd,
        },
        Line {
            features: "discrete",
            kind: "soft",
            color: Rgb(86, 180, 233),
            value: |r| r.soft_evd,
        },
        Line {
            features: "continuous",
            kind: "hard",
            color: Rgb(200, 70, 0),
            value: |r| r.hard_evd,
        },
        Line {
            features: "continuous",
            kind: "soft",
            color: Rgb(230, 159, 0),
            value: |r| r.soft_evd,
        },
    ];
    let series = lines
        .iter()
        .zip(NUDGES)
        .filter_map(|(line, nudge)| {
            let group: Vec<&Row> = rows
                .iter()
                .filter(|r| r.features == line.features)
                .collect();
            if group.is_empty() {
                return None;
            }
            let (points, errors) = group
                .iter()
                .map(|r| {
                    let spread = (line.value)(r);
                    ((r.n_demos as f64 * nudge, spread.mean), spread.sd)
                })
                .unzip();
            Some(Series {
                name: format!("{} features, {} EVD", line.features, line.kind),
                points,
                errors: Some(errors),
                color: Some(line.color),
            })
        })
        .collect();
    let seeds = design.seeds;
    let mut spec = LineChartSpec::new(
        format!(
            "Objectworld {n}×{n}: MaxCausalEnt IRL, {seeds} worlds (uniform policy: hard EVD {:.1})",
            baseline.uniform_hard_evd.mean,
            n = design.size
        ),
        format!(
            "demonstrations N ({} steps each, log scale)",
            design.length
        ),
        "expected value difference (mean ± sd)",
        series,
    );
    spec.x_scale = AxisScale::Log;
    spec.size = (1100, 750);
    spec
}
