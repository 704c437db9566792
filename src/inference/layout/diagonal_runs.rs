//! Runs of consecutive states that share one stencil: the same state matrix (see
//! [`state_matrices`](super::state_matrices)) with successors at the same offsets,
//! n_k(s) = s + δ_k for every state s of the run.
//!
//! Over such a run the transition matrix is a band of constant diagonals, as in the
//! diagonal (DIA) storage of sparse matrices: p(s + δ_k | s, a) = P[a, k] for every s of
//! the run. The kernels then take the states [`GROUP`] at a time: the values V'(s + δ_k)
//! of four neighbouring states are four consecutive numbers, read as one vector with no
//! successor index at all, and their scatter adds one vector to four consecutive
//! numbers. A row of a grid's interior is one run.
//!
//! Runs shorter than [`MIN_RUN`] states are not kept: the per-state kernels do them,
//! and the per-state arrays of successor slots and matrix numbers hold only the states
//! outside runs.

use std::ops::Range;

/// States a diagonal kernel takes at once (one vector of four numbers each).
pub const GROUP: usize = 4;

/// Fewest states a run must have to be kept.
pub const MIN_RUN: usize = 2 * GROUP;

/// The runs of an MDP's state matrices.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagonalRuns {
    /// First state of each run, increasing.
    starts: Vec<u32>,
    /// One past the last state of each run.
    ends: Vec<u32>,
    /// The W offsets δ_k of each run: entry r·W + k.
    offsets: Vec<i32>,
    /// The matrix of each run.
    matrices: Vec<u32>,
    /// States in the runs before run r, for r = 0..=runs.
    covered_before: Vec<u32>,
}

/// Borrowed [`DiagonalRuns`], as the kernels read them.
#[derive(Debug, Clone, Copy)]
pub struct DiagonalRunsView<'a> {
    starts: &'a [u32],
    ends: &'a [u32],
    offsets: &'a [i32],
    matrices: &'a [u32],
    covered_before: &'a [u32],
    width: usize,
}

/// A stretch of a run of states, relative to the run's first state.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment<'a> {
    /// States outside the diagonal runs, to take one at a time; their successor slots
    /// and matrix numbers are entry `slot` onwards of the per-state arrays, which skip the
    /// states in runs.
    States { states: Range<usize>, slot: usize },
    /// States inside one diagonal run, with its matrix and its W offsets.
    Diagonal {
        states: Range<usize>,
        matrix: usize,
        deltas: &'a [i32],
    },
}

impl DiagonalRuns {
    /// The runs of the states whose W = `width` successor slots are `successors` (W per
    /// state) and whose matrices are `matrix_of`.
    pub fn new(successors: &[u32], matrix_of: &[u32], width: usize) -> Self {
        let mut runs = Self::none();
        let offset = |s: usize, k: usize| successors[s * width + k] as i64 - s as i64;
        let same_stencil = |s: usize, first: usize| {
            matrix_of[s] == matrix_of[first] && (0..width).all(|k| offset(s, k) == offset(first, k))
        };
        let mut first = 0;
        for s in 1..=matrix_of.len() {
            if s < matrix_of.len() && same_stencil(s, first) {
                continue;
            }
            let offsets: Option<Vec<i32>> = (0..width)
                .map(|k| i32::try_from(offset(first, k)).ok())
                .collect();
            if let (true, Some(offsets)) = (s - first >= MIN_RUN, offsets) {
                runs.starts.push(first as u32);
                runs.ends.push(s as u32);
                runs.offsets.extend(offsets);
                runs.matrices.push(matrix_of[first]);
                let covered = runs.covered_before.last().copied().unwrap_or(0);
                runs.covered_before.push(covered + (s - first) as u32);
            }
            first = s;
        }
        runs
    }

    /// No runs.
    pub fn none() -> Self {
        Self {
            starts: vec![],
            ends: vec![],
            offsets: vec![],
            matrices: vec![],
            covered_before: vec![0],
        }
    }

    /// Whether state s lies in a run.
    pub fn covers(&self) -> impl Fn(usize) -> bool + '_ {
        move |s| {
            let r = self.ends.partition_point(|&e| e as usize <= s);
            r < self.starts.len() && self.starts[r] as usize <= s
        }
    }

    /// The runs as the kernels read them, for W = `width`.
    pub fn view(&self, width: usize) -> DiagonalRunsView<'_> {
        DiagonalRunsView {
            starts: &self.starts,
            ends: &self.ends,
            offsets: &self.offsets,
            matrices: &self.matrices,
            covered_before: &self.covered_before,
            width,
        }
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        4 * (self.starts.len()
            + self.ends.len()
            + self.offsets.len()
            + self.matrices.len()
            + self.covered_before.len())
    }
}

