//! `irl plot reward|forecast|training`: figures as PNG or SVG (by extension).
//!
//! Maps draw demonstrations as paths through their cells and, with `--tracks`, recorded
//! tracks as recorded, in metres, over a grid that has a position in metres; every kind
//! of line drawn is listed in the figure's legend. Titles default to what the figure
//! shows and the file it comes from.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use irl::error::quote;
use irl::io::open;
use irl::learn::FittedModel;
use irl::mdp::Mdp;
use irl::plot::{
    cell_path, goal_marker, recorded_path, start_marker, training_curve, StateMap, Track,
};
use irl::tracks::read_tracks_file;

use super::files::{check_out, load_demos, load_mdp, load_weights};
use super::fit::fit_status;

#[derive(Args)]
pub struct PlotArgs {
    #[command(subcommand)]
    figure: Figure,
}

/// Recorded tracks to draw over a map.
#[derive(Args)]
struct RecordedArgs {
    /// Recorded tracks (CSV: track, frame, x, y in metres) to draw as recorded; needs a
    /// grid with a position in metres.
    #[arg(long)]
    tracks: Option<PathBuf>,
    /// Draw only these tracks of --tracks, comma-separated.
    #[arg(long, value_delimiter = ',')]
    track_ids: Vec<String>,
}

