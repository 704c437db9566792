//! Reward features of the cells of a scene, built from the cells the training tracks
//! visited.
//!
//! For a scene of W × H cells of side c metres, and a set of visited cells, each cell
//! (x, y) gets, in this order:
//! - `step_cost` = 1 everywhere. Its weight is the reward of every step (negative: a
//!   cost). With terminal goals it makes shorter paths likelier; without terminals and
//!   with a fixed horizon every path collects it equally often and its weight is not
//!   identified (the L2 prior then holds it at 0).
//! - `region_<rx>_<ry>`: 1 when ⌊x/R⌋ = rx and ⌊y/R⌋ = ry, else 0, for the coarse regions
//!   of R × R cells. The region one-hots sum to 1 in every cell, so with `step_cost` they
//!   would be collinear; `region_0_0` is left out and serves as the reference (dummy
//!   coding). Together they span the same rewards as all region one-hots alone.
//! - `border_distance`: the distance from the cell's centre to the scene's edge,
//!   c·min(x + ½, W − x − ½, y + ½, H − y − ½), divided by its largest value over the
//!   scene, so it lies in (0, 1].
//! - `obstacle_distance`: the Euclidean distance from the cell's centre to the centre of
//!   the nearest never-visited cell ("obstacle"; 0 in such a cell), divided by its
//!   largest value over the scene; 0 everywhere when every cell was visited.
//!
//! The obstacle distances come from an exact Euclidean distance transform in O(W·H)
//! (Felzenszwalb and Huttenlocher, "Distance Transforms of Sampled Functions", Theory of
//! Computing 8, 2012): the squared distance separates into a pass along every column and
//! a pass along every row, each the lower envelope of parabolas (q − p)² + f(p).

use ndarray::Array2;

use super::scene::Scene;
use crate::demos::Demonstrations;
use crate::error::{quote, Error, Result};
use crate::mdp::{FeatureTable, Features};

/// Parameters of [`grid_features`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct GridFeatureParams {
    /// Side R of the coarse regions, in cells (default 4).
    pub region_size: usize,
}

impl Default for GridFeatureParams {
    fn default() -> Self {
        Self { region_size: 4 }
    }
}

/// The cells (states) that the demonstrations visit, as a mask over `n_cells` states.
pub fn visited_cells(demos: &Demonstrations, n_cells: usize) -> Result<Vec<bool>> {
    let mut visited = vec![false; n_cells];
    for traj in &demos.trajectories {
        for (t, &s) in traj.states.iter().enumerate() {
            *visited.get_mut(s).ok_or_else(|| Error::InvalidDemos {
                place: format!("trajectory {}, step {t}", quote(&traj.id)),
                message: format!("state {s} is out of range 0..{n_cells}"),
            })? = true;
        }
    }
    Ok(visited)
}

/// State features of every cell of `scene` (see the module documentation); `visited`
/// marks the cells the training tracks visited, one entry per state.
pub fn grid_features(
    scene: &Scene,
    visited: &[bool],
    params: &GridFeatureParams,
) -> Result<Features> {
    let (width, height) = (scene.width, scene.height);
    if visited.len() != scene.n_cells() {
        return Err(Error::param(
            "visited",
            format!(
                "has {} entries, expected one per cell ({width}×{height} = {})",
                visited.len(),
                scene.n_cells()
            ),
        ));
    }
    let r = params.region_size;
    if r == 0 {
        return Err(Error::param(
            "region_size",
            "regions need at least one cell",
        ));
    }
    let (regions_x, regions_y) = (width.div_ceil(r), height.div_ceil(r));
    let mut names = vec!["step_cost".to_string()];
    for ry in 0..regions_y {
        for rx in 0..regions_x {
            if (rx, ry) != (0, 0) {
                names.push(format!("region_{rx}_{ry}"));
            }
        }
    }
    let border_col = names.len();
    names.push("border_distance".into());
    names.push("obstacle_distance".into());

    let border: Vec<f64> = (0..scene.n_cells())
        .map(|s| {
            let c = scene.cell_of_state(s);
            let (x, y) = (c.x as f64 + 0.5, c.y as f64 + 0.5);
            scene.cell * x.min(width as f64 - x).min(y).min(height as f64 - y)
        })
        .collect();
    let obstacles: Vec<bool> = visited.iter().map(|v| !v).collect();
    let obstacle: Vec<f64> = euclidean_distance_transform(width, height, &obstacles)
        .into_iter()
        .map(|d2| d2.sqrt() * scene.cell)
        .collect();

    let mut values = Array2::zeros((scene.n_cells(), names.len()));
    let border_max = max_finite(&border);
    let obstacle_max = max_finite(&obstacle);
    for s in 0..scene.n_cells() {
        let c = scene.cell_of_state(s);
        values[[s, 0]] = 1.0;
        let region = (c.y / r) * regions_x + c.x / r;
        if region > 0 {
            values[[s, region]] = 1.0;
        }
        values[[s, border_col]] = border[s] / border_max;
        values[[s, border_col + 1]] = if obstacle_max > 0.0 {
            obstacle[s] / obstacle_max
        } else {
            0.0
        };
    }
    Features::new(names, FeatureTable::State(values))
}

