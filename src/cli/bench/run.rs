//! Running the benchmark: every case, then the thread scaling, then the fit (see the
//! [module doc](super) for what each measures).

use std::cell::Cell;
use std::sync::Arc;
use std::time::Instant;

use rayon::{ThreadPool, ThreadPoolBuilder};

use super::clock::{time_pairs, time_runs, RunPolicy};
use super::memory::{peak_resident_bytes, reset_peak_resident};
use super::params::BenchParams;
use super::report::{BenchReport, CaseReport, FitReport, ScalingReport, BENCH_FORMAT};
use super::traffic::{backward_bytes_per_second, backward_bytes_per_step};
use super::workload::{demonstration_seed, BenchCase, Workload, REGION_COLUMNS, REGION_ROWS};
use irl::inference::{backward, backward_reusing, forward, sample, MemoryEstimate};
use irl::learn::{nll_and_gradient_reusing, Alignment, DemoSteps, FitParams, FitProgress, Task};
use irl::{Error, Result};

/// Receives one line of progress at a time.
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// λ of the fit, `irl fit`'s default.
const FIT_L2: f64 = 0.01;

/// Run everything `params` asks for, reporting progress as it goes.
pub fn run_bench(params: &BenchParams, progress: Progress) -> Result<BenchReport> {
    params.check()?;
    let policy = RunPolicy {
        repeats: params.repeats,
        min_seconds: params.min_time,
        budget_seconds: params.time_budget,
    };
    let cases = params
        .cases()
        .iter()
        .map(|case| measure_case(case, params, &policy, &progress))
        .collect::<Result<Vec<_>>>()?;
    let scaling = params
        .scaling_size
        .map(|side| measure_scaling(&params.case(side), params, &policy, &progress))
        .transpose()?;
    let fit = params
        .fit_size
        .map(|side| measure_fit(&params.case(side), params, &progress))
        .transpose()?;
    Ok(BenchReport {
        format: BENCH_FORMAT,
        threads: rayon::current_num_threads(),
        available_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        optimised: !cfg!(debug_assertions),
        slip: params.slip,
        features: REGION_COLUMNS * REGION_ROWS,
        demos: params.demos,
        seed: params.seed,
        repeats: params.repeats,
        min_time: params.min_time,
        time_budget: params.time_budget,
        cases,
        scaling,
        fit,
    })
}

fn measure_case(
    case: &BenchCase,
    params: &BenchParams,
    policy: &RunPolicy,
    progress: &Progress,
) -> Result<CaseReport> {
    let window = reset_peak_resident();
    progress(&format!("{case}: building the world"));
    let clock = Instant::now();
    let workload = Workload::build(case, params.slip, params.seed)?;
    let build_seconds = clock.elapsed().as_secs_f64();
    let mdp = &workload.mdp;
    MemoryEstimate::solve(mdp, &workload.settings, false)
        .check("this benchmark case", workload.settings.memory_limit)?;
    let problem = workload.problem();
    progress(&format!("{case}: backward pass"));
    let mut values = None;
    let (backward_timing, ()) = time_runs(policy, || {
        values = Some(backward_reusing(&problem, values.take())?);
        Ok(())
    })?;
    let values = values.expect("at least one run");
    progress(&format!("{case}: forward pass"));
    let (forward_timing, ()) = time_runs(policy, || {
        forward(&problem, &values, mdp.initial(), false).map(drop)
    })?;
    let demos = sample(
        &problem,
        &values,
        params.demos,
        case.horizon,
        None,
        demonstration_seed(params.seed),
    );
    drop(problem);
    let steps = DemoSteps::new(&demos, Some(case.horizon), Alignment::Start)?;
    progress(&format!("{case}: one fit iteration (NLL and gradient)"));
    // The likelihood's passes write into the value rows of the backward passes above.
    let mut spare = Some(values);
    let (likelihood, ()) = time_runs(policy, || {
        let theta = workload.theta.view();
        let evaluation = nll_and_gradient_reusing(
            mdp,
            &workload.layout,
            &workload.settings,
            &steps,
            theta,
            spare.take(),
        )?;
        spare = Some(evaluation.values);
        Ok(())
    })?;
    Ok(CaseReport {
        side: case.side,
        states: mdp.n_states(),
        actions: mdp.n_actions(),
        transitions: mdp.transitions().nnz(),
        horizon: case.horizon,
        build_seconds,
        backward: backward_timing,
        forward: forward_timing,
        likelihood,
        peak_resident_bytes: window.then(peak_resident_bytes).flatten(),
        backward_bytes_per_step: backward_bytes_per_step(mdp, &workload.layout),
        backward_bytes_per_second: backward_bytes_per_second(
            mdp,
            &workload.layout,
            case.horizon,
            backward_timing.seconds,
        ),
    })
}

