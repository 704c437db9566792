//! Kernel benchmarks: the soft backward pass, the forward pass and one likelihood
//! evaluation (backward + adjoint forward) on slippery gridworlds.
//!
//! - `soft_dp`: 4-action grids with coordinate features, T = 50.
//! - `bench_worlds`: the worlds of `irl bench` (20 region features, θ* from seed 0, slip
//!   0.2): the 8-action compass grid at 100×100 and 316×316 with T = 100, and 100×100
//!   with 4 actions and T = 50 (the case of the 10 ms target); 10 samples each, one run per
//!   sample, so the group takes a few minutes.
//!
//! Run with `cargo bench -p irl-benches` (this package is kept apart from `irl` so that
//! `cargo test` does not build criterion).

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use irl::demos::Demonstrations;
use irl::inference::{backward, forward, sample, KernelLayout, SoftProblem, SoftSettings};
use irl::learn::{nll_and_gradient_reusing, Alignment, DemoSteps};
use irl::worlds::{gridworld, GridActions, GridFeatures, GridworldParams};
use irl::Mdp;
use ndarray::Array1;

fn world(size: usize) -> (Mdp, Array1<f64>) {
    let params = GridworldParams {
        size,
        actions: GridActions::Cardinal,
        slip: 0.2,
        features: GridFeatures::Coords,
        reward_density: 0.1,
    };
    let w = gridworld(&params, 0).expect("valid gridworld");
    let theta = w.true_weights.theta();
    (w.mdp, theta)
}

fn passes(c: &mut Criterion) {
    let horizon = 50;
    let mut group = c.benchmark_group("soft_dp");
    group.sample_size(20);
    for size in [30, 100] {
        let (mdp, theta) = world(size);
        let settings = SoftSettings::finite(horizon, 1.0);
        let problem = SoftProblem::new(
            &mdp,
            mdp.features().reward(theta.view(), mdp.n_actions()),
            settings,
        );
        let values = backward(&problem).expect("solves");
        let states = size * size;
        group.bench_with_input(
            BenchmarkId::new("backward_T50", states),
            &problem,
            |b, p| b.iter(|| backward(p).expect("solves")),
        );
        group.bench_with_input(BenchmarkId::new("forward_T50", states), &problem, |b, p| {
            b.iter(|| forward(p, &values, mdp.initial(), false).expect("runs"))
        });
        let demos: Demonstrations = sample(&problem, &values, 100, horizon, None, 1);
        let steps =
            DemoSteps::new(&demos, Some(horizon), Alignment::Start).expect("fits the horizon");
        group.bench_with_input(
            BenchmarkId::new("likelihood_T50", states),
            &steps,
            |b, steps| {
                b.iter(|| {
                    let (layout, settings) = (problem.layout(), problem.settings());
                    nll_and_gradient_reusing(&mdp, layout, settings, steps, theta.view(), None)
                        .expect("evaluates")
                })
            },
        );
    }
    group.finish();
}

fn bench_worlds(c: &mut Criterion) {
    let mut group = c.benchmark_group("bench_worlds");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (side, actions, horizon) in [
        (100, GridActions::Compass, 100),
        (316, GridActions::Compass, 100),
        (100, GridActions::Cardinal, 50),
    ] {
        // The world of `irl bench`: 5 × 4 region features, a fifth of them rewarded.
        let params = GridworldParams {
            size: side,
            actions,
            slip: 0.2,
            features: GridFeatures::Regions {
                columns: 5,
                rows: 4,
            },
            reward_density: 0.2,
        };
        let world = gridworld(&params, 0).expect("valid world");
        let mdp = &world.mdp;
        let theta = world.true_weights.theta();
        let settings = SoftSettings::finite(horizon, 1.0);
        let layout = Arc::new(KernelLayout::new(mdp));
        let reward = mdp.features().reward(theta.view(), mdp.n_actions());
        let problem = SoftProblem::with_layout(mdp, Arc::clone(&layout), reward, settings.clone());
        let values = backward(&problem).expect("solves");
        let label = format!("{side}x{side}_A{}_T{horizon}", actions.n_actions());
        group.bench_function(BenchmarkId::new("backward", &label), |b| {
            b.iter(|| backward(&problem).expect("solves"))
        });
        group.bench_function(BenchmarkId::new("forward", &label), |b| {
            b.iter(|| forward(&problem, &values, mdp.initial(), false).expect("runs"))
        });
        let demos = sample(&problem, &values, 100, horizon, None, 1);
        let steps =
            DemoSteps::new(&demos, Some(horizon), Alignment::Start).expect("fits the horizon");
        group.bench_function(BenchmarkId::new("likelihood", &label), |b| {
            b.iter(|| {
                nll_and_gradient_reusing(mdp, &layout, &settings, &steps, theta.view(), None)
                    .expect("evaluates")
            })
        });
    }
    group.finish();
}

// Criterion's own charts need a system font through plotters, which this crate builds
// without (figures embed their font), so the benchmarks report in text only.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = passes, bench_worlds
}
criterion_main!(benches);
