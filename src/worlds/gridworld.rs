//! Gridworld: an N×N grid of cells with slippery moves and a sparse linear reward.
//!
//! **States.** Cell (x, y) with 0 ≤ x, y < N is state y·N + x; x grows to the east, y to
//! the north.
//!
//! **Actions** ([`GridActions`]). `Cardinal`: 0 east (x+1), 1 west (x−1), 2 north (y+1),
//! 3 south (y−1); `CardinalAndStay`: the same and 4 stay. Let m be the number of actions
//! (4 or 5); each action names an intended *outcome* (one of the m moves, stay counting
//! as a move of zero length). `Compass`: the eight moves east, northeast, …, southeast,
//! with the slip rule of [`compass_transitions`](super::compass_transitions).
//!
//! **Slip rule** (4 or 5 actions). Action a produces its own outcome with probability
//! 1 − slip and each of the other m − 1 outcomes with probability slip/(m − 1). So with 4
//! actions a slip goes to one of the three other directions, and with 5 actions to one of
//! the other four outcomes, staying included (stay itself slips to each of the four
//! directions). An outcome that would leave the grid leaves the agent where it is;
//! outcomes that end in the same cell add their probabilities. With `stay` and
//! slip = 1 − p this is exactly the objectworld dynamics of Levine, Popović and Koltun
//! (2011).
//!
//! **Features.** `OneHot`: one indicator per cell (K = N²). `Coords`: x one-hot then y
//! one-hot (K = 2N, named `x0..`, `y0..`; the layout of `tests/data/reference/grid`).
//! `Blocks { block: b }`: macro-cells of b×b cells (the last row and column of blocks may
//! be smaller), one indicator per block, K = ⌈N/b⌉², block (bx, by) = (⌊x/b⌋, ⌊y/b⌋) has
//! index by·⌈N/b⌉ + bx and name `block_x{bx}_y{by}`.
//! `Regions { columns: c, rows: r }`: the grid cut into c × r rectangles of as equal a
//! size as whole cells allow (sides differ by at most one cell), one indicator each,
//! K = c·r; cell (x, y) lies in region (rx, ry) = (⌊x·c/N⌋, ⌊y·r/N⌋), which has index
//! ry·c + rx and name `region_x{rx}_y{ry}`. Needs c, r ≤ N so that no region is empty.
//!
//! **True weights** (sparse positive, in the spirit of the macro-cell worlds of Abbeel
//! and Ng 2004): m = max(1, round(density·K)) of the K features are chosen uniformly
//! without replacement, in the order drawn each gets a weight 1 − u with u ~ U[0, 1)
//! (so in (0, 1]); all other weights are 0. The true reward is r*(s) = θ*·f(s).
//!
//! p0 is uniform; there are no terminal states.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::compass_grid::{compass_transitions, COMPASS_ACTION_NAMES};
use super::{check_feature_table, check_probability, World};
use crate::error::{Error, Result};
use crate::mdp::{FeatureTable, Features, Grid, Mdp, MdpParts, Transitions};

/// Names of the cardinal grid actions, in action order (the first four without `stay`).
pub const GRID_ACTION_NAMES: [&str; 5] = ["east", "west", "north", "south", "stay"];

/// (dx, dy) of each grid action.
const MOVES: [(isize, isize); 5] = [(1, 0), (-1, 0), (0, 1), (0, -1), (0, 0)];

/// Largest side of a generated grid (N² ≈ 10^6 states, ≈ 2.6·10^7 transitions).
pub const MAX_GRID_SIZE: usize = 1024;

/// The action set of a gridworld.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridActions {
    /// east, west, north, south.
    Cardinal,
    /// east, west, north, south, stay.
    CardinalAndStay,
    /// The eight compass moves, slipping by ±45°.
    Compass,
}

impl GridActions {
    /// The action set with `n` actions: 4, 5 or 8.
    pub fn from_count(n: usize) -> Result<Self> {
        match n {
            4 => Ok(Self::Cardinal),
            5 => Ok(Self::CardinalAndStay),
            8 => Ok(Self::Compass),
            other => Err(Error::param(
                "actions",
                format!(
                    "{other} is not a grid action set; use 4 (E, W, N, S), 5 (with stay) or 8 (compass)"
                ),
            )),
        }
    }

