//! Timed discretisation: tracks resampled to a fixed time step, one action per step.
//!
//! Each track is resampled every Δ seconds ([`resample`]), so step t of a demonstration
//! is t·Δ after the start of its piece of track. Two state spaces:
//! - **cells** (`lattice: None`): the state is the cell and the action the displacement of
//!   the step, any (dx, dy) with |dx|, |dy| ≤ m including standing still (`stay`); a step
//!   longer than m cells splits the track;
//! - **lattice**: the state is (cell, last displacement) of a kinematic [`Lattice`], the
//!   path the map-matched one ([`map_match`]), which also splits where the walker moved
//!   further than the lattice allows.
//!
//! A piece that never leaves its first cell is dropped. The first kept piece of a track
//! keeps its id, the k-th kept after it is named `id#k` (k = 1, 2, …). Every demonstration keeps its
//! resampled positions (metres) and frames, one per state, for displacement errors.

use super::discretize::{grid_mdp, GridMoves};
use super::grid_features::visited_cells;
use super::lattice_mdp::lattice_mdp;
use super::map_match::{map_match, MatchedPiece};
use super::reader::Track;
use super::resample::{resample, TimeStep};
use super::scene::{Cell, Scene};
use crate::demos::{Demonstrations, Trajectory};
use crate::error::{quote, Error, Result};
use crate::mdp::{Features, Lattice, Mdp};

/// Parameters of [`discretize_timed`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TimedParams {
    pub time_step: TimeStep,
    /// m: the longest step per axis, in cells.
    pub max_displacement: usize,
    /// Whether the state carries the last displacement (a kinematic lattice).
    pub lattice: bool,
}

/// What timed discretisation did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct TimedReport {
    pub tracks_in: usize,
    /// Tracks with at least one kept piece.
    pub tracks_kept: usize,
    /// Kept pieces (demonstrations).
    pub pieces: usize,
    /// Places where a track was split because a step was too long for the state space.
    pub splits: usize,
    /// Pieces dropped because they never left their first cell.
    pub dropped_short: usize,
    /// Resampled positions in the kept pieces.
    pub positions: usize,
    /// Steps of the kept pieces without a change of cell.
    pub standing_steps: usize,
    /// Root mean square distance from the kept positions to their states' cell centres, m.
    pub rms_match_error: f64,
}

/// The positions of one demonstration, one per state.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedPositions {
    pub id: String,
    pub frames: Vec<i64>,
    pub points: Vec<(f64, f64)>,
}

/// The result of timed discretisation; the MDP is built by [`TimedDiscretized::mdp`]
/// once the cell features (from the training demonstrations) are known.
#[derive(Debug, Clone)]
pub struct TimedDiscretized {
    pub scene: Scene,
    pub params: TimedParams,
    pub demos: Demonstrations,
    /// The resampled positions of every demonstration, in the same order.
    pub positions: Vec<TimedPositions>,
    /// p0: the empirical distribution of the demonstrations' first states.
    pub initial: Vec<f64>,
    pub report: TimedReport,
}

impl TimedParams {
    /// The lattice, in lattice mode.
    pub fn lattice(&self) -> Option<Lattice> {
        self.lattice.then_some(Lattice {
            max_displacement: self.max_displacement,
        })
    }

    /// States per cell: the lattice's displacements, or 1.
    pub fn states_per_cell(&self) -> usize {
        self.lattice().map_or(1, |l| l.n_displacements())
    }
}

/// The moves of timed cell mode: every displacement up to m cells per axis, `stay` last.
pub fn timed_moves(max_displacement: usize) -> GridMoves {
    let m = max_displacement as i64;
    let mut moves = Vec::new();
    for dy in -m..=m {
        for dx in -m..=m {
            if (dx, dy) != (0, 0) {
                moves.push((dx, dy, format!("move({dx},{dy})")));
            }
        }
    }
    moves.push((0, 0, "stay".to_string()));
    GridMoves::from_list(moves)
}

