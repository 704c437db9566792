//! A solved soft dynamic program and its `irl-solution/1` document.

use std::io::Write;

use ndarray::{Array3, Axis};
use serde::Serialize;
use serde_json::Value;

use super::backward::SoftValues;
use super::forward::Occupancy;
use super::kernel::SoftProblem;
use super::settings::SoftSettings;
use crate::error::{Error, Result};
use crate::json::finite_or_null;

/// The format tag of solution documents.
pub const SOLUTION_FORMAT: &str = "irl-solution/1";

/// Wall time of each pass, excluding input and output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timing {
    pub backward_seconds: f64,
    pub forward_seconds: f64,
}

/// Everything a solve produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    pub settings: SoftSettings,
    pub values: SoftValues,
    pub occupancy: Occupancy,
    pub log_partition: f64,
    /// Q_t(s, a) and π_t(a|s): T × S × A (finite horizon) or 1 × S × A; `None` unless
    /// the arrays were asked for.
    pub q_and_policy: Option<(Array3<f64>, Array3<f64>)>,
    pub timing: Timing,
}

/// Q_t and π_t for every step, state and action (T × S × A each, or 1 × S × A).
pub fn q_and_policy(problem: &SoftProblem, values: &SoftValues) -> (Array3<f64>, Array3<f64>) {
    let mdp = problem.mdp();
    let (n_states, n_actions) = (mdp.n_states(), mdp.n_actions());
    let steps = values.horizon().unwrap_or(1);
    let mut q = Array3::zeros((steps, n_states, n_actions));
    let mut pi = Array3::zeros((steps, n_states, n_actions));
    for t in 0..steps {
        let next = values.next(t);
        for s in 0..n_states {
            let q_row = q
                .index_axis_mut(Axis(0), t)
                .into_slice()
                .expect("standard layout");
            let q_s = &mut q_row[s * n_actions..(s + 1) * n_actions];
            problem.q_values(s, next, q_s);
            let q_s = q_s.to_vec();
            let pi_row = pi
                .index_axis_mut(Axis(0), t)
                .into_slice()
                .expect("standard layout");
            problem.policy_from_q(s, &q_s, &mut pi_row[s * n_actions..(s + 1) * n_actions]);
        }
    }
    (q, pi)
}

impl Solution {
    /// Fail unless every number the document holds is one: Q may be −∞ (written `null`:
    /// no action), nothing else may be an infinity or NaN. The values were checked by
    /// the backward pass; the expected features, sums of the features over the steps,
    /// and the log partition can still exceed the range of a double.
    pub fn check_finite(&self) -> Result<()> {
        let out_of_range = |field: String, value: f64| {
            Error::Overflow {
            what: "the solution",
            message: format!(
                "{field} is {value}, out of the range of a double; scale the features or weights down"
            ),
        }
        };
        if !self.log_partition.is_finite() {
            return Err(out_of_range("log_partition".into(), self.log_partition));
        }
        let features = &self.occupancy.expected_features;
        if let Some(k) = features.iter().position(|f| !f.is_finite()) {
            return Err(out_of_range(format!("expected_features[{k}]"), features[k]));
        }
        // The document's index of step t and the rest: stationary arrays have no step.
        let place = |field: &str, t: usize, rest: String| match self.settings.horizon {
            Some(_) => format!("{field}[{t}]{rest}"),
            None => format!("{field}{rest}"),
        };
        if let Some(rows) = &self.occupancy.states {
            if let Some(((t, s), &d)) = rows.indexed_iter().find(|(_, d)| !d.is_finite()) {
                return Err(out_of_range(place("occupancy", t, format!("[{s}]")), d));
            }
        }
        if let Some((q, pi)) = &self.q_and_policy {
            let q_bad = q
                .indexed_iter()
                .find(|(_, q)| !(q.is_finite() || **q == f64::NEG_INFINITY));
            if let Some(((t, s, a), &v)) = q_bad {
                return Err(out_of_range(place("q", t, format!("[{s}][{a}]")), v));
            }
            if let Some(((t, s, a), &p)) = pi.indexed_iter().find(|(_, p)| !p.is_finite()) {
                return Err(out_of_range(place("policy", t, format!("[{s}][{a}]")), p));
            }
        }
        Ok(())
    }

    /// Write the `irl-solution/1` document; `arrays` adds value, q, policy and occupancy.
    pub fn write(&self, writer: impl Write, arrays: bool) -> Result<()> {
        let s = &self.settings;
        let mut doc = serde_json::json!({
            "format": SOLUTION_FORMAT,
            "horizon": s.horizon,
            "discount": s.discount,
            "backup": s.backup,
            "temperature": s.temperature,
            "action_prior": s.action_prior.name(),
            "expected_features": self.occupancy.expected_features,
            "log_partition": self.log_partition,
            "iterations": self.values.iterations,
            "timing": self.timing,
        });
        if arrays {
            let map = doc.as_object_mut().expect("object");
            let finite = s.horizon.is_some();
            let rows = self.values.rows();
            let value: Value = if finite {
                let t = rows.nrows() - 1;
                rows.outer_iter()
                    .take(t)
                    .map(|r| r.to_vec())
                    .collect::<Vec<_>>()
                    .into()
            } else {
                rows.row(0).to_vec().into()
            };
            map.insert("value".into(), value);
            if let Some((q, pi)) = &self.q_and_policy {
                map.insert("q".into(), cube(q, finite, |x| finite_or_null(x).into()));
                map.insert("policy".into(), cube(pi, finite, Value::from));
            }
            if let Some(d) = &self.occupancy.states {
                let occ: Value = if finite {
                    d.outer_iter()
                        .map(|r| r.to_vec())
                        .collect::<Vec<_>>()
                        .into()
                } else {
                    d.row(0).to_vec().into()
                };
                map.insert("occupancy".into(), occ);
            }
        }
        crate::json::to_writer(writer, &doc)
    }
}

fn cube(x: &Array3<f64>, finite: bool, cell: impl Fn(f64) -> Value + Copy) -> Value {
    let step = |m: ndarray::ArrayView2<f64>| -> Value {
        m.outer_iter()
            .map(|r| Value::Array(r.iter().map(|&v| cell(v)).collect()))
            .collect::<Vec<_>>()
            .into()
    };
    if finite {
        x.outer_iter().map(step).collect::<Vec<_>>().into()
    } else {
        step(x.index_axis(Axis(0), 0))
    }
}
