//! Error messages that repeat input stay short: input files holding a 100 000-character
//! field, name or JSON value are refused through the binary with a message under 1 KiB
//! that still names the file and the place (line, column or field), shows the start of
//! the piece with a marker of how much was left out, exits non-zero and writes nothing.
//!
//! The pieces: a demonstration CSV's trajectory id, state field and header; a JSON Lines
//! state and trajectory id (a long array); an MDP's action names, quoted where a demonstration
//! names an unknown action, and a feature name, quoted where weights name another; an MDP
//! document whose `format` is a long string and one with a long string where a number
//! belongs (serde_json's own message); a recorded track's coordinate.

use crate::common;

use std::fs;
use std::path::Path;

use common::{chain_features, chain_mdp, irl, path};
use irl::mdp::{write_mdp, FeatureTable, Features, Mdp, MdpParts, Transitions};
use ndarray::array;

/// The length of every long piece of input.
const LONG: usize = 100_000;
/// The most bytes a message may have.
const MAX_MESSAGE: usize = 1024;

fn long(c: char) -> String {
    std::iter::repeat_n(c, LONG).collect()
}

/// Run `irl args…`, expect a refusal whose stderr is short, names `file` and holds every
/// fragment, and that `out` was not written.
fn assert_short_refusal(args: &[&str], file: &Path, out: &Path, fragments: &[&str]) {
    let output = irl(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "accepted: {args:?}");
    assert!(
        stderr.len() < MAX_MESSAGE,
        "{} bytes: {}…",
        stderr.len(),
        &stderr[..stderr.floor_char_boundary(2000)]
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(path(file)), "no file name in {stderr}");
    for fragment in fragments {
        assert!(
            stderr.contains(fragment),
            "{fragment:?} missing from {stderr}"
        );
    }
    assert!(output.stdout.is_empty());
    assert!(!out.exists(), "{} was written", out.display());
}

/// A two-state MDP with one feature named `feature` and two actions named `actions`.
fn named_mdp(feature: &str, actions: [String; 2]) -> Mdp {
    Mdp::new(MdpParts {
        transitions: Transitions::from_arrays(2, 2, &[0, 0], &[0, 1], &[1, 0], &[1.0, 1.0])
            .unwrap(),
        initial: Some(vec![1.0, 0.0]),
        terminal: vec![1],
        features: Features::new(
            vec![feature.into()],
            FeatureTable::State(array![[1.0], [0.0]]),
        )
        .unwrap(),
        action_names: Some(actions.to_vec()),
        grid: None,
    })
    .unwrap()
}

fn write_mdp_file(mdp: &Mdp, file: &Path) {
    write_mdp(mdp, fs::File::create(file).unwrap()).unwrap();
}

fn fit_args<'a>(mdp: &'a Path, demos: &'a Path, out: &'a Path) -> Vec<&'a str> {
    vec![
        "fit",
        "--mdp",
        path(mdp),
        "--demos",
        path(demos),
        "--horizon",
        "3",
        "--quiet",
        "--out",
        path(out),
    ]
}

#[test]
fn demonstration_files_with_a_long_piece_give_short_messages() {
    let dir = tempfile::tempdir().unwrap();
    let mdp = dir.path().join("chain.json");
    write_mdp_file(&chain_mdp(chain_features()), &mdp);
    let out = dir.path().join("model.json");
    let more = format!("… ({} more characters)", LONG - 200);
    let cases = [
        (
            "id.csv",
            format!("trajectory,step,state,action\n{},1,0,0\n", long('i')),
            vec!["line 2, column step", "starts at step 1"],
        ),
        (
            "state.csv",
            format!("trajectory,step,state,action\na,0,{},0\n", long('s')),
            vec!["line 2, column state", "is not a number"],
        ),
        (
            "header.csv",
            format!("trajectory,step,{},action\na,0,0,0\n", long('h')),
            vec!["line 1", "no column state"],
        ),
        (
            "state.jsonl",
            format!(
                "{{\"trajectory\": \"a\", \"states\": [\"{}\"], \"actions\": [0]}}\n",
                long('j')
            ),
            vec!["line 1, states[0]", "is not a number"],
        ),
        (
            "id.jsonl",
            format!(
                "{{\"trajectory\": \"a\", \"states\": [0, 1], \"actions\": [0]}}\n{{\"trajectory\": [{}1]}}\n",
                "1,".repeat(LONG / 2)
            ),
            vec!["line 2, trajectory", "is not a trajectory id"],
        ),
    ];
    for (name, contents, mut fragments) in cases {
        let demos = dir.path().join(name);
        fs::write(&demos, contents).unwrap();
        // A CSV field is cut with its own count; a header, or a JSON value with its
        // quotation marks or brackets, as it is quoted.
        if matches!(name, "id.csv" | "state.csv") {
            fragments.push(&more);
        }
        fragments.push("more characters)");
        assert_short_refusal(&fit_args(&mdp, &demos, &out), &demos, &out, &fragments);
    }
}

