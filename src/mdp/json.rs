//! Reading and writing `irl-mdp/1` documents (see docs/FORMATS.md).
//!
//! Parsing goes through a loose raw form first so that every validation error can name
//! the field and index it concerns (`transitions.s[4]`, `features.values[3][1]`) instead
//! of a bare parser position.
//!
//! `transitions` is either the parallel arrays `{"s", "a", "s_next", "p"}` or a reference
//! `{"npz": "transitions.npz"}` to a SciPy CSR file (see [`super::npz`]) whose path is
//! relative to the folder of the JSON file, or absolute.

use std::io::{Read, Write};
use std::path::Path;

use ndarray::{Array2, Array3, ArrayView1, ArrayView2, ArrayView3};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::declared::Declared;
use super::{read_transitions_npz, FeatureTable, Features, Grid, Mdp, MdpParts, Transitions};
use crate::error::{quote, Error, Result};
use crate::inference::MemoryLimit;
use crate::json::{from_reader, index_array};

/// The format tag of MDP documents.
pub const MDP_FORMAT: &str = "irl-mdp/1";

#[derive(Deserialize)]
struct RawMdp {
    format: String,
    n_states: f64,
    n_actions: f64,
    #[serde(default)]
    action_names: Option<Vec<String>>,
    transitions: RawTransitions,
    #[serde(default)]
    initial: Option<Vec<f64>>,
    #[serde(default)]
    terminal: Option<Vec<f64>>,
    features: RawFeatures,
    #[serde(default)]
    grid: Option<Grid>,
}

#[derive(Deserialize)]
struct RawTransitions {
    #[serde(default)]
    s: Option<Vec<f64>>,
    #[serde(default)]
    a: Option<Vec<f64>>,
    #[serde(default)]
    s_next: Option<Vec<f64>>,
    #[serde(default)]
    p: Option<Vec<f64>>,
    #[serde(default)]
    npz: Option<String>,
}

#[derive(Deserialize)]
struct RawFeatures {
    kind: String,
    #[serde(default)]
    names: Option<Vec<String>>,
    #[serde(default)]
    values: Option<Value>,
}

/// Read and validate an `irl-mdp/1` document. A `.npz` reference must be an absolute
/// path here, as a stream has no folder; [`read_mdp_file`](super::read_mdp_file) resolves
/// relative ones. The sizes it declares are checked against what it lists and against
/// the available memory before anything of their size is allocated.
pub fn read_mdp(reader: impl Read) -> Result<Mdp> {
    read_mdp_in(reader, None, MemoryLimit::Available)
}

/// Read a document whose relative `.npz` reference lies in `folder`, within `limit`.
pub(super) fn read_mdp_in(
    reader: impl Read,
    folder: Option<&Path>,
    limit: MemoryLimit,
) -> Result<Mdp> {
    let raw: RawMdp = from_reader(reader, MDP_FORMAT)?;
    if raw.format != MDP_FORMAT {
        return Err(Error::mdp(
            "format",
            format!(
                "found \"{}\", expected \"{MDP_FORMAT}\"",
                quote(&raw.format)
            ),
        ));
    }
    let n_states = count("n_states", raw.n_states)?;
    let n_actions = count("n_actions", raw.n_actions)?;
    Declared {
        n_states,
        n_actions,
        states: raw.transitions.s.as_deref(),
        terminal: raw.terminal.as_deref().unwrap_or_default(),
        one_hot: raw.features.kind == "onehot",
    }
    .check(limit)?;
    let transitions = read_transitions(&raw.transitions, n_states, n_actions, folder)?;
    let terminal = match &raw.terminal {
        Some(list) => index_array("terminal", list, n_states, "state")?,
        None => Vec::new(),
    };
    let features = read_features(raw.features, n_states, n_actions)?;
    Mdp::new(MdpParts {
        transitions,
        initial: raw.initial,
        terminal,
        features,
        action_names: raw.action_names,
        grid: raw.grid,
    })
}

