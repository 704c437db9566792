//! The transitions as the kernels read them, built from an MDP's plain CSR
//! [`Transitions`] when a solve needs them.
//!
//! - **Uniform rows**: per state, the length its A rows share, when they do and it is at
//!   most 255; the kernels then run through its entries without row pointers.
//! - **Probability codes** ([`probability_codes`]): the probabilities as one-byte codes
//!   into a table of their distinct values, when there are at most 256.
//! - **State matrices** ([`state_matrices`]) with their **diagonal runs**
//!   ([`diagonal_runs`]): each state's rows as one small dense matrix over its
//!   successors, when that takes fewer bytes than the rows.
//! - **Scatter blocks** ([`scatter_blocks`]): the blocks of states the forward pass
//!   scatters by, with the window of successors each reaches.
//!
//! Building a layout costs O(nnz) time and memory (about half a second at 10⁶ states
//! and 2.4·10⁷ transitions, 45 % of the instructions of building that gridworld), so a
//! loop of solves builds it once. It depends on the transitions alone: every part above
//! is computed from the row pointers, successors and probabilities, none from the
//! terminal states, the initial distribution or the features (the kernels read the
//! terminal mask from the MDP at each step). So the MDPs that share their transitions
//! (see [`Mdp::with_terminals`], one per goal of a goal-conditioned fit) share one
//! layout. A layout keeps the shared transitions it was built from, and a
//! [`SoftProblem`](super::SoftProblem) accepts it only for an MDP that holds those same
//! transitions (the same allocation, not merely equal values), so the kernels never read
//! a layout of other transitions.

mod diagonal_runs;
mod probability_codes;
mod scatter_blocks;
mod state_matrices;

use std::sync::Arc;

pub(super) use diagonal_runs::{Segment, GROUP};
pub(super) use probability_codes::{CodedWeights, Weights};
pub(super) use scatter_blocks::ScatterBlocks;
pub(super) use state_matrices::{StateMatrixView, MAX_WIDTH};

use crate::mdp::{Mdp, Transitions};
use probability_codes::ProbabilityCodes;
use state_matrices::StateMatrices;

/// The kernels' layout of one MDP's transitions: probability codes, uniform row
/// lengths, state matrices with their diagonal runs, and the forward pass's scatter
/// blocks, built from the CSR rows in O(nnz) time. It depends on the transitions alone,
/// so the MDPs that share them (the copies [`Mdp::with_terminals`] and
/// [`Mdp::with_features`] make) share one layout;
/// [`SoftProblem::with_layout`](super::SoftProblem::with_layout) accepts it only for an
/// MDP that holds the very transitions it was built from.
#[derive(Debug)]
pub struct KernelLayout {
    transitions: Arc<Transitions>,
    /// Per state, the length its A rows share, or 0 when they differ (or exceed 255).
    uniform_len: Vec<u8>,
    /// The probabilities as one-byte codes, when there are at most 256 distinct ones.
    codes: Option<ProbabilityCodes>,
    /// The rows of each state as a dense matrix over its successors, when that is
    /// smaller than the rows.
    matrices: Option<StateMatrices>,
    blocks: ScatterBlocks,
}

impl KernelLayout {
    /// The layout of `mdp`'s transitions, for every MDP that shares them.
    pub fn new(mdp: &Mdp) -> Self {
        Self::build(Arc::clone(mdp.shared_transitions()))
    }

    /// The layout of transitions without an MDP, for tests of the kernels.
    #[cfg(test)]
    pub(super) fn for_transitions(transitions: Transitions) -> Self {
        Self::build(Arc::new(transitions))
    }

    fn build(transitions: Arc<Transitions>) -> Self {
        let (row_start, next, prob) = transitions.csr();
        let codes = ProbabilityCodes::new(prob);
        let probability_bytes = if codes.is_some() { 1 } else { 8 };
        let row_bytes = 4 * row_start.len() + (4 + probability_bytes) * next.len();
        let matrices =
            StateMatrices::new(transitions.n_actions(), row_start, next, prob, row_bytes);
        Self {
            uniform_len: uniform_row_lengths(&transitions),
            codes,
            matrices,
            blocks: ScatterBlocks::new(&transitions),
            transitions,
        }
    }

    /// Whether this layout was built from the transitions `mdp` holds.
    pub fn is_for(&self, mdp: &Mdp) -> bool {
        Arc::ptr_eq(&self.transitions, mdp.shared_transitions())
    }

