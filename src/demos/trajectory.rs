//! Trajectory and demonstration-set types.
//!
//! A trajectory of L ≥ 1 actions lists the states s_0..s_L, or s_0..s_{L−1} when its last
//! action a_{L−1} has no observed successor (a panel of decisions whose last outcome was
//! not recorded). Either way its steps are the L pairs (s_t, a_t); the likelihood and the
//! feature counts use only those, so the final state, when there is one, adds nothing to
//! them.

use super::checks::{action_available, transition_possible};
use crate::error::{quote, Error, Result};
use crate::mdp::Mdp;

/// One trajectory: actions a_0..a_{L−1} and states s_0..s_L, or s_0..s_{L−1} when the last
/// action has no observed successor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trajectory {
    /// The identifier given in the file (or the index when generated).
    pub id: String,
    pub states: Vec<usize>,
    pub actions: Vec<usize>,
}

impl Trajectory {
    /// Number of actions L.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Whether the trajectory has no action.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The state reached by the last action, if it was observed.
    pub fn final_state(&self) -> Option<usize> {
        (self.states.len() > self.actions.len()).then(|| self.states[self.actions.len()])
    }

    /// Whether the states and actions fit together: L + 1 states for L actions, or L ≥ 1
    /// states when the last action has no observed successor.
    pub fn is_well_formed(&self) -> bool {
        let (states, actions) = (self.states.len(), self.actions.len());
        states == actions + 1 || (states == actions && actions >= 1)
    }

    /// (s_t, a_t) pairs.
    pub fn steps(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.states
            .iter()
            .copied()
            .zip(self.actions.iter().copied())
    }
}

/// A set of trajectories.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Demonstrations {
    pub trajectories: Vec<Trajectory>,
}

impl Demonstrations {
    /// Wrap trajectories.
    pub fn new(trajectories: Vec<Trajectory>) -> Self {
        Self { trajectories }
    }

    /// Number of trajectories.
    pub fn len(&self) -> usize {
        self.trajectories.len()
    }

    /// Whether there is no trajectory.
    pub fn is_empty(&self) -> bool {
        self.trajectories.is_empty()
    }

    /// Total number of demonstrated actions.
    pub fn n_actions(&self) -> usize {
        self.trajectories.iter().map(Trajectory::len).sum()
    }

    /// Longest trajectory, in actions.
    pub fn max_len(&self) -> usize {
        self.trajectories
            .iter()
            .map(Trajectory::len)
            .max()
            .unwrap_or(0)
    }

    /// Fail, naming the first such trajectory, unless every trajectory ends in a state
    /// (its last action's successor); `purpose` says what needs the final states.
    pub fn require_final_states(&self, purpose: &str) -> Result<()> {
        match self.trajectories.iter().find(|t| t.final_state().is_none()) {
            None => Ok(()),
            Some(t) => Err(Error::demos(
                format!("trajectory {}", quote(&t.id)),
                format!(
                    "its last action (step {}) has no successor state, but {purpose} needs the state each trajectory ends in",
                    t.len() - 1
                ),
            )),
        }
    }

    /// Check every trajectory against the MDP: one state more than actions, or as many
    /// (at least one); indices in range, available actions, transitions of non-zero
    /// probability, no step out of a terminal state. Errors name the trajectory and step.
    pub fn validate(&self, mdp: &Mdp) -> Result<()> {
        for traj in &self.trajectories {
            let place = |t: usize| format!("trajectory {}, step {t}", quote(&traj.id));
            if !traj.is_well_formed() {
                return Err(Error::demos(
                    place(0),
                    format!(
                        "{} states for {} actions; a trajectory has one state more than actions, or as many when its last action has no successor",
                        traj.states.len(),
                        traj.actions.len()
                    ),
                ));
            }
            for (t, &s) in traj.states.iter().enumerate() {
                if s >= mdp.n_states() {
                    return Err(Error::demos(
                        place(t),
                        format!("state {s} is out of range 0..{}", mdp.n_states()),
                    ));
                }
            }
            for (t, (s, a)) in traj.steps().enumerate() {
                if a >= mdp.n_actions() {
                    return Err(Error::demos(
                        place(t),
                        format!("action {a} is out of range 0..{}", mdp.n_actions()),
                    ));
                }
                action_available(mdp, s, a).map_err(|m| Error::demos(place(t), m))?;
                if let Some(&next) = traj.states.get(t + 1) {
                    transition_possible(mdp, s, a, next)
                        .map_err(|m| Error::demos(place(t + 1), m))?;
                }
            }
        }
        Ok(())
    }
}
