//! Forecast evaluation the way pedestrian forecasting is scored, and the step NLLs of a
//! goal-conditioned model against walker baselines, on the same held-out steps.
//!
//! **Windows.** Every held-out track of n ≥ O + P positions (one per time step) gives the
//! windows t_0 = 0 … n − O − P (stride 1): observe positions t_0 … t_0 + O − 1, predict the
//! next P. Shorter tracks are counted and skipped. The observed positions are matched to
//! the MDP's states on their own ([`match_positions`]), so nothing after the window's
//! observation leaks in; a forecast position is the predicted cell's centre shifted by the
//! last observed position's offset from its own cell's centre. Methods
//! (see [`displacement`](super::displacement) for the errors):
//! - `model`: the posterior mixture over the training goals ([`GoalPolicies`]); its
//!   expected position, and K samples for minADE_K / minFDE_K;
//! - `model_true_goal`: the same with the track's destination known: the goal its step
//!   NLLs are scored under ([`GoalPolicies::destination_of`]: the training goal that holds
//!   its last state, else the region of the model's goal rule around it), so the forecast
//!   is asked for the kind of destination the model was fitted to reach;
//! - `constant_velocity` from the last two observed positions;
//! - `straight_walk` to the track's last position at the training tracks' median speed.
//!
//! **Whole tracks.** Given its destination (as for `model_true_goal`) and its first two positions, the model's expected
//! position at every later step of the track against the straight walk from the second
//! position to the last at the median speed: ADE over all those steps.
//!
//! **Step NLLs.** The held-out demonstrations cut at their goals, as the model is scored
//! ([`group_by_goal`]); every baseline sees exactly those steps: the model with the goal
//! known, the model inferring it online (each step's action scored under the posterior
//! from the steps before it), the uniform walk, the per-state move frequency of the
//! training steps, the goal-directed walker and the constant-velocity walker
//! ([`walkers`](super::walkers)), both fitted on the training steps.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::baselines::empirical_move_nll;
use super::displacement::{ade_fde, constant_velocity, median_step, min_ade_fde, straight_walk};
use super::heldout::evaluate_model;
use super::walkers::{
    constant_velocity_log_probability, fit_constant_velocity, fit_goal_directed,
    goal_directed_log_probability, mean_nll, ScoredStep,
};
use crate::demos::Demonstrations;
use crate::error::{Error, Result};
use crate::inference::MemoryEstimate;
use crate::learn::{
    goal_of, group_by_goal, FittedModel, Goal, GoalGroup, GoalPolicies, GOAL_NEEDS,
};
use crate::mdp::Mdp;
use crate::tracks::match_positions;
use rayon::prelude::*;

/// Settings of a forecast evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ForecastSettings {
    pub observe: usize,
    pub predict: usize,
    /// K of minADE_K / minFDE_K.
    pub samples: usize,
    pub seed: u64,
}

impl Default for ForecastSettings {
    fn default() -> Self {
        Self {
            observe: 8,
            predict: 12,
            samples: 20,
            seed: 0,
        }
    }
}

/// Displacement errors of one method, metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DisplacementScores {
    pub ade: f64,
    pub fde: f64,
    /// The best ADE of K samples (K = the settings' `samples`, 20 by default).
    #[serde(rename = "min_ade_20", skip_serializing_if = "Option::is_none")]
    pub min_ade: Option<f64>,
    /// The best FDE of K samples.
    #[serde(rename = "min_fde_20", skip_serializing_if = "Option::is_none")]
    pub min_fde: Option<f64>,
}

/// The forecast part of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastReport {
    pub settings: ForecastSettings,
    pub windows: usize,
    pub tracks: usize,
    /// Held-out tracks shorter than observe + predict positions.
    pub tracks_too_short: usize,
    /// Windows whose observed positions could not be matched to the grid.
    pub windows_unmatched: usize,
    /// Metres a step of the straight walk.
    pub median_speed: f64,
    pub methods: BTreeMap<String, DisplacementScores>,
    /// Whole tracks from their first two positions, true goal known: ADE, metres.
    pub whole_track_tracks: usize,
    pub whole_track_model_ade: f64,
    pub whole_track_straight_walk_ade: f64,
}

