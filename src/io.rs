//! File output that never leaves a partial file behind: write to a temporary file in
//! the destination's folder (`tempfile`, a hidden name of random letters), then rename it
//! over the destination. A temporary file that is not renamed is removed, when writing
//! fails or when it is dropped. The file gets the permissions `File::create` would give
//! it (on Unix 0666 less the umask), not tempfile's owner-only ones.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use tempfile::TempPath;

use crate::error::{Error, Result};

/// Write a file atomically: `write` fills a temporary sibling, which is renamed to `path`
/// only when `write` succeeds; on failure the temporary file is removed. Errors name
/// `path`.
pub fn write_atomic<F>(path: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<()>,
{
    write_temporary(path, write)?
        .persist(path)
        .map_err(|e| io_error(path, e.error))
}

/// Write the complete file that is to become `path` under a temporary name beside it,
/// flushed to disk; the returned path removes it when dropped unless it is persisted.
/// On failure nothing is left behind. Errors name `path`.
pub(crate) fn write_temporary<F>(path: &Path, write: F) -> Result<TempPath>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<()>,
{
    let io = |e: std::io::Error| io_error(path, e);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // tempfile makes files for their owner alone; an output gets what `File::create`
    // would give it, read-write for everyone the umask lets through.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let (file, temporary) = builder.tempfile_in(folder).map_err(io)?.into_parts();
    let mut writer = BufWriter::new(file);
    write(&mut writer).map_err(|e| match e {
        Error::Io { source, .. } => io_error(path, source),
        other => other.in_file(path),
    })?;
    writer.flush().map_err(io)?;
    writer
        .into_inner()
        .map_err(|e| io(e.into_error()))?
        .sync_all()
        .map_err(io)?;
    Ok(temporary)
}

/// An I/O error about `path`.
pub(crate) fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Open a file for reading, with an error naming it.
pub fn open(path: &Path) -> Result<std::io::BufReader<File>> {
    File::open(path)
        .map(std::io::BufReader::new)
        .map_err(|e| io_error(path, e))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::test_support::folder_entries;

    /// A writer that writes `bytes`, then fails when `fail` is set.
    fn writing(
        bytes: &'static [u8],
        fail: bool,
    ) -> impl FnOnce(&mut BufWriter<File>) -> Result<()> {
        move |w| {
            w.write_all(bytes).expect("a buffered write");
            if fail {
                Err(Error::param("x", "fails"))
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn failed_write_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        let message = write_atomic(&path, writing(b"partial", true))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("out.json") && message.contains("fails"),
            "{message}"
        );
        assert!(folder_entries(dir.path()).is_empty());
        write_atomic(&path, writing(b"ok", false)).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "ok");
    }

    #[test]
    fn an_existing_file_is_replaced_only_by_a_complete_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        fs::write(&path, "old").unwrap();
        assert!(write_atomic(&path, writing(b"new, but cut", true)).is_err());
        assert_eq!(folder_entries(dir.path()), ["out.csv"]);
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        write_atomic(&path, writing(b"new", false)).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
    }

    #[test]
    fn a_destination_that_cannot_be_written_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-folder").join("out.json");
        let message = write_atomic(&path, writing(b"", false))
            .unwrap_err()
            .to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        // A folder in the destination's place: the finished file cannot be renamed there.
        let taken = dir.path().join("taken");
        fs::create_dir(&taken).unwrap();
        fs::write(taken.join("inside"), "x").unwrap();
        let message = write_atomic(&taken, writing(b"data", false))
            .unwrap_err()
            .to_string();
        assert!(message.contains(&taken.display().to_string()), "{message}");
        assert_eq!(folder_entries(dir.path()), ["taken"]);
    }

    #[cfg(unix)]
    #[test]
    fn written_files_get_the_permissions_of_a_created_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let created = dir.path().join("created");
        File::create(&created).unwrap();
        let written = dir.path().join("written");
        write_atomic(&written, writing(b"x", false)).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode();
        assert_eq!(mode(&written), mode(&created));
    }

    #[test]
    fn a_temporary_file_is_hidden_beside_its_target_and_removed_unless_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.npz");
        let temporary = write_temporary(&path, writing(b"abc", false)).unwrap();
        let name = temporary
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.starts_with(".m.npz.") && name.ends_with(".tmp"),
            "{name}"
        );
        assert_eq!(temporary.parent(), Some(dir.path()));
        assert_eq!(fs::read(&temporary).unwrap(), b"abc");
        drop(temporary);
        assert!(folder_entries(dir.path()).is_empty());
    }
}
