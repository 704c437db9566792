//! The look-ahead and the scatter over a diagonal run (see the layout's
//! [`diagonal_runs`](super::layout)): states s whose successors are s + δ_k
//! with one matrix P, taken four at a time, so that each slot k reads or updates four
//! consecutive numbers as one vector:
//!
//! ```text
//! z[a·n + i..i+4]          ← scale·Σ_k P[a, k]·v[s + δ_k .. s + δ_k + 4]
//! window[s + δ_k .. +4]   += Σ_a edge·factor[i..i+4]·z[a·n + i..i+4]·P[a, k]
//! ```
//!
//! Each lane does the arithmetic of the per-state kernels
//! ([`matrix_kernels`](super::matrix_kernels)) in the same order, so the look-ahead is
//! the same bit for bit. The scatter visits the slots from the last to the first: δ_k
//! decreases, so every window entry receives the states' contributions in increasing
//! state order, as from the per-state kernel, and the sums are the same bit for bit too.
//!
//! The kernels read and write four numbers at a time through raw pointers: a diagonal
//! run guarantees that s + δ_k is a state for every state s of the run, so the vectors
//! stay inside the values and the windows, which checked slices would test again at
//! every load.

use std::mem::MaybeUninit;
use std::ops::Range;

use super::layout::{StateMatrixView, GROUP, MAX_WIDTH};

/// Four numbers at `at`, which need not be aligned.
///
/// # Safety
/// `at .. at + 4` lie inside one allocation.
#[inline(always)]
unsafe fn load(at: *const f64) -> [f64; GROUP] {
    // SAFETY: the four numbers lie inside one allocation (the caller's guarantee), and
    // the read does not assume alignment.
    unsafe { at.cast::<[f64; GROUP]>().read_unaligned() }
}

/// x + y lane by lane.
#[inline(always)]
fn add(x: [f64; GROUP], y: [f64; GROUP]) -> [f64; GROUP] {
    std::array::from_fn(|j| x[j] + y[j])
}

/// c·x lane by lane.
#[inline(always)]
fn times(c: f64, x: [f64; GROUP]) -> [f64; GROUP] {
    std::array::from_fn(|j| c * x[j])
}

/// The look-ahead of the states first + `states`, which lie in one diagonal run with
/// matrix `matrix` and offsets `deltas`, into the action-major `z` of the run of n =
/// `terminal.len()` states from `first`: [`GROUP`] states at a time, then the last few
/// one by one with the same arithmetic; returns whether some result is NaN.
///
/// # Safety
/// `m` holds the matrices of the transitions, the run of `matrix` and `deltas` contains
/// the states, `z.len()` = n·A, and `v` has a value for every state.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn diagonal_lookahead<const A: usize, const W: usize>(
    m: StateMatrixView,
    first: usize,
    states: Range<usize>,
    matrix: usize,
    deltas: &[i32],
    v: &[f64],
    terminal: &[bool],
    scale: f64,
    z: &mut [f64],
) -> bool {
    let n = terminal.len();
    // SAFETY: a matrix number is below the number of matrices, each of A·W numbers by
    // action and `lanes` offsets.
    let (rows, offsets) = unsafe {
        (
            m.by_action.as_ptr().add(matrix * A * W),
            m.offsets.as_ptr().add(matrix * m.lanes),
        )
    };
    let deltas: [isize; W] = std::array::from_fn(|k| deltas[k] as isize);
    let (v, z) = (v.as_ptr(), z.as_mut_ptr());
    // All ones in the lanes that have met a NaN, reduced once at the end.
    let mut nan = [0u64; GROUP];
    let whole = states.start + states.len() / GROUP * GROUP;
    for i in (states.start..whole).step_by(GROUP) {
        let s = (first + i) as isize;
        let mut sums = [[0.0f64; GROUP]; A];
        for (k, &delta) in deltas.iter().enumerate() {
            // SAFETY: states s … s + 3 lie in the run, so s + δ_k … s + 3 + δ_k are
            // states, whose values `v` holds.
            let values = unsafe { load(v.offset(s + delta)) };
            for (a, sum) in sums.iter_mut().enumerate() {
                // SAFETY: a·W + k < A·W, inside the matrix.
                *sum = add(*sum, times(unsafe { *rows.add(a * W + k) }, values));
            }
        }
        // All ones where the state is terminal: its look-ahead is −∞ whatever the sums.
        let dead: [u64; GROUP] = std::array::from_fn(|j| {
            // SAFETY: i + j < whole ≤ states.end ≤ n = terminal.len().
            0u64.wrapping_sub(unsafe { *terminal.get_unchecked(i + j) } as u64)
        });
        for (a, sum) in sums.iter().enumerate() {
            // SAFETY: a < A ≤ lanes, inside the matrix's offsets.
            let live = add(times(scale, *sum), [unsafe { *offsets.add(a) }; GROUP]);
            let c: [f64; GROUP] = std::array::from_fn(|j| {
                let live = live[j].to_bits() & !dead[j];
                f64::from_bits(live | (f64::NEG_INFINITY.to_bits() & dead[j]))
            });
            nan = std::array::from_fn(|j| nan[j] | 0u64.wrapping_sub(c[j].is_nan() as u64));
            // SAFETY: a·n + i + 3 < a·n + n ≤ n·A = z.len().
            unsafe { z.add(a * n + i).cast::<[f64; GROUP]>().write_unaligned(c) };
        }
    }
    let mut tail_nan = false;
    for i in whole..states.end {
        let s = (first + i) as isize;
        let mut sums = [0.0f64; A];
        for (k, &delta) in deltas.iter().enumerate() {
            // SAFETY: s lies in the run, so s + δ_k is a state, whose value `v` holds.
            let value = unsafe { *v.offset(s + delta) };
            for (a, sum) in sums.iter_mut().enumerate() {
                // SAFETY: a·W + k < A·W, inside the matrix.
                *sum += unsafe { *rows.add(a * W + k) } * value;
            }
        }
        for (a, &sum) in sums.iter().enumerate() {
            // SAFETY: i < states.end ≤ n = terminal.len().
            let end = unsafe { *terminal.get_unchecked(i) };
            // SAFETY: a < A ≤ lanes, inside the matrix's offsets.
            let offset = unsafe { *offsets.add(a) };
            let c = if end {
                f64::NEG_INFINITY
            } else {
                scale * sum + offset
            };
            tail_nan |= c.is_nan();
            // SAFETY: a·n + i < n·A = z.len().
            unsafe { *z.add(a * n + i) = c };
        }
    }
    tail_nan || nan.iter().any(|&lane| lane != 0)
}

