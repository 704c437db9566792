//! File output that never leaves a partial file behind: write to a temporary file in
//! the destination's folder, then rename it over the destination.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// Write a file atomically: `write` fills a temporary sibling, which is renamed to `path`
/// only when `write` succeeds; on failure the temporary file is removed.
pub fn write_atomic<F>(path: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<()>,
{
    let io = |e: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let tmp = temporary_sibling(path);
    let result = (|| {
        let file = File::create(&tmp).map_err(io)?;
        let mut writer = BufWriter::new(file);
        write(&mut writer)?;
        writer.flush().map_err(io)?;
        writer
            .into_inner()
            .map_err(|e| io(e.into_error()))?
            .sync_all()
            .map_err(io)?;
        fs::rename(&tmp, path).map_err(io)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|e| match e {
        Error::Io { source, .. } => Error::Io {
            path: path.to_path_buf(),
            source,
        },
        other => other.in_file(path),
    })
}

/// A hidden name next to `path`, unique within this process and across processes.
pub(crate) fn temporary_sibling(path: &Path) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Open a file for reading, with an error naming it.
pub fn open(path: &Path) -> Result<std::io::BufReader<File>> {
    File::open(path)
        .map(std::io::BufReader::new)
        .map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: e,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        let r = write_atomic(&path, |w| {
            w.write_all(b"partial").unwrap();
            Err(Error::param("x", "fails"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        write_atomic(&path, |w| {
            w.write_all(b"ok").map_err(|e| Error::Io {
                path: path.clone(),
                source: e,
            })
        })
        .unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "ok");
    }
}
