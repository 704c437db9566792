//! Goal-conditioned demonstrations: each demonstration's last state is its goal.
//!
//! A walker heading for a goal g is modelled in the MDP where g is terminal (absorbing,
//! V = 0): reaching it ends the episode. Demonstrations are grouped by goal, each group
//! becomes a [`Task`] with its own MDP, and one θ is shared by all tasks. A demonstration
//! that passes through its goal before it ends is cut at its first arrival there (in the
//! goal's MDP no action can be taken at the goal).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::demo_steps::{Alignment, DemoSteps};
use super::objective::Task;
use crate::demos::{Demonstrations, Trajectory};
use crate::error::Result;
use crate::mdp::Mdp;

/// A goal state and how many demonstrations ended there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoalCount {
    pub state: usize,
    pub count: usize,
}

/// Demonstrations that share a goal.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalGroup {
    pub goal: usize,
    pub demos: Demonstrations,
}

/// Group demonstrations by their last state, cutting each at its first arrival there.
/// Groups come in increasing goal order; trajectories keep their file order.
pub fn group_by_goal(demos: &Demonstrations) -> Vec<GoalGroup> {
    let mut groups: BTreeMap<usize, Vec<Trajectory>> = BTreeMap::new();
    for traj in &demos.trajectories {
        let goal = *traj.states.last().expect("a trajectory has a state");
        let arrival = traj
            .states
            .iter()
            .position(|&s| s == goal)
            .expect("goal is visited");
        let cut = Trajectory {
            id: traj.id.clone(),
            states: traj.states[..=arrival].to_vec(),
            actions: traj.actions[..arrival].to_vec(),
        };
        if !cut.is_empty() {
            groups.entry(goal).or_default().push(cut);
        }
    }
    groups
        .into_iter()
        .map(|(goal, t)| GoalGroup {
            goal,
            demos: Demonstrations::new(t),
        })
        .collect()
}

/// How many demonstrations end at each goal.
pub fn goal_counts(groups: &[GoalGroup]) -> Vec<GoalCount> {
    groups
        .iter()
        .map(|g| GoalCount {
            state: g.goal,
            count: g.demos.len(),
        })
        .collect()
}

/// The MDP with `goal` made terminal (besides the MDP's own terminal states).
pub fn goal_mdp(mdp: &Mdp, goal: usize) -> Result<Mdp> {
    let mut terminal = mdp.terminal_states();
    if !terminal.contains(&goal) {
        terminal.push(goal);
    }
    mdp.with_terminals(&terminal, None)
}

/// One fitting task per goal group.
pub(crate) fn goal_tasks(
    mdp: &Mdp,
    groups: &[GoalGroup],
    horizon: Option<usize>,
    alignment: Alignment,
) -> Result<Vec<Task>> {
    groups
        .iter()
        .map(|g| {
            Ok(Task {
                mdp: goal_mdp(mdp, g.goal)?,
                steps: DemoSteps::new(&g.demos, horizon, alignment)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_last_state_and_cuts_at_first_arrival() {
        let demos = Demonstrations::new(vec![
            Trajectory {
                id: "a".into(),
                states: vec![0, 2, 1, 2],
                actions: vec![1, 0, 1],
            },
            Trajectory {
                id: "b".into(),
                states: vec![1, 0],
                actions: vec![0],
            },
            Trajectory {
                id: "c".into(),
                states: vec![3, 2],
                actions: vec![1],
            },
        ]);
        let groups = group_by_goal(&demos);
        assert_eq!(
            groups.iter().map(|g| g.goal).collect::<Vec<_>>(),
            vec![0, 2]
        );
        assert_eq!(groups[1].demos.trajectories[0].states, vec![0, 2]);
        assert_eq!(groups[1].demos.trajectories[0].actions, vec![1]);
        assert_eq!(
            goal_counts(&groups),
            vec![
                GoalCount { state: 0, count: 1 },
                GoalCount { state: 2, count: 2 }
            ]
        );
    }
}
