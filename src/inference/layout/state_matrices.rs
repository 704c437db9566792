//! Each state's rows as one small dense matrix over the successors they share.
//!
//! In grids, road networks and discretised scenes the A rows of a state reach the same
//! few neighbours with different probabilities: a slippery move can land on any
//! neighbour. Written over the state's successor set N(s) = {n_1 < … < n_L}, the rows
//! form an A × L matrix P_s with P_s[a, k] = p(n_k | s, a), and
//!
//! ```text
//! look-ahead:  C(s, a) = γ Σ_k P_s[a, k] V'(n_k)      (L values gathered, not one per entry)
//! scatter:     m'(n_k) += Σ_a φ(s, a) P_s[a, k]        (L additions, not one per entry)
//! ```
//!
//! both of which run as vector arithmetic over the actions or the successors. States
//! whose matrices are equal bit for bit share one copy (a gridworld has a handful:
//! inside, edges, corners), so a state costs its L successor numbers and the number of
//! its matrix: 36 bytes for the eight-action grid instead of 152 for its rows.
//!
//! Every state gets W slots, the largest L rounded up to a multiple of 4; the spare
//! slots repeat the state's last successor with probability 0. Rows of up to 4 actions
//! are padded to 4 lanes, rows of 5 to 8 actions to 8, with zero probabilities.
//!
//! The look-ahead adds P_s[a, k]·V'(n_k) over k in increasing order, as the sorted rows
//! do, and the products with P_s[a, k] = 0 add nothing, so C is the same bit for bit as
//! from the rows (while V' is finite; the kernels fall back to the rows where an
//! infinite value meets a zero probability).
//!
//! Consecutive states with the same matrix whose successors lie at the same offsets
//! from them (a grid row's interior) form diagonal runs (see
//! [`diagonal_runs`](super::diagonal_runs)), which the kernels take four states at a
//! time; only the states outside runs keep successor slots and a matrix number.
//!
//! The layout is kept alongside the rows when A ≤ 8, W ≤ 16 and it takes fewer bytes
//! than the rows the kernels would otherwise stream.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::diagonal_runs::{DiagonalRuns, DiagonalRunsView};

/// Most successor slots a state may have for the layout to be used.
pub const MAX_WIDTH: usize = 16;

/// Most actions the layout handles (two groups of 4 lanes).
pub const MAX_ACTIONS: usize = 8;

/// The rows of every state as dense matrices over their successors.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMatrices {
    n_actions: usize,
    /// W: successor slots per state, a multiple of 4.
    width: usize,
    /// 4 or 8: actions per state rounded up.
    lanes: usize,
    /// W successors per state outside the diagonal runs, increasing, the spare slots
    /// repeating the last one.
    successors: Vec<u32>,
    /// The matrix of each state outside the diagonal runs.
    matrix_of: Vec<u32>,
    /// Each matrix by successor slot: entry (m·W + k)·lanes + a is P_m[a, k].
    by_successor: Vec<f64>,
    /// Each matrix by action: entry (m·A + a)·W + k is P_m[a, k].
    by_action: Vec<f64>,
    /// Per matrix and lane, 0 where the row has entries and −∞ where it is empty
    /// (action unavailable) or past A.
    offsets: Vec<f64>,
    /// Runs of consecutive states with the same matrix and successor offsets.
    diagonals: DiagonalRuns,
}

/// Borrowed [`StateMatrices`], as the kernels read them.
#[derive(Debug, Clone, Copy)]
pub struct StateMatrixView<'a> {
    /// W: successor slots per state.
    pub width: usize,
    /// 4 or 8.
    pub lanes: usize,
    /// W successors per state outside the diagonal runs (slot j: entries j·W..).
    pub successors: &'a [u32],
    /// The matrix of each state outside the diagonal runs.
    pub matrix_of: &'a [u32],
    /// (m·W + k)·lanes + a ↦ P_m[a, k].
    pub by_successor: &'a [f64],
    /// (m·A + a)·W + k ↦ P_m[a, k].
    pub by_action: &'a [f64],
    /// m·lanes + a ↦ 0, or −∞ for an empty row.
    pub offsets: &'a [f64],
    /// Runs of states that share a matrix and successor offsets.
    pub diagonals: DiagonalRunsView<'a>,
}

