//! The per-state soft backup, shared by the backward pass, the forward pass (which
//! recomputes π_t from V_{t+1} instead of storing it) and the likelihood gradient.
//!
//! For one state s and next-step values V':
//!
//! ```text
//! C(s,a) = γ Σ_s' p(s'|s,a) V'(s')                              variational
//! C(s,a) = α·log(γ Σ_s' p(s'|s,a) exp(V'(s')/α) + 1 − γ)         optimistic
//! Q(s,a) = r(s,a) + C(s,a)           (−∞ where ρ(a|s) = 0 or a is unavailable)
//! V(s)   = α·log Σ_a ρ(a|s) exp(Q(s,a)/α)
//! π(a|s) = ρ(a|s) exp((Q(s,a) − V(s))/α)
//! ```
//!
//! All sums of exponentials subtract their maximum first, so rewards of ±1e4 over
//! thousands of steps neither overflow nor lose the small terms.

use std::sync::Arc;

use ndarray::ArrayView1;

use super::fastmath::{exp_nonpositive, ln_positive};
use super::layout::{KernelLayout, Weights};
use super::matrix_kernels::matrix_lookahead;
use super::settings::{ActionPrior, Backup, SoftSettings};
use crate::mdp::{Mdp, Reward};

/// States whose soft-max parts [`SoftProblem::soft_max_run`] computes together: 256
/// states of 8 actions keep their logits in 16 KiB, inside the first-level cache, and
/// long runs pay the per-run work (and a grid's run boundaries) less often.
pub(crate) const RUN_STATES: usize = 256;

/// log ρ(a|s) on available actions, stored only as finely as the prior varies.
#[derive(Debug, Clone)]
enum LogPrior {
    /// ρ = 1: log ρ = 0 (prior `none`).
    Flat,
    /// −ln |A(s)| per state (prior `uniform`).
    PerState(Vec<f64>),
    /// log ρ(a|s) per pair, rows `s·A + a` (a prior given per state and action).
    PerPair(Vec<f64>),
}

/// The ingredients of one soft dynamic program: MDP, the kernels' layout of its
/// transitions, reward, log prior, settings.
#[derive(Debug, Clone)]
pub struct SoftProblem<'a> {
    pub(crate) mdp: &'a Mdp,
    /// Built from the transitions `mdp` holds (checked when the problem is assembled).
    layout: Arc<KernelLayout>,
    pub(crate) reward: Reward,
    log_prior: LogPrior,
    pub(crate) settings: SoftSettings,
    inv_alpha: f64,
    /// ln γ and ln(1 − γ), for the optimistic backup.
    ln_gamma: f64,
    ln_leak: f64,
}

impl<'a> SoftProblem<'a> {
    /// Assemble a problem, building the kernels' layout of the MDP's transitions (O(nnz);
    /// see [`with_layout`](Self::with_layout) to share one); `settings` must have passed
    /// [`SoftSettings::check`].
    pub fn new(mdp: &'a Mdp, reward: Reward, settings: SoftSettings) -> Self {
        Self::with_layout(mdp, Arc::new(KernelLayout::new(mdp)), reward, settings)
    }

    /// Assemble a problem with a layout built earlier for an MDP that shares `mdp`'s
    /// transitions (`mdp` itself, or a copy of it with other terminal states or
    /// features); `settings` must have passed [`SoftSettings::check`].
    ///
    /// # Panics
    /// If `layout` was built from other transitions (see [`KernelLayout::is_for`]): the
    /// kernels rely on the layout describing the MDP's rows.
    pub fn with_layout(
        mdp: &'a Mdp,
        layout: Arc<KernelLayout>,
        reward: Reward,
        settings: SoftSettings,
    ) -> Self {
        assert!(
            layout.is_for(mdp),
            "the kernel layout was built from other transitions than the MDP's"
        );
        let (n_states, n_actions) = (mdp.n_states(), mdp.n_actions());
        let log_prior = match &settings.action_prior {
            ActionPrior::None => LogPrior::Flat,
            ActionPrior::Uniform => LogPrior::PerState(
                (0..n_states)
                    .map(|s| -(mdp.n_available(s).max(1) as f64).ln())
                    .collect(),
            ),
            ActionPrior::PerState(rho) => LogPrior::PerPair(
                (0..n_states * n_actions)
                    .map(|row| rho[[row / n_actions, row % n_actions]].ln())
                    .collect(),
            ),
        };
        Self {
            mdp,
            layout,
            reward,
            log_prior,
            inv_alpha: 1.0 / settings.temperature,
            ln_gamma: settings.discount.ln(),
            ln_leak: (1.0 - settings.discount).ln(),
            settings,
        }
    }

