//! How a heatmap's cell values map onto the colormap: linearly, or by their logarithm.
//!
//! A linear scale over [lo, hi] gives a finite value v the colour at
//! t = (v − lo) / (hi − lo); a logarithmic one the colour at
//! t = (log v − log lo) / (log hi − log lo), so that equal ratios of value take equal
//! steps of colour. t is clamped to [0, 1]: on a log scale every value at or below lo,
//! zero and negative values included, takes the lowest colour. Without a given range a
//! linear scale spans the finite values, and a log scale runs from `floor` · m up to the
//! largest finite value m. A forecast's start cell, visited at least once while most
//! cells see a few hundredths of a visit, takes the top of a linear scale and leaves the
//! rest of the map in its darkest colours; a log scale with a floor of 10⁻⁴ shows four
//! decades of visits.

use ndarray::ArrayView2;

use crate::error::{Error, Result};

/// How cell values map onto the colormap.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum ColorScale {
    /// Colour by the value itself.
    #[default]
    Linear,
    /// Colour by the value's logarithm. Without a given value range, the scale runs from
    /// `floor` times the largest finite value (0 < `floor` < 1) up to that value; values
    /// below the bottom take the lowest colour. The colour bar is ticked in values, and
    /// its label says "log scale".
    Log { floor: f64 },
}

/// A colour scale with its range resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ValueScale {
    pub log: bool,
    /// Value at the bottom of the colormap (positive on a log scale).
    pub lo: f64,
    /// Value at the top of the colormap.
    pub hi: f64,
}

impl ValueScale {
    /// The scale `scale` over `range`, or over the finite `values` when `range` is
    /// `None`.
    pub(crate) fn resolve(
        scale: ColorScale,
        range: Option<(f64, f64)>,
        values: ArrayView2<'_, f64>,
    ) -> Result<ValueScale> {
        let ordered = |(lo, hi): (f64, f64)| (hi - lo).is_finite() && lo < hi;
        match (scale, range) {
            (ColorScale::Linear, Some(r)) if ordered(r) => Ok(ValueScale::linear(r)),
            (ColorScale::Log { .. }, Some(r)) if ordered(r) && r.0 > 0.0 => {
                Ok(ValueScale::logarithmic(r))
            }
            (ColorScale::Linear, Some((lo, hi))) => Err(Error::param(
                "heatmap.value_range",
                format!("({lo}, {hi}): expected finite ends with low < high"),
            )),
            (ColorScale::Log { .. }, Some((lo, hi))) => Err(Error::param(
                "heatmap.value_range",
                format!("({lo}, {hi}): a log scale needs finite ends with 0 < low < high"),
            )),
            (ColorScale::Linear, None) => Ok(ValueScale::linear(finite_range(values))),
            (ColorScale::Log { floor }, None) => {
                if !(floor > 0.0 && floor < 1.0) {
                    return Err(Error::param(
                        "heatmap.color_scale",
                        format!("log floor {floor}: expected a fraction with 0 < floor < 1"),
                    ));
                }
                let top = values
                    .iter()
                    .filter(|v| v.is_finite())
                    .fold(f64::NEG_INFINITY, |m, &v| m.max(v));
                if !(top > 0.0 && (floor * top) > 0.0) {
                    return Err(Error::param(
                        "heatmap.color_scale",
                        "a log scale needs a positive finite value to scale to",
                    ));
                }
                Ok(ValueScale::logarithmic((floor * top, top)))
            }
        }
    }

    fn linear((lo, hi): (f64, f64)) -> ValueScale {
        ValueScale { log: false, lo, hi }
    }

    fn logarithmic((lo, hi): (f64, f64)) -> ValueScale {
        ValueScale { log: true, lo, hi }
    }

