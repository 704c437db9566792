//! The demonstrations' negative log-likelihood and its exact gradient.
//!
//! For r = θ·f, the objective is NLL(θ) = −Σ_{demonstrated (t, s, a)} log π_t(a|s), with
//! log π_t(a|s) = (Q_t(s,a) − V_t(s))/α + log ρ(a|s).
//!
//! **Gradient (reverse mode through the soft dynamic program).** Differentiating the
//! backup gives dV_t(s) = Σ_a π_t(a|s) dQ_t(s,a) and dQ_t(s,a) = f(s,a)·dθ +
//! Σ_s' W_t(s'|s,a) dV_{t+1}(s'), with W = γ p (variational) or
//! W = γ p exp((V_{t+1}(s') − C_t(s,a))/α) (optimistic, C = Q − r). Writing
//! c_t(s) and w_t(s,a) for the demonstrated state and pair counts at step t,
//!
//! ```text
//! ν_0 = −c_0,   μ_t(s,a) = w_t(s,a) + ν_t(s) π_t(a|s),
//! ν_{t+1}(s') = −c_{t+1}(s') + Σ_{s,a} μ_t(s,a) W_t(s'|s,a),
//! ∇_θ Σ log π = (1/α) Σ_t Σ_{s,a} μ_t(s,a) f(s,a).
//! ```
//!
//! Only the demonstrated pairs enter: the state a trajectory ends in, when it lists one,
//! is neither counted in c nor scored, so a last action without an observed successor
//! adds exactly −log π_t(a|s) to the NLL and its pair's term to the gradient, whose
//! future is the model's expectation over p(·|s, a) either way.
//!
//! So one forward pass of signed mass, started at the demonstrated states, gives the
//! exact gradient for any demonstration lengths, terminal states, discount and backup:
//! demonstrated minus expected feature counts, where each demonstrated decision is
//! compared with the model's choice at the same state and both carry their expected
//! discounted future. For deterministic dynamics, γ = 1 and demonstrations that span the
//! horizon this is the classic difference of feature counts (Ziebart 2010); otherwise the
//! classic difference is only its expectation over the dynamics.
//! Without a horizon the policy is stationary and the same recursion is summed to its
//! fixed point (a Neumann series that converges because ‖W‖ ≤ γ).
//!
//! With state features only Σ_a μ_t(s, a) = ν_t(s) + Σ_a w_t(s, a) is needed per state,
//! so the S·A totals are kept only for state-action features.
//!
//! Cost: one backward pass plus one forward pass, O(T·(nnz + S·A)).

use std::sync::Arc;

use ndarray::ArrayView1;

use super::demo_steps::DemoSteps;
use crate::error::{Error, Result};
use crate::inference::{
    add_acting, backward_reusing, name_weights, on_pool, Carry, KernelLayout, Propagator,
    SoftProblem, SoftSettings, SoftValues, Totals,
};
use crate::mdp::Mdp;

/// NLL and its gradient at one θ.
#[derive(Debug, Clone, PartialEq)]
pub struct LikelihoodEvaluation {
    /// −Σ log π over all demonstrated actions.
    pub nll: f64,
    /// ∂ NLL / ∂θ.
    pub gradient: Vec<f64>,
    /// Number of demonstrated actions.
    pub n_actions: usize,
    /// The soft values at θ.
    pub values: SoftValues,
}

