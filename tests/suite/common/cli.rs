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

/// A temporary path as text for the command line.
pub fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temporary path")
}
