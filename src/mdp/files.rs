//! `irl-mdp/1` documents on disk, whose transitions may live in a sibling `.npz` file.
//!
//! A relative `{"npz": path}` reference is resolved against the folder of the JSON file.
//! Writing the pair is all or nothing: both files are first written in full under hidden
//! temporary names in their folder, then renamed into place, the `.npz` first; when any
//! step fails, whatever this call wrote is removed.

use std::fs;
use std::path::{Path, PathBuf};

use super::json::{read_mdp_in, write_mdp_with_npz_reference};
use super::npz::{write_csr_npz, NpzCompression};
use super::Mdp;
use crate::error::{Error, Result};
use crate::io::{open, temporary_sibling, write_atomic};

/// Read and validate an `irl-mdp/1` file; errors name the file (and the `.npz` file when
/// the transitions live there).
pub fn read_mdp_file(path: &Path) -> Result<Mdp> {
    read_mdp_in(open(path)?, Some(folder_of(path))).map_err(|e| e.in_file(path))
}

/// Write `mdp` as the `irl-mdp/1` file `json_path` with its transitions in the SciPy CSR
/// file `npz_name` beside it, which the document references by that name.
pub fn write_mdp_with_npz(
    json_path: &Path,
    npz_name: &str,
    mdp: &Mdp,
    compression: NpzCompression,
) -> Result<()> {
    let npz_path = folder_of(json_path).join(npz_name);
    if Path::new(npz_name).file_name().and_then(|n| n.to_str()) != Some(npz_name)
        || npz_path == json_path
    {
        return Err(Error::param(
            "npz_name",
            format!("\"{npz_name}\" must be a file name, other than the JSON file's"),
        ));
    }
    let staged_npz = temporary_sibling(&npz_path);
    let staged_json = temporary_sibling(json_path);
    let result = (|| {
        stage(&staged_npz, &npz_path, |w| {
            write_csr_npz(w, mdp.transitions(), compression)
        })?;
        stage(&staged_json, json_path, |w| {
            write_mdp_with_npz_reference(mdp, w, npz_name)
        })?;
        rename(&staged_npz, &npz_path)?;
        rename(&staged_json, json_path).inspect_err(|_| {
            let _ = fs::remove_file(&npz_path);
        })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&staged_npz);
        let _ = fs::remove_file(&staged_json);
    }
    result
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Write the complete file `staged`, with errors naming `target`, the file it will become.
fn stage<F>(staged: &Path, target: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut std::io::BufWriter<fs::File>) -> Result<()>,
{
    write_atomic(staged, write).map_err(|e| match e {
        Error::Io { source, .. } => Error::Io {
            path: target.to_path_buf(),
            source,
        },
        Error::InFile { source, .. } => source.in_file(target),
        other => other.in_file(target),
    })
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).map_err(|e| Error::Io {
        path: PathBuf::from(to),
        source: e,
    })
}
