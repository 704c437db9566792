//! Checks shared by the demonstration readers.
//!
//! An index field holds a whole number ≥ 0 inside its range. `3.0` counts as 3, because
//! data-frame tools write an integer column that has blanks (the final action of each
//! trajectory) as floats. An action may also be given by name when the MDP names its actions.
//! A step (s, a, s') must take an action available in s (a terminal state has none) and
//! arrive in a state with p(s' | s, a) > 0.
//!
//! Each check returns only the message; the reader adds the place (line, column or field).

use crate::error::quote;
use crate::mdp::Mdp;

/// Largest whole number that an `f64` represents exactly (2^53).
const LARGEST_EXACT_WHOLE: f64 = 9_007_199_254_740_992.0;

/// Parse a whole number ≥ 0, written as an integer or as a float with no fraction.
pub(crate) fn whole_number(text: &str) -> Result<usize, String> {
    if text.is_empty() {
        return Err("the value is empty; expected a whole number ≥ 0".into());
    }
    if let Ok(n) = text.parse::<usize>() {
        return Ok(n);
    }
    let shown = quote(text);
    match text.parse::<f64>() {
        Ok(x) if !x.is_finite() => Err(format!("{shown} is not a finite number")),
        Ok(x) if x < 0.0 => Err(format!("{shown} is negative; expected a whole number ≥ 0")),
        Ok(x) if x.fract() != 0.0 => Err(format!("{shown} is not a whole number")),
        Ok(x) if x > LARGEST_EXACT_WHOLE => Err(format!("{shown} is too large")),
        Ok(x) => Ok(x as usize),
        Err(_) => Err(format!("\"{shown}\" is not a number")),
    }
}

/// Parse a state index in `0..S`.
pub(crate) fn state_index(text: &str, mdp: &Mdp) -> Result<usize, String> {
    let n_states = mdp.n_states();
    let s =
        whole_number(text).map_err(|m| format!("{m}; expected a state index in 0..{n_states}"))?;
    if s >= n_states {
        return Err(format!("state {s} is out of range 0..{n_states}"));
    }
    Ok(s)
}

/// Parse an action: one of the MDP's action names, or an index in `0..A`.
pub(crate) fn action_index(text: &str, mdp: &Mdp) -> Result<usize, String> {
    let n_actions = mdp.n_actions();
    let names = mdp.action_names().unwrap_or_default();
    if let Some(a) = names.iter().position(|name| name == text) {
        return Ok(a);
    }
    let expected = || {
        if names.is_empty() {
            format!("expected an action index in 0..{n_actions}")
        } else {
            format!(
                "expected an action index in 0..{n_actions} or one of the action names {}",
                quote(&names.join(", "))
            )
        }
    };
    let a = whole_number(text).map_err(|m| format!("{m}; {}", expected()))?;
    if a >= n_actions {
        return Err(format!("action {a} is out of range; {}", expected()));
    }
    Ok(a)
}

/// Check that action `a` can be taken in state `s`.
pub(crate) fn action_available(mdp: &Mdp, s: usize, a: usize) -> Result<(), String> {
    if mdp.is_terminal(s) {
        return Err(format!(
            "{} taken in state {s}, which is terminal (a terminal state has no actions)",
            describe_action(mdp, a)
        ));
    }
    if !mdp.available(s, a) {
        return Err(format!(
            "{} is unavailable in state {s} (the MDP lists no transition for it)",
            describe_action(mdp, a)
        ));
    }
    Ok(())
}

/// Check that p(s_next | s, a) > 0.
pub(crate) fn transition_possible(
    mdp: &Mdp,
    s: usize,
    a: usize,
    s_next: usize,
) -> Result<(), String> {
    let (next, _) = mdp.transitions().successors(s, a);
    if next.iter().any(|&n| n as usize == s_next) {
        Ok(())
    } else {
        Err(format!(
            "arriving in state {s_next} from state {s} under {} has zero probability under the MDP",
            describe_action(mdp, a)
        ))
    }
}

/// "action 2" or, when the MDP names its actions, "action 2 (north)".
fn describe_action(mdp: &Mdp, a: usize) -> String {
    match mdp.action_names() {
        Some(names) => format!("action {a} ({})", quote(&names[a])),
        None => format!("action {a}"),
    }
}

#[cfg(test)]
mod tests {
    use super::whole_number;

    #[test]
    fn whole_numbers_accept_integers_and_integral_floats_only() {
        assert_eq!(whole_number("17"), Ok(17));
        assert_eq!(whole_number("3.0"), Ok(3));
        assert_eq!(whole_number("-0"), Ok(0));
        for (text, says) in [
            ("", "empty"),
            ("-1", "negative"),
            ("2.5", "not a whole number"),
            ("x", "not a number"),
            ("NaN", "not a finite number"),
            ("1e300", "too large"),
        ] {
            let message = whole_number(text).unwrap_err();
            assert!(message.contains(says), "{text}: {message}");
        }
    }
}
