//! Demonstrations whose last action has no observed successor (a panel of decisions whose
//! last outcome was not recorded): a CSV trajectory whose final row has an action, a JSON
//! Lines trajectory with as many states as actions.
//!
//! - Both formats read them, write them back unchanged, and give the same trajectories;
//!   the checks of the last decision (an action taken in a terminal state, an action the
//!   state does not offer) still name its line and field, and a single row without an
//!   action is still no trajectory.
//! - The NLL of such a trajectory on the four-state chain is −Σ_t log π_t(a_t | s_t) with
//!   π computed here by hand from the soft backup, and equals the NLL of the same
//!   trajectory with a successor state appended; so do the gradient and the demonstrated
//!   feature counts, for a finite horizon and without one.
//! - A trajectory of n decisions without a final state needs a horizon of at least n.
//! - On a bus-engine replacement panel (keep or replace, mileage bins) whose every bus
//!   ends on a decision, the gradient of the fit objective matches central differences.
//! - `irl fit` on that panel gives the θ of the library's fit, and the θ of the panel
//!   with each bus's next state appended.
//! - Goal-conditioned fitting, which needs each demonstration's last state, refuses such
//!   a panel and names the trajectory.

use crate::common;

use std::fs;

use common::{chain_features, chain_mdp, irl, path, succeed};
use irl::demos::{
    feature_counts, read_demos_csv, read_demos_jsonl, write_demos_csv, write_demos_jsonl,
    Demonstrations, Trajectory,
};
use irl::inference::SoftSettings;
use irl::learn::{nll_and_gradient, Alignment, DemoSteps, FitParams, FittedModel, Objective, Task};
use irl::mdp::{write_mdp, FeatureTable, Features, Transitions};
use irl::{Error, Mdp, MdpParts};
use ndarray::{array, Array1, Array3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const HEADER: &str = "trajectory,step,state,action\n";

/// Stay in 0, move right twice; the last move's arrival (state 2) is not recorded.
const OPEN_CSV: &str = "a,0,0,stay\na,1,0,right\na,2,1,right\n";
/// The same trajectory with its arrival recorded.
const CLOSED_CSV: &str = "a,0,0,stay\na,1,0,right\na,2,1,right\na,3,2,\n";

fn open() -> Demonstrations {
    read_demos_csv(
        format!("{HEADER}{OPEN_CSV}").as_bytes(),
        &chain_mdp(chain_features()),
    )
    .unwrap()
}

fn closed() -> Demonstrations {
    read_demos_csv(
        format!("{HEADER}{CLOSED_CSV}").as_bytes(),
        &chain_mdp(chain_features()),
    )
    .unwrap()
}

#[test]
fn both_formats_read_and_write_a_last_decision_without_successor() {
    let mdp = chain_mdp(chain_features());
    let expected = Demonstrations::new(vec![Trajectory {
        id: "a".into(),
        states: vec![0, 0, 1],
        actions: vec![1, 0, 0],
    }]);
    assert_eq!(open(), expected);
    assert_eq!(expected.trajectories[0].final_state(), None);
    assert_eq!(closed().trajectories[0].final_state(), Some(2));
    let line =
        "{\"trajectory\": \"a\", \"states\": [0, 0, 1], \"actions\": [\"stay\", \"right\", 0]}\n";
    assert_eq!(read_demos_jsonl(line.as_bytes(), &mdp).unwrap(), expected);

    let mut csv = Vec::new();
    write_demos_csv(&expected, &mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert_eq!(text, format!("{HEADER}a,0,0,1\na,1,0,0\na,2,1,0\n"));
    assert_eq!(read_demos_csv(text.as_bytes(), &mdp).unwrap(), expected);
    let mut jsonl = Vec::new();
    write_demos_jsonl(&expected, &mut jsonl).unwrap();
    assert_eq!(read_demos_jsonl(jsonl.as_slice(), &mdp).unwrap(), expected);
    expected.validate(&mdp).unwrap();

    // One decision and nothing after it is a trajectory; trajectories of both kinds mix.
    let mixed = read_demos_csv(
        format!("{HEADER}b,0,1,right\nc,0,0,jump\nc,1,2,right\nc,2,3,\n").as_bytes(),
        &mdp,
    )
    .unwrap();
    assert_eq!(
        mixed.trajectories[0],
        Trajectory {
            id: "b".into(),
            states: vec![1],
            actions: vec![0],
        }
    );
    assert_eq!(mixed.trajectories[1].final_state(), Some(3));
}

fn rejection(result: irl::Result<Demonstrations>) -> (String, String) {
    match result {
        Err(Error::InvalidDemos { place, message }) => (place, message),
        other => panic!("expected InvalidDemos, got {other:?}"),
    }
}

#[test]
fn the_last_decision_is_still_checked() {
    let mdp = chain_mdp(chain_features());
    let csv = |rows: &str| read_demos_csv(format!("{HEADER}{rows}").as_bytes(), &mdp);
    let (place, message) = rejection(csv("a,0,2,right\na,1,3,stay\n"));
    assert_eq!(place, "line 3, column action");
    assert!(message.contains("terminal"), "{message}");
    let (place, message) = rejection(csv("a,0,0,right\na,1,1,jump\n"));
    assert_eq!(place, "line 3, column action");
    assert!(message.contains("unavailable in state 1"), "{message}");
    let (place, message) = rejection(csv("a,0,1,\n"));
    assert_eq!(place, "line 2");
    assert!(message.contains("trajectory a has no action"), "{message}");

    let jsonl = |states: &str, actions: &str| {
        let line =
            format!("{{\"trajectory\": \"a\", \"states\": {states}, \"actions\": {actions}}}\n");
        read_demos_jsonl(line.as_bytes(), &mdp)
    };
    let (place, message) = rejection(jsonl("[2, 3]", "[0, 1]"));
    assert_eq!(place, "line 1, actions[1]");
    assert!(message.contains("terminal"), "{message}");
    let (place, message) = rejection(jsonl("[0]", "[0, 0]"));
    assert_eq!(place, "line 1, states");
    assert!(message.contains("1 states for 2 actions"), "{message}");
    let open = Demonstrations::new(vec![Trajectory {
        id: "x".into(),
        states: vec![0, 1],
        actions: vec![0, 1],
    }]);
    open.validate(&mdp).unwrap();
    let too_few = Demonstrations::new(vec![Trajectory {
        id: "x".into(),
        states: vec![0],
        actions: vec![0, 1],
    }]);
    assert!(too_few.validate(&mdp).is_err());
}

/// Soft values of the chain by the definitions of docs/FORMATS.md (ρ ≡ 1, α = 1, the
/// variational backup): V_T = 0, V = 0 in the terminal state 3, and
/// Q_t(s, a) = θ·f(s) + γ Σ_s' p(s'|s, a) V_{t+1}(s'), V_t(s) = log Σ_a exp Q_t(s, a).
/// Returns log π_t(a|s) as `[t][s][a]` (−∞ for unavailable actions).
fn chain_log_policy_by_hand(theta: [f64; 2], horizon: usize, discount: f64) -> Vec<[[f64; 3]; 4]> {
    let f = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.5]];
    let reward = |s: usize| theta[0] * f[s][0] + theta[1] * f[s][1];
    // successors[s][a]: (s', p); right = 0, stay = 1, jump = 2.
    let successors: [[&[(usize, f64)]; 3]; 3] = [
        [&[(1, 1.0)], &[(0, 1.0)], &[(2, 0.5), (3, 0.5)]],
        [&[(2, 1.0)], &[(1, 1.0)], &[]],
        [&[(3, 1.0)], &[(2, 1.0)], &[]],
    ];
    let mut v_next = [0.0; 4];
    let mut log_pi = vec![[[f64::NEG_INFINITY; 3]; 4]; horizon];
    for t in (0..horizon).rev() {
        let mut v = [0.0; 4];
        for s in 0..3 {
            let q: Vec<(usize, f64)> = (0..3)
                .filter(|&a| !successors[s][a].is_empty())
                .map(|a| {
                    let future: f64 = successors[s][a].iter().map(|&(n, p)| p * v_next[n]).sum();
                    (a, reward(s) + discount * future)
                })
                .collect();
            v[s] = q.iter().map(|&(_, q)| q.exp()).sum::<f64>().ln();
            for (a, q) in q {
                log_pi[t][s][a] = q - v[s];
            }
        }
        v_next = v;
    }
    log_pi
}

