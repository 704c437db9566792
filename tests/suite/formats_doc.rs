//! `docs/FORMATS.md` against the built binary and the library, so that the document
//! stays true as the commands and formats change.
//!
//! - Commands: the command tree is read from `irl --help` and the help of each command
//!   with subcommands. Every leaf command has a section headed `` `irl …` `` whose flag
//!   table lists exactly the long flags its `--help` lists (clap's own `--help` and
//!   `--version` apart), with the default the help prints (numbers compared as numbers,
//!   so `1e-12` matches `0.000000000001`), *required* exactly for the flags of its usage
//!   line, *off* for switches, — for optional flags without a default, and every possible
//!   value of the flag named in its row.
//! - Format tags: every tag the library exports (`irl::mdp::MDP_FORMAT`,
//!   `irl::learn::WEIGHTS_FORMAT`, `irl::learn::MODEL_FORMAT`,
//!   `irl::inference::SOLUTION_FORMAT`) and the tags `irl forecast` and
//!   `irl bench --json` write has a section whose heading names it.
//! - Fields: the commands run on small worlds ([`written`]), and every key of every JSON
//!   object they write, nested ones included, is named in the section of its format.
//!
//! Every disagreement is collected and reported at once, each naming the command or
//! format, the flag or field, and the line of the document.

mod document;
mod help;
mod written;

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::succeed;
use document::{Document, FlagRow, Section};
use help::{Flag, Help, BUILT_IN_FLAGS};
use written::Written;

/// Table cells that stand for "no default value".
const REQUIRED: &str = "required";
const SWITCH: &str = "off";
const NO_DEFAULT: &str = "—";

fn help_of(command: &[String]) -> Help {
    let mut args = command.to_vec();
    args.push("--help".into());
    help::parse(&String::from_utf8_lossy(&succeed(&args).stdout))
}

/// Every command without subcommands, as the words after `irl`.
fn leaf_commands() -> Vec<Vec<String>> {
    let mut leaves = Vec::new();
    let mut pending: Vec<Vec<String>> = help_of(&[])
        .subcommands
        .into_iter()
        .map(|c| vec![c])
        .collect();
    while let Some(command) = pending.pop() {
        let subcommands = help_of(&command).subcommands;
        if subcommands.is_empty() {
            leaves.push(command);
        } else {
            pending.extend(subcommands.into_iter().map(|s| {
                let mut path = command.clone();
                path.push(s);
                path
            }));
        }
    }
    leaves.sort();
    leaves
}

fn fail_with(problems: &[String], what: &str) {
    assert!(problems.is_empty(), "{what}:\n- {}", problems.join("\n- "));
}

/// The `` `X` `` of a cell that is one code span.
fn code_span(cell: &str) -> Option<&str> {
    let inner = cell.strip_prefix('`')?.strip_suffix('`')?;
    (!inner.contains('`')).then_some(inner)
}

fn same_default(documented: &str, printed: &str) -> bool {
    match (documented.parse::<f64>(), printed.parse::<f64>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => documented == printed,
    }
}

/// What is wrong with the row documenting `flag` of `command`.
fn row_problems(command: &str, flag: &Flag, help: &Help, row: &FlagRow) -> Vec<String> {
    let place = format!(
        "{command} --{}: docs/FORMATS.md line {}",
        flag.name, row.line
    );
    let mut problems = Vec::new();
    let expected = if help.required.contains(&flag.name) {
        REQUIRED.to_string()
    } else if !flag.takes_value {
        SWITCH.to_string()
    } else if let Some(default) = &flag.default {
        format!("`{default}`")
    } else {
        NO_DEFAULT.to_string()
    };
    let matches = match (code_span(&row.default), &flag.default) {
        (Some(documented), Some(printed)) if expected.starts_with('`') => {
            same_default(documented, printed)
        }
        _ => row.default == expected,
    };
    if !matches {
        problems.push(format!(
            "{place} gives the default {}, but --help implies {expected}",
            row.default
        ));
    }
    for value in &flag.possible_values {
        if !row.text.contains(&format!("`{value}`")) {
            problems.push(format!(
                "{place} does not name the possible value `{value}`"
            ));
        }
    }
    problems
}

/// What is wrong with the section of one command.
fn command_problems(document: &Document, command: &[String]) -> Vec<String> {
    let name = format!("`irl {}`", command.join(" "));
    let help = help_of(command);
    let flags: Vec<&Flag> = help
        .flags
        .iter()
        .filter(|f| !BUILT_IN_FLAGS.contains(&f.name.as_str()))
        .collect();
    assert!(
        !flags.is_empty(),
        "{name} --help lists no flags: the help text has a layout the parser does not know"
    );
    let Some(section) = document.section(&name) else {
        return vec![format!(
            "{name} has no section headed \"### {name}\" in docs/FORMATS.md"
        )];
    };
    let rows = section.flag_rows();
    let mut problems = Vec::new();
    for flag in &flags {
        let documented: Vec<&FlagRow> = rows.iter().filter(|r| r.name == flag.name).collect();
        match documented.as_slice() {
            [] => problems.push(format!(
                "{name} --{} is in `irl {} --help` but not in the flag table of its section \
                 (docs/FORMATS.md line {})",
                flag.name,
                command.join(" "),
                section.line
            )),
            [row] => problems.extend(row_problems(&name, flag, &help, row)),
            more => problems.push(format!(
                "{name} --{} is documented {} times (docs/FORMATS.md lines {:?})",
                flag.name,
                more.len(),
                more.iter().map(|r| r.line).collect::<Vec<_>>()
            )),
        }
    }
    for row in &rows {
        if !flags.iter().any(|f| f.name == row.name) {
            problems.push(format!(
                "{name}: docs/FORMATS.md line {} documents --{}, which `irl {} --help` does not list",
                row.line,
                row.name,
                command.join(" ")
            ));
        }
    }
    problems
}

