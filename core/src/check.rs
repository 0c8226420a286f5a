//! The checks both validators share, driven by the field tables (`fields.rs`): presence, and
//! one check per kind of field (ids, listed values, times, text, digits, whole numbers, a JSON
//! object in a string). Each API says which codes its problems get ([`ApiRules`]).

use std::borrow::Cow;

use crate::codes::Code;
use crate::fields::{Field, Kind, Need, TimeFormat, ID_MAX_CHARS};
use crate::json::{Escaped, Raw};
use crate::message::{Absence, Expectation, Got, Message};
use crate::names::{near_miss, Known};
use crate::swar;
use crate::time::{DateTime, Precision};
use crate::verdict::Findings;

/// What an API answers for the problems both APIs can have (contract: each API's code table).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ApiRules {
    /// A mandatory field missing, null or empty.
    pub missing: Code,
    /// A value that is not one of its list.
    pub not_listed: Code,
    /// An id that is not a string.
    pub id_not_string: Code,
    /// Any other unusable value.
    pub invalid: Code,
    /// Whether `""` for an optional field gets a warning (it is absent either way).
    pub warn_empty_optional: bool,
}

/// How a field is present.
enum Presence<'r, 'a> {
    /// Missing, null or empty.
    Absent(Absence),
    /// Anything else.
    Value(&'r Raw<'a>),
}

fn presence<'r, 'a>(raw: Option<&'r Raw<'a>>) -> Presence<'r, 'a> {
    match raw {
        None => Presence::Absent(Absence::Missing),
        Some(Raw::Null) => Presence::Absent(Absence::Null),
        Some(Raw::Str(s)) if blank(s) => Presence::Absent(Absence::Empty),
        Some(Raw::Escaped(e)) if blank_escaped(*e) => Presence::Absent(Absence::Empty),
        Some(v) => Presence::Value(v),
    }
}

/// [`blank`] of an escaped string's decoded text, decoding only when its first byte does not
/// settle it.
fn blank_escaped(e: Escaped<'_>) -> bool {
    match e.source().as_bytes().first() {
        Some(b'!'..=b'[' | b']'..=b'~') => false,
        _ => blank(&e.unescape()),
    }
}

/// Whether `s` is empty or white space only. A first byte that is printable ASCII settles it
/// without a trim (almost every value); white space includes every byte up to the space.
pub(crate) fn blank(s: &str) -> bool {
    match s.as_bytes().first() {
        None => true,
        Some(b'!'..=b'~') => false,
        Some(_) => s.trim().is_empty(),
    }
}

/// The near-miss hints of a body: `(sent, meant)`.
pub(crate) type Hints<'h, 'a> = &'h [(&'h Cow<'a, str>, &'static str)];

/// The text of a whole number (`531`, `-2`); `None` for fractions and exponents.
pub(crate) fn integer_text(n: &str) -> Option<&str> {
    (!n.contains(['.', 'e', 'E'])).then_some(n)
}

/// Whether text has control characters (NUL included), which no id or code may hold.
pub(crate) fn has_control(s: &str) -> bool {
    // C0 and DEL are single bytes; C1 controls (U+0080-U+009F) all start with 0xC2. Eight
    // bytes at a time; the tail as the last eight bytes, read again where they overlap (a
    // padded copy cost a memcpy call, an iterator over words and a byte loop twice the
    // instructions: callgrind): ids are read on every request.
    let suspect = |w: u64| {
        swar::bytes_below(w, 0x20) | swar::bytes_eq(w, 0x7f) | swar::bytes_eq(w, 0xc2) != 0
    };
    let b = s.as_bytes();
    let any = if b.len() < 8 {
        b.iter().any(|c| *c < 0x20 || *c == 0x7f || *c == 0xc2)
    } else {
        let mut pos = 0;
        let mut found = false;
        while let Some(w) = b.get(pos..pos + 8) {
            found |= suspect(swar::word(w));
            pos += 8;
        }
        found || (pos != b.len() && suspect(swar::word(&b[b.len() - 8..])))
    };
    any && s.chars().any(char::is_control)
}

/// Warns about every unknown top-level field, naming the field that was probably meant.
/// Returns the hints `(sent, meant)` so that a "missing" message can point at them.
pub(crate) fn unknown_fields<'u, 'a>(
    f: &mut Findings<'a>,
    unknown: &'u [Cow<'a, str>],
    known: &[Known],
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

