//! Goal-conditioned demonstrations: each demonstration heads for a goal, a set of states.
//!
//! A walker heading for a goal G is modelled in the MDP where the states of G are
//! terminal (absorbing, V = 0): arriving in G ends the episode. Demonstrations are
//! grouped by goal, each group becomes a [`Task`] with its own MDP, and one θ is shared by
//! all tasks. A demonstration that passes through its goal before it ends is cut at its
//! first arrival there (in the goal's MDP no action can be taken in the goal).
//!
//! Which goal a demonstration heads for ([`GoalRule`]):
//! - `LastCell`: the states of the cell of its last state (for an MDP without a lattice,
//!   or without a grid, that is the last state itself);
//! - `Clustered { radius }` (an MDP with a grid): the demonstrations' last cells are
//!   clustered by the leader rule: taken by decreasing count (then by cell index), a cell
//!   further than `radius` from every seed so far becomes a seed. Each seed's region is the
//!   cells within `radius` of it that are nearer to it than to any other seed (ties to the
//!   earlier seed); the goal is the states of those cells. Distances are between cell
//!   centres, in the grid's metres (cells without a position in metres).
//!
//! A demonstration that ends outside every training goal (a held-out one, say) heads for
//! [`goal_around`] its last cell: the cells within `radius` of it, or the cell itself.
//!
//! A demonstration whose last action has no observed successor has no last state, so no
//! goal: goal-conditioned fitting and evaluation refuse it, naming it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::demo_steps::{Alignment, DemoSteps};
use super::objective::Task;
use crate::demos::{Demonstrations, Trajectory};
use crate::error::{Error, Result};
use crate::mdp::{Grid, Mdp};

/// What needs each demonstration's final state, for the error that names one without it.
pub(crate) const GOAL_NEEDS: &str =
    "a goal-conditioned model (each demonstration's last state is its goal)";

/// A goal: the states that end a walk there, and how many demonstrations ended there.
/// Documents may give a goal of one state as `"state": s` instead of `"states": [s]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "GoalDocument", into = "GoalDocument")]
pub struct Goal {
    /// Terminal states, increasing.
    pub states: Vec<usize>,
    pub count: usize,
    /// The goal's centre in metres (its seed cell's centre), for goals on a grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre: Option<[f64; 2]>,
}

/// A goal as documents give it: one state as `state`, several as `states`.
#[derive(Clone, Serialize, Deserialize)]
struct GoalDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    states: Option<Vec<usize>>,
    count: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    centre: Option<[f64; 2]>,
}

impl From<Goal> for GoalDocument {
    fn from(goal: Goal) -> Self {
        let single = goal.states.len() == 1;
        GoalDocument {
            state: single.then(|| goal.states[0]),
            states: (!single).then_some(goal.states),
            count: goal.count,
            centre: goal.centre,
        }
    }
}

impl TryFrom<GoalDocument> for Goal {
    type Error = String;

    fn try_from(doc: GoalDocument) -> std::result::Result<Self, String> {
        let mut states = match (doc.state, doc.states) {
            (Some(s), None) => vec![s],
            (None, Some(states)) if !states.is_empty() => states,
            _ => return Err("a goal needs either \"state\" or a non-empty \"states\"".into()),
        };
        states.sort_unstable();
        states.dedup();
        Ok(Goal {
            states,
            count: doc.count,
            centre: doc.centre,
        })
    }
}

impl Goal {
    /// A goal of one state.
    pub fn state(state: usize, count: usize) -> Self {
        Self {
            states: vec![state],
            count,
            centre: None,
        }
    }

    /// Whether `state` is in the goal.
    pub fn contains(&self, state: usize) -> bool {
        self.states.binary_search(&state).is_ok()
    }
}

/// How a demonstration's goal follows from where it ends.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalRule {
    /// The states of the last state's cell.
    #[default]
    LastCell,
    /// The region of the clustered last cells (metres).
    Clustered { radius: f64 },
}

impl GoalRule {
    /// Check the radius.
    pub fn check(&self) -> Result<()> {
        match *self {
            GoalRule::Clustered { radius } if !(radius.is_finite() && radius >= 0.0) => {
                Err(Error::param(
                    "goal_radius",
                    format!("{radius} is not a non-negative number"),
                ))
            }
            _ => Ok(()),
        }
    }

    fn radius(&self) -> f64 {
        match *self {
            GoalRule::LastCell => 0.0,
            GoalRule::Clustered { radius } => radius,
        }
    }
}

/// Demonstrations that share a goal.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalGroup {
    pub goal: Goal,
    pub demos: Demonstrations,
}

/// The states of the cells `cells` of `mdp` (all its displacements on a lattice).
fn states_of_cells(grid: Option<Grid>, cells: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let per_cell = grid.map_or(1, |g| g.states_per_cell());
    let mut states: Vec<usize> = cells
        .into_iter()
        .flat_map(|c| c * per_cell..(c + 1) * per_cell)
        .collect();
    states.sort_unstable();
    states.dedup();
    states
}

fn cell_of(grid: Option<Grid>, state: usize) -> usize {
    grid.map_or(state, |g| g.cell_of(state))
}

fn distance(grid: Grid, a: usize, b: usize) -> f64 {
    let (p, q) = (grid.cell_centre(a), grid.cell_centre(b));
    (p.0 - q.0).hypot(p.1 - q.1)
}

