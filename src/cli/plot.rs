//! `irl plot reward|forecast|training`: figures as PNG or SVG (by extension).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use irl::io::open;
use irl::learn::FittedModel;
use irl::plot::{reward_map, state_map, training_curve};

use super::files::{load_demos, load_mdp, load_weights};

#[derive(Args)]
pub struct PlotArgs {
    #[command(subcommand)]
    figure: Figure,
}

#[derive(Subcommand)]
enum Figure {
    /// Reward map θ·f(s) of a grid MDP, with demonstrations drawn over it.
    Reward {
        #[arg(long)]
        mdp: PathBuf,
        /// Weights or a fitted model.
        #[arg(long)]
        model: PathBuf,
        /// Demonstrations to draw over the map.
        #[arg(long)]
        demos: Option<PathBuf>,
        /// Draw at most this many demonstrations.
        #[arg(long, default_value_t = 20)]
        max_tracks: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Forecast map (irl-forecast/1), with an observed demonstration drawn over it.
    Forecast {
        #[arg(long)]
        mdp: PathBuf,
        #[arg(long)]
        forecast: PathBuf,
        /// Demonstrations holding the observed trajectory.
        #[arg(long)]
        demos: Option<PathBuf>,
        /// Id of the trajectory to draw (with --demos).
        #[arg(long)]
        trajectory: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Training curve of a fitted model: objective per iteration.
    Training {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(serde::Deserialize)]
struct ForecastDocument {
    format: String,
    start: usize,
    goal: Option<usize>,
    steps: usize,
    visits: Vec<f64>,
}

pub fn run(args: PlotArgs) -> Result<()> {
    match args.figure {
        Figure::Reward {
            mdp,
            model,
            demos,
            max_tracks,
            out,
        } => {
            let m = load_mdp(&mdp)?;
            let weights = load_weights(&model, &m)?;
            let demos = demos.map(|d| load_demos(&d, &m)).transpose()?;
            let tracks: Vec<_> = demos
                .iter()
                .flat_map(|d| d.trajectories.iter().take(max_tracks))
                .collect();
            reward_map(
                &m,
                weights.theta().view(),
                "Recovered reward",
                &tracks,
                &out,
            )?;
        }
        Figure::Forecast {
            mdp,
            forecast,
            demos,
            trajectory,
            out,
        } => {
            let m = load_mdp(&mdp)?;
            let doc: ForecastDocument =
                serde_json::from_reader(open(&forecast)?).with_context(|| {
                    format!("{}: not an irl-forecast/1 document", forecast.display())
                })?;
            if doc.format != super::forecast::FORECAST_FORMAT || doc.visits.len() != m.n_states() {
                bail!(
                    "{}: not an irl-forecast/1 document for this MDP ({} states)",
                    forecast.display(),
                    m.n_states()
                );
            }
            let demos = demos.map(|d| load_demos(&d, &m)).transpose()?;
            let observed = match (&demos, &trajectory) {
                (Some(d), Some(id)) => Some(
                    d.trajectories
                        .iter()
                        .find(|t| &t.id == id)
                        .with_context(|| format!("no trajectory \"{id}\" in the demonstrations"))?,
                ),
                (None, Some(_)) => bail!("--trajectory needs --demos"),
                _ => None,
            };
            let mut markers = vec![(doc.start, "start")];
            markers.extend(doc.goal.map(|g| (g, "goal")));
            let title = format!("Forecast: expected visits over {} steps", doc.steps);
            let visits = ndarray::ArrayView1::from(&doc.visits);
            state_map(
                &m,
                visits,
                &title,
                "expected visits",
                &observed.into_iter().collect::<Vec<_>>(),
                &markers,
                &out,
            )?;
        }
        Figure::Training { model, out } => {
            let m = FittedModel::read(open(&model)?).map_err(|e| e.in_file(&model))?;
            training_curve(&m.training.iterations, "Training curve", &out)?;
        }
    }
    Ok(())
}
