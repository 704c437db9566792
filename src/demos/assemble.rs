//! Assembling trajectories from the rows of a demonstration table.
//!
//! Row t of trajectory i holds (i, t, s_t, a_t) for t < L; the final row, t = L, holds
//! s_L and an empty action. When the last action has no observed successor, the final
//! row is instead t = L − 1 with its action a_{L−1}, and the trajectory lists L states.
//! The rows of one trajectory are consecutive and their steps count 0, 1, …. Only the
//! final row may have an empty action. Every action must be available in its state, every
//! arrival must have p(s_{t+1} | s_t, a_t) > 0, and a trajectory needs at least one
//! action. Errors name the line, and the column when one field is at fault.

use std::collections::HashMap;

use super::checks::{action_available, transition_possible};
use super::{Demonstrations, Trajectory};
use crate::error::{quote, Error, Result};
use crate::mdp::Mdp;

/// One parsed row: its line in the file and its fields.
pub(crate) struct Row<'a> {
    pub line: u64,
    pub id: &'a str,
    pub step: usize,
    pub state: usize,
    pub action: Option<usize>,
}

/// The trajectory whose rows are being read.
struct Open {
    trajectory: Trajectory,
    last_line: u64,
    last_action: Option<usize>,
}

/// Collects rows into validated trajectories.
pub(crate) struct Assembler<'m> {
    mdp: &'m Mdp,
    done: Vec<Trajectory>,
    ended_on_line: HashMap<String, u64>,
    open: Option<Open>,
}

fn at(line: u64, column: &str) -> String {
    format!("line {line}, column {column}")
}

impl<'m> Assembler<'m> {
    pub fn new(mdp: &'m Mdp) -> Self {
        Self {
            mdp,
            done: Vec::new(),
            ended_on_line: HashMap::new(),
            open: None,
        }
    }

    /// Add the next row of the file.
    pub fn push(&mut self, row: Row) -> Result<()> {
        match self.open.take() {
            Some(open) if open.trajectory.id == row.id => self.extend(open, row),
            previous => {
                if let Some(open) = previous {
                    self.close(open)?;
                }
                self.start(row)
            }
        }
    }

    /// Close the last trajectory and return them all, in file order.
    pub fn finish(mut self) -> Result<Demonstrations> {
        if let Some(open) = self.open.take() {
            self.close(open)?;
        }
        Ok(Demonstrations::new(self.done))
    }

    fn start(&mut self, row: Row) -> Result<()> {
        if let Some(ended) = self.ended_on_line.get(row.id) {
            return Err(Error::demos(
                at(row.line, "trajectory"),
                format!(
                    "trajectory {} already ended on line {ended}; the rows of a trajectory must be consecutive",
                    quote(row.id)
                ),
            ));
        }
        if row.step != 0 {
            return Err(Error::demos(
                at(row.line, "step"),
                format!(
                    "trajectory {} starts at step {}; its first row must have step 0",
                    quote(row.id),
                    row.step
                ),
            ));
        }
        self.check_action(&row)?;
        self.open = Some(Open {
            trajectory: Trajectory {
                id: row.id.to_string(),
                states: vec![row.state],
                actions: Vec::new(),
            },
            last_line: row.line,
            last_action: row.action,
        });
        Ok(())
    }

    fn extend(&mut self, mut open: Open, row: Row) -> Result<()> {
        let previous_step = open.trajectory.actions.len();
        if row.step != previous_step + 1 {
            return Err(Error::demos(
                at(row.line, "step"),
                format!(
                    "step {} follows step {previous_step} of trajectory {}; steps must count 0, 1, 2, … without gaps or repeats",
                    row.step,
                    quote(row.id)
                ),
            ));
        }
        let Some(action) = open.last_action else {
            return Err(Error::demos(
                at(open.last_line, "action"),
                format!(
                    "the action is empty but trajectory {} continues on line {}; only a trajectory's final row has an empty action",
                    quote(row.id),
                    row.line
                ),
            ));
        };
        let state = open.trajectory.states[previous_step];
        transition_possible(self.mdp, state, action, row.state)
            .map_err(|m| Error::demos(at(row.line, "state"), m))?;
        self.check_action(&row)?;
        open.trajectory.actions.push(action);
        open.trajectory.states.push(row.state);
        open.last_line = row.line;
        open.last_action = row.action;
        self.open = Some(open);
        Ok(())
    }

    fn close(&mut self, mut open: Open) -> Result<()> {
        if let Some(action) = open.last_action {
            open.trajectory.actions.push(action);
        }
        if open.trajectory.actions.is_empty() {
            return Err(Error::demos(
                format!("line {}", open.last_line),
                format!(
                    "trajectory {} has no action: it is a single row without one; a trajectory needs at least one action",
                    quote(&open.trajectory.id)
                ),
            ));
        }
        self.ended_on_line
            .insert(open.trajectory.id.clone(), open.last_line);
        self.done.push(open.trajectory);
        Ok(())
    }

    fn check_action(&self, row: &Row) -> Result<()> {
        match row.action {
            Some(a) => action_available(self.mdp, row.state, a)
                .map_err(|m| Error::demos(at(row.line, "action"), m)),
            None => Ok(()),
        }
    }
}
