//! Tracks on the grid of an existing MDP: the same cells, actions and features, so that
//! a model fitted on that MDP can be evaluated on the new demonstrations.
//!
//! The MDP must have a grid with its position in metres ([`Scene::of_mdp`]) and the
//! actions of a grid MDP of [`discretize`](super::discretize): the 4 or 8 moves, with or
//! without a final `stay`, by name and in that order ([`grid_moves_of`]). The tracks are
//! traced on its scene under those moves, with the positions outside the grid skipped
//! and their tracks cut (see [`discretize_in_scene`](super::discretize_in_scene)). The
//! result's MDP is the given one — transitions, features, action names, grid and terminal
//! states shared, not copied — with p0 the empirical distribution of the new
//! demonstrations' first cells, and the demonstrations are checked against it.

use super::discretize::{empirical_initial, trace, Connectivity, Discretized, GridMoves};
use super::reader::Track;
use super::scene::Scene;
use crate::error::{quote, Error, Result};
use crate::mdp::Mdp;

/// The connectivity and `stay` of a grid MDP, read from its action names.
pub fn grid_moves_of(mdp: &Mdp) -> Result<(Connectivity, bool)> {
    let names = mdp.action_names().unwrap_or_default();
    GridMoves::matching(names).ok_or_else(|| {
        let found = if names.is_empty() {
            "no action names".to_string()
        } else {
            format!("the actions {}", quote(&names.join(", ")))
        };
        Error::InvalidMdp {
            place: "action_names".into(),
            message: format!(
                "the MDP has {found}, not the moves of a grid MDP: east, west, north, south, \
                 then with 8 neighbours northeast, northwest, southeast, southwest, then \
                 optionally stay"
            ),
        }
    })
}

