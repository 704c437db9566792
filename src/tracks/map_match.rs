//! Map matching: the lattice path nearest to a sequence of positions (Viterbi).
//!
//! For positions p_0 … p_n (metres, one per time step) on a scene with a kinematic
//! [`Lattice`], the path is the sequence of lattice states (c_t, d_t) that minimises
//! Σ_t |p_t − centre(c_t)|² subject to the lattice's dynamics: d_t = c_t − c_{t−1} and
//! d_t reachable from d_{t−1} by one lattice action. The candidates for c_t are the cell
//! of p_t and its eight neighbours (inside the scene); d_0 is free, and is then set to
//! d_1 (the walker arrives with the velocity of its first step; 0 for a single
//! position), which keeps the path's cost and its dynamics. The minimum is exact
//! over those candidates, by dynamic programming over (candidate, displacement) with back
//! pointers: O(n · 9² · V) time for V displacements.
//!
//! A step may also be a `pause` (stay in the cell, keep d ≠ 0). Paths of equal distance
//! are told apart by tiny costs, far below any difference of positions: [`PAUSE_COST`]
//! per pause and [`STOP_COST`] per change between moving and standing (a stop, a start).
//! With 1 < PAUSE_COST/STOP_COST < 2, a single step without a move inside a walk is a
//! pause, and two or more are a stop, standing, and a start.
//!
//! Where no candidate of p_t can follow any path to p_{t−1} (the walker moved further than
//! the lattice allows in one step), the path is split: one piece ends at t − 1 and the
//! next starts at t.

use super::scene::{Cell, Scene};
use crate::mdp::{Lattice, PAUSE_ACTION};

/// The tie-breaking cost of a change between moving and standing, m².
pub const STOP_COST: f64 = 1e-9;

/// The tie-breaking cost of a pause, m².
pub const PAUSE_COST: f64 = 1.5e-9;

/// One matched piece of a track.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedPiece {
    /// Index of the piece's first position in the input.
    pub first: usize,
    /// Lattice states c·V + v, one per position of the piece.
    pub states: Vec<usize>,
    /// The actions between consecutive states.
    pub actions: Vec<usize>,
}

/// The candidate cells of a position: its cell and the neighbours inside the scene, each
/// with its squared distance to the position.
fn candidates(scene: &Scene, (x, y): (f64, f64), centre: Cell) -> Vec<(Cell, f64)> {
    let mut out = Vec::with_capacity(9);
    for dy in -1i64..=1 {
        for dx in -1i64..=1 {
            let (cx, cy) = (centre.x as i64 + dx, centre.y as i64 + dy);
            if cx < 0 || cy < 0 || cx >= scene.width as i64 || cy >= scene.height as i64 {
                continue;
            }
            let cell = Cell {
                x: cx as usize,
                y: cy as usize,
            };
            let (mx, my) = scene.centre(cell);
            out.push((cell, (x - mx).powi(2) + (y - my).powi(2)));
        }
    }
    out
}

/// Match positions (each inside `scene`, with `cells[t]` its cell) to lattice paths.
pub fn map_match(
    positions: &[(f64, f64)],
    cells: &[Cell],
    scene: &Scene,
    lattice: Lattice,
) -> Vec<MatchedPiece> {
    let n_v = lattice.n_displacements();
    let zero = lattice.index(0, 0).expect("zero is a displacement");
    let mut reachable = vec![None; n_v * n_v];
    for u in 0..n_v {
        for v in 0..n_v {
            reachable[u * n_v + v] =
                lattice.action(lattice.displacement(u), lattice.displacement(v));
        }
    }
    let change_cost = |u: usize, v: usize| {
        if (u == zero) != (v == zero) {
            STOP_COST
        } else {
            0.0
        }
    };
    let mut pieces = Vec::new();
    let mut first = 0;
    // Per step of the current piece: candidates, and per (candidate, v) the back pointer.
    let mut cands: Vec<Vec<(Cell, f64)>> = Vec::new();
    let mut back: Vec<Vec<u32>> = Vec::new();
    let mut cost: Vec<f64> = Vec::new();
    for t in 0..positions.len() {
        let here = candidates(scene, positions[t], cells[t]);
        let mut next_cost = vec![f64::INFINITY; here.len() * n_v];
        let mut next_back = vec![u32::MAX; here.len() * n_v];
        if let Some(prev) = cands.last() {
            for (j, &(from, _)) in prev.iter().enumerate() {
                for (i, &(to, dist)) in here.iter().enumerate() {
                    let d = (to.x as i64 - from.x as i64, to.y as i64 - from.y as i64);
                    let Some(v) = lattice.index(d.0, d.1) else {
                        continue;
                    };
                    let mut relax = |u: usize, v: usize, extra: f64| {
                        let total = cost[j * n_v + u] + dist + extra;
                        if total < next_cost[i * n_v + v] {
                            next_cost[i * n_v + v] = total;
                            next_back[i * n_v + v] = (j * n_v + u) as u32;
                        }
                    };
                    for u in 0..n_v {
                        if cost[j * n_v + u].is_finite() && reachable[u * n_v + v].is_some() {
                            relax(u, v, change_cost(u, v));
                        }
                    }
                    if v == zero {
                        for u in (0..n_v).filter(|&u| u != zero) {
                            if cost[j * n_v + u].is_finite() {
                                relax(u, u, PAUSE_COST);
                            }
                        }
                    }
                }
            }
        }
        if next_cost.iter().all(|c| c.is_infinite()) {
            if !cands.is_empty() {
                pieces.push(backtrack(
                    first, &cands, &back, &cost, scene, lattice, &reachable,
                ));
            }
            first = t;
            cands.clear();
            back.clear();
            for (i, &(_, dist)) in here.iter().enumerate() {
                next_cost[i * n_v..(i + 1) * n_v].fill(dist);
            }
        }
        cands.push(here);
        back.push(next_back);
        cost = next_cost;
    }
    if !cands.is_empty() {
        pieces.push(backtrack(
            first, &cands, &back, &cost, scene, lattice, &reachable,
        ));
    }
    pieces
}

