//! Objectworld, the benchmark of Levine, Popović and Koltun, "Nonlinear inverse
//! reinforcement learning with Gaussian processes" (NIPS 2011), whose true reward is not
//! linear in the features a learner is given.
//!
//! **Grid and dynamics.** An n×n grid (state y·n + x) with the five actions east, west,
//! north, south, stay (the action order of [`GRID_ACTION_NAMES`](super::GRID_ACTION_NAMES)).
//! The intended outcome happens with probability p, each of the other four outcomes (stay
//! included) with probability (1 − p)/4; a move off the grid stays in place. This is the
//! gridworld with `stay` and slip 1 − p.
//!
//! **Objects.** Each cell, visited in state order, holds an object with probability
//! `object_probability`; an object has an inner colour uniform in 0..C1 and an outer
//! colour uniform in 0..C2 (drawn in that order after the placement draw). Levine's code
//! places objects in rounds of two inner colours; for C1 = 2 that is the same distribution.
//! [`objectworld_from_objects`] builds the world from an explicit object list instead.
//!
//! **Distances.** d_inner,c(s) (d_outer,c(s)) is the Euclidean distance, in cells, from
//! s to the nearest object of inner (outer) colour c, objects on s included (distance 0).
//! A colour without any object has distance n·√2, larger than any distance on the grid
//! (the convention of Levine's code, `sqrt(2·n²)`).
//!
//! **Features.** `Continuous`: the C1 + C2 distances, named `inner{c}_distance`,
//! `outer{c}_distance`. `Discrete`: for d = 1..n−1 (outer loop) and each inner colour then
//! each outer colour, the indicator [distance < d], named `inner{c}_closer_than_{d}`,
//! `outer{c}_closer_than_{d}`: (C1 + C2)(n − 1) features, in the column order of Levine's
//! code.
//!
//! **True reward.** With the paper's "colour 1" and "colour 2" being inner colours 0 and 1
//! here: r*(s) = +5 if d_inner,0(s) < 3 and d_inner,1(s) < 2; −10 if d_inner,0(s) < 3
//! otherwise; 0 else. The comparisons are strict, as in the reward tree of Levine's code
//! (it tests the discrete features "distance < 3" of primary colour 1 and "distance < 2"
//! of primary colour 2, scaled by 5 with leaves +1, −2, 0). This reward is not linear in
//! either feature set, so [`World::true_features`] are one-hot state features and the true
//! weights are θ*_s = r*(s); [`World::true_mdp`] gives the MDP with those features.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::gridworld::{grid_transitions, GRID_ACTION_NAMES};
use super::{check_feature_table, check_probability, World};
use crate::error::{Error, Result};
use crate::mdp::{FeatureTable, Features, Grid, Mdp, MdpParts};

/// Largest side of a generated objectworld (distances are found by comparing every
/// cell with every object, O(n⁴·object_probability) work).
pub const MAX_OBJECTWORLD_SIZE: usize = 256;

/// Reward near inner colours 0 and 1.
const NEAR_BOTH_REWARD: f64 = 5.0;
/// Reward near inner colour 0 but not inner colour 1.
const NEAR_FIRST_ONLY_REWARD: f64 = -10.0;
/// "Near inner colour 0": distance strictly below this.
const FIRST_COLOUR_RADIUS: f64 = 3.0;
/// "Near inner colour 1": distance strictly below this.
const SECOND_COLOUR_RADIUS: f64 = 2.0;

/// Which features an objectworld carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectFeatures {
    /// Distances to the nearest object of each colour (C1 + C2 features).
    Continuous,
    /// Indicators "distance < d", d = 1..n−1, per colour ((C1 + C2)(n − 1) features).
    Discrete,
}

/// Parameters of [`objectworld`].
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectworldParams {
    /// Side n of the grid.
    pub size: usize,
    /// Probability p that the intended outcome happens.
    pub move_probability: f64,
    /// Probability that a cell holds an object.
    pub object_probability: f64,
    /// Number of inner colours C1 (at least 2: the reward refers to colours 0 and 1).
    pub inner_colours: usize,
    /// Number of outer colours C2.
    pub outer_colours: usize,
    pub features: ObjectFeatures,
}

