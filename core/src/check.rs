//! Small checks both validators share: presence, text of a value, ids, unknown field names.

use std::borrow::Cow;

use crate::codes::Code;
use crate::json::{swar, Raw};
use crate::message::{Absence, Message};
use crate::names::near_miss;
use crate::verdict::Findings;

/// Ids (refTransId, deploymentId, transaction-id) are at most this many characters
/// (contract: "ids at most 128 characters").
pub const ID_MAX_CHARS: usize = 128;

/// How a field is present.
pub(crate) enum Presence<'r, 'a> {
    /// Missing, null or empty.
    Absent(Absence),
    /// Anything else.
    Value(&'r Raw<'a>),
}

pub(crate) fn presence<'r, 'a>(raw: Option<&'r Raw<'a>>) -> Presence<'r, 'a> {
    match raw {
        None => Presence::Absent(Absence::Missing),
        Some(Raw::Null) => Presence::Absent(Absence::Null),
        Some(Raw::Str(s)) if s.trim().is_empty() => Presence::Absent(Absence::Empty),
        Some(v) => Presence::Value(v),
    }
}

/// An optional field's value: `None` when missing or null, and when empty (`""`), which is
/// treated as absent with a warning (partners' serializers send both for "no value").
pub(crate) fn optional<'r, 'a>(
    f: &mut Findings<'a>,
    field: &'static str,
    raw: Option<&'r Raw<'a>>,
) -> Option<&'r Raw<'a>> {
    match presence(raw) {
        Presence::Absent(Absence::Empty) => {
            f.warn(field, Message::EmptyAsAbsent { field });
            None
        }
        Presence::Absent(_) => None,
        Presence::Value(v) => Some(v),
    }
}

/// The near-miss hints of a body: `(sent, meant)`.
pub(crate) type Hints<'h, 'a> = &'h [(&'h Cow<'a, str>, &'static str)];

/// The message for a mandatory field that is missing, null or empty, with its near-miss hint.
pub(crate) fn mandatory<'a>(
    field: &'static str,
    absence: Absence,
    hints: Hints<'_, 'a>,
    trombone: bool,
) -> Message<'a> {
    let sent_instead = hints
        .iter()
        .find(|(_, meant)| *meant == field)
        .map(|(sent, _)| (*sent).clone());
    Message::Mandatory {
        field,
        absence,
        sent_instead,
        trombone,
    }
}

/// The text of a whole number (`531`, `-2`); `None` for fractions and exponents.
pub(crate) fn integer_text(n: &str) -> Option<&str> {
    (!n.contains(['.', 'e', 'E'])).then_some(n)
}

/// Whether text has control characters (NUL included), which no id or code may hold.
pub(crate) fn has_control(s: &str) -> bool {
    // C0 and DEL are single bytes; C1 controls (U+0080-U+009F) all start with 0xC2. Eight
    // bytes at a time (the last word padded with spaces, which are none of those): ids are
    // read on every request.
    let suspect = |chunk: &[u8]| {
        let mut word = [b' '; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        swar::bytes_below(w, 0x20) | swar::bytes_eq(w, 0x7f) | swar::bytes_eq(w, 0xc2) != 0
    };
    s.as_bytes().chunks(8).any(suspect) && s.chars().any(char::is_control)
}

/// Checks the text of an id that is present as a string: length, control characters, and a
/// warning for white space around it. Returns whether it is usable.
// A `Cow` and not a `&str`: the warning clones it, which copies nothing when it borrows the body.
#[allow(clippy::ptr_arg)]
pub(crate) fn id_text<'a>(
    f: &mut Findings<'a>,
    field: &'static str,
    s: &Cow<'a, str>,
    invalid: Code,
) -> bool {
    // Bytes bound characters from above: count characters only when it matters.
    if s.len() > ID_MAX_CHARS {
        let len = s.chars().count();
        if len > ID_MAX_CHARS {
            f.error(
                field,
                invalid,
                Message::TooLong {
                    field,
                    len,
                    max: ID_MAX_CHARS,
                    unit: "characters",
                },
            );
            return false;
        }
    }
    if has_control(s) {
        f.error(field, invalid, Message::ControlCharacters { field });
        return false;
    }
    if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        f.warn(
            field,
            Message::Padded {
                field,
                value: s.clone(),
            },
        );
    }
    true
}

/// Warns about every unknown top-level field, naming the field that was probably meant.
/// Returns the hints `(sent, meant)` so that a "missing" message can point at them.
pub(crate) fn unknown_fields<'u, 'a>(
    f: &mut Findings<'a>,
    unknown: &'u [Cow<'a, str>],
    known: &[&'static str],
) -> Vec<(&'u Cow<'a, str>, &'static str)> {
    let mut hints = Vec::new();
    for name in unknown {
        match near_miss(name, known) {
            Some(meant) => {
                f.warn(
                    name.clone(),
                    Message::NearMiss {
                        name: name.clone(),
                        meant,
                        in_additional_info: false,
                    },
                );
                hints.push((name, meant));
            }
            None => f.warn(name.clone(), Message::Unknown { name: name.clone() }),
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The word-at-a-time scan says what `char::is_control` says, at every length and
        /// position around the 8-byte steps (C0, DEL, C1 and their neighbours included).
        #[test]
        fn has_control_is_char_is_control(s in "[ -~\\x00-\\x1f\\x7f\u{80}-\u{a0}\u{c0}\u{100}é]{0,40}") {
            prop_assert_eq!(super::has_control(&s), s.chars().any(char::is_control));
        }
    }
}
