//! Sparse transition dynamics p(s' | s, a).
//!
//! Rows are indexed by `s·A + a`; each row holds the successors s' with p(s'|s,a) > 0 in
//! compressed sparse row (CSR) form: successor indices as `u32`, probabilities contiguous,
//! so a backup streams through memory once. An empty row means action `a` is unavailable
//! in state `s`.
//!
//! The kernels of the soft dynamic program read these rows in layouts of their own (state
//! matrices, probability codes, scatter blocks), which
//! [`KernelLayout`](crate::inference::KernelLayout) builds from them.
//!
//! Memory and time grow with the number of non-zero transitions, never with S².

use crate::error::{Error, Result};

/// Tolerance on Σ_s' p(s'|s,a) = 1.
pub const PROBABILITY_SUM_TOLERANCE: f64 = 1e-9;

/// Sparse transition model in CSR form.
#[derive(Debug, Clone, PartialEq)]
pub struct Transitions {
    n_states: usize,
    n_actions: usize,
    /// Row pointers, 32-bit like the successors so each state's pointers stream in half
    /// the bytes (S·A + 1 of them; at most 2^32 − 1 entries).
    row_start: Vec<u32>,
    next: Vec<u32>,
    prob: Vec<f64>,
}

/// One transition entry: from `state` under `action` to `next` with probability `p`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    pub state: usize,
    pub action: usize,
    pub next: usize,
    pub p: f64,
}

impl Transitions {
    /// Build from parallel arrays, validating every entry.
    ///
    /// Errors name the offending index `i` of the parallel arrays (`transitions.s[i]`,
    /// `transitions.p[i]`): indices out of range, non-finite or negative probabilities,
    /// duplicate (s, a, s') entries, and rows whose probabilities do not sum to 1.
    /// Entries with p = 0 are dropped after validation.
    pub fn from_arrays(
        n_states: usize,
        n_actions: usize,
        s: &[usize],
        a: &[usize],
        s_next: &[usize],
        p: &[f64],
    ) -> Result<Self> {
        let n = s.len();
        for (name, len) in [("a", a.len()), ("s_next", s_next.len()), ("p", p.len())] {
            if len != n {
                return Err(Error::mdp(
                    format!("transitions.{name}"),
                    format!(
                        "has {len} entries but transitions.s has {n}; the arrays must be parallel"
                    ),
                ));
            }
        }
        check_sizes(n_states, n_actions)?;
        let n_rows = n_states * n_actions;
        for i in 0..n {
            let check = |field: &str, value: usize, bound: usize| {
                if value >= bound {
                    Err(Error::mdp(
                        format!("transitions.{field}[{i}]"),
                        format!("index {value} is out of range 0..{bound}"),
                    ))
                } else {
                    Ok(())
                }
            };
            check("s", s[i], n_states)?;
            check("a", a[i], n_actions)?;
            check("s_next", s_next[i], n_states)?;
            check_probability(|| format!("transitions.p[{i}]"), p[i])?;
        }
        check_entry_count("transitions.p", n)?;
        // Entry indices sorted by row, then by successor within a row; each row's sum is
        // checked when the sorted order leaves it, so nothing else of S·A size is kept.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| (s[i] * n_actions + a[i], s_next[i]));
        let mut row_start = vec![0usize; n_rows + 1];
        let mut next = Vec::with_capacity(n);
        let mut prob = Vec::with_capacity(n);
        let row_of = |i: usize| s[i] * n_actions + a[i];
        let mut sum = 0.0;
        for w in 0..n {
            let i = order[w];
            let row = row_of(i);
            if w > 0 {
                let j = order[w - 1];
                if row_of(j) == row && s_next[j] == s_next[i] {
                    let (first, second) = (i.min(j), i.max(j));
                    return Err(Error::mdp(
                        format!("transitions[{second}]"),
                        format!(
                            "duplicate entry (s={}, a={}, s_next={}), first given at index {first}",
                            s[i], a[i], s_next[i]
                        ),
                    ));
                }
            }
            sum += p[i];
            if p[i] > 0.0 {
                row_start[row + 1] += 1;
                next.push(s_next[i] as u32);
                prob.push(p[i]);
            }
            let row_ends = w + 1 == n || row_of(order[w + 1]) != row;
            if row_ends {
                // The error names the row's last entry in sorted order.
                if (sum - 1.0).abs() > PROBABILITY_SUM_TOLERANCE {
                    return Err(Error::mdp(
                        format!("transitions.p[{i}]"),
                        format!(
                            "probabilities of (s={}, a={}) sum to {sum:.12}, expected 1 within {PROBABILITY_SUM_TOLERANCE:e}",
                            row / n_actions,
                            row % n_actions,
                        ),
                    ));
                }
                sum = 0.0;
            }
        }
        for row in 0..n_rows {
            row_start[row + 1] += row_start[row];
        }
        Ok(Self::assemble(n_states, n_actions, row_start, next, prob))
    }