impl Default for ObjectworldParams {
    /// The paper's setting: 32×32, p = 0.7, objects with probability 0.05, C1 = C2 = 2,
    /// discrete features.
    fn default() -> Self {
        Self {
            size: 32,
            move_probability: 0.7,
            object_probability: 0.05,
            inner_colours: 2,
            outer_colours: 2,
            features: ObjectFeatures::Discrete,
        }
    }
}

impl ObjectworldParams {
    /// Check every parameter's range.
    pub fn check(&self) -> Result<()> {
        if !(2..=MAX_OBJECTWORLD_SIZE).contains(&self.size) {
            return Err(Error::param(
                "size",
                format!("{} is not in 2..={MAX_OBJECTWORLD_SIZE}", self.size),
            ));
        }
        check_probability("move_probability", self.move_probability)?;
        check_probability("object_probability", self.object_probability)?;
        if !(2..=64).contains(&self.inner_colours) {
            return Err(Error::param(
                "inner_colours",
                format!(
                    "{} is not in 2..=64 (the reward refers to inner colours 0 and 1)",
                    self.inner_colours
                ),
            ));
        }
        if !(1..=64).contains(&self.outer_colours) {
            return Err(Error::param(
                "outer_colours",
                format!("{} is not in 1..=64", self.outer_colours),
            ));
        }
        check_feature_table("size", self.size * self.size, self.n_features())
    }

    fn n_colours(&self) -> usize {
        self.inner_colours + self.outer_colours
    }

    fn n_features(&self) -> usize {
        match self.features {
            ObjectFeatures::Continuous => self.n_colours(),
            ObjectFeatures::Discrete => self.n_colours() * (self.size - 1),
        }
    }
}

/// An object in cell (x, y) with 0-based inner and outer colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Object {
    pub x: usize,
    pub y: usize,
    pub inner: usize,
    pub outer: usize,
}

/// Place objects at random, reproducibly from `seed` (see the module doc).
pub fn place_objects(params: &ObjectworldParams, seed: u64) -> Result<Vec<Object>> {
    params.check()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut objects = Vec::new();
    for y in 0..params.size {
        for x in 0..params.size {
            if rng.random::<f64>() < params.object_probability {
                let inner = rng.random_range(0..params.inner_colours);
                let outer = rng.random_range(0..params.outer_colours);
                objects.push(Object { x, y, inner, outer });
            }
        }
    }
    Ok(objects)
}

/// Generate an objectworld reproducibly from `seed`.
///
/// # Example
/// ```
/// use irl::worlds::{objectworld, ObjectworldParams};
/// let params = ObjectworldParams { size: 8, ..Default::default() };
/// let world = objectworld(&params, 1).unwrap();
/// assert_eq!(world.mdp.features().dim(), 4 * 7);
/// assert_eq!(world.true_weights.weights, world.true_reward);
/// ```
pub fn objectworld(params: &ObjectworldParams, seed: u64) -> Result<World> {
    objectworld_from_objects(params, &place_objects(params, seed)?)
}

/// Build the objectworld of `params` with the given objects (at most one per cell).
pub fn objectworld_from_objects(params: &ObjectworldParams, objects: &[Object]) -> Result<World> {
    let distances = ObjectDistances::new(params, objects)?;
    let n = params.size;
    let n_states = n * n;
    let n_colours = params.n_colours();
    let features = match params.features {
        ObjectFeatures::Continuous => {
            let names = colour_names(params).map(|c| format!("{c}_distance"));
            Features::new(
                names.collect(),
                FeatureTable::State(distances.table.clone()),
            )?
        }
        ObjectFeatures::Discrete => {
            let mut values = Array2::zeros((n_states, params.n_features()));
            for s in 0..n_states {
                for d in 1..n {
                    for c in 0..n_colours {
                        if distances.table[[s, c]] < d as f64 {
                            values[[s, (d - 1) * n_colours + c]] = 1.0;
                        }
                    }
                }
            }
            let names = (1..n)
                .flat_map(|d| colour_names(params).map(move |c| format!("{c}_closer_than_{d}")));
            Features::new(names.collect(), FeatureTable::State(values))?
        }
    };
    let mdp = Mdp::new(MdpParts {
        transitions: grid_transitions(n, true, 1.0 - params.move_probability)?,
        initial: None,
        terminal: vec![],
        features,
        action_names: Some(GRID_ACTION_NAMES.iter().map(|a| a.to_string()).collect()),
        grid: Some(Grid::new(n, n)),
    })?;
    Ok(World::per_state(mdp, distances.reward()))
}

