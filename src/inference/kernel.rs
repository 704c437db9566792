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

use ndarray::ArrayView1;

use super::fastmath::{exp_nonpositive, exp_shifted, ln_positive};
use super::settings::{ActionPrior, Backup, SoftSettings};
use crate::mdp::{Mdp, Reward};

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

/// The ingredients of one soft dynamic program: MDP, reward, log prior, settings.
#[derive(Debug, Clone)]
pub struct SoftProblem<'a> {
    pub(crate) mdp: &'a Mdp,
    pub(crate) reward: Reward,
    log_prior: LogPrior,
    pub(crate) settings: SoftSettings,
    inv_alpha: f64,
    /// ln γ and ln(1 − γ), for the optimistic backup.
    ln_gamma: f64,
    ln_leak: f64,
}

impl<'a> SoftProblem<'a> {
    /// Assemble a problem; `settings` must have passed [`SoftSettings::check`].
    pub fn new(mdp: &'a Mdp, reward: Reward, settings: SoftSettings) -> Self {
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

    /// Write Q(s, ·) into `q` (length A) and return V(s); terminal states give V = 0 and
    /// Q = −∞ everywhere.
    pub fn q_and_value(&self, s: usize, next_v: ArrayView1<f64>, q: &mut [f64]) -> f64 {
        if self.mdp.is_terminal(s) {
            q.fill(f64::NEG_INFINITY);
            return 0.0;
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
        let alpha = self.settings.temperature;
        let z_max = (0..q.len()).fold(f64::NEG_INFINITY, |m, a| m.max(self.logit(s, a, q[a])));
        let sum: f64 = (0..q.len())
            .map(|a| exp_nonpositive(self.logit(s, a, q[a]) - z_max))
            .sum();
        alpha * (z_max + sum.ln())
    }

    /// z = Q/α + log ρ for one action.
    #[inline]
    fn logit(&self, s: usize, a: usize, q: f64) -> f64 {
        q * self.inv_alpha + self.log_prior_at(s, a)
    }

    /// Write π(·|s) into `pi` given Q(s, ·) and V(s).
    ///
    /// π = ρ·exp((Q − V)/α), divided by its sum: when |V| is large (rewards of 10⁴ over
    /// 10³ steps), V carries a rounding error of about |V|·ε shared by every action, and
    /// the division removes it, so each row sums to 1 to rounding and the forward pass
    /// conserves mass.
    pub fn policy_from_q(&self, s: usize, q: &[f64], v: f64, pi: &mut [f64]) {
        let mut total = 0.0;
        for (a, p) in pi.iter_mut().enumerate() {
            let log_rho = self.log_prior_at(s, a);
            *p = if log_rho == f64::NEG_INFINITY {
                0.0
            } else {
                ((q[a] - v) * self.inv_alpha + log_rho).exp()
            };
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
        let (row_start, next, prob) = self.mdp.transitions().csr();
        let rows = &row_start[s * n_actions..=(s + 1) * n_actions];
        let gamma = self.settings.discount;
        match self.settings.backup {
            Backup::Variational => {
                assert!(next_v.len() == self.mdp.n_states() && rows[n_actions] <= next.len());
                for (bounds, c_a) in rows.windows(2).zip(c.iter_mut()) {
                    let (first, end) = (bounds[0], bounds[1]);
                    *c_a = if first == end {
                        f64::NEG_INFINITY
                    } else {
                        // SAFETY: first ≤ end ≤ rows[A] ≤ nnz = next.len() = prob.len()
                        // (row pointers are validated to be non-decreasing when the
                        // transitions are built), and every successor is < S =
                        // next_v.len() (validated then too; asserted above).
                        gamma * unsafe { row_dot(next, prob, next_v, first, end) }
                    };
                }
            }
            Backup::Optimistic => {
                let alpha = self.settings.temperature;
                for (a, c_a) in c.iter_mut().enumerate() {
                    let (next, prob) = (&next[rows[a]..rows[a + 1]], &prob[rows[a]..rows[a + 1]]);
                    if next.is_empty() {
                        *c_a = f64::NEG_INFINITY;
                        continue;
                    }
                    let m = next
                        .iter()
                        .fold(f64::NEG_INFINITY, |m, &sn| m.max(next_v[sn as usize]));
                    let mut acc = 0.0;
                    for (&sn, &p) in next.iter().zip(prob) {
                        acc += p * exp_nonpositive((next_v[sn as usize] - m) * self.inv_alpha);
                    }
                    let stay = self.ln_gamma + m * self.inv_alpha + acc.ln();
                    *c_a = alpha * log_add_exp(stay, self.ln_leak);
                }
            }
        }
    }

    /// Turn continuations C(s, ·) into logits z = (r + C)/α + log ρ, in place.
    #[inline(always)]
    pub(crate) fn logits_in_place(&self, s: usize, z: &mut [f64]) {
        let n_actions = z.len();
        let reward = self.reward.values();
        let inv_alpha = self.inv_alpha;
        if self.reward.is_per_action() {
            let r = &reward[s * n_actions..(s + 1) * n_actions];
            z.iter_mut()
                .zip(r)
                .for_each(|(z, r)| *z = (r + *z) * inv_alpha);
        } else {
            let r = reward[s];
            z.iter_mut().for_each(|z| *z = (r + *z) * inv_alpha);
        }
        match &self.log_prior {
            LogPrior::Flat => {}
            LogPrior::PerState(v) => z.iter_mut().for_each(|z| *z += v[s]),
            LogPrior::PerPair(v) => z
                .iter_mut()
                .zip(&v[s * n_actions..(s + 1) * n_actions])
                .for_each(|(z, lp)| *z += lp),
        }
    }

    /// For a non-terminal state: overwrite `z` (length A, scratch) with the unnormalised
    /// policy e^(z_a − max z) and return (max z, Σ_a e^(z_a − max z)), so that
    /// V(s) = α·(max z + ln Σ) and π(a|s) = z_a / Σ.
    #[inline(always)]
    pub(crate) fn soft_max_parts(&self, s: usize, next_v: &[f64], z: &mut [f64]) -> (f64, f64) {
        self.continuations(s, next_v, z);
        self.logits_in_place(s, z);
        exp_shifted(z)
    }

    /// V = α·(max + ln Σ); −∞ when no action is allowed (Σ = 0).
    #[inline(always)]
    pub(crate) fn value_from_parts(&self, max: f64, sum: f64) -> f64 {
        if sum > 0.0 {
            self.settings.temperature * (max + ln_positive(sum))
        } else {
            f64::NEG_INFINITY
        }
    }

    /// The optimistic weight γ·exp((V'(s') − C(s,a))/α) that carries the likelihood's
    /// adjoint along an edge (the variational one is γ).
    #[inline(always)]
    pub(crate) fn optimistic_tilt(&self, next_value: f64, continuation: f64) -> f64 {
        self.settings.discount * ((next_value - continuation) * self.inv_alpha).exp()
    }
}

/// Σ_k p_k·v(s'_k) over entries first..end, added left to right; rows of three or four
/// entries (a slippery grid's interior) are written out, so there is no loop to run.
///
/// # Safety
/// `first ≤ end ≤ next.len() = prob.len()` and every `next[k]` in the range is below
/// `v.len()`.
#[inline(always)]
pub(crate) unsafe fn row_dot(
    next: &[u32],
    prob: &[f64],
    v: &[f64],
    first: usize,
    end: usize,
) -> f64 {
    let term =
        |k: usize| *prob.get_unchecked(k) * *v.get_unchecked(*next.get_unchecked(k) as usize);
    match end - first {
        3 => term(first) + term(first + 1) + term(first + 2),
        4 => term(first) + term(first + 1) + term(first + 2) + term(first + 3),
        _ => (first..end).fold(0.0, |acc, k| acc + term(k)),
    }
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

    #[test]
    fn log_add_exp_matches_direct_formula_and_survives_extremes() {
        assert!((log_add_exp(1.0, 2.0) - (1f64.exp() + 2f64.exp()).ln()).abs() < 1e-15);
        assert_eq!(log_add_exp(5.0, f64::NEG_INFINITY), 5.0);
        assert!((log_add_exp(1e4, 1e4) - (1e4 + 2f64.ln())).abs() < 1e-9);
    }
}
