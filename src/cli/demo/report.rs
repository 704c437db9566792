//! The report of scene studies, as JSON and as markdown.

use serde::Serialize;

use super::study::{SceneStudy, StudyParams};
use irl::eval::HeldOutMetrics;
use irl::tracks::DiscretizeReport;

/// One scene's figures in the report.
#[derive(Debug, Clone, Serialize)]
pub struct StudyReport {
    pub scene: String,
    pub params: StudyParams,
    pub grid: (usize, usize),
    pub states: usize,
    pub features: usize,
    pub discretization: DiscretizeReport,
    pub train_trajectories: usize,
    pub held_out_trajectories: usize,
    pub goals: usize,
    pub horizon: Option<usize>,
    pub iterations: usize,
    pub converged: bool,
    pub stop_reason: String,
    pub train_nll_per_action: f64,
    pub held_out: HeldOutMetrics,
    pub uniform_walk_nll_per_action: f64,
    pub empirical_move_nll_per_action: f64,
    pub beats_both_baselines: bool,
    pub seconds: f64,
    /// The five weights of largest magnitude with their standard errors.
    pub top_weights: Vec<(String, f64, Option<f64>)>,
}

impl StudyReport {
    /// Summarise a study.
    pub fn of(study: &SceneStudy) -> Self {
        let m = &study.model;
        let mut order: Vec<usize> = (0..m.weights.len()).collect();
        order.sort_by(|&a, &b| m.weights[b].abs().total_cmp(&m.weights[a].abs()));
        let se = m.standard_errors.as_ref().ok();
        let model_nll = study.held_out_metrics.nll_per_action;
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
            horizon: m.settings.horizon,
            iterations: m.training.iterations.len().saturating_sub(1),
            converged: m.training.converged,
            stop_reason: m.training.stop_reason.clone(),
            train_nll_per_action: m.training.nll_per_action,
            held_out: study.held_out_metrics.clone(),
            uniform_walk_nll_per_action: study.uniform_walk_nll,
            empirical_move_nll_per_action: study.empirical_move_nll,
            beats_both_baselines: model_nll < study.uniform_walk_nll
                && model_nll < study.empirical_move_nll,
            seconds: study.seconds,
            top_weights: order
                .into_iter()
                .take(5)
                .map(|k| (m.feature_names[k].clone(), m.weights[k], se.map(|s| s[k])))
                .collect(),
        }
    }
}

/// A markdown report of several scenes: one table of held-out NLL per step against the
/// baselines, then per-scene details.
pub fn markdown_report(reports: &[StudyReport]) -> String {
    let mut text =
        String::from("# irl demo: goal-conditioned reward learning on UCY pedestrian tracks\n\n");
    text += "Held-out negative log-likelihood per step (nats; lower is better):\n\n";
    text += "| scene | grid | train / held-out tracks | model (goal-conditioned IRL) | uniform random walk | per-cell move frequency | model wins |\n";
    text += "|---|---|---|---|---|---|---|\n";
    for r in reports {
        text += &format!(
            "| {} | {}×{} | {} / {} | {:.4} | {:.4} | {:.4} | {} |\n",
            r.scene,
            r.grid.0,
            r.grid.1,
            r.train_trajectories,
            r.held_out_trajectories,
            r.held_out.nll_per_action,
            r.uniform_walk_nll_per_action,
            r.empirical_move_nll_per_action,
            if r.beats_both_baselines { "yes" } else { "no" }
        );
    }
    for r in reports {
        text += &format!(
            "\n## {}\n\n- {} states ({} m cells), {} features, {} goals, horizon {}\n- fit: {} iterations, {} ({}), training NLL per step {:.4}, {:.1} s\n- held-out: NLL per trajectory {:.2}, most-likely-move accuracy {:.3}\n- discretisation: {} of {} tracks kept, {:.1} % of steps needed gap filling\n- largest weights: {}\n",
            r.scene,
            r.states,
            r.params.cell,
            r.features,
            r.goals,
            r.horizon.map_or("none".into(), |h| h.to_string()),
            r.iterations,
            if r.converged { "converged" } else { "not converged" },
            r.stop_reason,
            r.train_nll_per_action,
            r.seconds,
            r.held_out.nll_per_trajectory,
            r.held_out.action_accuracy,
            r.discretization.tracks_kept,
            r.discretization.tracks_in,
            100.0 * r.discretization.filled_gap_fraction(),
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
