//! Standard errors of fitted weights from the observed information.
//!
//! At θ̂ the negative log-posterior P(θ) = NLL(θ) + λ‖θ‖² has Hessian H (the observed
//! information). Its inverse approximates the posterior covariance of θ (Laplace
//! approximation), so SE_k = √((H⁻¹)_kk). H is built by central differences of the exact
//! gradient, H_{·k} = (∇P(θ̂ + h e_k) − ∇P(θ̂ − h e_k)) / 2h with h = 1e-4·max(1, |θ̂_k|),
//! symmetrised, and inverted through its eigen-decomposition (ndarray-linalg). A Hessian
//! whose smallest eigenvalue is not clearly positive (below 1e-10 of the largest) is
//! reported as singular or ill-conditioned instead of being inverted: some combination of
//! weights is then not identified by the demonstrations.
//!
//! The Hessian costs 2K likelihood evaluations, often more than the fit itself; the
//! `_observed` variants report each column as it is done.

use ndarray::{Array1, Array2, ArrayView1, Axis};
use ndarray_linalg::{Eigh, UPLO};

use super::objective::Objective;

/// Smallest accepted ratio of the smallest to the largest eigenvalue of H.
pub const MIN_EIGENVALUE_RATIO: f64 = 1e-10;

/// Standard error of each weight, or the reason they cannot be given.
pub fn standard_errors(objective: &Objective, theta: ArrayView1<f64>) -> Result<Vec<f64>, String> {
    standard_errors_observed(objective, theta, |_, _| {})
}

/// [`standard_errors`], telling `on_column(done, K)` after each column of the observed
/// information (two likelihood evaluations), and once with `done` = 0 before the first.
pub fn standard_errors_observed(
    objective: &Objective,
    theta: ArrayView1<f64>,
    on_column: impl FnMut(usize, usize),
) -> Result<Vec<f64>, String> {
    let hessian = observed_information_observed(objective, theta, on_column)
        .map_err(|e| format!("not computed: {e}"))?;
    if let Some(((i, j), h)) = hessian.indexed_iter().find(|(_, h)| !h.is_finite()) {
        return Err(format!(
            "not computed: entry ({i}, {j}) of the observed information is {h}, out of the range of a double"
        ));
    }
    let (eigenvalues, eigenvectors) = hessian
        .eigh(UPLO::Lower)
        .map_err(|e| format!("eigen-decomposition failed: {e}"))?;
    let largest = eigenvalues.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let smallest = eigenvalues.iter().fold(f64::INFINITY, |m, &v| m.min(v));
    if smallest.is_nan() || smallest <= MIN_EIGENVALUE_RATIO * largest {
        return Err(format!(
            "the observed information is singular or ill-conditioned (eigenvalues from {smallest:.3e} to {largest:.3e}); \
             some combination of weights is not identified by the demonstrations (add --l2 or remove redundant features)"
        ));
    }
    let inverse_values = eigenvalues.mapv(|v| 1.0 / v);
    let covariance_diagonal = (&eigenvectors * &eigenvectors).dot(&inverse_values);
    let errors = covariance_diagonal.mapv(f64::sqrt).to_vec();
    match errors.iter().position(|e| !e.is_finite()) {
        Some(k) => Err(format!(
            "not computed: the standard error of weight {k} is {}, out of the range of a double",
            errors[k]
        )),
        None => Ok(errors),
    }
}

/// H of P = NLL + λ‖θ‖² at θ by central differences of its exact gradient.
pub fn observed_information(
    objective: &Objective,
    theta: ArrayView1<f64>,
) -> crate::Result<Array2<f64>> {
    observed_information_observed(objective, theta, |_, _| {})
}

/// [`observed_information`], telling `on_column(done, K)` as
/// [`standard_errors_observed`] does.
pub fn observed_information_observed(
    objective: &Objective,
    theta: ArrayView1<f64>,
    mut on_column: impl FnMut(usize, usize),
) -> crate::Result<Array2<f64>> {
    let k = theta.len();
    on_column(0, k);
    let n = objective.n_actions() as f64;
    let mut hessian = Array2::zeros((k, k));
    for j in 0..k {
        let h = 1e-4 * theta[j].abs().max(1.0);
        let mut shifted = theta.to_owned();
        shifted[j] += h;
        let plus: Array1<f64> = objective.evaluate(shifted.view())?.gradient * n;
        shifted[j] -= 2.0 * h;
        let minus: Array1<f64> = objective.evaluate(shifted.view())?.gradient * n;
        hessian
            .index_axis_mut(Axis(1), j)
            .assign(&((plus - minus) / (2.0 * h)));
        on_column(j + 1, k);
    }
    let symmetric = (&hessian + &hessian.t()) / 2.0;
    Ok(symmetric)
}
