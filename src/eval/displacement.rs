//! Displacement errors of trajectory forecasts, and the geometric baselines.
//!
//! For a forecast x̂_1 … x̂_H of the true positions x_1 … x_H (metres):
//! ADE = (1/H) Σ_h |x̂_h − x_h| and FDE = |x̂_H − x_H|. For K sampled forecasts,
//! minADE_K = min_k ADE(k) and minFDE_K = min_k FDE(k) (each minimum on its own, as the
//! pedestrian-forecasting benchmarks report them; Gupta et al. 2018, "Social GAN").
//!
//! Baselines from the last observed positions x_{−1}, x_0:
//! - constant velocity: x̂_h = x_0 + h·(x_0 − x_{−1}) (Schöller et al. 2020);
//! - straight walk to a known destination g at speed u per step: x̂_h moves from x_0
//!   towards g by u each step and stays at g once there.

/// Euclidean distance.
pub fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// (ADE, FDE) of `forecast` against `truth`, of equal non-zero length.
pub fn ade_fde(forecast: &[(f64, f64)], truth: &[(f64, f64)]) -> (f64, f64) {
    debug_assert_eq!(forecast.len(), truth.len());
    let errors: Vec<f64> = forecast
        .iter()
        .zip(truth)
        .map(|(&a, &b)| distance(a, b))
        .collect();
    (
        errors.iter().sum::<f64>() / errors.len() as f64,
        *errors.last().expect("a forecast step"),
    )
}

/// (minADE, minFDE) over sampled forecasts, each minimum taken on its own.
pub fn min_ade_fde(samples: &[Vec<(f64, f64)>], truth: &[(f64, f64)]) -> (f64, f64) {
    samples
        .iter()
        .map(|s| ade_fde(s, truth))
        .fold((f64::INFINITY, f64::INFINITY), |(a, f), (x, y)| {
            (a.min(x), f.min(y))
        })
}

/// Constant velocity from the last two observed positions, for `steps` steps.
pub fn constant_velocity(previous: (f64, f64), last: (f64, f64), steps: usize) -> Vec<(f64, f64)> {
    let v = (last.0 - previous.0, last.1 - previous.1);
    (1..=steps)
        .map(|h| (last.0 + h as f64 * v.0, last.1 + h as f64 * v.1))
        .collect()
}

/// A straight walk from `from` to `to` at `speed` metres a step, for `steps` steps.
pub fn straight_walk(
    from: (f64, f64),
    to: (f64, f64),
    speed: f64,
    steps: usize,
) -> Vec<(f64, f64)> {
    let length = distance(from, to);
    (1..=steps)
        .map(|h| {
            let covered = (h as f64 * speed).min(length);
            if length == 0.0 {
                to
            } else {
                let w = covered / length;
                (from.0 + w * (to.0 - from.0), from.1 + w * (to.1 - from.1))
            }
        })
        .collect()
}

/// The median of the step lengths of position sequences (metres a step), 0 when none.
pub fn median_step(tracks: &[Vec<(f64, f64)>]) -> f64 {
    let mut steps: Vec<f64> = tracks
        .iter()
        .flat_map(|t| t.windows(2).map(|w| distance(w[0], w[1])))
        .collect();
    if steps.is_empty() {
        return 0.0;
    }
    steps.sort_by(f64::total_cmp);
    let n = steps.len();
    if n % 2 == 1 {
        steps[n / 2]
    } else {
        (steps[n / 2 - 1] + steps[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_baselines_by_hand() {
        let truth = [(1.0, 0.0), (2.0, 0.0), (3.0, 1.0)];
        let cv = constant_velocity((-1.0, 0.0), (0.0, 0.0), 3);
        assert_eq!(cv, vec![(1.0, 0.0), (2.0, 0.0), (3.0, 0.0)]);
        assert_eq!(ade_fde(&cv, &truth), (1.0 / 3.0, 1.0));
        // 0.5 m a step towards (1, 0), arriving at the second step and staying.
        let walk = straight_walk((0.0, 0.0), (1.0, 0.0), 0.5, 3);
        assert_eq!(walk, vec![(0.5, 0.0), (1.0, 0.0), (1.0, 0.0)]);
        let (ade, fde) = ade_fde(&walk, &truth);
        assert!((ade - (0.5 + 1.0 + 5f64.sqrt()) / 3.0).abs() < 1e-12);
        assert!((fde - 5f64.sqrt()).abs() < 1e-12);
        // The minima are taken separately: the best ADE and the best FDE come from
        // different samples.
        let samples = vec![cv.clone(), vec![(0.0, 0.0), (0.0, 0.0), (3.0, 1.0)]];
        assert_eq!(min_ade_fde(&samples, &truth), (1.0 / 3.0, 0.0));
        assert_eq!(
            median_step(&[vec![(0.0, 0.0), (1.0, 0.0), (1.0, 2.0), (1.0, 5.0)]]),
            2.0
        );
    }
}
