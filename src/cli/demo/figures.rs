//! The figures of a scene study: forecasts of a few held-out tracks (observed part,
//! truth, sampled continuations, the inferred destinations over the forecast's summed
//! occupancy) and the training curve.

use std::path::{Path, PathBuf};

use anyhow::Result;
use irl::plot::{heatmap, training_curve, HeatmapSpec, Marker, MarkerShape, Rgb, Track};
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::study::SceneStudy;
use irl::tracks::match_positions;

/// Held-out tracks drawn in the forecast figure.
const TRACKS_IN_FIGURE: usize = 3;

/// Smallest summed occupancy drawn, relative to the largest (log colour scale).
const OCCUPANCY_FLOOR: f64 = 1e-4;

/// Write `<scene>_forecast.png` and `<scene>_training.png` into `dir`; returns the paths.
pub fn write_figures(study: &SceneStudy, dir: &Path) -> Result<Vec<PathBuf>> {
    let name = &study.name;
    let mut paths = Vec::new();
    let forecast = dir.join(format!("{name}_forecast.png"));
    if forecast_figure(study, &forecast)? {
        paths.push(forecast);
    }
    let path = dir.join(format!("{name}_training.png"));
    training_curve(
        &study
            .model
            .training
            .as_ref()
            .expect("a fit records its history")
            .iterations,
        &format!("{name}: training curve"),
        &path,
    )?;
    paths.push(path);
    Ok(paths)
}

/// The forecast figure; `false` when no held-out track is long enough to draw.
fn forecast_figure(study: &SceneStudy, path: &Path) -> Result<bool> {
    let (o, h) = (study.params.forecast.observe, study.params.forecast.predict);
    let grid = study.mdp.grid().expect("a lattice grid");
    let scene = &study.scene;
    let mut order: Vec<usize> = (0..study.held_out_positions.len())
        .filter(|&i| study.held_out_positions[i].points.len() >= o + h)
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(study.held_out_positions[i].points.len()));
    order.truncate(TRACKS_IN_FIGURE);
    if order.is_empty() {
        return Ok(false);
    }
    let mut summed = vec![0.0; grid.n_cells()];
    let (mut tracks, mut markers) = (Vec::new(), Vec::new());
    let mut rng = ChaCha8Rng::seed_from_u64(study.params.forecast.seed);
    let goals = study.policies.goals();
    for &i in &order {
        let points = &study.held_out_positions[i].points;
        let observed = &points[..o];
        let Some(piece) = match_positions(&study.mdp, observed) else {
            continue;
        };
        let s = *piece.states.last().expect("a state");
        let (cx, cy) = grid.cell_centre(grid.cell_of(s));
        let last = observed[o - 1];
        let off = (last.0 - cx, last.1 - cy);
        let posterior = study.policies.posterior(&piece.states, &piece.actions);
        for step in study.policies.occupancy(&posterior, s, h) {
            for (state, p) in step {
                summed[grid.cell_of(state)] += p;
            }
        }
        for sample in
            study
                .policies
                .sample(&posterior, s, h, study.params.forecast.samples, &mut rng)
        {
            let mut line = vec![last];
            line.extend(sample.iter().map(|&state| {
                let (x, y) = grid.cell_centre(grid.cell_of(state));
                (x + off.0, y + off.1)
            }));
            tracks.push(Track {
                points: line,
                color: Rgb(120, 170, 255),
                width: 1,
                label: "sampled continuations".into(),
                halo: None,
            });
        }
        tracks.push(Track {
            points: points[o - 1..o + h].to_vec(),
            color: Rgb(40, 200, 90),
            width: 3,
            label: "truth".into(),
            halo: Some(Rgb(0, 0, 0)),
        });
        tracks.push(Track {
            points: observed.to_vec(),
            color: Rgb(255, 255, 255),
            width: 3,
            label: "observed".into(),
            halo: Some(Rgb(0, 0, 0)),
        });
        if let Some((g, p)) = posterior
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
        {
            if let Some([x, y]) = goals[g].centre {
                markers.push(Marker {
                    position: (x, y),
                    label: format!("destination {:.0} %", 100.0 * p),
                    color: Rgb(255, 80, 60),
                    shape: MarkerShape::Cross,
                });
            }
        }
    }
    let max = summed.iter().copied().fold(0.0, f64::max);
    let values = Array2::from_shape_fn((scene.height, scene.width), |(y, x)| {
        let v = summed[y * scene.width + x];
        if max > 0.0 && v > 0.0 {
            (v / max).max(OCCUPANCY_FLOOR).log10()
        } else {
            OCCUPANCY_FLOOR.log10()
        }
    });
    let mut spec = HeatmapSpec::new(values.view(), (scene.origin_x, scene.origin_y), scene.cell);
    spec.title = format!(
        "{}: {} held-out forecasts, observe {o}, predict {h}\n{} m cells · held-out NLL {:.3} per step, destination inferred",
        study.name,
        order.len(),
        study.params.cell,
        study.nlls.model_inferred_goal
    );
    spec.color_bar_label = "log10 expected visits / largest".into();
    spec.tracks = tracks;
    spec.markers = markers;
    heatmap(&spec, path)?;
    Ok(true)
}
