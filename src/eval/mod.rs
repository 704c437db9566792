//! Evaluating learned rewards: against held-out demonstrations and against known rewards.
//!
//! - [`evaluate_model`] (with [`evaluate`], [`evaluate_by_goal`]): held-out likelihood, action accuracy, feature
//!   residual; [`uniform_walk_nll`], [`empirical_move_nll`]: baselines to compare with.
//! - [`evaluate_policy`]: the exact discounted value V^π = (I − γP_π)⁻¹ r_π of a
//!   stationary policy.
//! - [`hard_value_iteration`], [`greedy_policy`], [`soft_optimal_policy`]: the optimal
//!   (max) and soft-optimal (log-sum-exp, α = 1) stationary policies of a reward.
//! - [`expected_value_difference`]: Levine, Popović and Koltun's (2011) expected value
//!   difference between the optimal policy of the true reward and that of the learned
//!   reward, both valued under the true reward, and the Pearson correlation of the two
//!   rewards ([`reward_correlation`]).
//!
//! Policies are S×A matrices π(a|s); rows of terminal states are ignored (V = 0 there).

mod baselines;
mod displacement;
mod evd;
mod forecasting;
mod heldout;
mod optimal_policy;
mod policy_evaluation;
mod walkers;

pub use baselines::{empirical_move_nll, uniform_walk_nll};
pub use displacement::{ade_fde, constant_velocity, median_step, min_ade_fde, straight_walk};
pub use evd::{
    expected_value_difference, reward_correlation, EvdSettings, ExpectedValueDifference, ValueGap,
};
pub use forecasting::{
    evaluate_forecasts, expected_positions, policies_for, step_nlls, DisplacementScores,
    ForecastReport, ForecastSettings, HeldOutTrack, StepNlls,
};
pub use heldout::{evaluate, evaluate_by_goal, evaluate_model, score, HeldOutMetrics};
pub use optimal_policy::{
    greedy_policy, hard_value_iteration, soft_optimal_policy, HardSolution, ValueIterationSettings,
};
pub use policy_evaluation::{evaluate_policy, PolicyEvaluationSettings, DENSE_STATE_LIMIT};
pub use walkers::{
    constant_velocity_log_probability, fit_constant_velocity, fit_goal_directed,
    goal_directed_log_probability, mean_nll, ScoredStep, MAX_BETA,
};

use crate::error::{Error, Result};
use crate::mdp::{Mdp, Reward};

/// Check that `reward` has one finite value per state (or per state-action pair) of `mdp`.
pub(crate) fn check_reward(mdp: &Mdp, reward: &Reward, name: &'static str) -> Result<()> {
    let expected = if reward.is_per_action() {
        mdp.n_states() * mdp.n_actions()
    } else {
        mdp.n_states()
    };
    let values = reward.values();
    if values.len() != expected {
        return Err(Error::param(
            name,
            format!("has {} values, expected {expected}", values.len()),
        ));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::param(
            name,
            format!("value {i} is {}, not a finite number", values[i]),
        ));
    }
    Ok(())
}

/// Check that the discount is in (0, 1].
pub(crate) fn check_discount(discount: f64) -> Result<()> {
    if discount > 0.0 && discount <= 1.0 {
        Ok(())
    } else {
        Err(Error::param(
            "discount",
            format!("{discount} is not in (0, 1]"),
        ))
    }
}