impl StateMatrices {
    /// The matrices of the sorted, validated rows `row_start`, `next`, `prob` (row
    /// s·A + a), or `None` when A or some state's successor count is too large, or the
    /// layout would take more than `row_bytes`.
    pub fn new(
        n_actions: usize,
        row_start: &[u32],
        next: &[u32],
        prob: &[f64],
        row_bytes: usize,
    ) -> Option<Self> {
        Self::build(n_actions, row_start, next, prob, row_bytes, true)
    }

    /// The matrices of the rows whatever they cost, without diagonal runs (so every
    /// state keeps its slots), for tests that compare the kernels.
    #[cfg(test)]
    pub(crate) fn without_runs(
        n_actions: usize,
        row_start: &[u32],
        next: &[u32],
        prob: &[f64],
    ) -> Option<Self> {
        Self::build(n_actions, row_start, next, prob, usize::MAX, false)
    }

    fn build(
        n_actions: usize,
        row_start: &[u32],
        next: &[u32],
        prob: &[f64],
        row_bytes: usize,
        with_runs: bool,
    ) -> Option<Self> {
        if n_actions > MAX_ACTIONS {
            return None;
        }
        let n_states = (row_start.len() - 1) / n_actions;
        let state_entries =
            |s: usize| row_start[s * n_actions] as usize..row_start[(s + 1) * n_actions] as usize;
        let mut union = Vec::with_capacity(MAX_WIDTH * n_actions);
        let mut unions = Vec::with_capacity(next.len());
        let mut union_bounds = Vec::with_capacity(n_states + 1);
        union_bounds.push(0);
        let mut widest = 1;
        for s in 0..n_states {
            successor_set(&next[state_entries(s)], &mut union);
            if union.len() > MAX_WIDTH {
                return None;
            }
            widest = widest.max(union.len());
            unions.extend_from_slice(&union);
            union_bounds.push(unions.len());
        }
        let width = widest.next_multiple_of(4);
        let lanes = if n_actions <= 4 { 4 } else { 8 };
        let per_state = n_states * (4 * width + 4);
        let per_matrix = (width * lanes + n_actions * width + lanes) * 8;
        if per_state + per_matrix > row_bytes {
            return None;
        }
        let mut matrices = Self {
            n_actions,
            width,
            lanes,
            successors: Vec::with_capacity(n_states * width),
            matrix_of: Vec::with_capacity(n_states),
            by_successor: vec![],
            by_action: vec![],
            offsets: vec![],
            diagonals: DiagonalRuns::none(),
        };
        let mut known: HashMap<Vec<u64>, u32, BuildHasherDefault<WordHasher>> = HashMap::default();
        let mut matrix = vec![0.0; n_actions * width];
        let mut key = vec![0u64; n_actions * width];
        for s in 0..n_states {
            let union = &unions[union_bounds[s]..union_bounds[s + 1]];
            matrix.fill(0.0);
            for a in 0..n_actions {
                let row = s * n_actions + a;
                // The row is sorted like the union, so its slots only move forward.
                let mut slot = 0;
                for k in row_start[row] as usize..row_start[row + 1] as usize {
                    while union[slot] != next[k] {
                        slot += 1;
                    }
                    matrix[a * width + slot] = prob[k];
                }
            }
            let pad = union.last().copied().unwrap_or(s as u32);
            matrices.successors.extend_from_slice(union);
            matrices
                .successors
                .extend(std::iter::repeat_n(pad, width - union.len()));
            key.iter_mut()
                .zip(&matrix)
                .for_each(|(bits, p)| *bits = p.to_bits());
            let id = match known.get(key.as_slice()) {
                Some(&id) => id,
                None => {
                    let id = known.len() as u32;
                    if per_state + (id as usize + 1) * per_matrix > row_bytes {
                        return None;
                    }
                    known.insert(key.clone(), id);
                    matrices.push_matrix(&matrix);
                    id
                }
            };
            matrices.matrix_of.push(id);
        }
        if with_runs {
            matrices.diagonals =
                DiagonalRuns::new(&matrices.successors, &matrices.matrix_of, width);
            matrices.keep_states_outside_runs();
        }
        Some(matrices)
    }

