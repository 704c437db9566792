//! Which states can reach a terminal state: the states from which some policy arrives in
//! a terminal state with positive probability, found backwards from the terminal states
//! over the transitions of the available actions (a breadth-first search of the reversed
//! graph). An undiscounted infinite-horizon problem needs every state among them: from
//! any other, every path goes on forever, its soft value sums rewards over endless paths,
//! and value iteration cannot settle.
//!
//! Complexity: O(S + number of transitions) time, and two arrays of that size (the
//! predecessors in compressed rows).

use super::Mdp;

impl Mdp {
    /// The first state from which no policy can reach a terminal state, if there is one
    /// (every state when there is no terminal state).
    pub fn state_without_way_out(&self) -> Option<usize> {
        let n = self.n_states();
        let (row_start, next, _) = self.transitions().csr();
        let n_actions = self.n_actions();
        // Predecessors of each state, in compressed rows: counts, offsets, then fill.
        let mut start = vec![0u32; n + 1];
        let acting = |s: usize| !self.is_terminal(s);
        for s in (0..n).filter(|&s| acting(s)) {
            let entries =
                row_start[s * n_actions] as usize..row_start[(s + 1) * n_actions] as usize;
            for &to in &next[entries] {
                start[to as usize + 1] += 1;
            }
        }
        for s in 0..n {
            start[s + 1] += start[s];
        }
        let mut fill = start.clone();
        let mut from = vec![0u32; start[n] as usize];
        for s in (0..n).filter(|&s| acting(s)) {
            let entries =
                row_start[s * n_actions] as usize..row_start[(s + 1) * n_actions] as usize;
            for &to in &next[entries] {
                from[fill[to as usize] as usize] = s as u32;
                fill[to as usize] += 1;
            }
        }
        let mut reached: Vec<bool> = (0..n).map(|s| self.is_terminal(s)).collect();
        let mut queue: Vec<usize> = (0..n).filter(|&s| reached[s]).collect();
        while let Some(s) = queue.pop() {
            for &p in &from[start[s] as usize..start[s + 1] as usize] {
                if !reached[p as usize] {
                    reached[p as usize] = true;
                    queue.push(p as usize);
                }
            }
        }
        reached.iter().position(|&r| !r)
    }
}

#[cfg(test)]
mod tests {
    use crate::mdp::{Features, Mdp, MdpParts, Transitions};

    /// States 0 → 1 → 2 (terminal) and 3 ⇄ 4, and 5 → 3 or 2 (two actions).
    fn mdp(terminal: Vec<usize>) -> Mdp {
        let (s, a, next) = (
            [0, 1, 2, 3, 4, 5, 5],
            [0, 0, 0, 0, 0, 0, 1],
            [1, 2, 2, 4, 3, 3, 2],
        );
        let transitions = Transitions::from_arrays(6, 2, &s, &a, &next, &[1.0; 7]).unwrap();
        Mdp::new(MdpParts {
            transitions,
            initial: None,
            terminal,
            features: Features::one_hot(6),
            action_names: None,
            grid: None,
        })
        .unwrap()
    }

    #[test]
    fn states_whose_every_path_avoids_the_terminal_states_are_found() {
        // 3 and 4 only cycle; 5 can leave for 2 by its second action.
        assert_eq!(mdp(vec![2]).state_without_way_out(), Some(3));
        assert_eq!(mdp(vec![2, 4]).state_without_way_out(), None);
        assert_eq!(mdp(vec![]).state_without_way_out(), Some(0));
    }
}