/// The true reward r*(s) of the objectworld with these objects.
pub fn objectworld_reward(params: &ObjectworldParams, objects: &[Object]) -> Result<Vec<f64>> {
    Ok(ObjectDistances::new(params, objects)?.reward())
}

/// `inner0, inner1, …, outer0, …`: the colour part of feature names, in column order.
fn colour_names(params: &ObjectworldParams) -> impl Iterator<Item = String> + Clone + '_ {
    (0..params.inner_colours)
        .map(|c| format!("inner{c}"))
        .chain((0..params.outer_colours).map(|c| format!("outer{c}")))
}

/// Distances to the nearest object of each colour: S rows, inner colours then outer.
struct ObjectDistances {
    table: Array2<f64>,
}

impl ObjectDistances {
    fn new(params: &ObjectworldParams, objects: &[Object]) -> Result<Self> {
        params.check()?;
        let n = params.size;
        let mut occupied = vec![usize::MAX; n * n];
        for (i, o) in objects.iter().enumerate() {
            let place = |what: String| Error::param("objects", format!("objects[{i}]: {what}"));
            if o.x >= n || o.y >= n {
                return Err(place(format!(
                    "cell ({}, {}) is outside the {n}×{n} grid",
                    o.x, o.y
                )));
            }
            if o.inner >= params.inner_colours || o.outer >= params.outer_colours {
                return Err(place(format!(
                    "colours (inner {}, outer {}) are not below ({}, {})",
                    o.inner, o.outer, params.inner_colours, params.outer_colours
                )));
            }
            let cell = &mut occupied[o.y * n + o.x];
            if *cell != usize::MAX {
                return Err(place(format!(
                    "cell ({}, {}) already holds objects[{}]",
                    o.x, o.y, *cell
                )));
            }
            *cell = i;
        }
        let n_colours = params.n_colours();
        let absent_squared = 2.0 * (n * n) as f64;
        let mut table = Array2::from_elem((n * n, n_colours), absent_squared);
        for (s, mut row) in table.outer_iter_mut().enumerate() {
            let (x, y) = ((s % n) as f64, (s / n) as f64);
            for o in objects {
                let squared = (o.x as f64 - x).powi(2) + (o.y as f64 - y).powi(2);
                for c in [o.inner, params.inner_colours + o.outer] {
                    row[c] = row[c].min(squared);
                }
            }
        }
        table.mapv_inplace(f64::sqrt);
        Ok(Self { table })
    }

