//! The fuzz harness of the loaders: deterministic mutations of the seed files in
//! `fuzz/corpus/<target>/` ([`mutate`]) fed in-process to one loader ([`targets`]),
//! each call under `catch_unwind`, so that a panic is caught, reported with its message
//! and place, and its input saved for reproduction, and the run goes on.
//!
//! It runs on the stable toolchain and needs no instrumentation: it is not coverage
//! guided, which the seeds make up for in part, as they hold a valid file of each form
//! and each known hostile case.

pub mod mutate;
pub mod targets;

use std::cell::RefCell;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use anyhow::Context;

pub use targets::{Loader, Target};

/// The index of the input being loaded, for a report of a run that a signal ends (an
/// allocation that fails aborts the process, which no `catch_unwind` catches).
pub static CURRENT_INPUT: AtomicU64 = AtomicU64::new(0);

/// What a run does.
#[derive(Debug, Clone)]
pub struct Config {
    /// The corpus folder: `fixture/` and one folder of seeds per target.
    pub corpus: PathBuf,
    /// The seed of the mutations.
    pub seed: u64,
    /// The first input's index: a run of inputs `first..first + inputs`.
    pub first: u64,
    /// How many inputs to make and load.
    pub inputs: u64,
    /// The limit given to every memory guard, in bytes.
    pub memory_limit: u64,
    /// Where the inputs that panicked are written, when anywhere.
    pub crashes: Option<PathBuf>,
}

/// An input that made the loader panic.
#[derive(Debug, Clone)]
pub struct Panic {
    /// The input's index in its run.
    pub index: u64,
    /// The panic's message and place (`src/mdp/json.rs:12:5`).
    pub message: String,
    /// The file the input was written to.
    pub saved: Option<PathBuf>,
}

/// How a run went.
#[derive(Debug, Clone)]
pub struct Report {
    pub target: Target,
    /// Inputs loaded.
    pub inputs: u64,
    /// Inputs the loader accepted (the rest it refused with an error, or panicked on).
    pub accepted: u64,
    pub panics: Vec<Panic>,
    pub elapsed: Duration,
}

impl Report {
    /// A line of figures: inputs, rate, accepted share, panics.
    pub fn summary(&self) -> String {
        let seconds = self.elapsed.as_secs_f64();
        format!(
            "{}: {} inputs in {seconds:.1} s ({:.0} per second), {} accepted, {} refused, {} panics",
            self.target.name(),
            self.inputs,
            self.inputs as f64 / seconds.max(1e-9),
            self.accepted,
            self.inputs - self.accepted - self.panics.len() as u64,
            self.panics.len()
        )
    }
}

/// Run `config.inputs` inputs of `target`; `progress` is called about every
/// `every` with the figures so far.
pub fn run(
    target: Target,
    config: &Config,
    every: Duration,
    mut progress: impl FnMut(&Report),
) -> anyhow::Result<Report> {
    let seeds: Vec<Vec<u8>> = target
        .seeds(&config.corpus)?
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let loader = Loader::new(target, &config.corpus, config.memory_limit)?;
    if let Some(folder) = &config.crashes {
        fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    capture_panics();
    let start = Instant::now();
    let mut last = start;
    let mut report = Report {
        target,
        inputs: 0,
        accepted: 0,
        panics: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for index in config.first..config.first + config.inputs {
        let input = target.input(&seeds, config.seed, index);
        CURRENT_INPUT.store(index, Ordering::Relaxed);
        match call(&loader, &input) {
            Ok(true) => report.accepted += 1,
            Ok(false) => {}
            Err(message) => {
                let saved = config
                    .crashes
                    .as_deref()
                    .map(|folder| save(folder, target, config.seed, index, &input))
                    .transpose()?;
                report.panics.push(Panic {
                    index,
                    message,
                    saved,
                });
            }
        }
        report.inputs += 1;
        if last.elapsed() >= every {
            last = Instant::now();
            report.elapsed = start.elapsed();
            progress(&report);
        }
    }
    report.elapsed = start.elapsed();
    Ok(report)
}

/// Write `input` as `<target>-seed<seed>-<index>.<ext>` in `folder`.
pub fn save(
    folder: &Path,
    target: Target,
    seed: u64,
    index: u64,
    input: &[u8],
) -> anyhow::Result<PathBuf> {
    let path = folder.join(format!(
        "{}-seed{seed}-{index}.{}",
        target.name(),
        target.extension()
    ));
    fs::write(&path, input).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// Load `input`: whether it was accepted, or the panic's message and place.
pub fn call(loader: &Loader, input: &[u8]) -> Result<bool, String> {
    CAUGHT.with(|c| c.borrow_mut().active = true);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| loader.load(input).is_ok()));
    let place = CAUGHT.with(|c| {
        let mut c = c.borrow_mut();
        c.active = false;
        c.place.take()
    });
    outcome.map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".into());
        match place {
            Some(place) => format!("{message} (at {place})"),
            None => message,
        }
    })
}

/// The state of the panic hook on this thread: whether a load is running here, and the
/// place of the panic it caught.
#[derive(Default)]
struct Caught {
    active: bool,
    place: Option<String>,
}

thread_local! {
    static CAUGHT: RefCell<Caught> = RefCell::new(Caught::default());
}

/// Install, once, a panic hook that keeps quiet about a panic of a load on this thread
/// and records its place, and leaves any other panic to the hook it replaces.
fn capture_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let caught = CAUGHT.with(|c| {
                let mut c = c.borrow_mut();
                if c.active {
                    c.place = info.location().map(|l| l.to_string());
                }
                c.active
            });
            if !caught {
                previous(info);
            }
        }));
    });
}