    /// The MDP.
    pub fn mdp(&self) -> &'a Mdp {
        self.mdp
    }

    /// The kernels' layout of the MDP's transitions, to share with further problems.
    pub fn layout(&self) -> &Arc<KernelLayout> {
        &self.layout
    }

    /// The settings.
    pub fn settings(&self) -> &SoftSettings {
        &self.settings
    }

    /// The reward.
    pub fn reward(&self) -> &Reward {
        &self.reward
    }

    /// log ρ(a|s); −∞ where the action is unavailable.
    #[inline]
    pub fn log_prior_at(&self, s: usize, a: usize) -> f64 {
        if !self.mdp.available(s, a) {
            return f64::NEG_INFINITY;
        }
        match &self.log_prior {
            LogPrior::Flat => 0.0,
            LogPrior::PerState(v) => v[s],
            LogPrior::PerPair(v) => v[s * self.mdp.n_actions() + a],
        }
    }

    /// Write Q(s, ·) into `q` (length A), −∞ where the action is not allowed; false (and
    /// −∞ everywhere) at a terminal state.
    pub fn q_values(&self, s: usize, next_v: ArrayView1<f64>, q: &mut [f64]) -> bool {
        if self.mdp.is_terminal(s) {
            q.fill(f64::NEG_INFINITY);
            return false;
        }
        let next_v = next_v.as_slice().expect("contiguous values");
        self.continuations(s, next_v, q);
        for (a, q_a) in q.iter_mut().enumerate() {
            *q_a = if self.log_prior_at(s, a) == f64::NEG_INFINITY {
                f64::NEG_INFINITY
            } else {
                self.reward.get(s, a) + *q_a
            };
        }
        true
    }

    /// Write the logits of π(·|s) given Q(s, ·) into `z`, shifted so that the largest is
    /// 0: z_a = (Q(s,a) − Q_max)/α + log ρ(a|s) − max, −∞ where the action is not allowed
    /// (everywhere at a terminal state). Q_max is taken out before dividing by α, so
    /// that Q/α may exceed the largest double (rewards of 10³⁰⁰ at α = 10⁻¹⁰) as long as
    /// the differences between actions do not; no other quantity of the state is needed
    /// (V(s), of the size of Q, would cancel with a rounding error of |V|·ε that a large
    /// |V|/α turns into an overflow of e^((Q − V)/α)).
    pub fn shifted_logits(&self, s: usize, q: &[f64], z: &mut [f64]) {
        let allowed = |a: usize| self.log_prior_at(s, a) != f64::NEG_INFINITY;
        let q_max = (0..q.len())
            .filter(|&a| allowed(a))
            .fold(f64::NEG_INFINITY, |m, a| m.max(q[a]));
        let mut top = f64::NEG_INFINITY;
        for (a, z_a) in z.iter_mut().enumerate() {
            *z_a = if allowed(a) && q[a] != f64::NEG_INFINITY {
                (q[a] - q_max) * self.inv_alpha + self.log_prior_at(s, a)
            } else {
                f64::NEG_INFINITY
            };
            top = top.max(*z_a);
        }
        if top.is_finite() {
            z.iter_mut().for_each(|z_a| *z_a -= top);
        }
    }

    /// Write log π(·|s) given Q(s, ·) into `log_pi`: −∞ where the action is not allowed,
    /// and at most 0 elsewhere.
    pub fn log_policy_from_q(&self, s: usize, q: &[f64], log_pi: &mut [f64]) {
        self.shifted_logits(s, q, log_pi);
        let sum: f64 = log_pi.iter().map(|&z| z.exp()).sum();
        if sum > 0.0 {
            let log_sum = sum.ln();
            log_pi.iter_mut().for_each(|z| *z -= log_sum);
        }
    }

    /// Write π(·|s) given Q(s, ·) into `pi`: the exponentials of the
    /// [shifted logits](Self::shifted_logits), divided by their sum, so that every row of
    /// a state that can act sums to 1 to rounding, whatever the size of Q and α (a
    /// terminal state's row is all 0: it has no actions).
    pub fn policy_from_q(&self, s: usize, q: &[f64], pi: &mut [f64]) {
        self.shifted_logits(s, q, pi);
        let mut total = 0.0;
        for p in pi.iter_mut() {
            *p = p.exp();
            total += *p;
        }
        if total > 0.0 {
            pi.iter_mut().for_each(|p| *p /= total);
        }
    }

    /// C(s, a), the look-ahead part of Q(s, a), for every action of a non-terminal
    /// state; −∞ where the action is unavailable.
    #[inline(always)]
    pub(crate) fn continuations(&self, s: usize, next_v: &[f64], c: &mut [f64]) {
        let n_actions = c.len();
        for (a, c_a) in c.iter_mut().enumerate() {
            *c_a = self.continuation(s * n_actions + a, next_v);
        }
    }

    /// Assert what the look-ahead kernels rely on for the rows of states below `end`:
    /// the values cover every state and the rows lie inside the entries. With what the
    /// transitions guarantee once built (row pointers non-decreasing, every successor
    /// below S), every entry of those rows and every value it names is in bounds.
    #[inline(always)]
    fn check_lookahead(&self, end: usize, next_v: &[f64]) {
        let (row_start, next, prob) = self.layout.transitions().csr();
        assert!(
            next_v.len() == self.mdp.n_states()
                && row_start[end * self.mdp.n_actions()] as usize <= next.len()
                && next.len() == prob.len()
        );
    }

    /// C(s, a) for the transition row `row` = s·A + a; −∞ for an empty row. Checked
    /// indexing: only the optimistic backup and single states (scores, the demonstrated
    /// pairs of a likelihood) come here, the variational passes take the kernels.
    #[inline(always)]
    fn continuation(&self, row: usize, next_v: &[f64]) -> f64 {
        let (row_start, next, prob) = self.layout.transitions().csr();
        let entries = row_start[row] as usize..row_start[row + 1] as usize;
        if entries.is_empty() {
            return f64::NEG_INFINITY;
        }
        let (next, prob) = (&next[entries.clone()], &prob[entries]);
        match self.settings.backup {
            Backup::Variational => {
                let dot = next
                    .iter()
                    .zip(prob)
                    .fold(0.0, |acc, (&sn, &p)| acc + p * next_v[sn as usize]);
                self.settings.discount * dot
            }
            Backup::Optimistic => {
                let m = next
                    .iter()
                    .fold(f64::NEG_INFINITY, |m, &sn| m.max(next_v[sn as usize]));
                let mut acc = 0.0;
                for (&sn, &p) in next.iter().zip(prob) {
                    acc += p * exp_nonpositive((next_v[sn as usize] - m) * self.inv_alpha);
                }
                let stay = self.ln_gamma + m * self.inv_alpha + acc.ln();
                self.settings.temperature * log_add_exp(stay, self.ln_leak)
            }
        }
    }

    /// The soft-max parts of the run of states first..first+n, n = `max.len()` ≤
    /// [`RUN_STATES`], with `z` holding n values per action (action-major: entry a·n + i
    /// is state first + i):
    ///
    /// ```text
    /// z[a·n + i] ← e^(z_a − max_i)   (0 where a is not allowed, and at terminal states)
    /// max[i]     ← max_a z_a          (f64::MIN when no action is allowed: e^(−∞ − MIN) = 0)
    /// sum[i]     ← Σ_a e^(z_a − max_i)
    /// ```
    ///
    /// for the logits z_a = C(s, a)/α plus the parts of r(s, a)/α + log ρ(a|s) that vary
    /// with a; the parts that only depend on s cancel from π and are added back by
    /// [`values_from_parts`](Self::values_from_parts). So π(a|s) = z / sum. With `cont`,
    /// also cont[a·n + i] ← C(s, a).
    ///
    /// The work goes in phases over the whole run: the look-ahead of every state, then
    /// the maxima, exponentials and sums, each a loop over the run's states for one
    /// action at a time, which compiles to vector instructions whatever A is.
    #[inline(always)]
    pub(crate) fn soft_max_run(
        &self,
        first: usize,
        next_v: &[f64],
        z: &mut [f64],
        max: &mut [f64],
        sum: &mut [f64],
        cont: Option<&mut [f64]>,
    ) {
        let n = max.len();
        let n_actions = self.mdp.n_actions();
        let z = &mut z[..n * n_actions];
        let terminal = &self.mdp.terminal_mask()[first..first + n];
        match (self.settings.backup, cont) {
            (Backup::Variational, None) => {
                self.check_lookahead(first + n, next_v);
                let layout = &*self.layout;
                let (row_start, next, prob) = layout.transitions().csr();
                let rows = &row_start[first * n_actions..=(first + n) * n_actions];
                let uniform = &layout.uniform_row_len()[first..first + n];
                let scale = self.settings.discount * self.inv_alpha;
                // SAFETY: the rows' entries and successors were checked just above,
                // `rows` has n·A + 1 pointers for `z`'s n·A values, the layout was built
                // from these transitions (checked when the problem was assembled), so its
                // codes, uniform lengths and matrices describe these rows, and A ≤ 8
                // wherever there are matrices.
                unsafe {
                    match (layout.state_matrices(), layout.coded_weights()) {
                        (Some(matrices), _) => matrix_lookahead(
                            matrices,
                            layout.transitions().csr(),
                            first,
                            next_v,
                            terminal,
                            scale,
                            z,
                        ),
                        (None, Some(coded)) => variational_lookahead(
                            rows, uniform, next, coded, next_v, terminal, scale, z,
                        ),
                        (None, None) => variational_lookahead(
                            rows, uniform, next, prob, next_v, terminal, scale, z,
                        ),
                    }
                };
            }
            (_, mut cont) => {
                for (i, &end) in terminal.iter().enumerate() {
                    let row = (first + i) * n_actions;
                    for a in 0..n_actions {
                        let c = if end {
                            f64::NEG_INFINITY
                        } else {
                            self.continuation(row + a, next_v)
                        };
                        z[a * n + i] = c * self.inv_alpha;
                        if let Some(cont) = cont.as_deref_mut() {
                            cont[a * n + i] = c;
                        }
                    }
                }
            }
        }
        let add_per_pair = |z: &mut [f64], per_pair: &[f64], scale: f64| {
            let per_pair = &per_pair[first * n_actions..(first + n) * n_actions];
            for (a, z_a) in z.chunks_exact_mut(n).enumerate() {
                let column = per_pair[a..].iter().step_by(n_actions);
                z_a.iter_mut()
                    .zip(column)
                    .for_each(|(z, x)| *z += x * scale);
            }
        };
        if self.reward.is_per_action() {
            add_per_pair(z, self.reward.values(), self.inv_alpha);
        }
        if let LogPrior::PerPair(log_prior) = &self.log_prior {
            add_per_pair(z, log_prior, 1.0);
        }
        // Every store below is unconditional: a conditional one ("raise the maximum if
        // x is larger") compiles to masked stores, which are slow on some processors.
        let (first_action, other_actions) = z.split_at(n);
        for (top, &x) in max.iter_mut().zip(first_action) {
            *top = x.max(f64::MIN);
        }
        for z_a in other_actions.chunks_exact(n) {
            for (top, &x) in max.iter_mut().zip(z_a) {
                *top = top.max(x);
            }
        }
        for z_a in z.chunks_exact_mut(n) {
            for (x, &top) in z_a.iter_mut().zip(max.iter()) {
                *x = exp_nonpositive(*x - top);
            }
        }
        sum.fill(0.0);
        for z_a in z.chunks_exact(n) {
            sum.iter_mut().zip(z_a).for_each(|(total, &x)| *total += x);
        }
    }

    /// V(s) = α·(max + ln Σ) plus the parts of r/α + log ρ that only depend on s (times
    /// α), for the run of states from `first` whose parts
    /// [`soft_max_run`](Self::soft_max_run) wrote; −∞ when no action is allowed (Σ = 0),
    /// 0 at terminal states, +∞ when a logit is +∞ (its Σ is NaN), so that an overflow
    /// keeps its sign. Every step is a loop over the run, so the logarithms
    /// vectorise, and each zeroes the terminal states as it writes them: a loop of its
    /// own that only zeroed them would compile to masked stores.
    #[inline(always)]
    pub(crate) fn values_from_parts(&self, first: usize, max: &[f64], sum: &[f64], v: &mut [f64]) {
        let alpha = self.settings.temperature;
        let states = first..first + v.len();
        let terminal = &self.mdp.terminal_mask()[states.clone()];
        for (((v, &max), &sum), &end) in v.iter_mut().zip(max).zip(sum).zip(terminal) {
            let value = alpha * (max + ln_positive(sum));
            *v = zero_if(end, if sum == 0.0 { f64::NEG_INFINITY } else { value });
        }
        let mut add = |part: &[f64], scale: f64| {
            for ((v, &x), &end) in v.iter_mut().zip(part).zip(terminal) {
                *v = zero_if(end, *v + scale * x);
            }
        };
        if !self.reward.is_per_action() {
            add(&self.reward.values()[states.clone()], 1.0);
        }
        if let LogPrior::PerState(log_prior) = &self.log_prior {
            add(&log_prior[states], alpha);
        }
    }

    /// The optimistic weight γ·exp((V'(s') − C(s,a))/α) that carries the likelihood's
    /// adjoint along an edge (the variational one is γ).
    #[inline(always)]
    pub(crate) fn optimistic_tilt(&self, next_value: f64, continuation: f64) -> f64 {
        self.settings.discount * ((next_value - continuation) * self.inv_alpha).exp()
    }
}