fn max_finite(values: &[f64]) -> f64 {
    values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
}

/// Squared Euclidean distance, in cells, from every cell of a `width` × `height` grid
/// (row-major, index y·width + x) to the nearest cell with `site` set; +∞ everywhere when
/// no cell is a site.
///
/// Complexity: O(width·height) time, O(width + height) extra memory beyond the output.
///
/// # Panics
/// When `site` does not have width·height entries.
pub fn euclidean_distance_transform(width: usize, height: usize, site: &[bool]) -> Vec<f64> {
    assert_eq!(site.len(), width * height, "one site flag per cell");
    let mut d2: Vec<f64> = site
        .iter()
        .map(|&s| if s { 0.0 } else { f64::INFINITY })
        .collect();
    let mut envelope = LowerEnvelope::default();
    let mut line = vec![0.0; width.max(height)];
    let mut out = vec![0.0; width.max(height)];
    for x in 0..width {
        for y in 0..height {
            line[y] = d2[y * width + x];
        }
        envelope.transform(&line[..height], &mut out[..height]);
        for y in 0..height {
            d2[y * width + x] = out[y];
        }
    }
    for row in d2.chunks_exact_mut(width) {
        envelope.transform(row, &mut out[..width]);
        row.copy_from_slice(&out[..width]);
    }
    d2
}

/// Scratch space for the one-dimensional transform d(q) = min_p (q − p)² + f(p).
#[derive(Default)]
struct LowerEnvelope {
    /// Positions p of the parabolas in the lower envelope, left to right.
    apex: Vec<usize>,
    /// `start[k]`: where parabola `apex[k]` starts to be the lowest.
    start: Vec<f64>,
}

impl LowerEnvelope {
    /// `out[q] = min_p (q − p)² + f[p]` over the p with finite f; +∞ when there is none.
    fn transform(&mut self, f: &[f64], out: &mut [f64]) {
        self.apex.clear();
        self.start.clear();
        for (q, &fq) in f.iter().enumerate() {
            if !fq.is_finite() {
                continue;
            }
            let qf = q as f64;
            loop {
                let Some(&p) = self.apex.last() else {
                    self.apex.push(q);
                    self.start.push(f64::NEG_INFINITY);
                    break;
                };
                let pf = p as f64;
                let meet = ((fq + qf * qf) - (f[p] + pf * pf)) / (2.0 * (qf - pf));
                if meet <= self.start[self.start.len() - 1] {
                    self.apex.pop();
                    self.start.pop();
                } else {
                    self.apex.push(q);
                    self.start.push(meet);
                    break;
                }
            }
        }
        if self.apex.is_empty() {
            out.fill(f64::INFINITY);
            return;
        }
        let mut k = 0;
        for (q, value) in out.iter_mut().enumerate() {
            let qf = q as f64;
            while k + 1 < self.apex.len() && self.start[k + 1] < qf {
                k += 1;
            }
            let p = self.apex[k];
            let offset = qf - p as f64;
            *value = offset * offset + f[p];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demos::Trajectory;
    use proptest::prelude::*;

    /// The 5 × 4 scene of 0.5 m cells with cells (0, 0) and (4, 2) never visited.
    fn hand_scene() -> (Scene, Vec<bool>) {
        let scene = Scene::new(0.0, 0.0, 0.5, 5, 4).unwrap();
        let mut visited = vec![true; 20];
        visited[0] = false;
        visited[2 * 5 + 4] = false;
        (scene, visited)
    }

    #[test]
    fn feature_names_follow_the_regions() {
        let (scene, visited) = hand_scene();
        let f = grid_features(&scene, &visited, &GridFeatureParams { region_size: 2 }).unwrap();
        assert_eq!(
            f.names(),
            &[
                "step_cost",
                "region_1_0",
                "region_2_0",
                "region_0_1",
                "region_1_1",
                "region_2_1",
                "border_distance",
                "obstacle_distance"
            ]
        );
    }

    #[test]
    fn feature_values_on_a_hand_built_scene() {
        let (scene, visited) = hand_scene();
        let f = grid_features(&scene, &visited, &GridFeatureParams { region_size: 2 }).unwrap();
        let row = |x: usize, y: usize| -> Vec<f64> {
            (0..f.dim()).map(|k| f.get(y * 5 + x, 0, k)).collect()
        };
        // Border distances in cells: min(x + ½, 4.5 − x, y + ½, 3.5 − y); largest 1.5.
        // Obstacle distances in cells to (0, 0) or (4, 2); largest √10 at (1, 3).
        let s10 = 10f64.sqrt();
        let expected = [
            // (x, y), region one-hots (1_0, 2_0, 0_1, 1_1, 2_1), border, obstacle
            ((0, 0), [0., 0., 0., 0., 0.], 0.5 / 1.5, 0.0),
            ((2, 1), [1., 0., 0., 0., 0.], 1.0, 5f64.sqrt() / s10),
            ((3, 0), [1., 0., 0., 0., 0.], 0.5 / 1.5, 5f64.sqrt() / s10),
            ((4, 0), [0., 1., 0., 0., 0.], 0.5 / 1.5, 2.0 / s10),
            ((0, 3), [0., 0., 1., 0., 0.], 0.5 / 1.5, 3.0 / s10),
            ((1, 3), [0., 0., 1., 0., 0.], 0.5 / 1.5, 1.0),
            ((1, 2), [0., 0., 1., 0., 0.], 1.0, 5f64.sqrt() / s10),
            ((3, 2), [0., 0., 0., 1., 0.], 1.0, 1.0 / s10),
            ((4, 2), [0., 0., 0., 0., 1.], 0.5 / 1.5, 0.0),
            ((4, 3), [0., 0., 0., 0., 1.], 0.5 / 1.5, 1.0 / s10),
        ];
        for ((x, y), regions, border, obstacle) in expected {
            let got = row(x, y);
            let mut want = vec![1.0];
            want.extend(regions);
            want.extend([border, obstacle]);
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() < 1e-12,
                    "cell ({x}, {y}): {got:?} != {want:?}"
                );
            }
        }
    }

