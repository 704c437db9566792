//! One step of mass through the soft policy and the dynamics: the inner loop of the
//! forward pass, of forecasts and of the likelihood gradient.
//!
//! Given a mass m(s) on states and the next-step values V', a step forms the flow
//! φ(s, a) = m(s)·π(a|s), with π recomputed from V' (see [`kernel`](super::kernel)), and
//! carries it along the transitions:
//!
//! ```text
//! m'(s') = Σ_{s,a} φ(s,a)·w(s'|s,a)   (+ m(s') at terminal s' when mass is absorbed)
//! w = p                                  the dynamics (occupancy, forecasts)
//! w = γ p                                the likelihood's adjoint, variational backup
//! w = γ p exp((V'(s') − C(s,a))/α)       the likelihood's adjoint, optimistic backup
//! ```
//!
//! and can add weight·φ(s, a) to a per-pair total and weight·m(s) to a per-state total
//! of the acting (non-terminal) states. States without mass are skipped.
//!
//! **Layout.** Each block of consecutive states (the layout's scatter blocks)
//! computes π for its states and scatters φ·w into a private window of successors while
//! the rows it just read are still in cache; a second pass sums the windows into m' in
//! block order. No transposed copy of the transitions is needed, nothing is allocated
//! per step, and the result is the same bit for bit on any number of threads.

use std::sync::Arc;

use rayon::iter::Either;
use rayon::prelude::*;

use super::kernel::{zero_if, SoftProblem, RUN_STATES};
use super::layout::{KernelLayout, Weights};
use super::matrix_kernels::matrix_scatter;
use super::settings::Backup;

/// What a unit of flow carries to a successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carry {
    /// w = p.
    Dynamics,
    /// w = γ p, or the optimistic tilt γ p exp((V' − C)/α).
    Adjoint,
}

/// Running totals that a step adds its mass and flow to, times `weight`.
#[derive(Debug, Default)]
pub(crate) struct Totals<'a> {
    /// total(s) += weight·m(s) at the states that act (non-terminal).
    pub acting: Option<&'a mut [f64]>,
    /// total(s, a) += weight·φ(s, a), rows `s·A + a`.
    pub pairs: Option<&'a mut [f64]>,
    pub weight: f64,
}

/// One block's window and scratch.
struct Block {
    /// φ·w summed per successor, for successors lo..hi of the block's window.
    window: Vec<f64>,
    /// A run's unnormalised policies (A per state), continuations (A per state), maxima
    /// and sums: (2·A + 2)·[`RUN_STATES`] numbers.
    scratch: Vec<f64>,
}

/// Buffers for repeated steps on one problem, allocated once.
pub(crate) struct Propagator {
    /// The layout of the problems it steps, whose scatter blocks `blocks` follow.
    layout: Arc<KernelLayout>,
    blocks: Vec<Block>,
    /// Continuations of one state, for [`carry_pair`](Self::carry_pair).
    pair_scratch: Vec<f64>,
}

impl Propagator {
    /// Buffers sized for `problem`'s transitions.
    pub(crate) fn new(problem: &SoftProblem) -> Self {
        let n_actions = problem.mdp().n_actions();
        let layout = Arc::clone(problem.layout());
        let blocks = layout
            .scatter_blocks()
            .windows()
            .iter()
            .map(|(lo, hi)| Block {
                window: vec![0.0; hi - lo],
                scratch: vec![0.0; (2 * n_actions + 2) * RUN_STATES],
            })
            .collect();
        Self {
            layout,
            blocks,
            pair_scratch: vec![0.0; n_actions],
        }
    }

