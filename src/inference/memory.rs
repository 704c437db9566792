//! The memory guard: what a computation will allocate, checked against a limit before
//! anything is allocated. Every guard of the library reports the same way (see
//! [`MemoryEstimate::check`]): what it would need, by part; the limit and where it comes
//! from; and the input that makes it that large, with what to change.
//!
//! For a solve or a likelihood evaluation the count is exact for the large arrays, in
//! bytes of f64 (8 each):
//!
//! ```text
//! values          (T + 1)·S          finite horizon;  2·S for the fixed point
//! forward         3·S                mass now and next, visits
//! chunk scratch   ⌈S/C⌉·R·(A + 2)    per chunk of C states (256 … 2048), backward pass
//! windows         Σ_b |window_b|     the scatter blocks' private windows
//! block scratch   B·R·(2A + 2)       per scatter block (B of them), forward passes
//! state-action    S·A                when the features depend on the action
//! prior           S·A                an action prior given per state and action
//! rows            (T + 1)·S          occupancy rows, when kept
//! Q and π         2·T·S·A            when the solution's arrays are asked for
//! ```
//!
//! where R = [`RUN_STATES`] is the run of states whose soft-max parts are computed
//! together, and the blocks and their windows are those of the kernels' layout (see
//! [`ScatterBlocks`]), computed here from the transitions as the layout computes them.
//! The MDP itself is already in memory and is not counted, nor is the kernels' layout
//! of it, which a loop of solves builds once; neither are buffers of O(A) size. The
//! default limit is the memory new allocations of the process can still take: the
//! kernel's estimate of the memory available (`MemAvailable`), or less where the
//! process's cgroup or its `ulimit -v` / `ulimit -d` leave less (see
//! [`available`](super::available)); where none can be read the guard is off.

use super::available::available_with_source;
use super::chunks::chunk_states;
use super::kernel::RUN_STATES;
use super::layout::ScatterBlocks;
use crate::error::{Error, Result};
use crate::inference::{ActionPrior, SoftSettings};
use crate::mdp::Mdp;

/// The most memory a computation may allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemoryLimit {
    /// The memory available when the computation starts.
    #[default]
    Available,
    /// A fixed number of bytes.
    Bytes(u64),
    /// No check.
    Unlimited,
}

impl MemoryLimit {
    /// The limit in bytes and where it came from, or `None` when there is none.
    pub fn resolve(self) -> Option<(u64, &'static str)> {
        match self {
            MemoryLimit::Available => available_with_source(),
            MemoryLimit::Bytes(b) => Some((b, "the memory limit")),
            MemoryLimit::Unlimited => None,
        }
    }
}

/// What a computation will allocate, by part, and the input that makes it that large.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemoryEstimate {
    parts: Vec<(&'static str, u64)>,
    cause: String,
}

impl MemoryEstimate {
    /// The backward and forward passes of `settings` on `mdp`; `arrays` adds the
    /// per-step occupancy rows, Q and π that `irl solve` writes.
    pub fn solve(mdp: &Mdp, settings: &SoftSettings, arrays: bool) -> Self {
        let mut estimate = Self::value_rows(mdp, settings);
        estimate.merge(&Self::likelihood_scratch(mdp, settings));
        let (s, a) = (mdp.n_states() as u64, mdp.n_actions() as u64);
        if arrays {
            let steps = settings.horizon.map_or(1, |t| t as u64);
            estimate.add("occupancy rows", product(&[steps.saturating_add(1), s, 8]));
            estimate.add("Q and π", product(&[2, steps, s, a, 8]));
        }
        estimate
    }

    /// The value rows of one backward pass, which a fit keeps between its evaluations.
    pub fn value_rows(mdp: &Mdp, settings: &SoftSettings) -> Self {
        let rows = settings.horizon.map_or(2, |t| (t as u64).saturating_add(1));
        Self::default()
            .with("values", product(&[rows, mdp.n_states() as u64, 8]))
            .because(solver_cause(mdp, settings))
    }

    /// What one likelihood evaluation (backward pass plus the adjoint forward pass)
    /// allocates besides its value rows, only while it runs.
    pub fn likelihood_scratch(mdp: &Mdp, settings: &SoftSettings) -> Self {
        let (s, a) = (mdp.n_states() as u64, mdp.n_actions() as u64);
        let mut estimate = Self::default().because(solver_cause(mdp, settings));
        estimate.add("forward mass", 3 * s * 8);
        let chunk = chunk_states(mdp.n_states());
        let chunks = mdp.n_states().div_ceil(chunk) as u64;
        let run = RUN_STATES as u64;
        estimate.add("chunk scratch", chunks * run * (a + 2) * 8);
        let scatter = ScatterBlocks::new(mdp.transitions());
        estimate.add("scatter windows", scatter.window_total() as u64 * 8);
        let blocks = scatter.windows().len() as u64;
        estimate.add("block scratch", blocks * run * (2 * a + 2) * 8);
        if mdp.features().is_per_action() {
            estimate.add("state-action totals", s * a * 8);
        }
        if matches!(settings.action_prior, ActionPrior::PerState(_)) {
            estimate.add("action prior", s * a * 8);
        }
        estimate
    }