    /// Bytes held besides the transitions themselves: the uniform row lengths, the
    /// probability codes, the state matrices and the scatter blocks.
    pub fn memory_bytes(&self) -> usize {
        let codes = self
            .codes
            .as_ref()
            .map_or(0, ProbabilityCodes::memory_bytes);
        let matrices = self
            .matrices
            .as_ref()
            .map_or(0, StateMatrices::memory_bytes);
        self.uniform_len.len() + codes + matrices + self.blocks.memory_bytes()
    }

    /// Bytes of the transitions one backward step streams in this layout:
    ///
    /// ```text
    /// (4·W + 4)·(S − S_runs) + (4·W + 8)·runs + 8·(table entries)   state matrices
    /// (4 + w)·nnz + 4·S·A,  w = 1 (coded probabilities) or 8         rows
    /// ```
    ///
    /// With state matrices, a state outside the diagonal runs reads its W successor
    /// slots and its matrix number (4 bytes each), a diagonal run its W offsets (4 bytes
    /// each) and its bounds, and the table of distinct matrices is counted once, as it
    /// stays in cache. Otherwise each stored transition is a 4-byte successor and its
    /// probability, and each row (s, a) a 4-byte row pointer.
    pub fn streamed_bytes_per_step(&self) -> u64 {
        let t = &self.transitions;
        match &self.matrices {
            Some(matrices) => {
                let m = matrices.view();
                let width = m.width as u64;
                let outside_runs = (t.n_states() - m.diagonals.states()) as u64;
                (4 * width + 4) * outside_runs
                    + (4 * width + 8) * m.diagonals.len() as u64
                    + 8 * m.by_successor.len() as u64
            }
            None => {
                let weight = if self.codes.is_some() { 1 } else { 8 };
                t.nnz() as u64 * (4 + weight) + (t.n_states() * t.n_actions()) as u64 * 4
            }
        }
    }

    /// The transitions the layout was built from.
    #[inline]
    pub(super) fn transitions(&self) -> &Transitions {
        &self.transitions
    }

    /// Per state, the number of entries each of its A rows has when that number is the
    /// same for all of them and at most 255, else 0.
    #[inline]
    pub(super) fn uniform_row_len(&self) -> &[u8] {
        &self.uniform_len
    }

    /// The probabilities as one-byte codes, when there are at most 256 distinct ones.
    #[inline]
    pub(super) fn coded_weights(&self) -> Option<CodedWeights<'_>> {
        self.codes.as_ref().map(ProbabilityCodes::weights)
    }

    /// Each state's rows as a dense matrix over its successors, when they pay.
    #[inline]
    pub(super) fn state_matrices(&self) -> Option<StateMatrixView<'_>> {
        self.matrices.as_ref().map(StateMatrices::view)
    }

    /// The blocks the forward pass scatters by.
    #[inline]
    pub(super) fn scatter_blocks(&self) -> &ScatterBlocks {
        &self.blocks
    }

    /// The same layout with state matrices whatever they cost (`on`), or without them,
    /// so that tests can compare the kernels that read the rows with those that read
    /// the matrices.
    #[cfg(test)]
    pub(super) fn with_state_matrices(mut self, on: bool) -> Self {
        let (row_start, next, prob) = self.transitions.csr();
        let n_actions = self.transitions.n_actions();
        self.matrices = on
            .then(|| StateMatrices::new(n_actions, row_start, next, prob, usize::MAX))
            .flatten();
        self
    }

    /// The same layout with state matrices but no diagonal runs, so that tests can
    /// compare the diagonal kernels with the per-state ones.
    #[cfg(test)]
    pub(super) fn without_diagonal_runs(mut self) -> Self {
        let (row_start, next, prob) = self.transitions.csr();
        let n_actions = self.transitions.n_actions();
        self.matrices = StateMatrices::without_runs(n_actions, row_start, next, prob);
        self
    }
}