    /// Number of actions A.
    pub fn n_actions(self) -> usize {
        self.names().len()
    }

    /// Action names in action order.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Self::Cardinal => &GRID_ACTION_NAMES[..4],
            Self::CardinalAndStay => &GRID_ACTION_NAMES,
            Self::Compass => &COMPASS_ACTION_NAMES,
        }
    }

    /// The slippery dynamics of this action set on a `size`×`size` grid.
    pub fn transitions(self, size: usize, slip: f64) -> Result<Transitions> {
        match self {
            Self::Cardinal => grid_transitions(size, false, slip),
            Self::CardinalAndStay => grid_transitions(size, true, slip),
            Self::Compass => compass_transitions(size, slip),
        }
    }
}

/// Which features a gridworld carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridFeatures {
    /// One indicator per cell.
    OneHot,
    /// x one-hot followed by y one-hot.
    Coords,
    /// One indicator per b×b macro-block.
    Blocks { block: usize },
    /// One indicator per region of a `columns` × `rows` partition of the grid.
    Regions { columns: usize, rows: usize },
}

/// Parameters of [`gridworld`].
#[derive(Debug, Clone, PartialEq)]
pub struct GridworldParams {
    /// Side N of the grid.
    pub size: usize,
    /// The action set.
    pub actions: GridActions,
    /// Probability that the outcome is another one than intended (see the module doc).
    pub slip: f64,
    pub features: GridFeatures,
    /// Fraction of features with a non-zero true weight, in (0, 1].
    pub reward_density: f64,
}

impl Default for GridworldParams {
    fn default() -> Self {
        Self {
            size: 10,
            actions: GridActions::CardinalAndStay,
            slip: 0.2,
            features: GridFeatures::Blocks { block: 2 },
            reward_density: 0.1,
        }
    }
}

impl GridworldParams {
    /// Number of actions A.
    pub fn n_actions(&self) -> usize {
        self.actions.n_actions()
    }

    /// Number of features K.
    pub fn n_features(&self) -> usize {
        match self.features {
            GridFeatures::OneHot => self.size * self.size,
            GridFeatures::Coords => 2 * self.size,
            GridFeatures::Blocks { block } => self.size.div_ceil(block).pow(2),
            GridFeatures::Regions { columns, rows } => columns * rows,
        }
    }

    /// Check every parameter's range.
    pub fn check(&self) -> Result<()> {
        check_grid_size("size", self.size)?;
        check_probability("slip", self.slip)?;
        if !(self.reward_density > 0.0 && self.reward_density <= 1.0) {
            return Err(Error::param(
                "reward_density",
                format!("{} is not in (0, 1]", self.reward_density),
            ));
        }
        let n_states = self.size * self.size;
        match self.features {
            GridFeatures::OneHot => Ok(()),
            GridFeatures::Coords => check_feature_table("size", n_states, 2 * self.size),
            GridFeatures::Blocks { block } => {
                if block == 0 || block > self.size {
                    return Err(Error::param(
                        "block",
                        format!("{block} is not in 1..={} (the grid size)", self.size),
                    ));
                }
                check_feature_table("block", n_states, self.n_features())
            }
            GridFeatures::Regions { columns, rows } => {
                for (name, count) in [("columns", columns), ("rows", rows)] {
                    if count == 0 || count > self.size {
                        return Err(Error::param(
                            name,
                            format!(
                                "{count} regions are not in 1..={} (the grid size)",
                                self.size
                            ),
                        ));
                    }
                }
                check_feature_table("columns", n_states, self.n_features())
            }
        }
    }
}

/// Fail unless 1 ≤ `size` ≤ [`MAX_GRID_SIZE`].
pub(crate) fn check_grid_size(name: &'static str, size: usize) -> Result<()> {
    if (1..=MAX_GRID_SIZE).contains(&size) {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!("{size} is not in 1..={MAX_GRID_SIZE}"),
        ))
    }
}

