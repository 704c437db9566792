//! Discretisation: recorded tracks → a deterministic grid MDP and demonstrations.
//!
//! **The MDP.** One state per cell of the [`Scene`] (state = y·width + x). Actions are
//! unit moves: with 8-connectivity east, west, north, south, northeast, northwest,
//! southeast, southwest (in that order; north is +y); with 4-connectivity the first
//! four; with `stay` a final action `stay` that keeps the cell. Every move is
//! deterministic (p = 1). A move that would leave the grid is not listed, so it is
//! unavailable in that cell; every cell of a grid with two or more cells keeps at least
//! one move. The MDP has no terminal states (goals are the caller's choice, see
//! [`Mdp::with_terminals`]), one-hot features (a free reward per cell; replace them with
//! [`grid_features`](super::grid_features) through [`Mdp::with_features`]), and as
//! initial distribution p0 the empirical distribution of the demonstrations' first cells.
//!
//! **The demonstrations.** Each position is mapped to its cell. Between consecutive
//! positions in cells a ≠ b the path follows the straight line from a's centre to b's
//! centre ([`line_cells`]), so every step is one legal move:
//! - 8-connectivity: n = max(|dx|, |dy|) moves; the k-th cell is a + round(k·d/n), which
//!   advances the major axis by one and the other by 0 or 1 (a Bresenham line);
//! - 4-connectivity: |dx| + |dy| orthogonal moves, crossing the cell borders in the order
//!   the segment meets them (a supercover line); where it passes exactly through a corner
//!   the x move comes first. A diagonal move is thus split into two orthogonal moves.
//!
//! A step whose line has intermediate cells is a filled gap. Note that filling turns one
//! time step into several moves, so time along a demonstration is not uniform. Positions
//! in the same cell as their predecessor are collapsed, or, with `stay`, recorded as the
//! `stay` action. A track that never leaves its first cell (fewer than 2 distinct cells)
//! is dropped and counted. Trajectory ids are the track ids.
//!
//! **Positions outside the scene** (only on a given scene: a covering scene has none)
//! are skipped and counted. A track with such positions is cut into its runs of
//! consecutive positions inside; each run is a piece with the id `track#k` (k = 1, 2, …
//! in order) that becomes a demonstration when it leaves its first cell, and no gap is
//! filled across the skipped positions.

use std::collections::{HashMap, HashSet};

use super::reader::Track;
use super::scene::{Cell, Scene};
use crate::demos::{Demonstrations, Trajectory};
use crate::error::{Error, Result};
use crate::mdp::{Features, Grid, Mdp, MdpParts, Transitions};

/// Neighbourhood of a cell that one move can reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Connectivity {
    /// The four orthogonal neighbours.
    Four,
    /// The four orthogonal and the four diagonal neighbours.
    #[default]
    Eight,
}

impl Connectivity {
    /// From a neighbour count, 4 or 8.
    pub fn from_neighbours(neighbours: usize) -> Result<Self> {
        match neighbours {
            4 => Ok(Connectivity::Four),
            8 => Ok(Connectivity::Eight),
            n => Err(Error::param(
                "connectivity",
                format!("{n} neighbours; expected 4 or 8"),
            )),
        }
    }

    /// Number of neighbours, 4 or 8.
    pub fn neighbours(self) -> usize {
        match self {
            Connectivity::Four => 4,
            Connectivity::Eight => 8,
        }
    }
}

/// Unit moves (dx, dy) with their names, in action order.
const MOVES: [(i64, i64, &str); 8] = [
    (1, 0, "east"),
    (-1, 0, "west"),
    (0, 1, "north"),
    (0, -1, "south"),
    (1, 1, "northeast"),
    (-1, 1, "northwest"),
    (1, -1, "southeast"),
    (-1, -1, "southwest"),
];

/// The action set of a grid MDP: unit moves, and optionally `stay` as the last action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridMoves {
    deltas: Vec<(i64, i64)>,
    names: Vec<String>,
}

impl GridMoves {
    /// The moves of `connectivity`, followed by `stay` when asked.
    pub fn new(connectivity: Connectivity, stay: bool) -> Self {
        let mut deltas: Vec<(i64, i64)> = Vec::new();
        let mut names = Vec::new();
        for &(dx, dy, name) in &MOVES[..connectivity.neighbours()] {
            deltas.push((dx, dy));
            names.push(name.to_string());
        }
        if stay {
            deltas.push((0, 0));
            names.push("stay".to_string());
        }
        Self { deltas, names }
    }