fn measure_scaling(
    case: &BenchCase,
    params: &BenchParams,
    policy: &RunPolicy,
    progress: &Progress,
) -> Result<ScalingReport> {
    let workload = Workload::build(case, params.slip, params.seed)?;
    let problem = workload.problem();
    let threads = rayon::current_num_threads();
    let pool = |n_threads: usize| {
        ThreadPoolBuilder::new()
            .num_threads(n_threads)
            .build()
            .map_err(|e| {
                Error::param(
                    "threads",
                    format!("a pool of {n_threads} threads could not be built: {e}"),
                )
            })
    };
    let (one, all) = (pool(1)?, pool(threads)?);
    progress(&format!(
        "{case}: backward pass on 1 thread and on {threads}, alternately"
    ));
    let spare = Cell::new(None);
    let run_on = |pool: &ThreadPool| {
        let taken = spare.take();
        spare.set(Some(pool.install(|| backward_reusing(&problem, taken))?));
        Ok(())
    };
    let (one_thread, all_threads, speedup) = time_pairs(policy, || run_on(&one), || run_on(&all))?;
    Ok(ScalingReport {
        side: case.side,
        states: workload.mdp.n_states(),
        actions: workload.mdp.n_actions(),
        horizon: case.horizon,
        threads,
        one_thread,
        all_threads,
        speedup,
    })
}

fn measure_fit(case: &BenchCase, params: &BenchParams, progress: &Progress) -> Result<FitReport> {
    let window = reset_peak_resident();
    progress(&format!(
        "fit at {case}: building the world and the demonstrations"
    ));
    let workload = Workload::build(case, params.slip, params.seed)?;
    let demos = {
        let problem = workload.problem();
        let values = backward(&problem)?;
        sample(
            &problem,
            &values,
            params.demos,
            case.horizon,
            None,
            demonstration_seed(params.seed),
        )
    };
    let steps = DemoSteps::new(&demos, Some(case.horizon), Alignment::Start)?;
    // The fit builds its own layout of the transitions, as `irl fit` does.
    let Workload {
        mdp,
        layout,
        settings,
        ..
    } = workload;
    drop(layout);
    let (states, actions, features) = (mdp.n_states(), mdp.n_actions(), mdp.features().dim());
    let fit_params = FitParams {
        settings,
        l2: FIT_L2,
        standard_errors: false,
        ..FitParams::default()
    };
    let report_iteration = Arc::clone(progress);
    let clock = Instant::now();
    let model = fit_params.fit_tasks(vec![Task { mdp, steps }], move |event| {
        if let FitProgress::Iteration(record) = event {
            report_iteration(&format!(
                "fit iteration {}: objective {:.6}, |gradient| {:.2e}",
                record.iteration, record.objective, record.gradient_norm
            ))
        }
    })?;
    let seconds = clock.elapsed().as_secs_f64();
    let training = model.training.as_ref().expect("a fit records its history");
    Ok(FitReport {
        side: case.side,
        states,
        actions,
        features,
        horizon: case.horizon,
        demos: params.demos,
        demonstrated_actions: training.n_actions,
        seconds,
        iterations: training.iterations.len().saturating_sub(1),
        evaluations: training.evaluations,
        converged: training.converged,
        stop_reason: training.stop_reason.clone(),
        nll_per_action: training.nll_per_action,
        l2: FIT_L2,
        peak_resident_bytes: window.then(peak_resident_bytes).flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use irl::worlds::GridActions;
    use std::sync::Mutex;

    #[test]
    fn a_tiny_benchmark_reports_the_worlds_it_measured() {
        let params = BenchParams {
            sizes: vec![5],
            actions: GridActions::Compass,
            horizon: 6,
            extra: vec!["5:4:3".parse().unwrap()],
            slip: 0.2,
            demos: 4,
            repeats: 2,
            min_time: 0.0,
            time_budget: 60.0,
            scaling_size: Some(5),
            fit_size: Some(5),
            seed: 2,
        };
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&lines);
        let report = run_bench(
            &params,
            Arc::new(move |line| sink.lock().unwrap().push(line.to_string())),
        )
        .unwrap();
        let shape: Vec<(usize, usize, usize, usize)> = report
            .cases
            .iter()
            .map(|c| (c.states, c.actions, c.transitions, c.horizon))
            .collect();
        // Compass 5×5: 4·16 + 12·20 + 9·24 entries; 4 actions: 16 per cell but 12 in a corner.
        assert_eq!(shape, [(25, 8, 520, 6), (25, 4, 25 * 16 - 16, 3)]);
        for case in &report.cases {
            assert_eq!(case.backward.runs, 2);
            assert_eq!(
                case.backward_bytes_per_step,
                5 * case.transitions as u64 + 4 * 25 * case.actions as u64 + 24 * 25
            );
            let expected_rate =
                case.horizon as f64 * case.backward_bytes_per_step as f64 / case.backward.seconds;
            assert!((case.backward_bytes_per_second / expected_rate - 1.0).abs() < 1e-12);
        }
        let scaling = report.scaling.unwrap();
        assert_eq!(
            (scaling.states, scaling.threads),
            (25, rayon::current_num_threads())
        );
        // Two pairs of alternate runs; the speed-up is the mean of their two ratios.
        assert_eq!((scaling.one_thread.runs, scaling.all_threads.runs), (2, 2));
        assert!(scaling.speedup > 0.0 && scaling.speedup.is_finite());
        let fit = report.fit.unwrap();
        assert_eq!((fit.states, fit.features, fit.demos), (25, 20, 4));
        // Demonstrations of T = 6 actions without terminal states: 4 × 6 actions.
        assert_eq!(fit.demonstrated_actions, 24);
        assert!(fit.evaluations >= fit.iterations);
        assert!(lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("fit iteration 0:")));
    }
}
