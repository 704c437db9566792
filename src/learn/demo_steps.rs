//! Demonstrations arranged by decision step, the form the likelihood needs.
//!
//! With a horizon T, step t of a demonstration of L ≤ T actions is decision t of the
//! T-step problem (`Alignment::Start`, the default of docs/FORMATS.md), or decision T − L + t when
//! each demonstration is its own L-step problem (`Alignment::OwnHorizon`: the last L
//! decisions of a time-homogeneous T-step problem are an L-step problem). Without a
//! horizon every step uses the stationary policy, so all steps are pooled.

use std::collections::{BTreeMap, HashMap};

use crate::demos::Demonstrations;
use crate::error::{quote, Error, Result};
use crate::inference::SoftSettings;

/// How a demonstration's steps map onto the decisions of a finite-horizon problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alignment {
    /// Step t is decision t.
    #[default]
    Start,
    /// A demonstration of L actions is an L-step problem: step t is decision T − L + t.
    OwnHorizon,
}

/// Demonstrated (state, action) counts per decision step. Only the decisions that some
/// demonstration takes are stored, so its size follows the demonstrations, never the
/// horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSteps {
    /// `pairs[&t]` lists (s, a, count) at decision t; one pooled list (t = 0) without a
    /// horizon.
    pairs: BTreeMap<usize, Vec<(usize, usize, f64)>>,
    n_actions: usize,
    /// The horizon the steps were arranged for.
    horizon: Option<usize>,
}

impl DemoSteps {
    /// Arrange `demos` for a problem with `horizon` (`None`: stationary).
    ///
    /// Fails if a demonstration is longer than the horizon or there is no action at all.
    /// A demonstration's length is its number of actions, so one of n decisions needs
    /// T ≥ n whether or not it lists the state its last action led to.
    pub fn new(
        demos: &Demonstrations,
        horizon: Option<usize>,
        alignment: Alignment,
    ) -> Result<Self> {
        let mut counts: HashMap<usize, HashMap<(usize, usize), f64>> = HashMap::new();
        for traj in &demos.trajectories {
            let len = traj.len();
            let offset = match (horizon, alignment) {
                (Some(h), _) if len > h => {
                    return Err(Error::LongerThanHorizon {
                        trajectory: quote(&traj.id).into_owned(),
                        actions: len,
                        horizon: h,
                    })
                }
                (Some(h), Alignment::OwnHorizon) => h - len,
                _ => 0,
            };
            for (t, (s, a)) in traj.steps().enumerate() {
                let slot = if horizon.is_some() { offset + t } else { 0 };
                *counts.entry(slot).or_default().entry((s, a)).or_insert(0.0) += 1.0;
            }
        }
        let n_actions = demos.n_actions();
        if n_actions == 0 {
            return Err(Error::demos(
                "demonstrations",
                "there is no demonstrated action",
            ));
        }
        let pairs = counts
            .into_iter()
            .map(|(slot, m)| {
                let mut v: Vec<_> = m.into_iter().map(|((s, a), c)| (s, a, c)).collect();
                v.sort_by_key(|&(s, a, _)| (s, a));
                (slot, v)
            })
            .collect();
        Ok(Self {
            pairs,
            n_actions,
            horizon,
        })
    }

    /// The horizon the steps were arranged for (`None`: stationary).
    pub fn horizon(&self) -> Option<usize> {
        self.horizon
    }

    /// Fail unless the steps were arranged for the horizon of `settings`.
    pub fn check_horizon(&self, settings: &SoftSettings) -> Result<()> {
        if self.horizon == settings.horizon {
            return Ok(());
        }
        let describe =
            |h: Option<usize>| h.map_or("no horizon".to_string(), |t| format!("horizon {t}"));
        Err(Error::param(
            "horizon",
            format!(
                "the demonstrations were arranged for {} but the solver has {}",
                describe(self.horizon),
                describe(settings.horizon)
            ),
        ))
    }

    /// (s, a, count) at decision `t` (the pooled list when stationary).
    pub fn at(&self, t: usize) -> &[(usize, usize, f64)] {
        self.pairs.get(&t).map_or(&[], Vec::as_slice)
    }

    /// Total number of demonstrated actions.
    pub fn n_actions(&self) -> usize {
        self.n_actions
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demos::Trajectory;

    fn demos() -> Demonstrations {
        Demonstrations::new(vec![
            Trajectory {
                id: "a".into(),
                states: vec![0, 1, 2],
                actions: vec![1, 0],
            },
            Trajectory {
                id: "b".into(),
                states: vec![0, 1],
                actions: vec![1],
            },
        ])
    }

    #[test]
    fn steps_follow_the_alignment() {
        let start = DemoSteps::new(&demos(), Some(3), Alignment::Start).unwrap();
        assert_eq!(start.at(0), &[(0, 1, 2.0)]);
        assert_eq!(start.at(1), &[(1, 0, 1.0)]);
        assert!(start.at(2).is_empty());
        let own = DemoSteps::new(&demos(), Some(3), Alignment::OwnHorizon).unwrap();
        assert!(own.at(0).is_empty());
        assert_eq!(own.at(1), &[(0, 1, 1.0)]);
        assert_eq!(own.at(2), &[(0, 1, 1.0), (1, 0, 1.0)]);
        let pooled = DemoSteps::new(&demos(), None, Alignment::Start).unwrap();
        assert_eq!(pooled.at(0), &[(0, 1, 2.0), (1, 0, 1.0)]);
        assert_eq!(pooled.n_actions(), 3);
        assert!(DemoSteps::new(&demos(), Some(1), Alignment::Start).is_err());
    }

    #[test]
    fn a_long_horizon_stores_only_the_decisions_demonstrations_take() {
        // 2^40 decisions: a list per decision would be 26 TiB.
        let far = DemoSteps::new(&demos(), Some(1 << 40), Alignment::OwnHorizon).unwrap();
        assert_eq!(far.pairs.len(), 2);
        assert_eq!(far.at((1 << 40) - 1), &[(0, 1, 1.0), (1, 0, 1.0)]);
        assert!(far.at(0).is_empty());
    }
}