/// A field's value once checked.
#[derive(Debug)]
pub(crate) enum Value<'a> {
    /// Text as stored.
    Text(Cow<'a, str>),
    /// A date-time, and its text as stored.
    Time(DateTime, Cow<'a, str>),
    /// A JSON object in a string with escapes, not decoded yet: its API reads the object in
    /// place ([`crate::json::read_object_escaped`]).
    Escaped(Escaped<'a>),
}

impl<'a> Value<'a> {
    /// The text as stored.
    pub(crate) fn into_text(self) -> Cow<'a, str> {
        match self {
            Value::Text(t) | Value::Time(_, t) => t,
            Value::Escaped(e) => Cow::Owned(e.unescape()),
        }
    }

    /// The text as stored; `None` for an escaped JSON object (not decoded yet).
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Value::Text(t) | Value::Time(_, t) => Some(t),
            Value::Escaped(_) => None,
        }
    }

    /// The date-time, for a time.
    pub(crate) fn time(&self) -> Option<DateTime> {
        match self {
            Value::Time(dt, _) => Some(*dt),
            Value::Text(_) | Value::Escaped(_) => None,
        }
    }
}

impl TimeFormat {
    fn expectation(self) -> Expectation {
        match self {
            TimeFormat::Seconds => Expectation::Words(
                "\"yyyy-MM-dd HH:mm:ss\" (or RFC 3339 such as 2020-11-12T10:29:55Z)",
            ),
            TimeFormat::Millis => Expectation::Words("\"yyyy-MM-dd HH:mm:ss.SSS\""),
        }
    }
}

/// Checks one body's fields against their rows, recording what it finds.
pub(crate) struct Checker<'f, 'h, 'a> {
    /// Where findings go.
    pub f: &'f mut Findings<'a>,
    hints: Hints<'h, 'a>,
    rules: ApiRules,
}

impl<'f, 'h, 'a> Checker<'f, 'h, 'a> {
    pub(crate) fn new(f: &'f mut Findings<'a>, hints: Hints<'h, 'a>, rules: ApiRules) -> Self {
        Self { f, hints, rules }
    }

