//! API 2 — Update voice deployment transaction status (contract: "API 2").
//!
//! Check order (contract decision): 1001 (unreadable body) → 1002 (mandatory fields, the
//! trombone times when call-source is 3) → 1001 (values). A valid payload has no code.

use serde::{Deserialize, Serialize};

use crate::check::{self, id_text, integer_text, missing_message, presence, Presence};
use crate::codes::{Api, Code};
use crate::json::{clip, read_object, Raw};
use crate::lists::{self, CALL_SOURCES, CALL_STATES, DROP_CODES};
use crate::time::{DateTime, Precision};
use crate::verdict::{Findings, Normalized, Verdict};
use crate::Options;

/// The request's field names, in the contract's order.
pub const FIELDS: &[&str] = &[
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
const VOICE_RECORDED: usize = 12;
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
pub struct VoicePayload {
    /// The call's transaction id.
    pub transaction_id: String,
    /// `yyyy-MM-dd HH:mm:ss.SSS`
    pub call_starttime: String,
    /// `yyyy-MM-dd HH:mm:ss.SSS`
    pub call_endtime: String,
    /// `1`, `2` or `3`.
    pub call_source: String,
    /// When call-source is 3 (or sent anyway).
    pub trombone_starttime: Option<String>,
    /// When call-source is 3 (or sent anyway).
    pub trombone_endtime: Option<String>,
    /// Digits pressed.
    pub dtmf_digits: Option<String>,
    /// A voice tag.
    pub voice_tag: Option<String>,
    /// `1` to `6`.
    pub call_state: String,
    /// One of the drop codes.
    pub drop_code: String,
    /// Why the call dropped.
    pub drop_reason: Option<String>,
    /// A message.
    pub message: Option<String>,
    /// `Yes` or `No`.
    pub voice_recorded: Option<String>,
    /// A whole number.
    pub times_attempted: Option<String>,
    /// A-party number.
    pub a_party: Option<String>,
    /// B-party number.
    pub b_party: Option<String>,
}

/// The check order of voice codes once the body is readable.
fn rank(code: Code) -> u8 {
    match code {
        Code::MandatoryFieldMissing => 1,
        Code::InvalidInputJson => 2,
        _ => 9,
    }
}

/// Validates a voice request body.
pub fn validate_voice(body: &[u8], opts: &Options<'_>) -> Verdict {
    let mut f = Findings::new(Api::Voice, rank);
    let body = match read_object(body, FIELDS) {
        Ok(body) => body,
        Err(e) => {
            f.error("body", Code::InvalidInputJson, e.to_string());
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
    let call_source = v.listed("call-source", body.get(CALL_SOURCE), CALL_SOURCES, true);
    let trombone = call_source.as_deref() == Some("3");
    let trombone_start = v.time("trombone-starttime", body.get(TROMBONE_START), trombone);
    let trombone_end = v.time("trombone-endtime", body.get(TROMBONE_END), trombone);
    let dtmf_digits = v.dtmf(body.get(DTMF));
    let voice_tag = v.text("voice-tag", body.get(VOICE_TAG), TEXT_MAX_CHARS);
    let call_state = v.listed("call-state", body.get(CALL_STATE), CALL_STATES, true);
    let drop_code = v.listed("drop-code", body.get(DROP_CODE), DROP_CODES, true);
    let drop_reason = v.text("drop-reason", body.get(DROP_REASON), TEXT_MAX_CHARS);
    let message = v.text("message", body.get(MESSAGE), TEXT_MAX_CHARS);
    let voice_recorded = v.voice_recorded(body.get(VOICE_RECORDED));
    let times_attempted = v.times_attempted(body.get(TIMES_ATTEMPTED));
    let a_party = v.text("a-party", body.get(A_PARTY), SHORT_MAX_CHARS);
    let b_party = v.text("b-party", body.get(B_PARTY), SHORT_MAX_CHARS);

    v.ordered("call-endtime", "call-starttime", call_start, call_end);
    v.ordered(
        "trombone-endtime",
        "trombone-starttime",
        trombone_start,
        trombone_end,
    );
    if call_source.is_some() && !trombone && (trombone_start.is_some() || trombone_end.is_some()) {
        let field = if trombone_start.is_some() {
            "trombone-starttime"
        } else {
            "trombone-endtime"
        };
        f.warn(field, "trombone times are only meaningful when call-source is 3 (trombone); they are kept as sent".into());
    }
    if drop_code.as_deref() == Some("2005")
        && call_state.as_deref().is_some_and(|s| s != "5" && s != "6")
    {
        f.warn(
            "drop-code",
            "drop-code 2005 (call completed) normally comes with call-state 5 (answered) or 6 (trombone)".into(),
        );
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
            Some(start),
            Some(end),
            Some(call_source),
            Some(call_state),
            Some(drop_code),
        ) => Some(Normalized::Voice(VoicePayload {
            transaction_id,
            call_starttime: start.format_millis(),
            call_endtime: end.format_millis(),
            call_source,
            trombone_starttime: trombone_start.map(|t| t.format_millis()),
            trombone_endtime: trombone_end.map(|t| t.format_millis()),
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

struct VoiceCheck<'f, 'h> {
    f: &'f mut Findings,
    hints: &'h [(&'h str, &'static str)],
}

impl VoiceCheck<'_, '_> {
    /// The value of a field, or `None` after recording 1002 when it is mandatory and unusable.
    fn present<'r, 'a>(
        &mut self,
        field: &str,
        raw: Option<&'r Raw<'a>>,
        mandatory: bool,
    ) -> Option<&'r Raw<'a>> {
        match presence(raw) {
            Presence::Value(v) => Some(v),
            p => {
                if mandatory {
                    let problem = p.problem().unwrap_or_default();
                    let mut message = missing_message(field, problem, self.hints);
                    if field.starts_with("trombone-") {
                        message.push_str(" (it is mandatory when call-source is 3)");
                    }
                    self.f.error(field, Code::MandatoryFieldMissing, message);
                }
                None
            }
        }
    }

    fn invalid(&mut self, field: &str, message: String) -> Option<String> {
        self.f.error(field, Code::InvalidInputJson, message);
        None
    }

    fn number_warning(&mut self, field: &str, n: &serde_json::Number) {
        self.f.warn(
            field,
            format!("{field} is documented as a string: send \"{n}\", not the number {n}"),
        );
    }

    fn transaction_id(&mut self, raw: Option<&Raw<'_>>) -> Option<String> {
        const FIELD: &str = "transaction-id";
        match self.present(FIELD, raw, true)? {
            Raw::Str(s) => id_text(self.f, FIELD, s, Code::InvalidInputJson).then(|| s.to_string()),
            Raw::Number(n) => self.invalid(
                FIELD,
                format!("transaction-id must be a string: send \"{n}\" (ids given as JSON numbers lose digits past 2^53)"),
            ),
            other => self.invalid(FIELD, format!("transaction-id must be a string; got {}", other.type_name())),
        }
    }

    fn time(&mut self, field: &str, raw: Option<&Raw<'_>>, mandatory: bool) -> Option<DateTime> {
        let s = match self.present(field, raw, mandatory)? {
            Raw::Str(s) => s,
            other => {
                self.invalid(
                    field,
                    format!(
                        "{field} must be a string \"yyyy-MM-dd HH:mm:ss.SSS\"; got {}",
                        other.type_name()
                    ),
                );
                return None;
            }
        };
        match DateTime::parse_voice(s) {
            Some((dt, Precision::Millis)) => Some(dt),
            Some((dt, Precision::Seconds)) => {
                self.f.warn(field, format!("{field} has no milliseconds: \"yyyy-MM-dd HH:mm:ss.SSS\" is documented; .000 is assumed"));
                Some(dt)
            }
            None => {
                self.invalid(
                    field,
                    format!(
                        "{field} must be \"yyyy-MM-dd HH:mm:ss.SSS\"; got \"{}\"",
                        clip(s)
                    ),
                );
                None
            }
        }
    }

    /// An enumerated value, as a string or (with a warning) a number.
    fn listed(
        &mut self,
        field: &str,
        raw: Option<&Raw<'_>>,
        list: &[(&'static str, &'static str)],
        mandatory: bool,
    ) -> Option<String> {
        let raw = self.present(field, raw, mandatory)?;
        let (text, number) = match raw {
            Raw::Str(s) => (Some(s.to_string()), None),
            Raw::Number(n) => (integer_text(n), Some(n)),
            other => {
                return self.invalid(
                    field,
                    format!(
                        "{field} must be one of {}; got {}",
                        lists::describe(list),
                        other.type_name()
                    ),
                )
            }
        };
        match text.filter(|t| lists::meaning(list, t).is_some()) {
            Some(t) => {
                if let Some(n) = number {
                    self.number_warning(field, n);
                }
                Some(t)
            }
            None => {
                let shown = match raw {
                    Raw::Str(s) => format!("\"{}\"", clip(s)),
                    _ => format!(
                        "the number {}",
                        number.map(ToString::to_string).unwrap_or_default()
                    ),
                };
                self.invalid(
                    field,
                    format!(
                        "{field} must be one of {}; got {shown}",
                        lists::describe(list)
                    ),
                )
            }
        }
    }

    /// Optional text: a string (or, with a warning, a number) of at most `max` characters.
    fn text(&mut self, field: &str, raw: Option<&Raw<'_>>, max: usize) -> Option<String> {
        let s = match self.present(field, raw, false)? {
            Raw::Str(s) => s.to_string(),
            Raw::Number(n) => {
                self.number_warning(field, n);
                n.to_string()
            }
            other => {
                return self.invalid(
                    field,
                    format!("{field} must be a string; got {}", other.type_name()),
                )
            }
        };
        let n = s.chars().count();
        if n > max {
            return self.invalid(
                field,
                format!("{field} has {n} characters; at most {max} are allowed"),
            );
        }
        if s.contains('\0') {
            return self.invalid(field, format!("{field} contains a NUL character"));
        }
        Some(s)
    }

    fn dtmf(&mut self, raw: Option<&Raw<'_>>) -> Option<String> {
        const FIELD: &str = "dtmf-digits";
        let s = self.text(FIELD, raw, SHORT_MAX_CHARS)?;
        if let Some(c) = s
            .chars()
            .find(|c| !matches!(c, '0'..='9' | '*' | '#' | 'A'..='D'))
        {
            return self.invalid(
                FIELD,
                format!(
                    "dtmf-digits may hold only 0-9, *, # and A-D; got '{}'",
                    c.escape_default()
                ),
            );
        }
        Some(s)
    }

    fn voice_recorded(&mut self, raw: Option<&Raw<'_>>) -> Option<String> {
        const FIELD: &str = "voice-recorded";
        let s = match self.present(FIELD, raw, false)? {
            Raw::Str(s) => s,
            other => {
                return self.invalid(
                    FIELD,
                    format!(
                        "voice-recorded must be \"Yes\" or \"No\"; got {}",
                        other.type_name()
                    ),
                )
            }
        };
        let canonical = ["Yes", "No"]
            .into_iter()
            .find(|c| c.eq_ignore_ascii_case(s));
        match canonical {
            Some(c) if c == s => Some(c.to_owned()),
            Some(c) => {
                self.f.warn(FIELD, format!("voice-recorded \"{}\" is taken as \"{c}\"; the documented values are \"Yes\" and \"No\"", clip(s)));
                Some(c.to_owned())
            }
            None => self.invalid(
                FIELD,
                format!(
                    "voice-recorded must be \"Yes\" or \"No\"; got \"{}\"",
                    clip(s)
                ),
            ),
        }
    }

    fn times_attempted(&mut self, raw: Option<&Raw<'_>>) -> Option<String> {
        const FIELD: &str = "times-attempted";
        let raw = self.present(FIELD, raw, false)?;
        let text = match raw {
            Raw::Str(s) => s.to_string(),
            Raw::Number(n) => match integer_text(n) {
                Some(t) => {
                    self.number_warning(FIELD, n);
                    t
                }
                None => {
                    return self.invalid(
                        FIELD,
                        format!("times-attempted must be a non-negative whole number; got {n}"),
                    )
                }
            },
            other => {
                return self.invalid(
                    FIELD,
                    format!(
                        "times-attempted must be a non-negative whole number; got {}",
                        other.type_name()
                    ),
                )
            }
        };
        match text.parse::<u32>() {
            Ok(n) if text.bytes().all(|b| b.is_ascii_digit()) => Some(n.to_string()),
            _ => self.invalid(
                FIELD,
                format!(
                    "times-attempted must be a non-negative whole number; got \"{}\"",
                    clip(&text)
                ),
            ),
        }
    }

    /// `end` before `start` is 1001 on the end field.
    fn ordered(
        &mut self,
        end_field: &str,
        start_field: &str,
        start: Option<DateTime>,
        end: Option<DateTime>,
    ) {
        if let (Some(start), Some(end)) = (start, end) {
            if end < start {
                self.invalid(
                    end_field,
                    format!(
                        "{end_field} {} is before {start_field} {}",
                        end.format_millis(),
                        start.format_millis()
                    ),
                );
            }
        }
    }
}