fn read_transitions(
    t: &RawTransitions,
    n_states: usize,
    n_actions: usize,
    folder: Option<&Path>,
) -> Result<Transitions> {
    let arrays = [&t.s, &t.a, &t.s_next, &t.p];
    let Some(npz) = &t.npz else {
        if arrays.iter().all(|a| a.is_none()) {
            return Err(Error::mdp(
                "transitions",
                "expected the arrays s, a, s_next, p or a reference {\"npz\": file}",
            ));
        }
        let s = index_array("transitions.s", field("s", &t.s)?, n_states, "state")?;
        let a = index_array("transitions.a", field("a", &t.a)?, n_actions, "action")?;
        let s_next = index_array(
            "transitions.s_next",
            field("s_next", &t.s_next)?,
            n_states,
            "state",
        )?;
        let p = field("p", &t.p)?;
        return Transitions::from_arrays(n_states, n_actions, &s, &a, &s_next, p);
    };
    if arrays.iter().any(|a| a.is_some()) {
        return Err(Error::mdp(
            "transitions",
            "holds both the arrays s, a, s_next, p and a reference to npz; give one of them",
        ));
    }
    let path = Path::new(npz);
    let path = match folder {
        Some(folder) => folder.join(path),
        None if path.is_absolute() => path.to_path_buf(),
        None => {
            return Err(Error::mdp(
                "transitions.npz",
                format!(
                    "\"{}\" is relative to the folder of the MDP file, which a stream does \
                     not have; read the document from its file",
                    quote(npz)
                ),
            ))
        }
    };
    read_transitions_npz(&path, n_states, n_actions)
        .map_err(|e| Error::mdp("transitions.npz", e.to_string()))
}

/// One of the parallel arrays, which must be there when the others are.
fn field<'a>(name: &str, values: &'a Option<Vec<f64>>) -> Result<&'a [f64]> {
    values.as_deref().ok_or_else(|| {
        Error::mdp(
            format!("transitions.{name}"),
            "missing field; transitions are the arrays s, a, s_next, p or {\"npz\": file}",
        )
    })
}

fn count(field: &str, value: f64) -> Result<usize> {
    if value.fract() != 0.0 || !(1.0..=u32::MAX as f64).contains(&value) {
        return Err(Error::mdp(
            field,
            format!("{value} is not a positive integer"),
        ));
    }
    Ok(value as usize)
}

fn read_features(raw: RawFeatures, n_states: usize, n_actions: usize) -> Result<Features> {
    let values = || {
        raw.values
            .as_ref()
            .ok_or_else(|| Error::mdp("features.values", "missing field"))
    };
    let table = match raw.kind.as_str() {
        "onehot" => return Ok(Features::one_hot(n_states)),
        "state" => {
            let rows = matrix("features.values", values()?, n_states)?;
            let k = rows.first().map_or(0, Vec::len);
            let flat: Vec<f64> = rows.into_iter().flatten().collect();
            FeatureTable::State(Array2::from_shape_vec((n_states, k), flat).expect("shape checked"))
        }
        "state_action" => {
            let per_state = list("features.values", values()?, n_states)?;
            let mut flat = Vec::new();
            let mut k = None;
            for (s, item) in per_state.iter().enumerate() {
                let rows = matrix(&format!("features.values[{s}]"), item, n_actions)?;
                for (a, row) in rows.into_iter().enumerate() {
                    if *k.get_or_insert(row.len()) != row.len() {
                        return Err(Error::mdp(
                            format!("features.values[{s}][{a}]"),
                            format!("has {} values, expected {}", row.len(), k.unwrap_or(0)),
                        ));
                    }
                    flat.extend(row);
                }
            }
            let k = k.unwrap_or(0);
            FeatureTable::StateAction(
                Array3::from_shape_vec((n_states, n_actions, k), flat).expect("shape checked"),
            )
        }
        other => {
            return Err(Error::mdp(
                "features.kind",
                format!(
                    "found \"{}\", expected \"state\", \"state_action\" or \"onehot\"",
                    quote(other)
                ),
            ))
        }
    };
    let names = match raw.names {
        Some(names) => names,
        None => (0..table.dim()).map(|k| format!("f{k}")).collect(),
    };
    Features::new(names, table)
}

