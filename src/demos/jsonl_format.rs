//! Demonstrations as JSON Lines: one trajectory per line,
//!
//! ```text
//! {"trajectory": "walk-1", "states": [12, 13, 18], "actions": [0, 2]}
//! ```
//!
//! with states s_0..s_L and actions a_0..a_{L−1} (so one state more than actions, and
//! L ≥ 1), or states s_0..s_{L−1}, as many as actions, when the last action has no
//! observed successor. The id is a non-empty string or an integer; actions are indices, or names when
//! the MDP names its actions. Other fields are ignored, blank lines are skipped, and each
//! id appears once. Lines count from 1.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};

use serde_json::{json, Map, Value};

use super::checks::{action_available, action_index, state_index, transition_possible};
use super::{Demonstrations, Trajectory};
use crate::error::{quote, Error, Result};
use crate::json::parser_message;
use crate::mdp::Mdp;

/// Read demonstrations from JSON Lines and validate them against `mdp` while reading.
///
/// Errors name the line and the field (`line 4, states[2]`): an empty file, a line that
/// is not a JSON object, a missing field, an index that is not a whole number ≥ 0 or out
/// of range, an action unavailable in its state or taken in a terminal state, an arrival
/// of zero probability (named at the arriving state), a state count that is neither the
/// action count plus one nor the action count, a trajectory without actions, and an id
/// seen before.
pub fn read_demos_jsonl(reader: impl Read, mdp: &Mdp) -> Result<Demonstrations> {
    let mut reader = BufReader::new(reader);
    let mut bytes = Vec::new();
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    let mut trajectories = Vec::new();
    let mut line = 0;
    loop {
        bytes.clear();
        let n = reader
            .read_until(b'\n', &mut bytes)
            .map_err(|source| Error::Io {
                path: "<input>".into(),
                source,
            })?;
        if n == 0 {
            break;
        }
        line += 1;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Error::demos(format!("line {line}"), "the text is not valid UTF-8"))?;
        if text.trim().is_empty() {
            continue;
        }
        let trajectory = parse_line(text, line, mdp)?;
        if let Some(first) = first_seen.insert(trajectory.id.clone(), line) {
            return Err(Error::demos(
                format!("line {line}, trajectory"),
                format!(
                    "trajectory {} already appeared on line {first}; each trajectory is one line",
                    quote(&trajectory.id)
                ),
            ));
        }
        trajectories.push(trajectory);
    }
    if trajectories.is_empty() {
        return Err(Error::demos(
            "line 1",
            "the file has no trajectory; expected one JSON object per line",
        ));
    }
    Ok(Demonstrations::new(trajectories))
}

/// Write demonstrations as JSON Lines, ids as strings.
pub fn write_demos_jsonl(demos: &Demonstrations, mut writer: impl Write) -> Result<()> {
    for trajectory in &demos.trajectories {
        let object = json!({
            "trajectory": trajectory.id,
            "states": trajectory.states,
            "actions": trajectory.actions,
        });
        crate::json::to_writer(&mut writer, &object)?;
    }
    Ok(())
}

fn parse_line(text: &str, line: usize, mdp: &Mdp) -> Result<Trajectory> {
    let at = |field: &str| format!("line {line}, {field}");
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Error::demos(
            format!("line {line}"),
            format!("not valid JSON: {}", parser_message(&e)),
        )
    })?;
    let Value::Object(object) = value else {
        return Err(Error::demos(
            format!("line {line}"),
            "expected a JSON object {\"trajectory\": .., \"states\": [..], \"actions\": [..]}",
        ));
    };
    let id = match field(&object, "trajectory", line)? {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        other => {
            return Err(Error::demos(
                at("trajectory"),
                format!(
                    "{} is not a trajectory id; expected a non-empty string or an integer",
                    quote(&other.to_string())
                ),
            ))
        }
    };
    let states = array(&object, "states", line)?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            match v {
                Value::Number(n) => state_index(&n.to_string(), mdp),
                other => Err(format!(
                    "{} is not a number; expected a state index in 0..{}",
                    quote(&other.to_string()),
                    mdp.n_states()
                )),
            }
            .map_err(|m| Error::demos(at(&format!("states[{i}]")), m))
        })
        .collect::<Result<Vec<_>>>()?;
    let actions = array(&object, "actions", line)?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            match v {
                Value::Number(n) => action_index(&n.to_string(), mdp),
                Value::String(s) => action_index(s, mdp),
                other => Err(format!(
                    "{} is not an action index or name",
                    quote(&other.to_string())
                )),
            }
            .map_err(|m| Error::demos(at(&format!("actions[{i}]")), m))
        })
        .collect::<Result<Vec<_>>>()?;
    if actions.is_empty() {
        return Err(Error::demos(
            at("actions"),
            format!(
                "trajectory {} has no action; a trajectory needs at least one",
                quote(&id)
            ),
        ));
    }
    if states.len() != actions.len() + 1 && states.len() != actions.len() {
        return Err(Error::demos(
            at("states"),
            format!(
                "{} states for {} actions; a trajectory lists one state more than actions, or as many when its last action has no successor",
                states.len(),
                actions.len()
            ),
        ));
    }
    for (t, &a) in actions.iter().enumerate() {
        action_available(mdp, states[t], a)
            .map_err(|m| Error::demos(at(&format!("actions[{t}]")), m))?;
        if let Some(&next) = states.get(t + 1) {
            transition_possible(mdp, states[t], a, next)
                .map_err(|m| Error::demos(at(&format!("states[{}]", t + 1)), m))?;
        }
    }
    Ok(Trajectory {
        id,
        states,
        actions,
    })
}

fn field<'a>(object: &'a Map<String, Value>, name: &str, line: usize) -> Result<&'a Value> {
    object
        .get(name)
        .ok_or_else(|| Error::demos(format!("line {line}"), format!("missing field `{name}`")))
}

fn array<'a>(object: &'a Map<String, Value>, name: &str, line: usize) -> Result<&'a [Value]> {
    match field(object, name, line)? {
        Value::Array(items) => Ok(items),
        other => Err(Error::demos(
            format!("line {line}, {name}"),
            format!("{} is not an array", quote(&other.to_string())),
        )),
    }
}