    fn reward(&self) -> Vec<f64> {
        self.table
            .outer_iter()
            .map(
                |d| match (d[0] < FIRST_COLOUR_RADIUS, d[1] < SECOND_COLOUR_RADIUS) {
                    (true, true) => NEAR_BOTH_REWARD,
                    (true, false) => NEAR_FIRST_ONLY_REWARD,
                    _ => 0.0,
                },
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(features: ObjectFeatures) -> ObjectworldParams {
        ObjectworldParams {
            size: 5,
            features,
            ..Default::default()
        }
    }

    // 5×5, state y·5 + x. A = (1, 1) inner 0 outer 0; B = (3, 2) inner 1 outer 0;
    // no object of outer colour 1.
    fn hand_objects() -> Vec<Object> {
        vec![
            Object {
                x: 1,
                y: 1,
                inner: 0,
                outer: 0,
            },
            Object {
                x: 3,
                y: 2,
                inner: 1,
                outer: 0,
            },
        ]
    }

    #[test]
    fn continuous_features_are_the_hand_computed_distances() {
        let world =
            objectworld_from_objects(&params(ObjectFeatures::Continuous), &hand_objects()).unwrap();
        let f = world.mdp.features();
        assert_eq!(
            f.names(),
            [
                "inner0_distance",
                "inner1_distance",
                "outer0_distance",
                "outer1_distance"
            ]
        );
        let absent = 5.0 * 2f64.sqrt();
        // (state, [d_inner0, d_inner1, d_outer0, d_outer1])
        let cases = [
            (7, [1.0, 2f64.sqrt(), 1.0, absent]),                   // (2, 1)
            (0, [2f64.sqrt(), 13f64.sqrt(), 2f64.sqrt(), absent]),  // (0, 0)
            (24, [18f64.sqrt(), 5f64.sqrt(), 5f64.sqrt(), absent]), // (4, 4)
            (13, [5f64.sqrt(), 0.0, 0.0, absent]),                  // (3, 2), on B
        ];
        for (s, expected) in cases {
            for (k, e) in expected.iter().enumerate() {
                assert!((f.get(s, 0, k) - e).abs() < 1e-12, "state {s}, feature {k}");
            }
        }
    }

    #[test]
    fn discrete_features_are_strict_distance_thresholds() {
        let world =
            objectworld_from_objects(&params(ObjectFeatures::Discrete), &hand_objects()).unwrap();
        let f = world.mdp.features();
        assert_eq!(f.dim(), 16);
        assert_eq!(f.names()[0], "inner0_closer_than_1");
        assert_eq!(f.names()[5], "inner1_closer_than_2");
        assert_eq!(f.names()[15], "outer1_closer_than_4");
        let column = |name: &str| f.names().iter().position(|n| n == name).unwrap();
        let value = |s: usize, name: &str| f.get(s, 0, column(name));
        // State 7: d_inner0 = 1 → not < 1, < 2; d_inner1 = √2 → < 2, not < 1.
        assert_eq!(value(7, "inner0_closer_than_1"), 0.0);
        assert_eq!(value(7, "inner0_closer_than_2"), 1.0);
        assert_eq!(value(7, "inner1_closer_than_1"), 0.0);
        assert_eq!(value(7, "inner1_closer_than_2"), 1.0);
        // State 13 is on B: d_inner1 = 0 < 1; d_inner0 = √5 ≈ 2.24 < 3 but not < 2.
        assert_eq!(value(13, "inner1_closer_than_1"), 1.0);
        assert_eq!(value(13, "inner0_closer_than_2"), 0.0);
        assert_eq!(value(13, "inner0_closer_than_3"), 1.0);
        // State 9 = (4, 1): d_inner0 = 3 exactly → not < 3, < 4.
        assert_eq!(value(9, "inner0_closer_than_3"), 0.0);
        assert_eq!(value(9, "inner0_closer_than_4"), 1.0);
        // No object of outer colour 1: every indicator is 0.
        assert!(
            (0..25).all(|s| (1..5).all(|d| value(s, &format!("outer1_closer_than_{d}")) == 0.0))
        );
    }

    #[test]
    fn true_reward_follows_the_two_colour_rule() {
        let reward =
            objectworld_reward(&params(ObjectFeatures::Discrete), &hand_objects()).unwrap();
        // (state, reward): see the distances above.
        let cases = [
            (7, 5.0),    // d0 = 1, d1 = √2
            (18, 5.0),   // (3, 3): d0 = √8 ≈ 2.83, d1 = 1
            (13, 5.0),   // on B: d0 = √5, d1 = 0
            (0, -10.0),  // d0 = √2, d1 = √13
            (16, -10.0), // (1, 3): d0 = 2, d1 = √5 ≈ 2.24 (not < 2)
            (9, 0.0),    // (4, 1): d0 = 3, not < 3
            (21, 0.0),   // (1, 4): d0 = 3
            (24, 0.0),   // d0 = √18
        ];
        for (s, r) in cases {
            assert_eq!(reward[s], r, "state {s}");
        }
        let world =
            objectworld_from_objects(&params(ObjectFeatures::Continuous), &hand_objects()).unwrap();
        assert_eq!(world.true_reward, reward);
        assert_eq!(world.true_weights.weights, reward);
        assert_eq!(world.true_weights.feature_names[3], "s3");
        let onehot = world.true_mdp().unwrap();
        let r = onehot
            .features()
            .reward(world.true_weights.theta().view(), 5);
        assert_eq!(r.values(), reward.as_slice());
    }

    #[test]
    fn dynamics_follow_the_intended_move_with_probability_p() {
        let world =
            objectworld_from_objects(&params(ObjectFeatures::Continuous), &hand_objects()).unwrap();
        let t = world.mdp.transitions();
        // Centre (2, 2) = 12, east: 13 with 0.7; 11, 17, 7, 12 with 0.075 each.
        let (next, p) = t.successors(12, 0);
        let got: Vec<(u32, f64)> = next.iter().copied().zip(p.iter().copied()).collect();
        let expected = [(7, 0.075), (11, 0.075), (12, 0.075), (13, 0.7), (17, 0.075)];
        for ((n, p), (m, q)) in got.iter().zip(expected) {
            assert_eq!(*n, m);
            assert!((p - q).abs() < 1e-15);
        }
        assert_eq!(world.mdp.action_names().unwrap()[4], "stay");
    }

    #[test]
    fn placement_is_reproducible_and_has_the_right_density() {
        let p = ObjectworldParams::default();
        let a = place_objects(&p, 5).unwrap();
        assert_eq!(a, place_objects(&p, 5).unwrap());
        assert_ne!(a, place_objects(&p, 6).unwrap());
        assert_eq!(
            objectworld(&p, 5).unwrap(),
            objectworld_from_objects(&p, &a).unwrap()
        );
        // 20 worlds of 1024 cells: mean count 51.2, standard error of the mean ≈ 1.6.
        let counts: Vec<usize> = (0..20)
            .map(|s| place_objects(&p, s).unwrap().len())
            .collect();
        let mean = counts.iter().sum::<usize>() as f64 / 20.0;
        assert!((mean - 51.2).abs() < 5.0, "mean object count {mean}");
        let all: Vec<Object> = (0..20)
            .flat_map(|s| place_objects(&p, s).unwrap())
            .collect();
        let inner0 = all.iter().filter(|o| o.inner == 0).count() as f64 / all.len() as f64;
        let outer0 = all.iter().filter(|o| o.outer == 0).count() as f64 / all.len() as f64;
        assert!((inner0 - 0.5).abs() < 0.05 && (outer0 - 0.5).abs() < 0.05);
    }

    #[test]
    fn bad_objects_and_parameters_are_named() {
        let p = params(ObjectFeatures::Continuous);
        let error = |objects: &[Object]| {
            objectworld_from_objects(&p, objects)
                .unwrap_err()
                .to_string()
        };
        let o = Object {
            x: 1,
            y: 1,
            inner: 0,
            outer: 0,
        };
        assert!(error(&[Object { x: 5, ..o }]).contains("objects[0]"));
        assert!(error(&[o, Object { inner: 2, ..o }]).contains("objects[1]"));
        let e = error(&[o, o]);
        assert!(
            e.contains("objects[1]") && e.contains("already holds objects[0]"),
            "{e}"
        );
        let bad = |q: ObjectworldParams, name: &str| {
            let e = place_objects(&q, 0).unwrap_err().to_string();
            assert!(e.contains(&format!("`{name}`")), "{e}");
        };
        bad(
            ObjectworldParams {
                size: 1,
                ..p.clone()
            },
            "size",
        );
        bad(
            ObjectworldParams {
                move_probability: 1.2,
                ..p.clone()
            },
            "move_probability",
        );
        bad(
            ObjectworldParams {
                object_probability: -0.1,
                ..p.clone()
            },
            "object_probability",
        );
        bad(
            ObjectworldParams {
                inner_colours: 1,
                ..p.clone()
            },
            "inner_colours",
        );
        bad(
            ObjectworldParams {
                outer_colours: 0,
                ..p
            },
            "outer_colours",
        );
    }
}