impl<'a> DiagonalRunsView<'a> {
    /// Number of runs.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there are no runs.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// States covered by runs.
    pub fn states(&self) -> usize {
        self.starts
            .iter()
            .zip(self.ends)
            .map(|(&a, &b)| (b - a) as usize)
            .sum()
    }

    /// Call `visit` with the segments of states first..first + n, in order: the parts
    /// of diagonal runs, and the states between them.
    pub fn for_each_segment(&self, first: usize, n: usize, mut visit: impl FnMut(Segment<'a>)) {
        let end = first + n;
        let mut pending = first;
        let mut r = self.ends.partition_point(|&e| e as usize <= first);
        // The states outside runs from `pending` to `to`, which lie after run r − 1 and
        // before run r.
        let outside = |pending: usize, to: usize, r: usize| {
            (pending < to).then(|| Segment::States {
                states: pending - first..to - first,
                slot: pending - self.covered_before[r] as usize,
            })
        };
        while r < self.starts.len() && (self.starts[r] as usize) < end {
            let lo = (self.starts[r] as usize).max(first);
            if let Some(segment) = outside(pending, lo, r) {
                visit(segment);
            }
            pending = (self.ends[r] as usize).min(end);
            visit(Segment::Diagonal {
                states: lo - first..pending - first,
                matrix: self.matrices[r] as usize,
                deltas: &self.offsets[r * self.width..(r + 1) * self.width],
            });
            r += 1;
        }
        if let Some(segment) = outside(pending, end, r) {
            visit(segment);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Successors of a 1-D chain of `n` states with two slots: left and right
    /// neighbours, each end standing in for itself.
    fn chain(n: u32) -> Vec<u32> {
        (0..n)
            .flat_map(|s| [s.saturating_sub(1), (s + 1).min(n - 1)])
            .collect()
    }

    #[test]
    fn a_chain_is_one_run_between_its_ends() {
        let successors = chain(20);
        let runs = DiagonalRuns::new(&successors, &[0; 20], 2);
        // States 1..19 reach s − 1 and s + 1; the ends have other offsets.
        assert_eq!(
            (runs.starts.clone(), runs.ends.clone()),
            (vec![1], vec![19])
        );
        assert_eq!(runs.offsets, vec![-1, 1]);
        assert_eq!(runs.view(2).states(), 18);
        // A different matrix in the middle splits the run; 1..7 is too short to keep.
        let mut matrix_of = vec![0; 20];
        matrix_of[7] = 1;
        let runs = DiagonalRuns::new(&successors, &matrix_of, 2);
        assert_eq!((runs.starts, runs.ends), (vec![8], vec![19]));
    }

    #[test]
    fn segments_cover_the_states_in_order_with_their_slots_and_runs() {
        let successors = chain(40);
        let mut matrix_of = vec![0; 40];
        matrix_of[20] = 1;
        let runs = DiagonalRuns::new(&successors, &matrix_of, 2);
        // Runs 1..20 and 21..39; states 0, 20 and 39 lie outside, in slots 0, 1 and 2.
        assert_eq!(
            (runs.starts.clone(), runs.ends.clone()),
            (vec![1, 21], vec![20, 39])
        );
        assert_eq!(runs.covered_before, vec![0, 19, 37]);
        let covers = runs.covers();
        let outside: Vec<usize> = (0..40).filter(|&s| !covers(s)).collect();
        assert_eq!(outside, vec![0, 20, 39]);
        let view = runs.view(2);
        let segments = |first, n| {
            let mut all = vec![];
            view.for_each_segment(first, n, |segment| all.push(segment));
            all
        };
        let deltas: &[i32] = &[-1, 1];
        let diagonal = |states| Segment::Diagonal {
            states,
            matrix: 0,
            deltas,
        };
        assert_eq!(
            segments(0, 40),
            vec![
                Segment::States {
                    states: 0..1,
                    slot: 0
                },
                diagonal(1..20),
                Segment::States {
                    states: 20..21,
                    slot: 1
                },
                diagonal(21..39),
                Segment::States {
                    states: 39..40,
                    slot: 2
                },
            ]
        );
        // Windows that start inside a run, and one that ends inside the next.
        assert_eq!(
            segments(10, 20),
            vec![
                diagonal(0..10),
                Segment::States {
                    states: 10..11,
                    slot: 1
                },
                diagonal(11..20),
            ]
        );
        assert_eq!(
            segments(18, 5),
            vec![
                diagonal(0..2),
                Segment::States {
                    states: 2..3,
                    slot: 1
                },
                diagonal(3..5),
            ]
        );
    }
}
