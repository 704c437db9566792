//! The kinematic lattice MDP of a scene and its reward features.
//!
//! **States and actions** (see [`Lattice`]): state c·V + v is cell c with last
//! displacement d_v; action a gives the next displacement d' (an acceleration of at most
//! one cell a step per axis, or `stop`), and the walker moves deterministically to
//! (c + d', d'). Actions whose d' leaves the grid are not listed.
//!
//! **Features** f(s, a) of a step from cell c with displacement d to c' = c + d':
//! - the cell features of c' (the [`grid_features`](super::grid_features) of the scene:
//!   `step_cost`, the regions, `border_distance`, `obstacle_distance`), so that spatial
//!   rewards are collected where the walker arrives;
//! - kinematic features, with u = |d'|·c/Δ the speed of the step in m/s (cell side c,
//!   time step Δ):
//!   `speed` = u; `speed_squared` = u²; `standing` = [d' = 0];
//!   `acceleration` = |d' − d|·c/Δ, the change of velocity in m/s;
//!   `turn` = (1 − cos φ)/2 for the angle φ between d and d' when both are non-zero
//!   (0 straight on, 1 reversing), else 0; `start` = [d = 0, d' ≠ 0]; `stop` = [d ≠ 0, d' = 0];
//!   `pause` = 1 for the `pause` action (which moves no cell and keeps d), whose other
//!   kinematic features are 0.
//!
//! With weights on `speed` and `speed_squared` the reward can prefer a walking speed, with
//! `acceleration` and `turn` it can prefer keeping the velocity ("momentum"), and the
//! cell features say where people go, slow or avoid. Unlisted actions have zero features.
//! The table is dense, S × A × K values; [`GridMemory::lattice`](super::GridMemory::lattice)
//! counts it with the rest of the MDP, to check first.

use ndarray::Array3;

use super::scene::Scene;
use crate::error::{Error, Result};
use crate::mdp::{
    FeatureTable, Features, Grid, Lattice, Mdp, MdpParts, Transitions, LATTICE_ACTIONS,
    PAUSE_ACTION,
};

/// The names of the kinematic features, in column order after the cell features.
pub const KINEMATIC_FEATURES: [&str; 8] = [
    "speed",
    "speed_squared",
    "standing",
    "acceleration",
    "turn",
    "start",
    "stop",
    "pause",
];

/// The kinematic features of `pause`: only its own.
const PAUSE_FEATURES: [f64; KINEMATIC_FEATURES.len()] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0];

/// The kinematic features of a move by e after a step of d.
fn move_features(
    d: (i64, i64),
    e: (i64, i64),
    metres_per_second: f64,
) -> [f64; KINEMATIC_FEATURES.len()] {
    let length = |(x, y): (i64, i64)| ((x * x + y * y) as f64).sqrt();
    let speed = length(e) * metres_per_second;
    let moving = (d != (0, 0), e != (0, 0));
    let turn = if moving == (true, true) {
        let cos = (d.0 * e.0 + d.1 * e.1) as f64 / (length(d) * length(e));
        (1.0 - cos) / 2.0
    } else {
        0.0
    };
    [
        speed,
        speed * speed,
        f64::from(u8::from(!moving.1)),
        length((e.0 - d.0, e.1 - d.1)) * metres_per_second,
        turn,
        f64::from(u8::from(moving == (false, true))),
        f64::from(u8::from(moving == (true, false))),
        0.0,
    ]
}

/// The lattice grid of a scene.
pub fn lattice_grid(scene: &Scene, lattice: Lattice) -> Grid {
    Grid {
        lattice: Some(lattice),
        ..scene.grid()
    }
}

/// The next state of `action` in `state`, if the action is listed there.
pub fn lattice_step(scene: &Scene, lattice: Lattice, state: usize, action: usize) -> Option<usize> {
    let n_v = lattice.n_displacements();
    let (cell, v) = (state / n_v, state % n_v);
    let step = lattice.step(lattice.displacement(v), action)?;
    let (x, y) = (
        (cell % scene.width) as i64 + step.moved.0,
        (cell / scene.width) as i64 + step.moved.1,
    );
    if x < 0 || y < 0 || x >= scene.width as i64 || y >= scene.height as i64 {
        return None;
    }
    let next_cell = y as usize * scene.width + x as usize;
    Some(
        next_cell * n_v
            + lattice
                .index(step.next.0, step.next.1)
                .expect("a lattice displacement"),
    )
}

