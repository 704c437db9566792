//! Running the built `irl` binary from a test.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

/// Run `irl` with `args` and collect its output.
pub fn irl<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_irl"))
        .args(args)
        .output()
        .expect("the irl binary runs")
}

/// Run `irl` with `args` and fail the test, showing stderr, unless it succeeds.
pub fn succeed<S: AsRef<OsStr> + std::fmt::Debug>(args: &[S]) -> Output {
    let output = irl(args);
    assert!(
        output.status.success(),
        "irl {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Run `irl` with `args` under an address-space limit (`ulimit -v`) of `kib` KiB, which a
/// shell sets before it becomes `irl`: a memory guard then sees that limit, whatever the
/// machine's memory.
pub fn irl_under_ulimit<S: AsRef<OsStr>>(kib: u64, args: &[S]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_irl"))
        .args(args)
        .output()
        .expect("sh runs")
}

/// A temporary path as text for the command line.
pub fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temporary path")
}