/// Generate a gridworld reproducibly from `seed`: [`gridworld_mdp`] with the true
/// weights of [`gridworld_true_weights`].
///
/// # Example
/// ```
/// use irl::worlds::{gridworld, GridFeatures, GridworldParams};
/// let params = GridworldParams { size: 4, features: GridFeatures::Coords, ..Default::default() };
/// let world = gridworld(&params, 7).unwrap();
/// assert_eq!((world.mdp.n_states(), world.mdp.n_actions()), (16, 5));
/// assert_eq!(world.true_weights.weights.len(), 8);
/// ```
pub fn gridworld(params: &GridworldParams, seed: u64) -> Result<World> {
    let mdp = gridworld_mdp(params)?;
    let theta = gridworld_true_weights(params, seed)?;
    Ok(World::linear(mdp, theta))
}

/// The gridworld's MDP alone: dynamics, features, uniform p0, action names and layout.
pub fn gridworld_mdp(params: &GridworldParams) -> Result<Mdp> {
    params.check()?;
    let transitions = params.actions.transitions(params.size, params.slip)?;
    let features = grid_features(params.size, params.features)?;
    Mdp::new(MdpParts {
        transitions,
        initial: None,
        terminal: vec![],
        features,
        action_names: Some(
            params
                .actions
                .names()
                .iter()
                .map(|n| n.to_string())
                .collect(),
        ),
        grid: Some(Grid::new(params.size, params.size)),
    })
}

/// The sparse positive true weights θ* (module doc) that [`gridworld`] draws from `seed`.
pub fn gridworld_true_weights(params: &GridworldParams, seed: u64) -> Result<Vec<f64>> {
    params.check()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Ok(sparse_positive_weights(
        &mut rng,
        params.n_features(),
        params.reward_density,
    ))
}

/// The slippery grid dynamics of the module doc on a `size`×`size` grid.
pub fn grid_transitions(size: usize, stay: bool, slip: f64) -> Result<Transitions> {
    check_grid_size("size", size)?;
    check_probability("slip", slip)?;
    let n_moves = if stay { 5 } else { 4 };
    let slip_each = slip / (n_moves - 1) as f64;
    let n_states = size * size;
    let capacity = n_states * n_moves * n_moves;
    let (mut s_list, mut a_list) = (Vec::with_capacity(capacity), Vec::with_capacity(capacity));
    let (mut next_list, mut p_list) = (Vec::with_capacity(capacity), Vec::with_capacity(capacity));
    let mut outcomes: Vec<(usize, f64)> = Vec::with_capacity(n_moves);
    for y in 0..size {
        for x in 0..size {
            let s = y * size + x;
            for a in 0..n_moves {
                outcomes.clear();
                for (o, &(dx, dy)) in MOVES[..n_moves].iter().enumerate() {
                    let p = if o == a { 1.0 - slip } else { slip_each };
                    if p == 0.0 {
                        continue;
                    }
                    let next = destination(size, x, y, dx, dy);
                    match outcomes.iter_mut().find(|(n, _)| *n == next) {
                        Some((_, q)) => *q += p,
                        None => outcomes.push((next, p)),
                    }
                }
                for &(next, p) in &outcomes {
                    s_list.push(s);
                    a_list.push(a);
                    next_list.push(next);
                    p_list.push(p);
                }
            }
        }
    }
    Transitions::from_arrays(n_states, n_moves, &s_list, &a_list, &next_list, &p_list)
}

/// The cell reached from (x, y) by (dx, dy), or (x, y) itself when that leaves the grid.
pub(super) fn destination(size: usize, x: usize, y: usize, dx: isize, dy: isize) -> usize {
    let inside = |v: usize, d: isize| v.checked_add_signed(d).filter(|&w| w < size);
    match (inside(x, dx), inside(y, dy)) {
        (Some(nx), Some(ny)) => ny * size + nx,
        _ => y * size + x,
    }
}

