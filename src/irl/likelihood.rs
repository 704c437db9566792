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
//! Cost: one backward pass plus one forward pass, O(T·(nnz + S·A)).

use ndarray::ArrayView1;

use super::demo_steps::DemoSteps;
use crate::error::{Error, Result};
use crate::inference::{
    backward, for_each_state_chunk, gather, policy_flow, Backup, SoftProblem, SoftSettings,
    SoftValues,
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
pub fn nll_and_gradient(
    mdp: &Mdp,
    settings: &SoftSettings,
    steps: &DemoSteps,
    theta: ArrayView1<f64>,
) -> Result<LikelihoodEvaluation> {
    let reward = mdp.features().reward(theta, mdp.n_actions());
    let problem = SoftProblem::new(mdp, reward, settings.clone());
    let values = backward(&problem)?;
    let (nll, mu_total) = match settings.horizon {
        Some(horizon) => adjoint_finite(&problem, &values, steps, horizon),
        None => adjoint_stationary(&problem, &values, steps)?,
    };
    if !nll.is_finite() {
        return Err(Error::Numerical {
            what: "log-likelihood",
            message: "a demonstrated action has probability 0 under the model (is it forbidden by the action prior?)"
                .into(),
        });
    }
    let scale = -1.0 / settings.temperature;
    let gradient = mdp
        .features()
        .weighted_sum(&mu_total, mdp.n_actions())
        .into_iter()
        .map(|g| g * scale)
        .collect();
    Ok(LikelihoodEvaluation {
        nll,
        gradient,
        n_actions: steps.n_actions(),
        values,
    })
}

/// Sources at one step: ν −= c (already in `nu`), μ = ν π + w; returns the step's NLL.
fn inject(
    problem: &SoftProblem,
    next_v: ArrayView1<f64>,
    pairs: &[(usize, usize, f64)],
    nu: &[f64],
    mu: &mut [f64],
    q: &mut [f64],
) -> f64 {
    policy_flow(problem, next_v, nu, mu);
    let n_actions = q.len();
    let alpha = problem.settings().temperature;
    let mut nll = 0.0;
    for &(s, a, count) in pairs {
        let v = problem.q_and_value(s, next_v, q);
        let log_pi = (q[a] - v) / alpha + problem.log_prior_at(s, a);
        nll -= count * log_pi;
        mu[s * n_actions + a] += count;
    }
    nll
}

fn subtract_state_counts(nu: &mut [f64], pairs: &[(usize, usize, f64)]) {
    for &(s, _, count) in pairs {
        nu[s] -= count;
    }
}

fn adjoint_finite(
    problem: &SoftProblem,
    values: &SoftValues,
    steps: &DemoSteps,
    horizon: usize,
) -> (f64, Vec<f64>) {
    let mdp = problem.mdp();
    let (n_states, n_actions) = (mdp.n_states(), mdp.n_actions());
    let mut nu = vec![0.0; n_states];
    let mut nu_next = vec![0.0; n_states];
    let mut mu = vec![0.0; n_states * n_actions];
    let mut total = vec![0.0; n_states * n_actions];
    let mut q = vec![0.0; n_actions];
    let mut nll = 0.0;
    for t in 0..horizon {
        let pairs = steps.at(t);
        subtract_state_counts(&mut nu, pairs);
        nll += inject(problem, values.next(t), pairs, &nu, &mut mu, &mut q);
        total.iter_mut().zip(&mu).for_each(|(x, m)| *x += m);
        if t + 1 < horizon {
            propagate(problem, values.next(t), &mu, &mut nu_next);
            std::mem::swap(&mut nu, &mut nu_next);
        }
    }
    (nll, total)
}

fn adjoint_stationary(
    problem: &SoftProblem,
    values: &SoftValues,
    steps: &DemoSteps,
) -> Result<(f64, Vec<f64>)> {
    let mdp = problem.mdp();
    let (n_states, n_actions) = (mdp.n_states(), mdp.n_actions());
    let settings = problem.settings();
    let pairs = steps.at(0);
    let mut nu = vec![0.0; n_states];
    let mut nu_next = vec![0.0; n_states];
    let mut mu = vec![0.0; n_states * n_actions];
    let mut q = vec![0.0; n_actions];
    subtract_state_counts(&mut nu, pairs);
    let nll = inject(problem, values.next(0), pairs, &nu, &mut mu, &mut q);
    let mut total = mu.clone();
    let initial_mass: f64 = mu
        .iter()
        .map(|m| m.abs())
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    for _ in 0..settings.max_iterations {
        propagate(problem, values.next(0), &mu, &mut nu_next);
        std::mem::swap(&mut nu, &mut nu_next);
        policy_flow(problem, values.next(0), &nu, &mut mu);
        total.iter_mut().zip(&mu).for_each(|(x, m)| *x += m);
        let mass: f64 = mu.iter().map(|m| m.abs()).sum();
        if mass <= settings.tolerance * initial_mass {
            return Ok((nll, total));
        }
    }
    Err(Error::NotConverged {
        what: "stationary likelihood gradient",
        iterations: settings.max_iterations,
        last_change: mu.iter().map(|m| m.abs()).sum::<f64>() / initial_mass,
        tolerance: settings.tolerance,
        hint: settings.divergence_hint(),
    })
}

/// ν'(s') = Σ_{s,a} μ(s,a) W(s'|s,a) for the problem's backup.
fn propagate(problem: &SoftProblem, next_v: ArrayView1<f64>, mu: &[f64], nu_next: &mut [f64]) {
    let mdp = problem.mdp();
    let settings = problem.settings();
    let gamma = settings.discount;
    match settings.backup {
        Backup::Variational => {
            gather(mdp, mu, &[], nu_next, false, settings.parallel);
            nu_next.iter_mut().for_each(|x| *x *= gamma);
        }
        Backup::Optimistic => {
            let n_actions = mdp.n_actions();
            let alpha = settings.temperature;
            let mut cont = vec![0.0; mu.len()];
            for_each_state_chunk(
                settings.parallel,
                &mut cont,
                n_actions,
                0,
                |first, rows, _| {
                    for (i, row) in rows.chunks_exact_mut(n_actions).enumerate() {
                        let s = first + i;
                        for (a, c) in row.iter_mut().enumerate() {
                            if mu[s * n_actions + a] != 0.0 {
                                *c = problem.continuation(s, a, next_v);
                            }
                        }
                    }
                },
            );
            let transitions = mdp.transitions();
            for_each_state_chunk(settings.parallel, nu_next, 1, 0, |first, out, _| {
                for (i, x) in out.iter_mut().enumerate() {
                    let s_next = first + i;
                    let (rows, probs) = transitions.predecessors(s_next);
                    let mut acc = 0.0;
                    for (&row, &p) in rows.iter().zip(probs) {
                        let m = mu[row as usize];
                        if m != 0.0 {
                            acc += m * p * ((next_v[s_next] - cont[row as usize]) / alpha).exp();
                        }
                    }
                    *x = gamma * acc;
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::ActionPrior;
    use crate::irl::Alignment;
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
