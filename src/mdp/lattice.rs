//! Kinematic lattices: a grid whose states also carry the walker's last displacement.
//!
//! With largest displacement m (cells per step), the displacements are
//! d = (dx, dy) ∈ {−m..m}², indexed v = (dy + m)·(2m + 1) + (dx + m), so there are
//! V = (2m + 1)² of them, and the state of cell c = y·width + x with last displacement v
//! is c·V + v. A grid without a lattice is the case V = 1 (the state is the cell).
//!
//! The actions of a lattice MDP change the displacement: action i < 9 adds the
//! acceleration (ax, ay) = (i mod 3 − 1, ⌊i/3⌋ − 1) to d, and action 9, `stop`, sets it
//! to 0 from a displacement with |d|∞ > 1 (where no acceleration reaches 0). The next
//! displacement d' must have |d'|∞ ≤ m and land in the grid; the next state is
//! (c + d', d'). A walker can therefore always stop, and every state keeps an action.
//!
//! Action 10, `pause`, stays in the cell and keeps d (from d ≠ 0): the next state is
//! (c, d). It is how a walker slower than a cell a step moves on a lattice (at 0.8 cells
//! a step, one step in five or six advances no cell), told apart from stopping, after
//! which the walker stands with d = 0 and must start again.

use serde::{Deserialize, Serialize};

/// The velocity part of a lattice: displacements up to `max_displacement` cells a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lattice {
    /// m ≥ 1: the largest |dx| and |dy| of a step, in cells.
    pub max_displacement: usize,
}

/// Number of lattice actions: nine accelerations, `stop` and `pause`.
pub const LATTICE_ACTIONS: usize = 11;

/// The largest `max_displacement` an MDP document may give.
pub const MAX_LATTICE_DISPLACEMENT: usize = 100;

/// The `stop` action.
pub const STOP_ACTION: usize = 9;

/// The `pause` action.
pub const PAUSE_ACTION: usize = 10;

/// What one lattice action does: the walker moves by `moved` cells and its state then
/// carries the displacement `next`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatticeStep {
    pub moved: (i64, i64),
    pub next: (i64, i64),
}

impl Lattice {
    /// Number of displacements V = (2m + 1)².
    pub fn n_displacements(&self) -> usize {
        let side = 2 * self.max_displacement + 1;
        side * side
    }

    /// The displacement (dx, dy) of index v.
    pub fn displacement(&self, v: usize) -> (i64, i64) {
        let m = self.max_displacement as i64;
        let side = 2 * m + 1;
        let v = v as i64;
        (v % side - m, v / side - m)
    }

    /// The index of displacement (dx, dy), if |dx|, |dy| ≤ m.
    pub fn index(&self, dx: i64, dy: i64) -> Option<usize> {
        let m = self.max_displacement as i64;
        if dx.abs() > m || dy.abs() > m {
            return None;
        }
        Some(((dy + m) * (2 * m + 1) + dx + m) as usize)
    }

    /// What `action` does from displacement d, if the action exists there (see the module
    /// documentation; leaving the grid is checked by the caller).
    pub fn step(&self, d: (i64, i64), action: usize) -> Option<LatticeStep> {
        if action == PAUSE_ACTION {
            return (d != (0, 0)).then_some(LatticeStep {
                moved: (0, 0),
                next: d,
            });
        }
        self.next_displacement(d, action)
            .map(|next| LatticeStep { moved: next, next })
    }

    /// The displacement after the acceleration or `stop` `action` from displacement
    /// (dx, dy), if the action exists there (`None` for `pause`, which moves no cell).
    pub fn next_displacement(&self, (dx, dy): (i64, i64), action: usize) -> Option<(i64, i64)> {
        let m = self.max_displacement as i64;
        if action == STOP_ACTION {
            return (dx.abs().max(dy.abs()) > 1).then_some((0, 0));
        }
        if action >= STOP_ACTION {
            return None;
        }
        let (ax, ay) = ((action % 3) as i64 - 1, (action / 3) as i64 - 1);
        let next = (dx + ax, dy + ay);
        (next.0.abs() <= m && next.1.abs() <= m).then_some(next)
    }

    /// The acceleration or `stop` that takes displacement `from` to `to` (a move by
    /// `to`), if one does.
    pub fn action(&self, from: (i64, i64), to: (i64, i64)) -> Option<usize> {
        (0..STOP_ACTION + 1).find(|&a| self.next_displacement(from, a) == Some(to))
    }

    /// Action names: `accelerate(ax,ay)` for the nine accelerations, then `stop` and
    /// `pause`.
    pub fn action_names() -> Vec<String> {
        let mut names: Vec<String> = (0..9)
            .map(|i| format!("accelerate({},{})", i % 3 - 1, i / 3 - 1))
            .collect();
        names.push("stop".into());
        names.push("pause".into());
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_and_actions_by_hand() {
        let l = Lattice {
            max_displacement: 2,
        };
        assert_eq!(l.n_displacements(), 25);
        assert_eq!(l.index(0, 0), Some(12));
        assert_eq!(l.displacement(12), (0, 0));
        assert_eq!(l.index(-2, -2), Some(0));
        assert_eq!(l.index(2, 1), Some(19));
        assert_eq!(l.displacement(19), (2, 1));
        assert_eq!(l.index(3, 0), None);
        for v in 0..25 {
            let (dx, dy) = l.displacement(v);
            assert_eq!(l.index(dx, dy), Some(v));
        }
        // Action 5 is (ax, ay) = (1, 0); action 4 keeps the displacement.
        assert_eq!(l.next_displacement((1, 1), 5), Some((2, 1)));
        assert_eq!(l.next_displacement((2, 1), 5), None);
        assert_eq!(l.next_displacement((1, -1), 4), Some((1, -1)));
        assert_eq!(l.next_displacement((2, 0), STOP_ACTION), Some((0, 0)));
        assert_eq!(l.next_displacement((1, 1), STOP_ACTION), None);
        assert_eq!(l.action((1, 1), (0, 0)), Some(0));
        assert_eq!(l.action((-2, 2), (0, 0)), Some(STOP_ACTION));
        assert_eq!(l.action((0, 0), (2, 0)), None);
        assert_eq!(Lattice::action_names()[5], "accelerate(1,0)");
        assert_eq!(Lattice::action_names()[9], "stop");
        assert_eq!(Lattice::action_names()[PAUSE_ACTION], "pause");
        assert_eq!(l.next_displacement((1, 0), PAUSE_ACTION), None);
        assert_eq!(
            l.step((2, -1), PAUSE_ACTION),
            Some(LatticeStep {
                moved: (0, 0),
                next: (2, -1)
            })
        );
        assert_eq!(l.step((0, 0), PAUSE_ACTION), None);
        assert_eq!(
            l.step((1, 0), 5),
            Some(LatticeStep {
                moved: (2, 0),
                next: (2, 0)
            })
        );
    }
}