#[test]
fn every_command_is_documented_with_exactly_its_flags_and_defaults() {
    let document = Document::read();
    let commands = leaf_commands();
    assert!(
        commands.iter().any(|c| c == &["solve"]),
        "the command tree read from irl --help lacks solve: {commands:?}"
    );
    let problems: Vec<String> = commands
        .iter()
        .flat_map(|c| command_problems(&document, c))
        .collect();
    fail_with(
        &problems,
        &format!(
            "{} disagrees with the binary's --help",
            document.path.display()
        ),
    );
}

#[test]
fn every_format_tag_has_its_own_section() {
    let document = Document::read();
    let written = Written::produce();
    let tag_of = |doc: &serde_json::Value, what: &str| {
        doc["format"]
            .as_str()
            .unwrap_or_else(|| panic!("{what} names its format"))
            .to_string()
    };
    let forecast_tag = tag_of(&written.forecast, "the forecast");
    let bench_tag = tag_of(&written.bench, "the bench's JSON");
    let tags = [
        irl::mdp::MDP_FORMAT,
        irl::learn::WEIGHTS_FORMAT,
        irl::learn::MODEL_FORMAT,
        irl::inference::SOLUTION_FORMAT,
        &forecast_tag,
        &bench_tag,
    ];
    let problems: Vec<String> = tags
        .iter()
        .filter(|tag| document.section_naming(tag).is_none())
        .map(|tag| format!("no section of docs/FORMATS.md has `{tag}` in its heading"))
        .collect();
    fail_with(&problems, "format tags without a section");
}

/// Paths of the keys in `value` (objects inside arrays included) that `section` does
/// not name.
fn undescribed_keys(section: &Section, value: &Value, path: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let inner_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if !section.mentions(key) {
                    out.insert(inner_path.clone());
                }
                undescribed_keys(section, inner, &inner_path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                undescribed_keys(section, item, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_field_the_commands_write_is_described_in_its_section() {
    let document = Document::read();
    let written = Written::produce();
    let forecast_tag = written.forecast["format"].as_str().unwrap_or_default();
    let bench_tag = written.bench["format"].as_str().unwrap_or_default();
    let by_tag = |tag: &str| document.section_naming(tag).map(|s| s.heading.clone());
    let cases: [(Option<String>, &Value, &str); 10] = [
        (
            by_tag(irl::mdp::MDP_FORMAT),
            &written.mdp,
            "irl generate's mdp.json",
        ),
        (
            by_tag(irl::mdp::MDP_FORMAT),
            &written.scene_mdp,
            "irl discretize's mdp.json",
        ),
        (
            by_tag(irl::learn::WEIGHTS_FORMAT),
            &written.true_weights,
            "true_weights.json",
        ),
        (
            by_tag(irl::learn::MODEL_FORMAT),
            &written.model,
            "irl fit's model",
        ),
        (
            by_tag(irl::learn::MODEL_FORMAT),
            &written.goal_model,
            "a goal-conditioned model",
        ),
        (
            by_tag(irl::inference::SOLUTION_FORMAT),
            &written.solution,
            "irl solve's solution",
        ),
        (
            by_tag(forecast_tag),
            &written.forecast,
            "irl forecast's forecast",
        ),
        (by_tag(bench_tag), &written.bench, "irl bench --json"),
        (
            Some("Held-out metrics (the output of `irl evaluate`)".into()),
            &written.evaluation,
            "irl evaluate's output",
        ),
        (
            Some("Output folders".into()),
            &written.scene_report,
            "irl discretize's report.json",
        ),
    ];
    let mut problems = Vec::new();
    for (heading, value, what) in cases {
        let Some(section) = heading.as_deref().and_then(|h| document.section(h)) else {
            problems.push(format!(
                "{what}: its section is missing from docs/FORMATS.md"
            ));
            continue;
        };
        let mut missing = BTreeSet::new();
        undescribed_keys(section, value, "", &mut missing);
        problems.extend(missing.into_iter().map(|key| {
            format!(
                "{what}: field {key} is not named in the section \"{}\" (docs/FORMATS.md line {})",
                section.heading, section.line
            )
        }));
    }
    fail_with(&problems, "fields written but not described");
}