    /// Moves of your own: (dx, dy, name) in action order.
    pub fn from_list(moves: Vec<(i64, i64, String)>) -> Self {
        let (deltas, names) = moves
            .into_iter()
            .map(|(dx, dy, name)| ((dx, dy), name))
            .unzip();
        Self { deltas, names }
    }

    /// Number of actions.
    pub fn len(&self) -> usize {
        self.deltas.len()
    }

    /// Whether there is no action (never: a connectivity has at least four moves).
    pub fn is_empty(&self) -> bool {
        self.deltas.is_empty()
    }

    /// Action names, in action order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The displacement (dx, dy) of an action.
    pub fn delta(&self, action: usize) -> (i64, i64) {
        self.deltas[action]
    }

    /// The connectivity and `stay` whose moves have these names, in this order, if any.
    pub fn matching(names: &[String]) -> Option<(Connectivity, bool)> {
        [Connectivity::Four, Connectivity::Eight]
            .into_iter()
            .flat_map(|c| [(c, false), (c, true)])
            .find(|&(c, stay)| GridMoves::new(c, stay).names() == names)
    }

    /// The action with displacement (dx, dy), if there is one.
    pub fn action(&self, dx: i64, dy: i64) -> Option<usize> {
        self.deltas.iter().position(|&d| d == (dx, dy))
    }
}

/// The deterministic grid MDP over `grid` with the given moves, features and p0
/// (`None`: uniform). No terminal states.
pub fn grid_mdp(
    grid: Grid,
    moves: &GridMoves,
    features: Features,
    initial: Option<Vec<f64>>,
) -> Result<Mdp> {
    let (width, height) = (grid.width as i64, grid.height as i64);
    let n_states = grid.width * grid.height;
    let (mut s, mut a, mut s_next) = (Vec::new(), Vec::new(), Vec::new());
    for state in 0..n_states {
        let (x, y) = ((state % grid.width) as i64, (state / grid.width) as i64);
        for action in 0..moves.len() {
            let (dx, dy) = moves.delta(action);
            let (nx, ny) = (x + dx, y + dy);
            if (0..width).contains(&nx) && (0..height).contains(&ny) {
                s.push(state);
                a.push(action);
                s_next.push((ny * width + nx) as usize);
            }
        }
    }
    let p = vec![1.0; s.len()];
    Mdp::new(MdpParts {
        transitions: Transitions::from_arrays(n_states, moves.len(), &s, &a, &s_next, &p)?,
        initial,
        terminal: Vec::new(),
        features,
        action_names: Some(moves.names().to_vec()),
        grid: Some(grid),
    })
}

/// The cells of the straight line from `from` to `to`, both included, in which each
/// consecutive pair is one move under `connectivity` (see the module documentation).
///
/// Complexity: O(number of cells returned).
pub fn line_cells(from: Cell, to: Cell, connectivity: Connectivity) -> Vec<Cell> {
    let (x0, y0) = (from.x as i64, from.y as i64);
    let (dx, dy) = (to.x as i64 - x0, to.y as i64 - y0);
    let at = |x: i64, y: i64| Cell {
        x: x as usize,
        y: y as usize,
    };
    match connectivity {
        Connectivity::Eight => {
            let n = dx.abs().max(dy.abs());
            // round(k·d/n) with halves rounded up, in exact integer arithmetic.
            let round = |k: i64, d: i64| (2 * k * d + n).div_euclid(2 * n);
            (0..=n)
                .map(|k| {
                    if n == 0 {
                        from
                    } else {
                        at(x0 + round(k, dx), y0 + round(k, dy))
                    }
                })
                .collect()
        }
        Connectivity::Four => {
            let (nx, ny) = (dx.abs(), dy.abs());
            let (sx, sy) = (dx.signum(), dy.signum());
            let (mut x, mut y) = (x0, y0);
            let (mut i, mut j) = (0, 0);
            let mut cells = Vec::with_capacity((nx + ny + 1) as usize);
            cells.push(from);
            // The segment crosses its i-th x border at t = (2i+1)/(2·nx) and its j-th
            // y border at t = (2j+1)/(2·ny); compare them without division.
            while i < nx || j < ny {
                let x_first = j == ny || (i < nx && (2 * i + 1) * ny <= (2 * j + 1) * nx);
                if x_first {
                    x += sx;
                    i += 1;
                } else {
                    y += sy;
                    j += 1;
                }
                cells.push(at(x, y));
            }
            cells
        }
    }
}

