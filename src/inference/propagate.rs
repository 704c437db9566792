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
//! and can add weight·φ(s, a) to a per-pair total. States without mass are skipped.
//!
//! **Layout.** Each block of consecutive states (the transitions' scatter blocks)
//! computes π for its states and scatters φ·w into a private window of successors while
//! the rows it just read are still in cache; a second pass sums the windows into m' in
//! block order. No transposed copy of the transitions is needed, nothing is allocated
//! per step, and the result is the same bit for bit on any number of threads.

use rayon::prelude::*;

use super::kernel::SoftProblem;
use super::settings::Backup;

/// What a unit of flow carries to a successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carry {
    /// w = p.
    Dynamics,
    /// w = γ p, or the optimistic tilt γ p exp((V' − C)/α).
    Adjoint,
}

/// One block's window and scratch.
struct Block {
    /// φ·w summed per successor, for successors lo..hi of the block's window.
    window: Vec<f64>,
    /// 2·A numbers: the policy (or logits) and the continuations of one state.
    scratch: Vec<f64>,
}

/// Buffers for repeated steps on one problem, allocated once.
pub(crate) struct Propagator {
    blocks: Vec<Block>,
    /// Continuations of one state, for [`carry_pair`](Self::carry_pair).
    pair_scratch: Vec<f64>,
}

impl Propagator {
    /// Buffers sized for `problem`'s transitions.
    pub(crate) fn new(problem: &SoftProblem) -> Self {
        let mdp = problem.mdp();
        let n_actions = mdp.n_actions();
        let blocks = mdp
            .transitions()
            .scatter_blocks()
            .windows()
            .iter()
            .map(|(lo, hi)| Block {
                window: vec![0.0; hi - lo],
                scratch: vec![0.0; 2 * n_actions],
            })
            .collect();
        Self {
            blocks,
            pair_scratch: vec![0.0; n_actions],
        }
    }

    /// One step: `out` ← m' from `mass`; with `pair_total = Some((total, weight))`, also
    /// total(s, a) += weight·φ(s, a) (rows `s·A + a`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn step(
        &mut self,
        problem: &SoftProblem,
        next_v: &[f64],
        mass: &[f64],
        carry: Carry,
        absorbing: bool,
        out: &mut [f64],
        pair_total: Option<(&mut [f64], f64)>,
    ) {
        let mdp = problem.mdp();
        let scatter = mdp.transitions().scatter_blocks();
        let block_len = scatter.block_len();
        let pair_chunk = block_len * mdp.n_actions();
        let parallel = problem.settings().parallel;
        let (pair_total, weight) = match pair_total {
            Some((total, weight)) => (Some(total), weight),
            None => (None, 0.0),
        };
        let work = |b: usize, block: &mut Block, total: Option<&mut [f64]>| {
            let lo = scatter.windows()[b].0;
            let first = b * block_len;
            push_block(
                problem, next_v, mass, carry, first, lo, block, total, weight,
            );
        };
        match (parallel, pair_total) {
            (true, Some(total)) => self
                .blocks
                .par_iter_mut()
                .zip(total.par_chunks_mut(pair_chunk))
                .enumerate()
                .for_each(|(b, (block, total))| work(b, block, Some(total))),
            (true, None) => self
                .blocks
                .par_iter_mut()
                .enumerate()
                .for_each(|(b, block)| work(b, block, None)),
            (false, Some(total)) => self
                .blocks
                .iter_mut()
                .zip(total.chunks_mut(pair_chunk))
                .enumerate()
                .for_each(|(b, (block, total))| work(b, block, Some(total))),
            (false, None) => self
                .blocks
                .iter_mut()
                .enumerate()
                .for_each(|(b, block)| work(b, block, None)),
        }
        let blocks = &self.blocks;
        let sum_windows = |c: usize, out: &mut [f64]| {
            let first = c * block_len;
            for (i, x) in out.iter_mut().enumerate() {
                let s = first + i;
                *x = if absorbing && mdp.is_terminal(s) {
                    mass[s]
                } else {
                    0.0
                };
            }
            let end = first + out.len();
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
    let mdp = problem.mdp();
    let n_actions = mdp.n_actions();
    let (row_start, next, prob) = mdp.transitions().csr();
    let gamma = problem.settings().discount;
    let tilt = carry == Carry::Adjoint && problem.settings().backup == Backup::Optimistic;
    let edge = match carry {
        Carry::Dynamics => 1.0,
        Carry::Adjoint => gamma,
    };
    let window = &mut block.window;
    window.fill(0.0);
    let (pi, cont) = block.scratch.split_at_mut(n_actions);
    let last = (first + problem.mdp().transitions().scatter_blocks().block_len()).min(mass.len());
    assert!(row_start[last * n_actions] <= next.len() && next.len() == prob.len());
    for s in first..last {
        let m = mass[s];
        if m == 0.0 || mdp.is_terminal(s) {
            continue;
        }
        let (_, sum) = if tilt {
            problem.continuations(s, next_v, cont);
            pi.copy_from_slice(cont);
            problem.logits_in_place(s, pi);
            super::fastmath::exp_shifted(pi)
        } else {
            problem.soft_max_parts(s, next_v, pi)
        };
        let scale = m / sum;
        let rows = &row_start[s * n_actions..=(s + 1) * n_actions];
        for (a, bounds) in rows.windows(2).enumerate() {
            let flow = pi[a] * scale;
            if let Some(total) = total.as_deref_mut() {
                total[(s - first) * n_actions + a] += weight * flow;
            }
            let (begin, end) = (bounds[0], bounds[1]);
            if tilt {
                for (&sn, &p) in next[begin..end].iter().zip(&prob[begin..end]) {
                    let sn = sn as usize;
                    window[sn - lo] += flow * p * problem.optimistic_tilt(next_v[sn], cont[a]);
                }
            } else {
                let flow = flow * edge;
                let mut add = |k: usize| {
                    // SAFETY: k < nnz (validated row pointers, asserted above for the
                    // block), and each successor of the block lies in its window
                    // [lo, lo + window.len()) by the window's construction.
                    unsafe {
                        let sn = *next.get_unchecked(k) as usize;
                        *window.get_unchecked_mut(sn - lo) += flow * *prob.get_unchecked(k);
                    }
                };
                match end - begin {
                    3 => {
                        add(begin);
                        add(begin + 1);
                        add(begin + 2);
                    }
                    4 => {
                        add(begin);
                        add(begin + 1);
                        add(begin + 2);
                        add(begin + 3);
                    }
                    _ => (begin..end).for_each(add),
                }
            }
        }
    }
}
