//! A mutable slice shared among parallel tasks that work on disjoint parts of it: the
//! chunks of one step of a [`lockstep`](super::lockstep) run, which reads the rows the
//! steps before it wrote and writes its chunk of its own row. Rust's borrows cannot
//! express "disjoint, and ordered by the run", so the parts are handed out by unsafe
//! methods whose callers state why no two tasks touch the same element at once; each
//! part is still bounds-checked.

use std::marker::PhantomData;
use std::ops::Range;

/// A mutable slice shared by tasks that each read and write parts of it that no task
/// running at the same time writes.
pub struct SharedSlice<'a, T> {
    start: *mut T,
    len: usize,
    borrowed: PhantomData<&'a mut [T]>,
}

// SAFETY: the slice is borrowed mutably for 'a, so nothing outside the tasks touches it,
// and the callers of `part` and `part_mut` promise that what one thread writes no other
// touches meanwhile; the elements move between threads only as `T: Send` allows.
unsafe impl<T: Send> Sync for SharedSlice<'_, T> {}
// SAFETY: as for `Sync`.
unsafe impl<T: Send> Send for SharedSlice<'_, T> {}

impl<'a, T> SharedSlice<'a, T> {
    /// Share `slice` among the tasks of a run.
    pub fn new(slice: &'a mut [T]) -> Self {
        Self {
            start: slice.as_mut_ptr(),
            len: slice.len(),
            borrowed: PhantomData,
        }
    }

    /// The elements `range`.
    ///
    /// # Panics
    /// If `range` does not lie inside the slice.
    ///
    /// # Safety
    /// No task that may run at the same time writes any of them.
    pub unsafe fn part(&self, range: Range<usize>) -> &[T] {
        assert!(range.start <= range.end && range.end <= self.len);
        // SAFETY: the range lies inside the borrowed slice (asserted), and no one writes
        // it meanwhile (the caller's guarantee).
        unsafe { std::slice::from_raw_parts(self.start.add(range.start), range.len()) }
    }

    /// The elements `range`, to write.
    ///
    /// # Panics
    /// If `range` does not lie inside the slice.
    ///
    /// # Safety
    /// No task that may run at the same time reads or writes any of them.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn part_mut(&self, range: Range<usize>) -> &mut [T] {
        assert!(range.start <= range.end && range.end <= self.len);
        // SAFETY: the range lies inside the borrowed slice (asserted), and no one else
        // touches it meanwhile (the caller's guarantee).
        unsafe { std::slice::from_raw_parts_mut(self.start.add(range.start), range.len()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_on_disjoint_parts_see_each_others_finished_writes() {
        // Row t + 1 of 64 numbers, in chunks of 8, is written from row t: element k is
        // element k + 1 of row t (wrapping around) plus one, so each chunk reads into
        // the next one. Rows are ordered by rayon's scope, the chunks of one row run on
        // any thread.
        let (width, rows, chunk) = (64, 5, 8);
        let mut flat: Vec<usize> = (0..width * rows).map(|k| k % width).collect();
        let shared = SharedSlice::new(&mut flat);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        pool.install(|| {
            for t in 0..rows - 1 {
                rayon::scope(|scope| {
                    for c in 0..width / chunk {
                        let shared = &shared;
                        scope.spawn(move |_| {
                            // SAFETY: row t was written by the scope before, which has
                            // ended; of row t + 1, this task alone writes chunk c.
                            let (before, part) = unsafe {
                                (
                                    shared.part(t * width..(t + 1) * width),
                                    shared.part_mut(
                                        (t + 1) * width + c * chunk
                                            ..(t + 1) * width + (c + 1) * chunk,
                                    ),
                                )
                            };
                            for (j, x) in part.iter_mut().enumerate() {
                                *x = before[(c * chunk + j + 1) % width] + 1;
                            }
                        });
                    }
                });
            }
        });
        // By induction from row 0 = k: row t, column k is (k + t) mod 64 + t.
        for t in 0..rows {
            for k in 0..width {
                assert_eq!(
                    flat[t * width + k],
                    (k + t) % width + t,
                    "row {t}, column {k}"
                );
            }
        }
    }

    #[test]
    fn parts_outside_the_slice_panic_instead_of_reaching_past_it() {
        let mut numbers = [1.0, 2.0, 3.0];
        let shared = SharedSlice::new(&mut numbers);
        // SAFETY: one thread, no part held at the same time.
        assert_eq!(unsafe { shared.part(1..3) }, &[2.0, 3.0]);
        // SAFETY: as above.
        let first = unsafe { shared.part_mut(0..1) };
        first[0] = 5.0;
        let attempt = |range: Range<usize>| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // SAFETY: as above (the call panics before it makes a slice).
                unsafe { shared.part_mut(range).len() }
            }))
        };
        assert!(attempt(2..4).is_err());
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = attempt(2..1);
        assert!(reversed.is_err());
        assert_eq!(attempt(3..3).ok(), Some(0));
        assert_eq!(numbers, [5.0, 2.0, 3.0]);
    }
}
