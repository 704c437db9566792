//! Temporary files and folders beside an output, until they are renamed into its place.
//!
//! Each is named after its output and the process that writes it:
//! `.{name}.{pid}.{n}.tmp` for a file, `.{name}.{pid}.{n}.partial` for a folder being
//! filled, `.{name}.{pid}.{n}.old` for an output folder moved aside while the new one
//! takes its place (n counts the process's temporaries). So that none outlives its
//! process:
//!
//! - every temporary file and filled folder is registered from just before it is
//!   created until it is renamed into place or removed; [`remove_temporaries`] removes
//!   those registered, for a handler of SIGINT and SIGTERM to call before the process
//!   ends;
//! - before a new temporary of an output is created, [`remove_stale`] removes those of
//!   the same output whose process is no longer running (a process killed with SIGKILL,
//!   or a machine that went down): a stale `.tmp` or `.partial` is removed; a stale `.old`
//!   is moved back to the output's place when that is empty (the process died between
//!   the two renames), else removed. Whether a process runs is read from `/proc`; where
//!   there is none, nothing is taken for stale.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The temporaries of this process that are not yet in place.
static PENDING: Registry = Registry::new();

/// The number of the next temporary of this process.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// What a temporary is for, and the suffix of its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A file being written: `.tmp`.
    File,
    /// A folder being filled: `.partial`.
    Folder,
    /// An output folder moved aside: `.old`.
    Aside,
}

impl Kind {
    fn suffix(self) -> &'static str {
        match self {
            Kind::File => "tmp",
            Kind::Folder => "partial",
            Kind::Aside => "old",
        }
    }

    fn of_suffix(suffix: &str) -> Option<Kind> {
        [Kind::File, Kind::Folder, Kind::Aside]
            .into_iter()
            .find(|k| k.suffix() == suffix)
    }
}

/// The folder of `path` and its file name (`.` when the path has no folder part).
pub(crate) fn place(path: &Path) -> (&Path, String) {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (folder, name)
}

/// A fresh name for a temporary of the output `target`, beside it.
fn fresh(target: &Path, kind: Kind) -> PathBuf {
    let (folder, name) = place(target);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    folder.join(format!(
        ".{name}.{}.{n}.{}",
        std::process::id(),
        kind.suffix()
    ))
}

/// Paths of temporaries, to remove on a signal.
struct Registry {
    paths: Mutex<Vec<PathBuf>>,
}

impl Registry {
    const fn new() -> Self {
        Self {
            paths: Mutex::new(Vec::new()),
        }
    }

    fn paths(&self) -> std::sync::MutexGuard<'_, Vec<PathBuf>> {
        self.paths
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn add(&self, path: &Path) {
        self.paths().push(path.to_path_buf());
    }

    fn remove(&self, path: &Path) {
        self.paths().retain(|p| p != path);
    }

    #[cfg(test)]
    fn contains(&self, path: &Path) -> bool {
        self.paths().iter().any(|p| p == path)
    }

