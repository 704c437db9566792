//! `irl-fuzz`: runs the loaders of `irl` on mutated seed files (see [`harness`]) and
//! reports the inputs per second, the share accepted and every panic, whose input it
//! saves. The memory the process may allocate is held to `--memory-limit` more than it
//! has when it starts (`ulimit -d`, which the library's memory guards read), so that a
//! declared size too large for it is an error rather than an allocation; an allocation
//! that fails anyway aborts the process, and the index of the input that did it is
//! printed, for `--replay`.
//!
//!     cargo run --profile test -p irl-fuzz -- all --inputs 1000000

mod harness;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;

use harness::{Config, Target};

#[derive(Parser)]
#[command(about = "Fuzz the loaders of irl with mutated seed files")]
struct Args {
    /// The loader: mdp, npz, weights, model, demos-csv, demos-jsonl, tracks, or all of
    /// them one after another.
    target: String,
    /// Inputs per loader.
    #[arg(long, default_value_t = 1_000_000)]
    inputs: u64,
    /// Seed of the mutations.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Index of the first input.
    #[arg(long, default_value_t = 0)]
    first: u64,
    /// The corpus folder (fixture/ and a folder of seeds per loader).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus"))]
    corpus: PathBuf,
    /// Where the inputs that panicked are written.
    #[arg(long, default_value = "fuzz-crashes")]
    crashes: PathBuf,
    /// MiB the process may allocate beyond what it holds at the start.
    #[arg(long, default_value_t = 256)]
    memory_limit: u64,
    /// Write input INDEX of the run to the crashes folder and load it once, without
    /// catching a panic.
    #[arg(long, value_name = "INDEX")]
    replay: Option<u64>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let targets = match args.target.as_str() {
        "all" => Target::ALL.to_vec(),
        name => vec![Target::from_name(name).with_context(|| {
            format!("there is no loader {name}; give one of mdp, npz, weights, model, demos-csv, demos-jsonl, tracks, all")
        })?],
    };
    let memory_limit = args.memory_limit.saturating_mul(1 << 20);
    limit_data(memory_limit)?;
    if let Some(index) = args.replay {
        return replay(&targets, &args, index, memory_limit);
    }
    let mut failed = false;
    for target in targets {
        let config = Config {
            corpus: args.corpus.clone(),
            seed: args.seed,
            first: args.first,
            inputs: args.inputs,
            memory_limit,
            crashes: Some(args.crashes.clone()),
        };
        signals::watch(target.name(), args.seed);
        let report = harness::run(target, &config, Duration::from_secs(10), |r| {
            eprintln!("  {}", r.summary())
        })?;
        println!("{}", report.summary());
        for p in &report.panics {
            failed = true;
            let saved = p
                .saved
                .as_ref()
                .map_or(String::new(), |s| format!(", saved as {}", s.display()));
            println!("  panic at input {}{saved}: {}", p.index, p.message);
        }
    }
    if failed {
        bail!("some inputs made a loader panic");
    }
    Ok(())
}

/// Save input `index` of each target and load it once, letting a panic through.
fn replay(targets: &[Target], args: &Args, index: u64, memory_limit: u64) -> Result<()> {
    std::fs::create_dir_all(&args.crashes)
        .with_context(|| format!("cannot create {}", args.crashes.display()))?;
    for &target in targets {
        let seeds: Vec<Vec<u8>> = target
            .seeds(&args.corpus)?
            .into_iter()
            .map(|(_, b)| b)
            .collect();
        let input = target.input(&seeds, args.seed, index);
        let path = harness::save(&args.crashes, target, args.seed, index, &input)?;
        let loader = harness::Loader::new(target, &args.corpus, memory_limit)?;
        match loader.load(&input) {
            Ok(()) => println!("{}: accepted", path.display()),
            Err(e) => println!("{}: refused: {e}", path.display()),
        }
    }
    Ok(())
}

/// Hold the data size of the process (`ulimit -d`) to `bytes` more than it is now.
#[cfg(unix)]
fn limit_data(bytes: u64) -> Result<()> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let used_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmData:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let limit = used_kib.saturating_mul(1024).saturating_add(bytes);
    let rlimit = libc::rlimit {
        rlim_cur: limit as libc::rlim_t,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: setrlimit reads the struct it is given and nothing else.
    if unsafe { libc::setrlimit(libc::RLIMIT_DATA, &rlimit) } != 0 {
        bail!(
            "cannot limit the data size: {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn limit_data(_bytes: u64) -> Result<()> {
    Ok(())
}

/// The report of a run that SIGABRT ends: which input of which loader was loading.
#[cfg(unix)]
mod signals {
    use std::sync::atomic::Ordering;
    use std::sync::Mutex;

    use super::harness::CURRENT_INPUT;

    /// The message's start, set before the handler can run and only read by it.
    static PREFIX: Mutex<Vec<u8>> = Mutex::new(Vec::new());

    /// Report the current input of `target` (seeded with `seed`) if the process aborts.
    pub fn watch(target: &str, seed: u64) {
        *PREFIX.lock().expect("not poisoned") = format!(
            "\nirl-fuzz: aborted while loading {target} input (replay with `{target} --seed {seed} --replay INDEX`), INDEX = "
        )
        .into_bytes();
        let handler = on_abort as extern "C" fn(libc::c_int);
        // SAFETY: the handler only reads memory that stays valid and calls write(2),
        // which is async-signal-safe.
        unsafe { libc::signal(libc::SIGABRT, handler as libc::sighandler_t) };
    }

    extern "C" fn on_abort(_: libc::c_int) {
        let mut digits = [0u8; 21];
        let mut n = CURRENT_INPUT.load(Ordering::Relaxed);
        let mut at = digits.len() - 1;
        digits[at] = b'\n';
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if let Ok(prefix) = PREFIX.try_lock() {
            // SAFETY: both buffers are valid for the lengths given.
            unsafe { libc::write(2, prefix.as_ptr().cast(), prefix.len()) };
        }
        // SAFETY: as above.
        unsafe { libc::write(2, digits[at..].as_ptr().cast(), digits.len() - at) };
    }
}

#[cfg(not(unix))]
mod signals {
    pub fn watch(_target: &str, _seed: u64) {}
}
