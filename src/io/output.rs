//! Where an output may go, checked before the work that fills it, and again when it is
//! written: its folder must exist and be a folder in which a file can be created, and
//! the output itself, when it exists, must be a regular file (a folder, a device, a
//! named pipe or a socket is never replaced by the rename of a finished file).

use std::fs::{self, FileType};
use std::path::Path;

use super::temporaries::{place, Temporary};
use crate::error::{Error, Result};

/// Fail unless `path` can be written: [`check_place`], and a file can be created in its
/// folder (one is created and removed).
pub fn check_output_file(path: &Path) -> Result<()> {
    check_place(path)?;
    Temporary::file(path).map(drop).map_err(|e| {
        let (folder, _) = place(path);
        output_error(
            path,
            format!("no file can be created in {}: {e}", folder.display()),
        )
    })
}

/// Fail unless the folder of `path` exists and `path`, if it exists, is a regular file.
pub(crate) fn check_place(path: &Path) -> Result<()> {
    let (folder, name) = place(path);
    if name.is_empty() || path.ends_with("..") {
        return Err(output_error(path, "name the file to write".into()));
    }
    check_folder(path, folder)?;
    match fs::metadata(path) {
        Ok(meta) if !meta.is_file() => Err(output_error(
            path,
            format!(
                "it is {}, not a regular file; only a regular file is replaced",
                describe(meta.file_type())
            ),
        )),
        _ => Ok(()),
    }
}

/// Fail unless `folder`, where `path` is to be written, exists and is a folder.
pub fn check_folder(path: &Path, folder: &Path) -> Result<()> {
    match fs::metadata(folder) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(meta) => Err(output_error(
            path,
            format!(
                "{} is {}, not a folder",
                folder.display(),
                describe(meta.file_type())
            ),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(output_error(
            path,
            format!("the folder {} does not exist", folder.display()),
        )),
        Err(e) => Err(output_error(
            path,
            format!("the folder {} cannot be read: {e}", folder.display()),
        )),
    }
}

/// What a file of this type is, with its article: `a folder`, `a character device`, ….
pub fn describe(kind: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_fifo() {
            return "a named pipe";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

fn output_error(path: &Path, message: String) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::folder_entries;

    #[test]
    fn a_missing_folder_or_a_file_in_its_place_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nowhere").join("model.json");
        let e = check_output_file(&missing).unwrap_err().to_string();
        assert!(
            e.contains(&format!("cannot write {}", missing.display()))
                && e.contains(&format!(
                    "the folder {} does not exist",
                    dir.path().join("nowhere").display()
                )),
            "{e}"
        );
        let file = dir.path().join("plain");
        fs::write(&file, "x").unwrap();
        let e = check_output_file(&file.join("model.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is a regular file, not a folder"), "{e}");
        assert!(check_output_file(&dir.path().join("new.json")).is_ok());
        assert!(check_output_file(&file).is_ok());
        assert_eq!(folder_entries(dir.path()), ["plain"]);
    }

    #[test]
    fn only_a_regular_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let e = check_output_file(dir.path()).unwrap_err().to_string();
        assert!(e.contains("it is a folder, not a regular file"), "{e}");
        #[cfg(unix)]
        {
            let e = check_output_file(Path::new("/dev/null"))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("cannot write /dev/null: it is a character device"),
                "{e}"
            );
        }
        let e = check_output_file(Path::new("..")).unwrap_err().to_string();
        assert!(e.contains("name the file"), "{e}");
    }
}