/// Evaluate the NLL of `steps` and its gradient at `theta`.
///
/// # Example
///
/// State 0 either leaves for the terminal state 1 (action 0) or stays (action 1), with
/// reward θ for every step spent there (one feature, 1 in state 0); hidden lines build
/// this MDP.
/// A demonstration that stays once and then leaves has, by hand,
/// NLL = −ln π_0(stay | 0) − ln π_1(leave | 0) = ln(1 + 2e^θ) − ln(2e^θ) + ln 2; its
/// gradient matches central differences:
///
/// ```
/// use irl::demos::{Demonstrations, Trajectory};
/// use irl::inference::SoftSettings;
/// use irl::learn::{nll_and_gradient, Alignment, DemoSteps};
/// # use irl::mdp::{FeatureTable, Features, Transitions};
/// # use irl::{Mdp, MdpParts};
/// # use ndarray::array;
/// # let transitions = Transitions::from_arrays(2, 2, &[0, 0], &[0, 1], &[1, 0], &[1.0, 1.0])?;
/// # let table = FeatureTable::State(array![[1.0], [0.0]]);
/// # let features = Features::new(vec!["here".into()], table)?;
/// # let parts = MdpParts { transitions, initial: Some(vec![1.0, 0.0]), terminal: vec![1],
/// #     features, action_names: None, grid: None };
/// # let mdp = Mdp::new(parts)?;
/// let stays_then_leaves = Trajectory { id: "a".into(), states: vec![0, 0, 1], actions: vec![1, 0] };
/// let demos = Demonstrations::new(vec![stays_then_leaves]);
/// let settings = SoftSettings::finite(2, 1.0);
/// let steps = DemoSteps::new(&demos, settings.horizon, Alignment::Start)?;
/// let at = |theta: f64| nll_and_gradient(&mdp, &settings, &steps, array![theta].view());
/// let (theta, h) = (-1.0_f64, 1e-6);
/// let e = theta.exp();
/// let by_hand = (1.0 + 2.0 * e).ln() - (2.0 * e).ln() + 2.0_f64.ln();
/// assert!((at(theta)?.nll - by_hand).abs() < 1e-12);
/// let central = (at(theta + h)?.nll - at(theta - h)?.nll) / (2.0 * h);
/// assert!((at(theta)?.gradient[0] - central).abs() < 1e-7);
/// # Ok::<(), irl::Error>(())
/// ```
pub fn nll_and_gradient(
    mdp: &Mdp,
    settings: &SoftSettings,
    steps: &DemoSteps,
    theta: ArrayView1<f64>,
) -> Result<LikelihoodEvaluation> {
    let layout = Arc::new(KernelLayout::new(mdp));
    nll_and_gradient_reusing(mdp, &layout, settings, steps, theta, None)
}

/// [`nll_and_gradient`] for a loop of evaluations: with the kernels' `layout` of the
/// MDP's transitions, built once (see [`SoftProblem::with_layout`]), solving into the
/// memory of `spare`, the values of an earlier evaluation (see [`backward_reusing`]).
///
/// # Panics
/// If `layout` was built from other transitions than `mdp`'s.
pub fn nll_and_gradient_reusing(
    mdp: &Mdp,
    layout: &Arc<KernelLayout>,
    settings: &SoftSettings,
    steps: &DemoSteps,
    theta: ArrayView1<f64>,
    spare: Option<SoftValues>,
) -> Result<LikelihoodEvaluation> {
    steps.check_horizon(settings)?;
    on_pool(settings.parallel, || {
        let reward = mdp.features().reward(theta, mdp.n_actions());
        let problem = SoftProblem::with_layout(mdp, Arc::clone(layout), reward, settings.clone());
        let values = backward_reusing(&problem, spare)
            .map_err(|e| name_weights(e, theta, mdp.features().names()))?;
        let mut adjoint = Adjoint::new(&problem);
        let nll = match settings.horizon {
            Some(horizon) => adjoint.finite(&values, steps, horizon),
            None => adjoint.stationary(&values, steps)?,
        };
        if !nll.is_finite() {
            return Err(Error::Numerical {
                what: "log-likelihood",
                message: "a demonstrated action has probability 0 under the model (is it forbidden by the action prior?)"
                    .into(),
            });
        }
        let scale = -1.0 / settings.temperature;
        let gradient = match &adjoint.pair_total {
            Some(pairs) => mdp.features().weighted_sum(pairs, mdp.n_actions()),
            None => mdp.features().weighted_state_sum(&adjoint.state_total),
        }
        .into_iter()
        .map(|g| g * scale)
        .collect();
        Ok(LikelihoodEvaluation {
            nll,
            gradient,
            n_actions: steps.n_actions(),
            values,
        })
    })
}

