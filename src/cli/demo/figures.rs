//! The figures of a scene study: reward map with held-out tracks, a forecast for one
//! held-out trajectory with its recorded path, and the training curve. Each title names
//! the scene, the cell size and the held-out score, with what the figure shows on a
//! second line; tracks are drawn as recorded, in metres.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use irl::plot::{goal_marker, recorded_path, start_marker, training_curve, StateMap};
use irl::tracks::Track;

use super::super::fit::fit_status;
use super::study::SceneStudy;

/// Held-out trajectories drawn over the reward map.
const TRACKS_ON_REWARD_MAP: usize = 15;

/// The first line of every title: "zara01 · 0.75 m cells · held-out NLL 1.51 per step".
fn scene_title(study: &SceneStudy) -> String {
    format!(
        "{} · {} m cells · held-out NLL {:.2} per step",
        study.name, study.params.cell, study.held_out_metrics.nll_per_action
    )
}

/// The recorded track `id` among the scene's `tracks`.
fn recorded<'t>(tracks: &'t [Track], study: &SceneStudy, id: &str) -> Result<&'t Track> {
    tracks
        .iter()
        .find(|t| t.id == id)
        .with_context(|| format!("{}: no recorded track \"{id}\"", study.name))
}

/// Write `reward.png`, `forecast.png` and `training.png` for the study into `dir`
/// (prefixed by the scene name); returns the paths. `tracks` are the scene's recorded
/// tracks, those the study discretised, whose ids are its trajectories' ids.
pub fn write_figures(study: &SceneStudy, tracks: &[Track], dir: &Path) -> Result<Vec<PathBuf>> {
    let name = &study.name;
    let heading = scene_title(study);

    let reward_path = dir.join(format!("{name}_reward.png"));
    let mut reward = StateMap::reward(&study.mdp, study.model.theta());
    let shown: Vec<_> = study
        .held_out
        .trajectories
        .iter()
        .take(TRACKS_ON_REWARD_MAP)
        .collect();
    for trajectory in &shown {
        let track = recorded(tracks, study, &trajectory.id)?;
        reward.tracks.push(recorded_path(
            &study.mdp,
            track,
            "held-out tracks (recorded)",
        )?);
    }
    reward.title = format!(
        "{heading}\nrecovered reward θ·f(s), {} held-out tracks",
        shown.len()
    );
    reward.draw(&study.mdp, &reward_path)?;
    let mut paths = vec![reward_path];

    if let Some(observed) = study.held_out.trajectories.iter().max_by_key(|t| t.len()) {
        let (start, goal) = (
            observed.states[0],
            *observed.states.last().expect("non-empty"),
        );
        let steps = study.model.settings.horizon.unwrap_or(observed.len());
        let f = study.model.forecast(&study.mdp, start, Some(goal), steps)?;
        let path = dir.join(format!("{name}_forecast.png"));
        let mut map = StateMap::visits(f.visits, true);
        let track = recorded(tracks, study, &observed.id)?;
        map.tracks.push(recorded_path(
            &study.mdp,
            track,
            &format!("held-out track {} (recorded)", observed.id),
        )?);
        map.markers.push(start_marker(&study.mdp, start)?);
        map.markers.push(goal_marker(&study.mdp, goal)?);
        map.title = format!(
            "{heading}\nforecast over {steps} steps to the goal of held-out track {}",
            observed.id
        );
        map.draw(&study.mdp, &path)?;
        paths.push(path);
    }

    let path = dir.join(format!("{name}_training.png"));
    training_curve(
        &study.model.training.iterations,
        &format!("{heading}\nfit {}", fit_status(&study.model.training)),
        &path,
    )?;
    paths.push(path);
    Ok(paths)
}