#[test]
fn the_nll_of_a_last_decision_is_its_log_policy_and_nothing_about_a_successor() {
    let mdp = chain_mdp(chain_features());
    let theta = [0.3, -0.7];
    let (horizon, discount) = (4, 0.9);
    let log_pi = chain_log_policy_by_hand(theta, horizon, discount);
    // Steps (t, s, a): (0, 0, stay), (1, 0, right), (2, 1, right).
    let by_hand = -(log_pi[0][0][1] + log_pi[1][0][0] + log_pi[2][1][0]);
    let settings = SoftSettings::finite(horizon, discount);
    let theta = array![theta[0], theta[1]];
    let evaluate = |demos: &Demonstrations, settings: &SoftSettings| {
        let steps = DemoSteps::new(demos, settings.horizon, Alignment::Start).unwrap();
        nll_and_gradient(&mdp, settings, &steps, theta.view()).unwrap()
    };
    let (without, with) = (evaluate(&open(), &settings), evaluate(&closed(), &settings));
    assert!(
        (without.nll - by_hand).abs() < 1e-12,
        "{} vs {by_hand}",
        without.nll
    );
    assert_eq!(without.nll, with.nll);
    assert_eq!(without.gradient, with.gradient);
    assert_eq!(without.n_actions, 3);

    // With the horizon counted from each demonstration's end the steps are decisions
    // T − 3 + t, and without a horizon they are pooled; the successor adds nothing either way.
    let own = |demos: &Demonstrations| {
        let steps = DemoSteps::new(demos, settings.horizon, Alignment::OwnHorizon).unwrap();
        nll_and_gradient(&mdp, &settings, &steps, theta.view()).unwrap()
    };
    let by_hand_own = -(log_pi[1][0][1] + log_pi[2][0][0] + log_pi[3][1][0]);
    assert!((own(&open()).nll - by_hand_own).abs() < 1e-12);
    assert_eq!(own(&open()).gradient, own(&closed()).gradient);
    let stationary = SoftSettings::infinite(discount);
    let (without, with) = (
        evaluate(&open(), &stationary),
        evaluate(&closed(), &stationary),
    );
    assert_eq!((without.nll, without.gradient), (with.nll, with.gradient));

    // Demonstrated counts take the last decision: f(0) + γ f(0) + γ² f(1).
    let counts = feature_counts(&open(), &mdp, discount).unwrap();
    let expected = [1.0 + discount, discount * discount];
    for (got, want) in counts.iter().zip(expected) {
        assert!((got - want).abs() < 1e-15, "{counts} vs {expected:?}");
    }
    assert_eq!(counts, feature_counts(&closed(), &mdp, discount).unwrap());
}

