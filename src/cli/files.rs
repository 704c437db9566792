//! Reading inputs and writing outputs with the file name in every error.

use std::path::Path;

use anyhow::{Context, Result};
use irl::demos::{read_demos, Demonstrations};
use irl::io::{open, write_atomic};
use irl::irl::{read_weights, Weights};
use irl::mdp::{read_mdp, Features, Mdp, Reward};

/// Read and validate an `irl-mdp/1` file.
pub fn load_mdp(path: &Path) -> Result<Mdp> {
    read_mdp(open(path)?)
        .map_err(|e| e.in_file(path))
        .map_err(Into::into)
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
