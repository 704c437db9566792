//! Small MDPs, demonstrations and folder listings for unit tests.

use ndarray::{Array2, Array3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::demos::{Demonstrations, Trajectory};
use crate::inference::draw;
use std::path::Path;

use crate::mdp::{FeatureTable, Features, Mdp, MdpParts, Transitions};

/// A random MDP: `successors` random next states per (s, a) with random probabilities,
/// one unavailable action in state 0 when A > 1, `k` Gaussian-ish features (state or
/// state-action), and the listed terminal states.
pub fn random_mdp(
    seed: u64,
    n_states: usize,
    n_actions: usize,
    successors: usize,
    k: usize,
    per_action: bool,
    terminal: &[usize],
) -> Mdp {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut s, mut a, mut s_next, mut p) = (vec![], vec![], vec![], vec![]);
    for state in 0..n_states {
        for action in 0..n_actions {
            if state == 0 && action == 1 {
                continue;
            }
            let mut targets: Vec<usize> = (0..n_states).collect();
            for i in 0..successors.min(n_states) {
                let j = rng.random_range(i..n_states);
                targets.swap(i, j);
            }
            let weights: Vec<f64> = (0..successors.min(n_states))
                .map(|_| rng.random::<f64>() + 0.05)
                .collect();
            let total: f64 = weights.iter().sum();
            for (i, w) in weights.iter().enumerate() {
                s.push(state);
                a.push(action);
                s_next.push(targets[i]);
                p.push(w / total);
            }
        }
    }
    let transitions = Transitions::from_arrays(n_states, n_actions, &s, &a, &s_next, &p).unwrap();
    let names = (0..k).map(|i| format!("f{i}")).collect();
    let table = if per_action {
        FeatureTable::StateAction(Array3::from_shape_fn((n_states, n_actions, k), |_| {
            rng.random::<f64>() * 2.0 - 1.0
        }))
    } else {
        FeatureTable::State(Array2::from_shape_fn((n_states, k), |_| {
            rng.random::<f64>() * 2.0 - 1.0
        }))
    };
    Mdp::new(MdpParts {
        transitions,
        initial: None,
        terminal: terminal.to_vec(),
        features: Features::new(names, table).unwrap(),
        action_names: None,
        grid: None,
    })
    .unwrap()
}

/// Random-walk demonstrations of the given lengths (uniform over available actions),
/// stopping early at terminal states.
pub fn random_demos(mdp: &Mdp, seed: u64, lengths: &[usize]) -> Demonstrations {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let trajectories = lengths
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            let mut st = draw(&mut rng, mdp.initial().iter().copied());
            let mut traj = Trajectory {
                id: i.to_string(),
                states: vec![st],
                actions: vec![],
            };
            for _ in 0..len {
                if mdp.is_terminal(st) {
                    break;
                }
                let act = draw(
                    &mut rng,
                    (0..mdp.n_actions()).map(|a| f64::from(u8::from(mdp.available(st, a)))),
                );
                let (next, prob) = mdp.transitions().successors(st, act);
                st = next[draw(&mut rng, prob.iter().copied())] as usize;
                traj.actions.push(act);
                traj.states.push(st);
            }
            traj
        })
        .filter(|t| !t.is_empty())
        .collect();
    Demonstrations::new(trajectories)
}

/// (successor, probability) pairs of (s, a), in stored order.
fn row(t: &Transitions, s: usize, a: usize) -> Vec<(usize, f64)> {
    let (next, p) = t.successors(s, a);
    next.iter()
        .map(|&n| n as usize)
        .zip(p.iter().copied())
        .collect()
}

/// Assert that row (s, a) holds exactly `expected`, probabilities to 1e-15.
pub fn assert_row(t: &Transitions, s: usize, a: usize, expected: &[(usize, f64)]) {
    let got = row(t, s, a);
    assert_eq!(got.len(), expected.len(), "(s={s}, a={a}): {got:?}");
    for ((n, p), (m, q)) in got.iter().zip(expected) {
        assert_eq!(n, m, "(s={s}, a={a}): {got:?}");
        assert!((p - q).abs() < 1e-15, "(s={s}, a={a}): {got:?}");
    }
}

/// 12 states × 3 actions: rows of 1 to 4 entries (some states uniform, some not,
/// some rows empty) with probabilities from a few dyadic values.
pub fn mixed_rows() -> Transitions {
    let (mut row_start, mut next, mut prob) = (vec![0], vec![], vec![]);
    for s in 0..12u32 {
        for a in 0..3u32 {
            let len = if s % 3 == 0 {
                3
            } else {
                ((s + a) % 5) as usize
            };
            let weights: &[f64] = match len {
                0 => &[],
                1 => &[1.0],
                2 => &[0.75, 0.25],
                3 => &[0.5, 0.25, 0.25],
                _ => &[0.125, 0.375, 0.25, 0.25],
            };
            for (j, &p) in weights.iter().enumerate() {
                next.push((s + 5 * j as u32 + a) % 12);
                prob.push(p);
            }
            row_start.push(next.len());
        }
    }
    Transitions::from_csr(12, 3, row_start, next, prob).unwrap()
}

/// A corridor 0 – 1 – 2 with the given terminal states, starting in 0: action 0 moves
/// right, 1 left (staying put at the ends); every move is certain.
pub fn corridor(terminal: Vec<usize>) -> Mdp {
    Mdp::new(MdpParts {
        transitions: Transitions::from_arrays(
            3,
            2,
            &[0, 0, 1, 1, 2, 2],
            &[0, 1, 0, 1, 0, 1],
            &[1, 0, 2, 0, 2, 1],
            &[1.0; 6],
        )
        .unwrap(),
        initial: Some(vec![1.0, 0.0, 0.0]),
        terminal,
        features: Features::one_hot(3),
        action_names: None,
        grid: None,
    })
    .unwrap()
}

/// The names of the entries of a folder, sorted.
pub fn folder_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the folder exists")
        .map(|e| {
            e.expect("a readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The MDP rebuilt from copies of its parts: equal to it, but holding transitions of its
/// own rather than sharing them.
pub fn separately_held_copy(mdp: &Mdp) -> Mdp {
    Mdp::new(MdpParts {
        transitions: mdp.transitions().clone(),
        initial: None,
        terminal: vec![],
        features: mdp.features().clone(),
        action_names: None,
        grid: None,
    })
    .unwrap()
}