/// Follow the back pointers from the cheapest final (candidate, displacement).
fn backtrack(
    first: usize,
    cands: &[Vec<(Cell, f64)>],
    back: &[Vec<u32>],
    cost: &[f64],
    scene: &Scene,
    lattice: Lattice,
    reachable: &[Option<usize>],
) -> MatchedPiece {
    let n_v = lattice.n_displacements();
    let mut at = (0..cost.len())
        .min_by(|&a, &b| cost[a].total_cmp(&cost[b]))
        .expect("a step has candidates");
    let mut states = vec![0; cands.len()];
    for t in (0..cands.len()).rev() {
        let (i, v) = (at / n_v, at % n_v);
        states[t] = scene.state(cands[t][i].0) * n_v + v;
        if t > 0 {
            at = back[t][at] as usize;
        }
    }
    // The first displacement is free in the minimisation (every choice costs the same);
    // take it as the first step's, so the walker arrives with the velocity it keeps.
    let first_v = match states.get(1) {
        Some(&s1) => s1 % n_v,
        None => lattice.index(0, 0).expect("zero is a displacement"),
    };
    states[0] = states[0] / n_v * n_v + first_v;
    let zero = lattice.index(0, 0).expect("zero is a displacement");
    let actions = states
        .windows(2)
        .map(|w| {
            if w[0] == w[1] && w[0] % n_v != zero {
                PAUSE_ACTION
            } else {
                reachable[(w[0] % n_v) * n_v + w[1] % n_v]
                    .expect("matched steps are lattice actions")
            }
        })
        .collect();
    MatchedPiece {
        first,
        states,
        actions,
    }
}