/// Step NLLs of a model and its baselines on the same steps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepNlls {
    pub steps: usize,
    pub trajectories: usize,
    /// Held-out demonstrations left out because they start in their goal.
    pub trajectories_starting_in_goal: usize,
    pub model: f64,
    pub model_inferred_goal: f64,
    pub uniform_walk: f64,
    pub move_frequency: f64,
    pub goal_directed_walker: f64,
    pub goal_directed_beta: f64,
    pub constant_velocity_walker: f64,
    pub constant_velocity_p: f64,
}

/// A held-out track: its demonstration (states of the MDP) and positions, one per state.
#[derive(Debug, Clone, Copy)]
pub struct HeldOutTrack<'a> {
    pub states: &'a [usize],
    pub positions: &'a [(f64, f64)],
}

fn scored_steps(mdp: &Mdp, groups: &[GoalGroup]) -> Vec<ScoredStep> {
    let mut steps = Vec::new();
    for g in groups {
        let goal = goal_centre(mdp, &g.goal);
        for t in &g.demos.trajectories {
            for (i, (s, a)) in t.steps().enumerate() {
                steps.push(ScoredStep {
                    state: s,
                    action: a,
                    previous: i.checked_sub(1).map(|j| t.actions[j]),
                    goal,
                });
            }
        }
    }
    steps
}

fn goal_centre(mdp: &Mdp, goal: &Goal) -> (f64, f64) {
    match goal.centre {
        Some([x, y]) => (x, y),
        None => {
            let grid = mdp.grid().expect("goals on a grid");
            let n = goal.states.len() as f64;
            let (sx, sy) = goal.states.iter().fold((0.0, 0.0), |(a, b), &s| {
                let (x, y) = grid.cell_centre(grid.cell_of(s));
                (a + x, b + y)
            });
            (sx / n, sy / n)
        }
    }
}

/// Step NLLs of `model` and the baselines on held-out `demos` (see the module docs).
pub fn step_nlls(
    mdp: &Mdp,
    model: &FittedModel,
    policies: &GoalPolicies,
    train: &Demonstrations,
    demos: &Demonstrations,
) -> Result<StepNlls> {
    let held_groups = group_by_goal(mdp, demos, &model.goals, model.goal_rule)?;
    let train_groups = group_by_goal(mdp, train, &model.goals, model.goal_rule)?;
    let cut = |groups: &[GoalGroup]| {
        Demonstrations::new(
            groups
                .iter()
                .flat_map(|g| g.demos.trajectories.iter().cloned())
                .collect(),
        )
    };
    let (held, train_cut) = (cut(&held_groups), cut(&train_groups));
    if held.is_empty() {
        return Err(Error::demos(
            "held-out demonstrations",
            "every one starts in its goal: there is no step to score",
        ));
    }
    let metrics = evaluate_model(mdp, model, &held, None)?;
    let (mut inferred, mut n) = (0.0, 0usize);
    for t in &held.trajectories {
        for (i, (s, a)) in t.steps().enumerate() {
            let w = policies.posterior(&t.states[..=i], &t.actions[..i]);
            let p = policies.mixture_probability(&w, s, a);
            inferred -= p.max(f64::MIN_POSITIVE).ln();
            n += 1;
        }
    }
    let held_steps = scored_steps(mdp, &held_groups);
    let train_steps = scored_steps(mdp, &train_groups);
    let beta = fit_goal_directed(mdp, &train_steps);
    let p = fit_constant_velocity(mdp, &train_steps);
    Ok(StepNlls {
        steps: metrics.n_actions,
        trajectories: held.len(),
        trajectories_starting_in_goal: demos.len() - held.len(),
        model: metrics.nll_per_action,
        model_inferred_goal: inferred / n as f64,
        uniform_walk: super::uniform_walk_nll(mdp, &held),
        move_frequency: empirical_move_nll(mdp, &train_cut, &held, 1.0),
        goal_directed_walker: mean_nll(&held_steps, |s| {
            goal_directed_log_probability(mdp, s, beta)
        }),
        goal_directed_beta: beta,
        constant_velocity_walker: mean_nll(&held_steps, |s| {
            constant_velocity_log_probability(mdp, s, p)
        }),
        constant_velocity_p: p,
    })
}

/// Expected position and samples as positions, shifted by `offset`.
fn positions_of(mdp: &Mdp, states: &[usize], offset: (f64, f64)) -> Vec<(f64, f64)> {
    let grid = mdp.grid().expect("a grid");
    states
        .iter()
        .map(|&s| {
            let (x, y) = grid.cell_centre(grid.cell_of(s));
            (x + offset.0, y + offset.1)
        })
        .collect()
}

