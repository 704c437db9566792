//! Reading and writing demonstrations: every rejection names its line (and column or
//! field), accepted variants of the format, and round trips through both formats.

use crate::common;

use common::{chain_features, chain_mdp};
use irl::demos::{
    read_demos, read_demos_csv, read_demos_jsonl, write_demos, write_demos_csv, write_demos_jsonl,
    Demonstrations, Trajectory,
};
use irl::{Error, Mdp};

fn mdp() -> Mdp {
    chain_mdp(chain_features())
}

fn csv(text: &str) -> irl::Result<Demonstrations> {
    read_demos_csv(text.as_bytes(), &mdp())
}

fn jsonl(text: &str) -> irl::Result<Demonstrations> {
    read_demos_jsonl(text.as_bytes(), &mdp())
}

/// The place and message of an `InvalidDemos` error.
fn rejection(result: irl::Result<Demonstrations>) -> (String, String) {
    match result {
        Err(Error::InvalidDemos { place, message }) => (place, message),
        other => panic!("expected InvalidDemos, got {other:?}"),
    }
}

/// Assert the error's place and that its message contains each fragment.
fn assert_rejected(result: irl::Result<Demonstrations>, place: &str, fragments: &[&str]) {
    let (got_place, message) = rejection(result);
    assert_eq!(got_place, place, "message: {message}");
    for fragment in fragments {
        assert!(message.contains(fragment), "{message:?} lacks {fragment:?}");
    }
}

fn trajectory(id: &str, states: &[usize], actions: &[usize]) -> Trajectory {
    Trajectory {
        id: id.into(),
        states: states.to_vec(),
        actions: actions.to_vec(),
    }
}

const HEADER: &str = "trajectory,step,state,action\n";

#[test]
fn csv_reads_trajectories_in_file_order() {
    let demos = csv(&format!(
        "{HEADER}a,0,0,0\na,1,1,0\na,2,2,\nb,0,0,2\nb,1,3,\n"
    ))
    .unwrap();
    assert_eq!(
        demos.trajectories,
        vec![
            trajectory("a", &[0, 1, 2], &[0, 0]),
            trajectory("b", &[0, 3], &[2])
        ]
    );
}

#[test]
fn csv_accepts_reordered_and_extra_columns_names_floats_and_short_rows() {
    let text = "x,action,state,note,step,trajectory\n\
                9.5,right,0,hi,0,t1\n\
                0,1.0,1,,1,t1\n\
                0,,1,bye,2,t1\n\
                \n\
                1, 0 ,2,,0 , 7\n";
    let demos = csv(&format!("{text}0,,3,,1,7")).unwrap();
    assert_eq!(
        demos.trajectories,
        vec![
            trajectory("t1", &[0, 1, 1], &[0, 1]),
            trajectory("7", &[2, 3], &[0])
        ]
    );
    // A final row may stop before its empty action when action is the last column.
    let short = csv(&format!("{HEADER}a,0,0,0\na,1,1")).unwrap();
    assert_eq!(short.trajectories, vec![trajectory("a", &[0, 1], &[0])]);
}

#[test]
fn csv_empty_file_header_only_and_missing_or_doubled_columns() {
    assert_rejected(
        csv(""),
        "line 1",
        &["empty", "trajectory,step,state,action"],
    );
    assert_rejected(csv(HEADER), "line 1", &["no rows"]);
    assert_rejected(
        csv("trajectory,step,state\na,0,0\n"),
        "line 1",
        &["no column action", "found trajectory, step, state"],
    );
    assert_rejected(
        csv("trajectory,state,step,state,action\n"),
        "line 1",
        &["column state twice", "fields 2 and 4"],
    );
}