    /// Build from compressed sparse rows as SciPy stores them: row `s·A + a` holds
    /// entries `row_start[row]..row_start[row + 1]` of `next` (columns s') and `prob`.
    ///
    /// Validates what [`from_arrays`](Self::from_arrays) does; errors name the array
    /// and index (`indptr[3]`, `indices[17]`, `data[17]`). Entries with p = 0 are dropped
    /// and each row is sorted by successor.
    pub fn from_csr(
        n_states: usize,
        n_actions: usize,
        row_start: Vec<usize>,
        next: Vec<u32>,
        prob: Vec<f64>,
    ) -> Result<Self> {
        check_sizes(n_states, n_actions)?;
        let n_rows = n_states * n_actions;
        if row_start.len() != n_rows + 1 {
            return Err(Error::mdp(
                "indptr",
                format!(
                    "has {} entries, expected S·A + 1 = {}",
                    row_start.len(),
                    n_rows + 1
                ),
            ));
        }
        if next.len() != prob.len() {
            return Err(Error::mdp(
                "indices",
                format!(
                    "has {} entries but data has {}; they must be parallel",
                    next.len(),
                    prob.len()
                ),
            ));
        }
        check_entry_count("indices", next.len())?;
        if row_start[0] != 0 || row_start[n_rows] != next.len() {
            return Err(Error::mdp(
                "indptr",
                format!(
                    "must start at 0 and end at the number of entries {}, found {} … {}",
                    next.len(),
                    row_start[0],
                    row_start[n_rows]
                ),
            ));
        }
        if let Some(row) = (0..n_rows).find(|&r| row_start[r + 1] < row_start[r]) {
            return Err(Error::mdp(
                format!("indptr[{}]", row + 1),
                format!(
                    "decreases from {} to {}",
                    row_start[row],
                    row_start[row + 1]
                ),
            ));
        }
        let (mut next, mut prob) = (next, prob);
        for row in 0..n_rows {
            let range = row_start[row]..row_start[row + 1];
            for k in range.clone() {
                if next[k] as usize >= n_states {
                    return Err(Error::mdp(
                        format!("indices[{k}]"),
                        format!("state {} is out of range 0..{n_states}", next[k]),
                    ));
                }
                check_probability(|| format!("data[{k}]"), prob[k])?;
            }
            sort_row(&mut next[range.clone()], &mut prob[range.clone()]);
            if let Some(k) = range.clone().skip(1).find(|&k| next[k] == next[k - 1]) {
                return Err(Error::mdp(
                    format!("indices[{k}]"),
                    format!(
                        "duplicate successor {} of (s={}, a={})",
                        next[k],
                        row / n_actions,
                        row % n_actions
                    ),
                ));
            }
            let sum: f64 = prob[range.clone()].iter().sum();
            if !range.is_empty() && (sum - 1.0).abs() > PROBABILITY_SUM_TOLERANCE {
                return Err(Error::mdp(
                    format!("indptr[{row}]"),
                    format!(
                        "probabilities of row {row} (s={}, a={}) sum to {sum:.12}, expected 1 within {PROBABILITY_SUM_TOLERANCE:e}",
                        row / n_actions,
                        row % n_actions
                    ),
                ));
            }
        }
        let (row_start, next, prob) = drop_zeros(row_start, next, prob);
        Ok(Self::assemble(n_states, n_actions, row_start, next, prob))
    }

    /// Assemble validated rows with at most 2^32 − 1 entries.
    fn assemble(
        n_states: usize,
        n_actions: usize,
        row_start: Vec<usize>,
        next: Vec<u32>,
        prob: Vec<f64>,
    ) -> Self {
        Self {
            n_states,
            n_actions,
            row_start: row_start.into_iter().map(|k| k as u32).collect(),
            next,
            prob,
        }
    }

    /// Number of states S.
    pub fn n_states(&self) -> usize {
        self.n_states
    }

    /// Number of actions A.
    pub fn n_actions(&self) -> usize {
        self.n_actions
    }

