//! The figures of a scene study: reward map with held-out tracks, a forecast for one
//! held-out trajectory with its observed path, and the training curve.

use std::path::{Path, PathBuf};

use anyhow::Result;
use irl::plot::{reward_map, state_map, training_curve};

use super::study::SceneStudy;

/// Held-out trajectories drawn over the reward map.
const TRACKS_ON_REWARD_MAP: usize = 15;

/// Write `reward.png`, `forecast.png` and `training.png` for the study into `dir`
/// (prefixed by the scene name); returns the paths.
pub fn write_figures(study: &SceneStudy, dir: &Path) -> Result<Vec<PathBuf>> {
    let name = &study.name;
    let reward_path = dir.join(format!("{name}_reward.png"));
    let tracks: Vec<_> = study
        .held_out
        .trajectories
        .iter()
        .take(TRACKS_ON_REWARD_MAP)
        .collect();
    reward_map(
        &study.mdp,
        study.model.theta(),
        &format!("{name}: recovered reward, held-out tracks"),
        &tracks,
        &reward_path,
    )?;
    let mut paths = vec![reward_path];
    if let Some(observed) = study.held_out.trajectories.iter().max_by_key(|t| t.len()) {
        let (start, goal) = (
            observed.states[0],
            *observed.states.last().expect("non-empty"),
        );
        let steps = study.model.settings.horizon.unwrap_or(observed.len());
        let f = study.model.forecast(&study.mdp, start, Some(goal), steps)?;
        let path = dir.join(format!("{name}_forecast.png"));
        let title = format!(
            "{name}: forecast to the goal of held-out track {}",
            observed.id
        );
        let visits = ndarray::ArrayView1::from(&f.visits);
        state_map(
            &study.mdp,
            visits,
            &title,
            "expected visits",
            &[observed],
            &[(start, "start"), (goal, "goal")],
            &path,
        )?;
        paths.push(path);
    }
    let path = dir.join(format!("{name}_training.png"));
    training_curve(
        &study.model.training.iterations,
        &format!("{name}: training curve"),
        &path,
    )?;
    paths.push(path);
    Ok(paths)
}