/// The expected position at each of `steps` steps from `start` under the mixture
/// `weights`: Σ_s D_t(s)·centre(s) / Σ_s D_t(s), shifted by `offset` (metres).
pub fn expected_positions(
    mdp: &Mdp,
    policies: &GoalPolicies,
    weights: &[f64],
    start: usize,
    steps: usize,
    offset: (f64, f64),
) -> Vec<(f64, f64)> {
    let grid = mdp.grid().expect("a grid");
    policies
        .occupancy(weights, start, steps)
        .iter()
        .map(|d| {
            let (mut x, mut y, mut total) = (0.0, 0.0, 0.0);
            for &(s, p) in d {
                let (cx, cy) = grid.cell_centre(grid.cell_of(s));
                x += p * cx;
                y += p * cy;
                total += p;
            }
            (x / total + offset.0, y / total + offset.1)
        })
        .collect()
}

/// The offset of the last position from the centre of its matched state's cell.
fn offset(mdp: &Mdp, state: usize, position: (f64, f64)) -> (f64, f64) {
    let grid = mdp.grid().expect("a grid");
    let (cx, cy) = grid.cell_centre(grid.cell_of(state));
    (position.0 - cx, position.1 - cy)
}

#[derive(Default)]
struct Sums {
    ade: f64,
    fde: f64,
    min_ade: f64,
    min_fde: f64,
    n: usize,
}

impl Sums {
    fn add(&mut self, (ade, fde): (f64, f64), min: Option<(f64, f64)>) {
        self.ade += ade;
        self.fde += fde;
        if let Some((a, f)) = min {
            self.min_ade += a;
            self.min_fde += f;
        }
        self.n += 1;
    }

    fn scores(&self, with_min: bool) -> DisplacementScores {
        let n = self.n.max(1) as f64;
        DisplacementScores {
            ade: self.ade / n,
            fde: self.fde / n,
            min_ade: with_min.then_some(self.min_ade / n),
            min_fde: with_min.then_some(self.min_fde / n),
        }
    }
}

/// What one held-out track adds to a forecast evaluation.
#[derive(Default)]
struct TrackPart {
    sums: BTreeMap<&'static str, Sums>,
    windows: usize,
    unmatched: usize,
    short: usize,
    used: usize,
    whole_model: f64,
    whole_walk: f64,
    whole_n: usize,
}

impl TrackPart {
    fn merge(&mut self, other: TrackPart) {
        for (name, s) in other.sums {
            let mine = self.sums.entry(name).or_default();
            mine.ade += s.ade;
            mine.fde += s.fde;
            mine.min_ade += s.min_ade;
            mine.min_fde += s.min_fde;
            mine.n += s.n;
        }
        self.windows += other.windows;
        self.unmatched += other.unmatched;
        self.short += other.short;
        self.used += other.used;
        self.whole_model += other.whole_model;
        self.whole_walk += other.whole_walk;
        self.whole_n += other.whole_n;
    }
}

/// The windows and the whole-track forecast of one held-out track.
fn forecast_track(
    mdp: &Mdp,
    policies: &GoalPolicies,
    track: &HeldOutTrack,
    speed: f64,
    settings: ForecastSettings,
    rng: &mut ChaCha8Rng,
) -> Result<TrackPart> {
    let (o, h) = (settings.observe, settings.predict);
    let mut part = TrackPart::default();
    let n = track.positions.len();
    let last_state = *track.states.last().expect("a state");
    let goal = policies.destination_of(last_state);
    let g = policies
        .goals()
        .iter()
        .position(|x| x.states == goal.states)
        .ok_or_else(|| Error::param("policies", "a held-out track's destination is missing"))?;
    let mut known = vec![0.0; policies.goals().len()];
    known[g] = 1.0;
    let end = track.positions[n - 1];
    if let Some(piece) = match_positions(mdp, &track.positions[..2]) {
        let s = *piece.states.last().expect("a state");
        if n > 2 && !goal.contains(s) {
            let off = offset(mdp, s, track.positions[1]);
            let forecast = expected_positions(mdp, policies, &known, s, n - 2, off);
            let walk = straight_walk(track.positions[1], end, speed, n - 2);
            part.whole_model += ade_fde(&forecast, &track.positions[2..]).0;
            part.whole_walk += ade_fde(&walk, &track.positions[2..]).0;
            part.whole_n += 1;
        }
    }
    if n < o + h {
        part.short += 1;
        return Ok(part);
    }
    part.used += 1;
    for t0 in 0..=n - o - h {
        part.windows += 1;
        let observed = &track.positions[t0..t0 + o];
        let truth = &track.positions[t0 + o..t0 + o + h];
        let last = observed[o - 1];
        let cv = constant_velocity(observed[o - 2], last, h);
        part.sums
            .entry("constant_velocity")
            .or_default()
            .add(ade_fde(&cv, truth), None);
        let walk = straight_walk(last, end, speed, h);
        part.sums
            .entry("straight_walk")
            .or_default()
            .add(ade_fde(&walk, truth), None);
        let Some(piece) = match_positions(mdp, observed) else {
            part.unmatched += 1;
            continue;
        };
        let s = *piece.states.last().expect("a state");
        let off = offset(mdp, s, last);
        let inferred = policies.posterior(&piece.states, &piece.actions);
        for (name, weights) in [("model", &inferred), ("model_true_goal", &known)] {
            let expected = expected_positions(mdp, policies, weights, s, h, off);
            let samples: Vec<Vec<(f64, f64)>> = policies
                .sample(weights, s, h, settings.samples, rng)
                .iter()
                .map(|path| positions_of(mdp, path, off))
                .collect();
            part.sums.entry(name).or_default().add(
                ade_fde(&expected, truth),
                Some(min_ade_fde(&samples, truth)),
            );
        }
    }
    Ok(part)
}