/// The signed mass ν of the reverse-mode recursion and the running Σ_t μ_t.
struct Adjoint<'p, 'a> {
    problem: &'p SoftProblem<'a>,
    propagator: Propagator,
    nu: Vec<f64>,
    nu_next: Vec<f64>,
    /// Σ_t Σ_a μ_t(s, a) per state (state features).
    state_total: Vec<f64>,
    /// Σ_t μ_t(s, a) per pair (state-action features).
    pair_total: Option<Vec<f64>>,
    /// Q(s, ·) and log π(·|s) of the demonstrated state at hand.
    q: Vec<f64>,
    log_pi: Vec<f64>,
}

impl<'p, 'a> Adjoint<'p, 'a> {
    fn new(problem: &'p SoftProblem<'a>) -> Self {
        let mdp = problem.mdp();
        let (n_states, n_actions) = (mdp.n_states(), mdp.n_actions());
        Self {
            problem,
            propagator: Propagator::new(problem),
            nu: vec![0.0; n_states],
            nu_next: vec![0.0; n_states],
            state_total: vec![0.0; n_states],
            pair_total: mdp
                .features()
                .is_per_action()
                .then(|| vec![0.0; n_states * n_actions]),
            q: vec![0.0; n_actions],
            log_pi: vec![0.0; n_actions],
        }
    }

    /// ν −= c_t at the demonstrated states, then the demonstrated pairs' NLL; their counts
    /// w_t join the totals.
    fn inject(&mut self, next_v: ArrayView1<f64>, pairs: &[(usize, usize, f64)]) -> f64 {
        for &(s, _, count) in pairs {
            self.nu[s] -= count;
        }
        let n_actions = self.q.len();
        let mut nll = 0.0;
        for &(s, a, count) in pairs {
            self.problem.q_values(s, next_v, &mut self.q);
            self.problem.log_policy_from_q(s, &self.q, &mut self.log_pi);
            nll -= count * self.log_pi[a];
            self.state_total[s] += count;
            if let Some(total) = self.pair_total.as_mut() {
                total[s * n_actions + a] += count;
            }
        }
        nll
    }

    /// μ = νπ + w into the totals, and ν' = Σ μ W into `nu_next`.
    fn advance(&mut self, next_v: ArrayView1<f64>, pairs: &[(usize, usize, f64)]) {
        let problem = self.problem;
        let next_v = next_v.as_slice().expect("contiguous values");
        let totals = Totals {
            acting: Some(&mut self.state_total),
            pairs: self.pair_total.as_deref_mut(),
            weight: 1.0,
        };
        self.propagator.step(
            problem,
            next_v,
            &self.nu,
            Carry::Adjoint,
            false,
            &mut self.nu_next,
            totals,
        );
        for &(s, a, count) in pairs {
            self.propagator
                .carry_pair(problem, next_v, (s, a), count, &mut self.nu_next);
        }
        std::mem::swap(&mut self.nu, &mut self.nu_next);
    }

    fn finite(&mut self, values: &SoftValues, steps: &DemoSteps, horizon: usize) -> f64 {
        let mut nll = 0.0;
        for t in 0..horizon {
            let pairs = steps.at(t);
            nll += self.inject(values.next(t), pairs);
            if t + 1 < horizon || self.pair_total.is_some() {
                self.advance(values.next(t), pairs);
            } else {
                // Last step: ν_T is not needed, only Σ_a μ_{T−1}(s, a) = ν(s) for acting s.
                let terminal = self.problem.mdp().terminal_mask();
                add_acting(&mut self.state_total, &self.nu, 1.0, terminal);
            }
        }
        nll
    }

