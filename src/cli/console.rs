//! The two standard streams. What a command is asked to print goes to standard output
//! through [`print`], where a write that fails (a closed pipe, a full disk) is an error
//! the command reports and exits with, never a panic. Progress, summaries and errors go
//! to standard error through [`note`], where a failed write is ignored: there is nowhere
//! left to report it, and the exit status still tells.

use std::io::Write;

use anyhow::{Context, Result};

/// Write `text` to standard output and flush it.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("could not write to standard output")
}

/// Write `line` and a newline to standard error, if it can be written.
pub fn note(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(line.as_bytes())
        .and_then(|()| err.write_all(b"\n"));
}