/// The last matched piece of `positions` on the grid of `mdp`, or `None` when a position
/// lies outside it or the grid has no position in metres. On a lattice the path is
/// map-matched; on a grid of cells the states are the positions' cells, and each action
/// is the available one that leads to the next cell (a step that no action makes starts
/// a new piece).
pub fn match_positions(mdp: &crate::Mdp, positions: &[(f64, f64)]) -> Option<MatchedPiece> {
    let grid = mdp.grid()?;
    let g = grid.geometry?;
    let scene = Scene::new(g.origin_x, g.origin_y, g.cell, grid.width, grid.height).ok()?;
    let cells: Vec<Cell> = positions
        .iter()
        .map(|&(x, y)| scene.cell_at(x, y))
        .collect::<Option<_>>()?;
    if let Some(lattice) = grid.lattice {
        return map_match(positions, &cells, &scene, lattice).pop();
    }
    let mut piece = MatchedPiece {
        first: 0,
        states: vec![scene.state(*cells.first()?)],
        actions: Vec::new(),
    };
    for (t, pair) in cells.windows(2).enumerate() {
        let (from, to) = (scene.state(pair[0]), scene.state(pair[1]));
        let action = (0..mdp.n_actions()).find(|&a| {
            mdp.transitions().available(from, a)
                && mdp.transitions().successors(from, a).0 == [to as u32]
        });
        match action {
            Some(a) => {
                piece.states.push(to);
                piece.actions.push(a);
            }
            None => {
                piece = MatchedPiece {
                    first: t + 1,
                    states: vec![to],
                    actions: Vec::new(),
                }
            }
        }
    }
    Some(piece)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matched(points: &[(f64, f64)], scene: &Scene, lattice: Lattice) -> Vec<MatchedPiece> {
        let cells: Vec<Cell> = points
            .iter()
            .map(|&(x, y)| scene.cell_at(x, y).unwrap())
            .collect();
        map_match(points, &cells, scene, lattice)
    }

    #[test]
    fn the_nearest_smooth_path_by_hand() {
        // 1 m cells, m = 1 (V = 9, d index = (dy + 1)·3 + dx + 1). Positions at the cell
        // centres (0,0) → (1,0) → (2,0) → (2,1): every step is one cell, the third turns
        // (displacement (1,0) to (0,1), acceleration (−1, 1), action 6).
        let scene = Scene::new(0.0, 0.0, 1.0, 4, 3).unwrap();
        let l = Lattice {
            max_displacement: 1,
        };
        let pieces = matched(&[(0.5, 0.5), (1.5, 0.5), (2.5, 0.5), (2.5, 1.5)], &scene, l);
        assert_eq!(pieces.len(), 1);
        let p = &pieces[0];
        let v = |dx: i64, dy: i64| l.index(dx, dy).unwrap();
        assert_eq!(
            p.states,
            vec![v(1, 0), 9 + v(1, 0), 2 * 9 + v(1, 0), 6 * 9 + v(0, 1)]
        );
        assert_eq!(p.actions, vec![4, 4, 6]);
    }

    #[test]
    fn one_step_without_a_move_is_a_pause_and_two_are_a_stop() {
        // 1 m cells along a row, m = 2, positions at the centres of cells 0, 1, 2, 2, 3:
        // every path through them costs 0, so the tie-breaking costs decide. One step in
        // place inside a walk east is a pause (the state keeps d = (1, 0)); two are a
        // stop (acceleration (−1, 0), action 3), standing (action 4) and a start
        // (acceleration (1, 0), action 5).
        let scene = Scene::new(0.0, 0.0, 1.0, 6, 1).unwrap();
        let l = Lattice {
            max_displacement: 2,
        };
        let v = |dx: i64| l.index(dx, 0).unwrap();
        let at = |cells: &[usize]| -> Vec<(f64, f64)> {
            cells.iter().map(|&c| (c as f64 + 0.5, 0.5)).collect()
        };
        let once = matched(&at(&[0, 1, 2, 2, 3]), &scene, l);
        assert_eq!(once.len(), 1);
        assert_eq!(once[0].actions, vec![4, 4, PAUSE_ACTION, 4]);
        assert_eq!(
            once[0].states,
            vec![v(1), 25 + v(1), 50 + v(1), 50 + v(1), 75 + v(1)]
        );
        let twice = matched(&at(&[0, 1, 2, 2, 2, 3]), &scene, l);
        assert_eq!(twice[0].actions, vec![4, 4, 3, 4, 5]);
        assert_eq!(twice[0].states[3], 50 + v(0));
    }

    #[test]
    fn a_jump_beyond_the_lattice_splits_the_track() {
        // From (0.6, 0.5) to (4.5, 0.5) in one step: the candidates {0, 1} and {3, 4, 5}
        // are at least two cells apart, and m = 1.
        let scene = Scene::new(0.0, 0.0, 1.0, 6, 1).unwrap();
        let l = Lattice {
            max_displacement: 1,
        };
        let pieces = matched(&[(0.5, 0.5), (0.6, 0.5), (4.5, 0.5), (4.4, 0.5)], &scene, l);
        assert_eq!(pieces.len(), 2);
        assert_eq!((pieces[0].first, pieces[0].states.len()), (0, 2));
        assert_eq!((pieces[1].first, pieces[1].states.len()), (2, 2));
    }

    #[test]
    fn smoothness_beats_the_nearest_cell() {
        // 1 m cells, m = 1. Positions x = 0.5, 1.5, 1.9, 3.5 along y = 0.5: the nearest
        // cells 0, 1, 1, 3 would need a jump of two cells; the matched path goes
        // 0, 1, 2, 3 at cost 0.6² = 0.36 instead.
        let scene = Scene::new(0.0, 0.0, 1.0, 4, 1).unwrap();
        let l = Lattice {
            max_displacement: 1,
        };
        let pieces = matched(&[(0.5, 0.5), (1.5, 0.5), (1.9, 0.5), (3.5, 0.5)], &scene, l);
        assert_eq!(pieces.len(), 1);
        let cells: Vec<usize> = pieces[0].states.iter().map(|s| s / 9).collect();
        assert_eq!(cells, vec![0, 1, 2, 3]);
    }
}
