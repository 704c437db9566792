//! Demonstrations as CSV (docs/FORMATS.md, "Demonstrations: CSV").
//!
//! ```text
//! trajectory,step,state,action
//! walk-1,0,12,3
//! walk-1,1,13,
//! ```
//!
//! The header names the columns `trajectory`, `step`, `state` and `action` in any order;
//! other columns are ignored. Each row is one visited state: the trajectory id (any
//! non-empty text), the step t = 0, 1, …, L, the state s_t, and the action a_t, which is
//! empty on the trajectory's final row (t = L). A final row with an action is a last
//! decision without an observed successor (the trajectory then lists L states). Actions
//! are indices, or names when the MDP names its actions. The rows of a trajectory are
//! consecutive, and a trajectory has at least one action. Fields are trimmed, a short row counts its missing trailing fields as
//! empty, and blank rows (no field with text) are skipped. Lines count from 1, blank ones
//! included; the header is the first line that is not blank.

use std::io::{Read, Write};

use csv::{ReaderBuilder, StringRecord, Trim, WriterBuilder};

use super::assemble::{Assembler, Row};
use super::checks::{action_index, state_index, whole_number};
use super::Demonstrations;
use crate::error::{quote, quote_parser_message, Error, Result};
use crate::mdp::Mdp;

/// The column names of the demonstration table.
pub const DEMO_COLUMNS: [&str; 4] = ["trajectory", "step", "state", "action"];

/// Positions of the required columns within a row.
struct Columns {
    trajectory: usize,
    step: usize,
    state: usize,
    action: usize,
}

/// Read demonstrations from CSV and validate them against `mdp` while reading.
///
/// The input is read whole, so that line numbers stay exact across skipped blank lines.
/// Every error names its line and, when one field is at fault, its
/// column: an empty file, a missing column, a field that is not a whole number ≥ 0, a state
/// or action out of range, an action unavailable in its state or taken in a terminal
/// state, an arrival of zero probability (named at the arriving row), a step that does not
/// follow its predecessor, rows of a trajectory that are not consecutive, a non-final row
/// without an action, and a trajectory of a single row without an action. A final row
/// with an action ends a trajectory whose last action has no observed successor.
pub fn read_demos_csv(mut reader: impl Read, mdp: &Mdp) -> Result<Demonstrations> {
    let mut text = Vec::new();
    reader.read_to_end(&mut text).map_err(|source| Error::Io {
        path: "<input>".into(),
        source,
    })?;
    let mut lines = LineNumbers::new(&text);
    let mut csv = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(Trim::All)
        .from_reader(text.as_slice());
    let mut record = StringRecord::new();
    let mut next_row = |record: &mut StringRecord| -> Result<Option<u64>> {
        loop {
            let more = csv
                .read_record(record)
                .map_err(|e| read_error(e, &mut lines))?;
            if !more {
                return Ok(None);
            }
            if record.iter().any(|field| !field.is_empty()) {
                return Ok(Some(lines.line_of(record.position())));
            }
        }
    };
    let Some(header_line) = next_row(&mut record)? else {
        return Err(Error::demos(
            "line 1",
            format!(
                "the file is empty; expected the header {}",
                DEMO_COLUMNS.join(",")
            ),
        ));
    };
    let columns = find_columns(&record, header_line)?;
    let mut assembler = Assembler::new(mdp);
    while let Some(line) = next_row(&mut record)? {
        let field = |column: usize| record.get(column).unwrap_or("");
        let place = |column: &str| format!("line {line}, column {column}");
        let id = field(columns.trajectory);
        if id.is_empty() {
            return Err(Error::demos(
                place("trajectory"),
                "the trajectory id is empty",
            ));
        }
        let step = whole_number(field(columns.step)).map_err(|m| Error::demos(place("step"), m))?;
        let state =
            state_index(field(columns.state), mdp).map_err(|m| Error::demos(place("state"), m))?;
        let action = match field(columns.action) {
            "" => None,
            text => Some(action_index(text, mdp).map_err(|m| Error::demos(place("action"), m))?),
        };
        assembler.push(Row {
            line,
            id,
            step,
            state,
            action,
        })?;
    }
    let demos = assembler.finish()?;
    if demos.is_empty() {
        return Err(Error::demos(
            format!("line {header_line}"),
            "the file has a header but no rows; expected one row per visited state",
        ));
    }
    Ok(demos)
}

