//! Reading the help text the argument parser (clap) prints for one command: the flags
//! it takes, each with whether it takes a value, its default and its possible values;
//! the flags its usage line names as required; and its subcommands.
//!
//! Clap prints a flag in one of two layouts. The short one puts everything on the flag's
//! line, `--backup <BACKUP>  Look-ahead … [default: variational] [possible values: a, b]`;
//! the long one (used for the whole command when any flag has a long description) puts
//! the description, `[default: X]`, `[possible values: a, b]` or a `Possible values:`
//! list of `- name: meaning` lines on lines of their own, indented further than the flag.
//! A default counts only at the end of its entry (followed by nothing or by the possible
//! values), so a description that merely mentions "[default: …]" mid-sentence is not
//! taken for one.

use std::collections::BTreeSet;

/// One flag as the help text describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// The long name without its dashes.
    pub name: String,
    /// Whether the flag takes a value (`--horizon <HORIZON>`) rather than being a switch.
    pub takes_value: bool,
    pub default: Option<String>,
    pub possible_values: Vec<String>,
}

/// What one command's help text says.
#[derive(Debug, Clone, PartialEq)]
pub struct Help {
    pub flags: Vec<Flag>,
    /// Long names of the flags the usage line lists outside `[OPTIONS]`.
    pub required: BTreeSet<String>,
    /// Names of the subcommands, `help` left out.
    pub subcommands: Vec<String>,
}

/// Flag lines are indented by at most this many spaces; continuation lines by more.
const MAX_FLAG_INDENT: usize = 6;

/// The flags clap adds to every command, which the document does not list per command.
pub const BUILT_IN_FLAGS: [&str; 2] = ["help", "version"];

/// Parse the text `irl … --help` printed.
pub fn parse(text: &str) -> Help {
    let required = text
        .lines()
        .find_map(|l| l.strip_prefix("Usage: "))
        .map(|usage| {
            usage
                .split_whitespace()
                .filter_map(|word| word.strip_prefix("--"))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Help {
        flags: entries(section(text, "Options:"))
            .iter()
            .map(|entry| flag(entry))
            .collect(),
        required,
        subcommands: section(text, "Commands:")
            .iter()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|name| *name != "help")
            .map(str::to_string)
            .collect(),
    }
}

/// The lines after the line `title`, up to the next unindented line.
fn section<'a>(text: &'a str, title: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| *l != title)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// The option lines grouped by flag: each group starts at a flag line.
fn entries(lines: Vec<&str>) -> Vec<Vec<&str>> {
    let mut groups: Vec<Vec<&str>> = Vec::new();
    for line in lines {
        let indent = line.len() - line.trim_start().len();
        if indent <= MAX_FLAG_INDENT && line.trim_start().starts_with('-') {
            groups.push(vec![line]);
        } else if let Some(group) = groups.last_mut() {
            group.push(line);
        }
    }
    groups
}

fn flag(entry: &[&str]) -> Flag {
    let head = entry[0].trim_start();
    let head = match head.split_once(", ") {
        Some((short, rest)) if !short.starts_with("--") => rest,
        _ => head,
    };
    let head = head.strip_prefix("--").unwrap_or(head);
    let name_end = head.find([' ', '=']).unwrap_or(head.len());
    let (name, rest) = head.split_at(name_end);
    let takes_value = rest.trim_start().starts_with('<');
    let text: Vec<&str> = std::iter::once(rest)
        .chain(entry[1..].iter().copied())
        .map(str::trim)
        .collect();
    let joined = text.join(" ");
    Flag {
        name: name.to_string(),
        takes_value,
        default: default(&joined),
        possible_values: possible_values(&joined, &text),
    }
}

/// `X` of a `[default: X]` that ends the entry (possibly followed by possible values).
fn default(joined: &str) -> Option<String> {
    const MARK: &str = "[default: ";
    joined.match_indices(MARK).find_map(|(at, _)| {
        let value_start = at + MARK.len();
        let close = value_start + joined[value_start..].find(']')?;
        let rest = joined[close + 1..].trim();
        let only_values_follow =
            rest.starts_with(VALUES_MARK) && rest.ends_with(']') && !rest[1..].contains('[');
        (rest.is_empty() || only_values_follow).then(|| joined[value_start..close].to_string())
    })
}

