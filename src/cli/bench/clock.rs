//! Wall-clock timing of repeated runs, summarised by their median.
//!
//! A measurement runs its work `repeats` times, and then on while its runs so far have
//! taken less than `min_seconds` in total (at most [`MAX_RUNS`] runs), so that the median
//! of a case that takes milliseconds rests on many runs of a noisy machine, not on three.
//! It starts another run only while the runs so far have taken less than
//! `budget_seconds`; the first run always happens. So a case whose single run exceeds
//! the budget (a 10^6-state grid before the kernels are fast) is run once. The median of
//! n sorted times is the middle one, or the mean of the two middle ones when n is even.
//!
//! A comparison of two ways of doing the same work ([`time_pairs`]) alternates them, one
//! run of each per pair, under the same rules counted in pairs, and reports the median of
//! the pairs' ratios: a machine whose speed drifts slows both sides of a pair alike,
//! where timing all runs of one side before all runs of the other would put the drift
//! into the ratio.

use std::time::Instant;

use serde::Serialize;

use irl::Result;

/// Most runs of one measurement.
pub const MAX_RUNS: usize = 1000;

/// How often to repeat a measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunPolicy {
    /// Runs per measurement (at least 1), unless the budget stops them first.
    pub repeats: usize,
    /// Runs go on until they have taken this many seconds in total (at most
    /// [`MAX_RUNS`]).
    pub min_seconds: f64,
    /// No further run starts once the runs so far took this many seconds.
    pub budget_seconds: f64,
}

impl RunPolicy {
    /// Whether a measurement that has made `runs` runs (or pairs) taking `spent` seconds
    /// in total starts another.
    fn wants_another(&self, runs: usize, spent: f64) -> bool {
        let wanted = runs < self.repeats.max(1) || (spent < self.min_seconds && runs < MAX_RUNS);
        wanted && (runs == 0 || spent < self.budget_seconds)
    }
}

/// The median wall time of a measurement and how many runs it took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Timing {
    pub seconds: f64,
    pub runs: usize,
}

/// Time `run` under `policy`; returns the timing and the last run's result. The previous
/// result is dropped before each new run, so at most one is alive at a time.
pub fn time_runs<T>(policy: &RunPolicy, mut run: impl FnMut() -> Result<T>) -> Result<(Timing, T)> {
    let mut times = Vec::with_capacity(policy.repeats);
    let mut last = None;
    let mut spent = 0.0;
    while policy.wants_another(times.len(), spent) {
        drop(last.take());
        let clock = Instant::now();
        let result = run()?;
        let seconds = clock.elapsed().as_secs_f64();
        times.push(seconds);
        spent += seconds;
        last = Some(result);
    }
    let timing = Timing {
        seconds: median(&mut times),
        runs: times.len(),
    };
    Ok((timing, last.expect("at least one run")))
}

/// Time `first` and `second` alternately under `policy` (see the module doc); returns
/// their timings and the median over pairs of first time / second time.
pub fn time_pairs(
    policy: &RunPolicy,
    mut first: impl FnMut() -> Result<()>,
    mut second: impl FnMut() -> Result<()>,
) -> Result<(Timing, Timing, f64)> {
    let (mut firsts, mut seconds, mut ratios) = (vec![], vec![], vec![]);
    let mut spent = 0.0;
    while policy.wants_another(ratios.len(), spent) {
        let (a, b) = (seconds_of(&mut first)?, seconds_of(&mut second)?);
        spent += a + b;
        firsts.push(a);
        seconds.push(b);
        ratios.push(a / b);
    }
    let runs = ratios.len();
    let timing = |times: &mut Vec<f64>| Timing {
        seconds: median(times),
        runs,
    };
    Ok((
        timing(&mut firsts),
        timing(&mut seconds),
        median(&mut ratios),
    ))
}

/// The wall time of one run.
fn seconds_of(run: &mut impl FnMut() -> Result<()>) -> Result<f64> {
    let clock = Instant::now();
    run()?;
    Ok(clock.elapsed().as_secs_f64())
}