fn grid_features(size: usize, kind: GridFeatures) -> Result<Features> {
    let n_states = size * size;
    match kind {
        GridFeatures::OneHot => Ok(Features::one_hot(n_states)),
        GridFeatures::Coords => {
            let mut values = Array2::zeros((n_states, 2 * size));
            for s in 0..n_states {
                values[[s, s % size]] = 1.0;
                values[[s, size + s / size]] = 1.0;
            }
            let names = (0..size)
                .map(|x| format!("x{x}"))
                .chain((0..size).map(|y| format!("y{y}")))
                .collect();
            Features::new(names, FeatureTable::State(values))
        }
        GridFeatures::Blocks { block } => {
            let per_side = size.div_ceil(block);
            let mut values = Array2::zeros((n_states, per_side * per_side));
            for s in 0..n_states {
                let (bx, by) = ((s % size) / block, (s / size) / block);
                values[[s, by * per_side + bx]] = 1.0;
            }
            let names = (0..per_side * per_side)
                .map(|k| format!("block_x{}_y{}", k % per_side, k / per_side))
                .collect();
            Features::new(names, FeatureTable::State(values))
        }
        GridFeatures::Regions { columns, rows } => {
            let mut values = Array2::zeros((n_states, columns * rows));
            for s in 0..n_states {
                let (rx, ry) = ((s % size) * columns / size, (s / size) * rows / size);
                values[[s, ry * columns + rx]] = 1.0;
            }
            let names = (0..columns * rows)
                .map(|k| format!("region_x{}_y{}", k % columns, k / columns))
                .collect();
            Features::new(names, FeatureTable::State(values))
        }
    }
}

