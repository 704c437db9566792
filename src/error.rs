//! The library's one error type.
//!
//! Every variant that comes from user input says where the problem is: the file (when
//! the caller knows it), the field or line, the index, and what was expected.
//!
//! A message quotes each piece of input it repeats (a field, a name, a JSON value, a
//! parser's own message) through [`quote`] or [`quote_parser_message`], so that no
//! message grows with the input: a piece longer than [`QUOTE_LIMIT`] characters is cut
//! there, with a marker of how much was left out.

use std::borrow::Cow;
use std::path::PathBuf;

/// The most characters of one piece of input that an error message quotes.
pub const QUOTE_LIMIT: usize = 200;

/// `text` as an error message quotes it: whole when it has at most `limit` characters,
/// else its first `limit` followed by `… (N more characters)`.
fn cut(text: &str, limit: usize) -> Cow<'_, str> {
    match text.char_indices().nth(limit) {
        None => Cow::Borrowed(text),
        Some((end, _)) => {
            let more = text[end..].chars().count();
            Cow::Owned(format!("{}… ({more} more characters)", &text[..end]))
        }
    }
}

/// A piece of input as an error message quotes it: whole when it has at most
/// [`QUOTE_LIMIT`] characters, else its first [`QUOTE_LIMIT`] followed by
/// `… (N more characters)`.
pub fn quote(text: &str) -> Cow<'_, str> {
    cut(text, QUOTE_LIMIT)
}

/// A message of a parser (serde_json, csv) that may repeat its input: each stretch
/// between quotation marks (`"` or `` ` ``), inside a quotation or not, is cut as
/// [`quote`] cuts, and the whole at 4 · [`QUOTE_LIMIT`] characters.
pub fn quote_parser_message(message: &str) -> String {
    let mut capped = String::new();
    for piece in message.split_inclusive(['"', '`']) {
        let (stretch, mark) = match piece.strip_suffix(['"', '`']) {
            Some(stretch) => (stretch, &piece[stretch.len()..]),
            None => (piece, ""),
        };
        capped.push_str(&quote(stretch));
        capped.push_str(mark);
    }
    cut(&capped, 4 * QUOTE_LIMIT).into_owned()
}

/// Errors raised by the `irl` library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The MDP is malformed; `place` names the field and index (`transitions.p[17]`).
    #[error("invalid MDP at {place}: {message}")]
    InvalidMdp { place: String, message: String },

    /// Demonstrations are malformed or inconsistent with the MDP; `place` names the line.
    #[error("invalid demonstrations at {place}: {message}")]
    InvalidDemos { place: String, message: String },

    /// A demonstration has more actions than the finite horizon has decisions.
    #[error("invalid demonstrations at trajectory {trajectory}: has {actions} actions, more than the horizon {horizon}; give a longer horizon")]
    LongerThanHorizon {
        trajectory: String,
        actions: usize,
        horizon: usize,
    },

    /// Recorded tracks (positions before discretisation) are malformed.
    #[error("invalid tracks at {place}: {message}")]
    InvalidTracks { place: String, message: String },

    /// A JSON document does not follow its format.
    #[error("invalid {format} document: {message}")]
    InvalidJson {
        format: &'static str,
        message: String,
    },

    /// A parameter of a solver, learner or generator is out of its range.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParameter { name: &'static str, message: String },

    /// An iterative computation hit its iteration cap before reaching its tolerance.
    #[error("{what} did not converge within {iterations} iterations (last change {last_change:.3e}, tolerance {tolerance:.1e}); {hint}")]
    NotConverged {
        what: &'static str,
        iterations: usize,
        last_change: f64,
        tolerance: f64,
        hint: String,
    },

    /// A computation would allocate more memory than its limit allows: what it would
    /// need, with its parts (`818 KiB (values 710 KiB, …)`), the limit and where it comes
    /// from (`the memory limit is 700 KiB`), and `cause`, the input that makes it that
    /// large and what to change.
    #[error("{what} would need {needed} but {limit}; {cause}")]
    MemoryLimit {
        what: &'static str,
        needed: String,
        limit: String,
        cause: String,
    },

    /// Values left the range of a double (an infinity or NaN where a number should be):
    /// `message` says which value went first and what made it.
    #[error("{what} overflowed: {message}")]
    Overflow { what: &'static str, message: String },

    /// A computation produced a non-finite number where a finite one was required.
    #[error("numerical failure in {what}: {message}")]
    Numerical { what: &'static str, message: String },

    /// Drawing a figure failed inside the plotting backend (font, rasteriser or encoder).
    #[error("drawing the figure failed: {message}")]
    Plot { message: String },

    /// An output that cannot be written where it is asked for, found before the work
    /// that would fill it: a missing folder, a file that is not a regular one.
    #[error("cannot write {path}: {message}")]
    Output { path: PathBuf, message: String },

    /// A reading or writing error, with the file it concerns.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An error that already carries its file name in front of another error.
    #[error("{path}: {source}")]
    InFile {
        path: PathBuf,
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// The error itself, without the file it came from.
    pub fn without_file(&self) -> &Error {
        match self {
            Error::InFile { source, .. } => source.without_file(),
            other => other,
        }
    }

    /// Attach the file this error came from.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        match self {
            Error::InFile { .. } | Error::Io { .. } | Error::Output { .. } => self,
            other => Error::InFile {
                path: path.into(),
                source: Box::new(other),
            },
        }
    }

    pub(crate) fn mdp(place: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidMdp {
            place: place.into(),
            message: message.into(),
        }
    }

    pub(crate) fn demos(place: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidDemos {
            place: place.into(),
            message: message.into(),
        }
    }

    /// An [`Error::InvalidParameter`] naming the parameter.
    pub fn param(name: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            message: message.into(),
        }
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_keep_short_input_and_cut_long_input_with_a_marker() {
        assert_eq!(quote("walk-1"), "walk-1");
        let exact = "é".repeat(QUOTE_LIMIT);
        assert_eq!(quote(&exact), exact);
        let long = format!("{exact}xyz");
        assert_eq!(quote(&long), format!("{exact}… (3 more characters)"));
    }

    #[test]
    fn parser_messages_keep_their_words_and_cut_what_they_quote() {
        let name = "n".repeat(100_000);
        let message =
            format!("invalid type: string \"{name}\", expected f64 at line 3 column 100012");
        let capped = quote_parser_message(&message);
        let kept = "n".repeat(QUOTE_LIMIT);
        assert_eq!(
            capped,
            format!("invalid type: string \"{kept}… (99800 more characters)\", expected f64 at line 3 column 100012")
        );
        assert_eq!(
            quote_parser_message("unknown variant `x`, expected `a`"),
            "unknown variant `x`, expected `a`"
        );
        let quotes = "\"".repeat(10_000);
        assert!(quote_parser_message(&quotes).chars().count() < 5 * QUOTE_LIMIT);
    }
}