    /// Drop the slots and matrix numbers of the states in diagonal runs, whose kernels
    /// read neither.
    fn keep_states_outside_runs(&mut self) {
        let (width, covers) = (self.width, self.diagonals.covers());
        let mut kept = 0;
        for s in 0..self.matrix_of.len() {
            if covers(s) {
                continue;
            }
            self.matrix_of[kept] = self.matrix_of[s];
            self.successors
                .copy_within(s * width..(s + 1) * width, kept * width);
            kept += 1;
        }
        self.matrix_of.truncate(kept);
        self.successors.truncate(kept * width);
        self.matrix_of.shrink_to_fit();
        self.successors.shrink_to_fit();
    }

    /// Append one matrix, given by action (A × W), in all three layouts.
    fn push_matrix(&mut self, matrix: &[f64]) {
        let (width, lanes) = (self.width, self.lanes);
        for k in 0..width {
            for a in 0..lanes {
                let p = if a < self.n_actions {
                    matrix[a * width + k]
                } else {
                    0.0
                };
                self.by_successor.push(p);
            }
        }
        self.by_action.extend_from_slice(matrix);
        for a in 0..lanes {
            let row = matrix.get(a * width..(a + 1) * width);
            let has_entries = row.is_some_and(|row| row.iter().any(|&p| p > 0.0));
            self.offsets
                .push(if has_entries { 0.0 } else { f64::NEG_INFINITY });
        }
    }

    /// The matrices as the kernels read them.
    pub fn view(&self) -> StateMatrixView<'_> {
        StateMatrixView {
            width: self.width,
            lanes: self.lanes,
            successors: &self.successors,
            matrix_of: &self.matrix_of,
            by_successor: &self.by_successor,
            by_action: &self.by_action,
            offsets: &self.offsets,
            diagonals: self.diagonals.view(self.width),
        }
    }

    /// Number of distinct matrices.
    #[cfg(test)]
    fn n_matrices(&self) -> usize {
        self.offsets.len() / self.lanes
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        4 * (self.successors.len() + self.matrix_of.len())
            + 8 * (self.by_successor.len() + self.by_action.len() + self.offsets.len())
            + self.diagonals.memory_bytes()
    }
}

/// `union` ← the distinct successors among `entries`, increasing (each inserted in
/// place: a state has few).
fn successor_set(entries: &[u32], union: &mut Vec<u32>) {
    union.clear();
    for &successor in entries {
        let at = union.partition_point(|&x| x < successor);
        if union.get(at) != Some(&successor) {
            union.insert(at, successor);
        }
    }
}

