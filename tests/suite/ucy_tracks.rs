//! The three UCY scenes shipped in `data/ucy/` (credit in its README) discretised at
//! 0.5 m: grid sizes and track counts as the dataset README states them, demonstrations
//! that are legal under the MDP, and features built from the visited cells.

use std::path::PathBuf;

use irl::tracks::{
    discretize, grid_features, read_tracks_file, visited_cells, Connectivity, DiscretizeParams,
    GridFeatureParams,
};

/// (scene, tracks, rows, width, height) from `data/ucy/README.md`.
const SCENES: [(&str, usize, usize, usize, usize); 3] = [
    ("zara01", 148, 5024, 28, 32),
    ("zara02", 204, 9537, 30, 32),
    ("students03", 428, 21846, 36, 36),
];

fn scene_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("data/ucy/{name}.csv"))
}

#[test]
fn ucy_scenes_discretise_to_the_stated_grids() {
    for (name, n_tracks, n_rows, width, height) in SCENES {
        let tracks = read_tracks_file(&scene_path(name)).unwrap();
        assert_eq!(tracks.len(), n_tracks, "{name}");
        assert_eq!(
            tracks.iter().map(|t| t.points.len()).sum::<usize>(),
            n_rows,
            "{name}"
        );
        for (connectivity, stay) in [
            (Connectivity::Eight, false),
            (Connectivity::Four, false),
            (Connectivity::Eight, true),
        ] {
            let params = DiscretizeParams {
                cell: 0.5,
                connectivity,
                stay,
            };
            let d = discretize(&tracks, &params).unwrap();
            assert_eq!((d.scene.width, d.scene.height), (width, height), "{name}");
            assert_eq!(d.mdp.n_states(), width * height);
            d.demos.validate(&d.mdp).unwrap();
            let r = &d.report;
            assert_eq!(r.tracks_in, n_tracks);
            assert_eq!(r.tracks_kept + r.dropped_short, r.tracks_in);
            assert_eq!(d.demos.len(), r.tracks_kept);
            assert_eq!(d.demos.n_actions(), r.demo_actions);
            assert!(d.demos.trajectories.iter().all(|t| !t.is_empty()));
            println!(
                "{name} {}-conn stay={stay}: {}x{} cells, tracks kept {} dropped {}, \
                 steps {} repeated {} filled gaps {} ({:.1} %), inserted cells {}, actions {}",
                connectivity.neighbours(),
                d.scene.width,
                d.scene.height,
                r.tracks_kept,
                r.dropped_short,
                r.position_steps,
                r.repeated_cell_steps,
                r.filled_gaps,
                100.0 * r.filled_gap_fraction(),
                r.inserted_cells,
                r.demo_actions
            );
            let visited = visited_cells(&d.demos, d.scene.n_cells()).unwrap();
            let features =
                grid_features(&d.scene, &visited, &GridFeatureParams::default()).unwrap();
            let mdp = d.mdp.with_features(features).unwrap();
            d.demos.validate(&mdp).unwrap();
            // Regions of 4 cells: ⌈W/4⌉·⌈H/4⌉ − 1 dummies, plus step cost, border, obstacle.
            assert_eq!(
                mdp.features().dim(),
                width.div_ceil(4) * height.div_ceil(4) + 2
            );
        }
    }
}
