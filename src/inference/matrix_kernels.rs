//! The look-ahead and the scatter for MDPs whose layout has state matrices (see
//! [`layout`](super::layout)): per state, the values of its W
//! successor slots are gathered once and its A × W matrix is applied as vector
//! arithmetic (one or two registers of A action sums, or groups of 4 slot sums).
//!
//! ```text
//! z[a·n + i]  ← scale·Σ_k P_s[a, k]·v(n_k)     (−∞ for an empty row or a terminal s)
//! window(n_k) += factor_i·edge·Σ_a z[a·n + i]·P_s[a, k]
//! ```
//!
//! with s = first + i for the n states of a run. The look-ahead equals the rows'
//! ([`variational_lookahead`](super::kernel)) bit for bit; where a gathered value is
//! infinite and meets a zero probability (0·∞ is NaN), that state is computed from its
//! rows instead.
//!
//! States inside diagonal runs go to the diagonal kernels
//! ([`diagonal_kernels`](super::diagonal_kernels)), four at a time, with the same
//! results bit for bit.
//!
//! The kernels index with raw pointers: the per-state arrays are read at positions that
//! the layout guarantees (matrix numbers below the number of matrices, W slots per
//! state, successors below S), and checked indexing in these loops costs more than the
//! arithmetic.

use std::ops::Range;

use super::diagonal_kernels::{diagonal_lookahead, diagonal_scatter};
use super::kernel::row_dot;
use super::layout::{Segment, StateMatrixView};

/// A diagonal look-ahead kernel (see [`diagonal_lookahead`]).
type DiagonalLookahead = unsafe fn(
    StateMatrixView,
    usize,
    Range<usize>,
    usize,
    &[i32],
    &[f64],
    &[bool],
    f64,
    &mut [f64],
) -> bool;

/// The look-ahead of the run of states first..first + n, n = `terminal.len()`, into the
/// action-major `z` (n values per action), from the state matrices `m`; states whose
/// sums meet an infinite value are taken from the rows `(row_start, next, prob)`.
///
/// # Safety
/// `m` holds the matrices of the rows, which lie inside the entries, the run lies
/// inside the states, `z.len()` = n·A with A ≤ 8, and `v` has a value for every state.
pub(crate) unsafe fn matrix_lookahead(
    m: StateMatrixView,
    (row_start, next, prob): (&[u32], &[u32], &[f64]),
    first: usize,
    v: &[f64],
    terminal: &[bool],
    scale: f64,
    z: &mut [f64],
) {
    let n = terminal.len();
    let n_actions = z.len() / n.max(1);
    type PerState =
        unsafe fn(StateMatrixView, Range<usize>, usize, &[f64], &[bool], f64, &mut [f64]) -> bool;
    let (per_state, diagonal): (PerState, DiagonalLookahead) = match n_actions {
        1 => (lookahead_fixed::<1, 4>, diagonal_lookahead_of::<1>(m.width)),
        2 => (lookahead_fixed::<2, 4>, diagonal_lookahead_of::<2>(m.width)),
        3 => (lookahead_fixed::<3, 4>, diagonal_lookahead_of::<3>(m.width)),
        4 => (lookahead_fixed::<4, 4>, diagonal_lookahead_of::<4>(m.width)),
        5 => (lookahead_fixed::<5, 8>, diagonal_lookahead_of::<5>(m.width)),
        6 => (lookahead_fixed::<6, 8>, diagonal_lookahead_of::<6>(m.width)),
        7 => (lookahead_fixed::<7, 8>, diagonal_lookahead_of::<7>(m.width)),
        _ => (lookahead_fixed::<8, 8>, diagonal_lookahead_of::<8>(m.width)),
    };
    let mut nan = false;
    m.diagonals.for_each_segment(first, n, |segment| {
        nan |= match segment {
            // SAFETY: the segments cover the run's states in order, outside runs with
            // their slots in the per-state arrays, inside runs with the run's matrix
            // and offsets; the kernel for A actions (with 4 lanes up to 4 actions and 8
            // above, as the matrices have) is chosen above, and the rest is the
            // caller's guarantee.
            Segment::States { states, slot } => unsafe {
                per_state(m, states, slot, v, terminal, scale, z)
            },
            Segment::Diagonal {
                states,
                matrix,
                deltas,
            } => {
                // SAFETY: as above.
                unsafe { diagonal(m, first, states, matrix, deltas, v, terminal, scale, z) }
            }
        }
    });
    if !nan {
        return;
    }
    for i in 0..n {
        if (0..n_actions).all(|a| !z[a * n + i].is_nan()) {
            continue;
        }
        for a in 0..n_actions {
            let row = (first + i) * n_actions + a;
            let (begin, stop) = (row_start[row] as usize, row_start[row + 1] as usize);
            z[a * n + i] = if begin == stop {
                f64::NEG_INFINITY
            } else {
                // SAFETY: the row lies inside the entries and its successors are states,
                // below v.len() (the caller's guarantees).
                scale * unsafe { row_dot(next, prob, v, begin, stop) }
            };
        }
    }
}

