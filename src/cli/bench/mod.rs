//! `irl bench`: time the soft dynamic program, the likelihood and a fit on gridworlds;
//! a Markdown table on stdout, progress on stderr, optionally JSON (`irl-bench/1`).
//!
//! **Cases.** Each case is an N×N gridworld with an action set and a horizon T (see
//! [`workload`] for the world: 20 region features, seeded true weights θ*, γ = 1, α = 1).
//! For each case, with the whole case inside one peak-memory window ([`memory`]):
//! - build the world (timed once);
//! - the backward pass V_T … V_0 for θ*;
//! - the forward pass from p0, without keeping the occupancy rows;
//! - one fit iteration: one [`nll_and_gradient`](irl::learn::nll_and_gradient) at θ* on
//!   the demonstrations (reward, backward pass and adjoint forward pass), which are `demos`
//!   trajectories of T actions sampled from the soft-optimal policy for θ*, from p0;
//! - the achieved traffic of the backward pass, T·[`backward_bytes_per_step`]/seconds.
//!
//! Times are medians over repeated runs: at least `repeats`, and more until a
//! measurement has run `min_time` seconds ([`clock`]). Repeated backward passes and fit
//! iterations run as a fit's loop does: each writes its value rows into the memory of the
//! run before ([`backward_reusing`](irl::inference::backward_reusing)), so the times
//! leave out the page faults on first touch of fresh memory that a single cold solve
//! also pays (about half a second of one thread at 10⁶ states, T = 100).
//!
//! **Thread scaling.** The backward pass of one case on a rayon pool of one thread and on
//! a pool of as many threads as rayon's global pool, run alternately and writing into the
//! same value rows; the speed-up is the median of the pairs' ratios
//! ([`clock::time_pairs`]).
//!
//! **Fit.** A full fit as `irl fit` runs it by default (L-BFGS with memory 10, λ = 0.01,
//! per-action gradient tolerance 1e-6, relative objective tolerance 1e-10, at most 200
//! iterations, from θ = 0) with standard errors off, on `demos` expert demonstrations of
//! one case; its wall time covers everything after the demonstrations are drawn.

mod clock;
mod memory;
mod params;
mod report;
mod run;
mod table;
mod traffic;
mod workload;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use irl::worlds::GridActions;

use super::console::{note, print};
use super::files::{check_out, save};
use params::BenchParams;
use run::{run_bench, Progress};
use table::markdown;
use workload::BenchCase;

#[derive(Args)]
pub struct BenchArgs {
    /// Grid sides N of the main cases (N² states each), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10,32,100,316,1000")]
    sizes: Vec<usize>,
    /// Actions of the main cases: 4 (E, W, N, S), 5 (with stay) or 8 (compass).
    #[arg(long, default_value_t = 8)]
    actions: usize,
    /// Slip probability of every world.
    #[arg(long, default_value_t = 0.2)]
    slip: f64,
    /// Horizon T of the main cases, the thread scaling and the fit.
    #[arg(long, default_value_t = 100)]
    horizon: usize,
    /// Further cases SIDE:ACTIONS:HORIZON, comma-separated, or `none`; the default is
    /// the case of the 10 ms target (100×100, 4 actions, T = 50).
    #[arg(long, value_delimiter = ',', default_value = "100:4:50")]
    extra: Vec<String>,
    /// Expert demonstrations for the fit iteration and the fit.
    #[arg(long, default_value_t = 100)]
    demos: usize,
    /// Runs per timed measurement; the median is reported.
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Seconds a measurement keeps repeating for, beyond --repeats (at most 1000 runs),
    /// so that fast cases get the median of many runs.
    #[arg(long, default_value_t = 1.0)]
    min_time: f64,
    /// Seconds after which a measurement starts no further run (the first always runs).
    #[arg(long, default_value_t = 30.0)]
    time_budget: f64,
    /// Grid side of the 1-thread vs all-threads backward pass [default: the largest of
    /// --sizes]; 0 skips it.
    #[arg(long)]
    scaling_size: Option<usize>,
    /// Grid side of the full IRL fit; 0 skips it.
    #[arg(long, default_value_t = 500)]
    fit_size: usize,
    /// Seed of the true weights (the demonstrations use seed + 1).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also write the measurements as JSON (irl-bench/1) to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// No progress on stderr.
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: BenchArgs) -> Result<()> {
    let params = params(&args)?;
    params.check()?;
    if let Some(path) = &args.json {
        check_out(path).with_context(|| format!("--json {}", path.display()))?;
    }
    if cfg!(debug_assertions) {
        note(
            "irl bench: WARNING: this is a debug build without optimisations; \
             its timings say nothing about release speed (use cargo run --release -- bench)",
        );
    }
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {wide_msg}").expect("valid template"),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    });
    let progress: Progress = match (&bar, args.quiet) {
        (Some(bar), _) => {
            let bar = bar.clone();
            Arc::new(move |line: &str| bar.set_message(line.to_string()))
        }
        (None, true) => Arc::new(|_: &str| {}),
        (None, false) => Arc::new(|line: &str| note(&format!("irl bench: {line}"))),
    };
    let report = run_bench(&params, progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = report?;
    if let Some(path) = &args.json {
        save(path, |w| irl::json::to_writer(w, &report))?;
    }
    print(&markdown(&report))
}

fn params(args: &BenchArgs) -> Result<BenchParams> {
    let extra = match args.extra.as_slice() {
        [none] if none == "none" => Vec::new(),
        texts => texts
            .iter()
            .map(|t| t.parse::<BenchCase>())
            .collect::<irl::Result<_>>()?,
    };
    let optional = |side: usize| (side > 0).then_some(side);
    Ok(BenchParams {
        sizes: args.sizes.clone(),
        actions: GridActions::from_count(args.actions)?,
        horizon: args.horizon,
        extra,
        slip: args.slip,
        demos: args.demos,
        repeats: args.repeats,
        min_time: args.min_time,
        time_budget: args.time_budget,
        scaling_size: match args.scaling_size {
            Some(side) => optional(side),
            None => args.sizes.iter().copied().max(),
        },
        fit_size: optional(args.fit_size),
        seed: args.seed,
    })
}