fn list<'a>(place: &str, value: &'a Value, len: usize) -> Result<&'a Vec<Value>> {
    let items = value
        .as_array()
        .ok_or_else(|| Error::mdp(place, "expected an array"))?;
    if items.len() != len {
        return Err(Error::mdp(
            place,
            format!("has {} entries, expected {len}", items.len()),
        ));
    }
    Ok(items)
}

/// A `len`-row matrix of numbers with rows of equal length.
fn matrix(place: &str, value: &Value, len: usize) -> Result<Vec<Vec<f64>>> {
    let rows = list(place, value, len)?;
    let mut out = Vec::with_capacity(len);
    for (i, row) in rows.iter().enumerate() {
        let cells = row
            .as_array()
            .ok_or_else(|| Error::mdp(format!("{place}[{i}]"), "expected an array of numbers"))?;
        if let Some(first) = out.first().map(Vec::len) {
            if cells.len() != first {
                return Err(Error::mdp(
                    format!("{place}[{i}]"),
                    format!(
                        "has {} values, expected {first} like the rows before it",
                        cells.len()
                    ),
                ));
            }
        }
        let mut numbers = Vec::with_capacity(cells.len());
        for (j, cell) in cells.iter().enumerate() {
            numbers.push(cell.as_f64().ok_or_else(|| {
                Error::mdp(
                    format!("{place}[{i}][{j}]"),
                    format!("{cell} is not a number"),
                )
            })?);
        }
        out.push(numbers);
    }
    Ok(out)
}

#[derive(Serialize)]
struct MdpDocument<'a> {
    format: &'static str,
    n_states: usize,
    n_actions: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    action_names: Option<&'a [String]>,
    transitions: TransitionsField<'a>,
    initial: &'a [f64],
    terminal: Vec<usize>,
    features: FeaturesField<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    grid: Option<Grid>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum TransitionsField<'a> {
    Arrays(TransitionArrays<'a>),
    Npz { npz: &'a str },
}

/// The transitions as the parallel arrays `s`, `a`, `s_next`, `p`, each streamed from
/// the rows as it is written (no copy of the entries is made).
struct TransitionArrays<'a>(&'a Transitions);

impl Serialize for TransitionArrays<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let entries = || self.0.entries();
        let mut arrays = serializer.serialize_struct("TransitionArrays", 4)?;
        arrays.serialize_field("s", &Stream(|| entries().map(|e| e.state)))?;
        arrays.serialize_field("a", &Stream(|| entries().map(|e| e.action)))?;
        arrays.serialize_field("s_next", &Stream(|| entries().map(|e| e.next)))?;
        arrays.serialize_field("p", &Stream(|| entries().map(|e| e.p)))?;
        arrays.end()
    }
}

/// A JSON array of the items `make` yields, written as they come.
struct Stream<F>(F);

impl<F, I> Serialize for Stream<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

/// The features as written: `{"kind": "onehot"}` or the kind, names and values, the
/// values streamed row by row from the table.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum FeaturesField<'a> {
    Onehot,
    State {
        names: &'a [String],
        values: Rows<'a>,
    },
    StateAction {
        names: &'a [String],
        values: Blocks<'a>,
    },
}

/// The rows of a matrix, each a JSON array.
struct Rows<'a>(ArrayView2<'a, f64>);

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.outer_iter().map(Row))
    }
}

struct Row<'a>(ArrayView1<'a, f64>);

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

/// The matrices of a three-dimensional table, each as [`Rows`].
struct Blocks<'a>(ArrayView3<'a, f64>);

impl Serialize for Blocks<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.outer_iter().map(Rows))
    }
}