/// The lattice MDP of `scene` with the cell features `cell_features` (one row per cell)
/// combined with the kinematic ones, and initial distribution `initial` (`None`: uniform).
pub fn lattice_mdp(
    scene: &Scene,
    lattice: Lattice,
    cell_features: &Features,
    time_step: f64,
    initial: Option<Vec<f64>>,
) -> Result<Mdp> {
    let FeatureTable::State(cells) = cell_features.table() else {
        return Err(Error::param(
            "cell_features",
            "the cell features of a lattice must be a state table, one row per cell",
        ));
    };
    if cells.nrows() != scene.n_cells() {
        return Err(Error::param(
            "cell_features",
            format!("has {} rows for {} cells", cells.nrows(), scene.n_cells()),
        ));
    }
    let n_v = lattice.n_displacements();
    let n_states = scene.n_cells() * n_v;
    let k_cells = cells.ncols();
    let mut names = cell_features.names().to_vec();
    names.extend(KINEMATIC_FEATURES.iter().map(|s| s.to_string()));
    let mut values = Array3::zeros((n_states, LATTICE_ACTIONS, names.len()));
    let (mut s_list, mut a_list, mut next_list) = (Vec::new(), Vec::new(), Vec::new());
    let metres_per_second = scene.cell / time_step;
    for state in 0..n_states {
        let d = lattice.displacement(state % n_v);
        for action in 0..LATTICE_ACTIONS {
            let Some(next) = lattice_step(scene, lattice, state, action) else {
                continue;
            };
            s_list.push(state);
            a_list.push(action);
            next_list.push(next);
            let mut row = values.slice_mut(ndarray::s![state, action, ..]);
            row.slice_mut(ndarray::s![..k_cells])
                .assign(&cells.row(next / n_v));
            let kinematic = if action == PAUSE_ACTION {
                PAUSE_FEATURES
            } else {
                move_features(d, lattice.displacement(next % n_v), metres_per_second)
            };
            for (j, x) in kinematic.into_iter().enumerate() {
                row[k_cells + j] = x;
            }
        }
    }
    let p = vec![1.0; s_list.len()];
    Mdp::new(MdpParts {
        transitions: Transitions::from_arrays(
            n_states,
            LATTICE_ACTIONS,
            &s_list,
            &a_list,
            &next_list,
            &p,
        )?,
        initial,
        terminal: Vec::new(),
        features: Features::new(names, FeatureTable::StateAction(values))?,
        action_names: Some(Lattice::action_names()),
        grid: Some(lattice_grid(scene, lattice)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn steps_and_features_by_hand() {
        // A 3 × 2 scene of 0.5 m cells, m = 1 (V = 9), Δ = 0.25 s: one cell a step is 2 m/s.
        let scene = Scene::new(0.0, 0.0, 0.5, 3, 2).unwrap();
        let lattice = Lattice {
            max_displacement: 1,
        };
        let cell_values = Array2::from_shape_fn((6, 1), |(c, _)| c as f64 * 10.0);
        let cells = Features::new(vec!["cell".into()], FeatureTable::State(cell_values)).unwrap();
        let mdp = lattice_mdp(&scene, lattice, &cells, 0.25, None).unwrap();
        assert_eq!((mdp.n_states(), mdp.n_actions()), (54, 11));
        let v = |dx, dy| lattice.index(dx, dy).unwrap();
        // Cell 0 moving east (d = (1, 0)); action 8 accelerates by (1, 1): d' = (2, 1) is
        // beyond m = 1, so not listed; action 7 adds (0, 1): d' = (1, 1) to cell 4.
        let s = v(1, 0);
        assert!(!mdp.available(s, 8));
        let (next, _) = mdp.transitions().successors(s, 7);
        assert_eq!(next, &[(4 * 9 + v(1, 1)) as u32][..]);
        let FeatureTable::StateAction(f) = mdp.features().table() else {
            panic!("state-action features")
        };
        let row: Vec<f64> = f.slice(ndarray::s![s, 7, ..]).to_vec();
        let speed = 2f64.sqrt() * 2.0;
        // cell 4's feature 40; speed √2 cells a step; a change of (0, 1): 2 m/s; a 45° turn.
        let turn = (1.0 - 1.0 / 2f64.sqrt()) / 2.0;
        let want = [40.0, speed, speed * speed, 0.0, 2.0, turn, 0.0, 0.0, 0.0];
        for (g, w) in row.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{row:?}");
        }
        // Standing in cell 1 and starting west: d' = (−1, 0) to cell 0, a start.
        let (next, _) = mdp.transitions().successors(9 + v(0, 0), 3);
        assert_eq!(next, &[v(-1, 0) as u32][..]);
        assert_eq!(f[[9 + v(0, 0), 3, 6]], 1.0);
        // At the west edge moving west, only accelerations with ax ≥ 1 stay in the grid,
        // and the pause, which stays in cell 3 keeping d; its only feature is its own.
        let edge = 3 * 9 + v(-1, 0);
        let listed: Vec<usize> = (0..11).filter(|&a| mdp.available(edge, a)).collect();
        assert_eq!(listed, vec![2, 5, PAUSE_ACTION]);
        assert_eq!(f[[edge, 5, 3]], 1.0);
        assert_eq!(f[[edge, 5, 7]], 1.0);
        let (next, _) = mdp.transitions().successors(edge, PAUSE_ACTION);
        assert_eq!(next, &[edge as u32][..]);
        let pause: Vec<f64> = f.slice(ndarray::s![edge, PAUSE_ACTION, ..]).to_vec();
        assert_eq!(pause, [30.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        // Standing, there is no pause.
        assert!(!mdp.available(9 + v(0, 0), PAUSE_ACTION));
    }
}
