//! Reward features f(s, a) and the linear reward r(s, a) = θ·f(s, a).
//!
//! Three kinds, as in `irl-mdp/1`: state features f(s) (the same for every action),
//! state-action features f(s, a), and one-hot state features (K = S, a free reward per
//! state, stored implicitly).

use ndarray::{Array2, Array3, ArrayView1, ArrayView2};

use crate::error::{Error, Result};

/// The feature table of an MDP.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureTable {
    /// f(s): S rows of K values.
    State(Array2<f64>),
    /// f(s, a): S × A × K values.
    StateAction(Array3<f64>),
    /// f(s) = e_s: K = S, never stored.
    OneHot { n_states: usize },
}

/// Named features.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    names: Vec<String>,
    table: FeatureTable,
}

/// A reward r(s, a), stored per state when it does not depend on the action.
#[derive(Debug, Clone, PartialEq)]
pub struct Reward {
    values: Vec<f64>,
    n_actions: usize,
    per_action: bool,
}

impl Reward {
    /// A reward r(s) shared by every action.
    pub fn per_state(values: Vec<f64>, n_actions: usize) -> Self {
        Self {
            values,
            n_actions,
            per_action: false,
        }
    }

    /// A reward r(s, a) stored as S·A values, row `s·A + a`.
    pub fn per_state_action(values: Vec<f64>, n_actions: usize) -> Self {
        Self {
            values,
            n_actions,
            per_action: true,
        }
    }

    /// r(s, a).
    #[inline]
    pub fn get(&self, s: usize, a: usize) -> f64 {
        if self.per_action {
            self.values[s * self.n_actions + a]
        } else {
            self.values[s]
        }
    }

    /// Whether the reward depends on the action.
    pub fn is_per_action(&self) -> bool {
        self.per_action
    }

    /// The stored values (S, or S·A when per action).
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Largest |r|.
    pub fn max_abs(&self) -> f64 {
        self.values.iter().fold(0.0, |m, v| m.max(v.abs()))
    }
}

impl Features {
    /// Features with names; checks that the names match the table's width and that all
    /// values are finite.
    pub fn new(names: Vec<String>, table: FeatureTable) -> Result<Self> {
        let k = table.dim();
        if names.len() != k {
            return Err(Error::mdp(
                "features.names",
                format!("has {} names for {k} features", names.len()),
            ));
        }
        let values: Box<dyn Iterator<Item = (usize, &f64)>> = match &table {
            FeatureTable::State(v) => Box::new(v.iter().enumerate()),
            FeatureTable::StateAction(v) => Box::new(v.iter().enumerate()),
            FeatureTable::OneHot { .. } => Box::new(std::iter::empty()),
        };
        for (i, v) in values {
            if !v.is_finite() {
                let place = match &table {
                    FeatureTable::State(_) => format!("features.values[{}][{}]", i / k, i % k),
                    _ => {
                        let a = table.n_actions();
                        format!(
                            "features.values[{}][{}][{}]",
                            i / (a * k),
                            (i / k) % a,
                            i % k
                        )
                    }
                };
                return Err(Error::mdp(place, format!("{v} is not a finite number")));
            }
        }
        Ok(Self { names, table })
    }

    /// One-hot state features named `s0`, `s1`, ….
    pub fn one_hot(n_states: usize) -> Self {
        Self {
            names: (0..n_states).map(|s| format!("s{s}")).collect(),
            table: FeatureTable::OneHot { n_states },
        }
    }

    /// Number of features K.
    pub fn dim(&self) -> usize {
        self.table.dim()
    }

    /// Feature names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The table.
    pub fn table(&self) -> &FeatureTable {
        &self.table
    }

    /// Whether features depend on the action.
    pub fn is_per_action(&self) -> bool {
        matches!(self.table, FeatureTable::StateAction(_))
    }

    /// Feature value f_k(s, a).
    #[inline]
    pub fn get(&self, s: usize, a: usize, k: usize) -> f64 {
        match &self.table {
            FeatureTable::State(v) => v[[s, k]],
            FeatureTable::StateAction(v) => v[[s, a, k]],
            FeatureTable::OneHot { .. } => f64::from(u8::from(s == k)),
        }
    }