#[test]
fn csv_bad_numbers_name_line_column_and_value() {
    assert_rejected(
        csv(&format!("{HEADER}a,0,0,0\na,one,1,\n")),
        "line 3, column step",
        &["\"one\" is not a number"],
    );
    assert_rejected(
        csv(&format!("{HEADER}a,0,-1,0\n")),
        "line 2, column state",
        &["-1 is negative", "state index in 0..4"],
    );
    assert_rejected(
        csv(&format!("{HEADER}a,0,0,0.5\n")),
        "line 2, column action",
        &["0.5 is not a whole number"],
    );
    assert_rejected(
        csv(&format!("{HEADER}a,0,,0\n")),
        "line 2, column state",
        &["empty"],
    );
    assert_rejected(
        csv(&format!("{HEADER},0,0,0\n")),
        "line 2, column trajectory",
        &["id is empty"],
    );
}

#[test]
fn csv_unknown_states_and_actions() {
    assert_rejected(
        csv(&format!("{HEADER}a,0,0,0\na,1,4,\n")),
        "line 3, column state",
        &["state 4 is out of range 0..4"],
    );
    assert_rejected(
        csv(&format!("{HEADER}a,0,0,3\n")),
        "line 2, column action",
        &["action 3 is out of range", "0..3"],
    );
    assert_rejected(
        csv(&format!("{HEADER}a,0,0,fly\n")),
        "line 2, column action",
        &["\"fly\"", "right, stay, jump"],
    );
}

#[test]
fn csv_unavailable_action_terminal_action_and_impossible_arrival() {
    assert_rejected(
        csv(&format!("{HEADER}a,0,0,0\na,1,1,2\na,2,2,\n")),
        "line 3, column action",
        &["action 2 (jump) is unavailable in state 1"],
    );
    // 0 --jump--> 3 is possible, but 3 is terminal: no action may follow.
    assert_rejected(
        csv(&format!("{HEADER}a,0,0,2\na,1,3,1\na,2,3,\n")),
        "line 3, column action",
        &["state 3, which is terminal"],
    );
    // 0 --right--> 2 has zero probability: the arriving row is named.
    assert_rejected(
        csv(&format!("{HEADER}a,0,0,1\na,1,0,0\na,2,2,\n")),
        "line 4, column state",
        &[
            "arriving in state 2 from state 0 under action 0 (right)",
            "zero probability",
        ],
    );
}

#[test]
fn csv_step_order_and_consecutive_rows() {
    assert_rejected(
        csv(&format!("{HEADER}a,0,0,0\na,1,1,0\na,3,2,\n")),
        "line 4, column step",
        &["step 3 follows step 1 of trajectory a"],
    );
    assert_rejected(
        csv(&format!("{HEADER}a,0,0,0\na,0,1,\n")),
        "line 3, column step",
        &["step 0 follows step 0"],
    );
    assert_rejected(
        csv(&format!("{HEADER}a,1,0,0\na,2,1,\n")),
        "line 2, column step",
        &["starts at step 1"],
    );
    assert_rejected(
        csv(&format!(
            "{HEADER}a,0,0,0\na,1,1,\nb,0,1,0\nb,1,2,\na,2,2,0\na,3,3,\n"
        )),
        "line 6, column trajectory",
        &["trajectory a already ended on line 3", "consecutive"],
    );
}

#[test]
fn csv_empty_actions_only_on_final_rows_and_single_rows_without_action_rejected() {
    assert_rejected(
        csv(&format!("{HEADER}a,0,0,\na,1,0,0\na,2,1,\n")),
        "line 2, column action",
        &["continues on line 3"],
    );
    assert_rejected(
        csv(&format!(
            "{HEADER}a,0,0,0\na,1,1,\nb,0,2,\nc,0,0,0\nc,1,1,\n"
        )),
        "line 4",
        &["trajectory b has no action"],
    );
}

