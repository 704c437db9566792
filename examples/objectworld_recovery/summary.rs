//! Summaries across seeds: mean ± sample standard deviation per feature set and N.
//!
//! For values x_1..x_m: mean x̄ = Σ x_i / m and sd = √(Σ (x_i − x̄)² / (m − 1)) (0 when
//! m = 1), the spread between worlds rather than the error of the mean.

use std::fmt::Write;

use serde::Serialize;

use crate::design::{feature_set_name, Design, FEATURE_SETS};
use crate::run::RunRecord;
use crate::worlds::WorldBaseline;

/// Mean and sample standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub mean: f64,
    pub sd: f64,
}

impl Spread {
    /// Of a non-empty list of values.
    pub fn of(values: &[f64]) -> Spread {
        let m = values.len() as f64;
        let mean = values.iter().sum::<f64>() / m;
        let squares: f64 = values.iter().map(|x| (x - mean) * (x - mean)).sum();
        let sd = if values.len() > 1 {
            (squares / (m - 1.0)).sqrt()
        } else {
            0.0
        };
        Spread { mean, sd }
    }

    fn show(&self, decimals: usize) -> String {
        format!("{:.*} ± {:.*}", decimals, self.mean, decimals, self.sd)
    }
}

/// One row of the table: a feature set and N, summarised over seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub features: &'static str,
    pub n_demos: usize,
    pub runs: usize,
    pub hard_evd: Spread,
    pub soft_evd: Spread,
    pub heldout_nll_per_action: Spread,
    pub mean_iterations: f64,
    pub mean_fit_seconds: f64,
    pub converged: usize,
}

/// The rows in table order: feature sets as in [`FEATURE_SETS`], N increasing.
pub fn rows(design: &Design, runs: &[RunRecord]) -> Vec<Row> {
    let mut rows = Vec::new();
    for features in FEATURE_SETS.map(feature_set_name) {
        for &n in &design.demo_counts {
            let group: Vec<&RunRecord> = runs
                .iter()
                .filter(|r| r.features == features && r.n_demos == n)
                .collect();
            if group.is_empty() {
                continue;
            }
            let spread = |value: fn(&RunRecord) -> f64| {
                Spread::of(&group.iter().map(|r| value(r)).collect::<Vec<_>>())
            };
            let count = group.len() as f64;
            rows.push(Row {
                features,
                n_demos: n,
                runs: group.len(),
                hard_evd: spread(|r| r.hard_evd),
                soft_evd: spread(|r| r.soft_evd),
                heldout_nll_per_action: spread(|r| r.heldout_nll_per_action),
                mean_iterations: group.iter().map(|r| r.iterations as f64).sum::<f64>() / count,
                mean_fit_seconds: group.iter().map(|r| r.fit_seconds).sum::<f64>() / count,
                converged: group.iter().filter(|r| r.converged).count(),
            });
        }
    }
    rows
}

/// Baselines summarised over worlds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineSummary {
    pub optimal_value: Spread,
    pub uniform_hard_evd: Spread,
    pub uniform_soft_evd: Spread,
    pub true_heldout_nll_per_action: Spread,
}

impl BaselineSummary {
    pub fn of(baselines: &[WorldBaseline]) -> Self {
        let spread = |value: fn(&WorldBaseline) -> f64| {
            Spread::of(&baselines.iter().map(value).collect::<Vec<_>>())
        };
        Self {
            optimal_value: spread(|b| b.optimal_value),
            uniform_hard_evd: spread(|b| b.uniform_hard_evd),
            uniform_soft_evd: spread(|b| b.uniform_soft_evd),
            true_heldout_nll_per_action: spread(|b| b.true_heldout_nll_per_action),
        }
    }
}

/// The table as plain text (a markdown table, readable in a terminal too).
pub fn table(rows: &[Row], baseline: &BaselineSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| features   |   N | hard EVD      | soft EVD      | held-out NLL/action | iterations | fit s | converged |"
    );
    let _ = writeln!(
        out,
        "|------------|----:|---------------|---------------|---------------------|-----------:|------:|----------:|"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "| {:<10} | {:>3} | {:<13} | {:<13} | {:<19} | {:>10.1} | {:>5.2} | {:>6}/{:<2} |",
            row.features,
            row.n_demos,
            row.hard_evd.show(2),
            row.soft_evd.show(2),
            row.heldout_nll_per_action.show(4),
            row.mean_iterations,
            row.mean_fit_seconds,
            row.converged,
            row.runs
        );
    }
    let _ = writeln!(
        out,
        "\nUniform random policy: hard EVD {}, soft EVD {} (optimal mean value {}).",
        baseline.uniform_hard_evd.show(2),
        baseline.uniform_soft_evd.show(2),
        baseline.optimal_value.show(2)
    );
    let _ = writeln!(
        out,
        "True reward (the expert's policy): held-out NLL/action {}.",
        baseline.true_heldout_nll_per_action.show(4)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_the_mean_and_the_sample_standard_deviation() {
        // Σ(x − 5)² = 9 + 1 + 1 + 1 + 0 + 0 + 4 + 16 = 32, so sd = √(32/7).
        let s = Spread::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(s.mean, 5.0);
        assert!((s.sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-15);
        assert_eq!(Spread::of(&[3.5]), Spread { mean: 3.5, sd: 0.0 });
        assert_eq!(s.show(2), "5.00 ± 2.14");
    }
}
