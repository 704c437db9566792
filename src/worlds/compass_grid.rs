//! Compass gridworld dynamics: eight moves on an N×N grid, slipping by ±45°.
//!
//! **States.** Cell (x, y) is state y·N + x, as in [`gridworld`](super::gridworld()).
//!
//! **Actions**, counter-clockwise from east, 45° apart: 0 east (+1, 0), 1 northeast
//! (+1, +1), 2 north (0, +1), 3 northwest (−1, +1), 4 west (−1, 0), 5 southwest (−1, −1),
//! 6 south (0, −1), 7 southeast (+1, −1). The neighbours of direction d are d ± 1 mod 8.
//!
//! **Slip rule.** Action d makes move d with probability 1 − slip and each of the two
//! neighbouring compass moves, d − 1 and d + 1 (mod 8, i.e. ±45°), with probability
//! slip/2. A move that would leave the grid (in either coordinate) leaves the agent where
//! it is, and outcomes ending in the same cell add their probabilities. So a row (s, a)
//! has at most 3 entries. For 0 < slip < 1 an interior cell has 3 entries for each of
//! its 8 actions (24), a cell on an edge 20 and a corner cell 16 (the blocked outcomes of
//! an action merge into one "stay" entry), so an N×N grid with N ≥ 2 has
//! 24(N − 2)² + 80(N − 2) + 64 entries, ≈ 2.4·10^7 for N = 1000.
//!
//! **Construction.** The compressed rows are written directly in row order s·8 + d into
//! arrays reserved once at their largest possible size (3 entries per row), and handed to
//! [`Transitions::from_csr`]; no triplet list is ever built, so the peak memory while
//! building stays near the final size of the rows.

use super::check_probability;
use super::gridworld::{check_grid_size, destination};
use crate::error::Result;
use crate::mdp::Transitions;

/// Names of the compass actions, in action order.
pub const COMPASS_ACTION_NAMES: [&str; 8] = [
    "east",
    "northeast",
    "north",
    "northwest",
    "west",
    "southwest",
    "south",
    "southeast",
];

/// (dx, dy) of each compass action.
const COMPASS_MOVES: [(isize, isize); 8] = [
    (1, 0),
    (1, 1),
    (0, 1),
    (-1, 1),
    (-1, 0),
    (-1, -1),
    (0, -1),
    (1, -1),
];

