//! A four-state chain MDP shared by the demonstration tests.
//!
//! States 0, 1, 2, 3 (3 terminal); actions 0 = right, 1 = stay, 2 = jump.
//! right: s → s+1; stay: s → s; jump (state 0 only): 0 → 2 or 3, each with p = 1/2.
//! State features f(s) = [[1, 0], [0, 1], [1, 1], [2, 0.5]] unless others are given.

use irl::mdp::{FeatureTable, Features, Mdp, MdpParts, Transitions};
use ndarray::array;

pub fn chain_features() -> Features {
    Features::new(
        vec!["x".into(), "y".into()],
        FeatureTable::State(array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.5]]),
    )
    .unwrap()
}

pub fn chain_mdp(features: Features) -> Mdp {
    let (right, stay, jump) = (0, 1, 2);
    let entries = [
        (0, right, 1, 1.0),
        (0, stay, 0, 1.0),
        (0, jump, 2, 0.5),
        (0, jump, 3, 0.5),
        (1, right, 2, 1.0),
        (1, stay, 1, 1.0),
        (2, right, 3, 1.0),
        (2, stay, 2, 1.0),
    ];
    let s: Vec<usize> = entries.iter().map(|e| e.0).collect();
    let a: Vec<usize> = entries.iter().map(|e| e.1).collect();
    let s_next: Vec<usize> = entries.iter().map(|e| e.2).collect();
    let p: Vec<f64> = entries.iter().map(|e| e.3).collect();
    Mdp::new(MdpParts {
        transitions: Transitions::from_arrays(4, 3, &s, &a, &s_next, &p).unwrap(),
        initial: None,
        terminal: vec![3],
        features,
        action_names: Some(vec!["right".into(), "stay".into(), "jump".into()]),
        grid: None,
    })
    .unwrap()
}