/// Parameters of [`discretize`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DiscretizeParams {
    /// Cell side in metres.
    pub cell: f64,
    /// Moves available in a cell (default 8 neighbours).
    pub connectivity: Connectivity,
    /// Record positions that stay in their cell as a `stay` action instead of collapsing them.
    pub stay: bool,
}

impl DiscretizeParams {
    /// Cells of `cell` metres, 8-connectivity, repeated cells collapsed.
    pub fn new(cell: f64) -> Self {
        Self {
            cell,
            connectivity: Connectivity::Eight,
            stay: false,
        }
    }
}

/// What discretisation did to the tracks. Step counts cover the kept tracks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DiscretizeReport {
    /// Tracks given.
    pub tracks_in: usize,
    /// Tracks that gave at least one demonstration.
    pub tracks_kept: usize,
    /// Tracks, or pieces of cut tracks, dropped because they never left their first cell.
    pub dropped_short: usize,
    /// Ids of the dropped tracks and pieces.
    pub dropped_ids: Vec<String>,
    /// Positions outside the scene, skipped.
    pub positions_outside: usize,
    /// Tracks with positions outside the scene, cut into the pieces inside it.
    pub tracks_outside: usize,
    /// Ids of those tracks.
    pub outside_ids: Vec<String>,
    /// The first few positions outside, as `track 12, frame 340: (31.2, 4)`.
    pub outside_examples: Vec<String>,
    /// Pairs of consecutive positions in the kept tracks.
    pub position_steps: usize,
    /// Of those, pairs in the same cell (collapsed, or `stay` actions).
    pub repeated_cell_steps: usize,
    /// Of those, pairs more than one move apart, filled with intermediate cells.
    pub filled_gaps: usize,
    /// Intermediate cells inserted by filling.
    pub inserted_cells: usize,
    /// Actions in the demonstrations.
    pub demo_actions: usize,
}

/// How many positions outside the scene [`DiscretizeReport::outside_examples`] lists.
pub const OUTSIDE_EXAMPLES: usize = 5;

impl DiscretizeReport {
    /// Fraction of position steps that needed filling (0 when there is none).
    pub fn filled_gap_fraction(&self) -> f64 {
        if self.position_steps == 0 {
            0.0
        } else {
            self.filled_gaps as f64 / self.position_steps as f64
        }
    }
}

/// The result of discretisation.
#[derive(Debug, Clone)]
pub struct Discretized {
    pub mdp: Mdp,
    pub demos: Demonstrations,
    pub scene: Scene,
    pub report: DiscretizeReport,
}

/// Discretise tracks on the scene that covers them ([`Scene::covering`]).
pub fn discretize(tracks: &[Track], params: &DiscretizeParams) -> Result<Discretized> {
    let scene = Scene::covering(tracks, params.cell)?;
    discretize_in_scene(tracks, &scene, params.connectivity, params.stay)
}

/// Discretise tracks on a given scene (for instance new tracks on the scene of an
/// earlier MDP). Positions outside the scene are skipped and counted: a track is cut
/// into the runs of positions inside it, each a piece of its own (see the module
/// documentation). No piece that leaves its first cell is an error.
pub fn discretize_in_scene(
    tracks: &[Track],
    scene: &Scene,
    connectivity: Connectivity,
    stay: bool,
) -> Result<Discretized> {
    let (demos, report) = trace(tracks, scene, connectivity, stay)?;
    let mdp = grid_mdp(
        scene.grid(),
        &GridMoves::new(connectivity, stay),
        Features::one_hot(scene.n_cells()),
        Some(empirical_initial(&demos, scene.n_cells())),
    )?;
    Ok(Discretized {
        mdp,
        demos,
        scene: *scene,
        report,
    })
}

