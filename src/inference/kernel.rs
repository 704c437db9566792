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

use super::settings::{ActionPrior, Backup, SoftSettings};
use crate::mdp::{Mdp, Reward};

/// The ingredients of one soft dynamic program: MDP, reward, log prior, settings.
#[derive(Debug, Clone)]
pub struct SoftProblem<'a> {
    pub(crate) mdp: &'a Mdp,
    pub(crate) reward: Reward,
    /// log ρ(a|s), −∞ for unavailable actions and terminal states; rows `s·A + a`.
    pub(crate) log_prior: Vec<f64>,
    pub(crate) settings: SoftSettings,
}

impl<'a> SoftProblem<'a> {
    /// Assemble a problem; `settings` must have passed [`SoftSettings::check`].
    pub fn new(mdp: &'a Mdp, reward: Reward, settings: SoftSettings) -> Self {
        let (n_states, n_actions) = (mdp.n_states(), mdp.n_actions());
        let mut log_prior = vec![f64::NEG_INFINITY; n_states * n_actions];
        for s in 0..n_states {
            let n_available = mdp.n_available(s) as f64;
            for a in (0..n_actions).filter(|&a| mdp.available(s, a)) {
                log_prior[s * n_actions + a] = match &settings.action_prior {
                    ActionPrior::None => 0.0,
                    ActionPrior::Uniform => -n_available.ln(),
                    ActionPrior::PerState(rho) => rho[[s, a]].ln(),
                };
            }
        }
        Self {
            mdp,
            reward,
            log_prior,
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
        self.log_prior[s * self.mdp.n_actions() + a]
    }

    /// Write Q(s, ·) into `q` (length A) and return V(s); terminal states give V = 0 and
    /// Q = −∞ everywhere.
    #[inline]
    pub fn q_and_value(&self, s: usize, next_v: ArrayView1<f64>, q: &mut [f64]) -> f64 {
        let n_actions = q.len();
        if self.mdp.is_terminal(s) {
            q.fill(f64::NEG_INFINITY);
            return 0.0;
        }
        let alpha = self.settings.temperature;
        let mut z_max = f64::NEG_INFINITY;
        for (a, q_a) in q.iter_mut().enumerate() {
            let log_rho = self.log_prior[s * n_actions + a];
            *q_a = if log_rho == f64::NEG_INFINITY {
                f64::NEG_INFINITY
            } else {
                self.reward.get(s, a) + self.continuation(s, a, next_v)
            };
            z_max = z_max.max(*q_a / alpha + log_rho);
        }
        let mut sum = 0.0;
        for (a, q_a) in q.iter().enumerate() {
            let log_rho = self.log_prior[s * n_actions + a];
            if log_rho > f64::NEG_INFINITY {
                sum += (*q_a / alpha + log_rho - z_max).exp();
            }
        }
        alpha * (z_max + sum.ln())
    }

    /// Write π(·|s) into `pi` given Q(s, ·) and V(s).
    ///
    /// π = ρ·exp((Q − V)/α), divided by its sum: when |V| is large (rewards of 10⁴ over
    /// 10³ steps), V carries a rounding error of about |V|·ε shared by every action, and
    /// the division removes it, so each row sums to 1 to rounding and the forward pass
    /// conserves mass.
    #[inline]
    pub fn policy_from_q(&self, s: usize, q: &[f64], v: f64, pi: &mut [f64]) {
        let n_actions = q.len();
        let alpha = self.settings.temperature;
        let mut total = 0.0;
        for (a, p) in pi.iter_mut().enumerate() {
            let log_rho = self.log_prior[s * n_actions + a];
            *p = if log_rho == f64::NEG_INFINITY {
                0.0
            } else {
                ((q[a] - v) / alpha + log_rho).exp()
            };
            total += *p;
        }
        if total > 0.0 {
            pi.iter_mut().for_each(|p| *p /= total);
        }
    }

    /// C(s, a): the look-ahead part of Q(s, a).
    #[inline]
    pub fn continuation(&self, s: usize, a: usize, next_v: ArrayView1<f64>) -> f64 {
        let (next, prob) = self.mdp.transitions().successors(s, a);
        let gamma = self.settings.discount;
        match self.settings.backup {
            Backup::Variational => {
                let mut acc = 0.0;
                for (&sn, &p) in next.iter().zip(prob) {
                    acc += p * next_v[sn as usize];
                }
                gamma * acc
            }
            Backup::Optimistic => {
                let alpha = self.settings.temperature;
                let m = next
                    .iter()
                    .fold(f64::NEG_INFINITY, |m, &sn| m.max(next_v[sn as usize]));
                let mut acc = 0.0;
                for (&sn, &p) in next.iter().zip(prob) {
                    acc += p * ((next_v[sn as usize] - m) / alpha).exp();
                }
                let stay = gamma.ln() + m / alpha + acc.ln();
                alpha * log_add_exp(stay, (1.0 - gamma).ln())
            }
        }
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