    /// Remove every registered file and folder from the disk and from the registry;
    /// errors are ignored.
    fn remove_all(&self) {
        for path in self.paths().drain(..) {
            if path.is_dir() {
                let _ = fs::remove_dir_all(&path);
            } else {
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// Remove every temporary file and filled folder of this process that is not in place:
/// what a handler of SIGINT or SIGTERM does before the process ends. Errors are ignored
/// (the process is ending; a next run removes what is left as stale).
pub fn remove_temporaries() {
    PENDING.remove_all();
}

/// A temporary file or folder of this process, removed when dropped unless it was
/// renamed into place.
#[derive(Debug)]
pub struct Temporary {
    path: PathBuf,
    kind: Kind,
    done: bool,
}

impl Temporary {
    /// Create a temporary file for `target` beside it, with the permissions `File::create`
    /// gives (on Unix 0666 less the umask), after removing the target's stale ones.
    pub fn file(target: &Path) -> io::Result<(File, Self)> {
        remove_stale(target);
        let path = fresh(target, Kind::File);
        PENDING.add(&path);
        let temporary = Self {
            path,
            kind: Kind::File,
            done: false,
        };
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary.path)?;
        Ok((file, temporary))
    }

    /// Create an empty temporary folder for `target` beside it, with the permissions of
    /// a folder made by `mkdir` (0777 less the umask): `Folder` to be filled, removed
    /// with its content unless renamed into place; `Aside` to receive the old output,
    /// neither registered nor removed when dropped (see the module documentation).
    pub fn folder(target: &Path, kind: Kind) -> io::Result<Self> {
        remove_stale(target);
        let path = fresh(target, kind);
        if kind != Kind::Aside {
            PENDING.add(&path);
        }
        let temporary = Self {
            path,
            kind,
            done: kind == Kind::Aside,
        };
        fs::create_dir(&temporary.path)?;
        Ok(temporary)
    }

    /// The temporary's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rename the temporary to `target`; it is no longer removed when dropped.
    pub fn persist(mut self, target: &Path) -> io::Result<()> {
        fs::rename(&self.path, target)?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.done {
            let _ = match self.kind {
                Kind::File => fs::remove_file(&self.path),
                Kind::Folder | Kind::Aside => fs::remove_dir_all(&self.path),
            };
        }
        PENDING.remove(&self.path);
    }
}

/// Remove the temporaries of `target` that a process no longer running left beside it
/// (see the module documentation). Nothing is removed where `/proc` cannot tell.
pub(crate) fn remove_stale(target: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let (folder, name) = place(target);
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        let Some((pid, kind)) = parse(&entry_name, &name) else {
            continue;
        };
        if pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists() {
            continue;
        }
        let path = entry.path();
        let _ = match kind {
            Kind::File => fs::remove_file(&path),
            Kind::Aside if !target.exists() => fs::rename(&path, target),
            Kind::Folder | Kind::Aside => fs::remove_dir_all(&path),
        };
    }
}

/// The process and kind of a temporary of the output `name`, if `entry` is one.
fn parse(entry: &str, name: &str) -> Option<(u32, Kind)> {
    let rest = entry
        .strip_prefix('.')?
        .strip_prefix(name)?
        .strip_prefix('.')?;
    let mut parts = rest.split('.');
    let (pid, n, suffix) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((pid.parse().ok()?, Kind::of_suffix(suffix)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::folder_entries;

    /// The id of a process that has ended: a child that was waited for.
    fn ended_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    fn names_carry_the_output_the_process_and_the_kind() {
        assert_eq!(
            parse(".m.json.123.4.tmp", "m.json"),
            Some((123, Kind::File))
        );
        assert_eq!(parse(".out.9.0.partial", "out"), Some((9, Kind::Folder)));
        assert_eq!(parse(".out.9.0.old", "out"), Some((9, Kind::Aside)));
        for other in [
            ".m.json.123.tmp",
            ".m.json.x.4.tmp",
            ".m.json.1.4.tmp.x",
            "m.json",
            ".n.json.1.2.tmp",
        ] {
            assert_eq!(parse(other, "m.json"), None, "{other}");
        }
        let path = fresh(Path::new("dir/sol.json"), Kind::File);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(path.parent(), Some(Path::new("dir")));
        assert_eq!(
            parse(&name, "sol.json").map(|p| p.0),
            Some(std::process::id())
        );
    }

    #[test]
    fn a_temporary_is_registered_until_it_is_in_place_or_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        let (_file, temporary) = Temporary::file(&target).unwrap();
        let path = temporary.path().to_path_buf();
        assert!(PENDING.contains(&path));
        assert_eq!(folder_entries(dir.path()).len(), 1);
        drop(temporary);
        assert!(!PENDING.contains(&path));
        assert!(folder_entries(dir.path()).is_empty());
        let (_file, kept) = Temporary::file(&target).unwrap();
        let path = kept.path().to_path_buf();
        kept.persist(&target).unwrap();
        assert!(!PENDING.contains(&path));
        assert_eq!(folder_entries(dir.path()), ["out.json"]);
        let aside = Temporary::folder(&dir.path().join("out"), Kind::Aside).unwrap();
        assert!(!PENDING.contains(aside.path()));
        let path = aside.path().to_path_buf();
        drop(aside);
        assert!(
            path.is_dir(),
            "an aside folder is never removed when dropped"
        );
    }

    #[test]
    fn the_signal_cleanup_removes_files_and_folders_with_their_content() {
        let dir = tempfile::tempdir().unwrap();
        let (file, folder) = (
            dir.path().join(".a.1.0.tmp"),
            dir.path().join(".b.1.1.partial"),
        );
        fs::write(&file, "partial").unwrap();
        fs::create_dir(&folder).unwrap();
        fs::write(folder.join("inside"), "x").unwrap();
        let registry = Registry::new();
        registry.add(&file);
        registry.add(&folder);
        registry.remove_all();
        assert!(folder_entries(dir.path()).is_empty());
        assert!(!registry.contains(&file));
    }

    #[test]
    fn stale_temporaries_of_ended_processes_are_cleaned_up_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dead = ended_pid();
        let mine = std::process::id();
        let target = dir.path().join("sol.json");
        let stale = format!(".sol.json.{dead}.0.tmp");
        let live = format!(".sol.json.{mine}.77.tmp");
        let other = format!(".other.json.{dead}.0.tmp");
        for name in [&stale, &live, &other] {
            fs::write(dir.path().join(name), "partial").unwrap();
        }
        // A folder moved aside by an ended process, whose output is missing: put back.
        let out = dir.path().join("out");
        let aside = dir.path().join(format!(".out.{dead}.3.old"));
        fs::create_dir(&aside).unwrap();
        fs::write(aside.join("report.json"), "old").unwrap();
        fs::create_dir(dir.path().join(format!(".out.{dead}.4.partial"))).unwrap();
        remove_stale(&target);
        remove_stale(&out);
        let mut expected = vec![live.clone(), other.clone(), "out".to_string()];
        expected.sort();
        assert_eq!(folder_entries(dir.path()), expected);
        assert_eq!(fs::read_to_string(out.join("report.json")).unwrap(), "old");
    }
}