    /// One step: `out` ← m' from `mass`, adding to the running `totals`.
    ///
    /// # Panics
    /// If `problem` does not share the layout the propagator was built for: its windows
    /// are sized for that layout's scatter blocks.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn step(
        &mut self,
        problem: &SoftProblem,
        next_v: &[f64],
        mass: &[f64],
        carry: Carry,
        absorbing: bool,
        out: &mut [f64],
        totals: Totals,
    ) {
        assert!(Arc::ptr_eq(&self.layout, problem.layout()));
        let mdp = problem.mdp();
        let n_actions = mdp.n_actions();
        let scatter = self.layout.scatter_blocks();
        let block_len = scatter.block_len();
        let parallel = problem.settings().parallel;
        let weight = totals.weight;
        let terminal = mdp.terminal_mask();
        let work =
            |b: usize, block: &mut Block, acting: Option<&mut [f64]>, pairs: Option<&mut [f64]>| {
                let lo = scatter.windows()[b].0;
                let first = b * block_len;
                if let Some(acting) = acting {
                    let states = first..first + acting.len();
                    add_acting(acting, &mass[states.clone()], weight, &terminal[states]);
                }
                push_block(
                    problem, next_v, mass, carry, first, lo, block, pairs, weight,
                );
            };
        // Each block adds to the totals of its own states: the totals split into
        // consecutive parts of `block_len` states, one for each block.
        let (acting, pairs) = (totals.acting, totals.pairs);
        let n_states = mdp.n_states();
        assert!(
            acting.as_ref().is_none_or(|t| t.len() == n_states)
                && pairs
                    .as_ref()
                    .is_none_or(|t| t.len() == n_states * n_actions)
        );
        if parallel {
            let n_blocks = self.blocks.len();
            let acting = block_parts(acting, block_len, n_blocks);
            let pairs = block_parts(pairs, block_len * n_actions, n_blocks);
            self.blocks
                .par_iter_mut()
                .zip(acting.zip(pairs))
                .enumerate()
                .for_each(|(b, (block, (acting, pairs)))| work(b, block, acting, pairs));
        } else {
            let mut acting = acting.map(|total| total.chunks_mut(block_len));
            let mut pairs = pairs.map(|total| total.chunks_mut(block_len * n_actions));
            for (b, block) in self.blocks.iter_mut().enumerate() {
                let acting = acting.as_mut().and_then(Iterator::next);
                let pairs = pairs.as_mut().and_then(Iterator::next);
                work(b, block, acting, pairs);
            }
        }
        let blocks = &self.blocks;
        let sum_windows = |c: usize, out: &mut [f64]| {
            let first = c * block_len;
            let end = first + out.len();
            let states = first..end;
            for ((x, &m), &stays) in out
                .iter_mut()
                .zip(&mass[states.clone()])
                .zip(&terminal[states])
            {
                *x = if absorbing & stays { m } else { 0.0 };
            }
            for (block, &(lo, hi)) in blocks.iter().zip(scatter.windows()) {
                let (from, to) = (lo.max(first), hi.min(end));
                if from < to {
                    let src = &block.window[from - lo..to - lo];
                    for (x, y) in out[from - first..to - first].iter_mut().zip(src) {
                        *x += y;
                    }
                }
            }
        };
        if parallel {
            out.par_chunks_mut(block_len)
                .enumerate()
                .for_each(|(c, out)| sum_windows(c, out));
        } else {
            out.chunks_mut(block_len)
                .enumerate()
                .for_each(|(c, out)| sum_windows(c, out));
        }
    }

    /// Carry `amount` of flow at the single pair (s, a) with the adjoint weights into
    /// `out` (the demonstrated pairs' own contribution to the likelihood's adjoint).
    pub(crate) fn carry_pair(
        &mut self,
        problem: &SoftProblem,
        next_v: &[f64],
        (s, a): (usize, usize),
        amount: f64,
        out: &mut [f64],
    ) {
        let (next, prob) = problem.mdp().transitions().successors(s, a);
        let gamma = problem.settings().discount;
        let optimistic = problem.settings().backup == Backup::Optimistic;
        if optimistic {
            problem.continuations(s, next_v, &mut self.pair_scratch);
        }
        for (&sn, &p) in next.iter().zip(prob) {
            let sn = sn as usize;
            let w = if optimistic {
                p * problem.optimistic_tilt(next_v[sn], self.pair_scratch[a])
            } else {
                gamma * p
            };
            out[sn] += amount * w;
        }
    }
}

/// The consecutive parts of `len` numbers of `total`, one per block, or `None` for each
/// of the `n_blocks` blocks when there is no total.
fn block_parts(
    total: Option<&mut [f64]>,
    len: usize,
    n_blocks: usize,
) -> impl IndexedParallelIterator<Item = Option<&mut [f64]>> {
    match total {
        Some(total) => Either::Left(total.par_chunks_mut(len).map(Some)),
        None => Either::Right((0..n_blocks).into_par_iter().map(|_| None)),
    }
}

/// total(s) += weight·d(s) for the states that act (non-terminal).
pub(crate) fn add_acting(total: &mut [f64], d: &[f64], weight: f64, terminal: &[bool]) {
    for ((t, &x), &end) in total.iter_mut().zip(d).zip(terminal) {
        // Adding 0 rather than skipping keeps the loads and stores unconditional, and
        // t + 0 = t exactly (a −0 becomes +0).
        *t += zero_if(end, weight * x);
    }
}