#[test]
fn long_names_in_an_mdp_give_short_messages() {
    let dir = tempfile::tempdir().unwrap();
    let name = long('n');
    let mdp = dir.path().join("named.json");
    write_mdp_file(&named_mdp(&name, [name.clone(), format!("{name}2")]), &mdp);
    let out = dir.path().join("out.json");

    let demos = dir.path().join("demos.csv");
    fs::write(&demos, "trajectory,step,state,action\na,0,0,jump\na,1,1,\n").unwrap();
    assert_short_refusal(
        &fit_args(&mdp, &demos, &out),
        &demos,
        &out,
        &[
            "line 2, column action",
            "\"jump\" is not a number",
            "more characters)",
        ],
    );

    let weights = dir.path().join("weights.json");
    fs::write(
        &weights,
        "{\"format\": \"irl-weights/1\", \"feature_names\": [\"here\"], \"weights\": [1.0]}",
    )
    .unwrap();
    assert_short_refusal(
        &[
            "solve",
            "--mdp",
            path(&mdp),
            "--weights",
            path(&weights),
            "--horizon",
            "2",
            "--out",
            path(&out),
        ],
        &weights,
        &out,
        &["feature_names[0] is \"here\"", "more characters)"],
    );
}

#[test]
fn long_values_in_json_documents_and_tracks_give_short_messages() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let demos = dir.path().join("demos.csv");
    fs::write(&demos, "trajectory,step,state,action\na,0,0,0\na,1,1,\n").unwrap();
    let mut valid = Vec::new();
    write_mdp(&chain_mdp(chain_features()), &mut valid).unwrap();
    let valid = String::from_utf8(valid).unwrap();
    let format = dir.path().join("format.json");
    fs::write(&format, valid.replacen("irl-mdp/1", &long('f'), 1)).unwrap();
    let wrong_type = dir.path().join("wrong_type.json");
    fs::write(
        &wrong_type,
        format!(
            "{{\"format\": \"irl-mdp/1\",\n\"n_states\": \"{}\"}}",
            long('t')
        ),
    )
    .unwrap();
    for (mdp, fragments) in [
        (&format, vec!["format", "more characters)"]),
        (
            &wrong_type,
            vec!["invalid type", "at line 2 column", "more characters)"],
        ),
    ] {
        assert_short_refusal(&fit_args(mdp, &demos, &out), mdp, &out, &fragments);
    }

    let tracks = dir.path().join("tracks.csv");
    fs::write(
        &tracks,
        format!("track,frame,x,y\n1,0,{},0\n1,10,1,0\n", long('x')),
    )
    .unwrap();
    let folder = dir.path().join("discretized");
    let output = irl(&[
        "discretize",
        "--tracks",
        path(&tracks),
        "--cell",
        "1",
        "--out",
        path(&folder),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.len() < MAX_MESSAGE, "{} bytes", stderr.len());
    for fragment in [path(&tracks), "line 2", "x = `", "more characters)"] {
        assert!(
            stderr.contains(fragment),
            "{fragment:?} missing from {stderr}"
        );
    }
    assert!(!folder.exists());
}