/// 0 if `flag`, else x, as a mask on x's bits: written as a choice, the compiler turns
/// "x, or 0 at terminal states" into a masked load or store, which is slow on some
/// processors (see the maxima in [`SoftProblem::soft_max_run`]).
#[inline(always)]
pub(super) fn zero_if(flag: bool, x: f64) -> f64 {
    f64::from_bits(x.to_bits() & u64::from(flag).wrapping_sub(1))
}

/// z[a·n + i] ← scale·Σ_s' p(s'|s, a)·v(s') for the n states s of a run, whose A
/// row pointers each are `rows[i·A ..= i·A + A]`; −∞ for an empty row or a terminal
/// state. States whose rows all have the same short length (`uniform[i]`, see
/// [`KernelLayout`]) skip the row pointers and branches. Kept out of line so that its
/// few live values stay in registers.
///
/// # Safety
/// `rows.len() = n·A + 1 = z.len() + 1` with n = `terminal.len()` = `uniform.len()`, the
/// pointers are non-decreasing and at most `next.len()` = the number of entries of
/// `prob`, `uniform` matches them, and every successor they cover is below `v.len()`.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub(super) unsafe fn variational_lookahead<W: Weights>(
    rows: &[u32],
    uniform: &[u8],
    next: &[u32],
    prob: W,
    v: &[f64],
    terminal: &[bool],
    scale: f64,
    z: &mut [f64],
) {
    let n = terminal.len();
    let n_actions = z.len() / n.max(1);
    let z = z.as_mut_ptr();
    for (i, (&end, &len)) in terminal.iter().zip(uniform).enumerate() {
        // SAFETY: i < n, so i·A + A < rows.len() (the caller's `rows` length).
        let pointers = unsafe { rows.as_ptr().add(i * n_actions) };
        // SAFETY: `pointers` is the state's first row pointer (just above).
        let begin = unsafe { *pointers } as usize;
        // Ask for the entries PREFETCH_ENTRIES ahead: three cache lines of probabilities
        // (one, when they are coded in a byte), two of successors and one of row pointers
        // (a state of 8 actions with 3 entries each), so that the streams run on across
        // page boundaries, where the processor's own prefetcher stops.
        prefetch(pointers.wrapping_add(PREFETCH_ENTRIES / 2));
        for line in 0..3 {
            prefetch(prob.address(begin + PREFETCH_ENTRIES + 8 * line));
        }
        for line in 0..2 {
            prefetch(
                next.as_ptr()
                    .wrapping_add(begin + PREFETCH_ENTRIES + 16 * line),
            );
        }
        let uniform = |dot: unsafe fn(&[u32], W, &[f64], usize) -> f64, len: usize| {
            for a in 0..n_actions {
                // SAFETY: the state's A rows have `len` entries each from `begin`
                // (`uniform` matches the pointers), so row a's lie inside the entries
                // and name states below v.len(); a·n + i < n·A = z.len().
                unsafe { *z.add(a * n + i) = scale * dot(next, prob, v, begin + a * len) };
            }
        };
        match (end, len) {
            (false, 1) => uniform(fixed_dot::<1, W>, 1),
            (false, 2) => uniform(fixed_dot::<2, W>, 2),
            (false, 3) => uniform(fixed_dot::<3, W>, 3),
            (false, 4) => uniform(fixed_dot::<4, W>, 4),
            _ => {
                let mut begin = begin;
                for a in 0..n_actions {
                    // SAFETY: pointer a + 1 ≤ A of the state's A + 1 (see `pointers`).
                    let stop = unsafe { *pointers.add(a + 1) } as usize;
                    let c = if end || begin == stop {
                        f64::NEG_INFINITY
                    } else {
                        // SAFETY: begin ≤ stop ≤ the number of entries, whose successors
                        // are below v.len() (the caller's guarantees).
                        scale * unsafe { row_dot(next, prob, v, begin, stop) }
                    };
                    // SAFETY: a·n + i < n·A = z.len().
                    unsafe { *z.add(a * n + i) = c };
                    begin = stop;
                }
            }
        }
    }
}