/// The diagonal look-ahead for A actions and `width` slots (4, 8, 12 or 16), with the
/// slots unrolled.
fn diagonal_lookahead_of<const A: usize>(width: usize) -> DiagonalLookahead {
    match width {
        4 => diagonal_lookahead::<A, 4>,
        8 => diagonal_lookahead::<A, 8>,
        12 => diagonal_lookahead::<A, 12>,
        _ => diagonal_lookahead::<A, 16>,
    }
}

/// [`matrix_lookahead`] of the states `states` of the run, outside the diagonal runs, whose
/// slots and matrix numbers start at entry `slot` of the per-state arrays, for A actions
/// in LANES lanes, so that each state's A sums are one or two vector registers and its
/// A results are written without a loop; returns whether some result is NaN. Kept out
/// of line so that its live values stay in registers.
///
/// # Safety
/// As for [`matrix_lookahead`], with A = `z.len() / terminal.len()`, LANES = `m.lanes`,
/// `states` inside 0..`terminal.len()` and their slots inside the per-state arrays.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
unsafe fn lookahead_fixed<const A: usize, const LANES: usize>(
    m: StateMatrixView,
    states: Range<usize>,
    slot: usize,
    v: &[f64],
    terminal: &[bool],
    scale: f64,
    z: &mut [f64],
) -> bool {
    let n = terminal.len();
    let width = m.width;
    let (by_successor, offsets) = (m.by_successor.as_ptr(), m.offsets.as_ptr());
    let (v, z) = (v.as_ptr(), z.as_mut_ptr());
    let mut nan = false;
    for (j, i) in (slot..).zip(states) {
        // SAFETY: state i of the run (i < n) has its slots and matrix number at entry j
        // of the per-state arrays (the caller's guarantees); a matrix number is below
        // the number of matrices, each of W·LANES numbers by successor and LANES
        // offsets, so `columns` and `offsets` point at its own; its W successors are
        // states, below v's length; a·n + i < n·A = z's length.
        unsafe {
            let end = *terminal.get_unchecked(i);
            let matrix = *m.matrix_of.get_unchecked(j) as usize;
            let columns = by_successor
                .add(matrix * width * LANES)
                .cast::<[f64; LANES]>();
            let successors = m.successors.as_ptr().add(j * width);
            // Four slots, the most common width, get their own unrolled copy.
            let sums = if width == 4 {
                weighted_sums::<LANES>(successors, columns, 4, v)
            } else {
                weighted_sums::<LANES>(successors, columns, width, v)
            };
            let offsets = &*offsets.add(matrix * LANES).cast::<[f64; LANES]>();
            for a in 0..A {
                let c = if end {
                    f64::NEG_INFINITY
                } else {
                    scale * sums[a] + offsets[a]
                };
                nan |= c.is_nan();
                *z.add(a * n + i) = c;
            }
        }
    }
    nan
}

/// Σ_k column_k·v(successor_k) over `width` slots, lane by lane, added in slot order.
///
/// # Safety
/// `successors` and `columns` hold `width` entries and the successors are below
/// `v`'s length.
#[inline(always)]
unsafe fn weighted_sums<const LANES: usize>(
    successors: *const u32,
    columns: *const [f64; LANES],
    width: usize,
    v: *const f64,
) -> [f64; LANES] {
    let mut sums = [0.0f64; LANES];
    for k in 0..width {
        // SAFETY: k < width, the entries `successors` and `columns` hold, and successor
        // k is below v's length (the caller's guarantees).
        let (value, column) = unsafe { (*v.add(*successors.add(k) as usize), &*columns.add(k)) };
        for (sum, &p) in sums.iter_mut().zip(column) {
            *sum += p * value;
        }
    }
    sums
}

