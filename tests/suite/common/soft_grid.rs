//! A deterministic 8-connected grid world with state features, and the soft dynamic
//! program of a walker heading for one goal, computed here straight from docs/FORMATS.md
//! without the library, as the independent truth for goal-conditioned tests.
//!
//! State s = y·width + x. Actions, in the order the grid MDPs of `irl::tracks` use:
//! east, west, north, south, northeast, northwest, southeast, southwest (north is +y);
//! a move off the grid is unavailable. r(s) = θ·f(s); α = 1, action prior `none`.
//! With `goal` terminal (V = 0, no actions):
//!
//!     V_T(s) = 0,  Q_t(s,a) = r(s) + γ V_{t+1}(s'),  V_t(s) = log Σ_a exp Q_t(s,a),
//!     log π_t(a|s) = Q_t(s,a) − V_t(s).
//!
//! The forecast moves mass D_0 = e_start forward under π_t; mass at the goal stays there.
//! visits(s) = Σ_{t=0}^{N} D_t(s) off the goal, and visits(goal) = D_N(goal) = the
//! probability of having arrived.

use irl::mdp::{FeatureTable, Features, Grid, GridGeometry};
use irl::tracks::{grid_mdp, Connectivity, GridMoves};
use irl::Mdp;
use ndarray::Array2;

/// Unit moves (dx, dy) in action order.
pub const MOVES: [(i64, i64); 8] = [
    (1, 0),
    (-1, 0),
    (0, 1),
    (0, -1),
    (1, 1),
    (-1, 1),
    (1, -1),
    (-1, -1),
];

/// A grid world: `features[s]` is f(s).
#[derive(Debug, Clone)]
pub struct SoftGrid {
    pub width: usize,
    pub height: usize,
    pub names: Vec<String>,
    pub features: Vec<Vec<f64>>,
}

impl SoftGrid {
    /// A grid whose features are `feature(x, y)` for every cell.
    pub fn new(
        width: usize,
        height: usize,
        names: &[&str],
        feature: impl Fn(usize, usize) -> Vec<f64>,
    ) -> Self {
        let features = (0..width * height)
            .map(|s| feature(s % width, s / width))
            .collect::<Vec<_>>();
        assert!(features.iter().all(|f| f.len() == names.len()));
        Self {
            width,
            height,
            names: names.iter().map(|n| n.to_string()).collect(),
            features,
        }
    }

    pub fn n_states(&self) -> usize {
        self.width * self.height
    }

    pub fn state(&self, x: usize, y: usize) -> usize {
        y * self.width + x
    }

    /// The cell a move leads to, or `None` off the grid.
    pub fn successor(&self, s: usize, a: usize) -> Option<usize> {
        let (x, y) = ((s % self.width) as i64, (s / self.width) as i64);
        let (dx, dy) = MOVES[a];
        let (nx, ny) = (x + dx, y + dy);
        ((0..self.width as i64).contains(&nx) && (0..self.height as i64).contains(&ny))
            .then(|| (ny * self.width as i64 + nx) as usize)
    }

    /// r(s) = θ·f(s).
    pub fn reward(&self, theta: &[f64], s: usize) -> f64 {
        self.features[s].iter().zip(theta).map(|(f, w)| f * w).sum()
    }

    /// The same world as a library MDP (no terminal states, p0 uniform).
    pub fn mdp(&self, geometry: Option<GridGeometry>) -> Mdp {
        let values = Array2::from_shape_fn((self.n_states(), self.names.len()), |(s, k)| {
            self.features[s][k]
        });
        let features =
            Features::new(self.names.clone(), FeatureTable::State(values)).expect("features");
        let grid = Grid {
            width: self.width,
            height: self.height,
            geometry,
            lattice: None,
        };
        grid_mdp(
            grid,
            &GridMoves::new(Connectivity::Eight, false),
            features,
            None,
        )
        .expect("a valid grid MDP")
    }

    /// Q(s, ·) for the next values `next` (−∞ for unavailable moves).
    fn q(&self, theta: &[f64], next: &[f64], discount: f64, s: usize) -> [f64; 8] {
        let r = self.reward(theta, s);
        let mut q = [f64::NEG_INFINITY; 8];
        for (a, qa) in q.iter_mut().enumerate() {
            if let Some(s2) = self.successor(s, a) {
                *qa = r + discount * next[s2];
            }
        }
        q
    }

    /// V_t for t = 0..=horizon (row t), the goal terminal.
    pub fn values(&self, theta: &[f64], goal: usize, horizon: usize) -> Vec<Vec<f64>> {
        let n = self.n_states();
        let mut rows = vec![vec![0.0; n]; horizon + 1];
        for t in (0..horizon).rev() {
            for s in 0..n {
                if s != goal {
                    rows[t][s] = log_sum_exp(&self.q(theta, &rows[t + 1], 1.0, s));
                }
            }
        }
        rows
    }

    /// The stationary V of the discounted infinite-horizon problem, by iterating the
    /// backup until it stops changing.
    pub fn stationary_values(&self, theta: &[f64], goal: usize, discount: f64) -> Vec<f64> {
        let n = self.n_states();
        let mut v = vec![0.0; n];
        loop {
            let next: Vec<f64> = (0..n)
                .map(|s| {
                    if s == goal {
                        0.0
                    } else {
                        log_sum_exp(&self.q(theta, &v, discount, s))
                    }
                })
                .collect();
            let change = next
                .iter()
                .zip(&v)
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            v = next;
            if change < 1e-14 {
                return v;
            }
        }
    }

    /// log π(a|s) given the next step's values.
    pub fn log_policy(
        &self,
        theta: &[f64],
        next: &[f64],
        discount: f64,
        s: usize,
        a: usize,
    ) -> f64 {
        let q = self.q(theta, next, discount, s);
        q[a] - log_sum_exp(&q)
    }

    /// Forecast from `start` towards `goal` over `steps` steps of the `horizon`-step
    /// problem: (visits, arrived, expected number of moves).
    pub fn forecast(
        &self,
        theta: &[f64],
        goal: usize,
        horizon: usize,
        start: usize,
        steps: usize,
    ) -> (Vec<f64>, f64, f64) {
        let values = self.values(theta, goal, horizon);
        let n = self.n_states();
        let mut d = vec![0.0; n];
        d[start] = 1.0;
        let mut visits = d.clone();
        let mut moves = 0.0;
        for row in values.iter().take(steps + 1).skip(1) {
            let mut next = vec![0.0; n];
            next[goal] = d[goal];
            for s in (0..n).filter(|&s| s != goal && d[s] > 0.0) {
                moves += d[s];
                for a in 0..8 {
                    if let Some(s2) = self.successor(s, a) {
                        next[s2] += d[s] * self.log_policy(theta, row, 1.0, s, a).exp();
                    }
                }
            }
            d = next;
            for s in (0..n).filter(|&s| s != goal) {
                visits[s] += d[s];
            }
        }
        visits[goal] = d[goal];
        (visits, d[goal], moves)
    }
}

/// log Σ exp, ignoring −∞ entries.
pub fn log_sum_exp(q: &[f64]) -> f64 {
    let m = q.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + q.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}
