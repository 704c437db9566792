//! Tabular Markov decision processes with sparse dynamics.
//!
//! An [`Mdp`] has states `0..S`, actions `0..A`, transitions p(s'|s,a) in CSR form
//! ([`Transitions`]), an initial distribution p0, terminal (absorbing) states, and
//! features f(s, a) for a linear reward r = θ·f. A terminal state has no actions, value 0
//! and no reward after arrival; transitions listed for it are ignored. An action with no
//! listed transition in a state is unavailable there. Every non-terminal state must have
//! at least one available action. On disk an MDP is an `irl-mdp/1` document (`json`),
//! whose transitions may live in a SciPy CSR `.npz` file beside it (`npz`, `files`).

mod declared;
mod features;
mod files;
mod json;
mod lattice;
mod npy;
mod npz;
mod reach;
mod transitions;

pub use features::{FeatureTable, Features, Reward};
pub use files::{read_mdp_file, write_mdp_with_npz};
pub use json::{read_mdp, write_mdp, write_mdp_with_npz_reference, MDP_FORMAT};
pub use lattice::{
    Lattice, LatticeStep, LATTICE_ACTIONS, MAX_LATTICE_DISPLACEMENT, PAUSE_ACTION, STOP_ACTION,
};
pub use npz::{
    read_csr_npz, read_transitions_npz, write_csr_npz, write_transitions_npz, NpzCompression,
    NPZ_MEMBERS,
};
pub use transitions::{Entry, Transitions, PROBABILITY_SUM_TOLERANCE};

use std::sync::Arc;

use crate::error::{Error, Result};

/// Grid layout of the states: state = y·width + x, with y growing upward.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Grid {
    pub width: usize,
    pub height: usize,
    /// Where the cells lie in metres, when the grid was laid over recorded positions.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub geometry: Option<GridGeometry>,
    /// A kinematic lattice: each cell holds one state per last displacement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lattice: Option<Lattice>,
}

/// Position of a grid in metres: cell (x, y) covers
/// [origin_x + x·cell, origin_x + (x+1)·cell) × [origin_y + y·cell, origin_y + (y+1)·cell).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GridGeometry {
    pub origin_x: f64,
    pub origin_y: f64,
    pub cell: f64,
}

impl Grid {
    /// A grid of `width` × `height` cells without a position in metres.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            geometry: None,
            lattice: None,
        }
    }

    /// Number of cells, width × height.
    pub fn n_cells(&self) -> usize {
        self.width * self.height
    }

    /// States per cell: the lattice's displacements, or 1.
    pub fn states_per_cell(&self) -> usize {
        self.lattice.map_or(1, |l| l.n_displacements())
    }

    /// The cell (y·width + x) of a state.
    pub fn cell_of(&self, state: usize) -> usize {
        state / self.states_per_cell()
    }

    /// The centre of a cell in metres (in cells when the grid has no position).
    pub fn cell_centre(&self, cell: usize) -> (f64, f64) {
        let g = self.geometry_or_cells();
        let (x, y) = (cell % self.width, cell / self.width);
        (
            g.origin_x + (x as f64 + 0.5) * g.cell,
            g.origin_y + (y as f64 + 0.5) * g.cell,
        )
    }

    /// The geometry, or unit cells with the origin at 0 when there is none.
    pub fn geometry_or_cells(&self) -> GridGeometry {
        self.geometry.unwrap_or(GridGeometry {
            origin_x: 0.0,
            origin_y: 0.0,
            cell: 1.0,
        })
    }
}

/// A validated tabular MDP.
///
/// Its transitions and features are shared: the copies made by
/// [`with_terminals`](Self::with_terminals) hold the same ones (and
/// [`with_features`](Self::with_features) the same transitions), so the MDPs of many goals
/// cost one copy of each and share the kernels' layout (see
/// [`KernelLayout`](crate::inference::KernelLayout)).
#[derive(Debug, Clone, PartialEq)]
pub struct Mdp {
    transitions: Arc<Transitions>,
    initial: Vec<f64>,
    terminal: Vec<bool>,
    features: Arc<Features>,
    action_names: Option<Vec<String>>,
    grid: Option<Grid>,
}