/// Compute φ for the states of one block and scatter φ·w into its window.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn push_block(
    problem: &SoftProblem,
    next_v: &[f64],
    mass: &[f64],
    carry: Carry,
    first: usize,
    lo: usize,
    block: &mut Block,
    mut total: Option<&mut [f64]>,
    weight: f64,
) {
    let layout = &**problem.layout();
    let n_actions = problem.mdp().n_actions();
    let (row_start, next, prob) = layout.transitions().csr();
    let gamma = problem.settings().discount;
    let tilt = carry == Carry::Adjoint && problem.settings().backup == Backup::Optimistic;
    let edge = match carry {
        Carry::Dynamics => 1.0,
        Carry::Adjoint => gamma,
    };
    let window = &mut block.window;
    window.fill(0.0);
    let (pi, rest) = block.scratch.split_at_mut(RUN_STATES * n_actions);
    let (cont, rest) = rest.split_at_mut(RUN_STATES * n_actions);
    let (max, sum) = rest.split_at_mut(RUN_STATES);
    let last = (first + layout.scatter_blocks().block_len()).min(mass.len());
    assert!(row_start[last * n_actions] as usize <= next.len() && next.len() == prob.len());
    for start in (first..last).step_by(RUN_STATES) {
        let masses = &mass[start..(start + RUN_STATES).min(last)];
        if masses.iter().all(|&m| m == 0.0) {
            continue;
        }
        let n = masses.len();
        let (max, scale) = (&mut max[..n], &mut sum[..n]);
        let keep = tilt.then_some(&mut *cont);
        problem.soft_max_run(start, next_v, pi, max, scale, keep);
        // φ(s, a) = m(s)·π(a|s) = z·m/Σ: turn each Σ into the factor m/Σ (0 where no
        // mass flows, or no action is allowed).
        // The quotient is formed for every state and then discarded where it is not
        // wanted, so the loop has no branch and divides four states at a time.
        for (x, &m) in scale.iter_mut().zip(masses) {
            let share = m / *x;
            *x = if (m == 0.0) | (*x == 0.0) { 0.0 } else { share };
        }
        if let Some(total) = total.as_deref_mut() {
            let total = &mut total[(start - first) * n_actions..];
            for (i, &factor) in scale.iter().enumerate() {
                for a in 0..n_actions {
                    total[i * n_actions + a] += weight * (pi[a * n + i] * factor);
                }
            }
        }
        if !tilt {
            let rows = &row_start[start * n_actions..=(start + n) * n_actions];
            let uniform = &layout.uniform_row_len()[start..start + n];
            let (z, window) = (&pi[..n * n_actions], &mut window[..]);
            // SAFETY: the rows lie inside the entries (asserted above for the block), the
            // layout describes these rows (it was built from the problem's transitions),
            // and `window` is this block's window [lo, hi) of the layout's scatter blocks
            // (the propagator checks that it steps the layout it was built for), which
            // spans every successor of the block's states.
            unsafe {
                match (layout.state_matrices(), layout.coded_weights()) {
                    (Some(matrices), _) => {
                        matrix_scatter(matrices, start, z, scale, edge, window, lo)
                    }
                    (None, Some(coded)) => {
                        scatter_run(rows, uniform, next, coded, z, scale, edge, window, lo)
                    }
                    (None, None) => {
                        scatter_run(rows, uniform, next, prob, z, scale, edge, window, lo)
                    }
                }
            };
            continue;
        }
        // The optimistic adjoint: each edge carries its own tilt.
        for (i, &factor) in scale.iter().enumerate() {
            if factor == 0.0 {
                continue;
            }
            let s = start + i;
            let rows = &row_start[s * n_actions..=(s + 1) * n_actions];
            for (a, bounds) in rows.windows(2).enumerate() {
                let flow = pi[a * n + i] * factor;
                let (begin, end) = (bounds[0] as usize, bounds[1] as usize);
                for (&sn, &p) in next[begin..end].iter().zip(&prob[begin..end]) {
                    let sn = sn as usize;
                    let tilt = problem.optimistic_tilt(next_v[sn], cont[a * n + i]);
                    window[sn - lo] += flow * (p * tilt);
                }
            }
        }
    }
}

