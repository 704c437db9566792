use irl::inference::{backward, forward, SoftProblem, SoftSettings};
use irl::mdp::{FeatureTable, Features, Mdp, MdpParts, Reward, Transitions};
use ndarray::Array2;
use std::time::Instant;

const MOVES: [(i64, i64); 8] = [
    (1, 0),
    (1, 1),
    (0, 1),
    (-1, 1),
    (-1, 0),
    (-1, -1),
    (0, -1),
    (1, -1),
];

fn grid(n: usize, slip: f64) -> Mdp {
    let s_count = n * n;
    let mut row_start = Vec::with_capacity(s_count * 8 + 1);
    let mut next = Vec::with_capacity(s_count * 24);
    let mut prob = Vec::with_capacity(s_count * 24);
    row_start.push(0);
    for s in 0..s_count {
        let (x, y) = ((s % n) as i64, (s / n) as i64);
        for a in 0..8 {
            let mut outs: Vec<(u32, f64)> = Vec::new();
            for (d, p) in [(0i64, 1.0 - slip), (1, slip / 2.0), (7, slip / 2.0)] {
                let (dx, dy) = MOVES[((a as i64 + d) % 8) as usize];
                let (nx, ny) = (x + dx, y + dy);
                let t = if nx < 0 || ny < 0 || nx >= n as i64 || ny >= n as i64 {
                    s
                } else {
                    (ny as usize) * n + nx as usize
                };
                if let Some(e) = outs.iter_mut().find(|e| e.0 == t as u32) {
                    e.1 += p
                } else {
                    outs.push((t as u32, p))
                }
            }
            outs.sort_by_key(|e| e.0);
            for (t, p) in outs {
                next.push(t);
                prob.push(p);
            }
            row_start.push(next.len());
        }
    }
    let transitions = Transitions::from_csr(s_count, 8, row_start, next, prob).unwrap();
    let features = Features::new(
        vec!["x".into()],
        FeatureTable::State(Array2::from_shape_fn((s_count, 1), |(s, _)| {
            ((s % n) as f64) / n as f64
        })),
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

fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args[1].parse().unwrap();
    let horizon: usize = args[2].parse().unwrap();
    let t0 = Instant::now();
    let mdp = grid(n, 0.2);
    eprintln!(
        "build {:.2}s nnz {} {}",
        t0.elapsed().as_secs_f64(),
        mdp.transitions().nnz(),
        rss()
    );
    let reward = Reward::per_state(
        (0..n * n)
            .map(|s| ((s * 7919) % 1000) as f64 / 1000.0 - 0.5)
            .collect(),
        8,
    );
    let problem = SoftProblem::new(&mdp, reward, SoftSettings::finite(horizon, 1.0));
    for _ in 0..2 {
        let t = Instant::now();
        let v = backward(&problem).unwrap();
        let tb = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let o = forward(&problem, &v, mdp.initial(), false).unwrap();
        let tf = t.elapsed().as_secs_f64();
        eprintln!(
            "backward {tb:.4}s forward {tf:.4}s V0sum {:.6} ef {:?} {}",
            v.at(0).sum(),
            o.expected_features,
            rss()
        );
    }
}
