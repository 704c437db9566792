//! File output that never leaves a partial file behind: write to a temporary file in
//! the destination's folder, then rename it over the destination. A temporary file that
//! is not renamed is removed, when writing fails or when it is dropped, and on SIGINT or
//! SIGTERM by the binary's handler; its name, `.{name}.{pid}.{n}.tmp`, lets a later write
//! of the same output remove it when its process was killed outright (see
//! [`Temporary`]). The file gets the permissions `File::create` would give it (on Unix
//! 0666 less the umask). An output must be a regular file in an existing folder, which
//! [`check_output_file`] checks before the work that fills it .

mod output;
mod temporaries;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

pub use output::{check_folder, check_output_file, describe};
pub use temporaries::{remove_temporaries, Kind, Temporary};

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
        .map_err(|e| io_error(path, e))
}

/// Write the complete file that is to become `path` under a temporary name beside it,
/// flushed to disk; the returned temporary is removed when dropped unless it is
/// persisted. On failure nothing is left behind. Errors name `path`; a `path` whose
/// folder is missing or that is not a regular file is refused before anything is written.
pub(crate) fn write_temporary<F>(path: &Path, write: F) -> Result<Temporary>
where
    F: FnOnce(&mut BufWriter<File>) -> Result<()>,
{
    output::check_place(path)?;
    let io = |e: std::io::Error| io_error(path, e);
    let (file, temporary) = Temporary::file(path).map_err(io)?;
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

/// Open a file for reading, with an error naming it. A character or block device
/// (`/dev/zero`, a disk) is refused: it has no end, or no end the memory checks could
/// know before reading it. Regular files and pipes are read.
pub fn open(path: &Path) -> Result<std::io::BufReader<File>> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    if is_device(&file) {
        return Err(io_error(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "is a device, not a file; expected a regular file or a pipe",
            ),
        ));
    }
    Ok(std::io::BufReader::new(file))
}

#[cfg(unix)]
fn is_device(file: &File) -> bool {
    use std::os::unix::fs::FileTypeExt;
    file.metadata()
        .map(|m| m.file_type().is_char_device() || m.file_type().is_block_device())
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_device(_: &File) -> bool {
    false
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

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused_as_input_and_a_file_is_read() {
        let message = open(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(
            message.contains("/dev/zero") && message.contains("is a device"),
            "{message}"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.txt");
        fs::write(&file, "1").unwrap();
        assert!(open(&file).is_ok());
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
    fn a_device_in_the_destination_s_place_is_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let message = write_atomic(Path::new("/dev/null"), writing(b"x", false))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("cannot write /dev/null: it is a character device"),
            "{message}"
        );
        assert!(fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
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
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let pid = std::process::id();
        assert!(
            name.starts_with(&format!(".m.npz.{pid}.")) && name.ends_with(".tmp"),
            "{name}"
        );
        assert_eq!(temporary.path().parent(), Some(dir.path()));
        assert_eq!(fs::read(temporary.path()).unwrap(), b"abc");
        drop(temporary);
        assert!(folder_entries(dir.path()).is_empty());
    }
}
