//! The report of scene studies, as JSON and as markdown.

use serde::Serialize;

use super::study::{SceneStudy, StudyParams};
use irl::eval::{ForecastReport, StepNlls};
use irl::tracks::TimedReport;

/// One scene's figures in the report.
#[derive(Debug, Clone, Serialize)]
pub struct StudyReport {
    pub scene: String,
    pub params: StudyParams,
    pub grid: (usize, usize),
    pub states: usize,
    pub features: usize,
    pub discretization: TimedReport,
    pub train_trajectories: usize,
    pub held_out_trajectories: usize,
    pub goals: usize,
    pub iterations: usize,
    pub converged: bool,
    pub stop_reason: String,
    pub train_nll_per_action: f64,
    pub baselines: StepNlls,
    pub forecast: ForecastReport,
    pub seconds: f64,
    /// The five weights of largest magnitude with their standard errors.
    pub top_weights: Vec<(String, f64, Option<f64>)>,
}

impl StudyReport {
    /// Summarise a study.
    pub fn of(study: &SceneStudy) -> Self {
        let m = &study.model;
        let training = m.training.as_ref().expect("a fit records its history");
        let mut order: Vec<usize> = (0..m.weights.len()).collect();
        order.sort_by(|&a, &b| m.weights[b].abs().total_cmp(&m.weights[a].abs()));
        let se = m.standard_errors.as_ref().ok();
        Self {
            scene: study.name.clone(),
            params: study.params.clone(),
            grid: (study.scene.width, study.scene.height),
            states: study.mdp.n_states(),
            features: study.mdp.features().dim(),
            discretization: study.discretization.clone(),
            train_trajectories: study.train.len(),
            held_out_trajectories: study.held_out.len(),
            goals: m.goals.len(),
            iterations: training.iterations.len().saturating_sub(1),
            converged: training.converged,
            stop_reason: training.stop_reason.clone(),
            train_nll_per_action: training.nll_per_action,
            baselines: study.nlls.clone(),
            forecast: study.forecasts.clone(),
            seconds: study.seconds,
            top_weights: order
                .into_iter()
                .take(5)
                .map(|k| (m.feature_names[k].clone(), m.weights[k], se.map(|s| s[k])))
                .collect(),
        }
    }
}

/// The step-NLL table: model and baselines, one row per scene.
pub fn nll_table(reports: &[StudyReport]) -> String {
    let mut text = String::from("| scene | steps | model, goal known | model, goal inferred | uniform walk | move frequency | goal-directed walker | constant-velocity walker |\n|---|---|---|---|---|---|---|---|\n");
    for r in reports {
        let b = &r.baselines;
        text += &format!(
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            r.scene,
            b.steps,
            b.model,
            b.model_inferred_goal,
            b.uniform_walk,
            b.move_frequency,
            b.goal_directed_walker,
            b.constant_velocity_walker
        );
    }
    text
}

/// The displacement table: ADE / FDE (and minADE / minFDE for the model), metres.
pub fn displacement_table(reports: &[StudyReport]) -> String {
    let mut text = String::from("| scene | windows | method | ADE | FDE | minADE₂₀ | minFDE₂₀ |\n|---|---|---|---|---|---|---|\n");
    for r in reports {
        for (name, label) in [
            ("model", "model, destination inferred"),
            ("model_true_goal", "model, destination known"),
            ("constant_velocity", "constant velocity"),
            ("straight_walk", "straight walk to the destination"),
        ] {
            let Some(s) = r.forecast.methods.get(name) else {
                continue;
            };
            let opt = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.3}"));
            text += &format!(
                "| {} | {} | {label} | {:.3} | {:.3} | {} | {} |\n",
                r.scene,
                r.forecast.windows,
                s.ade,
                s.fde,
                opt(s.min_ade),
                opt(s.min_fde)
            );
        }
    }
    text
}

/// A markdown report of several scenes.
pub fn markdown_report(reports: &[StudyReport]) -> String {
    let mut text =
        String::from("# irl demo: goal-conditioned reward learning on UCY pedestrian tracks\n\n");
    text += "Held-out negative log-likelihood per step (nats; lower is better), all on the same steps:\n\n";
    text += &nll_table(reports);
    text +=
        "\nForecasts, observe 8 positions and predict 12 at 0.4 s (metres; lower is better):\n\n";
    text += &displacement_table(reports);
    text += "\nWhole held-out tracks from their first two positions, destination known (ADE, metres):\n\n| scene | tracks | model | straight walk |\n|---|---|---|---|\n";
    for r in reports {
        text += &format!(
            "| {} | {} | {:.3} | {:.3} |\n",
            r.scene,
            r.forecast.whole_track_tracks,
            r.forecast.whole_track_model_ade,
            r.forecast.whole_track_straight_walk_ade
        );
    }
    for r in reports {
        text += &format!(
            "\n## {}\n\n- {} states ({}×{} cells of {} m, {} displacements a cell), {} features, {} destinations\n- fit: {} iterations, {} ({}), training NLL per step {:.4}, {:.1} s\n- discretisation: {} of {} tracks kept as {} pieces ({} splits), {} positions, RMS match error {:.3} m\n- baselines fitted on the training steps: goal-directed β = {:.3}, constant-velocity p = {:.3}; median speed {:.3} m a step\n- largest weights: {}\n",
            r.scene,
            r.states,
            r.grid.0,
            r.grid.1,
            r.params.cell,
            r.states / (r.grid.0 * r.grid.1),
            r.features,
            r.goals,
            r.iterations,
            if r.converged { "converged" } else { "not converged" },
            r.stop_reason,
            r.train_nll_per_action,
            r.seconds,
            r.discretization.tracks_kept,
            r.discretization.tracks_in,
            r.discretization.pieces,
            r.discretization.splits,
            r.discretization.positions,
            r.discretization.rms_match_error,
            r.baselines.goal_directed_beta,
            r.baselines.constant_velocity_p,
            r.forecast.median_speed,
            r.top_weights
                .iter()
                .map(|(n, w, se)| match se {
                    Some(se) => format!("{n} {w:.3} ± {se:.3}"),
                    None => format!("{n} {w:.3}"),
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    text += "\nData: UCY \"Crowds by Example\" (A. Lerner, Y. Chrysanthou, D. Lischinski, Computer Graphics Forum 26(3), 2007).\n";
    text
}