/// The goal around the cell of `state`: the cells within `rule`'s radius of it.
pub fn goal_around(mdp: &Mdp, state: usize, rule: GoalRule) -> Goal {
    let grid = mdp.grid();
    let cell = cell_of(grid, state);
    let (cells, centre) = match (grid, rule.radius()) {
        (Some(g), r) if r > 0.0 => {
            let near: Vec<usize> = (0..g.n_cells())
                .filter(|&c| distance(g, c, cell) <= r)
                .collect();
            (near, Some(g.cell_centre(cell)))
        }
        (g, _) => (vec![cell], g.map(|g| g.cell_centre(cell))),
    };
    Goal {
        states: states_of_cells(grid, cells),
        count: 0,
        centre: centre.map(|(x, y)| [x, y]),
    }
}

/// The training goals of `demos` under `rule`, each with the number of demonstrations
/// that end in it (see the module documentation).
pub fn training_goals(mdp: &Mdp, demos: &Demonstrations, rule: GoalRule) -> Result<Vec<Goal>> {
    rule.check()?;
    demos.require_final_states(GOAL_NEEDS)?;
    let grid = mdp.grid();
    let mut ends: BTreeMap<usize, usize> = BTreeMap::new();
    for t in &demos.trajectories {
        let last = *t.states.last().expect("a trajectory has a state");
        *ends.entry(cell_of(grid, last)).or_default() += 1;
    }
    let (GoalRule::Clustered { radius }, Some(g)) = (rule, grid) else {
        return Ok(ends
            .into_iter()
            .map(|(cell, count)| Goal {
                states: states_of_cells(grid, [cell]),
                count,
                centre: grid.map(|g| {
                    let (x, y) = g.cell_centre(cell);
                    [x, y]
                }),
            })
            .collect());
    };
    let mut order: Vec<(usize, usize)> = ends.iter().map(|(&c, &n)| (c, n)).collect();
    order.sort_by_key(|&(c, n)| (std::cmp::Reverse(n), c));
    let mut seeds: Vec<usize> = Vec::new();
    for &(cell, _) in &order {
        if seeds.iter().all(|&s| distance(g, s, cell) > radius) {
            seeds.push(cell);
        }
    }
    let nearest_seed = |cell: usize| -> Option<usize> {
        seeds
            .iter()
            .enumerate()
            .map(|(i, &s)| (i, distance(g, s, cell)))
            .filter(|&(_, d)| d <= radius)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    };
    let mut cells: Vec<Vec<usize>> = vec![Vec::new(); seeds.len()];
    for cell in 0..g.n_cells() {
        if let Some(i) = nearest_seed(cell) {
            cells[i].push(cell);
        }
    }
    let mut counts = vec![0; seeds.len()];
    for (&cell, &n) in &ends {
        counts[nearest_seed(cell).expect("every end cell is near a seed")] += n;
    }
    Ok(seeds
        .iter()
        .zip(cells)
        .zip(counts)
        .map(|((&seed, cells), count)| {
            let (x, y) = g.cell_centre(seed);
            Goal {
                states: states_of_cells(grid, cells),
                count,
                centre: Some([x, y]),
            }
        })
        .collect())
}

/// The goal among `goals` that contains `state`, or else the one [`goal_around`] it.
pub fn goal_of(mdp: &Mdp, goals: &[Goal], state: usize, rule: GoalRule) -> Goal {
    goals
        .iter()
        .find(|g| g.contains(state))
        .cloned()
        .unwrap_or_else(|| goal_around(mdp, state, rule))
}

/// Group demonstrations by the goal their last state lies in ([`goal_of`]), cutting each
/// at its first arrival there; trajectories keep their file order, groups come in the
/// order of `goals` and then of the goals made for demonstrations outside them. A
/// demonstration that starts in its goal is left out (it has no step to score).
///
/// Fails, naming it, if a demonstration's last action has no observed successor: it has no
/// last state to give its goal.
pub fn group_by_goal(
    mdp: &Mdp,
    demos: &Demonstrations,
    goals: &[Goal],
    rule: GoalRule,
) -> Result<Vec<GoalGroup>> {
    demos.require_final_states(GOAL_NEEDS)?;
    let mut groups: Vec<GoalGroup> = goals
        .iter()
        .map(|g| GoalGroup {
            goal: Goal {
                count: 0,
                ..g.clone()
            },
            demos: Demonstrations::new(Vec::new()),
        })
        .collect();
    for traj in &demos.trajectories {
        let last = *traj.states.last().expect("a trajectory has a state");
        let goal = goal_of(mdp, goals, last, rule);
        let arrival = traj
            .states
            .iter()
            .position(|&s| goal.contains(s))
            .expect("the last state is in its goal");
        if arrival == 0 {
            continue;
        }
        let cut = Trajectory {
            id: traj.id.clone(),
            states: traj.states[..=arrival].to_vec(),
            actions: traj.actions[..arrival].to_vec(),
        };
        let i = match groups.iter().position(|g| g.goal.states == goal.states) {
            Some(i) => i,
            None => {
                groups.push(GoalGroup {
                    goal,
                    demos: Demonstrations::new(Vec::new()),
                });
                groups.len() - 1
            }
        };
        groups[i].goal.count += 1;
        groups[i].demos.trajectories.push(cut);
    }
    groups.retain(|g| !g.demos.is_empty());
    Ok(groups)
}

/// The MDP with the states of `goal` made terminal (besides the MDP's own terminal states).
pub fn goal_mdp(mdp: &Mdp, goal: &Goal) -> Result<Mdp> {
    let mut terminal = mdp.terminal_states();
    terminal.extend(goal.states.iter().copied());
    terminal.sort_unstable();
    terminal.dedup();
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
                mdp: goal_mdp(mdp, &g.goal)?,
                steps: DemoSteps::new(&g.demos, horizon, alignment)?,
            })
        })
        .collect()
}