#[test]
fn csv_line_numbers_count_blank_lines_and_invalid_utf8_is_named() {
    assert_rejected(
        csv(&format!("{HEADER}\na,0,0,0\n\n\na,1,9,\n")),
        "line 6, column state",
        &["state 9"],
    );
    assert_rejected(
        csv("\r\n  \r\ntrajectory,step,state,action\r\na,0,0,0\r\n\r\na,1,9,\r\n"),
        "line 6, column state",
        &["state 9"],
    );
    assert_rejected(
        csv("\n\ntrajectory,step,state,action\n"),
        "line 3",
        &["no rows"],
    );
    // A quoted id spanning two lines: each row is named by the line it starts on.
    let multi_line = format!("{HEADER}\"x\ny\",0,0,0\n\"x\ny\",1,1,\nb,0,0,0\nb,1,7,\n");
    assert_rejected(csv(&multi_line), "line 7, column state", &["state 7"]);
    let fixed = csv(&multi_line.replace(",7,", ",1,")).unwrap();
    assert_eq!(fixed.trajectories[0], trajectory("x\ny", &[0, 1], &[0]));
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"a,0,0,0\na,1,\xff,\n");
    assert_rejected(
        read_demos_csv(bytes.as_slice(), &mdp()),
        "line 3",
        &["UTF-8"],
    );
}

#[test]
fn jsonl_reads_string_and_integer_ids_names_and_skips_blank_lines() {
    let text = "{\"trajectory\": \"a\", \"states\": [0, 1, 2], \"actions\": [0, \"right\"], \"note\": 1}\n\
                \n\
                {\"trajectory\": 7, \"states\": [0, 3], \"actions\": [2.0]}\r\n";
    assert_eq!(
        jsonl(text).unwrap().trajectories,
        vec![
            trajectory("a", &[0, 1, 2], &[0, 0]),
            trajectory("7", &[0, 3], &[2])
        ]
    );
}

#[test]
fn jsonl_rejections_name_line_and_field() {
    let good = "{\"trajectory\": \"a\", \"states\": [0, 1], \"actions\": [0]}\n";
    let after_good = |line: &str| jsonl(&format!("{good}\n{line}\n"));
    assert_rejected(jsonl(""), "line 1", &["no trajectory"]);
    assert_rejected(jsonl("\n\n"), "line 1", &["no trajectory"]);
    assert_rejected(
        after_good("{\"trajectory\": 1,"),
        "line 3",
        &["not valid JSON"],
    );
    assert_rejected(after_good("[0, 1]"), "line 3", &["expected a JSON object"]);
    assert_rejected(
        after_good("{\"trajectory\": 1, \"actions\": [0]}"),
        "line 3",
        &["missing field `states`"],
    );
    assert_rejected(
        after_good("{\"trajectory\": 1.5, \"states\": [0, 1], \"actions\": [0]}"),
        "line 3, trajectory",
        &["1.5 is not a trajectory id"],
    );
    assert_rejected(
        after_good("{\"trajectory\": 1, \"states\": 0, \"actions\": [0]}"),
        "line 3, states",
        &["not an array"],
    );
    assert_rejected(
        after_good("{\"trajectory\": 1, \"states\": [0, \"one\"], \"actions\": [0]}"),
        "line 3, states[1]",
        &["\"one\" is not a number"],
    );
    assert_rejected(
        after_good("{\"trajectory\": 1, \"states\": [0, -1], \"actions\": [0]}"),
        "line 3, states[1]",
        &["-1 is negative"],
    );
    assert_rejected(
        after_good("{\"trajectory\": 1, \"states\": [0, 1], \"actions\": [0.5]}"),
        "line 3, actions[0]",
        &["0.5 is not a whole number"],
    );
    assert_rejected(
        after_good("{\"trajectory\": 1, \"states\": [0, 5], \"actions\": [0]}"),
        "line 3, states[1]",
        &["state 5 is out of range"],
    );
    assert_rejected(
        after_good("{\"trajectory\": 1, \"states\": [0, 1], \"actions\": [\"fly\"]}"),
        "line 3, actions[0]",
        &["\"fly\""],
    );
}