    fn stationary(&mut self, values: &SoftValues, steps: &DemoSteps) -> Result<f64> {
        let settings = self.problem.settings();
        let terminal = self.problem.mdp().terminal_mask();
        let acting_mass = |nu: &[f64]| -> f64 {
            nu.iter()
                .zip(terminal)
                .filter(|(_, &end)| !end)
                .map(|(x, _)| x.abs())
                .sum()
        };
        let pairs = steps.at(0);
        let nll = self.inject(values.next(0), pairs);
        let initial_mass =
            (acting_mass(&self.nu) + pairs.iter().map(|p| p.2).sum::<f64>()).max(f64::MIN_POSITIVE);
        self.advance(values.next(0), pairs);
        for _ in 0..settings.max_iterations {
            let mass = acting_mass(&self.nu);
            if mass <= settings.tolerance * initial_mass {
                return Ok(nll);
            }
            self.advance(values.next(0), &[]);
        }
        Err(Error::NotConverged {
            what: "stationary likelihood gradient",
            iterations: settings.max_iterations,
            last_change: acting_mass(&self.nu) / initial_mass,
            tolerance: settings.tolerance,
            hint: settings.divergence_hint(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::{ActionPrior, Backup};
    use crate::learn::Alignment;
    use crate::test_support::{random_demos, random_mdp};
    use ndarray::Array1;

    /// Relative error between the analytic gradient and central differences.
    fn gradient_error(
        mdp: &Mdp,
        settings: &SoftSettings,
        steps: &DemoSteps,
        theta: &Array1<f64>,
    ) -> f64 {
        let analytic = nll_and_gradient(mdp, settings, steps, theta.view())
            .unwrap()
            .gradient;
        let h = 1e-5;
        let mut worst: f64 = 0.0;
        for k in 0..theta.len() {
            let (mut plus, mut minus) = (theta.clone(), theta.clone());
            plus[k] += h;
            minus[k] -= h;
            let f = |x: &Array1<f64>| {
                nll_and_gradient(mdp, settings, steps, x.view())
                    .unwrap()
                    .nll
            };
            let numeric = (f(&plus) - f(&minus)) / (2.0 * h);
            let scale = numeric.abs().max(analytic[k].abs()).max(1e-3);
            worst = worst.max((numeric - analytic[k]).abs() / scale);
        }
        worst
    }

    #[test]
    fn gradient_matches_finite_differences_in_every_setting() {
        let lengths = [5, 3, 1, 4, 5, 2];
        for (case, backup) in [Backup::Variational, Backup::Optimistic]
            .into_iter()
            .enumerate()
        {
            for per_action in [false, true] {
                for terminal in [vec![], vec![3]] {
                    let mdp = random_mdp(7 + case as u64, 6, 3, 3, 4, per_action, &terminal);
                    let demos = random_demos(&mdp, 11, &lengths);
                    let theta = Array1::from(vec![0.7, -1.2, 0.4, 1.5]);
                    let finite = [
                        (5, 0.9, Alignment::Start, 1.0),
                        (5, 1.0, Alignment::OwnHorizon, 0.5),
                        (7, 0.95, Alignment::Start, 2.0),
                    ];
                    for (horizon, discount, alignment, temperature) in finite {
                        let settings = SoftSettings {
                            backup,
                            temperature,
                            ..SoftSettings::finite(horizon, discount)
                        };
                        let steps = DemoSteps::new(&demos, Some(horizon), alignment).unwrap();
                        let err = gradient_error(&mdp, &settings, &steps, &theta);
                        assert!(err < 1e-5, "{backup:?} per_action={per_action} terminal={terminal:?} T={horizon} γ={discount}: {err}");
                    }
                    // The optimistic fixed point exists only while γ·Σ_a ρ exp(r) < 1 can hold:
                    // a uniform prior and small rewards keep it finite.
                    let (settings, theta) = match backup {
                        Backup::Variational => (SoftSettings::infinite(0.8), theta),
                        Backup::Optimistic => (
                            SoftSettings {
                                backup,
                                action_prior: ActionPrior::Uniform,
                                ..SoftSettings::infinite(0.5)
                            },
                            theta * 0.2,
                        ),
                    };
                    let steps = DemoSteps::new(&demos, None, Alignment::Start).unwrap();
                    let err = gradient_error(&mdp, &settings, &steps, &theta);
                    assert!(
                        err < 1e-5,
                        "{backup:?} stationary per_action={per_action}: {err}"
                    );
                }
            }
        }
    }
}
