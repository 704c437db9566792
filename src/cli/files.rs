//! Reading inputs and writing outputs with the file name in every error.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use irl::demos::{read_demos, Demonstrations};
use irl::io::{open, write_atomic};
use irl::learn::{read_weights, Weights};
use irl::mdp::{read_mdp_file, Features, Mdp, Reward};

/// Read and validate an `irl-mdp/1` file (with its `.npz` transitions, if it has them).
pub fn load_mdp(path: &Path) -> Result<Mdp> {
    Ok(read_mdp_file(path)?)
}

/// Read weights (`irl-weights/1` or `irl-model/1`) that must fit the MDP's features.
pub fn load_weights(path: &Path, mdp: &Mdp) -> Result<Weights> {
    let weights = read_weights(open(path)?).map_err(|e| e.in_file(path))?;
    weights
        .check_against(mdp.features())
        .map_err(|e| e.in_file(path))?;
    Ok(weights)
}

/// Read a true reward: weights over the MDP's features, or weights named `s0`, `s1`, …
/// over one-hot state features (a reward per state, as `irl generate objectworld` writes).
pub fn load_true_reward(path: &Path, mdp: &Mdp) -> Result<Reward> {
    let weights = read_weights(open(path)?).map_err(|e| e.in_file(path))?;
    let one_hot = Features::one_hot(mdp.n_states());
    if weights.check_against(mdp.features()).is_ok() {
        Ok(mdp
            .features()
            .reward(weights.theta().view(), mdp.n_actions()))
    } else if weights.check_against(&one_hot).is_ok() {
        Ok(Reward::per_state(weights.weights, mdp.n_actions()))
    } else {
        weights
            .check_against(mdp.features())
            .map_err(|e| e.in_file(path))?;
        unreachable!("check_against failed above")
    }
}

/// Read demonstrations (CSV or JSON Lines) validated against the MDP.
pub fn load_demos(path: &Path, mdp: &Mdp) -> Result<Demonstrations> {
    Ok(read_demos(path, mdp)?)
}

/// Write a file atomically with `write`.
pub fn save(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> irl::Result<()>,
) -> Result<()> {
    write_atomic(path, |w| write(w)).with_context(|| format!("could not write {}", path.display()))
}

/// A fresh hidden folder beside `out`, where a command writes until its output is complete.
/// `out` must name a folder (not `.`, `..` or `/`, which cannot be replaced) and must
/// not be an existing file.
pub fn staging_dir(out: &Path) -> Result<PathBuf> {
    let (parent, name) = staging_place(out)?;
    let staging = parent.join(format!(".{name}.{}.partial", std::process::id()));
    fs::create_dir_all(&staging)
        .with_context(|| format!("could not create {}", staging.display()))?;
    Ok(staging)
}

/// The folder beside `out` for its staging folder, and the name of `out`, under the
/// conditions of [`staging_dir`].
fn staging_place(out: &Path) -> Result<(&Path, String)> {
    let name = out
        .file_name()
        .with_context(|| {
            format!(
                "--out {}: name the folder to create or replace, such as demo-output",
                out.display()
            )
        })?
        .to_string_lossy()
        .into_owned();
    if out.exists() && !out.is_dir() {
        anyhow::bail!("--out {} is an existing file, not a folder", out.display());
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok((parent, name))
}

/// Write a set of files into the folder `out` all or nothing: `write` fills a hidden
/// temporary folder beside `out` (removed in any case when done); only when it succeeds
/// are the files moved into `out` (created if needed; other files in it are left alone).
pub fn write_folder(out: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let (parent, name) = staging_place(out)?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempdir_in(parent)
        .with_context(|| format!("could not create a folder in {}", parent.display()))?;
    write(staging.path())?;
    fs::create_dir_all(out).with_context(|| format!("could not create {}", out.display()))?;
    for entry in fs::read_dir(staging.path())? {
        let entry = entry?;
        let target = out.join(entry.file_name());
        fs::rename(entry.path(), &target)
            .with_context(|| format!("could not write {}", target.display()))?;
    }
    Ok(())
}