#[test]
fn jsonl_rejects_inconsistent_trajectories() {
    let line = |states: &str, actions: &str| {
        jsonl(&format!(
            "{{\"trajectory\": \"a\", \"states\": [0, 1], \"actions\": [0]}}\n\
             {{\"trajectory\": \"b\", \"states\": {states}, \"actions\": {actions}}}\n"
        ))
    };
    assert_rejected(
        line("[0, 1, 1]", "[0, 2]"),
        "line 2, actions[1]",
        &["action 2 (jump) is unavailable in state 1"],
    );
    assert_rejected(
        line("[0, 3, 3]", "[2, 1]"),
        "line 2, actions[1]",
        &["state 3, which is terminal"],
    );
    assert_rejected(
        line("[0, 0, 2]", "[1, 0]"),
        "line 2, states[2]",
        &["arriving in state 2 from state 0", "zero probability"],
    );
    assert_rejected(
        line("[0, 1, 2]", "[0]"),
        "line 2, states",
        &["3 states for 1 actions"],
    );
    assert_rejected(
        line("[0]", "[]"),
        "line 2, actions",
        &["trajectory b has no action"],
    );
    assert_rejected(
        jsonl(
            "{\"trajectory\": 4, \"states\": [0, 1], \"actions\": [0]}\n\
             {\"trajectory\": \"4\", \"states\": [1, 2], \"actions\": [0]}\n",
        ),
        "line 2, trajectory",
        &["trajectory 4 already appeared on line 1"],
    );
}

fn sample_demos() -> Demonstrations {
    Demonstrations::new(vec![
        trajectory("walk, with comma", &[0, 1, 2, 3], &[0, 0, 0]),
        trajectory("7", &[0, 0, 3], &[1, 2]),
        trajectory("\"quoted\"", &[1, 1], &[1]),
    ])
}

#[test]
fn csv_and_jsonl_round_trip() {
    let demos = sample_demos();
    let mut text = Vec::new();
    write_demos_csv(&demos, &mut text).unwrap();
    let written = String::from_utf8(text.clone()).unwrap();
    assert!(written.starts_with("trajectory,step,state,action\n\"walk, with comma\",0,0,0\n"));
    assert!(written.contains("\n7,2,3,\n"), "{written}");
    assert_eq!(read_demos_csv(text.as_slice(), &mdp()).unwrap(), demos);

    let mut lines = Vec::new();
    write_demos_jsonl(&demos, &mut lines).unwrap();
    let written = String::from_utf8(lines.clone()).unwrap();
    assert_eq!(written.lines().count(), 3);
    assert!(written.contains("\"actions\":[1,2]"), "{written}");
    assert_eq!(read_demos_jsonl(lines.as_slice(), &mdp()).unwrap(), demos);
}

#[test]
fn writer_rejects_a_trajectory_with_too_few_or_too_many_states() {
    let bad = Demonstrations::new(vec![trajectory("x", &[0, 1, 1, 1], &[0, 0])]);
    match write_demos_csv(&bad, Vec::new()) {
        Err(Error::InvalidDemos { place, message }) => {
            assert_eq!(place, "trajectory x");
            assert!(message.contains("4 states and 2 actions"), "{message}");
        }
        other => panic!("expected InvalidDemos, got {other:?}"),
    }
}

#[test]
fn files_dispatch_on_extension_and_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let demos = sample_demos();
    for name in ["d.csv", "d.jsonl", "d.NDJSON", "d.txt"] {
        let path = dir.path().join(name);
        write_demos(&path, &demos).unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            first.starts_with('{'),
            !name.ends_with("csv") && !name.ends_with("txt"),
            "{name}"
        );
        assert_eq!(read_demos(&path, &mdp()).unwrap(), demos, "{name}");
    }
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, format!("{HEADER}a,0,0,0\na,1,7,\n")).unwrap();
    let message = read_demos(&path, &mdp()).unwrap_err().to_string();
    assert!(
        message.starts_with(&path.display().to_string()),
        "{message}"
    );
    assert!(message.contains("line 3, column state"), "{message}");
    let missing = dir.path().join("missing.csv");
    match read_demos(&missing, &mdp()) {
        Err(Error::Io { path, .. }) => assert_eq!(path, missing),
        other => panic!("expected Io, got {other:?}"),
    }
}