/// States of a diagonal run whose slot sums the scatter holds at a time: 64 states of
/// 16 slots keep them in 8 KiB.
const SCATTER_STATES: usize = 64;
/// Groups of [`SCATTER_STATES`].
const SCATTER_GROUPS: usize = SCATTER_STATES / GROUP;

/// window[s + δ_k − lo] += edge·factor_i·Σ_a z[a·n + i]·P[a, k] over the states
/// first + `states`, which lie in one diagonal run with matrix `matrix` and offsets
/// `deltas`, of the run of n = `factor.len()` states from `first`; `window` points at
/// successor `lo`, the window's first.
///
/// [`GROUP`] states at a time, in stretches of [`SCATTER_STATES`]: first the sums
/// Σ_a flow_a·P[a, k] of every group and slot, then the window updates one slot at a
/// time, from the last, over the stretch's groups, which touch disjoint entries. Taking
/// all the slots of one group in turn instead would read entries that the store just
/// before had partly written (slots s + 1 and s − 1), and a load that straddles a store
/// not yet completed waits for it. The last few states of the run go one by one, with
/// the same arithmetic. The sums' buffer is left uninitialised: every entry is written
/// before it is read, and zeroing its 8 KiB would cost every call.
///
/// # Safety
/// `m` holds the matrices of the transitions, the run of `matrix` and `deltas` contains
/// the states, `z.len()` = n·A, and `window` + every successor of these states lies in
/// the block's window.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn diagonal_scatter<const A: usize>(
    m: StateMatrixView,
    first: usize,
    states: Range<usize>,
    matrix: usize,
    deltas: &[i32],
    z: &[f64],
    factor: &[f64],
    edge: f64,
    window: *mut f64,
    lo: usize,
) {
    let (n, width) = (factor.len(), m.width);
    // SAFETY: a matrix number is below the number of matrices, each of A·W numbers by
    // action.
    let rows = unsafe { m.by_action.as_ptr().add(matrix * A * width) };
    let (z, factor) = (z.as_ptr(), factor.as_ptr());
    // Called for i + 3 < n only.
    let flows = |i: usize| -> [[f64; GROUP]; A] {
        // SAFETY: i + 3 < n: factor[i..i + 4] and, for a < A, z[a·n + i .. a·n + i + 4]
        // lie inside `factor` (n numbers) and `z` (n·A numbers).
        let factors = unsafe { load(factor.add(i)) };
        std::array::from_fn(|a| {
            // SAFETY: as above.
            let z = unsafe { load(z.add(a * n + i)) };
            std::array::from_fn(|j| z[j] * (factors[j] * edge))
        })
    };
    // The sums of slot k and group g of the stretch at k·SCATTER_GROUPS + g.
    let mut sums = [const { MaybeUninit::<[f64; GROUP]>::uninit() }; MAX_WIDTH * SCATTER_GROUPS];
    let whole = states.start + states.len() / GROUP * GROUP;
    for stretch in (states.start..whole).step_by(SCATTER_STATES) {
        let groups = (stretch..(stretch + SCATTER_STATES).min(whole)).step_by(GROUP);
        for (g, i) in groups.clone().enumerate() {
            let flows = flows(i);
            for k in 0..width {
                // SAFETY: a·W + k < A·W for a < A, inside the matrix.
                let p = |a: usize| unsafe { *rows.add(a * width + k) };
                let mut sum: [f64; GROUP] = std::array::from_fn(|j| flows[0][j] * p(0));
                for (a, flow) in flows.iter().enumerate().skip(1) {
                    let p = p(a);
                    for (sum, &x) in sum.iter_mut().zip(flow) {
                        *sum += x * p;
                    }
                }
                // SAFETY: k < W ≤ MAX_WIDTH and g < SCATTER_GROUPS.
                unsafe { sums.get_unchecked_mut(k * SCATTER_GROUPS + g) }.write(sum);
            }
        }
        for (k, &delta) in deltas.iter().enumerate().rev() {
            // SAFETY: first + stretch is a state of the run, whose successor
            // first + stretch + δ_k lies in the window, from lo.
            let target =
                unsafe { window.offset((first + stretch) as isize + delta as isize - lo as isize) };
            for (g, i) in groups.clone().enumerate() {
                // SAFETY: entry k·SCATTER_GROUPS + g was written by the loop above for
                // this stretch; states first + i … first + i + 3 lie in the run, so
                // their successors, i − stretch … i − stretch + 3 entries on from
                // `target`, lie in the window.
                unsafe {
                    let sum = sums
                        .get_unchecked(k * SCATTER_GROUPS + g)
                        .assume_init_read();
                    let entries = target.add(i - stretch).cast::<[f64; GROUP]>();
                    let mut updated = entries.read_unaligned();
                    for (x, sum) in updated.iter_mut().zip(sum) {
                        *x += sum;
                    }
                    entries.write_unaligned(updated);
                }
            }
        }
    }
    for i in whole..states.end {
        let s = (first + i) as isize;
        // SAFETY: i < states.end ≤ n, so factor[i] and z[a·n + i] for a < A lie inside
        // `factor` and `z`.
        let flows: [f64; A] =
            std::array::from_fn(|a| unsafe { *z.add(a * n + i) * (*factor.add(i) * edge) });
        for (k, &delta) in deltas.iter().enumerate().rev() {
            // SAFETY: a·W + k < A·W for a < A, inside the matrix.
            let p = |a: usize| unsafe { *rows.add(a * width + k) };
            let mut sum = flows[0] * p(0);
            for (a, &flow) in flows.iter().enumerate().skip(1) {
                sum += flow * p(a);
            }
            // SAFETY: s lies in the run, so its successor s + δ_k lies in the window, from
            // lo.
            unsafe { *window.offset(s + delta as isize - lo as isize) += sum };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::matrix_kernels::{matrix_lookahead, matrix_scatter};
    use crate::inference::{backward, forward, KernelLayout, SoftProblem, SoftSettings};
    use crate::mdp::{FeatureTable, Features, Mdp, MdpParts, Reward, Transitions};
    use crate::worlds::GridActions;
    use ndarray::Array2;

    /// Slippery grids of side `side` with 4, 5 and 8 actions.
    fn grids(side: usize) -> Vec<Transitions> {
        [
            GridActions::Cardinal,
            GridActions::CardinalAndStay,
            GridActions::Compass,
        ]
        .into_iter()
        .map(|actions| actions.transitions(side, 0.2).unwrap())
        .collect()
    }

    /// The layouts of `t` with diagonal runs and without them (the per-state kernels
    /// alone).
    fn with_and_without_runs(t: Transitions) -> (KernelLayout, KernelLayout) {
        let with = KernelLayout::for_transitions(t.clone()).with_state_matrices(true);
        let without = KernelLayout::for_transitions(t).without_diagonal_runs();
        (with, without)
    }

    fn bits(x: &[f64]) -> Vec<u64> {
        x.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn the_diagonal_look_ahead_equals_the_per_state_one_bit_for_bit() {
        for (with, without) in grids(12).into_iter().map(with_and_without_runs) {
            let (n_states, n_actions) = (
                with.transitions().n_states(),
                with.transitions().n_actions(),
            );
            let runs = with.state_matrices().unwrap().diagonals;
            // The 10 states between the end columns of each of the 12 rows form a run
            // (on the outer rows the moves off the grid stay put alike all along).
            assert_eq!((runs.len(), runs.states()), (12, 120), "A = {n_actions}");
            assert!(without.state_matrices().unwrap().diagonals.is_empty());
            // A dead end (−∞) inside a run, so that 0·∞ sends its neighbours to the rows.
            let mut v: Vec<f64> = (0..n_states).map(|s| (s as f64 * 0.61).cos()).collect();
            v[5 * 12 + 6] = f64::NEG_INFINITY;
            let terminal: Vec<bool> = (0..n_states).map(|s| s % 7 == 3).collect();
            for (first, n) in [(0, n_states), (5, n_states - 9), (30, 17)] {
                let terminal = &terminal[first..first + n];
                let lookahead = |layout: &KernelLayout| {
                    let mut z = vec![0.0; n * n_actions];
                    let (matrices, rows) =
                        (layout.state_matrices().unwrap(), layout.transitions().csr());
                    // SAFETY: the matrices are the layout's of these rows, the run lies
                    // inside the states, and `z` has A values per state of the run.
                    unsafe { matrix_lookahead(matrices, rows, first, &v, terminal, 0.9, &mut z) };
                    z
                };
                let (z_with, z_without) = (lookahead(&with), lookahead(&without));
                assert_eq!(bits(&z_with), bits(&z_without), "A = {n_actions}");
                assert!(z_with.contains(&f64::NEG_INFINITY));
            }
        }
    }

    #[test]
    fn the_diagonal_scatter_equals_the_per_state_one_bit_for_bit() {
        for (with, without) in grids(12).into_iter().map(with_and_without_runs) {
            let (n_states, n_actions) = (
                with.transitions().n_states(),
                with.transitions().n_actions(),
            );
            let z: Vec<f64> = (0..n_states * n_actions)
                .map(|k| 0.05 + (k % 11) as f64 * 0.07)
                .collect();
            // No mass at every third state, as the forward pass passes nothing on there.
            let factor: Vec<f64> = (0..n_states)
                .map(|s| {
                    if s % 3 == 0 {
                        0.0
                    } else {
                        0.3 + s as f64 * 0.01
                    }
                })
                .collect();
            let scatter = |layout: &KernelLayout| {
                let mut window = vec![0.0; n_states];
                let matrices = layout.state_matrices().unwrap();
                // SAFETY: the matrices are the layout's, `z` has A values per state, and
                // a window of all states from 0 holds every successor.
                unsafe { matrix_scatter(matrices, 0, &z, &factor, 0.7, &mut window, 0) };
                window
            };
            let (with, without) = (scatter(&with), scatter(&without));
            assert_eq!(bits(&with), bits(&without), "A = {n_actions}");
            // The pushes reach every state: each has a neighbour with mass.
            assert!(with.iter().all(|&x| x > 0.0));
        }
    }

    #[test]
    fn whole_passes_are_the_same_with_and_without_diagonal_runs() {
        for transitions in grids(30) {
            let n_actions = transitions.n_actions();
            let features = Array2::from_shape_fn((900, 2), |(s, k)| ((s * (k + 3)) as f64).sin());
            let mdp = Mdp::new(MdpParts {
                transitions,
                initial: None,
                terminal: vec![17, 444, 899],
                features: Features::new(
                    vec!["a".into(), "b".into()],
                    FeatureTable::State(features),
                )
                .unwrap(),
                action_names: None,
                grid: None,
            })
            .unwrap();
            let with = Arc::new(KernelLayout::new(&mdp).with_state_matrices(true));
            let without = Arc::new(KernelLayout::new(&mdp).without_diagonal_runs());
            let settings = SoftSettings {
                horizon: Some(30),
                discount: 0.97,
                ..SoftSettings::default()
            };
            let reward: Vec<f64> = (0..900)
                .map(|s| ((s * 37) % 23) as f64 / 10.0 - 1.0)
                .collect();
            let solve = |layout: &Arc<KernelLayout>| {
                let problem = SoftProblem::with_layout(
                    &mdp,
                    Arc::clone(layout),
                    Reward::per_state(reward.clone(), n_actions),
                    settings.clone(),
                );
                let values = backward(&problem).unwrap();
                let occupancy = forward(&problem, &values, mdp.initial(), true).unwrap();
                (values, occupancy)
            };
            assert_eq!(solve(&with), solve(&without), "A = {n_actions}");
        }
    }
}
