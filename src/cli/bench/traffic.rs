//! The memory-traffic model of the backward pass, for its achieved bytes per second.
//!
//! One step V_{t+1} → V_t reads the reward r(s) (8 bytes per state), reads V_{t+1} and
//! writes V_t (8 + 8 bytes per state), and streams the transitions once in the layout
//! the kernels use (see [`KernelLayout::streamed_bytes_per_step`]):
//!
//! - **state matrices**: per state outside the diagonal runs its W successor slots
//!   (4 bytes each) and the number of its matrix (4 bytes); per diagonal run its W
//!   offsets (4 bytes each) and its bounds (8 bytes), as its states read no successor at
//!   all; the table of distinct matrices is counted once, as it stays in cache;
//! - **rows**: per stored transition a 4-byte successor index and its probability (a
//!   1-byte code when the MDP has at most 256 distinct probabilities, else 8 bytes), per
//!   row (s, a) a 4-byte row pointer.
//!
//! The gathers V_{t+1}(s') are counted once per state, as if the cache held each value
//! between its uses (a lower bound of the true traffic); the action prior and anything
//! else the kernel touches are not counted. So
//!
//! ```text
//! bytes per step = (4·W + 4)·(S − S_runs) + (4·W + 8)·runs
//!                  + 8·(table entries) + 24·S                      state matrices
//! bytes per step = (4 + w)·nnz + 4·S·A + 24·S,  w = 1 or 8         rows
//! bytes/s = T · bytes per step / seconds.
//! ```

use irl::inference::KernelLayout;
use irl::mdp::Mdp;

/// Bytes one backward step on `mdp`, whose kernels' layout is `layout`, moves under the
/// model of the module doc.
pub fn backward_bytes_per_step(mdp: &Mdp, layout: &KernelLayout) -> u64 {
    let n_states = mdp.n_states() as u64;
    let reward = 8 * n_states;
    let values = 16 * n_states;
    layout.streamed_bytes_per_step() + reward + values
}

/// Achieved bytes per second of a backward pass of `horizon` steps that took `seconds`.
pub fn backward_bytes_per_second(
    mdp: &Mdp,
    layout: &KernelLayout,
    horizon: usize,
    seconds: f64,
) -> f64 {
    horizon as f64 * backward_bytes_per_step(mdp, layout) as f64 / seconds
}

#[cfg(test)]
mod tests {
    use super::*;
    use irl::mdp::{Features, MdpParts, Transitions};

    #[test]
    fn counts_csr_reward_and_value_bytes() {
        // 2 states × 2 actions, 5 stored transitions.
        let transitions = Transitions::from_arrays(
            2,
            2,
            &[0, 0, 0, 1, 1],
            &[0, 0, 1, 0, 1],
            &[0, 1, 1, 1, 0],
            &[0.5, 0.5, 1.0, 1.0, 1.0],
        )
        .unwrap();
        let mdp = irl::Mdp::new(MdpParts {
            transitions,
            initial: None,
            terminal: vec![],
            features: Features::one_hot(2),
            action_names: None,
            grid: None,
        })
        .unwrap();
        // Matrices would take more bytes than these rows, so the rows are streamed:
        // 5·(4 + 1) (entries, two distinct probabilities coded in a byte) + 4·4 (row
        // pointers) + 2·8 (reward) + 2·16 (values). (The layout's tests check that the
        // rows, not matrices, are streamed here.)
        let layout = KernelLayout::new(&mdp);
        assert_eq!(backward_bytes_per_step(&mdp, &layout), 25 + 16 + 16 + 32);
        assert_eq!(backward_bytes_per_second(&mdp, &layout, 10, 0.5), 1780.0);
    }

    #[test]
    fn counts_successor_slots_and_the_matrix_table_for_a_grid() {
        // 30 × 30 slippery grid, 4 actions: 4 slots per state; the south and north edges,
        // the four corners and everything else have one matrix each (7), each of 4 slots
        // × 4 lanes. The 28 states between the end columns of each row are a diagonal
        // run (30 runs), so only the 60 states of the end columns read their slots (the
        // layout's tests check the widths, runs and matrices).
        let mdp = irl::worlds::gridworld_mdp(&irl::worlds::GridworldParams {
            size: 30,
            actions: irl::worlds::GridActions::Cardinal,
            ..irl::worlds::GridworldParams::default()
        })
        .unwrap();
        assert_eq!(
            backward_bytes_per_step(&mdp, &KernelLayout::new(&mdp)),
            60 * (4 * 4 + 4) + 30 * (4 * 4 + 8) + 8 * 7 * 16 + 900 * 24
        );
    }
}