/// window[n_k − lo] += factor_i·edge·Σ_a z[a·n + i]·P_s[a, k] over the n states s =
/// first + i of a run (n = `factor.len()`; factor 0 for states that pass nothing on).
///
/// # Safety
/// `m` holds the matrices of the transitions, the run lies inside the states,
/// `z.len()` = n·A with A ≤ 8, and every successor of a state with a non-zero factor
/// lies in lo..lo + `window.len()`.
pub(crate) unsafe fn matrix_scatter(
    m: StateMatrixView,
    first: usize,
    z: &[f64],
    factor: &[f64],
    edge: f64,
    window: &mut [f64],
    lo: usize,
) {
    type PerState = unsafe fn(StateMatrixView, Range<usize>, usize, &[f64], &[f64], f64, *mut f64);
    type Diagonal = unsafe fn(
        StateMatrixView,
        usize,
        Range<usize>,
        usize,
        &[i32],
        &[f64],
        &[f64],
        f64,
        *mut f64,
        usize,
    );
    let (per_state, diagonal): (PerState, Diagonal) = match z.len() / factor.len().max(1) {
        1 => (scatter_fixed::<1>, diagonal_scatter::<1>),
        2 => (scatter_fixed::<2>, diagonal_scatter::<2>),
        3 => (scatter_fixed::<3>, diagonal_scatter::<3>),
        4 => (scatter_fixed::<4>, diagonal_scatter::<4>),
        5 => (scatter_fixed::<5>, diagonal_scatter::<5>),
        6 => (scatter_fixed::<6>, diagonal_scatter::<6>),
        7 => (scatter_fixed::<7>, diagonal_scatter::<7>),
        _ => (scatter_fixed::<8>, diagonal_scatter::<8>),
    };
    let start = window.as_mut_ptr();
    // Successor 0 of the window, which may lie before it: the per-state kernels add the
    // successors to it.
    let shifted = start.wrapping_sub(lo);
    m.diagonals
        .for_each_segment(first, factor.len(), |segment| match segment {
            // SAFETY: the segments cover the run's states in order, outside runs with
            // their slots in the per-state arrays, inside runs with the run's matrix and
            // offsets; `shifted` points at successor 0 of the window, `start` at
            // successor lo, and the rest is the caller's guarantee.
            Segment::States { states, slot } => unsafe {
                per_state(m, states, slot, z, factor, edge, shifted)
            },
            Segment::Diagonal {
                states,
                matrix,
                deltas,
            } => {
                // SAFETY: as above.
                unsafe { diagonal(m, first, states, matrix, deltas, z, factor, edge, start, lo) }
            }
        });
}

/// [`matrix_scatter`] of the states `states` of the run, outside the diagonal runs, whose
/// slots and matrix numbers start at entry `slot` of the per-state arrays, for A
/// actions: per group of 4 successor slots, the A flows times the matrix's rows are one
/// vector sum; `window` points at successor 0. Kept out of line so that its live values
/// stay in registers.
///
/// # Safety
/// As for [`matrix_scatter`], with A = `z.len() / factor.len()`, `states` inside
/// 0..`factor.len()` and their slots inside the per-state arrays.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
unsafe fn scatter_fixed<const A: usize>(
    m: StateMatrixView,
    states: Range<usize>,
    slot: usize,
    z: &[f64],
    factor: &[f64],
    edge: f64,
    window: *mut f64,
) {
    let n = factor.len();
    let width = m.width;
    let (by_action, z) = (m.by_action.as_ptr(), z.as_ptr());
    for (j, i) in (slot..).zip(states) {
        // SAFETY: i < n (the caller's guarantee).
        let factor = unsafe { *factor.get_unchecked(i) };
        if factor == 0.0 {
            continue;
        }
        // SAFETY: state i has its slots and matrix number at entry j of the per-state
        // arrays (the caller's guarantees); a matrix number is below the number of
        // matrices, each of A rows of W numbers by action, so `rows` points at its own;
        // a·n + i < n·A = z's length; the groups of 4 slots lie inside the W slots (W is
        // a multiple of 4), and the successors of a state with mass lie in the window.
        unsafe {
            let rows = by_action.add(*m.matrix_of.get_unchecked(j) as usize * A * width);
            let successors = m.successors.as_ptr().add(j * width);
            let flows: [f64; A] = std::array::from_fn(|a| *z.add(a * n + i) * (factor * edge));
            // Four slots, the most common width, get their own unrolled copy.
            if width == 4 {
                push_group(&flows, rows, 4, successors, window);
            } else {
                for group in (0..width).step_by(4) {
                    push_group(
                        &flows,
                        rows.add(group),
                        width,
                        successors.add(group),
                        window,
                    );
                }
            }
        }
    }
}

