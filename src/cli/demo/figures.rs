//! The figures of a scene study: the training curve.

use std::path::{Path, PathBuf};

use anyhow::Result;
use irl::plot::training_curve;

use super::study::SceneStudy;

/// Write the training curve of the study into `dir` (prefixed by the scene name);
/// returns the paths.
pub fn write_figures(study: &SceneStudy, dir: &Path) -> Result<Vec<PathBuf>> {
    let name = &study.name;
    let path = dir.join(format!("{name}_training.png"));
    training_curve(
        &study.model.training.iterations,
        &format!("{name}: training curve"),
        &path,
    )?;
    Ok(vec![path])
}