/// A fast hash of 64-bit words (multiply and rotate, as in rustc's Fx hash), for the
/// matrices' bit patterns; long inputs go through four independent chains, so the
/// multiplications overlap.
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let word = |chunk: &[u8]| {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            u64::from_le_bytes(word)
        };
        let mut chains = [self.0, 1, 2, 3];
        let mut quads = bytes.chunks_exact(32);
        for quad in &mut quads {
            for (chain, chunk) in chains.iter_mut().zip(quad.chunks_exact(8)) {
                *chain = mix(*chain, word(chunk));
            }
        }
        for chunk in quads.remainder().chunks(8) {
            chains[0] = mix(chains[0], word(chunk));
        }
        self.0 = chains.into_iter().fold(0, mix);
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = mix(self.0, word);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// One step of the Fx hash.
fn mix(state: u64, word: u64) -> u64 {
    (state.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdp::Transitions;

    /// A 3 × 3 grid with the four slippery moves (0.7 intended, 0.1 each other way,
    /// moves off the grid staying put).
    fn slippery_grid() -> Transitions {
        let (mut row_start, mut next, mut prob) = (vec![0], vec![], vec![]);
        let moves = [(1i64, 0i64), (-1, 0), (0, 1), (0, -1)];
        for s in 0..9i64 {
            for a in 0..4 {
                let mut row: Vec<(u32, f64)> = vec![];
                for (m, (dx, dy)) in moves.iter().enumerate() {
                    let (x, y) = (s % 3 + dx, s / 3 + dy);
                    let target = if (0..3).contains(&x) && (0..3).contains(&y) {
                        (y * 3 + x) as u32
                    } else {
                        s as u32
                    };
                    let p = if m == a { 0.7 } else { 0.1 };
                    match row.iter_mut().find(|(t, _)| *t == target) {
                        Some(entry) => entry.1 += p,
                        None => row.push((target, p)),
                    }
                }
                row.sort_by_key(|&(t, _)| t);
                next.extend(row.iter().map(|&(t, _)| t));
                prob.extend(row.iter().map(|&(_, p)| p));
                row_start.push(next.len());
            }
        }
        Transitions::from_csr(9, 4, row_start, next, prob).unwrap()
    }

    #[test]
    fn a_slippery_grid_has_one_matrix_per_kind_of_cell() {
        let t = slippery_grid();
        let (row_start, next, prob) = t.csr();
        let m = StateMatrices::new(4, row_start, next, prob, usize::MAX).unwrap();
        let view = m.view();
        // Sorted, the successors of the centre and of the west and east edges come in
        // the same directions (south, west, east, north; an edge's own cell standing in
        // for the missing side), so those three cells share a matrix. The south and
        // north edges and the four corners each have their own: 7 in all.
        assert_eq!((m.width, m.lanes, m.n_matrices()), (4, 4, 7));
        assert_eq!(view.matrix_of, &[0, 1, 2, 3, 3, 3, 4, 5, 6]);
        assert_eq!(&view.successors[4 * 4..5 * 4], &[1, 3, 5, 7]);
        // The corner (0, 0): successors 0, 1, 3 and a spare slot repeating 3.
        assert_eq!(&view.successors[..4], &[0, 1, 3, 3]);
        // Every matrix entry is the row's probability of that successor, 0 elsewhere.
        for s in 0..9 {
            let matrix = view.matrix_of[s] as usize;
            for a in 0..4 {
                let (succ, p) = t.successors(s, a);
                for k in 0..4 {
                    let n_k = view.successors[s * 4 + k];
                    let want = match succ.iter().position(|&x| x == n_k) {
                        Some(j) if k == 0 || view.successors[s * 4 + k - 1] != n_k => p[j],
                        _ => 0.0,
                    };
                    assert_eq!(view.by_action[(matrix * 4 + a) * 4 + k], want);
                    assert_eq!(view.by_successor[(matrix * 4 + k) * 4 + a], want);
                }
            }
        }
        // No diagonal runs (too short), which leaves their count before the first: 0.
        assert_eq!(m.memory_bytes(), 4 * (36 + 9) + 8 * 7 * (16 + 16 + 4) + 4);
    }

    #[test]
    fn empty_rows_and_spare_lanes_get_minus_infinity() {
        let t = crate::test_support::mixed_rows();
        let (row_start, next, prob) = t.csr();
        let m = StateMatrices::new(3, row_start, next, prob, usize::MAX).unwrap();
        let view = m.view();
        for s in 0..12 {
            let matrix = view.matrix_of[s] as usize;
            for a in 0..4 {
                let want = if a < 3 && t.available(s, a) {
                    0.0
                } else {
                    f64::NEG_INFINITY
                };
                assert_eq!(view.offsets[matrix * 4 + a], want, "({s}, {a})");
            }
        }
    }

    #[test]
    fn the_layout_is_refused_when_it_would_not_pay() {
        let t = slippery_grid();
        let (row_start, next, prob) = t.csr();
        // 9 states · (4·4 + 4) bytes + 7 matrices · 36 · 8 bytes = 2196 bytes.
        assert!(StateMatrices::new(4, row_start, next, prob, 2196).is_some());
        assert!(StateMatrices::new(4, row_start, next, prob, 2195).is_none());
        // Nine actions are more than the lanes hold.
        let nine = Transitions::from_csr(1, 9, (0..=9).collect(), vec![0; 9], vec![1.0; 9]);
        let (row_start, next, prob) = nine.as_ref().unwrap().csr();
        assert!(StateMatrices::new(9, row_start, next, prob, usize::MAX).is_none());
    }
}