/// The demonstrations of `tracks` on `scene` under the moves of `connectivity` (and
/// `stay`), with the report of what was done to them.
///
/// Positions outside the scene are skipped: the runs of consecutive positions inside
/// it are the pieces of a track, and no path is filled across a skipped stretch. An
/// uncut track keeps its id; the pieces of a cut track are numbered in order, `12#1`,
/// `12#2`, … (the next free number where another track already has such an id), and a
/// piece that never leaves its first cell is dropped like a short track.
pub(super) fn trace(
    tracks: &[Track],
    scene: &Scene,
    connectivity: Connectivity,
    stay: bool,
) -> Result<(Demonstrations, DiscretizeReport)> {
    let moves = GridMoves::new(connectivity, stay);
    let mut report = DiscretizeReport {
        tracks_in: tracks.len(),
        ..DiscretizeReport::default()
    };
    let mut ids = PieceIds::new(tracks);
    let mut trajectories = Vec::new();
    for track in tracks {
        let (pieces, cut) = inside_pieces(track, scene, &mut report);
        let mut kept = false;
        for cells in pieces {
            let id = if cut {
                ids.next_piece(&track.id)
            } else {
                track.id.clone()
            };
            if cells.iter().all(|&c| c == cells[0]) {
                report.dropped_short += 1;
                report.dropped_ids.push(id);
                continue;
            }
            trajectories.push(path(id, &cells, scene, &moves, connectivity, &mut report));
            kept = true;
        }
        report.tracks_kept += usize::from(kept);
    }
    if trajectories.is_empty() {
        return Err(nothing_kept(tracks, scene, &report));
    }
    Ok((Demonstrations::new(trajectories), report))
}