#[test]
fn a_trajectory_of_n_decisions_without_final_state_needs_horizon_n() {
    assert!(DemoSteps::new(&open(), Some(3), Alignment::Start).is_ok());
    assert!(DemoSteps::new(&open(), Some(3), Alignment::OwnHorizon).is_ok());
    match DemoSteps::new(&open(), Some(2), Alignment::Start) {
        Err(Error::LongerThanHorizon {
            trajectory,
            actions,
            horizon,
        }) => assert_eq!((trajectory.as_str(), actions, horizon), ("a", 3, 2)),
        other => panic!("expected LongerThanHorizon, got {other:?}"),
    }
}

/// Mileage bins of the bus-engine replacement MDP.
const BINS: usize = 6;
const KEEP: usize = 0;
const REPLACE: usize = 1;

/// A bus-engine replacement problem: each period a bus in mileage bin s is kept (it moves
/// one bin up with p = 0.6, stays with 0.4; the top bin stays) or its engine replaced
/// (bin 0 with p = 0.4, bin 1 with 0.6). Features f(s, keep) = (−s, 0) (maintenance) and
/// f(s, replace) = (0, −1) (the replacement).
fn bus_mdp() -> Mdp {
    let mut entries: Vec<(usize, usize, usize, f64)> = Vec::new();
    for s in 0..BINS {
        if s + 1 < BINS {
            entries.extend([(s, KEEP, s, 0.4), (s, KEEP, s + 1, 0.6)]);
        } else {
            entries.push((s, KEEP, s, 1.0));
        }
        entries.extend([(s, REPLACE, 0, 0.4), (s, REPLACE, 1, 0.6)]);
    }
    let column = |k: usize| -> Vec<usize> {
        entries
            .iter()
            .map(|e| {
                if k == 0 {
                    e.0
                } else if k == 1 {
                    e.1
                } else {
                    e.2
                }
            })
            .collect()
    };
    let p: Vec<f64> = entries.iter().map(|e| e.3).collect();
    let transitions =
        Transitions::from_arrays(BINS, 2, &column(0), &column(1), &column(2), &p).unwrap();
    let mut table = Array3::zeros((BINS, 2, 2));
    for s in 0..BINS {
        table[[s, KEEP, 0]] = -(s as f64);
        table[[s, REPLACE, 1]] = -1.0;
    }
    let features = Features::new(
        vec!["maintenance".into(), "replacement".into()],
        FeatureTable::StateAction(table),
    )
    .unwrap();
    Mdp::new(MdpParts {
        transitions,
        initial: None,
        terminal: vec![],
        features,
        action_names: Some(vec!["keep".into(), "replace".into()]),
        grid: None,
    })
    .unwrap()
}