/// Score forecasts of held-out `tracks` (see the module documentation). `policies` holds
/// the training goals and the tracks' destinations ([`policies_for`]); `train_positions`
/// give the median speed. Tracks are forecast in parallel, each with its own random
/// stream (seed + track index).
pub fn evaluate_forecasts(
    mdp: &Mdp,
    policies: &GoalPolicies,
    tracks: &[HeldOutTrack],
    train_positions: &[Vec<(f64, f64)>],
    settings: ForecastSettings,
) -> Result<ForecastReport> {
    let (o, h) = (settings.observe, settings.predict);
    if o < 2 || h < 1 {
        return Err(Error::param(
            "observe",
            "forecasts need at least 2 observed positions and 1 predicted",
        ));
    }
    let longest = tracks.iter().map(|t| t.positions.len()).max().unwrap_or(0);
    let per_track = policies.prediction_memory(longest, settings.samples);
    let mut memory = MemoryEstimate::default();
    for _ in 0..rayon::current_num_threads().min(tracks.len()) {
        memory.merge(&per_track);
    }
    memory.check("these forecasts", policies.memory_limit())?;
    let speed = median_step(train_positions);
    let parts = tracks
        .par_iter()
        .enumerate()
        .map(|(i, track)| {
            let mut rng = ChaCha8Rng::seed_from_u64(settings.seed.wrapping_add(i as u64));
            forecast_track(mdp, policies, track, speed, settings, &mut rng)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut total = TrackPart::default();
    for part in parts {
        total.merge(part);
    }
    let TrackPart {
        sums,
        windows,
        unmatched,
        short,
        used,
        whole_model,
        whole_walk,
        whole_n,
    } = total;
    let methods = sums
        .iter()
        .map(|(&name, s)| (name.to_string(), s.scores(name.starts_with("model"))))
        .collect();
    Ok(ForecastReport {
        settings,
        windows,
        tracks: used,
        tracks_too_short: short,
        windows_unmatched: unmatched,
        median_speed: speed,
        methods,
        whole_track_tracks: whole_n,
        whole_track_model_ade: whole_model / whole_n.max(1) as f64,
        whole_track_straight_walk_ade: whole_walk / whole_n.max(1) as f64,
    })
}

/// The goal policies that scoring `demos` needs: the model's training goals, then the
/// destinations of the demonstrations outside them ([`goal_of`] under the model's goal
/// rule) as goals of their own (count 0: never inferred, only
/// given as the known destination).
pub fn policies_for(
    mdp: &Mdp,
    model: &FittedModel,
    demos: &Demonstrations,
) -> Result<GoalPolicies> {
    demos.require_final_states(GOAL_NEEDS)?;
    let mut goals = model.goals.clone();
    for t in &demos.trajectories {
        let last = *t.states.last().expect("a trajectory has a state");
        let goal = goal_of(mdp, &model.goals, last, model.goal_rule);
        if !goals.iter().any(|g| g.states == goal.states) {
            goals.push(Goal { count: 0, ..goal });
        }
    }
    GoalPolicies::new(model, mdp, &goals)
}