    /// Number of stored (non-zero) transitions.
    pub fn nnz(&self) -> usize {
        self.next.len()
    }

    /// Successors of (s, a): parallel slices of next states and probabilities.
    #[inline]
    pub fn successors(&self, s: usize, a: usize) -> (&[u32], &[f64]) {
        let row = s * self.n_actions + a;
        let range = self.row_start[row] as usize..self.row_start[row + 1] as usize;
        (&self.next[range.clone()], &self.prob[range])
    }

    /// The compressed rows: row pointers (S·A + 1), successors and probabilities.
    #[inline]
    pub fn csr(&self) -> (&[u32], &[u32], &[f64]) {
        (&self.row_start, &self.next, &self.prob)
    }

    /// Whether action `a` has any listed transition in state `s`.
    #[inline]
    pub fn available(&self, s: usize, a: usize) -> bool {
        let row = s * self.n_actions + a;
        self.row_start[row + 1] > self.row_start[row]
    }

    /// All entries in row order, for writing.
    pub fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        (0..self.n_states * self.n_actions).flat_map(move |row| {
            (self.row_start[row] as usize..self.row_start[row + 1] as usize).map(move |k| Entry {
                state: row / self.n_actions,
                action: row % self.n_actions,
                next: self.next[k] as usize,
                p: self.prob[k],
            })
        })
    }

    /// Bytes held by the rows: row pointers, successors and probabilities.
    pub fn memory_bytes(&self) -> usize {
        self.row_start.len() * 4 + self.nnz() * (4 + 8)
    }
}

/// S ≥ 1, A ≥ 1, and every row index s·A + a fits in a `u32`.
fn check_sizes(n_states: usize, n_actions: usize) -> Result<()> {
    if n_states == 0 || n_actions == 0 {
        return Err(Error::mdp(
            "n_states",
            "an MDP needs at least one state and one action",
        ));
    }
    n_states
        .checked_mul(n_actions)
        .filter(|&r| r < u32::MAX as usize)
        .map(|_| ())
        .ok_or_else(|| Error::mdp("n_states", "S·A must be below 2^32"))
}

/// Fail unless `count` entries fit 32-bit row pointers; `place` names the array.
fn check_entry_count(place: &str, count: usize) -> Result<()> {
    if count > u32::MAX as usize {
        return Err(Error::mdp(
            place,
            format!(
                "has {count} entries; at most {} transitions are supported",
                u32::MAX
            ),
        ));
    }
    Ok(())
}

/// Fail unless `p` is a probability; `place` names the entry (formatted only on failure,
/// as this runs once per transition).
fn check_probability(place: impl FnOnce() -> String, p: f64) -> Result<()> {
    if !p.is_finite() || !(0.0..=1.0 + PROBABILITY_SUM_TOLERANCE).contains(&p) {
        return Err(Error::mdp(
            place(),
            format!("probability {p} is not a finite number in [0, 1]"),
        ));
    }
    Ok(())
}

