//! Forecasting where a walker will go under a fitted reward.
//!
//! From a start state s_0, the soft-optimal policy of r = θ·f moves probability mass
//! forward: D_0 = e_{s_0}, D_{t+1}(s') = Σ_{s,a} D_t(s) π_t(a|s) p(s'|s,a), for N steps.
//! With a goal g the MDP has g terminal (as in goal-conditioned fitting); mass that
//! arrives at a terminal state stops there. Reported per state:
//!
//! - `visits(s) = Σ_{t=0}^{N} D_t(s)` over non-terminal s, plus for terminal s the
//!   probability of having arrived by step N: the expected number of steps spent in s
//!   (arrivals counted once), which sums to the expected path length + 1;
//! - `arrived`: the probability of having reached a terminal state by step N.
//!
//! Without a goal and with training goals g_i seen c_i times, the forecast is the mixture
//! Σ_i c_i·forecast(g_i) / Σ_i c_i (goals equal to the start are skipped). The goals'
//! MDPs share the MDP's transitions, and so one kernels' layout of them.

use std::sync::Arc;

use ndarray::ArrayView1;
use rayon::prelude::*;

use super::goals::{goal_mdp, Goal};
use crate::error::{Error, Result};
use crate::inference::{
    backward, name_weights, on_pool, Carry, KernelLayout, Propagator, SoftProblem, SoftSettings,
    Totals,
};
use crate::mdp::Mdp;

/// A predicted visitation distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub start: usize,
    pub goal: Option<Goal>,
    pub steps: usize,
    /// Expected steps spent in each state (arrivals at terminal states counted once).
    pub visits: Vec<f64>,
    /// Probability of having reached a terminal state within the steps.
    pub arrived: f64,
}

/// Forecast from `start` for `steps` steps, towards `goal` or, without one, mixed over
/// the training `goals` by their counts (or in the MDP as it is when there are none).
///
/// # Example
///
/// State 0 either leaves for the terminal state 1 (action 0) or stays (action 1), with
/// reward θ for every step spent there (one feature, 1 in state 0); hidden lines build
/// this MDP.
/// From state 0 over two steps, with p = π_0(stay | 0) = 2e^θ / (1 + 2e^θ) and
/// π_1(stay | 0) = 1/2: state 0 is visited 1 + p + p/2 times on average and the walker
/// has left with probability 1 − p/2:
///
/// ```
/// use irl::inference::SoftSettings;
/// use irl::learn::forecast;
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
/// let f = forecast(&mdp, &SoftSettings::finite(2, 1.0), array![theta].view(), 0, None, 2, &[])?;
/// let p = 2.0 * theta.exp() / (1.0 + 2.0 * theta.exp());
/// assert!((f.visits[0] - (1.0 + p + p / 2.0)).abs() < 1e-12);
/// assert!((f.arrived - (1.0 - p / 2.0)).abs() < 1e-12);
/// # Ok::<(), irl::Error>(())
/// ```
pub fn forecast(
    mdp: &Mdp,
    settings: &SoftSettings,
    theta: ArrayView1<f64>,
    start: usize,
    goal: Option<&Goal>,
    steps: usize,
    goals: &[Goal],
) -> Result<Forecast> {
    let goal_states = goal.iter().flat_map(|g| g.states.iter().copied());
    for (name, state) in std::iter::once(("start", start)).chain(goal_states.map(|s| ("goal", s))) {
        if let Some(s) = Some(state).filter(|&s| s >= mdp.n_states()) {
            return Err(Error::param(
                name,
                format!("state {s} is out of range 0..{}", mdp.n_states()),
            ));
        }
    }
    if let Some(horizon) = settings.horizon.filter(|&h| steps > h) {
        return Err(Error::param(
            "steps",
            format!("{steps} exceeds the model's horizon {horizon}"),
        ));
    }
    let layout = Arc::new(KernelLayout::new(mdp));
    let single = |task_mdp: &Mdp| -> Result<(Vec<f64>, f64)> {
        on_pool(settings.parallel, || {
            towards(task_mdp, &layout, settings, theta, start, steps)
        })
    };
    let (visits, arrived) = match (goal, goals.is_empty()) {
        (Some(g), _) => single(&goal_mdp(mdp, g)?)?,
        (None, true) => single(mdp)?,
        (None, false) => {
            let used: Vec<&Goal> = goals.iter().filter(|g| !g.contains(start)).collect();
            let total: f64 = used.iter().map(|g| g.count as f64).sum();
            if total == 0.0 {
                return Err(Error::param(
                    "start",
                    "the only training goal is the start state itself",
                ));
            }
            let parts = used
                .par_iter()
                .map(|g| Ok((g.count as f64 / total, single(&goal_mdp(mdp, g)?)?)))
                .collect::<Result<Vec<_>>>()?;
            let mut visits = vec![0.0; mdp.n_states()];
            let mut arrived = 0.0;
            for (w, (v, a)) in parts {
                visits.iter_mut().zip(&v).for_each(|(x, y)| *x += w * y);
                arrived += w * a;
            }
            (visits, arrived)
        }
    };
    Ok(Forecast {
        start,
        goal: goal.cloned(),
        steps,
        visits,
        arrived,
    })
}

