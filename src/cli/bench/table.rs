//! The benchmark report as Markdown: a few header lines, one table row per case, and a
//! sentence each for the thread scaling and the fit, ready to paste into a README.
//!
//! Times are shown with three significant digits in s, ms or µs; memory in binary units
//! (MiB, GiB) as the kernel counts it; traffic in decimal GB/s (or MB/s). A timing based
//! on fewer runs than asked for shows its count, e.g. `12.3 s (1 run)`.

use std::fmt::Write;

use super::clock::{Timing, MAX_RUNS};
use super::report::{BenchReport, CaseReport, FitReport, ScalingReport};
use super::workload::{REGION_COLUMNS, REGION_ROWS, REWARD_DENSITY};

/// Render the whole report.
pub fn markdown(report: &BenchReport) -> String {
    let mut out = String::from("# irl bench\n\n");
    if !report.optimised {
        out +=
            "**WARNING: this `irl` was built without optimisations (a debug build); its timings \
                say nothing about release speed. Use `cargo run --release -- bench`.**\n\n";
    }
    let build = if report.optimised {
        "release (optimised)"
    } else {
        "debug (NOT optimised)"
    };
    let _ = writeln!(
        out,
        "- build: {build}; threads: {} in rayon's pool, {} available",
        report.threads, report.available_threads
    );
    let _ = writeln!(
        out,
        "- worlds: N×N gridworlds, slip {}, {} region features ({REGION_COLUMNS} × {REGION_ROWS}), \
         θ* from seed {} (reward density {REWARD_DENSITY}), γ = 1, α = 1",
        report.slip, report.features, report.seed
    );
    let _ = writeln!(
        out,
        "- fit iteration: NLL + gradient on {} demonstrations of T actions from the soft-optimal policy",
        report.demos
    );
    let _ = writeln!(
        out,
        "- times: median of {} runs or more, until a measurement has taken {} s (at most {MAX_RUNS} runs; no further run once it has taken {} s); \
         traffic: T·(bytes of the transitions as the kernels stream them + 24 B per state) / backward time \
         (state matrices: 4 B per successor slot and per state outside diagonal runs, 4 B per offset and 8 B per run; rows: 5 B per transition, 12 B with over 256 distinct probabilities, and 4 B per (s, a))\n",
        report.repeats, report.min_time, report.time_budget
    );
    out += "| grid | S | A | transitions | T | build | backward | forward | backward + forward | fit iteration | peak RSS | backward traffic |\n";
    out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for case in &report.cases {
        out += &case_row(case, report.repeats);
    }
    if let Some(scaling) = &report.scaling {
        out += &scaling_line(scaling, report.repeats);
    }
    if let Some(fit) = &report.fit {
        out += &fit_line(fit);
    }
    out
}

fn case_row(case: &CaseReport, repeats: usize) -> String {
    format!(
        "| {side}×{side} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        thousands(case.states),
        case.actions,
        thousands(case.transitions),
        case.horizon,
        seconds(case.build_seconds),
        timing(&case.backward, repeats),
        timing(&case.forward, repeats),
        seconds(case.backward.seconds + case.forward.seconds),
        timing(&case.likelihood, repeats),
        case.peak_resident_bytes.map_or("n/a".into(), bytes),
        rate(case.backward_bytes_per_second),
        side = case.side,
    )
}

fn scaling_line(s: &ScalingReport, repeats: usize) -> String {
    format!(
        "\nBackward pass at {side}×{side} (S = {}, A = {}, T = {}): 1 thread {}, {} threads {}; \
         speed-up {:.2}× (median over pairs of runs taken alternately).\n",
        thousands(s.states),
        s.actions,
        s.horizon,
        timing(&s.one_thread, repeats),
        s.threads,
        timing(&s.all_threads, repeats),
        s.speedup,
        side = s.side,
    )
}