/// window[s'_j] += Σ_a flows_a·rows[a·stride + j] for the four slots j of a group.
///
/// # Safety
/// `rows` holds A rows of `stride` ≥ 4 numbers, `successors` four entries, and
/// `window` + each successor lies in the block's window.
#[inline(always)]
unsafe fn push_group<const A: usize>(
    flows: &[f64; A],
    rows: *const f64,
    stride: usize,
    successors: *const u32,
    window: *mut f64,
) {
    // SAFETY: row a < A starts at a·stride and holds at least 4 numbers (the caller's
    // guarantee).
    let row = |a: usize| unsafe { &*rows.add(a * stride).cast::<[f64; 4]>() };
    let mut sums: [f64; 4] = std::array::from_fn(|j| flows[0] * row(0)[j]);
    for (a, &flow) in flows.iter().enumerate().skip(1) {
        for (sum, &p) in sums.iter_mut().zip(row(a)) {
            *sum += flow * p;
        }
    }
    for (j, &sum) in sums.iter().enumerate() {
        // SAFETY: j < 4, the entries `successors` holds, and window + successor j lies
        // in the window (the caller's guarantees).
        unsafe { *window.wrapping_add(*successors.add(j) as usize) += sum };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::kernel::variational_lookahead;
    use crate::inference::propagate::{scatter_run, Carry, Propagator, Totals};
    use crate::inference::{backward, forward, KernelLayout, SoftProblem, SoftSettings};
    use crate::mdp::{FeatureTable, Features, Mdp, MdpParts, Reward};
    use crate::test_support::{mixed_rows, random_mdp};
    use crate::worlds::GridActions;
    use ndarray::Array2;
    use std::sync::Arc;

    /// Rows of every shape the layout meets: mixed lengths with empty rows (A = 3, 12
    /// slots), 7 × 7 slippery grids with 4, 5 and 8 actions (4, 8 and 8 slots), and
    /// random rows of two successors with the other action counts (1, 2, 6 and 7).
    fn cases() -> Vec<KernelLayout> {
        let mut cases = vec![mixed_rows()];
        for n_actions in [1, 2, 6, 7] {
            let mdp = random_mdp(n_actions as u64, 23, n_actions, 2, 1, false, &[]);
            cases.push(mdp.transitions().clone());
        }
        for actions in [
            GridActions::Cardinal,
            GridActions::CardinalAndStay,
            GridActions::Compass,
        ] {
            cases.push(actions.transitions(7, 0.2).unwrap());
        }
        cases
            .into_iter()
            .map(|t| KernelLayout::for_transitions(t).with_state_matrices(true))
            .collect()
    }

    /// Values with a dead end (−∞), which zero probabilities in the matrices meet.
    fn values(n_states: usize) -> Vec<f64> {
        let mut v: Vec<f64> = (0..n_states)
            .map(|s| 3.0 * (s as f64 * 0.37).sin())
            .collect();
        v[n_states / 2] = f64::NEG_INFINITY;
        v
    }

    #[test]
    fn the_look_ahead_from_state_matrices_equals_the_rows_bit_for_bit() {
        for layout in cases() {
            let t = layout.transitions();
            let (n_states, n_actions) = (t.n_states(), t.n_actions());
            let matrices = layout.state_matrices().expect("built");
            let (rows, next, prob) = t.csr();
            let v = values(n_states);
            let terminal: Vec<bool> = (0..n_states).map(|s| s % 5 == 4).collect();
            for (first, n) in [(0, n_states), (3, n_states - 5)] {
                let (terminal, uniform) = (
                    &terminal[first..first + n],
                    &layout.uniform_row_len()[first..first + n],
                );
                let mut from_rows = vec![0.0; n * n_actions];
                let mut from_matrices = vec![0.0; n * n_actions];
                // SAFETY: rows, uniform lengths and matrices are the layout's of `t`, the
                // run lies inside its states, and `z` has A values per state of the run.
                unsafe {
                    let rows_of_run = &rows[first * n_actions..=(first + n) * n_actions];
                    variational_lookahead(
                        rows_of_run,
                        uniform,
                        next,
                        prob,
                        &v,
                        terminal,
                        0.9,
                        &mut from_rows,
                    );
                    matrix_lookahead(
                        matrices,
                        t.csr(),
                        first,
                        &v,
                        terminal,
                        0.9,
                        &mut from_matrices,
                    );
                }
                let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&from_rows), bits(&from_matrices), "A = {n_actions}");
                let dead = from_rows
                    .iter()
                    .filter(|c| **c == f64::NEG_INFINITY)
                    .count();
                assert!(dead > 0 && dead < n * n_actions);
            }
        }
    }

    #[test]
    fn the_scatter_through_state_matrices_equals_the_rows() {
        for layout in cases() {
            let t = layout.transitions();
            let (n_states, n_actions) = (t.n_states(), t.n_actions());
            let matrices = layout.state_matrices().expect("built");
            let (rows, next, prob) = t.csr();
            let z: Vec<f64> = (0..n_states * n_actions)
                .map(|k| 0.1 + (k % 7) as f64 * 0.05)
                .collect();
            let factor: Vec<f64> = (0..n_states)
                .map(|s| if s % 4 == 1 { 0.0 } else { 1.0 + s as f64 })
                .collect();
            let (mut from_rows, mut from_matrices) = (vec![0.0; n_states], vec![0.0; n_states]);
            // SAFETY: rows, uniform lengths and matrices are the layout's of `t`, `z`
            // has A values per state, and a window of all states from 0 holds every
            // successor.
            unsafe {
                let uniform = layout.uniform_row_len();
                scatter_run(
                    rows,
                    uniform,
                    next,
                    prob,
                    &z,
                    &factor,
                    0.5,
                    &mut from_rows,
                    0,
                );
                matrix_scatter(matrices, 0, &z, &factor, 0.5, &mut from_matrices, 0);
            }
            let scale = from_rows.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            for (s, (a, b)) in from_rows.iter().zip(&from_matrices).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-15 * scale,
                    "A = {n_actions}, s' = {s}: {a} vs {b}"
                );
            }
        }
    }

    /// A 30 × 30 grid (900 states, so several runs and scatter windows) with terminal
    /// states, random state-action rewards and features.
    fn grid_problem_parts(actions: GridActions) -> Mdp {
        let transitions = actions.transitions(30, 0.2).unwrap();
        let n_actions = transitions.n_actions();
        let features = Array2::from_shape_fn((900, 3), |(s, k)| ((s * (k + 2)) as f64).cos());
        let mdp = Mdp::new(MdpParts {
            transitions,
            initial: None,
            terminal: vec![17, 444, 899],
            features: Features::new(
                vec!["a".into(), "b".into(), "c".into()],
                FeatureTable::State(features),
            )
            .unwrap(),
            action_names: None,
            grid: None,
        })
        .unwrap();
        assert_eq!(mdp.n_actions(), n_actions);
        mdp
    }

    #[test]
    fn whole_passes_agree_with_and_without_state_matrices() {
        for actions in [
            GridActions::Cardinal,
            GridActions::CardinalAndStay,
            GridActions::Compass,
        ] {
            let mdp = grid_problem_parts(actions);
            let layout = |matrices| Arc::new(KernelLayout::new(&mdp).with_state_matrices(matrices));
            let (plain, with) = (layout(false), layout(true));
            assert!(with.state_matrices().is_some());
            let n_actions = mdp.n_actions();
            let reward: Vec<f64> = (0..900 * n_actions)
                .map(|k| ((k * 7919) % 101) as f64 / 50.0 - 1.0)
                .collect();
            let settings = SoftSettings {
                horizon: Some(40),
                discount: 0.95,
                ..SoftSettings::default()
            };
            let problem = |layout: &Arc<KernelLayout>| {
                let reward = Reward::per_state_action(reward.clone(), n_actions);
                SoftProblem::with_layout(&mdp, Arc::clone(layout), reward, settings.clone())
            };
            let (p_plain, p_with) = (problem(&plain), problem(&with));
            let (v_plain, v_with) = (backward(&p_plain).unwrap(), backward(&p_with).unwrap());
            assert_eq!(v_plain, v_with);
            let start = mdp.initial();
            let (o_plain, o_with) = (
                forward(&p_plain, &v_plain, start, false).unwrap(),
                forward(&p_with, &v_with, start, false).unwrap(),
            );
            for (a, b) in o_plain.visits.iter().zip(&o_with.visits) {
                assert!((a - b).abs() <= 1e-13, "{a} vs {b}");
            }
            // The likelihood's adjoint step carries γ·p with per-pair totals.
            let mass: Vec<f64> = (0..900).map(|s| (s % 3) as f64 * 0.25).collect();
            let next_v = v_plain.at(10).to_vec();
            let step = |problem: &SoftProblem| {
                let mut out = vec![0.0; 900];
                let mut totals = vec![0.0; 900 * n_actions];
                Propagator::new(problem).step(
                    problem,
                    &next_v,
                    &mass,
                    Carry::Adjoint,
                    true,
                    &mut out,
                    Totals {
                        acting: None,
                        pairs: Some(&mut totals),
                        weight: 0.5,
                    },
                );
                (out, totals)
            };
            let ((out_plain, totals_plain), (out_with, totals_with)) =
                (step(&p_plain), step(&p_with));
            assert_eq!(totals_plain, totals_with);
            for (a, b) in out_plain.iter().zip(&out_with) {
                assert!((a - b).abs() <= 1e-14, "{a} vs {b}");
            }
        }
    }
}