/// How far ahead of the entry being read [`variational_lookahead`] asks for the
/// transitions: 1 KiB of probabilities.
const PREFETCH_ENTRIES: usize = 128;

/// Hint that the cache line holding `p` will be read soon. A hint only, so any address
/// is allowed; nothing where the architecture has no such instruction here.
#[inline(always)]
fn prefetch<T>(p: *const T) {
    // SAFETY: a prefetch never faults and changes no program state.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Σ_k p_k·v(s'_k) over the L entries from `first`, added left to right.
///
/// # Safety
/// `first + L ≤ next.len()` = the number of entries of `prob`, and those successors are
/// below `v.len()`.
#[inline(always)]
unsafe fn fixed_dot<const L: usize, W: Weights>(
    next: &[u32],
    prob: W,
    v: &[f64],
    first: usize,
) -> f64 {
    // SAFETY: first + L ≤ next.len() (the caller's guarantee).
    let successors = unsafe { next.get_unchecked(first..first + L) };
    // SAFETY: entry first < first + L is an entry of `prob`, and its successor is below
    // v.len() (the caller's guarantees).
    let mut acc = unsafe { prob.at(first) * *v.get_unchecked(successors[0] as usize) };
    for (j, &successor) in successors.iter().enumerate().skip(1) {
        // SAFETY: as above, for entry first + j < first + L.
        acc += unsafe { prob.at(first + j) * *v.get_unchecked(successor as usize) };
    }
    acc
}

/// Σ_k p_k·v(s'_k) over entries first..end, added left to right (rows of one shared
/// short length take [`fixed_dot`] instead).
///
/// # Safety
/// `first ≤ end ≤ next.len()` = the number of entries of `prob`, and every `next[k]` in
/// the range is below `v.len()`.
#[inline(always)]
pub(super) unsafe fn row_dot<W: Weights>(
    next: &[u32],
    prob: W,
    v: &[f64],
    first: usize,
    end: usize,
) -> f64 {
    (first..end).fold(0.0, |acc, k| {
        // SAFETY: k < end ≤ next.len(), an entry of `prob` too, and next[k] < v.len()
        // (the caller's guarantees).
        acc + unsafe { prob.at(k) * *v.get_unchecked(*next.get_unchecked(k) as usize) }
    })
}

/// log(exp(x) + exp(y)), exact when either is −∞.
#[inline]
pub fn log_add_exp(x: f64, y: f64) -> f64 {
    let (hi, lo) = if x >= y { (x, y) } else { (y, x) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::ActionPrior;
    use crate::test_support::mixed_rows;

    #[test]
    fn the_look_ahead_is_the_same_with_coded_or_plain_probabilities_and_with_or_without_uniform_rows(
    ) {
        let layout = KernelLayout::for_transitions(mixed_rows());
        let t = layout.transitions();
        let (rows, next, prob) = t.csr();
        let coded = layout.coded_weights().expect("four distinct probabilities");
        assert!(layout.uniform_row_len().contains(&3));
        assert!(layout.uniform_row_len().contains(&0));
        let v: Vec<f64> = (0..12).map(|s| (s as f64 * 0.37).sin()).collect();
        let mut terminal = vec![false; 12];
        terminal[4] = true;
        let none_uniform = [0u8; 12];
        let mut results = vec![];
        for uniform in [layout.uniform_row_len(), &none_uniform[..]] {
            let mut plain = vec![0.0; 36];
            let mut with_codes = vec![0.0; 36];
            // SAFETY: the rows, codes and uniform lengths (the real ones, or none) are
            // those of `t`, whose successors lie below its 12 states, and `z` has 12·3
            // values.
            unsafe {
                variational_lookahead(rows, uniform, next, prob, &v, &terminal, 0.5, &mut plain);
                variational_lookahead(
                    rows,
                    uniform,
                    next,
                    coded,
                    &v,
                    &terminal,
                    0.5,
                    &mut with_codes,
                );
            }
            assert_eq!(plain, with_codes);
            results.push(plain);
        }
        assert_eq!(results[0], results[1]);
        // Action-major: entry a·12 + s is 0.5·Σ p·v over row (s, a), −∞ where the row is
        // empty or s is terminal.
        for s in 0..12 {
            for a in 0..3 {
                let (succ, p) = t.successors(s, a);
                let want = if s == 4 || succ.is_empty() {
                    f64::NEG_INFINITY
                } else {
                    0.5 * succ
                        .iter()
                        .zip(p)
                        .map(|(&n, p)| p * v[n as usize])
                        .sum::<f64>()
                };
                let got = results[0][a * 12 + s];
                assert!(
                    got == want || (got - want).abs() < 1e-15,
                    "({s}, {a}): {got} vs {want}"
                );
            }
        }
    }

    #[test]
    #[should_panic(expected = "built from other transitions")]
    fn a_layout_of_other_transitions_is_refused_even_when_they_are_equal() {
        let mdp = crate::test_support::random_mdp(3, 6, 2, 2, 1, false, &[]);
        let copy = crate::test_support::separately_held_copy(&mdp);
        let layout = Arc::new(KernelLayout::new(&mdp));
        let reward = Reward::per_state(vec![0.0; 6], 2);
        SoftProblem::with_layout(&copy, layout, reward, SoftSettings::finite(3, 1.0));
    }

    /// π depends on r/α alone (V scales with α), so rewards and temperature scaled
    /// alike, by 10⁵⁰ or 10²⁰⁰ (Q and V as large) or 10⁻¹⁰⁰, give the policy of the
    /// unscaled problem; rewards of 10¹² at α = 10⁻⁶ and of 10⁵⁰ at α = 10⁶, where V's
    /// rounding error of |V|·ε once overflowed e^((Q − V)/α), give rows of finite numbers
    /// that sum to 1.
    #[test]
    fn the_policy_depends_on_the_reward_over_the_temperature_alone_at_any_scale() {
        let mdp = crate::test_support::random_mdp(7, 8, 3, 2, 1, false, &[5]);
        let base: Vec<f64> = (0..8).map(|s| ((s * 5) % 7) as f64 * 0.3 - 1.0).collect();
        let policy = |scale: f64, temperature: f64, prior: ActionPrior| {
            let reward = Reward::per_state(base.iter().map(|r| r * scale).collect(), 3);
            let settings = SoftSettings {
                temperature,
                action_prior: prior,
                ..SoftSettings::finite(6, 0.9)
            };
            let problem = SoftProblem::new(&mdp, reward, settings);
            let values = crate::inference::backward(&problem).unwrap();
            crate::inference::q_and_policy(&problem, &values).1
        };
        let rows = |pi: &ndarray::Array3<f64>| -> Vec<Vec<f64>> {
            let mut rows = Vec::new();
            for t in 0..6 {
                for s in (0..8).filter(|&s| s != 5) {
                    let row = pi.slice(ndarray::s![t, s, ..]).to_vec();
                    assert!(row.iter().all(|p| p.is_finite() && *p >= 0.0), "{row:?}");
                    assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{row:?}");
                    rows.push(row);
                }
            }
            rows
        };
        for prior in [ActionPrior::None, ActionPrior::Uniform] {
            let plain = rows(&policy(1.0, 1.0, prior.clone()));
            for scale in [1e50, 1e200, 1e-100] {
                let scaled = rows(&policy(scale, scale, prior.clone()));
                for (got, want) in scaled.iter().zip(&plain) {
                    for (g, w) in got.iter().zip(want) {
                        assert!((g - w).abs() < 1e-9, "{got:?} vs {want:?} at scale {scale}");
                    }
                }
            }
            rows(&policy(1e12, 1e-6, prior.clone()));
            rows(&policy(1e50, 1e6, prior));
        }
    }

    /// Q of 10⁵⁰ whose actions differ by 10³⁵ at α = 10⁶: logits 10²⁹ apart, so π is
    /// the hard maximum over the available actions, its log at most 0, and state 0's
    /// unavailable action has π = 0.
    #[test]
    fn the_log_policy_is_at_most_zero_and_matches_the_policy() {
        let mdp = crate::test_support::random_mdp(7, 8, 3, 2, 1, false, &[5]);
        let settings = SoftSettings {
            temperature: 1e6,
            ..SoftSettings::finite(2, 1.0)
        };
        let problem = SoftProblem::new(&mdp, Reward::per_state(vec![0.0; 8], 3), settings);
        for s in [0, 1] {
            let q = [1e50, 1e50 + 1e35, 1e50 - 3e35];
            let (mut log_pi, mut pi) = ([0.0; 3], [0.0; 3]);
            problem.log_policy_from_q(s, &q, &mut log_pi);
            problem.policy_from_q(s, &q, &mut pi);
            assert!(log_pi.iter().all(|&l| l <= 0.0), "{log_pi:?}");
            assert_eq!(pi, log_pi.map(f64::exp));
            let best = (0..3)
                .filter(|&a| mdp.available(s, a))
                .max_by(|&a, &b| q[a].total_cmp(&q[b]))
                .unwrap();
            assert_eq!(pi[best], 1.0);
            for a in (0..3).filter(|&a| !mdp.available(s, a)) {
                assert_eq!(log_pi[a], f64::NEG_INFINITY);
            }
        }
    }

    #[test]
    fn log_add_exp_matches_direct_formula_and_survives_extremes() {
        assert!((log_add_exp(1.0, 2.0) - (1f64.exp() + 2f64.exp()).ln()).abs() < 1e-15);
        assert_eq!(log_add_exp(5.0, f64::NEG_INFINITY), 5.0);
        assert!((log_add_exp(1e4, 1e4) - (1e4 + 2f64.ln())).abs() < 1e-9);
    }
}
