//! The memory guard: what a solve or a likelihood evaluation will allocate, checked
//! against a limit before anything is allocated.
//!
//! The count is exact for the large arrays, in bytes of f64 (8 each):
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
//! of it, which a loop of solves builds once; neither are buffers of O(A) size. The default limit is the kernel's estimate of the memory available
//! to new allocations (`MemAvailable` in `/proc/meminfo`); where that cannot be read the
//! guard is off.

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
            MemoryLimit::Available => available_memory().map(|b| (b, "the available memory")),
            MemoryLimit::Bytes(b) => Some((b, "the memory limit")),
            MemoryLimit::Unlimited => None,
        }
    }
}

/// What a computation will allocate, by part.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemoryEstimate {
    parts: Vec<(&'static str, u64)>,
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
            estimate.add("occupancy rows", (steps + 1) * s * 8);
            estimate.add("Q and π", 2 * steps * s * a * 8);
        }
        estimate
    }

    /// The value rows of one backward pass, which a fit keeps between its evaluations.
    pub fn value_rows(mdp: &Mdp, settings: &SoftSettings) -> Self {
        let mut estimate = Self::default();
        let rows = settings.horizon.map_or(2, |t| t as u64 + 1);
        estimate.add("values", rows * mdp.n_states() as u64 * 8);
        estimate
    }

    /// What one likelihood evaluation (backward pass plus the adjoint forward pass)
    /// allocates besides its value rows, only while it runs.
    pub fn likelihood_scratch(mdp: &Mdp, settings: &SoftSettings) -> Self {
        let (s, a) = (mdp.n_states() as u64, mdp.n_actions() as u64);
        let mut estimate = Self::default();
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

    fn add(&mut self, part: &'static str, bytes: u64) {
        match self.parts.iter_mut().find(|(name, _)| *name == part) {
            Some((_, total)) => *total += bytes,
            None => self.parts.push((part, bytes)),
        }
    }

    /// Add another computation that runs at the same time.
    pub fn merge(&mut self, other: &MemoryEstimate) {
        for &(part, bytes) in &other.parts {
            self.add(part, bytes);
        }
    }

    /// Total bytes.
    pub fn total(&self) -> u64 {
        self.parts.iter().map(|(_, b)| b).sum()
    }

    /// Fail with the amount needed, by part, if the total exceeds `limit`.
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
        Err(Error::MemoryLimit {
            what,
            needed: format_bytes(self.total()),
            parts,
            limit: format_bytes(limit_bytes),
            limit_source: source,
        })
    }
}

/// `MemAvailable` from `/proc/meminfo`, in bytes.
pub fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_available(&info)
}

fn parse_mem_available(info: &str) -> Option<u64> {
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
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

    #[test]
    fn mem_available_is_read_from_meminfo_lines() {
        let info = "MemTotal:       24683572 kB\nMemFree:        14460000 kB\nMemAvailable:   22870000 kB\n";
        assert_eq!(parse_mem_available(info), Some(22_870_000 * 1024));
        assert_eq!(parse_mem_available("MemTotal: 1 kB\n"), None);
    }
}
