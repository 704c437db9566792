//! JSON helpers shared by the document formats: parse errors that say what went wrong
//! in words, index arrays checked one by one, and −∞ written as `null`.

use std::io::{Read, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{quote_parser_message, Error, Result};

/// Parse a JSON document of the named format, turning parser errors into messages that
/// name the line and column and say when the text is truncated or holds NaN / Infinity.
pub fn from_reader<T: DeserializeOwned>(mut reader: impl Read, format: &'static str) -> Result<T> {
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|e| Error::InvalidJson {
            format,
            message: format!("cannot read the document: {e}"),
        })?;
    serde_json::from_str(&text).map_err(|e| {
        let message = match e.classify() {
            serde_json::error::Category::Eof => {
                format!("the document is truncated (it ends at line {}, column {})", e.line(), e.column())
            }
            serde_json::error::Category::Syntax if non_finite_literal_at(&text, e.line(), e.column()) => {
                format!(
                    "line {}, column {}: NaN and Infinity are not numbers in JSON; every value must be finite",
                    e.line(),
                    e.column()
                )
            }
            _ => parser_message(&e),
        };
        Error::InvalidJson { format, message }
    })
}

/// A serde_json error in words: its message, with what it quotes of the input cut
/// ([`quote_parser_message`]), then the line and column it names.
pub(crate) fn parser_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    if e.line() == 0 {
        return quote_parser_message(&full);
    }
    let place = format!(" at line {} column {}", e.line(), e.column());
    let body = full.strip_suffix(&place).unwrap_or(&full);
    format!("{}{place}", quote_parser_message(body))
}

fn non_finite_literal_at(text: &str, line: usize, column: usize) -> bool {
    let Some(line_text) = text.lines().nth(line.saturating_sub(1)) else {
        return false;
    };
    let start = column.saturating_sub(1).min(line_text.len());
    let around = &line_text[line_text.floor_char_boundary(start.saturating_sub(1))..];
    ["NaN", "Infinity", "-Infinity", "inf", "nan"]
        .iter()
        .any(|lit| {
            around
                .trim_start_matches([',', ' ', '[', ':', '-'])
                .starts_with(lit)
        })
}

/// Check that each number of `values` is an integer index in `0..bound`.
pub fn index_array(field: &str, values: &[f64], bound: usize, what: &str) -> Result<Vec<usize>> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if v.fract() == 0.0 && v >= 0.0 && v < bound as f64 {
                Ok(v as usize)
            } else {
                Err(Error::mdp(
                    format!("{field}[{i}]"),
                    format!("{v} is not a {what} index in 0..{bound}"),
                ))
            }
        })
        .collect()
}

/// Serialise `value` as compact JSON followed by a newline.
pub fn to_writer(mut writer: impl Write, value: &impl Serialize) -> Result<()> {
    let io = |e: std::io::Error| Error::Io {
        path: "<output>".into(),
        source: e,
    };
    serde_json::to_writer(&mut writer, value).map_err(|e| io(e.into()))?;
    writer.write_all(b"\n").map_err(io)
}

/// A finite number, or `None` (written `null`) for ±∞ and NaN.
pub fn finite_or_null(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}
