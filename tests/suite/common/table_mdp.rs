//! Small random MDPs for the integration tests, kept as plain dense tables.
//!
//! A [`TableMdp`] holds p(s'|s,a) as successor lists, p0, the terminal set, features
//! f(s, a) and weights θ, so a test can compute what it expects (r = θ·f, the prior ρ,
//! enumerated trajectories, one step of the backup) straight from the definitions in
//! docs/FORMATS.md without going through the library; [`TableMdp::build`] turns the same
//! table into an [`irl::Mdp`] for the code under test.
//!
//! Every test binary compiles this module and uses only part of it.

use irl::inference::ActionPrior;
use irl::mdp::{FeatureTable, Features, Transitions};
use irl::{Mdp, MdpParts};
use ndarray::{Array2, Array3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A tabular MDP with dense, directly readable fields.
#[derive(Debug, Clone)]
pub struct TableMdp {
    pub n_states: usize,
    pub n_actions: usize,
    /// `successors[s][a]`: the (s', p) pairs of (s, a); empty when a is unavailable in s.
    /// Rows of terminal states may be listed; FORMATS says they are ignored.
    pub successors: Vec<Vec<Vec<(usize, f64)>>>,
    /// p0, as the library will see it.
    pub initial: Vec<f64>,
    /// Whether p0 is written into the MDP (otherwise the library's default, uniform over
    /// non-terminal states, is used; `initial` then holds that default).
    pub explicit_initial: bool,
    pub terminal: Vec<bool>,
    /// f(s, a) as `[s][a][k]`.
    pub features: Vec<Vec<Vec<f64>>>,
    /// Whether f depends on the state only (written as `"kind": "state"`).
    pub state_features: bool,
    pub theta: Vec<f64>,
}

/// What a random [`TableMdp`] may contain.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub n_states: usize,
    pub n_actions: usize,
    /// Each (s, a) moves to between 1 and this many distinct successors.
    pub max_successors: usize,
    /// Make the last state terminal (when there are at least two states).
    pub terminal: bool,
    /// Let actions be unavailable in states other than 0 (each state keeps one).
    pub unavailable: bool,
    /// Give every non-terminal row probability of reaching the terminal state, so that
    /// every policy ends there (needs `terminal`).
    pub leak_to_terminal: bool,
}

impl Shape {
    /// A shape with `n_states` states, `n_actions` actions, up to three successors, and
    /// neither terminal states nor unavailable actions.
    pub fn plain(n_states: usize, n_actions: usize) -> Self {
        Self {
            n_states,
            n_actions,
            max_successors: 3,
            terminal: false,
            unavailable: false,
            leak_to_terminal: false,
        }
    }
}

