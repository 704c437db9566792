//! Reading inputs and writing outputs with the file name in every error.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use irl::demos::{read_demos, Demonstrations};
use irl::io::{check_folder, check_output_file, describe, open, write_atomic, Kind, Temporary};
use irl::learn::{read_weights, FittedModel, Weights};
use irl::mdp::{read_mdp_file, Features, Mdp, Reward};

use super::solver_args::ModelSolverArgs;

/// Read and validate an `irl-mdp/1` file (with its `.npz` transitions, if it has them).
/// Its declared sizes are checked against the available memory, which no flag changes
/// (`--memory-limit` bounds a command's computation, not its input), so that error is
/// reported without naming a flag.
pub fn load_mdp(path: &Path) -> Result<Mdp> {
    read_mdp_file(path).map_err(|e| match e.without_file() {
        irl::Error::MemoryLimit { .. } => anyhow::anyhow!("{e}"),
        _ => e.into(),
    })
}

/// Read weights (`irl-weights/1` or `irl-model/1`) that must fit the MDP's features.
pub fn load_weights(path: &Path, mdp: &Mdp) -> Result<Weights> {
    let weights = read_weights(open(path)?).map_err(|e| e.in_file(path))?;
    weights
        .check_against(mdp.features())
        .map_err(|e| e.in_file(path))?;
    Ok(weights)
}

/// Read a model (`irl-model/1`, or `irl-weights/1` used as one) that must fit the MDP:
/// the settings the file gives, the flags for the rest. The flags are checked first, so
/// that an error of the file's is the file's; then that they do not contradict the file.
pub fn load_model(path: &Path, mdp: &Mdp, flags: &ModelSolverArgs) -> Result<FittedModel> {
    let fallback = flags.fallback();
    fallback.check_ranges()?;
    let file = FittedModel::read_with(open(path)?, &fallback).map_err(|e| e.in_file(path))?;
    flags.check_against(&file.given, path)?;
    file.model.check_mdp(mdp).map_err(|e| e.in_file(path))?;
    Ok(file.model)
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

/// Fail unless `out` can be written as an output file (see
/// [`check_output_file`](irl::io::check_output_file)): checked before a command's work.
pub fn check_out(out: &Path) -> Result<()> {
    Ok(check_output_file(out)?)
}

/// Fail unless `out` can become the output folder of a command that writes `outputs`:
/// [`staging_place`]'s conditions, an existing folder to hold it, and an `out` that
/// holds nothing but `outputs`. Checked before the work, and again by [`write_folder`].
pub fn check_out_folder(out: &Path, outputs: &[&str]) -> Result<()> {
    let (parent, _) = staging_place(out)?;
    check_folder(out, parent)?;
    if out.is_dir() {
        let foreign = foreign_entries(out, outputs)?;
        if !foreign.is_empty() {
            anyhow::bail!(
                "--out {} holds {}, which this command does not write; the folder is replaced \
                 as a whole, so choose a new or empty folder",
                out.display(),
                foreign.join(", ")
            );
        }
    }
    Ok(())
}

/// A fresh hidden folder beside `out`, where a command writes until its output is
/// complete, removed when dropped (and on SIGINT or SIGTERM) unless it is put in place.
/// `out` must name a folder (not `.`, `..` or `/`, which cannot be replaced) and must
/// not be an existing file.
pub fn staging_dir(out: &Path) -> Result<Temporary> {
    let (parent, _) = staging_place(out)?;
    check_folder(out, parent)?;
    Temporary::folder(out, Kind::Folder)
        .with_context(|| format!("could not create a folder in {}", parent.display()))
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
    if let Ok(meta) = fs::metadata(out) {
        if !meta.is_dir() {
            anyhow::bail!(
                "--out {} is {}, not a folder",
                out.display(),
                describe(meta.file_type())
            );
        }
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok((parent, name))
}

/// Write the folder `out` all or nothing, replacing it as a whole: `write` fills a
/// hidden folder beside `out` (removed in any case when it fails); only when it succeeds
/// does that folder take the place of `out`, so no file of an earlier run stays behind.
/// An existing `out` is first moved aside, then removed; if the new folder cannot be put
/// in its place, it is moved back. `outputs` names every file the command may write: an
/// `out` that holds anything else is refused before `write` runs, so that no file of
/// the user's is removed with the folder.
pub fn write_folder(
    out: &Path,
    outputs: &[&str],
    write: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    check_out_folder(out, outputs)?;
    let staging = staging_dir(out)?;
    write(staging.path())?;
    if !out.exists() {
        return staging
            .persist(out)
            .with_context(|| format!("could not create {}", out.display()));
    }
    let (parent, _) = staging_place(out)?;
    // From here the old folder must survive whatever happens: the aside folder is never
    // removed but by the success below, or as stale by a later run once this one ended.
    let aside = Temporary::folder(out, Kind::Aside)
        .with_context(|| format!("could not create a folder in {}", parent.display()))?;
    let aside = aside.path().to_path_buf();
    fs::rename(out, &aside).with_context(|| format!("could not replace {}", out.display()))?;
    if let Err(e) = staging.persist(out) {
        fs::rename(&aside, out).with_context(|| {
            format!(
                "could not replace {}, nor move it back from {}",
                out.display(),
                aside.display()
            )
        })?;
        return Err(e).with_context(|| format!("could not replace {}", out.display()));
    }
    fs::remove_dir_all(&aside)
        .with_context(|| format!("could not remove the old {}", aside.display()))
}

/// The names of the entries of the folder `out` that are not among `outputs`, sorted.
fn foreign_entries(out: &Path, outputs: &[&str]) -> Result<Vec<String>> {
    let mut foreign = Vec::new();
    for entry in fs::read_dir(out).with_context(|| format!("could not read {}", out.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !outputs.contains(&name.as_str()) {
            foreign.push(name);
        }
    }
    foreign.sort();
    Ok(foreign)
}
