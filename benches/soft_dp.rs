//! Kernel benchmarks: the soft backward pass, the forward pass and one likelihood
//! evaluation (backward + adjoint forward) on slippery gridworlds.
//!
//! Run with `cargo bench --bench soft_dp`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use irl::demos::Demonstrations;
use irl::inference::{backward, forward, sample, SoftProblem, SoftSettings};
use irl::irl::{nll_and_gradient, Alignment, DemoSteps};
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
                    nll_and_gradient(&mdp, problem.settings(), steps, theta.view())
                        .expect("evaluates")
                })
            },
        );
    }
    group.finish();
}

// Criterion's own charts need a system font through plotters, which this crate builds
// without (figures embed their font), so the benchmarks report in text only.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = passes
}
criterion_main!(benches);
