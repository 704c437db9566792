//! The known hostile inputs of the loaders, kept as seeds of the fuzz harness in
//! `fuzz/corpus/<loader>/hostile-*`, each read here the way the `irl` command reads it:
//! every one is refused with an error that names its place (the field, member, line or
//! row), or, where the file is valid but its numbers are extreme, what uses it fails
//! with an error instead of a panic or a hang.

use std::fs;
use std::path::{Path, PathBuf};

use irl::demos::{read_demos_csv, read_demos_jsonl};
use irl::inference::{solve, MemoryLimit, SoftSettings};
use irl::learn::{read_weights, FittedModel};
use irl::mdp::{read_mdp_file, Features};
use irl::tracks::{
    check_grid_memory, read_tracks_file, Connectivity, Extent, GridFeatureParams, GridMemory,
    GridMoves, Scene,
};
use irl::Mdp;

fn corpus(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(path)
}

fn fixture() -> Mdp {
    read_mdp_file(&corpus("fixture/mdp.json")).unwrap()
}

fn bytes(path: &str) -> Vec<u8> {
    fs::read(corpus(path)).unwrap()
}

/// Assert that `message` holds each of `parts`.
fn names(message: String, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{message:?} does not hold {part:?}");
    }
}

fn mdp_error(name: &str) -> String {
    read_mdp_file(&corpus(&format!("mdp/{name}")))
        .unwrap_err()
        .to_string()
}

/// The `.npz` target's document with `name` as its transitions.
fn npz_error(name: &str) -> String {
    let folder = tempfile::tempdir().unwrap();
    fs::copy(
        corpus("fixture/mdp-npz.json"),
        folder.path().join("mdp.json"),
    )
    .unwrap();
    fs::copy(
        corpus(&format!("npz/{name}")),
        folder.path().join("transitions.npz"),
    )
    .unwrap();
    read_mdp_file(&folder.path().join("mdp.json"))
        .unwrap_err()
        .to_string()
}

fn model_error(name: &str) -> String {
    FittedModel::read(bytes(&format!("model/{name}")).as_slice())
        .unwrap_err()
        .to_string()
}

#[test]
fn mdp_n_states_1e9_is_refused_by_the_states_it_lists() {
    names(
        mdp_error("hostile-n-states-1e9.json"),
        &[
            "transitions (state 4)",
            "n_states declares 1000000000 states",
        ],
    );
    names(
        mdp_error("hostile-n-states-1e9-onehot.json"),
        &["n_states declares 1000000000 states", "997 terminal states"],
    );
}

#[test]
fn mdp_n_actions_2_32_is_refused_by_the_memory_it_needs() {
    names(
        mdp_error("hostile-n-actions-2-32.json"),
        &["reading the MDP would need", "n_actions = 4294967295"],
    );
}

#[test]
fn mdp_probabilities_1e308_are_refused_at_their_index() {
    names(
        mdp_error("hostile-probabilities-1e308.json"),
        &["transitions.p[0]"],
    );
}

#[test]
fn mdp_grid_of_2_64_cells_is_refused() {
    names(
        mdp_error("hostile-grid-overflow.json"),
        &["at grid", "4294967296×4294967296"],
    );
}

#[test]
fn mdp_state_2_32_is_refused_at_its_index() {
    names(
        mdp_error("hostile-state-2-32.json"),
        &["transitions.s[3]", "4294967296"],
    );
}

#[test]
fn mdp_relative_npz_reference_in_a_stream_is_refused() {
    let error = irl::mdp::read_mdp(bytes("mdp/hostile-npz-reference-in-a-stream.json").as_slice())
        .unwrap_err()
        .to_string();
    names(error, &["transitions.npz", "relative"]);
}

#[test]
fn mdp_features_1e308_make_solves_fail_with_an_error() {
    let mdp = read_mdp_file(&corpus("mdp/hostile-features-1e308.json")).unwrap();
    let theta = ndarray::ArrayView1::from(&[1.0, 1.0]);
    let error = solve(&mdp, theta, &SoftSettings::finite(6, 0.9), true)
        .unwrap_err()
        .to_string();
    names(error, &["overflowed"]);
}

#[test]
fn npz_of_another_sparse_format_is_refused() {
    names(
        npz_error("hostile-csc-format.npz"),
        &["format.npy", "'csc'"],
    );
}

#[test]
fn npz_member_declaring_1e12_elements_is_refused() {
    names(
        npz_error("hostile-indices-declared-1e12.npz"),
        &[
            "indices.npy",
            "holds 56 bytes of elements",
            "(1000000000000,)",
        ],
    );
}

#[test]
fn npz_offset_2_32_is_refused() {
    names(
        npz_error("hostile-indptr-2-32.npz"),
        &["indptr[4]", "decreases from 4294967296 to 6"],
    );
}

#[test]
fn npz_shape_2_32_is_refused() {
    names(
        npz_error("hostile-shape-2-32.npz"),
        &["shape.npy", "4294967296 × -1"],
    );
}

#[test]
fn npz_probabilities_nan_are_refused() {
    names(
        npz_error("hostile-data-nan-1e308.npz"),
        &["data[0]", "probability NaN"],
    );
}

#[test]
fn npz_negative_successor_is_refused_at_its_index() {
    names(
        npz_error("hostile-indices-negative.npz"),
        &["indices[2]", "-2147483648"],
    );
}