/// Write an MDP as an `irl-mdp/1` document; arrays as large as the MDP are written as
/// they are read from it, not copied first.
pub fn write_mdp(mdp: &Mdp, writer: impl Write) -> Result<()> {
    write_document(
        mdp,
        writer,
        TransitionsField::Arrays(TransitionArrays(mdp.transitions())),
    )
}

/// Write an MDP as an `irl-mdp/1` document whose transitions are the reference
/// `{"npz": npz}` (a path relative to the document's folder, or absolute) instead of
/// arrays; the caller writes that file.
pub fn write_mdp_with_npz_reference(mdp: &Mdp, writer: impl Write, npz: &str) -> Result<()> {
    write_document(mdp, writer, TransitionsField::Npz { npz })
}

fn write_document(mdp: &Mdp, writer: impl Write, transitions: TransitionsField) -> Result<()> {
    let f = mdp.features();
    let features = match f.table() {
        FeatureTable::OneHot { .. } => FeaturesField::Onehot,
        FeatureTable::State(v) => FeaturesField::State {
            names: f.names(),
            values: Rows(v.view()),
        },
        FeatureTable::StateAction(v) => FeaturesField::StateAction {
            names: f.names(),
            values: Blocks(v.view()),
        },
    };
    let doc = MdpDocument {
        format: MDP_FORMAT,
        n_states: mdp.n_states(),
        n_actions: mdp.n_actions(),
        action_names: mdp.action_names(),
        transitions,
        initial: mdp.initial(),
        terminal: mdp.terminal_states(),
        features,
        grid: mdp.grid(),
    };
    crate::json::to_writer(writer, &doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = r#"{"format": "irl-mdp/1", "n_states": 2, "n_actions": 2,
        "transitions": {"s": [0, 0, 1], "a": [0, 1, 0], "s_next": [1, 0, 1], "p": [1.0, 1.0, 1.0]},
        "terminal": [],
        "features": {"kind": "state", "names": ["good"], "values": [[0.0], [1.0]]}}"#;

    fn error_of(text: &str) -> String {
        read_mdp(text.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn reads_and_round_trips() {
        let mdp = read_mdp(TINY.as_bytes()).unwrap();
        assert_eq!((mdp.n_states(), mdp.n_actions()), (2, 2));
        assert_eq!(mdp.initial(), &[0.5, 0.5]);
        assert!(!mdp.available(1, 1));
        let mut out = Vec::new();
        write_mdp(&mdp, &mut out).unwrap();
        assert_eq!(read_mdp(out.as_slice()).unwrap(), mdp);
    }

    #[test]
    fn probabilities_read_back_to_the_last_bit() {
        // Without serde_json's float_roundtrip, 0.09999999999999999 is read as 0.1.
        let (low, high): (f64, f64) = (0.09999999999999999, 0.9000000000000001);
        let text = TINY.replace(
            r#""s": [0, 0, 1], "a": [0, 1, 0], "s_next": [1, 0, 1], "p": [1.0, 1.0, 1.0]"#,
            &format!(r#""s": [0, 0, 0, 1], "a": [0, 0, 1, 0], "s_next": [0, 1, 0, 1], "p": [{low:?}, {high:?}, 1.0, 1.0]"#),
        );
        let mdp = read_mdp(text.as_bytes()).unwrap();
        let (_, p) = mdp.transitions().successors(0, 0);
        assert_eq!(
            (p[0].to_bits(), p[1].to_bits()),
            (low.to_bits(), high.to_bits())
        );
        let mut out = Vec::new();
        write_mdp(&mdp, &mut out).unwrap();
        assert_eq!(read_mdp(out.as_slice()).unwrap(), mdp);
    }

    #[test]
    fn each_bad_input_names_its_place() {
        let cases = [
            (TINY.replace("irl-mdp/1", "irl-mdp/2"), "format"),
            (TINY.replace("\"p\": [1.0, 1.0, 1.0]", "\"p\": [0.5, 1.0, 1.0]"), "transitions.p[0]"),
            (TINY.replace("\"s_next\": [1, 0, 1]", "\"s_next\": [1, 0, 7]"), "transitions.s_next[2]"),
            (TINY.replace("\"s\": [0, 0, 1]", "\"s\": [0, 0, 1.5]"), "transitions.s[2]"),
            (TINY.replace("[[0.0], [1.0]]", "[[0.0], [NaN]]"), "NaN"),
            (TINY.replace("[[0.0], [1.0]]", "[[0.0], [\"x\"]]"), "features.values[1][0]"),
            (TINY.replace("[[0.0], [1.0]]", "[[0.0], [1.0, 2.0]]"), "features.values[1]"),
            (TINY.replace("\"n_actions\": 2,", ""), "n_actions"),
            (TINY[..TINY.len() - 20].to_string(), "truncated"),
            (TINY.replace("\"s\": [0, 0, 1], \"a\": [0, 1, 0], \"s_next\": [1, 0, 1], \"p\": [1.0, 1.0, 1.0]",
                "\"s\": [0, 0, 0, 1], \"a\": [0, 0, 1, 0], \"s_next\": [1, 1, 0, 1], \"p\": [0.5, 0.5, 1.0, 1.0]"),
                "duplicate"),
            (TINY.replace("\"terminal\": []", "\"terminal\": [], \"initial\": [0.5, 0.6]"), "initial"),
            (TINY.replace("\"terminal\": []", "\"terminal\": [2]"), "terminal[0]"),
            (TINY.replace("\"p\": [1.0, 1.0, 1.0]", "\"p\": [1.0, 1.0, 1e999]"), "number out of range at line 2"),
        ];
        for (text, expected) in cases {
            let e = error_of(&text);
            assert!(e.contains(expected), "expected {expected:?} in {e:?}");
        }
    }

    #[test]
    fn transitions_take_exactly_one_form() {
        let arrays = r#""s": [0, 0, 1], "a": [0, 1, 0], "s_next": [1, 0, 1], "p": [1.0, 1.0, 1.0]"#;
        let both = TINY.replace(arrays, &format!(r#"{arrays}, "npz": "/t.npz""#));
        let e = error_of(&both);
        assert!(
            e.contains("invalid MDP at transitions:") && e.contains("both"),
            "{e}"
        );
        let e = error_of(&TINY.replace(arrays, ""));
        assert!(
            e.contains("invalid MDP at transitions:") && e.contains("expected"),
            "{e}"
        );
        let e = error_of(&TINY.replace(r#""s": [0, 0, 1], "#, ""));
        assert!(e.contains("transitions.s:") && e.contains("missing"), "{e}");
        let e = error_of(&TINY.replace(arrays, r#""npz": "t.npz""#));
        assert!(
            e.contains("transitions.npz") && e.contains("relative"),
            "{e}"
        );
    }

    #[test]
    fn a_reference_replaces_the_arrays() {
        let mdp = read_mdp(TINY.as_bytes()).unwrap();
        let mut out = Vec::new();
        write_mdp_with_npz_reference(&mdp, &mut out, "t.npz").unwrap();
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["transitions"], serde_json::json!({"npz": "t.npz"}));
        assert_eq!(value["n_states"], 2);
    }

    #[test]
    fn non_terminal_state_without_actions_is_an_error() {
        let text = TINY.replace(
            "\"s\": [0, 0, 1], \"a\": [0, 1, 0], \"s_next\": [1, 0, 1], \"p\": [1.0, 1.0, 1.0]",
            "\"s\": [0], \"a\": [0], \"s_next\": [1], \"p\": [1.0]",
        );
        assert!(error_of(&text).contains("state 1 is not terminal"));
        let ok = text.replace("\"terminal\": []", "\"terminal\": [1]");
        assert!(read_mdp(ok.as_bytes()).is_ok());
    }
}
