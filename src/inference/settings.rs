//! Settings of the soft dynamic program (see docs/FORMATS.md, "Conventions").

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::memory::MemoryLimit;
use crate::error::{Error, Result};
use crate::mdp::Mdp;

/// How the soft Q-function looks ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backup {
    /// Q = r + γ Σ p V' (maximum causal entropy; the variational posterior).
    #[default]
    Variational,
    /// Q = r + α log(γ Σ p exp(V'/α) + 1 − γ) (exact posterior; risk-seeking).
    Optimistic,
}

/// The action prior ρ(a|s).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ActionPrior {
    /// ρ = 1 for every available action.
    #[default]
    None,
    /// ρ = 1/|A(s)|.
    Uniform,
    /// ρ(a|s) given as an S × A matrix of non-negative weights (0 forbids the action).
    PerState(Array2<f64>),
}

impl ActionPrior {
    /// The name used in documents: `none`, `uniform` or `per_state`.
    pub fn name(&self) -> &'static str {
        match self {
            ActionPrior::None => "none",
            ActionPrior::Uniform => "uniform",
            ActionPrior::PerState(_) => "per_state",
        }
    }
}

/// Settings of one soft dynamic program.
#[derive(Debug, Clone, PartialEq)]
pub struct SoftSettings {
    /// Number of decisions T; `None` for the infinite-horizon fixed point.
    pub horizon: Option<usize>,
    /// Discount γ in (0, 1].
    pub discount: f64,
    pub backup: Backup,
    /// Temperature α > 0.
    pub temperature: f64,
    pub action_prior: ActionPrior,
    /// Infinite horizon: stop when the sup-norm change of V is at most
    /// `tolerance · max(1, ‖V‖∞)`; forward passes stop when the discounted mass left
    /// falls below `tolerance`.
    pub tolerance: f64,
    /// Infinite horizon: iteration cap; reaching it is an error.
    pub max_iterations: usize,
    /// Run per-state work on rayon's thread pool (results equal the sequential path).
    pub parallel: bool,
    /// The most memory a solve or fit may allocate (checked before allocating).
    pub memory_limit: MemoryLimit,
}

impl Default for SoftSettings {
    fn default() -> Self {
        Self {
            horizon: None,
            discount: 1.0,
            backup: Backup::Variational,
            temperature: 1.0,
            action_prior: ActionPrior::None,
            tolerance: 1e-12,
            max_iterations: 1_000_000,
            parallel: true,
            memory_limit: MemoryLimit::Available,
        }
    }
}

impl SoftSettings {
    /// Finite-horizon settings with defaults otherwise.
    pub fn finite(horizon: usize, discount: f64) -> Self {
        Self {
            horizon: Some(horizon),
            discount,
            ..Self::default()
        }
    }

    /// Infinite-horizon settings with defaults otherwise.
    pub fn infinite(discount: f64) -> Self {
        Self {
            horizon: None,
            discount,
            ..Self::default()
        }
    }

    /// What to try when an infinite-horizon iteration hits its cap.
    pub fn divergence_hint(&self) -> String {
        if self.backup == Backup::Optimistic {
            "the optimistic backup has a finite infinite-horizon value only while γ·Σ_a ρ(a|s) exp(r(s,a)/α) \
             stays below 1 on average; give a horizon, a smaller discount or smaller rewards"
                .into()
        } else if self.discount >= 1.0 {
            "with discount 1 every policy must reach a terminal state; give a discount below 1 or a horizon".into()
        } else {
            "raise the iteration cap or loosen the tolerance".into()
        }
    }

    /// Fail at once when the problem is undiscounted and stationary (γ = 1, no horizon)
    /// and some state of `mdp` cannot reach a terminal state under any policy: its soft
    /// value sums rewards over endless paths and value iteration would run to its cap.
    /// The error names the first such state. O(S + transitions).
    pub fn check_way_out(&self, mdp: &Mdp) -> Result<()> {
        if self.horizon.is_some() || self.discount < 1.0 {
            return Ok(());
        }
        match mdp.state_without_way_out() {
            None => Ok(()),
            Some(s) => Err(Error::param(
                "discount",
                format!(
                    "1 without a horizon needs every state to reach a terminal state, but no \
                     policy leads from state {s} to one{}: its soft value would sum rewards \
                     over endless paths, and value iteration could not converge; give a \
                     discount below 1 or a horizon",
                    if mdp.terminal_states().is_empty() {
                        " (the MDP has no terminal state)"
                    } else {
                        ""
                    }
                ),
            )),
        }
    }

    /// Check the ranges, and the prior's shape against the MDP.
    pub fn check(&self, mdp: &Mdp) -> Result<()> {
        self.check_ranges()?;
        self.check_prior(mdp)
    }

    /// Check the ranges of the numbers alone (no MDP needed): discount in (0, 1],
    /// temperature and tolerance positive and finite, a horizon of at least 1. The error
    /// is an [`Error::InvalidParameter`] named as the field (`discount`, …).
    pub fn check_ranges(&self) -> Result<()> {
        if !(self.discount > 0.0 && self.discount <= 1.0) {
            return Err(Error::param(
                "discount",
                format!("{} is not in (0, 1]", self.discount),
            ));
        }
        if !(self.temperature > 0.0 && self.temperature.is_finite()) {
            return Err(Error::param(
                "temperature",
                format!("{} is not a positive number", self.temperature),
            ));
        }
        if !(self.tolerance > 0.0 && self.tolerance.is_finite()) {
            return Err(Error::param(
                "tolerance",
                format!("{} is not a positive number", self.tolerance),
            ));
        }
        if self.horizon == Some(0) {
            return Err(Error::param("horizon", "must be at least 1"));
        }
        Ok(())
    }

    /// Check a per-state prior's shape against the MDP, and its entries.
    fn check_prior(&self, mdp: &Mdp) -> Result<()> {
        if let ActionPrior::PerState(rho) = &self.action_prior {
            if rho.dim() != (mdp.n_states(), mdp.n_actions()) {
                return Err(Error::param(
                    "action_prior",
                    format!(
                        "has shape {:?}, expected ({}, {})",
                        rho.dim(),
                        mdp.n_states(),
                        mdp.n_actions()
                    ),
                ));
            }
            if let Some(((s, a), v)) = rho
                .indexed_iter()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                return Err(Error::param(
                    "action_prior",
                    format!("ρ({a}|{s}) = {v} is not a non-negative number"),
                ));
            }
        }
        Ok(())
    }
}
