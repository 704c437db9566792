//! Inference in the control-as-inference model: the soft backward pass (soft value
//! iteration), the forward pass (occupancy, expected features) and sampling.
//!
//! [`solve`] runs both passes for a linear reward r = θ·f and returns a [`Solution`].
//! The kernels read the transitions in layouts of their own, built from the MDP's CSR
//! rows ([`KernelLayout`]); a [`SoftProblem`] builds one, or shares one among the MDPs
//! that hold the same transitions.
//!
//! The kernels use `unsafe` where unchecked indexing or raw pointers were measured to be
//! faster than checked slices in the innermost loops; every unsafe block states why its
//! operations are in bounds (`SAFETY:`), and every unsafe function states what its caller
//! must guarantee (`# Safety`).

#![deny(clippy::undocumented_unsafe_blocks)]

mod available;
mod backward;
mod chunks;
mod diagonal_kernels;
mod fastmath;
mod fixed_point;
mod forward;
mod kernel;
mod layout;
mod lockstep;
mod matrix_kernels;
mod memory;
mod overflow;
mod propagate;
mod sample;
mod settings;
mod shared_slice;
mod solution;

pub use backward::{backward, backward_reusing, SoftValues};
pub use forward::{forward, state_action_occupancy, Occupancy};
pub use kernel::{log_add_exp, SoftProblem};
pub use layout::KernelLayout;
pub use memory::{available_memory, format_bytes, product, MemoryEstimate, MemoryLimit};
pub use sample::{draw, sample, sample_policy};
pub use settings::{ActionPrior, Backup, SoftSettings};
pub use solution::{q_and_policy, Solution, Timing, SOLUTION_FORMAT};

pub(crate) use chunks::{for_each_state_chunk, on_pool, scratch_for};
pub(crate) use fixed_point::iterate_to_fixed_point;
pub(crate) use overflow::name_weights;
pub(crate) use propagate::{add_acting, Carry, Propagator, Totals};

use std::time::Instant;

use ndarray::ArrayView1;

use crate::error::{Error, Result};
use crate::mdp::Mdp;

/// Solve the soft dynamic program for r = θ·f from the MDP's initial distribution.
///
/// `arrays` also computes Q_t, π_t (T·S·A numbers each) and the occupancy rows.
///
/// # Example
///
/// State 0 either leaves for the terminal state 1 (action 0) or stays (action 1), with
/// reward θ for every step spent there (one feature, 1 in state 0); hidden lines build
/// this MDP.
/// Over T = 2 decisions, by hand, V_0(0) = θ + ln(1 + 2e^θ) and
/// π_0(leave | 0) = 1 / (1 + 2e^θ):
///
/// ```
/// use irl::inference::{solve, SoftSettings};
/// # use irl::mdp::{FeatureTable, Features, Transitions};
/// # use irl::{Mdp, MdpParts};
/// # use ndarray::array;
/// # let transitions = Transitions::from_arrays(2, 2, &[0, 0], &[0, 1], &[1, 0], &[1.0, 1.0])?;
/// # let table = FeatureTable::State(array![[1.0], [0.0]]);
/// # let features = Features::new(vec!["here".into()], table)?;
/// # let parts = MdpParts { transitions, initial: Some(vec![1.0, 0.0]), terminal: vec![1],
/// #     features, action_names: None, grid: None };
/// # let mdp = Mdp::new(parts)?;
/// let theta = -1.0_f64;
/// let solution = solve(&mdp, array![theta].view(), &SoftSettings::finite(2, 1.0), true)?;
/// assert!((solution.log_partition - (theta + (1.0 + 2.0 * theta.exp()).ln())).abs() < 1e-12);
/// let (_q, pi) = solution.q_and_policy.expect("asked for");
/// assert!((pi[[0, 0, 0]] - 1.0 / (1.0 + 2.0 * theta.exp())).abs() < 1e-12);
/// # Ok::<(), irl::Error>(())
/// ```
pub fn solve(
    mdp: &Mdp,
    theta: ArrayView1<f64>,
    settings: &SoftSettings,
    arrays: bool,
) -> Result<Solution> {
    settings.check(mdp)?;
    settings.check_way_out(mdp)?;
    if theta.len() != mdp.features().dim() {
        return Err(Error::param(
            "weights",
            format!(
                "has {} entries but the MDP has {} features",
                theta.len(),
                mdp.features().dim()
            ),
        ));
    }
    if let Some(i) = theta.iter().position(|w| !w.is_finite()) {
        return Err(Error::param(
            "weights",
            format!("weights[{i}] = {} is not finite", theta[i]),
        ));
    }
    MemoryEstimate::solve(mdp, settings, arrays).check("this solve", settings.memory_limit)?;
    let reward = mdp.features().reward(theta, mdp.n_actions());
    let problem = SoftProblem::new(mdp, reward, settings.clone());
    let clock = Instant::now();
    let values = backward(&problem).map_err(|e| name_weights(e, theta, mdp.features().names()))?;
    let backward_seconds = clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    let occupancy = forward(&problem, &values, mdp.initial(), arrays)?;
    let forward_seconds = clock.elapsed().as_secs_f64();
    let q_and_policy = arrays.then(|| q_and_policy(&problem, &values));
    let solution = Solution {
        settings: settings.clone(),
        log_partition: values.log_partition(mdp.initial()),
        values,
        occupancy,
        q_and_policy,
        timing: Timing {
            backward_seconds,
            forward_seconds,
        },
    };
    solution.check_finite()?;
    Ok(solution)
}
