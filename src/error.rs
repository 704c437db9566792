//! The library's one error type.
//!
//! Every variant that comes from user input says where the problem is: the file (when
//! the caller knows it), the field or line, the index, and what was expected.

use std::path::PathBuf;

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