    /// Count `bytes` more for `part` (added to what the part already has).
    pub fn add(&mut self, part: &'static str, bytes: u64) {
        match self.parts.iter_mut().find(|(name, _)| *name == part) {
            Some((_, total)) => *total = total.saturating_add(bytes),
            None => self.parts.push((part, bytes)),
        }
    }

    /// This estimate with `bytes` more for `part`.
    pub fn with(mut self, part: &'static str, bytes: u64) -> Self {
        self.add(part, bytes);
        self
    }

    /// This estimate with `cause`: the input that makes it large and what to change,
    /// as the error of [`check`](Self::check) ends.
    pub fn because(mut self, cause: impl Into<String>) -> Self {
        self.cause = cause.into();
        self
    }

    /// Add another computation that runs at the same time (its cause is kept when this
    /// estimate has none).
    pub fn merge(&mut self, other: &MemoryEstimate) {
        for &(part, bytes) in &other.parts {
            self.add(part, bytes);
        }
        if self.cause.is_empty() {
            self.cause.clone_from(&other.cause);
        }
    }

    /// Total bytes.
    pub fn total(&self) -> u64 {
        self.parts
            .iter()
            .fold(0, |sum, (_, b)| sum.saturating_add(*b))
    }

    /// Fail with the amount needed, by part, the limit and the cause, if the total
    /// exceeds `limit`.
    pub fn check(&self, what: &'static str, limit: MemoryLimit) -> Result<()> {
        let Some((limit_bytes, source)) = limit.resolve() else {
            return Ok(());
        };
        if self.total() <= limit_bytes {
            return Ok(());
        }
        let parts = self
            .parts
            .iter()
            .filter(|(_, b)| *b > 0)
            .map(|(name, b)| format!("{name} {}", format_bytes(*b)))
            .collect::<Vec<_>>()
            .join(", ");
        let cause = if self.cause.is_empty() {
            "raise the memory limit".to_string()
        } else {
            self.cause.clone()
        };
        Err(Error::MemoryLimit {
            what,
            needed: format!("{} ({parts})", format_bytes(self.total())),
            limit: format!("{source} is {}", format_bytes(limit_bytes)),
            cause,
        })
    }
}

/// The product of `factors`, saturating at `u64::MAX` (a size no limit allows).
pub fn product(factors: &[u64]) -> u64 {
    factors.iter().fold(1, |p, &f| p.saturating_mul(f))
}

/// What makes a soft dynamic program large: its horizon, or the MDP's size without one.
fn solver_cause(mdp: &Mdp, settings: &SoftSettings) -> String {
    match settings.horizon {
        Some(t) => format!(
            "the horizon {t} over {} states makes it that large: shorten the horizon or raise \
             the memory limit",
            mdp.n_states()
        ),
        None => format!(
            "the MDP's {} states and {} actions make it that large: raise the memory limit",
            mdp.n_states(),
            mdp.n_actions()
        ),
    }
}

/// The memory new allocations of this process can take, in bytes (see
/// [`available`](super::available)).
pub fn available_memory() -> Option<u64> {
    available_with_source().map(|(bytes, _)| bytes)
}

/// Bytes in binary units with three significant digits: `812 MiB`, `1.52 GiB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else if value >= 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdp::{Features, MdpParts, Transitions};

    fn chain(n: usize) -> Mdp {
        // State s moves to s + 1 (the last stays): S = n, A = 1.
        let next: Vec<u32> = (0..n).map(|s| (s + 1).min(n - 1) as u32).collect();
        let transitions = Transitions::from_csr(n, 1, (0..=n).collect(), next, vec![1.0; n]);
        Mdp::new(MdpParts {
            transitions: transitions.unwrap(),
            initial: None,
            terminal: vec![],
            features: Features::one_hot(n),
            action_names: None,
            grid: None,
        })
        .unwrap()
    }

    #[test]
    fn counts_every_array_of_a_finite_solve() {
        let mdp = chain(100);
        let settings = SoftSettings::finite(9, 1.0);
        // values 10·100·8, forward 3·100·8, one chunk's scratch 256·(1 + 2)·8, one
        // window of the successors 1..100, one block's scratch 256·(2 + 2)·8.
        let lean = MemoryEstimate::solve(&mdp, &settings, false);
        assert_eq!(lean.total(), 8000 + 2400 + 6144 + 99 * 8 + 8192);
        // + rows 10·100·8 + Q and π 2·9·100·1·8.
        let full = MemoryEstimate::solve(&mdp, &settings, true);
        assert_eq!(full.total(), lean.total() + 8000 + 14400);
    }

    #[test]
    fn a_solve_over_the_limit_says_what_it_needs() {
        let mdp = chain(100);
        let settings = SoftSettings::finite(9, 1.0);
        let estimate = MemoryEstimate::solve(&mdp, &settings, false);
        assert!(estimate.check("solve", MemoryLimit::Bytes(25_528)).is_ok());
        let e = estimate
            .check("solve", MemoryLimit::Bytes(25_527))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("would need 24.9 KiB")
                && e.contains("values 7.81 KiB")
                && e.contains("is 24.9 KiB"),
            "{e}"
        );
        assert!(estimate.check("solve", MemoryLimit::Unlimited).is_ok());
    }

    #[test]
    fn sizes_print_in_binary_units() {
        assert_eq!(format_bytes(1536), "1.50 KiB");
        assert_eq!(format_bytes(2_000_000_000), "1.86 GiB");
    }
}
