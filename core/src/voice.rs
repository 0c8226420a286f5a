//! API 2 — Update voice deployment transaction status (contract: "API 2").
//!
//! Check order (contract decision): 1001 (unreadable body) → 1002 (mandatory fields, the
//! trombone times when call-source is 3) → 1001 (values). A valid payload has no code.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::check::{self, id_text, integer_text, mandatory, presence, Hints, Presence};
use crate::codes::{Api, Code};
use crate::json::{read_object, Raw};
use crate::lists::{CALL_SOURCES, CALL_STATES, DROP_CODES, VOICE_RECORDED};
use crate::message::{Expectation, Got, Message};
use crate::time::{DateTime, Precision};
use crate::verdict::{Findings, Normalized, Verdict};
use crate::Options;

/// The request's field names, in the contract's order.
pub const FIELDS: &[&str; 16] = &[
    "transaction-id",
    "call-starttime",
    "call-endtime",
    "call-source",
    "trombone-starttime",
    "trombone-endtime",
    "dtmf-digits",
    "voice-tag",
    "call-state",
    "drop-code",
    "drop-reason",
    "message",
    "voice-recorded",
    "times-attempted",
    "a-party",
    "b-party",
];
const TRANSACTION_ID: usize = 0;
const CALL_START: usize = 1;
const CALL_END: usize = 2;
const CALL_SOURCE: usize = 3;
const TROMBONE_START: usize = 4;
const TROMBONE_END: usize = 5;
const DTMF: usize = 6;
const VOICE_TAG: usize = 7;
const CALL_STATE: usize = 8;
const DROP_CODE: usize = 9;
const DROP_REASON: usize = 10;
const MESSAGE: usize = 11;
const VOICE_RECORDED_FIELD: usize = 12;
const TIMES_ATTEMPTED: usize = 13;
const A_PARTY: usize = 14;
const B_PARTY: usize = 15;

/// Free text (voice-tag, drop-reason, message) is at most this many characters.
pub const TEXT_MAX_CHARS: usize = 1024;
/// dtmf-digits and party numbers are at most this many characters.
pub const SHORT_MAX_CHARS: usize = 64;

/// A voice update as stored once validated: every value as text, times with milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct VoicePayload<'a> {
    /// The call's transaction id.
    #[serde(borrow)]
    pub transaction_id: Cow<'a, str>,
    /// `yyyy-MM-dd HH:mm:ss.SSS`
    #[serde(borrow)]
    pub call_starttime: Cow<'a, str>,
    /// `yyyy-MM-dd HH:mm:ss.SSS`
    #[serde(borrow)]
    pub call_endtime: Cow<'a, str>,
    /// `1`, `2` or `3`.
    #[serde(borrow)]
    pub call_source: Cow<'a, str>,
    /// When call-source is 3 (or sent anyway).
    #[serde(borrow)]
    pub trombone_starttime: Option<Cow<'a, str>>,
    /// When call-source is 3 (or sent anyway).
    #[serde(borrow)]
    pub trombone_endtime: Option<Cow<'a, str>>,
    /// Digits pressed.
    #[serde(borrow)]
    pub dtmf_digits: Option<Cow<'a, str>>,
    /// A voice tag.
    #[serde(borrow)]
    pub voice_tag: Option<Cow<'a, str>>,
    /// `1` to `6`.
    #[serde(borrow)]
    pub call_state: Cow<'a, str>,
    /// One of the drop codes.
    #[serde(borrow)]
    pub drop_code: Cow<'a, str>,
    /// Why the call dropped.
    #[serde(borrow)]
    pub drop_reason: Option<Cow<'a, str>>,
    /// A message.
    #[serde(borrow)]
    pub message: Option<Cow<'a, str>>,
    /// `Yes` or `No`.
    #[serde(borrow)]
    pub voice_recorded: Option<Cow<'a, str>>,
    /// A whole number.
    #[serde(borrow)]
    pub times_attempted: Option<Cow<'a, str>>,
    /// A-party number.
    #[serde(borrow)]
    pub a_party: Option<Cow<'a, str>>,
    /// B-party number.
    #[serde(borrow)]
    pub b_party: Option<Cow<'a, str>>,
}