/// Per state, the length its A rows share when it is the same for all and at most 255,
/// else 0.
fn uniform_row_lengths(transitions: &Transitions) -> Vec<u8> {
    let n_actions = transitions.n_actions();
    let (row_start, _, _) = transitions.csr();
    (0..transitions.n_states())
        .map(|s| {
            let pointers = &row_start[s * n_actions..=(s + 1) * n_actions];
            let len = pointers[1] - pointers[0];
            let uniform = pointers.windows(2).all(|w| w[1] - w[0] == len);
            match u8::try_from(len) {
                Ok(len) if uniform => len,
                _ => 0,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::goal_mdp;
    use crate::test_support::random_mdp;
    use crate::worlds::{gridworld_mdp, GridActions, GridworldParams};

    #[test]
    fn states_whose_rows_share_a_length_are_marked() {
        // Rows (0,0): 2 entries, (0,1): 1, (1,0): 1, (1,1): none.
        let two_state = Transitions::from_csr(
            2,
            2,
            vec![0, 2, 3, 4, 4],
            vec![1, 0, 1, 1],
            vec![0.75, 0.25, 1.0, 1.0],
        )
        .unwrap();
        assert_eq!(uniform_row_lengths(&two_state), &[0, 0]);
        let t = Transitions::from_csr(
            3,
            2,
            vec![0, 1, 2, 4, 6, 6, 6],
            vec![1, 2, 0, 2, 0, 1],
            vec![1.0, 1.0, 0.5, 0.5, 0.5, 0.5],
        )
        .unwrap();
        assert_eq!(uniform_row_lengths(&t), &[1, 2, 0]);
    }

    /// Every part of the layout, compared by value.
    fn parts(layout: &KernelLayout) -> impl PartialEq + std::fmt::Debug + '_ {
        (
            &layout.uniform_len,
            &layout.codes,
            &layout.matrices,
            &layout.blocks,
        )
    }

    #[test]
    fn the_layout_depends_on_the_transitions_alone_and_goal_mdps_share_it() {
        let grid = gridworld_mdp(&GridworldParams {
            size: 12,
            actions: GridActions::Compass,
            ..GridworldParams::default()
        })
        .unwrap();
        for mdp in [grid, random_mdp(2, 40, 3, 3, 2, false, &[5])] {
            let layout = KernelLayout::new(&mdp);
            for goal in [0, 7, mdp.n_states() - 1] {
                let task = goal_mdp(&mdp, &crate::learn::Goal::state(goal, 0)).unwrap();
                // Built anew for the goal's MDP, the layout is the same in every part,
                // and the goal's MDP holds the very transitions the layout was built from.
                assert_eq!(parts(&KernelLayout::new(&task)), parts(&layout));
                assert!(layout.is_for(&task));
            }
            // An MDP with equal but separately stored transitions is refused.
            let copy = crate::test_support::separately_held_copy(&mdp);
            assert_eq!(copy.transitions(), mdp.transitions());
            assert!(!layout.is_for(&copy));
        }
    }

    #[test]
    fn streamed_bytes_count_rows_or_successor_slots_and_the_matrix_table() {
        // 2 states × 2 actions, 5 stored transitions, two distinct probabilities.
        let transitions = Transitions::from_arrays(
            2,
            2,
            &[0, 0, 0, 1, 1],
            &[0, 0, 1, 0, 1],
            &[0, 1, 1, 1, 0],
            &[0.5, 0.5, 1.0, 1.0, 1.0],
        )
        .unwrap();
        let mdp = Mdp::new(crate::mdp::MdpParts {
            transitions,
            initial: None,
            terminal: vec![],
            features: crate::mdp::Features::one_hot(2),
            action_names: None,
            grid: None,
        })
        .unwrap();
        // Matrices would take more bytes than these rows, so the rows are streamed:
        // 5·(4 + 1) (entries, coded in a byte) + 4·4 (row pointers).
        let layout = KernelLayout::new(&mdp);
        assert!(layout.state_matrices().is_none());
        assert_eq!(layout.streamed_bytes_per_step(), 25 + 16);
        // 30 × 30 slippery grid, 4 actions: 4 slots per state; the south and north edges,
        // the four corners and everything else have one matrix each (7), each of 4 slots
        // × 4 lanes. The 28 states between the end columns of each row are a diagonal
        // run (30 runs), so only the 60 states of the end columns read their slots.
        let grid = gridworld_mdp(&GridworldParams {
            size: 30,
            actions: GridActions::Cardinal,
            ..GridworldParams::default()
        })
        .unwrap();
        let layout = KernelLayout::new(&grid);
        let matrices = layout.state_matrices().expect("a grid pays");
        assert_eq!((matrices.width, matrices.by_successor.len()), (4, 7 * 16));
        assert_eq!(
            (matrices.diagonals.len(), matrices.diagonals.states()),
            (30, 840)
        );
        assert_eq!(
            layout.streamed_bytes_per_step(),
            60 * (4 * 4 + 4) + 30 * (4 * 4 + 8) + 8 * 7 * 16
        );
    }
}