/// Write demonstrations as CSV: the header `trajectory,step,state,action`, then one row per
/// visited state, the final row of each trajectory with an empty action, or with its
/// action when the last action has no observed successor.
///
/// A trajectory whose state count is neither its action count plus one nor its action
/// count (at least one) is an error naming it.
pub fn write_demos_csv(demos: &Demonstrations, writer: impl Write) -> Result<()> {
    let mut csv = WriterBuilder::new().from_writer(writer);
    csv.write_record(DEMO_COLUMNS).map_err(write_error)?;
    for trajectory in &demos.trajectories {
        if !trajectory.is_well_formed() {
            return Err(Error::demos(
                format!("trajectory {}", quote(&trajectory.id)),
                format!(
                    "has {} states and {} actions; a trajectory has one state more than actions, or as many when its last action has no successor",
                    trajectory.states.len(),
                    trajectory.actions.len()
                ),
            ));
        }
        for (t, state) in trajectory.states.iter().enumerate() {
            let action = trajectory
                .actions
                .get(t)
                .map_or_else(String::new, usize::to_string);
            csv.write_record([
                trajectory.id.as_str(),
                &t.to_string(),
                &state.to_string(),
                &action,
            ])
            .map_err(write_error)?;
        }
    }
    csv.flush().map_err(output_error)
}

fn find_columns(header: &StringRecord, line: u64) -> Result<Columns> {
    let place = format!("line {line}");
    let find = |name: &str| -> Result<usize> {
        let mut found = header.iter().enumerate().filter(|(_, h)| *h == name);
        match (found.next(), found.next()) {
            (Some((i, _)), None) => Ok(i),
            (Some((i, _)), Some((j, _))) => Err(Error::demos(
                place.as_str(),
                format!(
                    "the header names column {name} twice (fields {} and {})",
                    i + 1,
                    j + 1
                ),
            )),
            (None, _) => Err(Error::demos(
                place.as_str(),
                format!(
                    "the header has no column {name}; expected the columns {} in any order, found {}",
                    DEMO_COLUMNS.join(", "),
                    quote(&header.iter().collect::<Vec<_>>().join(", "))
                ),
            )),
        }
    };
    Ok(Columns {
        trajectory: find("trajectory")?,
        step: find("step")?,
        state: find("state")?,
        action: find("action")?,
    })
}

fn read_error(e: csv::Error, lines: &mut LineNumbers) -> Error {
    let line = lines.line_of(e.position());
    match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::Io {
            path: "<input>".into(),
            source,
        },
        csv::ErrorKind::Utf8 { err, .. } => Error::demos(
            format!("line {line}"),
            format!("the text is not valid UTF-8 (field {})", err.field() + 1),
        ),
        other => Error::demos(
            format!("line {line}"),
            quote_parser_message(&format!("{other:?}")),
        ),
    }
}

fn write_error(e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(source) => output_error(source),
        other => output_error(std::io::Error::other(format!("{other:?}"))),
    }
}

fn output_error(source: std::io::Error) -> Error {
    Error::Io {
        path: "<output>".into(),
        source,
    }
}

/// Line numbers of records. The CSV parser skips blank lines without counting them in the
/// positions it reports, so the line of a record is found from its byte offset instead:
/// past the line breaks that precede it, one more than the newlines before it.
struct LineNumbers<'t> {
    text: &'t [u8],
    counted_to: usize,
    newlines: u64,
}

impl<'t> LineNumbers<'t> {
    fn new(text: &'t [u8]) -> Self {
        Self {
            text,
            counted_to: 0,
            newlines: 0,
        }
    }

    /// The line on which a record starts, given the position the parser reports for it
    /// (where its scan began). Positions must come in increasing order.
    fn line_of(&mut self, position: Option<&csv::Position>) -> u64 {
        let scan_start = position.map_or(self.counted_to, |p| p.byte() as usize);
        let start = scan_start
            + self.text[scan_start..]
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
        if start > self.counted_to {
            let skipped = &self.text[self.counted_to..start];
            self.newlines += skipped.iter().filter(|&&b| b == b'\n').count() as u64;
            self.counted_to = start;
        }
        self.newlines + 1
    }
}