impl VoicePayload<'_> {
    /// The payload with nothing borrowed from the body.
    pub fn into_owned(self) -> VoicePayload<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        VoicePayload {
            transaction_id: own(self.transaction_id),
            call_starttime: own(self.call_starttime),
            call_endtime: own(self.call_endtime),
            call_source: own(self.call_source),
            trombone_starttime: self.trombone_starttime.map(own),
            trombone_endtime: self.trombone_endtime.map(own),
            dtmf_digits: self.dtmf_digits.map(own),
            voice_tag: self.voice_tag.map(own),
            call_state: own(self.call_state),
            drop_code: own(self.drop_code),
            drop_reason: self.drop_reason.map(own),
            message: self.message.map(own),
            voice_recorded: self.voice_recorded.map(own),
            times_attempted: self.times_attempted.map(own),
            a_party: self.a_party.map(own),
            b_party: self.b_party.map(own),
        }
    }
}

/// The check order of voice codes once the body is readable.
fn rank(code: Code) -> u8 {
    match code {
        Code::MandatoryFieldMissing => 1,
        Code::InvalidInputJson => 2,
        _ => 9,
    }
}

/// A time as validated: its value, and its text in the stored form.
type Time<'a> = (DateTime, Cow<'a, str>);

/// Validates a voice request body.
pub fn validate_voice<'a>(body: &'a [u8], opts: &Options<'_>) -> Verdict<'a> {
    let mut f = Findings::new(Api::Voice, rank);
    let body = match read_object(body, FIELDS) {
        Ok(body) => body,
        Err(e) => {
            f.error("body", Code::InvalidInputJson, Message::Body(e));
            return f.finish(opts.profile, None, None);
        }
    };
    let hints = check::unknown_fields(&mut f, &body.unknown, FIELDS);
    let mut v = VoiceCheck {
        f: &mut f,
        hints: &hints,
    };

    let transaction_id = v.transaction_id(body.get(TRANSACTION_ID));
    let call_start = v.time("call-starttime", body.get(CALL_START), true);
    let call_end = v.time("call-endtime", body.get(CALL_END), true);
    let call_source = v.listed("call-source", body.get(CALL_SOURCE), CALL_SOURCES);
    let trombone = call_source.as_deref() == Some("3");
    let trombone_start = v.time("trombone-starttime", body.get(TROMBONE_START), trombone);
    let trombone_end = v.time("trombone-endtime", body.get(TROMBONE_END), trombone);
    let dtmf_digits = v.dtmf(body.get(DTMF));
    let voice_tag = v.text("voice-tag", body.get(VOICE_TAG), TEXT_MAX_CHARS);
    let call_state = v.listed("call-state", body.get(CALL_STATE), CALL_STATES);
    let drop_code = v.listed("drop-code", body.get(DROP_CODE), DROP_CODES);
    let drop_reason = v.text("drop-reason", body.get(DROP_REASON), TEXT_MAX_CHARS);
    let message = v.text("message", body.get(MESSAGE), TEXT_MAX_CHARS);
    let voice_recorded = v.voice_recorded(body.get(VOICE_RECORDED_FIELD));
    let times_attempted = v.times_attempted(body.get(TIMES_ATTEMPTED));
    let a_party = v.text("a-party", body.get(A_PARTY), SHORT_MAX_CHARS);
    let b_party = v.text("b-party", body.get(B_PARTY), SHORT_MAX_CHARS);

    v.ordered("call-endtime", "call-starttime", &call_start, &call_end);
    v.ordered(
        "trombone-endtime",
        "trombone-starttime",
        &trombone_start,
        &trombone_end,
    );
    if call_source.is_some() && !trombone && (trombone_start.is_some() || trombone_end.is_some()) {
        let field = if trombone_start.is_some() {
            "trombone-starttime"
        } else {
            "trombone-endtime"
        };
        f.warn(field, Message::Static("trombone times are only meaningful when call-source is 3 (trombone); they are kept as sent"));
    }
    if drop_code.as_deref() == Some("2005")
        && call_state.as_deref().is_some_and(|s| s != "5" && s != "6")
    {
        f.warn("drop-code", Message::Static("drop-code 2005 (call completed) normally comes with call-state 5 (answered) or 6 (trombone)"));
    }

    let normalized = match (
        f.has_errors(),
        transaction_id,
        call_start,
        call_end,
        call_source,
        call_state,
        drop_code,
    ) {
        (
            false,
            Some(transaction_id),
            Some((_, start)),
            Some((_, end)),
            Some(call_source),
            Some(call_state),
            Some(drop_code),
        ) => Some(Normalized::Voice(VoicePayload {
            transaction_id,
            call_starttime: start,
            call_endtime: end,
            call_source,
            trombone_starttime: trombone_start.map(|(_, t)| t),
            trombone_endtime: trombone_end.map(|(_, t)| t),
            dtmf_digits,
            voice_tag,
            call_state,
            drop_code,
            drop_reason,
            message,
            voice_recorded,
            times_attempted,
            a_party,
            b_party,
        })),
        _ => None,
    };
    f.finish(opts.profile, None, normalized)
}

