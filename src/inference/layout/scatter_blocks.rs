//! The blocks the forward pass scatters by.
//!
//! The forward pass pushes mass along the rows it has just read, so it needs no
//! transposed copy. States are cut into blocks of consecutive states; each block
//! scatters into a private window of successor states [lo, hi), the span of its rows'
//! successors, and the windows are then summed in block order, so the result does not
//! depend on the number of threads. Blocks are 1/64 of the states rounded up to a power
//! of two, between 2¹⁰ and 2¹⁴ states. On a grid a window is its block plus a row or two
//! of neighbours; when successors are scattered widely (windows totalling more than 8·S)
//! the blocks are doubled until they fit, so the windows never hold more than 8 numbers
//! per state.

use crate::mdp::Transitions;

/// States cut into blocks of `block_len`, each with the window of successors it reaches.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterBlocks {
    block_len: usize,
    /// [lo, hi) of each block's successors (lo = hi for a block with no transitions).
    windows: Vec<(usize, usize)>,
}

impl ScatterBlocks {
    /// The blocks of `transitions`, as the module doc sizes them: one pass over the
    /// successors for the smallest blocks, then each doubling merges pairs of windows.
    pub fn new(transitions: &Transitions) -> Self {
        let n_states = transitions.n_states();
        let mut blocks = Self::of_length(
            transitions,
            (n_states / 64).next_power_of_two().clamp(1 << 10, 1 << 14),
        );
        while blocks.window_total() > 8 * n_states && blocks.block_len < n_states {
            blocks = blocks.doubled();
        }
        blocks
    }

    /// The successor window of each block of `block_len` states.
    fn of_length(transitions: &Transitions, block_len: usize) -> Self {
        let (n_states, n_actions) = (transitions.n_states(), transitions.n_actions());
        let (row_start, next, _) = transitions.csr();
        let windows = (0..n_states)
            .step_by(block_len)
            .map(|first| {
                let last = (first + block_len).min(n_states);
                let entries = &next
                    [row_start[first * n_actions] as usize..row_start[last * n_actions] as usize];
                // One fold for both ends, which compiles to vector minima and maxima.
                let (lo, hi) = entries
                    .iter()
                    .fold((u32::MAX, 0), |(lo, hi), &x| (lo.min(x), hi.max(x)));
                if entries.is_empty() {
                    (0, 0)
                } else {
                    (lo as usize, hi as usize + 1)
                }
            })
            .collect();
        Self { block_len, windows }
    }

    /// The blocks of twice the length: each window spans the pair it replaces (an empty
    /// window, lo = hi, adds nothing).
    fn doubled(&self) -> Self {
        let merge = |pair: &[(usize, usize)]| {
            pair.iter()
                .copied()
                .filter(|(lo, hi)| lo < hi)
                .reduce(|(lo, hi), (l, h)| (lo.min(l), hi.max(h)))
                .unwrap_or((0, 0))
        };
        Self {
            block_len: 2 * self.block_len,
            windows: self.windows.chunks(2).map(merge).collect(),
        }
    }

    /// States per block (the last block may be shorter).
    pub fn block_len(&self) -> usize {
        self.block_len
    }

    /// The successor window [lo, hi) of each block.
    pub fn windows(&self) -> &[(usize, usize)] {
        &self.windows
    }

    /// Total length of all windows.
    pub fn window_total(&self) -> usize {
        self.windows.iter().map(|(lo, hi)| hi - lo).sum()
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.windows.len() * std::mem::size_of::<(usize, usize)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_mdp_is_one_block_covering_its_successors() {
        // s0 --a0--> {s0: 0.25, s1: 0.75}; s0 --a1--> s1; s1 --a0--> s1; s1 a1 unavailable
        let t = Transitions::from_csr(
            2,
            2,
            vec![0, 2, 3, 4, 4],
            vec![1, 0, 1, 1],
            vec![0.75, 0.25, 1.0, 1.0],
        )
        .unwrap();
        let blocks = ScatterBlocks::new(&t);
        assert_eq!(
            (blocks.block_len(), blocks.windows()),
            (1024, &[(0, 2)][..])
        );
    }

    #[test]
    fn grid_blocks_reach_one_row_beyond_their_states() {
        // A 100 × 100 ring-free corridor grid: each state moves one row up or down.
        let n = 100;
        let mut row_start = vec![0];
        let mut next = vec![];
        for s in 0..n * n {
            for dy in [-1i64, 1] {
                let y = (s / n) as i64 + dy;
                next.push(if (0..n as i64).contains(&y) {
                    (y as usize * n + s % n) as u32
                } else {
                    s as u32
                });
                row_start.push(next.len());
            }
        }
        let prob = vec![1.0; next.len()];
        let t = Transitions::from_csr(n * n, 2, row_start, next, prob).unwrap();
        let blocks = ScatterBlocks::new(&t);
        assert_eq!(blocks.block_len(), 1024);
        assert_eq!(blocks.windows()[0], (0, 1024 + n));
        assert_eq!(blocks.windows()[1], (1024 - n, 2048 + n));
        assert_eq!(*blocks.windows().last().unwrap(), (9216 - n, n * n));
    }

    #[test]
    fn scattered_successors_double_the_blocks_until_the_windows_fit() {
        // Every state of 16384 jumps to a pseudo-random state: each window spans nearly all.
        let n = 16384;
        let next: Vec<u32> = (0..n)
            .map(|s| ((s * 2_654_435_761usize) % n) as u32)
            .collect();
        let t = Transitions::from_csr(n, 1, (0..=n).collect(), next, vec![1.0; n]).unwrap();
        let blocks = ScatterBlocks::new(&t);
        assert!(blocks.window_total() <= 8 * n);
        assert!(blocks.block_len() > 1024, "{}", blocks.block_len());
        // The merged windows are those of one pass at the final length.
        assert_eq!(blocks, ScatterBlocks::of_length(&t, blocks.block_len()));
    }

    #[test]
    fn merging_skips_blocks_without_transitions() {
        // 4096 states in blocks of 1024: the second block's states have no transitions
        // (they are terminal, say), the others jump to states far away.
        let n = 4096;
        let mut row_start = vec![0];
        let mut next = vec![];
        for s in 0..n {
            if !(1024..2048).contains(&s) {
                next.push(((s * 7 + 3000) % n) as u32);
            }
            row_start.push(next.len());
        }
        let prob = vec![1.0; next.len()];
        let t = Transitions::from_csr(n, 1, row_start, next, prob).unwrap();
        let blocks = ScatterBlocks::of_length(&t, 1024);
        assert_eq!(blocks.windows()[1], (0, 0));
        let doubled = blocks.doubled();
        assert_eq!(doubled, ScatterBlocks::of_length(&t, 2048));
        assert_eq!(doubled.windows()[0], blocks.windows()[0]);
    }
}