#[derive(Subcommand)]
enum Figure {
    /// Reward map θ·f(s) of a grid MDP, with demonstrations and recorded tracks over it.
    Reward {
        #[arg(long)]
        mdp: PathBuf,
        /// Weights or a fitted model.
        #[arg(long)]
        model: PathBuf,
        /// Demonstrations to draw over the map.
        #[arg(long)]
        demos: Option<PathBuf>,
        /// Draw at most this many demonstrations, and of the recorded tracks when
        /// --track-ids is not given.
        #[arg(long, default_value_t = 20)]
        max_tracks: usize,
        #[command(flatten)]
        recorded: RecordedArgs,
        /// Title (a line break starts a second line); by default what the figure shows
        /// and the model's file name.
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Forecast map (irl-forecast/1), with an observed demonstration and recorded tracks
    /// over it.
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
        #[command(flatten)]
        recorded: RecordedArgs,
        /// Colour scale of the visits.
        #[arg(long, value_enum, default_value_t = ScaleArg::Log)]
        scale: ScaleArg,
        /// Title (a line break starts a second line); by default what the figure shows
        /// and the forecast's file name.
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Training curve of a fitted model: objective − best objective per iteration.
    Training {
        #[arg(long)]
        model: PathBuf,
        /// Title (a line break starts a second line); by default the model's file name
        /// and how the fit ended.
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(ValueEnum, Clone, Copy)]
enum ScaleArg {
    /// log10 of the visits, from 1e-4 of the largest count.
    Log,
    /// the visits themselves.
    Linear,
}

#[derive(serde::Deserialize)]
struct ForecastDocument {
    format: String,
    start: usize,
    goal: Option<usize>,
    steps: usize,
    visits: Vec<f64>,
}

/// The file name of `path`, for a title.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

/// The recorded tracks of `args` as paths on `mdp`'s grid: the tracks named by
/// `--track-ids` (in that order, each once), or else the first `limit` of the file.
fn recorded_paths(
    mdp: &Mdp,
    mdp_path: &Path,
    args: &RecordedArgs,
    limit: usize,
) -> Result<Vec<Track>> {
    let Some(path) = &args.tracks else {
        if !args.track_ids.is_empty() {
            bail!("--track-ids needs --tracks");
        }
        return Ok(Vec::new());
    };
    if mdp.grid().and_then(|g| g.geometry).is_none() {
        bail!(
            "--tracks needs an MDP whose grid has a position in metres (origin_x, origin_y, \
             cell); {} has none",
            mdp_path.display()
        );
    }
    let tracks = read_tracks_file(path)?;
    let chosen: Vec<&irl::tracks::Track> = if args.track_ids.is_empty() {
        tracks.iter().take(limit).collect()
    } else {
        let mut chosen: Vec<&irl::tracks::Track> = Vec::new();
        for id in &args.track_ids {
            let track = tracks.iter().find(|t| &t.id == id).with_context(|| {
                format!(
                    "{}: no track \"{}\" (the file has {} tracks)",
                    path.display(),
                    quote(id),
                    tracks.len()
                )
            })?;
            if !chosen.iter().any(|t| t.id == track.id) {
                chosen.push(track);
            }
        }
        chosen
    };
    let label = match chosen.as_slice() {
        [one] => format!("recorded track {}", one.id),
        _ => "recorded tracks".into(),
    };
    chosen
        .into_iter()
        .map(|t| recorded_path(mdp, t, &label).map_err(|e| e.in_file(path).into()))
        .collect()
}

impl Figure {
    /// Where the figure goes.
    fn out(&self) -> &Path {
        match self {
            Figure::Reward { out, .. }
            | Figure::Forecast { out, .. }
            | Figure::Training { out, .. } => out,
        }
    }
}

pub fn run(args: PlotArgs) -> Result<()> {
    check_out(args.figure.out())?;
    match args.figure {
        Figure::Reward {
            mdp,
            model,
            demos,
            max_tracks,
            recorded,
            title,
            out,
        } => {
            let m = load_mdp(&mdp)?;
            let weights = load_weights(&model, &m)?;
            let demos = demos.map(|d| load_demos(&d, &m)).transpose()?;
            let mut map = StateMap::reward(&m, weights.theta().view());
            for trajectory in demos
                .iter()
                .flat_map(|d| d.trajectories.iter().take(max_tracks))
            {
                map.tracks
                    .push(cell_path(&m, trajectory, "demonstrations (cells)")?);
            }
            map.tracks
                .extend(recorded_paths(&m, &mdp, &recorded, max_tracks)?);
            map.title = title.unwrap_or_else(|| format!("{}: reward θ·f(s)", file_name(&model)));
            map.draw(&m, &out)?;
        }
        Figure::Forecast {
            mdp,
            forecast,
            demos,
            trajectory,
            recorded,
            scale,
            title,
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
                        .with_context(|| {
                            format!("no trajectory \"{}\" in the demonstrations", quote(id))
                        })?,
                ),
                (None, Some(_)) => bail!("--trajectory needs --demos"),
                _ => None,
            };
            let steps = doc.steps;
            let mut map = StateMap::visits(doc.visits, matches!(scale, ScaleArg::Log));
            if let Some(t) = observed {
                map.tracks
                    .push(cell_path(&m, t, &format!("trajectory {} (cells)", t.id))?);
            }
            map.tracks
                .extend(recorded_paths(&m, &mdp, &recorded, usize::MAX)?);
            map.markers
                .push(start_marker(&m, doc.start).map_err(|e| e.in_file(&forecast))?);
            if let Some(goal) = doc.goal {
                map.markers
                    .push(goal_marker(&m, goal).map_err(|e| e.in_file(&forecast))?);
            }
            map.title = title.unwrap_or_else(|| {
                format!(
                    "{}: expected visits over {steps} steps",
                    file_name(&forecast)
                )
            });
            map.draw(&m, &out)?;
        }
        Figure::Training { model, title, out } => {
            let m = FittedModel::read(open(&model)?).map_err(|e| e.in_file(&model))?;
            let Some(training) = &m.training else {
                bail!(
                    "{}: the model has no complete training section (training.objective, \
                     gradient_norm, feature_residual, converged, stop_reason and the rest of \
                     its fields), so there is no training curve to draw",
                    model.display()
                );
            };
            let title = title.unwrap_or_else(|| {
                format!(
                    "{}: training curve\n{}",
                    file_name(&model),
                    fit_status(training)
                )
            });
            training_curve(&training.iterations, &title, &out)?;
        }
    }
    Ok(())
}