fn fit_line(f: &FitReport) -> String {
    format!(
        "\nIRL fit at {side}×{side} (S = {}, A = {}, K = {}, T = {}, {} demonstrations, {} actions; \
         L-BFGS, λ = {}, standard errors off): {}, {} iterations, {} likelihood evaluations, {} ({}), \
         NLL per action {:.4}, peak RSS {}.\n",
        thousands(f.states),
        f.actions,
        f.features,
        f.horizon,
        f.demos,
        thousands(f.demonstrated_actions),
        f.l2,
        seconds(f.seconds),
        f.iterations,
        f.evaluations,
        if f.converged {
            "converged"
        } else {
            "NOT converged"
        },
        f.stop_reason,
        f.nll_per_action,
        f.peak_resident_bytes.map_or("n/a".into(), bytes),
        side = f.side,
    )
}

/// `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Three significant digits (fewer decimals as the value grows).
fn significant(value: f64) -> String {
    let decimals = match value.abs() {
        v if v >= 100.0 => 0,
        v if v >= 10.0 => 1,
        _ => 2,
    };
    format!("{value:.decimals$}")
}

/// A duration in s, ms or µs.
fn seconds(s: f64) -> String {
    match s {
        s if s >= 1.0 => format!("{} s", significant(s)),
        s if s >= 1e-3 => format!("{} ms", significant(s * 1e3)),
        s => format!("{} µs", significant(s * 1e6)),
    }
}

/// A median with its run count when fewer runs than asked for were made.
fn timing(t: &Timing, repeats: usize) -> String {
    match t.runs {
        n if n >= repeats => seconds(t.seconds),
        1 => format!("{} (1 run)", seconds(t.seconds)),
        n => format!("{} ({n} runs)", seconds(t.seconds)),
    }
}

/// Bytes in MiB or GiB.
fn bytes(b: u64) -> String {
    let mib = b as f64 / (1u64 << 20) as f64;
    if mib >= 1024.0 {
        format!("{} GiB", significant(mib / 1024.0))
    } else {
        format!("{} MiB", significant(mib))
    }
}

/// A rate in GB/s, or MB/s below 1 GB/s.
fn rate(bytes_per_second: f64) -> String {
    if bytes_per_second >= 1e9 {
        format!("{} GB/s", significant(bytes_per_second / 1e9))
    } else {
        format!("{} MB/s", significant(bytes_per_second / 1e6))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_with_units_and_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(23_984_000), "23,984,000");
        assert_eq!(seconds(12.345), "12.3 s");
        assert_eq!(seconds(0.0042), "4.20 ms");
        assert_eq!(seconds(0.000_123_4), "123 µs");
        assert_eq!(bytes(650 << 20), "650 MiB");
        assert_eq!(bytes(3 << 29), "1.50 GiB");
        assert_eq!(rate(2.345e10), "23.4 GB/s");
        assert_eq!(rate(5.0e8), "500 MB/s");
        let once = Timing {
            seconds: 2.0,
            runs: 1,
        };
        assert_eq!(timing(&once, 3), "2.00 s (1 run)");
        assert_eq!(timing(&once, 1), "2.00 s");
    }

    #[test]
    fn a_case_row_has_every_column() {
        let t = |seconds| Timing { seconds, runs: 3 };
        let case = CaseReport {
            side: 1000,
            states: 1_000_000,
            actions: 8,
            transitions: 23_984_000,
            horizon: 100,
            build_seconds: 1.5,
            backward: t(4.0),
            forward: t(5.0),
            likelihood: t(9.5),
            peak_resident_bytes: None,
            backward_bytes_per_step: 100,
            backward_bytes_per_second: 3.2e9,
        };
        assert_eq!(
            case_row(&case, 3),
            "| 1000×1000 | 1,000,000 | 8 | 23,984,000 | 100 | 1.50 s | 4.00 s | 5.00 s | 9.00 s \
             | 9.50 s | n/a | 3.20 GB/s |\n"
        );
    }
}