    /// Checks `raw` as the value of `field`; `mandatory` says whether it must be there (the
    /// caller decides [`Need::WhenTrombone`]). `None` when absent or unusable (recorded).
    #[inline]
    pub(crate) fn value(
        &mut self,
        field: Field,
        raw: Option<&Raw<'a>>,
        mandatory: bool,
    ) -> Option<Value<'a>> {
        // An optional field not sent has nothing to check or say: answered here, without the
        // checks' call (callgrind: most bodies leave one or two optional fields out).
        if raw.is_none() && !mandatory {
            return None;
        }
        self.present(field, raw, mandatory)
    }

    /// [`Self::value`] of a field that is sent or mandatory.
    fn present(
        &mut self,
        field: Field,
        raw: Option<&Raw<'a>>,
        mandatory: bool,
    ) -> Option<Value<'a>> {
        // A string with escapes is decoded here, once, for every kind of field but a JSON
        // object in a string, which its API reads in place.
        let decoded;
        let raw = match raw {
            Some(Raw::Escaped(e)) if !matches!(field.kind, Kind::JsonObject(_)) => {
                decoded = Raw::Str(Cow::Owned(e.unescape()));
                Some(&decoded)
            }
            other => other,
        };
        let raw = match presence(raw) {
            Presence::Value(v) => v,
            Presence::Absent(absence) => {
                if mandatory {
                    self.missing(field, absence);
                } else if absence == Absence::Empty && self.rules.warn_empty_optional {
                    self.f
                        .warn(field.name, Message::EmptyAsAbsent { field: field.name });
                }
                return None;
            }
        };
        let name = field.name;
        match field.kind {
            Kind::Id => self.id(name, raw).map(Value::Text),
            Kind::List(list) => self.listed(name, raw, list).map(Value::Text),
            Kind::ListAnyCase(list) => self.any_case(name, raw, list).map(Value::Text),
            Kind::Time(format) => self.time(name, raw, format),
            Kind::Text(max) => self.text(name, raw, max).map(Value::Text),
            Kind::Digits(max) => self.digits(name, raw, max).map(Value::Text),
            Kind::Whole => self.whole(name, raw).map(Value::Text),
            Kind::JsonObject(max) => self.json_object(name, raw, max),
        }
    }

    /// Records a mandatory field as missing, with the near-miss name sent instead, if any.
    fn missing(&mut self, field: Field, absence: Absence) {
        let sent_instead = self
            .hints
            .iter()
            .find(|(_, meant)| *meant == field.name)
            .map(|(sent, _)| (*sent).clone());
        let message = Message::Mandatory {
            field: field.name,
            absence,
            sent_instead,
            trombone: field.need == Need::WhenTrombone,
        };
        self.f.error(field.name, self.rules.missing, message);
    }

    /// Records `message` under the API's code for an unusable value.
    pub(crate) fn invalid<T>(&mut self, field: &'static str, message: Message<'a>) -> Option<T> {
        self.f.error(field, self.rules.invalid, message);
        None
    }

    fn expected<T>(
        &mut self,
        field: &'static str,
        expected: Expectation,
        got: Got<'a>,
    ) -> Option<T> {
        self.expected_as(self.rules.invalid, field, expected, got)
    }

    fn expected_as<T>(
        &mut self,
        code: Code,
        field: &'static str,
        expected: Expectation,
        got: Got<'a>,
    ) -> Option<T> {
        self.f.expected(field, code, expected, got);
        None
    }

    fn number_as_string(&mut self, field: &'static str, number: &'a str) {
        self.f
            .warn(field, Message::NumberAsString { field, number });
    }

    fn id(&mut self, field: &'static str, raw: &Raw<'a>) -> Option<Cow<'a, str>> {
        let code = self.rules.id_not_string;
        match raw {
            Raw::Str(s) => self.id_text(field, s).then(|| s.clone()),
            Raw::Number(number) => {
                self.f
                    .error(field, code, Message::IdAsNumber { field, number });
                None
            }
            other => self.expected_as(
                code,
                field,
                Expectation::Words("a non-empty string"),
                Got::Type(other.type_name()),
            ),
        }
    }

    /// The text of an id sent as a string: length, control characters, and a warning for white
    /// space around it. Whether it is usable.
    // A `Cow` and not a `&str`: the warning clones it, which copies nothing when it borrows.
    #[allow(clippy::ptr_arg)]
    fn id_text(&mut self, field: &'static str, s: &Cow<'a, str>) -> bool {
        if self.too_long(field, s, ID_MAX_CHARS) {
            return false;
        }
        if has_control(s) {
            self.invalid::<()>(field, Message::ControlCharacters { field });
            return false;
        }
        if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
            let value = s.clone();
            self.f.warn(field, Message::Padded { field, value });
        }
        true
    }

    /// Whether `s` has more than `max` characters (recorded).
    fn too_long(&mut self, field: &'static str, s: &str, max: usize) -> bool {
        // Bytes bound characters from above: count characters only when it matters.
        if s.len() <= max {
            return false;
        }
        let len = s.chars().count();
        if len > max {
            let unit = "characters";
            self.invalid::<()>(
                field,
                Message::TooLong {
                    field,
                    len,
                    max,
                    unit,
                },
            );
        }
        len > max
    }

    /// One value of `list`, as a string or (with a warning) a whole number.
    fn listed(
        &mut self,
        field: &'static str,
        raw: &Raw<'a>,
        list: &'static [(&'static str, &'static str)],
    ) -> Option<Cow<'a, str>> {
        let in_list = |t: &str| list.iter().any(|(v, _)| *v == t);
        let got = match raw {
            Raw::Str(s) if in_list(s) => return Some(s.clone()),
            Raw::Number(n) if integer_text(n).is_some_and(in_list) => {
                self.number_as_string(field, n);
                return Some(Cow::Borrowed(*n));
            }
            Raw::Str(s) => Got::Text(s.clone()),
            Raw::Number(n) => Got::Number(n),
            other => Got::Type(other.type_name()),
        };
        self.expected_as(self.rules.not_listed, field, Expectation::OneOf(list), got)
    }

    /// One value of `list` in any casing (a warning when not in the list's), stored in the
    /// list's casing.
    fn any_case(
        &mut self,
        field: &'static str,
        raw: &Raw<'a>,
        list: &'static [(&'static str, &'static str)],
    ) -> Option<Cow<'a, str>> {
        let Raw::Str(sent) = raw else {
            return self.expected(field, Expectation::OneOf(list), Got::Type(raw.type_name()));
        };
        match list
            .iter()
            .map(|(v, _)| *v)
            .find(|c| c.eq_ignore_ascii_case(sent))
        {
            Some(canonical) => {
                if canonical != sent.as_ref() {
                    let sent = sent.clone();
                    self.f.warn(
                        field,
                        Message::Recased {
                            field,
                            sent,
                            canonical,
                        },
                    );
                }
                Some(Cow::Borrowed(canonical))
            }
            None => self.expected(field, Expectation::OneOf(list), Got::Text(sent.clone())),
        }
    }

    /// A date-time in `format`, stored in its canonical form.
    fn time(
        &mut self,
        field: &'static str,
        raw: &Raw<'a>,
        format: TimeFormat,
    ) -> Option<Value<'a>> {
        let Raw::Str(s) = raw else {
            return self.expected(field, format.expectation(), Got::Type(raw.type_name()));
        };
        let parsed = match format {
            TimeFormat::Seconds => match DateTime::parse_plain(s) {
                Some(dt) => Some((dt, s.clone())),
                None => {
                    DateTime::parse_rfc3339_utc(s).map(|dt| (dt, Cow::Owned(dt.format_seconds())))
                }
            },
            TimeFormat::Millis => match DateTime::parse_voice(s) {
                Some((dt, Precision::Millis)) => Some((dt, s.clone())),
                Some((dt, Precision::Seconds)) => {
                    self.f.warn(field, Message::NoMillis { field });
                    Some((dt, Cow::Owned(dt.format_millis())))
                }
                None => None,
            },
        };
        match parsed {
            Some((dt, text)) => Some(Value::Time(dt, text)),
            None => self.expected(field, format.expectation(), Got::Text(s.clone())),
        }
    }

    /// Free text of at most `max` characters, as a string or (with a warning) a number.
    fn text(&mut self, field: &'static str, raw: &Raw<'a>, max: usize) -> Option<Cow<'a, str>> {
        let s = match raw {
            Raw::Str(s) => s.clone(),
            Raw::Number(n) => {
                self.number_as_string(field, n);
                Cow::Borrowed(*n)
            }
            other => {
                let got = Got::Type(other.type_name());
                return self.expected(field, Expectation::Words("a string"), got);
            }
        };
        if self.too_long(field, &s, max) {
            return None;
        }
        if s.contains('\0') {
            return self.invalid(
                field,
                Message::Static("free text may not contain NUL characters"),
            );
        }
        Some(s)
    }

    /// DTMF digits: text of 0-9, *, # and A-D only.
    fn digits(&mut self, field: &'static str, raw: &Raw<'a>, max: usize) -> Option<Cow<'a, str>> {
        let s = self.text(field, raw, max)?;
        if s.bytes()
            .all(|c| matches!(c, b'0'..=b'9' | b'*' | b'#' | b'A'..=b'D'))
        {
            Some(s)
        } else {
            self.expected(
                field,
                Expectation::Words("digits 0-9, *, # or A-D only"),
                Got::Text(s),
            )
        }
    }

    /// A whole number from 0 to 2^32 - 1, as a number (with a warning) or its digits; stored
    /// without leading zeros.
    fn whole(&mut self, field: &'static str, raw: &Raw<'a>) -> Option<Cow<'a, str>> {
        const WHOLE: Expectation = Expectation::Words("a non-negative whole number");
        let (text, got): (Cow<'a, str>, Got<'a>) = match raw {
            Raw::Str(s) => (s.clone(), Got::Text(s.clone())),
            Raw::Number(n) => (Cow::Borrowed(*n), Got::Number(n)),
            other => return self.expected(field, WHOLE, Got::Type(other.type_name())),
        };
        let digits_only = text.bytes().all(|b| b.is_ascii_digit());
        match text.parse::<u32>() {
            Ok(n) if digits_only => {
                if let Got::Number(number) = got {
                    self.number_as_string(field, number);
                }
                Some(if text.len() > 1 && text.starts_with('0') {
                    Cow::Owned(n.to_string())
                } else {
                    text
                })
            }
            _ => self.expected(field, WHOLE, got),
        }
    }

    /// A JSON object encoded in a string (an object itself is taken as its text, with a
    /// warning), at most `max` bytes. Its content is the API's business.
    fn json_object(&mut self, field: &'static str, raw: &Raw<'a>, max: usize) -> Option<Value<'a>> {
        let text = match raw {
            // Decoded text is never longer than the text as sent.
            Raw::Escaped(e) if e.source().len() <= max => return Some(Value::Escaped(*e)),
            Raw::Escaped(e) => Cow::Owned(e.unescape()),
            Raw::Str(s) => s.clone(),
            Raw::Object(o) => {
                self.f.warn(field, Message::ObjectAsString { field });
                Cow::Borrowed(*o)
            }
            other => {
                return self.expected(
                    field,
                    json_object_expectation(),
                    Got::Type(other.type_name()),
                )
            }
        };
        if text.len() > max {
            let len = text.len();
            return self.invalid(
                field,
                Message::TooLong {
                    field,
                    len,
                    max,
                    unit: "bytes",
                },
            );
        }
        Some(Value::Text(text))
    }
}

/// What a JSON-object-in-a-string field must hold.
pub(crate) const fn json_object_expectation() -> Expectation {
    Expectation::Words(
        "a JSON object encoded in a string, such as \"{\\\"responseCode\\\":\\\"403\\\"}\"",
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The fast path says what a trim says.
        #[test]
        fn blank_is_trim_is_empty(s in "[ -~\\x00-\\x1f\\x7f\u{85}\u{a0}\u{2000}\u{3000}é]{0,6}") {
            prop_assert_eq!(super::blank(&s), s.trim().is_empty());
        }

        /// The word-at-a-time scan says what `char::is_control` says, at every length and
        /// position around the 8-byte steps (C0, DEL, C1 and their neighbours included).
        #[test]
        fn has_control_is_char_is_control(s in "[ -~\\x00-\\x1f\\x7f\u{80}-\u{a0}\u{c0}\u{100}é]{0,40}") {
            prop_assert_eq!(super::has_control(&s), s.chars().any(char::is_control));
        }
    }
}