const VALUES_MARK: &str = "[possible values: ";

fn possible_values(joined: &str, lines: &[&str]) -> Vec<String> {
    if let Some(at) = joined.find(VALUES_MARK) {
        let start = at + VALUES_MARK.len();
        if let Some(len) = joined[start..].find(']') {
            return joined[start..start + len]
                .split(", ")
                .map(str::to_string)
                .collect();
        }
    }
    lines
        .iter()
        .skip_while(|l| **l != "Possible values:")
        .skip(1)
        .map_while(|l| l.strip_prefix("- "))
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag_named<'a>(help: &'a Help, name: &str) -> &'a Flag {
        help.flags
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no flag {name} in {help:?}"))
    }

    /// Both layouts, written out by hand the way clap 4 prints them.
    const SHORT: &str = "\
Solve it

Usage: irl solve [OPTIONS] --mdp <MDP> --out <OUT>

Options:
      --mdp <MDP>
          The MDP (irl-mdp/1)
      --backup <BACKUP>          Look-ahead [default: variational] [possible values: variational, optimistic]
      --scaling-size <N>         Grid side [default: the largest of --sizes]; 0 skips it
      --no-arrays                Leave out the arrays
      --out <OUT>                Where to write
  -h, --help                     Print help
";

    const LONG: &str = "\
Fit it

Usage: irl fit [OPTIONS] --demos <DEMOS>

Options:
      --demos <DEMOS>
          Demonstrations

      --optimizer <OPTIMIZER>
          Optimiser

          Possible values:
          - lbfgs:            L-BFGS
          - gradient-descent: Steepest descent
          
          [default: lbfgs]

      --tolerance <TOLERANCE>
          Relative tolerance
          
          [default: 0.000000000001]

      --own-horizon
          With --horizon: treat each demonstration as its own problem

  -h, --help
          Print help (see a summary with '-h')
";

    #[test]
    fn the_short_layout_gives_flags_defaults_values_and_required_flags() {
        let help = parse(SHORT);
        let names: Vec<&str> = help.flags.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["mdp", "backup", "scaling-size", "no-arrays", "out", "help"]
        );
        let backup = flag_named(&help, "backup");
        assert!(backup.takes_value);
        assert_eq!(backup.default.as_deref(), Some("variational"));
        assert_eq!(backup.possible_values, ["variational", "optimistic"]);
        assert_eq!(flag_named(&help, "scaling-size").default, None);
        assert!(!flag_named(&help, "no-arrays").takes_value);
        assert_eq!(
            help.required.iter().map(String::as_str).collect::<Vec<_>>(),
            ["mdp", "out"]
        );
        assert!(help.subcommands.is_empty());
    }

    #[test]
    fn the_long_layout_gives_the_same() {
        let help = parse(LONG);
        let names: Vec<&str> = help.flags.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["demos", "optimizer", "tolerance", "own-horizon", "help"]
        );
        let optimizer = flag_named(&help, "optimizer");
        assert_eq!(optimizer.default.as_deref(), Some("lbfgs"));
        assert_eq!(optimizer.possible_values, ["lbfgs", "gradient-descent"]);
        assert_eq!(
            flag_named(&help, "tolerance").default.as_deref(),
            Some("0.000000000001")
        );
        let own = flag_named(&help, "own-horizon");
        assert!(!own.takes_value);
        assert_eq!(own.default, None);
        assert_eq!(help.required.len(), 1);
    }

    #[test]
    fn subcommands_are_listed_without_help() {
        let help = parse(
            "Draw\n\nUsage: irl plot <COMMAND>\n\nCommands:\n  reward    Reward map\n  \
             training  Curve\n  help      Print this message\n\nOptions:\n  -h, --help  Print help\n",
        );
        assert_eq!(help.subcommands, ["reward", "training"]);
        assert_eq!(help.flags.len(), 1);
    }
}