/// max(1, round(density·K)) weights in (0, 1] on features drawn without replacement.
fn sparse_positive_weights(rng: &mut impl Rng, n_features: usize, density: f64) -> Vec<f64> {
    let n_rewarded = ((density * n_features as f64).round() as usize).clamp(1, n_features);
    let mut theta = vec![0.0; n_features];
    for k in rand::seq::index::sample(rng, n_features, n_rewarded) {
        theta[k] = 1.0 - rng.random::<f64>();
    }
    theta
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_row;

    // The 3×3 grid, states y·3 + x:
    //   6 7 8      y = 2 (north)
    //   3 4 5
    //   0 1 2      y = 0 (south)
    #[test]
    fn four_action_slip_goes_to_the_three_other_directions() {
        let t = grid_transitions(3, false, 0.3).unwrap();
        assert_eq!((t.n_states(), t.n_actions()), (9, 4));
        // Centre: east 0.7, the three others 0.1 each.
        assert_row(&t, 4, 0, &[(1, 0.1), (3, 0.1), (5, 0.7), (7, 0.1)]);
        assert_row(&t, 4, 2, &[(1, 0.1), (3, 0.1), (5, 0.1), (7, 0.7)]);
        // South-west corner, east: west and south hit walls (0.1 + 0.1 stay).
        assert_row(&t, 0, 0, &[(0, 0.2), (1, 0.7), (3, 0.1)]);
        // South-west corner, west: blocked 0.7, south blocked 0.1, east 0.1, north 0.1.
        assert_row(&t, 0, 1, &[(0, 0.8), (1, 0.1), (3, 0.1)]);
        // Bottom edge middle, south: blocked 0.7; east 2, west 0, north 4.
        assert_row(&t, 1, 3, &[(0, 0.1), (1, 0.7), (2, 0.1), (4, 0.1)]);
        // North-east corner, north: blocked 0.7 + east blocked 0.1; west 7, south 5.
        assert_row(&t, 8, 2, &[(5, 0.1), (7, 0.1), (8, 0.8)]);
    }

    #[test]
    fn five_action_slip_includes_staying_and_stay_slips_to_the_four_moves() {
        let t = grid_transitions(3, true, 0.2).unwrap();
        assert_eq!(t.n_actions(), 5);
        assert_row(
            &t,
            4,
            0,
            &[(1, 0.05), (3, 0.05), (4, 0.05), (5, 0.8), (7, 0.05)],
        );
        assert_row(
            &t,
            4,
            4,
            &[(1, 0.05), (3, 0.05), (4, 0.8), (5, 0.05), (7, 0.05)],
        );
        // Corner stay: west and south blocked add to staying.
        assert_row(&t, 0, 4, &[(0, 0.9), (1, 0.05), (3, 0.05)]);
        // Corner north: stay 0.05 + west 0.05 + south 0.05 stay in place.
        assert_row(&t, 0, 2, &[(0, 0.15), (1, 0.05), (3, 0.8)]);
    }

    #[test]
    fn without_slip_moves_are_deterministic() {
        let t = grid_transitions(3, true, 0.0).unwrap();
        assert_row(&t, 4, 3, &[(1, 1.0)]);
        assert_row(&t, 2, 0, &[(2, 1.0)]);
        assert_eq!(t.nnz(), 9 * 5);
    }

    #[test]
    fn coordinate_and_block_features_mark_the_right_columns() {
        let coords = grid_features(3, GridFeatures::Coords).unwrap();
        assert_eq!(coords.names(), ["x0", "x1", "x2", "y0", "y1", "y2"]);
        // State 5 is (x = 2, y = 1).
        let row5: Vec<f64> = (0..6).map(|k| coords.get(5, 0, k)).collect();
        assert_eq!(row5, [0.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
        let blocks = grid_features(3, GridFeatures::Blocks { block: 2 }).unwrap();
        assert_eq!(
            blocks.names(),
            ["block_x0_y0", "block_x1_y0", "block_x0_y1", "block_x1_y1"]
        );
        let block_of = |s: usize| (0..4).find(|&k| blocks.get(s, 0, k) == 1.0).unwrap();
        let all: Vec<usize> = (0..9).map(block_of).collect();
        assert_eq!(all, [0, 0, 1, 0, 0, 1, 2, 2, 3]);
        for s in 0..9 {
            let total: f64 = (0..4).map(|k| blocks.get(s, 0, k)).sum();
            assert_eq!(total, 1.0);
        }
    }

    #[test]
    fn region_features_cut_the_grid_into_near_equal_rectangles() {
        let (size, columns, rows) = (7, 5, 4);
        let regions = grid_features(size, GridFeatures::Regions { columns, rows }).unwrap();
        assert_eq!(regions.dim(), 20);
        assert_eq!(regions.names()[0], "region_x0_y0");
        assert_eq!(regions.names()[7], "region_x2_y1");
        assert_eq!(regions.names()[19], "region_x4_y3");
        let region_of = |s: usize| {
            let hits: Vec<usize> = (0..20).filter(|&k| regions.get(s, 0, k) == 1.0).collect();
            assert_eq!(hits.len(), 1, "state {s} lies in {hits:?}");
            hits[0]
        };
        // x = 0..7 falls in columns 0 0 1 2 2 3 4, y = 0..7 in rows 0 0 1 1 2 2 3.
        let column_of_x = [0, 0, 1, 2, 2, 3, 4];
        let row_of_y = [0, 0, 1, 1, 2, 2, 3];
        for s in 0..size * size {
            let (x, y) = (s % size, s / size);
            assert_eq!(
                region_of(s),
                row_of_y[y] * columns + column_of_x[x],
                "cell ({x}, {y})"
            );
        }
        // Cell (4, 5) = state 39 is in region (2, 2) = feature 12.
        assert_eq!(region_of(39), 12);
        let mut cells = vec![0; 20];
        (0..size * size).for_each(|s| cells[region_of(s)] += 1);
        // Column widths 2 1 2 1 1 times row heights 2 2 2 1.
        let expected: Vec<usize> = [2, 2, 2, 1]
            .iter()
            .flat_map(|h| [2, 1, 2, 1, 1].map(|w| w * h))
            .collect();
        assert_eq!(cells, expected);
    }

    #[test]
    fn compass_gridworld_carries_eight_named_actions_and_its_true_weights() {
        let params = GridworldParams {
            size: 5,
            actions: GridActions::Compass,
            slip: 0.2,
            features: GridFeatures::Regions {
                columns: 5,
                rows: 4,
            },
            reward_density: 0.2,
        };
        let world = gridworld(&params, 9).unwrap();
        let mdp = &world.mdp;
        assert_eq!((mdp.n_states(), mdp.n_actions()), (25, 8));
        assert_eq!(mdp.action_names().unwrap()[1], "northeast");
        assert_eq!(mdp.action_names().unwrap()[7], "southeast");
        // 4 corners × 16 + 12 edge cells × 20 + 9 interior cells × 24.
        assert_eq!(mdp.transitions().nnz(), 64 + 240 + 216);
        assert_eq!(mdp.features().dim(), 20);
        assert_eq!(params.n_features(), 20);
        let theta = gridworld_true_weights(&params, 9).unwrap();
        assert_eq!(theta, world.true_weights.weights);
        assert_eq!(theta.iter().filter(|w| **w != 0.0).count(), 4);
        assert_eq!(&gridworld_mdp(&params).unwrap(), mdp);
    }

    #[test]
    fn action_sets_by_count() {
        for (n, actions) in [
            (4, GridActions::Cardinal),
            (5, GridActions::CardinalAndStay),
            (8, GridActions::Compass),
        ] {
            assert_eq!(GridActions::from_count(n).unwrap(), actions);
            assert_eq!(actions.n_actions(), n);
            assert_eq!(actions.transitions(3, 0.2).unwrap().n_actions(), n);
        }
        let e = GridActions::from_count(6).unwrap_err().to_string();
        assert!(
            e.contains("`actions`") && e.contains("4 (E, W, N, S)"),
            "{e}"
        );
    }

    #[test]
    fn true_weights_are_sparse_positive_and_give_the_true_reward() {
        let params = GridworldParams {
            size: 8,
            features: GridFeatures::Blocks { block: 2 },
            reward_density: 0.25,
            ..Default::default()
        };
        let world = gridworld(&params, 3).unwrap();
        let theta = &world.true_weights.weights;
        assert_eq!(theta.len(), 16);
        assert_eq!(theta.iter().filter(|w| **w != 0.0).count(), 4);
        assert!(theta.iter().all(|w| (0.0..=1.0).contains(w)));
        // Cell (5, 2) = state 21 lies in block (2, 1) = feature 6.
        assert_eq!(world.true_reward[21], theta[6]);
        assert_eq!(world.true_weights.feature_names[6], "block_x2_y1");
        world
            .true_weights
            .check_against(world.mdp.features())
            .unwrap();
        assert_eq!(world.mdp.action_names().unwrap()[4], "stay");
        assert_eq!(world.mdp.initial()[0], 1.0 / 64.0);
    }

    #[test]
    fn same_seed_same_world_other_seed_other_weights() {
        let params = GridworldParams {
            size: 6,
            features: GridFeatures::OneHot,
            reward_density: 0.2,
            ..Default::default()
        };
        let a = gridworld(&params, 11).unwrap();
        assert_eq!(a, gridworld(&params, 11).unwrap());
        let b = gridworld(&params, 12).unwrap();
        assert_ne!(a.true_weights, b.true_weights);
        assert_eq!(a.mdp.transitions(), b.mdp.transitions());
    }

    #[test]
    fn bad_parameters_are_named() {
        let bad = |params: GridworldParams, name: &str| {
            let e = gridworld(&params, 0).unwrap_err().to_string();
            assert!(e.contains(&format!("`{name}`")), "{e}");
        };
        let ok = GridworldParams::default();
        bad(
            GridworldParams {
                size: 0,
                ..ok.clone()
            },
            "size",
        );
        bad(
            GridworldParams {
                slip: 1.5,
                ..ok.clone()
            },
            "slip",
        );
        bad(
            GridworldParams {
                features: GridFeatures::Blocks { block: 11 },
                ..ok.clone()
            },
            "block",
        );
        bad(
            GridworldParams {
                reward_density: 0.0,
                ..ok.clone()
            },
            "reward_density",
        );
        bad(
            GridworldParams {
                features: GridFeatures::Regions {
                    columns: 11,
                    rows: 2,
                },
                ..ok.clone()
            },
            "columns",
        );
        bad(
            GridworldParams {
                features: GridFeatures::Regions {
                    columns: 2,
                    rows: 0,
                },
                ..ok.clone()
            },
            "rows",
        );
        bad(
            GridworldParams {
                size: 1024,
                features: GridFeatures::Coords,
                ..ok
            },
            "size",
        );
    }
}