impl TableMdp {
    /// A random MDP of the given shape, reproducible from `seed`.
    ///
    /// State 0 is never terminal, has every action available and p0(0) > 0. Features are
    /// f = (1, u, v) with u, v uniform in [−1, 1] (per state or per state-action), and
    /// θ is uniform in [−1, 1]³, so |r| ≤ 3.
    pub fn random(shape: Shape, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (n_states, n_actions) = (shape.n_states, shape.n_actions);
        let mut terminal = vec![false; n_states];
        let terminal_state = (shape.terminal && n_states >= 2).then_some(n_states - 1);
        if let Some(t) = terminal_state {
            terminal[t] = true;
        }
        let mut successors = vec![vec![Vec::new(); n_actions]; n_states];
        for (s, row) in successors.iter_mut().enumerate() {
            if terminal[s] && rng.random_bool(0.5) {
                continue;
            }
            let kept = rng.random_range(0..n_actions);
            for (a, entry) in row.iter_mut().enumerate() {
                let drop = shape.unavailable && s != 0 && a != kept && rng.random_bool(0.4);
                if !drop {
                    let leak = terminal_state.filter(|_| shape.leak_to_terminal && !terminal[s]);
                    *entry = random_successors(&mut rng, n_states, shape.max_successors, leak);
                }
            }
        }
        let explicit_initial = rng.random_bool(0.5);
        let initial = if explicit_initial {
            let mut p0: Vec<f64> = (0..n_states)
                .map(|s| {
                    if s == 0 || rng.random_bool(0.7) {
                        rng.random_range(0.1..1.0)
                    } else {
                        0.0
                    }
                })
                .collect();
            normalise(&mut p0);
            p0
        } else {
            let n = terminal.iter().filter(|t| !**t).count() as f64;
            terminal
                .iter()
                .map(|&t| if t { 0.0 } else { 1.0 / n })
                .collect()
        };
        let state_features = rng.random_bool(0.5);
        let mut features = vec![vec![Vec::new(); n_actions]; n_states];
        for row in features.iter_mut() {
            let per_state = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
            for f in row.iter_mut() {
                let [u, v] = if state_features {
                    per_state
                } else {
                    [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)]
                };
                *f = vec![1.0, u, v];
            }
        }
        let theta = (0..3).map(|_| rng.random_range(-1.0..1.0)).collect();
        Self {
            n_states,
            n_actions,
            successors,
            initial,
            explicit_initial,
            terminal,
            features,
            state_features,
            theta,
        }
    }

    /// Whether action `a` can be taken in `s` (never in a terminal state).
    pub fn available(&self, s: usize, a: usize) -> bool {
        !self.terminal[s] && !self.successors[s][a].is_empty()
    }

    /// Actions available in `s`.
    pub fn actions(&self, s: usize) -> Vec<usize> {
        (0..self.n_actions)
            .filter(|&a| self.available(s, a))
            .collect()
    }

    /// r(s, a) = θ·f(s, a).
    pub fn reward(&self, s: usize, a: usize) -> f64 {
        self.features[s][a]
            .iter()
            .zip(&self.theta)
            .map(|(f, w)| f * w)
            .sum()
    }

    /// ρ(a|s) for the `none` and `uniform` priors (0 where a is unavailable).
    pub fn prior(&self, prior: &ActionPrior, s: usize, a: usize) -> f64 {
        if !self.available(s, a) {
            return 0.0;
        }
        match prior {
            ActionPrior::None => 1.0,
            ActionPrior::Uniform => 1.0 / self.actions(s).len() as f64,
            ActionPrior::PerState(rho) => rho[[s, a]],
        }
    }

    /// Multiply every weight (and so every reward) by `factor`.
    pub fn scale_rewards(&mut self, factor: f64) {
        self.theta.iter_mut().for_each(|w| *w *= factor);
    }

    /// Shift the bias weight θ_0 so that the largest reward equals `max`.
    pub fn cap_rewards(&mut self, max: f64) {
        let largest = (0..self.n_states)
            .flat_map(|s| (0..self.n_actions).map(move |a| (s, a)))
            .map(|(s, a)| self.reward(s, a))
            .fold(f64::NEG_INFINITY, f64::max);
        self.theta[0] += max - largest;
    }

    /// The same table as a validated [`irl::Mdp`].
    pub fn build(&self) -> Mdp {
        let (mut s, mut a, mut s_next, mut p) = (vec![], vec![], vec![], vec![]);
        for (state, row) in self.successors.iter().enumerate() {
            for (action, entries) in row.iter().enumerate() {
                for &(next, prob) in entries {
                    s.push(state);
                    a.push(action);
                    s_next.push(next);
                    p.push(prob);
                }
            }
        }
        let transitions =
            Transitions::from_arrays(self.n_states, self.n_actions, &s, &a, &s_next, &p)
                .expect("valid transitions");
        let k = self.theta.len();
        let names = (0..k).map(|i| format!("f{i}")).collect();
        let table = if self.state_features {
            FeatureTable::State(Array2::from_shape_fn((self.n_states, k), |(s, i)| {
                self.features[s][0][i]
            }))
        } else {
            FeatureTable::StateAction(Array3::from_shape_fn(
                (self.n_states, self.n_actions, k),
                |(s, a, i)| self.features[s][a][i],
            ))
        };
        Mdp::new(MdpParts {
            transitions,
            initial: self.explicit_initial.then(|| self.initial.clone()),
            terminal: (0..self.n_states).filter(|&s| self.terminal[s]).collect(),
            features: Features::new(names, table).expect("finite features"),
            action_names: None,
            grid: None,
        })
        .expect("valid MDP")
    }
}

/// Between 1 and `max` distinct successors with positive probabilities summing to 1;
/// `leak` is always among them when given.
fn random_successors(
    rng: &mut ChaCha8Rng,
    n_states: usize,
    max: usize,
    leak: Option<usize>,
) -> Vec<(usize, f64)> {
    let count = rng.random_range(1..=max.min(n_states));
    let mut states = rand::seq::index::sample(rng, n_states, count).into_vec();
    if let Some(t) = leak {
        if !states.contains(&t) {
            states[0] = t;
        }
    }
    let mut probs: Vec<f64> = states.iter().map(|_| rng.random_range(0.05..1.0)).collect();
    normalise(&mut probs);
    states.into_iter().zip(probs).collect()
}

fn normalise(x: &mut [f64]) {
    let total: f64 = x.iter().sum();
    x.iter_mut().for_each(|v| *v /= total);
}
