//! Standard errors of fitted weights against the actual spread of θ̂.
//!
//! A random MDP (25 states, 3 actions, 3 successors per pair, 3 Gaussian state features,
//! seed 5) has a known reward θ*·f. R = 40 independent demonstration sets are drawn from
//! its soft-optimal expert (β = 1, γ = 0.9, 60 demonstrations of 15 actions each), and
//! each is fitted by maximum likelihood (λ = 0) under the expert's solver settings, so
//! the model is correctly specified and the observed information should describe the
//! sampling spread of θ̂ (the dynamics do not depend on θ, so the likelihood of the
//! actions given the states is the whole story).
//!
//! Checked, per weight k:
//! - the empirical standard deviation of θ̂_k over the R fits and the mean reported
//!   standard error agree within a ratio in [0.7, 1.4] (with R = 40 a standard deviation
//!   is itself uncertain by about 1/√(2(R − 1)) ≈ 11 %);
//! - the intervals θ̂_k ± 1.96·SE_k cover θ*_k in at least 80 % of the fits (95 %
//!   nominally; 32 of 40 is more than four binomial standard deviations below 38).
//!
//! And a singular case: with two identical features only their sum is identified, so the
//! observed information is singular, and the fitted model reports its standard errors as
//! unavailable, with a message saying so, instead of numbers.

use irl::demos::Demonstrations;
use irl::inference::SoftSettings;
use irl::learn::{FitParams, FittedModel};
use irl::mdp::{FeatureTable, Features};
use irl::worlds::{
    expert_demonstrations, random_mdp, ExpertParams, ExpertPolicy, ExpertStart, RandomMdpParams,
    World,
};
use irl::Mdp;
use ndarray::Array2;

const DISCOUNT: f64 = 0.9;
const REPLICATES: u64 = 40;

fn world() -> World {
    let params = RandomMdpParams {
        n_states: 25,
        n_actions: 3,
        n_successors: 3,
        n_features: 3,
        concentration: 1.0,
    };
    random_mdp(&params, 5).expect("random MDP")
}

fn demonstrations(world: &World, seed: u64) -> Demonstrations {
    let params = ExpertParams {
        n_trajectories: 60,
        length: 15,
        discount: DISCOUNT,
        policy: ExpertPolicy::Soft { beta: 1.0 },
        start: ExpertStart::Uniform,
    };
    expert_demonstrations(&world.mdp, &world.true_reward(), &params, seed).expect("demos")
}

fn fit(mdp: &Mdp, demos: &Demonstrations) -> FittedModel {
    let params = FitParams {
        settings: SoftSettings::infinite(DISCOUNT),
        l2: 0.0,
        ..FitParams::default()
    };
    params.fit(mdp, demos).expect("fit")
}

#[test]
fn standard_errors_match_the_spread_of_the_estimates() {
    let world = world();
    let truth = &world.true_weights.weights;
    let k = truth.len();
    let mut estimates = Vec::new();
    let mut errors = Vec::new();
    for replicate in 0..REPLICATES {
        let model = fit(&world.mdp, &demonstrations(&world, 1000 + replicate));
        assert!(
            model.training.as_ref().unwrap().converged,
            "{}",
            model.training.as_ref().unwrap().stop_reason
        );
        let se = model
            .standard_errors
            .clone()
            .unwrap_or_else(|note| panic!("no standard errors: {note}"));
        estimates.push(model.weights);
        errors.push(se);
    }
    let r = REPLICATES as f64;
    for j in 0..k {
        let mean = estimates.iter().map(|w| w[j]).sum::<f64>() / r;
        let sd = (estimates.iter().map(|w| (w[j] - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
        let mean_se = errors.iter().map(|e| e[j]).sum::<f64>() / r;
        let covered = estimates
            .iter()
            .zip(&errors)
            .filter(|(w, e)| (w[j] - truth[j]).abs() <= 1.96 * e[j])
            .count();
        eprintln!(
            "weight {j}: θ* {:.4}, mean θ̂ {mean:.4}, sd {sd:.4}, mean SE {mean_se:.4}, ratio {:.3}, coverage {covered}/{REPLICATES}",
            truth[j],
            sd / mean_se
        );
        let ratio = sd / mean_se;
        assert!(
            (0.7..=1.4).contains(&ratio),
            "weight {j}: sd of θ̂ {sd} vs mean SE {mean_se} (ratio {ratio})"
        );
        assert!(
            covered as f64 >= 0.8 * r,
            "weight {j}: θ̂ ± 1.96 SE covered θ* in {covered} of {REPLICATES} fits"
        );
    }
}

#[test]
fn identical_features_make_the_standard_errors_unavailable() {
    let world = world();
    let demos = demonstrations(&world, 7);
    let original = world.mdp.features();
    let table = Array2::from_shape_fn((world.mdp.n_states(), 3), |(s, j)| {
        original.get(s, 0, [0, 0, 1][j])
    });
    let features = Features::new(
        vec!["f0".into(), "f0_again".into(), "f1".into()],
        FeatureTable::State(table),
    )
    .expect("features");
    let mdp = world.mdp.with_features(features).expect("MDP");
    let model = fit(&mdp, &demos);
    match &model.standard_errors {
        Ok(se) => panic!("standard errors {se:?} reported for identical features"),
        Err(note) => assert!(
            note.contains("singular or ill-conditioned"),
            "unexpected note: {note}"
        ),
    }
    // The model file says the same: no numbers, the note instead.
    let mut written = Vec::new();
    model.write(&mut written).expect("write");
    let doc: serde_json::Value = serde_json::from_slice(&written).expect("JSON");
    assert!(
        doc["standard_errors"].is_null(),
        "{}",
        doc["standard_errors"]
    );
    assert!(doc["standard_errors_note"]
        .as_str()
        .is_some_and(|n| n.contains("singular or ill-conditioned")));
}
