//! Reading and writing reward weights: `irl-weights/1`, and the weights inside an
//! `irl-model/1` document (accepted wherever weights are).

use std::io::{Read, Write};

use ndarray::Array1;
use serde::{Deserialize, Serialize};

use crate::error::{quote, Error, Result};
use crate::json::from_reader;
use crate::mdp::Features;

/// The format tag of weight documents.
pub const WEIGHTS_FORMAT: &str = "irl-weights/1";

/// Named reward weights θ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub feature_names: Vec<String>,
    pub weights: Vec<f64>,
}

#[derive(Deserialize)]
struct RawWeights {
    format: String,
    feature_names: Vec<String>,
    weights: Vec<Option<f64>>,
}

impl Weights {
    /// θ as an array.
    pub fn theta(&self) -> Array1<f64> {
        Array1::from(self.weights.clone())
    }

    /// Check that the weights belong to these features: same count, same names in order.
    pub fn check_against(&self, features: &Features) -> Result<()> {
        check_feature_names(&self.feature_names, features).map_err(weights_error)
    }
}

/// Why weights named `names` do not belong to `features`, if they do not: the count and
/// every name, in order, must agree.
pub(super) fn check_feature_names(
    names: &[String],
    features: &Features,
) -> std::result::Result<(), String> {
    let expected = features.names();
    if names.len() != expected.len() {
        return Err(format!(
            "{} weights for an MDP with {} features",
            names.len(),
            expected.len()
        ));
    }
    match (0..names.len()).find(|&i| names[i] != expected[i]) {
        Some(i) => Err(format!(
            "feature_names[{i}] is \"{}\" but the MDP's feature {i} is \"{}\"",
            quote(&names[i]),
            quote(&expected[i])
        )),
        None => Ok(()),
    }
}

fn weights_error(message: String) -> Error {
    Error::InvalidJson {
        format: WEIGHTS_FORMAT,
        message,
    }
}

/// Read `irl-weights/1` or the weights of an `irl-model/1` document.
pub fn read_weights(reader: impl Read) -> Result<Weights> {
    let raw: RawWeights = from_reader(reader, WEIGHTS_FORMAT)?;
    if raw.format != WEIGHTS_FORMAT && raw.format != crate::learn::MODEL_FORMAT {
        return Err(weights_error(format!(
            "format is \"{}\", expected \"{WEIGHTS_FORMAT}\" or \"{}\"",
            quote(&raw.format),
            crate::learn::MODEL_FORMAT
        )));
    }
    if raw.feature_names.len() != raw.weights.len() {
        return Err(weights_error(format!(
            "{} feature_names but {} weights",
            raw.feature_names.len(),
            raw.weights.len()
        )));
    }
    let weights = raw
        .weights
        .iter()
        .enumerate()
        .map(|(i, w)| match w {
            Some(w) if w.is_finite() => Ok(*w),
            _ => Err(weights_error(format!(
                "weights[{i}] is not a finite number"
            ))),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Weights {
        feature_names: raw.feature_names,
        weights,
    })
}

/// Write `irl-weights/1`.
pub fn write_weights(weights: &Weights, writer: impl Write) -> Result<()> {
    let doc = serde_json::json!({
        "format": WEIGHTS_FORMAT,
        "feature_names": weights.feature_names,
        "weights": weights.weights,
    });
    crate::json::to_writer(writer, &doc)
}
