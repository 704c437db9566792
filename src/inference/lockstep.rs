//! Steps that must run in order (step i + 1 reads what step i wrote), each split into
//! chunks that any thread may take, in one parallel region for the whole run.
//!
//! A parallel region per step costs every step a round of splitting, stealing and
//! joining: tens of microseconds in a virtual machine, against a step of about a
//! hundred microseconds at 10⁴ states. Here the threads of the pool take the tasks
//! (step, chunk) from one shared counter, in order, and before a task of step i a
//! thread waits, spinning, until every task of the steps before i has finished.
//!
//! The run cannot deadlock, even when some threads of the pool are busy elsewhere: a
//! thread only waits for tasks that have been taken, a taken task runs to its end
//! without waiting, and the threads that are present take whatever is left. Each chunk
//! does the same arithmetic whoever runs it, so results do not depend on the number of
//! threads. If a task panics, the others stop waiting and the panic propagates.

use std::hint::spin_loop;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Spins between two checks of the shared state before a waiting thread yields its core.
const SPINS_BEFORE_YIELD: u32 = 1 << 10;

/// Run `task(step, chunk, scratch)` for steps 0..`steps` in order, each over chunks
/// 0..`chunks`, where every task of a step starts after all tasks of the steps before
/// it have finished. Each thread that joins in gets its own `scratch()`. With
/// `parallel`, the threads of the current rayon pool join in; otherwise the tasks run
/// in order on the calling thread.
pub fn lockstep<S>(
    parallel: bool,
    steps: usize,
    chunks: usize,
    scratch: impl Fn() -> S + Sync,
    task: impl Fn(usize, usize, &mut S) + Sync,
) {
    let total = steps * chunks;
    if !parallel || total <= 1 {
        let mut scratch = scratch();
        (0..total).for_each(|k| task(k / chunks, k % chunks, &mut scratch));
        return;
    }
    let board = Board {
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
    };
    let work = || {
        let mut scratch = scratch();
        board.work(total, chunks, |step, chunk| task(step, chunk, &mut scratch));
    };
    rayon::scope(|scope| {
        for _ in 1..rayon::current_num_threads() {
            scope.spawn(|_| work());
        }
        work();
    });
}

/// The shared state of one run.
struct Board {
    /// The next task to hand out, numbered step·chunks + chunk.
    next: AtomicUsize,
    /// Tasks finished.
    done: AtomicUsize,
    /// A task panicked: nobody waits any longer.
    failed: AtomicBool,
}

impl Board {
    /// Take tasks until none is left.
    fn work(&self, total: usize, chunks: usize, mut run: impl FnMut(usize, usize)) {
        loop {
            let k = self.next.fetch_add(1, Ordering::Relaxed);
            if k >= total {
                return;
            }
            let (step, chunk) = (k / chunks, k % chunks);
            if !self.wait_for(step * chunks) {
                return;
            }
            let alarm = Alarm(&self.failed);
            run(step, chunk);
            std::mem::forget(alarm);
            self.done.fetch_add(1, Ordering::Release);
        }
    }

    /// Wait until `count` tasks have finished; false if a task panicked meanwhile.
    fn wait_for(&self, count: usize) -> bool {
        let mut spins = 0u32;
        while self.done.load(Ordering::Acquire) < count {
            if self.failed.load(Ordering::Relaxed) {
                return false;
            }
            spins += 1;
            if spins.is_multiple_of(SPINS_BEFORE_YIELD) {
                std::thread::yield_now();
            } else {
                spin_loop();
            }
        }
        true
    }
}

/// Raises the flag when dropped, which only happens when a task unwinds.
struct Alarm<'a>(&'a AtomicBool);

impl Drop for Alarm<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Each step adds its chunk's share of the previous step's total, so any task that
    /// started before the step before it had finished would read a wrong total.
    fn chained_sums(parallel: bool, threads: usize) -> Vec<u64> {
        let (steps, chunks) = (200, 7);
        let cells: Vec<AtomicUsize> = (0..steps * chunks).map(|_| AtomicUsize::new(0)).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let scratch_made = AtomicUsize::new(0);
        pool.install(|| {
            lockstep(
                parallel,
                steps,
                chunks,
                || scratch_made.fetch_add(1, Ordering::Relaxed),
                |step, chunk, _| {
                    let before: usize = match step {
                        0 => 1,
                        _ => (0..chunks)
                            .map(|c| cells[(step - 1) * chunks + c].load(Ordering::Relaxed))
                            .sum(),
                    };
                    let value = (before * (chunk + 1)) % 1_000_003;
                    cells[step * chunks + chunk].store(value, Ordering::Relaxed);
                },
            )
        });
        assert!(scratch_made.load(Ordering::Relaxed) <= threads);
        cells
            .iter()
            .map(|c| c.load(Ordering::Relaxed) as u64)
            .collect()
    }

    #[test]
    fn steps_run_in_order_on_any_number_of_threads() {
        let alone = chained_sums(false, 1);
        // Worked by hand: step 0 writes 1·(c + 1); step 1 sees 1 + 2 + … + 7 = 28.
        assert_eq!(&alone[..7], &[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(&alone[7..14], &[28, 56, 84, 112, 140, 168, 196]);
        for threads in [1, 2, 4] {
            for _ in 0..20 {
                assert_eq!(chained_sums(true, threads), alone, "{threads} threads");
            }
        }
    }

    #[test]
    fn a_panicking_task_stops_the_run_instead_of_hanging_it() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let reached = Mutex::new(0usize);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| {
                lockstep(
                    true,
                    50,
                    4,
                    || (),
                    |step, _, _| {
                        if step == 10 {
                            panic!("step 10 fails");
                        }
                        let mut reached = reached.lock().unwrap();
                        *reached = (*reached).max(step);
                    },
                )
            })
        }));
        assert!(outcome.is_err());
        assert!(*reached.lock().unwrap() < 10);
    }
}
