//! Iterating a sweep V ← B(V) from V = 0 to its fixed point.
//!
//! Stops when ‖V_{k+1} − V_k‖∞ ≤ tolerance · max(1, ‖V_{k+1}‖∞). The soft, hard and
//! policy-evaluation backups all use it; each caller turns a failure into its own error.

/// Why a fixed-point iteration stopped without converging.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unconverged {
    /// The cap was reached; the last sup-norm change.
    Cap { last_change: f64 },
    /// The change became NaN or infinite.
    NonFinite { change: f64 },
}

/// Iterate `sweep(v, next)` on `n` values from `start` (zeros when `None` or of another
/// length); returns the fixed point and the iterations. A start near the fixed point (the
/// values of a nearby reward, say) saves iterations and, for a contraction, changes the
/// result by no more than the tolerance does.
pub fn iterate_to_fixed_point(
    n: usize,
    start: Option<Vec<f64>>,
    tolerance: f64,
    max_iterations: usize,
    mut sweep: impl FnMut(&[f64], &mut [f64]),
) -> Result<(Vec<f64>, usize), Unconverged> {
    let mut v = match start {
        Some(v) if v.len() == n && v.iter().all(|x| x.is_finite()) => v,
        _ => vec![0.0; n],
    };
    let mut next = vec![0.0; n];
    let mut change = f64::INFINITY;
    for iteration in 1..=max_iterations {
        sweep(&v, &mut next);
        change = v
            .iter()
            .zip(&next)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        let scale = next.iter().fold(1.0f64, |m, x| m.max(x.abs()));
        std::mem::swap(&mut v, &mut next);
        if !change.is_finite() {
            return Err(Unconverged::NonFinite { change });
        }
        if change <= tolerance * scale {
            return Ok((v, iteration));
        }
    }
    Err(Unconverged::Cap {
        last_change: change,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contraction_converges_to_its_fixed_point_and_divergence_is_reported() {
        // v ← 1 + v/2 has the fixed point 2.
        let (v, iterations) =
            iterate_to_fixed_point(1, None, 1e-12, 1000, |v, next| next[0] = 1.0 + v[0] / 2.0)
                .unwrap();
        assert!((v[0] - 2.0).abs() < 1e-11 && iterations > 30);
        let capped = iterate_to_fixed_point(1, None, 1e-12, 10, |v, next| next[0] = 1.0 + v[0]);
        assert_eq!(capped, Err(Unconverged::Cap { last_change: 1.0 }));
        let blown = iterate_to_fixed_point(1, None, 1e-12, 10, |_, next| next[0] = f64::INFINITY);
        assert!(matches!(blown, Err(Unconverged::NonFinite { .. })));
    }
}
