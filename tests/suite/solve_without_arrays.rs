//! A finite-horizon solve without arrays keeps O((T+1)·S + S·A) numbers: the backward
//! pass stores the T+1 value rows, the forward pass recomputes π_t from V_{t+1} state by
//! state, and neither Q_t, π_t (T·S·A each) nor the occupancy rows ((T+1)·S) are built.
//! The summaries are the same numbers as those of a solve with arrays.

use crate::common;

use common::{Shape, TableMdp};
use irl::inference::{solve, SoftSettings};
use ndarray::ArrayView1;

#[test]
fn finite_horizon_summaries_need_no_per_step_arrays() {
    let (n_states, n_actions, horizon) = (300, 3, 50);
    let shape = Shape {
        terminal: true,
        unavailable: true,
        ..Shape::plain(n_states, n_actions)
    };
    let table = TableMdp::random(shape, 11);
    let mdp = table.build();
    let theta = ArrayView1::from(&table.theta);
    let settings = SoftSettings::finite(horizon, 0.95);
    let lean = solve(&mdp, theta, &settings, false).expect("solves");
    assert!(lean.q_and_policy.is_none());
    assert!(lean.occupancy.states.is_none());
    assert_eq!(lean.values.rows().dim(), (horizon + 1, n_states));
    assert_eq!(lean.occupancy.visits.len(), n_states);

    let full = solve(&mdp, theta, &settings, true).expect("solves");
    let (q, policy) = full.q_and_policy.as_ref().expect("arrays");
    assert_eq!(q.dim(), (horizon, n_states, n_actions));
    assert_eq!(policy.dim(), (horizon, n_states, n_actions));
    assert_eq!(lean.values, full.values);
    assert_eq!(lean.log_partition, full.log_partition);
    assert_eq!(
        lean.occupancy.expected_features,
        full.occupancy.expected_features
    );
    assert_eq!(lean.occupancy.visits, full.occupancy.visits);
}