    #[test]
    fn fully_visited_scene_has_no_obstacle_signal() {
        let scene = Scene::new(0.0, 0.0, 1.0, 3, 3).unwrap();
        let f = grid_features(&scene, &[true; 9], &GridFeatureParams::default()).unwrap();
        assert_eq!(
            f.names(),
            &["step_cost", "border_distance", "obstacle_distance"]
        );
        assert!((0..9).all(|s| f.get(s, 0, 2) == 0.0));
        assert_eq!(f.get(4, 0, 1), 1.0);
        assert_eq!(f.get(0, 0, 1), 1.0 / 3.0);
    }

    #[test]
    fn bad_inputs_are_rejected() {
        let (scene, visited) = hand_scene();
        assert!(grid_features(&scene, &visited[..19], &GridFeatureParams::default()).is_err());
        assert!(grid_features(&scene, &visited, &GridFeatureParams { region_size: 0 }).is_err());
    }

    #[test]
    fn visited_cells_from_demonstrations() {
        let demos = Demonstrations::new(vec![Trajectory {
            id: "a".into(),
            states: vec![1, 2, 2],
            actions: vec![0, 4],
        }]);
        assert_eq!(
            visited_cells(&demos, 4).unwrap(),
            vec![false, true, true, false]
        );
        let e = visited_cells(&demos, 2).unwrap_err().to_string();
        assert!(e.contains("trajectory a, step 1"), "{e}");
    }

    proptest! {
        #[test]
        fn distance_transform_matches_brute_force(
            width in 1usize..9,
            height in 1usize..9,
            seed in proptest::collection::vec(any::<bool>(), 64),
            sparse in any::<bool>(),
        ) {
            // Sparse sites: keep one in four of the drawn ones.
            let site: Vec<bool> = (0..width * height)
                .map(|i| seed[i] && (!sparse || i % 4 == 0))
                .collect();
            let d2 = euclidean_distance_transform(width, height, &site);
            for (s, &d) in d2.iter().enumerate() {
                let (x, y) = ((s % width) as f64, (s / width) as f64);
                let brute = (0..width * height)
                    .filter(|&t| site[t])
                    .map(|t| {
                        let (u, v) = ((t % width) as f64, (t / width) as f64);
                        (x - u).powi(2) + (y - v).powi(2)
                    })
                    .fold(f64::INFINITY, f64::min);
                prop_assert_eq!(d, brute);
            }
        }
    }
}