/// Draw a successor of (s, a) from the MDP's transitions.
fn successor(mdp: &Mdp, s: usize, a: usize, rng: &mut ChaCha8Rng) -> usize {
    let (next, p) = mdp.transitions().successors(s, a);
    let mut u: f64 = rng.random();
    for (&n, &q) in next.iter().zip(p) {
        if u < q {
            return n as usize;
        }
        u -= q;
    }
    *next.last().expect("a successor") as usize
}

/// A panel of 24 buses observed for 3 to 10 periods each; a bus replaces its engine once
/// its mileage reaches its own threshold (2 to 5 bins), and every bus ends on a decision
/// whose outcome was not recorded. Also returns the panel with that outcome drawn and
/// appended.
fn bus_panel(mdp: &Mdp) -> (Demonstrations, Demonstrations) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (mut open, mut closed) = (Vec::new(), Vec::new());
    for bus in 0..24 {
        let threshold = 2 + bus % 4;
        let periods = 3 + bus % 8;
        let mut s = rng.random_range(0..BINS);
        let (mut states, mut actions) = (Vec::new(), Vec::new());
        for _ in 0..periods {
            // A few buses deviate from their rule, so both actions occur in most bins.
            let replace = (s >= threshold) != (rng.random::<f64>() < 0.15);
            let a = if replace { REPLACE } else { KEEP };
            states.push(s);
            actions.push(a);
            s = successor(mdp, s, a, &mut rng);
        }
        let id = format!("bus-{bus}");
        open.push(Trajectory {
            id: id.clone(),
            states: states.clone(),
            actions: actions.clone(),
        });
        states.push(s);
        closed.push(Trajectory {
            id,
            states,
            actions,
        });
    }
    (Demonstrations::new(open), Demonstrations::new(closed))
}