/// Discretise `tracks` on the grid of `mdp` (see the module documentation).
pub fn discretize_on_grid(tracks: &[Track], mdp: &Mdp) -> Result<Discretized> {
    let scene = Scene::of_mdp(mdp)?;
    let (connectivity, stay) = grid_moves_of(mdp)?;
    let (demos, report) = trace(tracks, &scene, connectivity, stay)?;
    let on_grid = mdp.with_terminals(
        &mdp.terminal_states(),
        Some(empirical_initial(&demos, scene.n_cells())),
    )?;
    demos.validate(&on_grid)?;
    Ok(Discretized {
        mdp: on_grid,
        demos,
        scene,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdp::{FeatureTable, Features};
    use crate::tracks::discretize::grid_mdp;
    use crate::tracks::reader::TrackPoint;
    use ndarray::Array2;

    fn track(id: &str, points: &[(f64, f64)]) -> Track {
        Track {
            id: id.into(),
            points: points
                .iter()
                .enumerate()
                .map(|(i, &(x, y))| TrackPoint {
                    frame: i as i64,
                    x,
                    y,
                })
                .collect(),
        }
    }

    /// A 6 × 4 grid of 0.5 m cells whose lower-left corner is (10, 20): cell (x, y) holds
    /// (10.25 + x/2, 20.25 + y/2). Features: the column and the row of each cell.
    fn grid(connectivity: Connectivity, stay: bool) -> Mdp {
        let scene = Scene::new(10.0, 20.0, 0.5, 6, 4).unwrap();
        let values = Array2::from_shape_fn((24, 2), |(s, k)| {
            if k == 0 {
                (s % 6) as f64
            } else {
                (s / 6) as f64
            }
        });
        let features = Features::new(
            vec!["column".into(), "row".into()],
            FeatureTable::State(values),
        )
        .unwrap();
        grid_mdp(
            scene.grid(),
            &GridMoves::new(connectivity, stay),
            features,
            None,
        )
        .unwrap()
    }

    #[test]
    fn new_tracks_get_the_grid_its_features_and_their_own_p0() {
        let old = grid(Connectivity::Eight, false);
        let tracks = [
            // Cells (0,0) → (2,0): east, east after filling.
            track("a", &[(10.1, 20.1), (11.1, 20.1)]),
            // (5,3), then x = 13.2 is east of the grid's edge at 13, then (4,3) → (3,2).
            track(
                "b",
                &[(12.9, 21.9), (13.2, 21.9), (12.3, 21.9), (11.8, 21.4)],
            ),
            // Inside, outside (y = 19), inside, and a single position left at the end.
            track(
                "c",
                &[(10.3, 20.3), (10.8, 20.3), (10.8, 19.0), (10.3, 20.8)],
            ),
        ];
        let d = discretize_on_grid(&tracks, &old).unwrap();
        let demos: Vec<(&str, &[usize], &[usize])> = d
            .demos
            .trajectories
            .iter()
            .map(|t| (t.id.as_str(), &t.states[..], &t.actions[..]))
            .collect();
        assert_eq!(
            demos,
            [
                ("a", &[0, 1, 2][..], &[0, 0][..]),
                ("b#2", &[22, 15][..], &[7][..]),
                ("c#1", &[0, 1][..], &[0][..]),
            ]
        );
        let r = &d.report;
        assert_eq!((r.tracks_in, r.tracks_kept), (3, 3));
        assert_eq!((r.positions_outside, r.tracks_outside), (2, 2));
        assert_eq!(r.outside_ids, ["b", "c"]);
        assert_eq!(
            r.outside_examples,
            [
                "track b, frame 1: (13.2, 21.9)",
                "track c, frame 2: (10.8, 19)"
            ]
        );
        assert_eq!(r.dropped_ids, ["b#1", "c#2"]);
        assert_eq!(d.mdp.features(), old.features());
        assert_eq!(d.mdp.transitions(), old.transitions());
        assert_eq!(d.mdp.grid(), old.grid());
        let mut p0 = vec![0.0; 24];
        p0[0] = 2.0 / 3.0;
        p0[22] = 1.0 / 3.0;
        for (got, want) in d.mdp.initial().iter().zip(&p0) {
            assert!((got - want).abs() < 1e-15, "{:?}", d.mdp.initial());
        }
    }

    #[test]
    fn a_piece_id_that_a_track_already_has_is_skipped() {
        let old = grid(Connectivity::Four, true);
        let tracks = [
            track("w#1", &[(10.1, 20.1), (10.6, 20.1)]),
            track(
                "w",
                &[
                    (10.1, 20.1),
                    (10.6, 20.1),
                    (9.0, 20.1),
                    (10.1, 20.1),
                    (10.1, 20.6),
                ],
            ),
        ];
        let d = discretize_on_grid(&tracks, &old).unwrap();
        let ids: Vec<&str> = d.demos.trajectories.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["w#1", "w#2", "w#3"]);
        // 4 moves and stay: north is action 2.
        assert_eq!(d.demos.trajectories[2].actions, [2]);
    }

    #[test]
    fn grids_without_metres_or_grid_moves_and_tracks_all_outside_are_errors() {
        assert_eq!(
            grid_moves_of(&grid(Connectivity::Four, true)).unwrap(),
            (Connectivity::Four, true)
        );
        let plain = grid_mdp(
            crate::mdp::Grid::new(6, 4),
            &GridMoves::new(Connectivity::Eight, false),
            Features::one_hot(24),
            None,
        )
        .unwrap();
        let tracks = [track("a", &[(10.1, 20.1), (11.1, 20.1)])];
        let e = discretize_on_grid(&tracks, &plain).unwrap_err().to_string();
        assert!(e.contains("no position in metres"), "{e}");
        let e = discretize_on_grid(
            &[track("far", &[(0.0, 0.0), (1.0, 0.0)])],
            &grid(Connectivity::Eight, false),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("all 2 positions lie outside the grid x 10..13, y 20..22")
                && e.contains("track far, frame 0: (0, 0)"),
            "{e}"
        );
    }
}
