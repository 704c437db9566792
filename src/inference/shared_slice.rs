//! A mutable slice shared among parallel tasks that work on disjoint parts of it: the
//! chunks of one step of a [`lockstep`](super::lockstep) run (which reads the rows the
//! steps before it wrote and writes its chunk of its own row), or the blocks of a
//! propagation step, each adding to its own states' totals. Rust's borrows cannot
//! express "disjoint, and ordered by the run", so the parts are handed out by unsafe
//! methods whose callers state why no two tasks touch the same element at once; each
//! part is still bounds-checked.

use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ops::Range;

/// A mutable slice shared by tasks that each read and write parts of it that no task
/// running at the same time writes.
pub struct SharedSlice<'a, T> {
    start: *mut T,
    len: usize,
    borrowed: PhantomData<&'a mut [T]>,
}

// SAFETY: the slice is borrowed mutably for 'a, and the callers of `part` and
// `part_mut` promise that what one thread writes no other touches meanwhile.
unsafe impl<T: Send> Sync for SharedSlice<'_, T> {}
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
    /// # Safety
    /// No task that may run at the same time writes any of them.
    pub unsafe fn part(&self, range: Range<usize>) -> &[T] {
        assert!(range.start <= range.end && range.end <= self.len);
        std::slice::from_raw_parts(self.start.add(range.start), range.len())
    }

    /// The elements `range`, to write.
    ///
    /// # Safety
    /// No task that may run at the same time reads or writes any of them.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn part_mut(&self, range: Range<usize>) -> &mut [T] {
        assert!(range.start <= range.end && range.end <= self.len);
        std::slice::from_raw_parts_mut(self.start.add(range.start), range.len())
    }
}

impl<T: Copy> SharedSlice<'_, MaybeUninit<T>> {
    /// The elements `range`, each first set to `value`, to write.
    ///
    /// # Safety
    /// As for [`part_mut`](Self::part_mut).
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn init_part(&self, range: Range<usize>, value: T) -> &mut [T] {
        let part = self.part_mut(range);
        part.iter_mut().for_each(|x| {
            x.write(value);
        });
        // SAFETY: every element was just initialised, and MaybeUninit<T> has T's layout.
        &mut *(part as *mut [MaybeUninit<T>] as *mut [T])
    }

    /// The elements `range`, which earlier tasks initialised.
    ///
    /// # Safety
    /// As for [`part`](Self::part), and every element has been initialised.
    pub unsafe fn initialised_part(&self, range: Range<usize>) -> &[T] {
        let part = self.part(range);
        // SAFETY: initialised, as the caller promises; MaybeUninit<T> has T's layout.
        &*(part as *const [MaybeUninit<T>] as *const [T])
    }
}