/// Everything an [`Mdp`] is built from; [`Mdp::new`] validates it.
#[derive(Debug, Clone)]
pub struct MdpParts {
    pub transitions: Transitions,
    /// p0; `None` means uniform over non-terminal states.
    pub initial: Option<Vec<f64>>,
    pub terminal: Vec<usize>,
    pub features: Features,
    pub action_names: Option<Vec<String>>,
    pub grid: Option<Grid>,
}

/// The parts of an MDP other than its transitions.
struct OtherParts {
    initial: Option<Vec<f64>>,
    terminal: Vec<usize>,
    features: Arc<Features>,
    action_names: Option<Vec<String>>,
    grid: Option<Grid>,
}

impl Mdp {
    /// Validate the parts and assemble the MDP.
    pub fn new(parts: MdpParts) -> Result<Self> {
        let MdpParts {
            transitions,
            initial,
            terminal,
            features,
            action_names,
            grid,
        } = parts;
        let others = OtherParts {
            initial,
            terminal,
            features: Arc::new(features),
            action_names,
            grid,
        };
        Self::assemble(Arc::new(transitions), others)
    }

    /// Validate everything but the transitions (validated when they were built) and
    /// assemble the MDP around them.
    fn assemble(transitions: Arc<Transitions>, others: OtherParts) -> Result<Self> {
        let OtherParts {
            initial,
            terminal,
            features,
            action_names,
            grid,
        } = others;
        let (n_states, n_actions) = (transitions.n_states(), transitions.n_actions());
        let mut is_terminal = vec![false; n_states];
        for (i, &s) in terminal.iter().enumerate() {
            if s >= n_states {
                return Err(Error::mdp(
                    format!("terminal[{i}]"),
                    format!("state {s} is out of range 0..{n_states}"),
                ));
            }
            is_terminal[s] = true;
        }
        if let Some(s) = (0..n_states)
            .find(|&s| !is_terminal[s] && (0..n_actions).all(|a| !transitions.available(s, a)))
        {
            return Err(Error::mdp(
                format!("transitions (state {s})"),
                format!("state {s} is not terminal but has no available action"),
            ));
        }
        let initial = match initial {
            Some(p0) => {
                validate_initial(&p0, n_states)?;
                p0
            }
            None => uniform_over_non_terminal(&is_terminal)?,
        };
        match features.table() {
            FeatureTable::StateAction(v) if v.dim().1 != n_actions => {
                return Err(Error::mdp(
                    "features.values",
                    format!(
                        "has {} actions per state, expected n_actions = {n_actions}",
                        v.dim().1
                    ),
                ))
            }
            table if table.n_states() != n_states => {
                return Err(Error::mdp(
                    "features.values",
                    format!(
                        "has {} rows, expected n_states = {n_states}",
                        table.n_states()
                    ),
                ))
            }
            _ => {}
        }
        if let Some(names) = &action_names {
            if names.len() != n_actions {
                return Err(Error::mdp(
                    "action_names",
                    format!(
                        "has {} names, expected n_actions = {n_actions}",
                        names.len()
                    ),
                ));
            }
        }
        if let Some(g) = grid {
            if let Some(m) = g
                .lattice
                .map(|l| l.max_displacement)
                .filter(|m| !(1..=MAX_LATTICE_DISPLACEMENT).contains(m))
            {
                return Err(Error::mdp(
                    "grid.lattice.max_displacement",
                    format!("{m} is outside 1..={MAX_LATTICE_DISPLACEMENT}"),
                ));
            }
            let per_cell = g.states_per_cell();
            if g.width
                .checked_mul(g.height)
                .and_then(|c| c.checked_mul(per_cell))
                != Some(n_states)
            {
                return Err(Error::mdp(
                    "grid",
                    format!(
                        "{}×{} cells × {per_cell} states per cell do not match n_states = {n_states}",
                        g.width, g.height
                    ),
                ));
            }
        }
        Ok(Self {
            transitions,
            initial,
            terminal: is_terminal,
            features,
            action_names,
            grid,
        })
    }

