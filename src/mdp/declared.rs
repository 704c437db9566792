//! The sizes an `irl-mdp/1` document declares, checked before anything of that size is
//! allocated: against what the document holds, then against a memory limit.
//!
//! Every state must be terminal or have an available action, and an action is available
//! only through a listed transition, so a document whose transitions are arrays of N
//! entries with T terminal states can describe at most N + T states; a larger `n_states`
//! is refused at once, whatever the memory, naming the first state among 0 … N + T that
//! is neither (found with N + T + 1 flags). Reading the rest allocates, in bytes:
//!
//! ```text
//! row pointers     12·(S·A + 1)    counted while building, then kept as 32 bits
//! entries          20·N            their order, successors and probabilities
//! state arrays     9·S             p0 and the terminal mask
//! feature names    56·S            one-hot features: a short name per state
//! ```
//!
//! with N known before reading only for the arrays form (the `.npz` reader checks its own
//! lengths). The parsed document itself is as large as the file and is not counted.

use crate::error::{Error, Result};
use crate::inference::{product, MemoryEstimate, MemoryLimit};

/// Bytes of a one-hot feature name: the `String` and its short allocation.
const ONE_HOT_NAME_BYTES: u64 = 56;

/// What a document declares and lists, before its arrays are built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Declared<'a> {
    pub n_states: usize,
    pub n_actions: usize,
    /// The states of the transition arrays (`transitions.s`); `None` when the transitions
    /// live in a `.npz` file.
    pub states: Option<&'a [f64]>,
    pub terminal: &'a [f64],
    pub one_hot: bool,
}

impl Declared<'_> {
    /// Fail when the document cannot describe `n_states` states, or when reading it would
    /// take more than `limit`; the errors name the counts that make it so.
    pub fn check(&self, limit: MemoryLimit) -> Result<()> {
        if let Some(states) = self.states {
            let listed = states.len().saturating_add(self.terminal.len());
            if self.n_states > listed {
                let s = first_unlisted(states, self.terminal);
                return Err(Error::mdp(
                    format!("transitions (state {s})"),
                    format!(
                        "state {s} is not terminal but has no available action: n_states \
                         declares {} states, but the document lists {} transitions and {} \
                         terminal states, so at most {listed} states can have an action or be \
                         terminal",
                        self.n_states,
                        states.len(),
                        self.terminal.len()
                    ),
                ));
            }
        }
        self.memory().check("reading the MDP", limit)
    }

    /// What reading the document allocates (see the module documentation).
    pub fn memory(&self) -> MemoryEstimate {
        let (s, a) = (self.n_states as u64, self.n_actions as u64);
        let rows = product(&[s, a]).saturating_add(1);
        let mut estimate = MemoryEstimate::default()
            .with("row pointers", product(&[rows, 12]))
            .with("state arrays", product(&[s, 9]))
            .because(format!(
                "n_states = {} and n_actions = {} make it that large: check these counts",
                self.n_states, self.n_actions
            ));
        if let Some(states) = self.states {
            estimate.add("entries", product(&[states.len() as u64, 20]));
        }
        if self.one_hot {
            estimate.add("feature names", product(&[s, ONE_HOT_NAME_BYTES]));
        }
        estimate
    }
}

/// The smallest state that is neither listed in `states` nor in `terminal`: one of
/// 0 … |states| + |terminal|, since that many values cannot cover them all.
fn first_unlisted(states: &[f64], terminal: &[f64]) -> usize {
    let mut seen = vec![false; states.len() + terminal.len() + 1];
    for &v in states.iter().chain(terminal) {
        if v >= 0.0 && v.fract() == 0.0 && v < seen.len() as f64 {
            seen[v as usize] = true;
        }
    }
    seen.iter().position(|&s| !s).unwrap_or(seen.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared<'a>(n_states: usize, n_actions: usize, states: Option<&'a [f64]>) -> Declared<'a> {
        Declared {
            n_states,
            n_actions,
            states,
            terminal: &[1.0],
            one_hot: true,
        }
    }

    #[test]
    fn more_states_than_the_document_lists_are_refused_before_any_memory_check() {
        // States 0 and 2 have transitions and 1 is terminal: 3 is the first of neither.
        let states = [0.0, 2.0, 0.0];
        let e = declared(1_000_000_000, 2, Some(&states))
            .check(MemoryLimit::Unlimited)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("at transitions (state 3): state 3 is not terminal")
                && e.contains("declares 1000000000 states")
                && e.contains("3 transitions and 1 terminal states, so at most 4"),
            "{e}"
        );
        assert!(declared(4, 2, Some(&states))
            .check(MemoryLimit::Unlimited)
            .is_ok());
        // Transitions in a .npz file: only the memory is checked here.
        assert!(declared(1_000_000, 2, None)
            .check(MemoryLimit::Unlimited)
            .is_ok());
        assert_eq!(first_unlisted(&[0.0, 1.5, -1.0, 9.0], &[]), 1);
    }

    #[test]
    fn the_memory_of_the_declared_sizes_is_counted_and_checked() {
        // S = 10, A = 3: rows 12·31, states 9·10, entries 20·12, names 56·10.
        let states = [0.0; 12];
        let d = declared(10, 3, Some(&states));
        assert_eq!(d.memory().total(), 372 + 90 + 240 + 560);
        assert!(d.check(MemoryLimit::Bytes(1262)).is_ok());
        let e = d.check(MemoryLimit::Bytes(1261)).unwrap_err().to_string();
        assert!(
            e.contains("reading the MDP would need 1.23 KiB")
                && e.contains("row pointers 372 B")
                && e.contains("the memory limit is 1.23 KiB")
                && e.contains("n_states = 10 and n_actions = 3 make it that large"),
            "{e}"
        );
        // Two states with 2^31 actions each: 48 GiB of row pointers, never allocated.
        let wide = declared(2, 1 << 31, None);
        assert_eq!(wide.memory().total(), 12 * ((1u64 << 32) + 1) + 18 + 112);
        assert!(wide.check(MemoryLimit::Bytes(1 << 30)).is_err());
    }
}
