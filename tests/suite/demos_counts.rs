//! Empirical counts of demonstrations on the chain MDP, against values worked out by hand.
//!
//! Demonstrations (state --action--> state):
//!   a: 0 -r-> 1 -r-> 2 -r-> 3      b: 0 -s-> 0 -j-> 3      c, d: 1 -r-> 2
//! Pairs where reward is collected: a (0,r) (1,r) (2,r) at t = 0, 1, 2; b (0,s) (0,j) at
//! t = 0, 1; c and d (1,r) at t = 0. Final states add nothing.

use crate::common;

use approx::assert_abs_diff_eq;
use common::{chain_features, chain_mdp};
use irl::demos::{
    feature_counts, start_distribution, step_visits, visit_weights, Demonstrations, StepVisit,
    Trajectory,
};
use irl::mdp::{FeatureTable, Features};
use irl::Error;
use ndarray::{array, Array3};

fn demos() -> Demonstrations {
    let t = |id: &str, states: &[usize], actions: &[usize]| Trajectory {
        id: id.into(),
        states: states.to_vec(),
        actions: actions.to_vec(),
    };
    Demonstrations::new(vec![
        t("a", &[0, 1, 2, 3], &[0, 0, 0]),
        t("b", &[0, 0, 3], &[1, 2]),
        t("c", &[1, 2], &[0]),
        t("d", &[1, 2], &[0]),
    ])
}

#[test]
fn the_hand_worked_demonstrations_are_valid_for_the_chain() {
    demos().validate(&chain_mdp(chain_features())).unwrap();
}

#[test]
fn visit_weights_discount_by_step() {
    let mdp = chain_mdp(chain_features());
    let w = visit_weights(&demos(), &mdp, 0.5).unwrap();
    // rows s·3 + a: (0,r) = 1, (0,s) = 1, (0,j) = 0.5, (1,r) = 0.5 + 1 + 1, (2,r) = 0.25
    let expected = [1.0, 1.0, 0.5, 2.5, 0.0, 0.0, 0.25, 0.0, 0.0, 0.0, 0.0, 0.0];
    assert_eq!(w, expected);
}

#[test]
fn state_feature_counts() {
    // f(0) = [1, 0], f(1) = [0, 1], f(2) = [1, 1]; f(3) = [2, 0.5] is never collected.
    // a: [2, 2], b: [2, 0], c + d: [0, 2]; discounted by ½ per step:
    // a: [1, 0] + ½[0, 1] + ¼[1, 1] = [1.25, 0.75], b: [1.5, 0], c + d: [0, 2].
    let mdp = chain_mdp(chain_features());
    let counts = feature_counts(&demos(), &mdp, 1.0).unwrap();
    assert_abs_diff_eq!(counts, array![4.0, 4.0], epsilon = 1e-12);
    let discounted = feature_counts(&demos(), &mdp, 0.5).unwrap();
    assert_abs_diff_eq!(discounted, array![2.75, 2.75], epsilon = 1e-12);
}

#[test]
fn state_action_and_one_hot_feature_counts() {
    // f(s, a) = 10 s + a: a 0 + 10 + 20, b 1 + 2, c and d 10 each: 53;
    // discounted by ½: a 0 + 5 + 5, b 1 + 1, c and d 10 each: 32.
    let values = Array3::from_shape_fn((4, 3, 1), |(s, a, _)| (10 * s + a) as f64);
    let features = Features::new(vec!["sa".into()], FeatureTable::StateAction(values)).unwrap();
    let mdp = chain_mdp(features);
    assert_abs_diff_eq!(
        feature_counts(&demos(), &mdp, 1.0).unwrap(),
        array![53.0],
        epsilon = 1e-12
    );
    assert_abs_diff_eq!(
        feature_counts(&demos(), &mdp, 0.5).unwrap(),
        array![32.0],
        epsilon = 1e-12
    );
    // One-hot: how often each state was left by an action.
    let one_hot = chain_mdp(Features::one_hot(4));
    assert_eq!(
        feature_counts(&demos(), &one_hot, 1.0).unwrap(),
        array![3.0, 3.0, 1.0, 0.0]
    );
}

#[test]
fn discount_outside_the_unit_interval_is_rejected() {
    let mdp = chain_mdp(chain_features());
    for discount in [0.0, 1.5, f64::NAN] {
        assert!(matches!(
            feature_counts(&demos(), &mdp, discount),
            Err(Error::InvalidParameter {
                name: "discount",
                ..
            })
        ));
    }
}

#[test]
fn step_visits_group_pairs_by_step_with_counts() {
    let visit = |state, action, count| StepVisit {
        state,
        action,
        count,
    };
    assert_eq!(
        step_visits(&demos()),
        vec![
            vec![visit(0, 0, 1), visit(0, 1, 1), visit(1, 0, 2)],
            vec![visit(0, 2, 1), visit(1, 0, 1)],
            vec![visit(2, 0, 1)],
        ]
    );
}

#[test]
fn start_distribution_is_the_share_of_trajectories_starting_in_each_state() {
    assert_eq!(
        start_distribution(&demos(), 4).unwrap(),
        vec![0.5, 0.5, 0.0, 0.0]
    );
    assert!(start_distribution(&Demonstrations::default(), 4).is_err());
}
