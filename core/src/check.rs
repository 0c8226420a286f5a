//! Small checks both validators share: presence, text of a value, ids, unknown field names.

use std::borrow::Cow;

use serde_json::Number;

use crate::codes::Code;
use crate::json::{clip, Raw};
use crate::names::near_miss;
use crate::verdict::Findings;

/// Ids (refTransId, deploymentId, transaction-id) are at most this many characters
/// (contract: "ids at most 128 characters").
pub const ID_MAX_CHARS: usize = 128;

/// How a field is present.
pub(crate) enum Presence<'r, 'a> {
    /// Not in the body.
    Missing,
    /// `null`.
    Null,
    /// `""` or white space only.
    Empty,
    /// Anything else.
    Value(&'r Raw<'a>),
}

impl Presence<'_, '_> {
    /// Why a mandatory field is unusable, when it is.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        match self {
            Presence::Missing => Some("is missing"),
            Presence::Null => Some("is null"),
            Presence::Empty => Some("is empty"),
            Presence::Value(_) => None,
        }
    }
}

pub(crate) fn presence<'r, 'a>(raw: Option<&'r Raw<'a>>) -> Presence<'r, 'a> {
    match raw {
        None => Presence::Missing,
        Some(Raw::Null) => Presence::Null,
        Some(Raw::Str(s)) if s.trim().is_empty() => Presence::Empty,
        Some(v) => Presence::Value(v),
    }
}

/// An optional field's value: `None` when missing or null, and when empty (`""`), which is
/// treated as absent with a warning (partners' serializers send both for "no value").
pub(crate) fn optional<'r, 'a>(
    f: &mut Findings,
    field: &str,
    raw: Option<&'r Raw<'a>>,
) -> Option<&'r Raw<'a>> {
    match presence(raw) {
        Presence::Missing | Presence::Null => None,
        Presence::Empty => {
            f.warn(field, format!("{field} is empty and is treated as absent"));
            None
        }
        Presence::Value(v) => Some(v),
    }
}

/// The text of a whole number (`531`, `-2`); `None` for fractions and exponents.
pub(crate) fn integer_text(n: &Number) -> Option<String> {
    if n.is_u64() || n.is_i64() {
        Some(n.to_string())
    } else {
        None
    }
}

/// Whether text has control characters (NUL included), which no id or code may hold.
pub(crate) fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// Checks the text of an id that is present as a string: length, control characters, and a
/// warning for white space around it. Returns whether it is usable.
pub(crate) fn id_text(f: &mut Findings, field: &str, s: &str, invalid: Code) -> bool {
    let n = s.chars().count();
    if n > ID_MAX_CHARS {
        f.error(
            field,
            invalid,
            format!("{field} has {n} characters; at most {ID_MAX_CHARS} are allowed"),
        );
        return false;
    }
    if has_control(s) {
        f.error(
            field,
            invalid,
            format!("{field} contains control characters"),
        );
        return false;
    }
    if s.trim() != s {
        f.warn(
            field,
            format!(
                "{field} \"{}\" has white space around it; it is kept as sent",
                clip(s)
            ),
        );
    }
    true
}

/// Warns about every unknown top-level field, naming the field that was probably meant.
/// Returns the hints `(sent, meant)` so that a "missing" message can point at them.
pub(crate) fn unknown_fields<'a>(
    f: &mut Findings,
    unknown: &'a [Cow<'a, str>],
    known: &[&'static str],
) -> Vec<(&'a str, &'static str)> {
    let mut hints = Vec::new();
    for name in unknown {
        match near_miss(name, known) {
            Some(meant) => {
                f.warn(
                    name,
                    format!("unknown field \"{}\" is ignored: did you mean \"{meant}\"? Field names are case-sensitive", clip(name)),
                );
                hints.push((name.as_ref(), meant));
            }
            None => f.warn(name, format!("unknown field \"{}\" is ignored", clip(name))),
        }
    }
    hints
}

/// The message for a mandatory field that is missing, null or empty, with the near-miss hint.
pub(crate) fn missing_message(field: &str, problem: &str, hints: &[(&str, &str)]) -> String {
    match hints.iter().find(|(_, meant)| *meant == field) {
        Some((sent, _)) => format!(
            "{field} is mandatory and {problem}; the body has \"{}\" instead (names are case-sensitive)",
            clip(sent)
        ),
        None => format!("{field} is mandatory and {problem}"),
    }
}