/// Sort one row's entries by successor (insertion sort: rows are short and usually sorted).
fn sort_row(next: &mut [u32], prob: &mut [f64]) {
    for i in 1..next.len() {
        let mut j = i;
        while j > 0 && next[j - 1] > next[j] {
            next.swap(j - 1, j);
            prob.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Remove entries with p = 0, compacting the arrays in place.
fn drop_zeros(
    mut row_start: Vec<usize>,
    mut next: Vec<u32>,
    mut prob: Vec<f64>,
) -> (Vec<usize>, Vec<u32>, Vec<f64>) {
    if prob.iter().all(|&p| p > 0.0) {
        return (row_start, next, prob);
    }
    let mut write = 0;
    let mut read_start = 0;
    for row in 0..row_start.len() - 1 {
        let read_end = row_start[row + 1];
        for k in read_start..read_end {
            if prob[k] > 0.0 {
                next[write] = next[k];
                prob[write] = prob[k];
                write += 1;
            }
        }
        read_start = read_end;
        row_start[row + 1] = write;
    }
    next.truncate(write);
    prob.truncate(write);
    (row_start, next, prob)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_state() -> Transitions {
        // s0 --a0--> {s0: 0.25, s1: 0.75}; s0 --a1--> s1; s1 --a0--> s1; s1 a1 unavailable
        Transitions::from_arrays(
            2,
            2,
            &[0, 0, 0, 1],
            &[0, 0, 1, 0],
            &[1, 0, 1, 1],
            &[0.75, 0.25, 1.0, 1.0],
        )
        .unwrap()
    }

    #[test]
    fn rows_are_sorted_and_empty_rows_are_unavailable() {
        let t = two_state();
        assert_eq!(t.successors(0, 0), (&[0u32, 1][..], &[0.25, 0.75][..]));
        assert!(!t.available(1, 1));
        assert_eq!(t.nnz(), 4);
        assert_eq!(t.memory_bytes(), 5 * 4 + 4 * 12);
    }

    #[test]
    fn bad_entries_name_their_index() {
        let err = |r: Result<Transitions>| r.unwrap_err().to_string();
        let e = err(Transitions::from_arrays(
            2,
            1,
            &[0, 0],
            &[0, 0],
            &[0, 1],
            &[0.5, 0.4],
        ));
        assert!(
            e.contains("transitions.p[1]") && e.contains("sum to 0.9"),
            "{e}"
        );
        let e = err(Transitions::from_arrays(
            2,
            1,
            &[0, 3],
            &[0, 0],
            &[0, 1],
            &[0.5, 0.5],
        ));
        assert!(
            e.contains("transitions.s[1]") && e.contains("out of range"),
            "{e}"
        );
        let e = err(Transitions::from_arrays(
            2,
            1,
            &[0, 0],
            &[0, 0],
            &[1, 1],
            &[0.5, 0.5],
        ));
        assert!(
            e.contains("duplicate") && e.contains("transitions[1]"),
            "{e}"
        );
        let e = err(Transitions::from_arrays(
            2,
            1,
            &[0],
            &[0],
            &[1],
            &[f64::NAN],
        ));
        assert!(e.contains("transitions.p[0]"), "{e}");
        let e = err(Transitions::from_arrays(2, 1, &[0], &[0, 0], &[1], &[1.0]));
        assert!(e.contains("transitions.a"), "{e}");
    }

    #[test]
    fn csr_rows_match_parallel_arrays_and_bad_rows_are_named() {
        let from_csr = Transitions::from_csr(
            2,
            2,
            vec![0, 2, 3, 4, 4],
            vec![1, 0, 1, 1],
            vec![0.75, 0.25, 1.0, 1.0],
        )
        .unwrap();
        assert_eq!(from_csr, two_state());
        let err = |r: Result<Transitions>| r.unwrap_err().to_string();
        let e = err(Transitions::from_csr(
            2,
            1,
            vec![0, 1, 2],
            vec![1, 2],
            vec![1.0, 1.0],
        ));
        assert!(
            e.contains("indices[1]") && e.contains("out of range"),
            "{e}"
        );
        let e = err(Transitions::from_csr(
            2,
            1,
            vec![0, 2, 2],
            vec![1, 1],
            vec![0.5, 0.5],
        ));
        assert!(e.contains("indices[1]") && e.contains("duplicate"), "{e}");
        let e = err(Transitions::from_csr(
            2,
            1,
            vec![0, 1, 2],
            vec![1, 0],
            vec![0.9, 1.0],
        ));
        assert!(e.contains("indptr[0]") && e.contains("sum to 0.9"), "{e}");
        let e = err(Transitions::from_csr(
            3,
            1,
            vec![0, 2, 1, 3],
            vec![1, 0, 2],
            vec![0.5, 0.5, 1.0],
        ));
        assert!(e.contains("indptr[2]") && e.contains("decreases"), "{e}");
        let e = err(Transitions::from_csr(2, 1, vec![0, 1], vec![1], vec![1.0]));
        assert!(e.contains("indptr") && e.contains("S·A + 1 = 3"), "{e}");
        let zeros = Transitions::from_csr(1, 1, vec![0, 2], vec![0, 0], vec![1.0, 0.0]);
        assert!(err(zeros).contains("duplicate"));
        let dropped =
            Transitions::from_csr(2, 1, vec![0, 2, 3], vec![0, 1, 1], vec![0.0, 1.0, 1.0]).unwrap();
        assert_eq!(dropped.nnz(), 2);
        assert_eq!(dropped.successors(0, 0), (&[1u32][..], &[1.0][..]));
    }

    #[test]
    fn row_pointers_are_32_bit_so_the_entry_count_is_bounded() {
        assert_eq!(two_state().csr().0, &[0, 2, 3, 4, 4]);
        assert!(check_entry_count("indices", u32::MAX as usize).is_ok());
        let e = check_entry_count("indices", u32::MAX as usize + 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("indices") && e.contains("at most 4294967295 transitions"),
            "{e}"
        );
    }
}