    /// Number of states S.
    pub fn n_states(&self) -> usize {
        self.transitions.n_states()
    }

    /// Number of actions A.
    pub fn n_actions(&self) -> usize {
        self.transitions.n_actions()
    }

    /// The sparse dynamics.
    pub fn transitions(&self) -> &Transitions {
        &self.transitions
    }

    /// The sparse dynamics as shared with the MDP's copies.
    pub(crate) fn shared_transitions(&self) -> &Arc<Transitions> {
        &self.transitions
    }

    /// Initial distribution p0.
    pub fn initial(&self) -> &[f64] {
        &self.initial
    }

    /// Whether `s` is terminal.
    #[inline]
    pub fn is_terminal(&self, s: usize) -> bool {
        self.terminal[s]
    }

    /// Terminal mask, one entry per state.
    pub fn terminal_mask(&self) -> &[bool] {
        &self.terminal
    }

    /// Whether action `a` can be taken in state `s` (never in a terminal state).
    #[inline]
    pub fn available(&self, s: usize, a: usize) -> bool {
        !self.terminal[s] && self.transitions.available(s, a)
    }

    /// Number of actions available in `s`.
    pub fn n_available(&self, s: usize) -> usize {
        (0..self.n_actions())
            .filter(|&a| self.available(s, a))
            .count()
    }

    /// Reward features.
    pub fn features(&self) -> &Features {
        &self.features
    }

    /// Action names, when given.
    pub fn action_names(&self) -> Option<&[String]> {
        self.action_names.as_deref()
    }

    /// Grid layout, when given.
    pub fn grid(&self) -> Option<Grid> {
        self.grid
    }

    /// The same MDP with other terminal states (the listed ones replace the old set) and
    /// another initial distribution (`None`: uniform over the new non-terminal states).
    /// The transitions are shared, not copied.
    pub fn with_terminals(&self, terminal: &[usize], initial: Option<Vec<f64>>) -> Result<Self> {
        let others = OtherParts {
            initial,
            terminal: terminal.to_vec(),
            features: Arc::clone(&self.features),
            action_names: self.action_names.clone(),
            grid: self.grid,
        };
        Self::assemble(Arc::clone(&self.transitions), others)
    }

    /// The same MDP with other features; the transitions are shared, not copied.
    pub fn with_features(&self, features: Features) -> Result<Self> {
        let others = OtherParts {
            initial: Some(self.initial.clone()),
            terminal: self.terminal_states(),
            features: Arc::new(features),
            action_names: self.action_names.clone(),
            grid: self.grid,
        };
        Self::assemble(Arc::clone(&self.transitions), others)
    }

    /// Terminal states in increasing order.
    pub fn terminal_states(&self) -> Vec<usize> {
        (0..self.n_states()).filter(|&s| self.terminal[s]).collect()
    }
}

fn validate_initial(p0: &[f64], n_states: usize) -> Result<()> {
    if p0.len() != n_states {
        return Err(Error::mdp(
            "initial",
            format!("has {} entries, expected n_states = {n_states}", p0.len()),
        ));
    }
    if let Some(i) = p0.iter().position(|p| !p.is_finite() || *p < 0.0) {
        return Err(Error::mdp(
            format!("initial[{i}]"),
            format!("{} is not a finite probability", p0[i]),
        ));
    }
    let sum: f64 = p0.iter().sum();
    if (sum - 1.0).abs() > PROBABILITY_SUM_TOLERANCE {
        return Err(Error::mdp(
            "initial",
            format!("sums to {sum:.12}, expected 1 within {PROBABILITY_SUM_TOLERANCE:e}"),
        ));
    }
    Ok(())
}

fn uniform_over_non_terminal(is_terminal: &[bool]) -> Result<Vec<f64>> {
    let n = is_terminal.iter().filter(|t| !**t).count();
    if n == 0 {
        return Err(Error::mdp("terminal", "every state is terminal"));
    }
    Ok(is_terminal
        .iter()
        .map(|&t| if t { 0.0 } else { 1.0 / n as f64 })
        .collect())
}