    /// Where a finite `value` falls on the colormap, in [0, 1].
    pub(crate) fn fraction(&self, value: f64) -> f64 {
        let t = if self.log {
            if value <= self.lo {
                0.0
            } else {
                (value / self.lo).ln() / (self.hi / self.lo).ln()
            }
        } else {
            (value - self.lo) / (self.hi - self.lo)
        };
        t.clamp(0.0, 1.0)
    }

    /// The value at fraction `t` of the colormap, the inverse of [`fraction`](Self::fraction).
    pub(crate) fn value_at(&self, t: f64) -> f64 {
        if self.log {
            self.lo * (self.hi / self.lo).powf(t)
        } else {
            self.lo + t * (self.hi - self.lo)
        }
    }
}

/// The range of the finite values, widened by ½ on each side when they are all equal,
/// and [0, 1] when there are none.
fn finite_range(values: ArrayView2<'_, f64>) -> (f64, f64) {
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        (0.0, 1.0)
    } else if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn the_automatic_linear_range_spans_the_finite_values() {
        assert_eq!(
            finite_range(array![[f64::NAN, -1.0], [3.0, f64::INFINITY]].view()),
            (-1.0, 3.0)
        );
        assert_eq!(finite_range(array![[2.0, 2.0]].view()), (1.5, 2.5));
        assert_eq!(finite_range(array![[f64::NAN]].view()), (0.0, 1.0));
    }

    #[test]
    fn a_log_scale_gives_each_decade_an_equal_share() {
        // Visits 2, 0.2, 0.02, 0 with a floor of 1e-3: the scale is [0.002, 2], three
        // decades, so 0.2 sits at 2/3, 0.02 at 1/3, and 0 (below the floor) at 0.
        let visits = array![[2.0, 0.2], [0.02, 0.0]];
        let scale =
            ValueScale::resolve(ColorScale::Log { floor: 1e-3 }, None, visits.view()).unwrap();
        assert!(scale.log);
        assert!((scale.lo - 0.002).abs() < 1e-15 && scale.hi == 2.0);
        let t: Vec<f64> = visits.iter().map(|&v| scale.fraction(v)).collect();
        for (got, want) in t.iter().zip([1.0, 2.0 / 3.0, 1.0 / 3.0, 0.0]) {
            assert!((got - want).abs() < 1e-12, "{t:?}");
        }
        assert_eq!(scale.fraction(-5.0), 0.0);
        assert!((scale.value_at(0.5) - 0.002 * 1000f64.sqrt()).abs() < 1e-12);
        for t in [0.0, 0.25, 0.9, 1.0] {
            assert!((scale.fraction(scale.value_at(t)) - t).abs() < 1e-12);
        }
    }

    #[test]
    fn a_linear_scale_is_the_affine_map_of_its_range() {
        let values = array![[5.0, 20.0, -3.0]];
        let scale =
            ValueScale::resolve(ColorScale::Linear, Some((0.0, 10.0)), values.view()).unwrap();
        assert_eq!(scale.fraction(5.0), 0.5);
        assert_eq!(scale.fraction(20.0), 1.0);
        assert_eq!(scale.fraction(-3.0), 0.0);
        assert_eq!(scale.value_at(0.25), 2.5);
    }

    #[test]
    fn impossible_scales_are_refused() {
        let zeros = array![[0.0, f64::NAN]];
        let log = ColorScale::Log { floor: 1e-4 };
        for (scale, range, expected) in [
            (log, None, "needs a positive finite value"),
            (ColorScale::Log { floor: 1.0 }, None, "log floor 1"),
            (ColorScale::Log { floor: 0.0 }, None, "log floor 0"),
            (log, Some((0.0, 1.0)), "0 < low < high"),
            (ColorScale::Linear, Some((1.0, 1.0)), "low < high"),
            (
                ColorScale::Linear,
                Some((0.0, f64::INFINITY)),
                "finite ends",
            ),
        ] {
            let message = ValueScale::resolve(scale, range, zeros.view())
                .unwrap_err()
                .to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
    }
}
