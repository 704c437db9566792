//! Trajectory and demonstration-set types.

use super::checks::{action_available, transition_possible};
use crate::error::{Error, Result};
use crate::mdp::Mdp;

/// One trajectory: states s_0..s_L and actions a_0..a_{L−1}.
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

    /// Check every trajectory against the MDP: indices in range, available actions,
    /// transitions of non-zero probability, no step out of a terminal state.
    /// Errors name the trajectory and step.
    pub fn validate(&self, mdp: &Mdp) -> Result<()> {
        for traj in &self.trajectories {
            let place = |t: usize| format!("trajectory {}, step {t}", traj.id);
            if traj.states.len() != traj.actions.len() + 1 {
                return Err(Error::demos(
                    place(0),
                    "a trajectory needs one more state than actions",
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
                transition_possible(mdp, s, a, traj.states[t + 1])
                    .map_err(|m| Error::demos(place(t + 1), m))?;
            }
        }
        Ok(())
    }
}