struct VoiceCheck<'f, 'h, 'a> {
    f: &'f mut Findings<'a>,
    hints: Hints<'h, 'a>,
}

impl<'a> VoiceCheck<'_, '_, 'a> {
    /// The value of a field, or `None` after recording 1002 when it is mandatory and unusable.
    fn present<'r>(
        &mut self,
        field: &'static str,
        raw: Option<&'r Raw<'a>>,
        mandatory_: bool,
    ) -> Option<&'r Raw<'a>> {
        match presence(raw) {
            Presence::Value(v) => Some(v),
            Presence::Absent(absence) => {
                if mandatory_ {
                    let trombone = field.starts_with("trombone-");
                    self.f.error(
                        field,
                        Code::MandatoryFieldMissing,
                        mandatory(field, absence, self.hints, trombone),
                    );
                }
                None
            }
        }
    }

    fn invalid<T>(&mut self, field: &'static str, message: Message<'a>) -> Option<T> {
        self.f.error(field, Code::InvalidInputJson, message);
        None
    }

    fn expected<T>(
        &mut self,
        field: &'static str,
        expected: Expectation,
        got: Got<'a>,
    ) -> Option<T> {
        self.invalid(
            field,
            Message::Expected {
                field,
                expected,
                got,
            },
        )
    }

    fn transaction_id(&mut self, raw: Option<&Raw<'a>>) -> Option<Cow<'a, str>> {
        const FIELD: &str = "transaction-id";
        match self.present(FIELD, raw, true)? {
            Raw::Str(s) => id_text(self.f, FIELD, s, Code::InvalidInputJson).then(|| s.clone()),
            Raw::Number(n) => self.invalid(
                FIELD,
                Message::IdAsNumber {
                    field: FIELD,
                    number: n,
                },
            ),
            other => self.expected(
                FIELD,
                Expectation::Words("a string"),
                Got::Type(other.type_name()),
            ),
        }
    }

    fn time(
        &mut self,
        field: &'static str,
        raw: Option<&Raw<'a>>,
        mandatory_: bool,
    ) -> Option<Time<'a>> {
        const FORMAT: Expectation = Expectation::Words("\"yyyy-MM-dd HH:mm:ss.SSS\"");
        let s = match self.present(field, raw, mandatory_)? {
            Raw::Str(s) => s,
            other => return self.expected(field, FORMAT, Got::Type(other.type_name())),
        };
        match DateTime::parse_voice(s) {
            Some((dt, Precision::Millis)) => Some((dt, s.clone())),
            Some((dt, Precision::Seconds)) => {
                self.f.warn(field, Message::NoMillis { field });
                Some((dt, Cow::Owned(dt.format_millis())))
            }
            None => self.expected(field, FORMAT, Got::Text(s.clone())),
        }
    }

    /// An enumerated value (mandatory), as a string or (with a warning) a number.
    fn listed(
        &mut self,
        field: &'static str,
        raw: Option<&Raw<'a>>,
        list: &'static [(&'static str, &'static str)],
    ) -> Option<Cow<'a, str>> {
        let raw = self.present(field, raw, true)?;
        let in_list = |t: &str| list.iter().any(|(v, _)| *v == t);
        match raw {
            Raw::Str(s) if in_list(s) => Some(s.clone()),
            Raw::Number(n) if integer_text(n).is_some_and(in_list) => {
                self.f
                    .warn(field, Message::NumberAsString { field, number: n });
                Some(Cow::Borrowed(*n))
            }
            Raw::Str(s) => self.expected(field, Expectation::OneOf(list), Got::Text(s.clone())),
            Raw::Number(n) => self.expected(field, Expectation::OneOf(list), Got::Number(n)),
            other => self.expected(
                field,
                Expectation::OneOf(list),
                Got::Type(other.type_name()),
            ),
        }
    }

    /// Optional text: a string (or, with a warning, a number) of at most `max` characters.
    fn text(
        &mut self,
        field: &'static str,
        raw: Option<&Raw<'a>>,
        max: usize,
    ) -> Option<Cow<'a, str>> {
        let s = match self.present(field, raw, false)? {
            Raw::Str(s) => s.clone(),
            Raw::Number(n) => {
                self.f
                    .warn(field, Message::NumberAsString { field, number: n });
                Cow::Borrowed(*n)
            }
            other => {
                return self.expected(
                    field,
                    Expectation::Words("a string"),
                    Got::Type(other.type_name()),
                )
            }
        };
        if s.len() > max {
            let len = s.chars().count();
            if len > max {
                return self.invalid(
                    field,
                    Message::TooLong {
                        field,
                        len,
                        max,
                        unit: "characters",
                    },
                );
            }
        }
        if s.contains('\0') {
            return self.invalid(
                field,
                Message::Static("free text may not contain NUL characters"),
            );
        }
        Some(s)
    }

    fn dtmf(&mut self, raw: Option<&Raw<'a>>) -> Option<Cow<'a, str>> {
        const FIELD: &str = "dtmf-digits";
        let s = self.text(FIELD, raw, SHORT_MAX_CHARS)?;
        if s.bytes()
            .all(|c| matches!(c, b'0'..=b'9' | b'*' | b'#' | b'A'..=b'D'))
        {
            Some(s)
        } else {
            self.expected(
                FIELD,
                Expectation::Words("digits 0-9, *, # or A-D only"),
                Got::Text(s),
            )
        }
    }

    fn voice_recorded(&mut self, raw: Option<&Raw<'a>>) -> Option<Cow<'a, str>> {
        const FIELD: &str = "voice-recorded";
        let s = match self.present(FIELD, raw, false)? {
            Raw::Str(s) => s,
            other => {
                return self.expected(
                    FIELD,
                    Expectation::OneOf(VOICE_RECORDED),
                    Got::Type(other.type_name()),
                )
            }
        };
        match VOICE_RECORDED
            .iter()
            .map(|(v, _)| *v)
            .find(|c| c.eq_ignore_ascii_case(s))
        {
            Some(c) if c == s.as_ref() => Some(Cow::Borrowed(c)),
            Some(canonical) => {
                self.f.warn(
                    FIELD,
                    Message::Recased {
                        field: FIELD,
                        sent: s.clone(),
                        canonical,
                    },
                );
                Some(Cow::Borrowed(canonical))
            }
            None => self.expected(
                FIELD,
                Expectation::OneOf(VOICE_RECORDED),
                Got::Text(s.clone()),
            ),
        }
    }

    fn times_attempted(&mut self, raw: Option<&Raw<'a>>) -> Option<Cow<'a, str>> {
        const FIELD: &str = "times-attempted";
        const WHOLE: Expectation = Expectation::Words("a non-negative whole number");
        let (text, got): (Cow<'a, str>, Got<'a>) = match self.present(FIELD, raw, false)? {
            Raw::Str(s) => (s.clone(), Got::Text(s.clone())),
            Raw::Number(n) => (Cow::Borrowed(*n), Got::Number(n)),
            other => return self.expected(FIELD, WHOLE, Got::Type(other.type_name())),
        };
        let digits_only = text.bytes().all(|b| b.is_ascii_digit());
        match text.parse::<u32>() {
            Ok(n) if digits_only => {
                if let Got::Number(number) = got {
                    self.f.warn(
                        FIELD,
                        Message::NumberAsString {
                            field: FIELD,
                            number,
                        },
                    );
                }
                // Stored without leading zeros.
                Some(if text.len() > 1 && text.starts_with('0') {
                    Cow::Owned(n.to_string())
                } else {
                    text
                })
            }
            _ => self.expected(FIELD, WHOLE, got),
        }
    }

    /// `end` before `start` is 1001 on the end field.
    fn ordered(
        &mut self,
        end_field: &'static str,
        start_field: &'static str,
        start: &Option<Time<'a>>,
        end: &Option<Time<'a>>,
    ) {
        if let (Some((start, _)), Some((end, _))) = (start, end) {
            if end < start {
                self.invalid::<()>(
                    end_field,
                    Message::EndBeforeStart {
                        end_field,
                        end: *end,
                        start_field,
                        start: *start,
                    },
                );
            }
        }
    }
}