/// The slippery compass dynamics of the module doc on a `size`×`size` grid.
pub fn compass_transitions(size: usize, slip: f64) -> Result<Transitions> {
    check_grid_size("size", size)?;
    check_probability("slip", slip)?;
    let n_moves = COMPASS_MOVES.len();
    let n_states = size * size;
    let n_rows = n_states * n_moves;
    // (offset of the outcome's direction from the intended one, mod 8; its probability)
    let outcomes = [(n_moves - 1, slip / 2.0), (0, 1.0 - slip), (1, slip / 2.0)];
    let mut row_start = Vec::with_capacity(n_rows + 1);
    let mut next: Vec<u32> = Vec::with_capacity(outcomes.len() * n_rows);
    let mut prob: Vec<f64> = Vec::with_capacity(outcomes.len() * n_rows);
    row_start.push(0);
    for y in 0..size {
        for x in 0..size {
            for direction in 0..n_moves {
                let first = next.len();
                for &(offset, p) in &outcomes {
                    if p == 0.0 {
                        continue;
                    }
                    let (dx, dy) = COMPASS_MOVES[(direction + offset) % n_moves];
                    let cell = destination(size, x, y, dx, dy) as u32;
                    match next[first..].iter().position(|&n| n == cell) {
                        Some(i) => prob[first + i] += p,
                        None => {
                            next.push(cell);
                            prob.push(p);
                        }
                    }
                }
                row_start.push(next.len());
            }
        }
    }
    Transitions::from_csr(n_states, n_moves, row_start, next, prob)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::test_support::assert_row;

    // The 3×3 grid, states y·3 + x:
    //   6 7 8      y = 2 (north)
    //   3 4 5
    //   0 1 2      y = 0 (south)
    // Actions: 0 E, 1 NE, 2 N, 3 NW, 4 W, 5 SW, 6 S, 7 SE.
    #[test]
    fn hand_checked_rows_of_corner_edge_and_interior_cells() {
        let t = compass_transitions(3, 0.2).unwrap();
        assert_eq!((t.n_states(), t.n_actions()), (9, 8));
        // Interior: northeast 0.8 to 8, east 0.1 to 5, north 0.1 to 7.
        assert_row(&t, 4, 1, &[(5, 0.1), (7, 0.1), (8, 0.8)]);
        // Interior: east 0.8 to 5, southeast 0.1 to 2, northeast 0.1 to 8.
        assert_row(&t, 4, 0, &[(2, 0.1), (5, 0.8), (8, 0.1)]);
        // South-west corner: west, southwest and south all leave the grid.
        assert_row(&t, 0, 5, &[(0, 1.0)]);
        // South-west corner, north: 3 with 0.8, northeast 4 with 0.1, northwest blocked.
        assert_row(&t, 0, 2, &[(0, 0.1), (3, 0.8), (4, 0.1)]);
        // South-west corner, southeast: blocked 0.8 + south blocked 0.1; east to 1.
        assert_row(&t, 0, 7, &[(0, 0.9), (1, 0.1)]);
        // Bottom edge, south: southwest, south and southeast all blocked.
        assert_row(&t, 1, 6, &[(1, 1.0)]);
        // Bottom edge, west: 0 with 0.8, northwest 3 with 0.1, southwest blocked.
        assert_row(&t, 1, 4, &[(0, 0.8), (1, 0.1), (3, 0.1)]);
        // East edge, northeast: blocked 0.8 + east blocked 0.1; north to 8.
        assert_row(&t, 5, 1, &[(5, 0.9), (8, 0.1)]);
        // North-east corner, northwest: blocked 0.8 + north blocked 0.1; west to 7.
        assert_row(&t, 8, 3, &[(7, 0.1), (8, 0.9)]);
    }

    #[test]
    fn every_row_sums_to_one_and_entries_follow_the_border_count() {
        for (size, slip) in [(2, 0.3), (5, 0.2), (7, 0.5)] {
            let t = compass_transitions(size, slip).unwrap();
            for s in 0..size * size {
                for a in 0..8 {
                    let total: f64 = t.successors(s, a).1.iter().sum();
                    assert!((total - 1.0).abs() < 1e-12, "size {size} (s={s}, a={a})");
                }
            }
            // 16 per corner, 20 per edge cell, 24 per interior cell.
            let inner = size - 2;
            assert_eq!(t.nnz(), 4 * 16 + 4 * inner * 20 + inner * inner * 24);
        }
    }

    #[test]
    fn without_slip_moves_are_deterministic_and_full_slip_never_goes_straight() {
        let t = compass_transitions(3, 0.0).unwrap();
        assert_eq!(t.nnz(), 9 * 8);
        assert_row(&t, 4, 3, &[(6, 1.0)]);
        let t = compass_transitions(3, 1.0).unwrap();
        // North from the centre: northwest 6 and northeast 8, never north 7.
        assert_row(&t, 4, 2, &[(6, 0.5), (8, 0.5)]);
    }

    /// The same dynamics from (s, a, s', p) triplets, cell coordinates in signed
    /// arithmetic, merged in a map and passed through `from_arrays`.
    fn brute_force(size: usize, slip: f64) -> Transitions {
        let n = size as i64;
        let mut merged: BTreeMap<(usize, usize, usize), f64> = BTreeMap::new();
        for s in 0..size * size {
            let (x, y) = ((s % size) as i64, (s / size) as i64);
            for a in 0..8usize {
                for (dir, p) in [
                    ((a + 7) % 8, slip / 2.0),
                    (a, 1.0 - slip),
                    ((a + 1) % 8, slip / 2.0),
                ] {
                    let angle = dir as f64 * std::f64::consts::FRAC_PI_4;
                    let (dx, dy) = (angle.cos().round() as i64, angle.sin().round() as i64);
                    let (nx, ny) = (x + dx, y + dy);
                    let target = if (0..n).contains(&nx) && (0..n).contains(&ny) {
                        (ny * n + nx) as usize
                    } else {
                        s
                    };
                    *merged.entry((s, a, target)).or_insert(0.0) += p;
                }
            }
        }
        let (mut s, mut a, mut s_next, mut p) = (vec![], vec![], vec![], vec![]);
        for ((state, action, target), prob) in merged {
            s.push(state);
            a.push(action);
            s_next.push(target);
            p.push(prob);
        }
        Transitions::from_arrays(size * size, 8, &s, &a, &s_next, &p).unwrap()
    }

    #[test]
    fn equals_a_brute_force_triplet_construction() {
        for (size, slip) in [(1, 0.2), (4, 0.2), (6, 0.35)] {
            let direct = compass_transitions(size, slip).unwrap();
            let brute = brute_force(size, slip);
            assert_eq!(direct.nnz(), brute.nnz(), "size {size}");
            for (d, b) in direct.entries().zip(brute.entries()) {
                assert_eq!(
                    (d.state, d.action, d.next),
                    (b.state, b.action, b.next),
                    "size {size}"
                );
                assert!((d.p - b.p).abs() < 1e-15, "size {size}: {d:?} vs {b:?}");
            }
            // Row pointers and successors, all that the forward pass's scatter blocks are
            // computed from, are the same.
            assert_eq!(direct.csr().0, brute.csr().0, "size {size}");
            assert_eq!(direct.csr().1, brute.csr().1, "size {size}");
        }
    }

    #[test]
    fn bad_sizes_and_slips_are_named() {
        let e = compass_transitions(0, 0.2).unwrap_err().to_string();
        assert!(e.contains("`size`"), "{e}");
        let e = compass_transitions(3, -0.1).unwrap_err().to_string();
        assert!(e.contains("`slip`"), "{e}");
    }
}
