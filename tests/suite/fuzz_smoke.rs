//! A short, deterministic run of the loaders' fuzz harness (`fuzz/`, see the README's
//! "Fuzzing"): 2,000 mutated inputs per loader, none of which may panic, so that
//! `cargo test` builds and exercises the harness the long runs use.

#[path = "../../fuzz/src/harness/mod.rs"]
mod harness;

use std::path::Path;
use std::time::Duration;

use harness::{mutate, Config, Target};

fn config(inputs: u64) -> Config {
    Config {
        corpus: Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus"),
        seed: 1,
        first: 0,
        inputs,
        memory_limit: 256 << 20,
        crashes: None,
    }
}

#[test]
fn every_loader_takes_two_thousand_mutated_inputs_without_a_panic() {
    for target in Target::ALL {
        assert_eq!(Target::from_name(target.name()), Some(target));
        let report = harness::run(target, &config(2000), Duration::MAX, |_| {}).unwrap();
        assert_eq!(report.inputs, 2000);
        let panics: Vec<String> = report
            .panics
            .iter()
            .map(|p| format!("input {} ({:?}): {}", p.index, p.saved, p.message))
            .collect();
        assert!(
            panics.is_empty(),
            "{}\n{}",
            report.summary(),
            panics.join("\n")
        );
        // Some inputs get through every check: the seeds are valid and reach the end.
        assert!(report.accepted > 0, "{}", report.summary());
    }
}

#[test]
fn inputs_depend_on_the_seed_and_index_alone() {
    let corpus = config(0).corpus;
    for target in Target::ALL {
        let seeds: Vec<Vec<u8>> = target
            .seeds(&corpus)
            .unwrap()
            .into_iter()
            .map(|(_, b)| b)
            .collect();
        let first: Vec<Vec<u8>> = (0..50).map(|i| target.input(&seeds, 7, i)).collect();
        let again: Vec<Vec<u8>> = (0..50).map(|i| target.input(&seeds, 7, i)).collect();
        assert_eq!(first, again, "{}", target.name());
        let distinct: std::collections::HashSet<&Vec<u8>> = first.iter().collect();
        assert!(distinct.len() > 25, "{}", target.name());
        // A rebuilt archive holds at most nine members (a seed's six, three repeated) of at
        // most that length, and their headers.
        let bound = match target {
            Target::Npz => 10 * mutate::MAX_LEN,
            _ => mutate::MAX_LEN,
        };
        assert!(first.iter().all(|i| i.len() <= bound), "{}", target.name());
    }
}

#[test]
fn numbers_are_found_for_substitution() {
    let text = br#"{"n_states": 12, "p": [0.5, -1e-3], "x1": 7}"#;
    let spans: Vec<&[u8]> = mutate::number_spans(text)
        .into_iter()
        .map(|(a, b)| &text[a..b])
        .collect();
    assert_eq!(spans, [&b"12"[..], b"0.5", b"-1e-3", b"7"]);
}

#[test]
fn every_seed_but_the_hostile_ones_is_accepted() {
    let corpus = config(0).corpus;
    for target in Target::ALL {
        let loader = harness::Loader::new(target, &corpus, 256 << 20).unwrap();
        for (path, bytes) in target.seeds(&corpus).unwrap() {
            let name = path.file_name().unwrap().to_string_lossy();
            let outcome = harness::call(&loader, &bytes);
            if name.starts_with("hostile-") {
                assert!(outcome.is_ok(), "{}: {outcome:?}", path.display());
            } else {
                assert_eq!(outcome, Ok(true), "{}", path.display());
            }
        }
    }
}