/// The runs of consecutive positions of `track` that lie in the scene, as cells, and
/// whether any position lies outside; those are counted in `report`.
fn inside_pieces(
    track: &Track,
    scene: &Scene,
    report: &mut DiscretizeReport,
) -> (Vec<Vec<Cell>>, bool) {
    let mut pieces = Vec::new();
    let mut current = Vec::new();
    let mut outside = 0;
    for p in &track.points {
        match scene.cell_at(p.x, p.y) {
            Some(cell) => current.push(cell),
            None => {
                outside += 1;
                if report.outside_examples.len() < OUTSIDE_EXAMPLES {
                    report.outside_examples.push(format!(
                        "track {}, frame {}: ({}, {})",
                        track.id, p.frame, p.x, p.y
                    ));
                }
                if !current.is_empty() {
                    pieces.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    if outside > 0 {
        report.positions_outside += outside;
        report.tracks_outside += 1;
        report.outside_ids.push(track.id.clone());
    }
    (pieces, outside > 0)
}

/// Unique ids for the pieces of cut tracks: `id#k` with the next k that no track and no
/// earlier piece has.
struct PieceIds<'a> {
    tracks: &'a [Track],
    taken: Option<HashSet<String>>,
    last: HashMap<String, usize>,
}

impl<'a> PieceIds<'a> {
    fn new(tracks: &'a [Track]) -> Self {
        Self {
            tracks,
            taken: None,
            last: HashMap::new(),
        }
    }

    fn next_piece(&mut self, id: &str) -> String {
        let tracks = self.tracks;
        let taken = self
            .taken
            .get_or_insert_with(|| tracks.iter().map(|t| t.id.clone()).collect());
        let k = self.last.entry(id.to_string()).or_insert(0);
        loop {
            *k += 1;
            let candidate = format!("{id}#{k}");
            if taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

/// The demonstration of one piece: its cells with every gap filled along a line, and
/// repeated cells collapsed or kept as `stay`.
fn path(
    id: String,
    cells: &[Cell],
    scene: &Scene,
    moves: &GridMoves,
    connectivity: Connectivity,
    report: &mut DiscretizeReport,
) -> Trajectory {
    let stay_action = moves.action(0, 0);
    let mut states = vec![scene.state(cells[0])];
    let mut actions = Vec::new();
    for pair in cells.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        report.position_steps += 1;
        if from == to {
            report.repeated_cell_steps += 1;
            if let Some(a) = stay_action {
                states.push(scene.state(to));
                actions.push(a);
            }
            continue;
        }
        let line = line_cells(from, to, connectivity);
        if line.len() > 2 {
            report.filled_gaps += 1;
            report.inserted_cells += line.len() - 2;
        }
        for step in line.windows(2) {
            let dx = step[1].x as i64 - step[0].x as i64;
            let dy = step[1].y as i64 - step[0].y as i64;
            let a = moves
                .action(dx, dy)
                .expect("line_cells yields unit moves of its connectivity");
            states.push(scene.state(step[1]));
            actions.push(a);
        }
    }
    report.demo_actions += actions.len();
    Trajectory {
        id,
        states,
        actions,
    }
}

/// The error when no track or piece leaves its first cell.
fn nothing_kept(tracks: &[Track], scene: &Scene, report: &DiscretizeReport) -> Error {
    let positions: usize = tracks.iter().map(|t| t.points.len()).sum();
    let message = if positions > 0 && report.positions_outside == positions {
        format!(
            "all {positions} positions lie outside the grid x {}..{}, y {}..{} (the first: {})",
            scene.origin_x,
            scene.origin_x + scene.width as f64 * scene.cell,
            scene.origin_y,
            scene.origin_y + scene.height as f64 * scene.cell,
            report.outside_examples.join("; ")
        )
    } else {
        format!(
            "none of the {} tracks leaves its first cell of {} m{}; use smaller cells",
            tracks.len(),
            scene.cell,
            if report.positions_outside > 0 {
                " inside the grid"
            } else {
                ""
            }
        )
    };
    Error::InvalidTracks {
        place: "all tracks".into(),
        message,
    }
}

/// p0: the empirical distribution of the demonstrations' first states.
pub(super) fn empirical_initial(demos: &Demonstrations, n_states: usize) -> Vec<f64> {
    let mut initial = vec![0.0; n_states];
    for t in &demos.trajectories {
        initial[t.states[0]] += 1.0 / demos.len() as f64;
    }
    initial
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracks::reader::TrackPoint;
    use proptest::prelude::*;

    fn cell(x: usize, y: usize) -> Cell {
        Cell { x, y }
    }

    fn track(id: &str, points: &[(f64, f64)]) -> Track {
        Track {
            id: id.into(),
            points: points
                .iter()
                .enumerate()
                .map(|(i, &(x, y))| TrackPoint {
                    frame: 10 * i as i64,
                    x,
                    y,
                })
                .collect(),
        }
    }

    /// A 6×4 scene of 1 m cells with its origin at (0, 0): cell (x, y) holds (x + ½, y + ½).
    fn scene() -> Scene {
        Scene::new(0.0, 0.0, 1.0, 6, 4).unwrap()
    }

    #[test]
    fn diagonal_jump_of_three_by_one_by_hand() {
        // 8-connectivity: k = 1, 2, 3 gives y = round(k/3) = 0, 1, 1.
        assert_eq!(
            line_cells(cell(0, 0), cell(3, 1), Connectivity::Eight),
            vec![cell(0, 0), cell(1, 0), cell(2, 1), cell(3, 1)]
        );
        // 4-connectivity: the segment crosses x borders at t = 1/6, 1/2, 5/6 and the y
        // border at t = 1/2, through the corner (1.5, 0.5): x first.
        assert_eq!(
            line_cells(cell(0, 0), cell(3, 1), Connectivity::Four),
            vec![cell(0, 0), cell(1, 0), cell(2, 0), cell(2, 1), cell(3, 1)]
        );
        // Backwards, from (5, 2) to (2, 1): the forward path reflected through a point
        // (x → 5 − x, y → 2 − y), since at the corner x moves first in both directions.
        assert_eq!(
            line_cells(cell(5, 2), cell(2, 1), Connectivity::Four),
            vec![cell(5, 2), cell(4, 2), cell(3, 2), cell(3, 1), cell(2, 1)]
        );
        assert_eq!(
            line_cells(cell(5, 2), cell(2, 1), Connectivity::Eight),
            vec![cell(5, 2), cell(4, 2), cell(3, 1), cell(2, 1)]
        );
    }

    #[test]
    fn the_demonstration_of_a_jump_by_hand() {
        // Positions in cells (0,0) → (3,1) → (3,1) → (3,2).
        let t = track("a", &[(0.5, 0.5), (3.5, 1.5), (3.6, 1.4), (3.5, 2.5)]);
        let d = discretize_in_scene(
            std::slice::from_ref(&t),
            &scene(),
            Connectivity::Eight,
            false,
        )
        .unwrap();
        let tr = &d.demos.trajectories[0];
        assert_eq!(tr.id, "a");
        assert_eq!(tr.states, vec![0, 1, 8, 9, 15]);
        // east, northeast, east, north
        assert_eq!(tr.actions, vec![0, 4, 0, 2]);
        assert_eq!(
            (
                d.report.position_steps,
                d.report.repeated_cell_steps,
                d.report.filled_gaps,
                d.report.inserted_cells,
                d.report.demo_actions
            ),
            (3, 1, 1, 2, 4)
        );
        let d4 = discretize_in_scene(&[t], &scene(), Connectivity::Four, true).unwrap();
        let tr = &d4.demos.trajectories[0];
        assert_eq!(tr.states, vec![0, 1, 2, 8, 9, 9, 15]);
        // east, east, north, east, stay, north
        assert_eq!(tr.actions, vec![0, 0, 2, 0, 4, 2]);
        assert_eq!(d4.mdp.action_names().unwrap()[4], "stay");
        d4.demos.validate(&d4.mdp).unwrap();
    }

    #[test]
    fn collapse_versus_stay() {
        let t = track(
            "w",
            &[(0.5, 0.5), (0.7, 0.2), (0.9, 0.9), (1.5, 0.5), (1.2, 0.8)],
        );
        let collapsed = discretize_in_scene(
            std::slice::from_ref(&t),
            &scene(),
            Connectivity::Eight,
            false,
        )
        .unwrap();
        assert_eq!(collapsed.demos.trajectories[0].states, vec![0, 1]);
        assert_eq!(collapsed.demos.trajectories[0].actions, vec![0]);
        assert_eq!(collapsed.mdp.n_actions(), 8);
        let stayed = discretize_in_scene(&[t], &scene(), Connectivity::Eight, true).unwrap();
        assert_eq!(stayed.demos.trajectories[0].states, vec![0, 0, 0, 1, 1]);
        assert_eq!(stayed.demos.trajectories[0].actions, vec![8, 8, 0, 8]);
        assert_eq!(stayed.mdp.n_actions(), 9);
        assert_eq!(stayed.report.repeated_cell_steps, 3);
        stayed.demos.validate(&stayed.mdp).unwrap();
    }

    #[test]
    fn short_tracks_are_dropped_and_counted() {
        let tracks = [
            track("still", &[(0.1, 0.1), (0.9, 0.9), (0.5, 0.5)]),
            track("walks", &[(0.5, 0.5), (2.5, 0.5)]),
            track("also_still", &[(4.2, 3.2), (4.3, 3.3)]),
        ];
        let d = discretize_in_scene(&tracks, &scene(), Connectivity::Four, true).unwrap();
        assert_eq!(d.report.tracks_in, 3);
        assert_eq!(d.report.tracks_kept, 1);
        assert_eq!(d.report.dropped_short, 2);
        assert_eq!(d.report.dropped_ids, vec!["still", "also_still"]);
        assert_eq!(d.report.position_steps, 1);
        assert_eq!(d.report.filled_gap_fraction(), 1.0);
        // p0 is the empirical start distribution: all mass on cell (0, 0).
        assert_eq!(d.mdp.initial()[0], 1.0);
        let e = discretize_in_scene(&tracks[..1], &scene(), Connectivity::Four, true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("none of the 1 tracks leaves"), "{e}");
    }

    #[test]
    fn positions_outside_the_scene_cut_their_track() {
        // Cells (0,0), (2,0), then x = 6.5 east of the 6 m scene, then (5,3), (5,1):
        // two pieces, no line filled across the skipped position.
        let t = track(
            "p9",
            &[(0.5, 0.5), (2.5, 0.5), (6.5, 0.5), (5.5, 3.5), (5.5, 1.5)],
        );
        let kept = track("k", &[(0.5, 0.5), (0.5, 1.5)]);
        let d = discretize_in_scene(&[t, kept], &scene(), Connectivity::Eight, false).unwrap();
        let got: Vec<(&str, &[usize], &[usize])> = d
            .demos
            .trajectories
            .iter()
            .map(|t| (t.id.as_str(), &t.states[..], &t.actions[..]))
            .collect();
        // east, east; south, south; north.
        assert_eq!(
            got,
            [
                ("p9#1", &[0, 1, 2][..], &[0, 0][..]),
                ("p9#2", &[23, 17, 11][..], &[3, 3][..]),
                ("k", &[0, 6][..], &[2][..]),
            ]
        );
        let r = &d.report;
        assert_eq!((r.tracks_in, r.tracks_kept, r.dropped_short), (2, 2, 0));
        assert_eq!((r.positions_outside, r.tracks_outside), (1, 1));
        assert_eq!(r.outside_examples, ["track p9, frame 20: (6.5, 0.5)"]);
        // Two of the three position steps are filled gaps, one cell each.
        assert_eq!(
            (r.position_steps, r.filled_gaps, r.inserted_cells),
            (3, 2, 2)
        );
        d.demos.validate(&d.mdp).unwrap();
        // At most OUTSIDE_EXAMPLES positions are listed; all are counted.
        let far: Vec<(f64, f64)> = (0..9).map(|i| (-1.0 - i as f64, 0.5)).collect();
        let d = discretize_in_scene(
            &[track("far", &far), track("k", &[(0.5, 0.5), (0.5, 1.5)])],
            &scene(),
            Connectivity::Eight,
            false,
        )
        .unwrap();
        assert_eq!(d.report.positions_outside, 9);
        assert_eq!(d.report.outside_examples.len(), OUTSIDE_EXAMPLES);
        assert_eq!(d.report.tracks_kept, 1);
    }

    #[test]
    fn off_grid_moves_are_unlisted() {
        let moves = GridMoves::new(Connectivity::Eight, false);
        let mdp = grid_mdp(Grid::new(3, 2), &moves, Features::one_hot(6), None).unwrap();
        // Corner (0, 0): east, north, northeast only.
        let available: Vec<usize> = (0..8).filter(|&a| mdp.available(0, a)).collect();
        assert_eq!(available, vec![0, 2, 4]);
        // Middle of the bottom row (1, 0): all but the three southward moves.
        assert_eq!(mdp.n_available(1), 5);
        let (next, p) = mdp.transitions().successors(1, 5);
        assert_eq!((next, p), (&[3u32][..], &[1.0][..]));
        let four = grid_mdp(
            Grid::new(3, 2),
            &GridMoves::new(Connectivity::Four, true),
            Features::one_hot(6),
            None,
        )
        .unwrap();
        assert_eq!(four.n_available(0), 3);
        assert_eq!(four.n_available(4), 4);
        assert_eq!(
            four.action_names().unwrap(),
            &["east", "west", "north", "south", "stay"]
        );
    }

    fn assert_every_step_is_listed(
        cells: &[(usize, usize)],
        connectivity: Connectivity,
        stay: bool,
    ) -> std::result::Result<(), TestCaseError> {
        let scene = Scene::new(0.0, 0.0, 1.0, 12, 9).unwrap();
        let points: Vec<(f64, f64)> = cells
            .iter()
            .map(|&(x, y)| (x as f64 + 0.5, y as f64 + 0.5))
            .collect();
        let t = track("p", &points);
        let Ok(d) = discretize_in_scene(&[t], &scene, connectivity, stay) else {
            prop_assert!(cells.iter().all(|&c| c == cells[0]));
            return Ok(());
        };
        let tr = &d.demos.trajectories[0];
        for (t, (s, a)) in tr.steps().enumerate() {
            let (next, _) = d.mdp.transitions().successors(s, a);
            prop_assert_eq!(next, &[tr.states[t + 1] as u32][..]);
        }
        // The path visits every recorded cell, in order, and ends in the last one.
        let mut k = 0;
        for &(x, y) in cells {
            let s = scene.state(Cell { x, y });
            while tr.states[k] != s {
                k += 1;
            }
        }
        let (x, y) = cells[cells.len() - 1];
        prop_assert_eq!(tr.states[tr.states.len() - 1], scene.state(Cell { x, y }));
        d.demos.validate(&d.mdp).unwrap();
        Ok(())
    }

    proptest! {
        #[test]
        fn filled_paths_are_legal_moves(
            cells in proptest::collection::vec((0usize..12, 0usize..9), 2..8),
            four in any::<bool>(),
            stay in any::<bool>(),
        ) {
            let connectivity = if four { Connectivity::Four } else { Connectivity::Eight };
            assert_every_step_is_listed(&cells, connectivity, stay)?;
        }

        #[test]
        fn line_lengths_are_the_move_distances(
            a in (0usize..20, 0usize..20),
            b in (0usize..20, 0usize..20),
        ) {
            let (from, to) = (cell(a.0, a.1), cell(b.0, b.1));
            let dx = a.0.abs_diff(b.0);
            let dy = a.1.abs_diff(b.1);
            let eight = line_cells(from, to, Connectivity::Eight);
            let four = line_cells(from, to, Connectivity::Four);
            prop_assert_eq!(eight.len(), dx.max(dy) + 1);
            prop_assert_eq!(four.len(), dx + dy + 1);
            prop_assert_eq!((eight[0], *eight.last().unwrap()), (from, to));
            prop_assert_eq!((four[0], *four.last().unwrap()), (from, to));
        }
    }
}