/// window[s' − lo] += edge·factor_i·z[a·n + i]·p(s'|s, a) over the n states s of a run
/// (factor = m/Σ, 0 for states that pass nothing on), whose A row pointers each are
/// `rows[i·A ..= i·A + A]`. States whose rows all have the same short length
/// (`uniform[i]`) skip the row pointers and branches. Kept out of line so that its few
/// live values stay in registers.
///
/// # Safety
/// `rows.len() = n·A + 1 = z.len() + 1` with n = `factor.len()` = `uniform.len()`, the
/// pointers are non-decreasing and at most `next.len() = prob.len()`, `uniform` matches
/// them, and every successor s' they cover has lo ≤ s' < lo + `window.len()`.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub(super) unsafe fn scatter_run<W: Weights>(
    rows: &[u32],
    uniform: &[u8],
    next: &[u32],
    prob: W,
    z: &[f64],
    factor: &[f64],
    edge: f64,
    window: &mut [f64],
    lo: usize,
) {
    let n = factor.len();
    let n_actions = z.len() / n.max(1);
    let window = window.as_mut_ptr().wrapping_sub(lo);
    for (i, (&factor, &len)) in factor.iter().zip(uniform).enumerate() {
        if factor == 0.0 {
            continue;
        }
        // SAFETY: i < n, so i·A + A < rows.len() (the caller's `rows` length).
        let pointers = unsafe { rows.as_ptr().add(i * n_actions) };
        // SAFETY: `pointers` is the state's first row pointer (just above).
        let begin = unsafe { *pointers } as usize;
        // SAFETY: a < A, so a·n + i < n·A = z.len().
        let flow = |a: usize| unsafe { *z.get_unchecked(a * n + i) } * factor * edge;
        let uniform = |push: unsafe fn(&[u32], W, f64, usize, *mut f64), len: usize| {
            for a in 0..n_actions {
                // SAFETY: the state's A rows have `len` entries each from `begin`
                // (`uniform` matches the pointers), inside the entries, and their
                // successors lie in the window (the caller's guarantees).
                unsafe { push(next, prob, flow(a), begin + a * len, window) };
            }
        };
        match len {
            1 => uniform(fixed_push::<1, W>, 1),
            2 => uniform(fixed_push::<2, W>, 2),
            3 => uniform(fixed_push::<3, W>, 3),
            4 => uniform(fixed_push::<4, W>, 4),
            _ => {
                let mut begin = begin;
                for a in 0..n_actions {
                    // SAFETY: pointer a + 1 ≤ A of the state's A + 1 (see `pointers`).
                    let stop = unsafe { *pointers.add(a + 1) } as usize;
                    let flow = flow(a);
                    for k in begin..stop {
                        // SAFETY: k < stop ≤ next.len() = the number of entries of
                        // `prob`, and successor next[k] lies in the window, so
                        // window + next[k] is an entry of it.
                        unsafe {
                            let target = window.wrapping_add(*next.get_unchecked(k) as usize);
                            *target += flow * prob.at(k);
                        }
                    }
                    begin = stop;
                }
            }
        }
    }
}

/// window[s'_k] += flow·p_k over the L entries from `first`, where `window` points at
/// successor 0 of the block's window (it may lie before its start).
///
/// # Safety
/// `first + L ≤ next.len()` = the number of entries of `prob`, and `window + s'_k` lies
/// in the window.
#[inline(always)]
unsafe fn fixed_push<const L: usize, W: Weights>(
    next: &[u32],
    prob: W,
    flow: f64,
    first: usize,
    window: *mut f64,
) {
    // SAFETY: first + L ≤ next.len() (the caller's guarantee).
    let successors = unsafe { next.get_unchecked(first..first + L) };
    for (j, &successor) in successors.iter().enumerate() {
        // SAFETY: entry first + j is an entry of `prob`, and window + its successor lies
        // in the window (the caller's guarantees).
        unsafe { *window.wrapping_add(successor as usize) += flow * prob.at(first + j) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::mixed_rows;

    #[test]
    fn the_scatter_is_the_same_with_coded_or_plain_probabilities_and_with_or_without_uniform_rows()
    {
        let layout = KernelLayout::for_transitions(mixed_rows());
        let t = layout.transitions();
        let (rows, next, prob) = t.csr();
        let coded = layout.coded_weights().expect("four distinct probabilities");
        // Policy weights action-major (a·12 + s), and a factor per state (0: no mass).
        let z: Vec<f64> = (0..36).map(|k| 0.1 + (k % 7) as f64 * 0.05).collect();
        let factor: Vec<f64> = (0..12)
            .map(|s| if s == 4 { 0.0 } else { 1.0 + s as f64 })
            .collect();
        let none_uniform = [0u8; 12];
        let mut results = vec![];
        for uniform in [layout.uniform_row_len(), &none_uniform[..]] {
            let (mut plain, mut with_codes) = (vec![0.0; 12], vec![0.0; 12]);
            // SAFETY: the rows, codes and uniform lengths (the real ones, or none) are
            // those of `t`, and a window of its 12 states from 0 holds every successor.
            unsafe {
                scatter_run(rows, uniform, next, prob, &z, &factor, 0.5, &mut plain, 0);
                scatter_run(
                    rows,
                    uniform,
                    next,
                    coded,
                    &z,
                    &factor,
                    0.5,
                    &mut with_codes,
                    0,
                );
            }
            assert_eq!(plain, with_codes);
            results.push(plain);
        }
        assert_eq!(results[0], results[1]);
        let mut want = vec![0.0; 12];
        for s in 0..12 {
            for a in 0..3 {
                let (succ, p) = t.successors(s, a);
                for (&n, p) in succ.iter().zip(p) {
                    want[n as usize] += 0.5 * factor[s] * z[a * 12 + s] * p;
                }
            }
        }
        for (got, want) in results[0].iter().zip(&want) {
            assert!((got - want).abs() < 1e-13, "{got} vs {want}");
        }
    }
}
