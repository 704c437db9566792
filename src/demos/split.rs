//! A seeded train / held-out split of demonstrations by trajectory.
//!
//! Of n ≥ 2 trajectories, round(f·n) clamped to 1..=n−1 are held out, so each side has at
//! least one. The held-out ones are the first of a ChaCha8 shuffle of 0..n seeded by
//! `seed`, so a seed always gives the same split; both sides keep the file order.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::Demonstrations;
use crate::error::{Error, Result};

/// Two disjoint sets of trajectories that together make up the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Demonstrations,
    pub held_out: Demonstrations,
}

/// Hold out a fraction `held_out_fraction` ∈ (0, 1) of the trajectories, chosen by `seed`.
pub fn split_demos(demos: &Demonstrations, held_out_fraction: f64, seed: u64) -> Result<Split> {
    if !(held_out_fraction > 0.0 && held_out_fraction < 1.0) {
        return Err(Error::param(
            "held_out_fraction",
            format!("{held_out_fraction} is not in (0, 1)"),
        ));
    }
    let n = demos.len();
    if n < 2 {
        return Err(Error::demos(
            "demonstrations",
            format!("{n} trajectories cannot be split; a train / held-out split needs at least 2"),
        ));
    }
    let n_held_out = ((held_out_fraction * n as f64).round() as usize).clamp(1, n - 1);
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut held_out = vec![false; n];
    for &i in &order[..n_held_out] {
        held_out[i] = true;
    }
    let mut split = Split {
        train: Demonstrations::default(),
        held_out: Demonstrations::default(),
    };
    for (trajectory, is_held) in demos.trajectories.iter().zip(held_out) {
        let side = if is_held {
            &mut split.held_out
        } else {
            &mut split.train
        };
        side.trajectories.push(trajectory.clone());
    }
    Ok(split)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demos::Trajectory;

    fn demos(n: usize) -> Demonstrations {
        Demonstrations::new(
            (0..n)
                .map(|i| Trajectory {
                    id: format!("t{i}"),
                    states: vec![i, i + 1],
                    actions: vec![0],
                })
                .collect(),
        )
    }

    fn ids(side: &Demonstrations) -> Vec<String> {
        side.trajectories.iter().map(|t| t.id.clone()).collect()
    }

    #[test]
    fn split_is_reproducible_disjoint_covering_and_in_file_order() {
        let all = demos(20);
        let split = split_demos(&all, 0.25, 7).unwrap();
        assert_eq!(split, split_demos(&all, 0.25, 7).unwrap());
        assert_eq!((split.train.len(), split.held_out.len()), (15, 5));
        let mut both = ids(&split.train);
        both.extend(ids(&split.held_out));
        both.sort_by_key(|id| id[1..].parse::<usize>().unwrap());
        assert_eq!(both, ids(&all));
        for side in [&split.train, &split.held_out] {
            let positions: Vec<usize> = ids(side)
                .iter()
                .map(|id| id[1..].parse().unwrap())
                .collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        }
        let others: Vec<Vec<String>> = (0..5)
            .map(|seed| ids(&split_demos(&all, 0.25, seed).unwrap().held_out))
            .collect();
        assert!(others.iter().any(|held| *held != ids(&split.held_out)));
    }

    #[test]
    fn each_side_keeps_at_least_one_trajectory() {
        assert_eq!(split_demos(&demos(2), 0.01, 1).unwrap().held_out.len(), 1);
        assert_eq!(split_demos(&demos(2), 0.99, 1).unwrap().train.len(), 1);
        assert_eq!(split_demos(&demos(10), 0.34, 1).unwrap().held_out.len(), 3);
        assert!(split_demos(&demos(1), 0.5, 1).is_err());
        for fraction in [0.0, 1.0, f64::NAN] {
            assert!(split_demos(&demos(10), fraction, 1).is_err());
        }
    }
}