/// The forecast in `mdp`, whose transitions' layout is `layout`.
fn towards(
    mdp: &Mdp,
    layout: &Arc<KernelLayout>,
    settings: &SoftSettings,
    theta: ArrayView1<f64>,
    start: usize,
    steps: usize,
) -> Result<(Vec<f64>, f64)> {
    let problem = SoftProblem::with_layout(
        mdp,
        Arc::clone(layout),
        mdp.features().reward(theta, mdp.n_actions()),
        settings.clone(),
    );
    let values = backward(&problem).map_err(|e| name_weights(e, theta, mdp.features().names()))?;
    let n = mdp.n_states();
    let mut d = vec![0.0; n];
    d[start] = 1.0;
    let mut visits = d.clone();
    let mut next = vec![0.0; n];
    let mut propagator = Propagator::new(&problem);
    let mut arrived = if mdp.is_terminal(start) { 1.0 } else { 0.0 };
    for t in 0..steps {
        let next_v = values.next(t);
        let next_v = next_v.as_slice().expect("contiguous values");
        propagator.step(
            &problem,
            next_v,
            &d,
            Carry::Dynamics,
            false,
            &mut next,
            Totals::default(),
        );
        std::mem::swap(&mut d, &mut next);
        for (s, x) in d.iter().enumerate() {
            visits[s] += x;
            if mdp.is_terminal(s) {
                arrived += x;
            }
        }
    }
    Ok((visits, arrived))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdp::{Features, MdpParts, Transitions};
    use ndarray::array;

    /// A corridor 0 – 1 – 2 – 3 – 4 with moves left (0) and right (1); walls stay put.
    fn corridor() -> Mdp {
        let (mut s, mut a, mut next) = (vec![], vec![], vec![]);
        for state in 0..5usize {
            s.extend([state, state]);
            a.extend([0, 1]);
            next.extend([state.saturating_sub(1), (state + 1).min(4)]);
        }
        let transitions = Transitions::from_arrays(5, 2, &s, &a, &next, &[1.0; 10]).unwrap();
        let features = Features::new(
            vec!["step".into()],
            crate::mdp::FeatureTable::State(ndarray::Array2::ones((5, 1))),
        )
        .unwrap();
        Mdp::new(MdpParts {
            transitions,
            initial: None,
            terminal: vec![],
            features,
            action_names: None,
            grid: None,
        })
        .unwrap()
    }

    #[test]
    fn walker_heads_for_its_goal_and_mixtures_weigh_goals_by_count() {
        let mdp = corridor();
        let settings = SoftSettings::finite(6, 1.0);
        let theta = array![-30.0];
        // A step costs 30: from 2 towards goal 4 the walker goes right twice, surely.
        let f = forecast(
            &mdp,
            &settings,
            theta.view(),
            2,
            Some(&Goal::state(4, 0)),
            6,
            &[],
        )
        .unwrap();
        let expected = [0.0, 0.0, 1.0, 1.0, 1.0];
        for (v, e) in f.visits.iter().zip(expected) {
            assert!((v - e).abs() < 1e-9, "{:?}", f.visits);
        }
        assert!((f.arrived - 1.0).abs() < 1e-9);
        let goals = [Goal::state(0, 1), Goal::state(4, 3), Goal::state(2, 5)];
        let mix = forecast(&mdp, &settings, theta.view(), 2, None, 6, &goals).unwrap();
        let left = forecast(
            &mdp,
            &settings,
            theta.view(),
            2,
            Some(&Goal::state(0, 0)),
            6,
            &[],
        )
        .unwrap();
        for s in 0..5 {
            let want = 0.25 * left.visits[s] + 0.75 * f.visits[s];
            assert!((mix.visits[s] - want).abs() < 1e-12);
        }
        assert!(forecast(&mdp, &settings, theta.view(), 2, None, 7, &goals).is_err());
        assert!(forecast(&mdp, &settings, theta.view(), 9, None, 3, &goals).is_err());
    }
}