/// Discretise tracks at a fixed time step on `scene` (see the module documentation).
pub fn discretize_timed(
    tracks: &[Track],
    scene: &Scene,
    params: &TimedParams,
) -> Result<TimedDiscretized> {
    if !(1..=crate::mdp::MAX_LATTICE_DISPLACEMENT).contains(&params.max_displacement) {
        return Err(Error::param(
            "max_displacement",
            format!(
                "{} is outside 1..={}",
                params.max_displacement,
                crate::mdp::MAX_LATTICE_DISPLACEMENT
            ),
        ));
    }
    let moves = timed_moves(params.max_displacement);
    let mut report = TimedReport {
        tracks_in: tracks.len(),
        ..TimedReport::default()
    };
    let (mut trajectories, mut positions) = (Vec::new(), Vec::new());
    let mut squared_error = 0.0;
    for track in tracks {
        let sampled = resample(track, params.time_step)?;
        let points: Vec<(f64, f64)> = sampled.points.iter().map(|p| (p.x, p.y)).collect();
        let cells = sampled
            .points
            .iter()
            .map(|p| {
                scene.cell_at(p.x, p.y).ok_or_else(|| Error::InvalidTracks {
                    place: format!("track {}, frame {}", quote(&track.id), p.frame),
                    message: format!("position ({}, {}) lies outside the scene", p.x, p.y),
                })
            })
            .collect::<Result<Vec<Cell>>>()?;
        let pieces = match params.lattice() {
            Some(lattice) => map_match(&points, &cells, scene, lattice),
            None => cell_pieces(&cells, scene, &moves),
        };
        report.splits += pieces.len() - 1;
        let per_cell = params.states_per_cell();
        let mut kept = 0;
        for piece in pieces {
            let n = piece.states.len();
            let range = piece.first..piece.first + n;
            let first_cell = piece.states[0] / per_cell;
            if piece.states.iter().all(|s| s / per_cell == first_cell) {
                report.dropped_short += 1;
                continue;
            }
            let id = if kept == 0 {
                track.id.clone()
            } else {
                format!("{}#{kept}", track.id)
            };
            kept += 1;
            report.positions += n;
            report.standing_steps += piece
                .states
                .windows(2)
                .filter(|w| w[0] / per_cell == w[1] / per_cell)
                .count();
            for (s, p) in piece.states.iter().zip(&points[range.clone()]) {
                let (cx, cy) = scene.centre(scene.cell_of_state(s / per_cell));
                squared_error += (p.0 - cx).powi(2) + (p.1 - cy).powi(2);
            }
            positions.push(TimedPositions {
                id: id.clone(),
                frames: sampled.points[range.clone()]
                    .iter()
                    .map(|p| p.frame)
                    .collect(),
                points: points[range].to_vec(),
            });
            trajectories.push(Trajectory {
                id,
                states: piece.states,
                actions: piece.actions,
            });
        }
        report.tracks_kept += usize::from(kept > 0);
    }
    report.pieces = trajectories.len();
    if trajectories.is_empty() {
        return Err(Error::InvalidTracks {
            place: "all tracks".into(),
            message: format!(
                "none of the {} tracks leaves its first cell of {} m; use smaller cells",
                tracks.len(),
                scene.cell
            ),
        });
    }
    report.rms_match_error = (squared_error / report.positions as f64).sqrt();
    let n_states = scene.n_cells() * params.states_per_cell();
    let mut initial = vec![0.0; n_states];
    for t in &trajectories {
        initial[t.states[0]] += 1.0 / trajectories.len() as f64;
    }
    Ok(TimedDiscretized {
        scene: *scene,
        params: *params,
        demos: Demonstrations::new(trajectories),
        positions,
        initial,
        report,
    })
}

/// Cell mode: one piece per run of steps of at most m cells per axis.
fn cell_pieces(cells: &[Cell], scene: &Scene, moves: &GridMoves) -> Vec<MatchedPiece> {
    let mut pieces = vec![MatchedPiece {
        first: 0,
        states: vec![scene.state(cells[0])],
        actions: Vec::new(),
    }];
    for (t, pair) in cells.windows(2).enumerate() {
        let (dx, dy) = (
            pair[1].x as i64 - pair[0].x as i64,
            pair[1].y as i64 - pair[0].y as i64,
        );
        let piece = pieces.last_mut().expect("a piece");
        match moves.action(dx, dy) {
            Some(a) => {
                piece.states.push(scene.state(pair[1]));
                piece.actions.push(a);
            }
            None => pieces.push(MatchedPiece {
                first: t + 1,
                states: vec![scene.state(pair[1])],
                actions: Vec::new(),
            }),
        }
    }
    pieces
}

impl TimedDiscretized {
    /// The cells that `demos` (of this discretisation's state space) visit.
    pub fn visited_cells(&self, demos: &Demonstrations) -> Result<Vec<bool>> {
        let per_cell = self.params.states_per_cell();
        let cells = Demonstrations::new(
            demos
                .trajectories
                .iter()
                .map(|t| Trajectory {
                    id: t.id.clone(),
                    states: t.states.iter().map(|s| s / per_cell).collect(),
                    actions: t.actions.clone(),
                })
                .collect(),
        );
        visited_cells(&cells, self.scene.n_cells())
    }

    /// The MDP with the given cell features (one row per cell): the timed cell MDP, which
    /// keeps them, or the lattice MDP with the kinematic features added.
    pub fn mdp(&self, cell_features: Features) -> Result<Mdp> {
        match self.params.lattice() {
            Some(lattice) => lattice_mdp(
                &self.scene,
                lattice,
                &cell_features,
                self.params.time_step.seconds,
                Some(self.initial.clone()),
            ),
            None => grid_mdp(
                self.scene.grid(),
                &timed_moves(self.params.max_displacement),
                cell_features,
                Some(self.initial.clone()),
            ),
        }
    }

    /// The positions of the demonstrations whose ids are in `demos`, in its order.
    pub fn positions_of(&self, demos: &Demonstrations) -> Vec<TimedPositions> {
        let by_id: std::collections::HashMap<&str, &TimedPositions> =
            self.positions.iter().map(|p| (p.id.as_str(), p)).collect();
        demos
            .trajectories
            .iter()
            .filter_map(|t| by_id.get(t.id.as_str()).map(|p| (*p).clone()))
            .collect()
    }
}

/// Write positions as a track CSV (`track,frame,x,y`, one row per state), readable by
/// [`read_tracks`](super::read_tracks).
pub fn write_positions(positions: &[TimedPositions], writer: impl std::io::Write) -> Result<()> {
    let mut csv = csv::Writer::from_writer(writer);
    let io = |e: csv::Error| Error::Io {
        path: "track CSV".into(),
        source: std::io::Error::other(e.to_string()),
    };
    csv.write_record(["track", "frame", "x", "y"]).map_err(io)?;
    for p in positions {
        for (frame, (x, y)) in p.frames.iter().zip(&p.points) {
            csv.write_record([
                p.id.clone(),
                frame.to_string(),
                x.to_string(),
                y.to_string(),
            ])
            .map_err(io)?;
        }
    }
    csv.flush().map_err(|e| Error::Io {
        path: "track CSV".into(),
        source: e,
    })?;
    Ok(())
}