#[test]
fn the_fit_objective_gradient_of_a_panel_matches_central_differences() {
    let mdp = bus_mdp();
    let (panel, _) = bus_panel(&mdp);
    panel.validate(&mdp).unwrap();
    let theta = array![0.6, 2.5];
    let h = 1e-6;
    for (settings, alignment) in [
        (SoftSettings::finite(12, 0.95), Alignment::Start),
        (SoftSettings::finite(12, 1.0), Alignment::OwnHorizon),
        (SoftSettings::infinite(0.9), Alignment::Start),
    ] {
        let steps = DemoSteps::new(&panel, settings.horizon, alignment).unwrap();
        let task = Task {
            mdp: mdp.clone(),
            steps,
        };
        let objective = Objective::new(vec![task], settings.clone(), 0.5);
        let at = objective.evaluate(theta.view()).unwrap();
        for k in 0..theta.len() {
            let (mut plus, mut minus) = (theta.clone(), theta.clone());
            plus[k] += h;
            minus[k] -= h;
            let cost = |x: &Array1<f64>| objective.evaluate(x.view()).unwrap().cost;
            let central = (cost(&plus) - cost(&minus)) / (2.0 * h);
            let error = (central - at.gradient[k]).abs() / central.abs().max(1e-3);
            assert!(
                error < 1e-6,
                "{:?} {alignment:?} θ_{k}: analytic {} vs central {central}",
                settings.horizon,
                at.gradient[k]
            );
        }
    }
}

#[test]
fn the_binary_fits_a_panel_ending_in_decisions_as_the_library_does() {
    let dir = tempfile::tempdir().unwrap();
    let mdp = bus_mdp();
    let (panel, completed) = bus_panel(&mdp);
    let mdp_file = dir.path().join("mdp.json");
    write_mdp(&mdp, fs::File::create(&mdp_file).unwrap()).unwrap();
    let demos_file = dir.path().join("panel.csv");
    let mut text = Vec::new();
    write_demos_csv(&panel, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.lines().all(|row| !row.ends_with(',')), "{text}");
    fs::write(&demos_file, &text).unwrap();
    let model_file = dir.path().join("model.json");
    succeed(&[
        "fit",
        "--mdp",
        path(&mdp_file),
        "--demos",
        path(&demos_file),
        "--discount",
        "0.9",
        "--quiet",
        "--out",
        path(&model_file),
    ]);
    let fitted = FittedModel::read(fs::File::open(&model_file).unwrap()).unwrap();
    let params = FitParams {
        settings: SoftSettings::infinite(0.9),
        ..FitParams::default()
    };
    let library = params.fit(&mdp, &panel).unwrap();
    let with_successors = params.fit(&mdp, &completed).unwrap();
    assert!(
        library
            .training
            .as_ref()
            .expect("a fitted model has its history")
            .converged
    );
    for k in 0..2 {
        let (binary, library, appended) = (
            fitted.theta()[k],
            library.theta()[k],
            with_successors.theta()[k],
        );
        assert!(
            (binary - library).abs() <= 1e-9 * library.abs().max(1.0),
            "θ_{k}: {binary} vs {library}"
        );
        assert_eq!(library, appended, "θ_{k}");
    }
    // The panel's buses are replaced at high mileage: maintenance costs, replacing costs.
    assert!(
        fitted.theta()[0] > 0.0 && fitted.theta()[1] > 0.0,
        "{}",
        fitted.theta()
    );
}

#[test]
fn goal_conditioned_fitting_refuses_a_trajectory_without_final_state() {
    let dir = tempfile::tempdir().unwrap();
    let mdp_file = dir.path().join("mdp.json");
    write_mdp(
        &chain_mdp(chain_features()),
        fs::File::create(&mdp_file).unwrap(),
    )
    .unwrap();
    let demos_file = dir.path().join("demos.csv");
    fs::write(
        &demos_file,
        format!("{HEADER}{CLOSED_CSV}b,0,0,right\nb,1,1,right\n"),
    )
    .unwrap();
    let model_file = dir.path().join("model.json");
    let output = irl(&[
        "fit",
        "--mdp",
        path(&mdp_file),
        "--demos",
        path(&demos_file),
        "--goal-conditioned",
        "--discount",
        "0.9",
        "--quiet",
        "--out",
        path(&model_file),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    for part in [
        path(&demos_file),
        "trajectory b",
        "no successor state",
        "goal",
    ] {
        assert!(stderr.contains(part), "{part:?} missing from {stderr}");
    }
    assert!(!model_file.exists());
    assert!(output.stdout.is_empty());
}