/// The median of `values` (sorted in place); NaN for none.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if !n.is_multiple_of(2) => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut [7.0]), 7.0);
        assert!(median(&mut []).is_nan());
    }

    #[test]
    fn repeats_stop_at_the_count_or_the_budget() {
        let mut calls = 0;
        let all = RunPolicy {
            repeats: 3,
            min_seconds: 0.0,
            budget_seconds: f64::INFINITY,
        };
        let (timing, last) = time_runs(&all, || {
            calls += 1;
            Ok(calls)
        })
        .unwrap();
        assert_eq!((timing.runs, last, calls), (3, 3, 3));
        assert!(timing.seconds >= 0.0);
        let spent = RunPolicy {
            repeats: 3,
            min_seconds: 0.0,
            budget_seconds: 0.0,
        };
        let (timing, last) = time_runs(&spent, || Ok("once")).unwrap();
        assert_eq!((timing.runs, last), (1, "once"));
        // The budget is checked before each further run: runs of at least 5 ms under a
        // 7 ms budget stop after the second run at the latest (the first may overrun it).
        let sleepy = RunPolicy {
            repeats: 5,
            min_seconds: 0.0,
            budget_seconds: 0.007,
        };
        let (timing, _) = time_runs(&sleepy, || {
            std::thread::sleep(std::time::Duration::from_millis(5));
            Ok(())
        })
        .unwrap();
        assert!((1..=2).contains(&timing.runs), "{timing:?}");
        assert!(timing.seconds >= 0.005);
    }

    #[test]
    fn fast_runs_go_on_until_the_minimum_time_within_the_budget() {
        // Runs of at least 1 ms: 3 are asked for, but they go on until 12 ms have passed,
        // which takes at most 12 of them.
        let until = RunPolicy {
            repeats: 3,
            min_seconds: 0.012,
            budget_seconds: f64::INFINITY,
        };
        let sleep = || {
            std::thread::sleep(std::time::Duration::from_millis(1));
            Ok(())
        };
        let (timing, ()) = time_runs(&until, sleep).unwrap();
        assert!((3..=12).contains(&timing.runs), "{timing:?}");
        // Instant runs stop at the cap; the budget still stops slow ones.
        let instant = RunPolicy {
            repeats: 1,
            min_seconds: 1e9,
            budget_seconds: f64::INFINITY,
        };
        assert_eq!(time_runs(&instant, || Ok(())).unwrap().0.runs, MAX_RUNS);
        let capped = RunPolicy {
            repeats: 1,
            min_seconds: 1.0,
            budget_seconds: 0.003,
        };
        let (timing, ()) = time_runs(&capped, sleep).unwrap();
        assert!((1..=3).contains(&timing.runs), "{timing:?}");
    }

    #[test]
    fn pairs_alternate_and_report_the_median_ratio() {
        // Pairs of (20, 10), (60, 10) and (60, 30) ms: the ratios are near 2, 6 and 2, so
        // their median is near 2, where the ratio of the two medians (6 / 1) would be near
        // 6. (Tens of milliseconds, so that a busy machine's scheduling delays, which
        // reach a millisecond or more, do not decide the ratios.)
        let order = std::cell::RefCell::new(Vec::new());
        let policy = RunPolicy {
            repeats: 3,
            min_seconds: 0.0,
            budget_seconds: f64::INFINITY,
        };
        let sleep = |ms: u64| std::thread::sleep(std::time::Duration::from_millis(ms));
        let (mut pair_a, mut pair_b) = (0, 0);
        let (first, second, ratio) = time_pairs(
            &policy,
            || {
                order.borrow_mut().push('a');
                pair_a += 1;
                sleep([20, 60, 60][pair_a - 1]);
                Ok(())
            },
            || {
                order.borrow_mut().push('b');
                pair_b += 1;
                sleep([10, 10, 30][pair_b - 1]);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(order.into_inner(), ['a', 'b', 'a', 'b', 'a', 'b']);
        assert_eq!((first.runs, second.runs), (3, 3));
        assert!(first.seconds >= 0.060 && second.seconds >= 0.010);
        assert!(ratio > 1.3 && ratio < 3.5, "{ratio}");
        let failing = time_pairs(&policy, || Ok(()), || Err(irl::Error::param("x", "bad")));
        assert!(failing.is_err());
    }

    #[test]
    fn a_failing_run_is_the_error() {
        let policy = RunPolicy {
            repeats: 2,
            min_seconds: 0.0,
            budget_seconds: 1.0,
        };
        let result: Result<(Timing, ())> =
            time_runs(&policy, || Err(irl::Error::param("horizon", "bad")));
        assert!(result.unwrap_err().to_string().contains("`horizon`"));
    }
}
