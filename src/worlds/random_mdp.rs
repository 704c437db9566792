//! Random MDPs with sparse dynamics, Gaussian state features and Gaussian true weights.
//!
//! Drawn in this order from one ChaCha8 stream:
//! 1. for each state s and action a (s outer): k successors chosen uniformly without
//!    replacement among the S states, then their probabilities, a draw from the symmetric
//!    Dirichlet(c, …, c) made as g_i / Σ_j g_j with g_i ~ Gamma(c, 1) (c = 1: uniform on
//!    the simplex);
//! 2. the S×K features f_k(s) ~ N(0, 1), row by row;
//! 3. the K true weights θ*_k ~ N(0, 1).
//!
//! Every action is available everywhere, p0 is uniform, there are no terminal states, and
//! the true reward is r*(s) = θ*·f(s).

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, StandardNormal};

use super::{check_feature_table, World};
use crate::error::{Error, Result};
use crate::mdp::{FeatureTable, Features, Mdp, MdpParts, Transitions};

/// Largest number of transitions S·A·k a random MDP may have (2^27).
const MAX_TRANSITIONS: usize = 1 << 27;

/// Smallest Dirichlet concentration: below it Gamma draws underflow to 0.
const MIN_CONCENTRATION: f64 = 0.1;

/// Parameters of [`random_mdp`].
#[derive(Debug, Clone, PartialEq)]
pub struct RandomMdpParams {
    pub n_states: usize,
    pub n_actions: usize,
    /// Successors k of each (s, a), 1 ≤ k ≤ S.
    pub n_successors: usize,
    /// Number of state features K.
    pub n_features: usize,
    /// Dirichlet concentration c of the transition probabilities (≥ 0.1).
    pub concentration: f64,
}

impl Default for RandomMdpParams {
    fn default() -> Self {
        Self {
            n_states: 100,
            n_actions: 4,
            n_successors: 3,
            n_features: 8,
            concentration: 1.0,
        }
    }
}

impl RandomMdpParams {
    /// Check every parameter's range.
    pub fn check(&self) -> Result<()> {
        let positive = |name: &'static str, v: usize| {
            if v == 0 {
                Err(Error::param(name, "must be at least 1"))
            } else {
                Ok(())
            }
        };
        positive("n_states", self.n_states)?;
        positive("n_actions", self.n_actions)?;
        positive("n_features", self.n_features)?;
        if !(1..=self.n_states).contains(&self.n_successors) {
            return Err(Error::param(
                "n_successors",
                format!(
                    "{} is not in 1..={} (n_states)",
                    self.n_successors, self.n_states
                ),
            ));
        }
        let transitions = self
            .n_states
            .checked_mul(self.n_actions)
            .and_then(|rows| rows.checked_mul(self.n_successors));
        if transitions.is_none_or(|t| t > MAX_TRANSITIONS) {
            return Err(Error::param(
                "n_states",
                format!(
                    "{} states × {} actions × {} successors exceed {MAX_TRANSITIONS} transitions",
                    self.n_states, self.n_actions, self.n_successors
                ),
            ));
        }
        if !(self.concentration >= MIN_CONCENTRATION && self.concentration.is_finite()) {
            return Err(Error::param(
                "concentration",
                format!(
                    "{} is not a finite number ≥ {MIN_CONCENTRATION}",
                    self.concentration
                ),
            ));
        }
        check_feature_table("n_features", self.n_states, self.n_features)
    }
}