    /// The linear reward r(s, a) = θ·f(s, a).
    pub fn reward(&self, theta: ArrayView1<f64>, n_actions: usize) -> Reward {
        assert_eq!(theta.len(), self.dim(), "θ has the wrong length");
        match &self.table {
            FeatureTable::State(v) => Reward::per_state(rows_times(v.view(), theta), n_actions),
            FeatureTable::StateAction(v) => {
                let (s, a, k) = v.dim();
                let flat = v
                    .view()
                    .into_shape_with_order((s * a, k))
                    .expect("contiguous");
                Reward::per_state_action(rows_times(flat, theta), n_actions)
            }
            FeatureTable::OneHot { .. } => Reward::per_state(theta.to_vec(), n_actions),
        }
    }

    /// Σ_{s,a} w(s, a) f(s, a), with `weights` laid out as rows `s·A + a`.
    pub fn weighted_sum(&self, weights: &[f64], n_actions: usize) -> Vec<f64> {
        let n_states = weights.len() / n_actions;
        match &self.table {
            FeatureTable::StateAction(v) => {
                let k = v.dim().2;
                let flat = v
                    .view()
                    .into_shape_with_order((n_states * n_actions, k))
                    .expect("contiguous");
                weighted_rows(flat, weights)
            }
            _ => {
                let per_state: Vec<f64> = weights
                    .chunks_exact(n_actions)
                    .map(|row| row.iter().sum())
                    .collect();
                self.weighted_state_sum(&per_state)
            }
        }
    }

    /// Σ_s w(s) f(s) for features that do not depend on the action.
    pub fn weighted_state_sum(&self, weights: &[f64]) -> Vec<f64> {
        match &self.table {
            FeatureTable::State(v) => weighted_rows(v.view(), weights),
            FeatureTable::OneHot { .. } => weights.to_vec(),
            FeatureTable::StateAction(_) => {
                panic!("state-action features need state-action weights")
            }
        }
    }
}

/// M·x, one dot product per row. Plain loops rather than BLAS: the products are small
/// and are called from many threads at once, where a threaded BLAS would spin.
fn rows_times(m: ArrayView2<f64>, x: ArrayView1<f64>) -> Vec<f64> {
    m.outer_iter()
        .map(|row| row.iter().zip(x.iter()).map(|(a, b)| a * b).sum())
        .collect()
}

/// Mᵀ·w = Σ_i w_i M_i, skipping rows of weight 0.
fn weighted_rows(m: ArrayView2<f64>, w: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; m.ncols()];
    for (row, &wi) in m.outer_iter().zip(w) {
        if wi != 0.0 {
            out.iter_mut()
                .zip(row.iter())
                .for_each(|(o, f)| *o += wi * f);
        }
    }
    out
}

impl FeatureTable {
    /// Number of features K.
    pub fn dim(&self) -> usize {
        match self {
            FeatureTable::State(v) => v.ncols(),
            FeatureTable::StateAction(v) => v.dim().2,
            FeatureTable::OneHot { n_states } => *n_states,
        }
    }

    /// Number of states the table covers.
    pub fn n_states(&self) -> usize {
        match self {
            FeatureTable::State(v) => v.nrows(),
            FeatureTable::StateAction(v) => v.dim().0,
            FeatureTable::OneHot { n_states } => *n_states,
        }
    }

    fn n_actions(&self) -> usize {
        match self {
            FeatureTable::StateAction(v) => v.dim().1,
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn reward_and_weighted_sum_agree_with_hand_values() {
        let f = Features::new(
            vec!["x".into(), "y".into()],
            FeatureTable::State(array![[1.0, 0.0], [0.5, 2.0]]),
        )
        .unwrap();
        let r = f.reward(array![2.0, -1.0].view(), 3);
        assert_eq!((r.get(0, 2), r.get(1, 0)), (2.0, -1.0));
        // weights: state 0 total 0.5, state 1 total 1.5
        let sum = f.weighted_sum(&[0.25, 0.25, 0.0, 1.0, 0.5, 0.0], 3);
        assert_eq!(sum, vec![0.5 + 0.75, 3.0]);
        let sa = Features::new(
            vec!["u".into()],
            FeatureTable::StateAction(array![[[1.0], [2.0]], [[3.0], [4.0]]]),
        )
        .unwrap();
        assert_eq!(sa.reward(array![0.5].view(), 2).get(1, 1), 2.0);
        assert_eq!(sa.weighted_sum(&[1.0, 0.0, 0.0, 2.0], 2), vec![9.0]);
        assert_eq!(
            Features::one_hot(2).weighted_sum(&[1.0, 2.0, 3.0, 4.0], 2),
            vec![3.0, 7.0]
        );
    }

    #[test]
    fn non_finite_values_are_named() {
        let e = Features::new(
            vec!["x".into()],
            FeatureTable::State(array![[1.0], [f64::NAN]]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("features.values[1][0]"), "{e}");
    }
}
