//! Demonstration files, their format chosen by extension: `.jsonl` or `.ndjson` (any
//! case) is JSON Lines, anything else CSV. Errors carry the file name.

use std::path::Path;

use super::csv_format::{read_demos_csv, write_demos_csv};
use super::jsonl_format::{read_demos_jsonl, write_demos_jsonl};
use super::Demonstrations;
use crate::error::{Error, Result};
use crate::io::{open, write_atomic};
use crate::mdp::Mdp;

/// The two demonstration formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoFormat {
    Csv,
    JsonLines,
}

impl DemoFormat {
    /// The format a file name implies.
    pub fn of_path(path: &Path) -> Self {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match extension.as_deref() {
            Some("jsonl" | "ndjson") => DemoFormat::JsonLines,
            _ => DemoFormat::Csv,
        }
    }
}

/// Read and validate the demonstrations in `path` against `mdp`.
pub fn read_demos(path: &Path, mdp: &Mdp) -> Result<Demonstrations> {
    let reader = open(path)?;
    let demos = match DemoFormat::of_path(path) {
        DemoFormat::Csv => read_demos_csv(reader, mdp),
        DemoFormat::JsonLines => read_demos_jsonl(reader, mdp),
    };
    demos.map_err(|e| match e {
        Error::Io { source, .. } => Error::Io {
            path: path.to_path_buf(),
            source,
        },
        other => other.in_file(path),
    })
}

/// Write demonstrations to `path` (atomically) in the format its extension implies.
pub fn write_demos(path: &Path, demos: &Demonstrations) -> Result<()> {
    write_atomic(path, |writer| match DemoFormat::of_path(path) {
        DemoFormat::Csv => write_demos_csv(demos, writer),
        DemoFormat::JsonLines => write_demos_jsonl(demos, writer),
    })
}