/// Generate a random MDP reproducibly from `seed`.
///
/// # Example
/// ```
/// use irl::worlds::{random_mdp, RandomMdpParams};
/// let world = random_mdp(&RandomMdpParams::default(), 3).unwrap();
/// assert_eq!(world.mdp.transitions().nnz(), 100 * 4 * 3);
/// ```
pub fn random_mdp(params: &RandomMdpParams, seed: u64) -> Result<World> {
    params.check()?;
    let (n_states, n_actions, k) = (params.n_states, params.n_actions, params.n_successors);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let gamma = Gamma::new(params.concentration, 1.0)
        .map_err(|e| Error::param("concentration", format!("{}: {e}", params.concentration)))?;
    let n = n_states * n_actions * k;
    let (mut s_list, mut a_list) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut next_list, mut p_list) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut weights = vec![0.0; k];
    for s in 0..n_states {
        for a in 0..n_actions {
            let successors = rand::seq::index::sample(&mut rng, n_states, k);
            weights.iter_mut().for_each(|g| *g = gamma.sample(&mut rng));
            let total: f64 = weights.iter().sum();
            for (next, g) in successors.iter().zip(&weights) {
                s_list.push(s);
                a_list.push(a);
                next_list.push(next);
                p_list.push(g / total);
            }
        }
    }
    let transitions =
        Transitions::from_arrays(n_states, n_actions, &s_list, &a_list, &next_list, &p_list)?;
    let values = Array2::from_shape_simple_fn((n_states, params.n_features), || {
        rng.sample::<f64, _>(StandardNormal)
    });
    let names = (0..params.n_features).map(|k| format!("f{k}")).collect();
    let features = Features::new(names, FeatureTable::State(values))?;
    let theta = (0..params.n_features)
        .map(|_| rng.sample::<f64, _>(StandardNormal))
        .collect();
    let mdp = Mdp::new(MdpParts {
        transitions,
        initial: None,
        terminal: vec![],
        features,
        action_names: None,
        grid: None,
    })?;
    Ok(World::linear(mdp, theta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sum_to_one_with_k_distinct_successors() {
        let params = RandomMdpParams {
            n_states: 30,
            n_actions: 3,
            n_successors: 4,
            n_features: 5,
            concentration: 0.5,
        };
        let world = random_mdp(&params, 9).unwrap();
        let t = world.mdp.transitions();
        for s in 0..30 {
            for a in 0..3 {
                let (next, p) = t.successors(s, a);
                assert_eq!(next.len(), 4, "(s={s}, a={a})");
                assert!(
                    next.windows(2).all(|w| w[0] < w[1]),
                    "successors are distinct"
                );
                assert!(p.iter().all(|&q| q > 0.0));
                let total: f64 = p.iter().sum();
                assert!(
                    (total - 1.0).abs() < 1e-12,
                    "(s={s}, a={a}) sums to {total}"
                );
            }
        }
        let theta = world.true_weights.theta();
        let f = world.mdp.features();
        let r7: f64 = (0..5).map(|k| f.get(7, 0, k) * theta[k]).sum();
        assert!((world.true_reward[7] - r7).abs() < 1e-12);
    }

    #[test]
    fn gaussian_draws_have_unit_scale() {
        let params = RandomMdpParams {
            n_states: 2000,
            n_features: 10,
            ..Default::default()
        };
        let world = random_mdp(&params, 1).unwrap();
        let f = world.mdp.features();
        let values: Vec<f64> = (0..2000)
            .flat_map(|s| (0..10).map(move |k| (s, k)))
            .map(|(s, k)| f.get(s, 0, k))
            .collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
        // 20 000 draws: standard error of the mean 0.007, of the variance ≈ 0.01.
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "mean {mean}, var {var}"
        );
    }

    #[test]
    fn same_seed_same_mdp_other_seed_other_mdp() {
        let params = RandomMdpParams::default();
        let a = random_mdp(&params, 4).unwrap();
        assert_eq!(a, random_mdp(&params, 4).unwrap());
        let b = random_mdp(&params, 5).unwrap();
        assert_ne!(a.mdp.transitions(), b.mdp.transitions());
        assert_ne!(a.true_weights, b.true_weights);
    }

    #[test]
    fn bad_parameters_are_named() {
        let bad = |params: RandomMdpParams, name: &str| {
            let e = random_mdp(&params, 0).unwrap_err().to_string();
            assert!(e.contains(&format!("`{name}`")), "{e}");
        };
        let ok = RandomMdpParams::default();
        bad(
            RandomMdpParams {
                n_states: 0,
                ..ok.clone()
            },
            "n_states",
        );
        bad(
            RandomMdpParams {
                n_actions: 0,
                ..ok.clone()
            },
            "n_actions",
        );
        bad(
            RandomMdpParams {
                n_successors: 101,
                ..ok.clone()
            },
            "n_successors",
        );
        bad(
            RandomMdpParams {
                n_features: 0,
                ..ok.clone()
            },
            "n_features",
        );
        bad(
            RandomMdpParams {
                concentration: 0.0,
                ..ok.clone()
            },
            "concentration",
        );
        bad(
            RandomMdpParams {
                n_states: 1 << 20,
                n_actions: 1 << 10,
                ..ok
            },
            "n_states",
        );
    }
}
