//! `irl-mdp/1` documents on disk, whose transitions may live in a sibling `.npz` file.
//!
//! A relative `{"npz": path}` reference is resolved against the folder of the JSON file.
//! Writing the pair is all or nothing: both files are first written in full under hidden
//! temporary names in their folder, then renamed into place, the `.npz` first; when any
//! step fails, whatever this call wrote is removed.

use std::fs;
use std::path::Path;

use super::json::{read_mdp_in, write_mdp_with_npz_reference};
use super::npz::{write_csr_npz, NpzCompression};
use super::Mdp;
use crate::error::{Error, Result};
use crate::inference::MemoryLimit;
use crate::io::{io_error, open, write_temporary};

/// Read and validate an `irl-mdp/1` file; errors name the file (and the `.npz` file when
/// the transitions live there). What it declares must fit in the available memory.
pub fn read_mdp_file(path: &Path) -> Result<Mdp> {
    read_mdp_in(open(path)?, Some(folder_of(path)), MemoryLimit::Available)
        .map_err(|e| e.in_file(path))
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
    let staged_npz = write_temporary(&npz_path, |w| {
        write_csr_npz(w, mdp.transitions(), compression)
    })?;
    let staged_json = write_temporary(json_path, |w| {
        write_mdp_with_npz_reference(mdp, w, npz_name)
    })?;
    staged_npz
        .persist(&npz_path)
        .map_err(|e| io_error(&npz_path, e))?;
    staged_json.persist(json_path).map_err(|e| {
        let _ = fs::remove_file(&npz_path);
        io_error(json_path, e)
    })
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}