/// Found by the fuzz harness: a `.npy` header of a hundred nested `{` kept `npyz`'s
/// parser backtracking for hours; it is now refused before that parser sees it.
#[test]
fn npz_header_of_nested_brackets_is_refused_at_once() {
    let start = std::time::Instant::now();
    names(
        npz_error("hostile-header-nested-braces.npz"),
        &["format.npy", "opening brackets"],
    );
    assert!(start.elapsed().as_secs() < 5);
}

#[test]
fn weights_1e308_make_the_solve_fail_with_an_error() {
    let mdp = fixture();
    let one_hot = mdp
        .with_features(Features::one_hot(mdp.n_states()))
        .unwrap();
    for (name, mdp) in [
        ("hostile-rewards-1e308.json", &mdp),
        ("hostile-per-state-1e308.json", &one_hot),
    ] {
        let weights = read_weights(bytes(&format!("weights/{name}")).as_slice()).unwrap();
        weights.check_against(mdp.features()).unwrap();
        let settings = SoftSettings::finite(6, 0.9);
        let error = solve(mdp, weights.theta().view(), &settings, true)
            .unwrap_err()
            .to_string();
        names(error, &["overflowed"]);
    }
}

#[test]
fn weights_1e309_are_refused() {
    let error = read_weights(bytes("weights/hostile-weight-1e309.json").as_slice())
        .unwrap_err()
        .to_string();
    names(error, &["irl-weights/1"]);
}

#[test]
fn weights_fewer_than_names_are_refused() {
    let error = read_weights(bytes("weights/hostile-lengths.json").as_slice())
        .unwrap_err()
        .to_string();
    names(error, &["2 feature_names but 1 weights"]);
}

#[test]
fn model_horizon_2_32_is_refused_by_the_memory_its_policy_needs() {
    let mut model = FittedModel::read(bytes("model/hostile-horizon-2-32.json").as_slice()).unwrap();
    model.settings.memory_limit = MemoryLimit::Bytes(256 << 20);
    let error = model.policy(&fixture()).unwrap_err().to_string();
    names(error, &["this policy would need", "4294967296"]);
}

#[test]
fn model_discount_outside_0_1_is_refused() {
    names(
        model_error("hostile-discount-negative.json"),
        &["solver.discount", "-0.5 is not in (0, 1]"],
    );
    names(
        model_error("hostile-discount-1.5.json"),
        &["solver.discount", "1.5 is not in (0, 1]"],
    );
}

#[test]
fn model_negative_temperature_is_refused() {
    names(
        model_error("hostile-temperature-negative.json"),
        &["solver.temperature", "-1 is not a positive number"],
    );
}

#[test]
fn model_standard_errors_shorter_than_weights_are_refused() {
    names(
        model_error("hostile-standard-errors-short.json"),
        &["standard_errors has 1 entries for 2 weights"],
    );
}

#[test]
fn model_negative_goal_radius_is_refused() {
    names(
        model_error("hostile-goal-radius-negative.json"),
        &["clustered.radius"],
    );
}

#[test]
fn model_goal_outside_the_mdp_is_refused() {
    let model = FittedModel::read(bytes("model/hostile-goal-state-1e9.json").as_slice()).unwrap();
    let error = model.check_mdp(&fixture()).unwrap_err().to_string();
    names(error, &["goals[0] holds state 1000000000"]);
}

#[test]
fn model_rewards_1e308_make_its_policy_fail_with_an_error() {
    for name in [
        "hostile-rewards-1e308.json",
        "hostile-rewards-1e308-discount-1.json",
    ] {
        let model = FittedModel::read(bytes(&format!("model/{name}")).as_slice()).unwrap();
        let error = model.policy(&fixture()).unwrap_err().to_string();
        names(error, &["overflowed"]);
    }
}

#[test]
fn demos_of_huge_indices_are_refused_at_their_line() {
    let error = read_demos_csv(
        bytes("demos-csv/hostile-huge-indices.csv").as_slice(),
        &fixture(),
    )
    .unwrap_err()
    .to_string();
    names(error, &["line 2", "state"]);
    let error = read_demos_jsonl(
        bytes("demos-jsonl/hostile-huge-indices.jsonl").as_slice(),
        &fixture(),
    )
    .unwrap_err()
    .to_string();
    names(error, &["line 1", "states[0]"]);
}

#[test]
fn demos_arriving_with_zero_probability_are_refused_at_the_arrival() {
    let error = read_demos_csv(
        bytes("demos-csv/hostile-zero-probability.csv").as_slice(),
        &fixture(),
    )
    .unwrap_err()
    .to_string();
    names(error, &["line 3"]);
}

#[test]
fn tracks_at_1e4_m_are_refused_by_the_grid_they_would_need() {
    let tracks = read_tracks_file(&corpus("tracks/hostile-x-1e4.csv")).unwrap();
    let extent = Extent::of(&tracks).unwrap();
    let error = Scene::covering_extent(&extent, 0.5)
        .and_then(|scene| {
            let moves = GridMoves::new(Connectivity::Eight, false);
            let memory = GridMemory::of(&scene, &moves, &GridFeatureParams::default())?;
            check_grid_memory(&scene, &extent, &memory, MemoryLimit::Bytes(256 << 20))
        })
        .unwrap_err()
        .to_string();
    names(
        error,
        &["20000 × 20000 cells", "x = 10000 at track 1, frame 10"],
    );
}

#[test]
fn tracks_of_non_finite_positions_are_refused_at_their_line() {
    let error = read_tracks_file(&corpus("tracks/hostile-extremes.csv"))
        .unwrap_err()
        .to_string();
    names(error, &["hostile-extremes.csv, line 4"]);
}
