//! What a finding says, as data: a [`Message`] is built on the validation path without
//! formatting or (mostly) allocating, and is rendered to text only when displayed or
//! serialized. Borrowed parts point into the request body, hence the lifetime.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::catalog::NOT_SPECIFIED;
use crate::json::{clip, BodyError};
use crate::lists;
use crate::payload::ResponseState;
use crate::time::DateTime;

/// Why a mandatory field is unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Absence {
    /// Not in the body.
    Missing,
    /// `null`.
    Null,
    /// `""` or white space only.
    Empty,
}

/// What a field should have held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// Described in words.
    Words(&'static str),
    /// One of an enumerated list (value, meaning).
    OneOf(&'static [(&'static str, &'static str)]),
}

/// What a field held instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Got<'a> {
    /// A string (shown quoted, clipped to 64 characters).
    Text(Cow<'a, str>),
    /// A number (shown as sent).
    Number(&'a str),
    /// Another JSON type (`a boolean`, `an object`, ...).
    Type(&'static str),
}

/// A finding's message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message<'a> {
    /// "{field} is mandatory and is missing" (with the near-miss sent instead, if any).
    Mandatory {
        /// The field.
        field: &'static str,
        /// Missing, null or empty.
        absence: Absence,
        /// A near-miss name the body has instead.
        sent_instead: Option<Cow<'a, str>>,
        /// Mandatory only because call-source is 3.
        trombone: bool,
    },
    /// "{field} must be {expected}; got {got}"
    Expected {
        /// The field.
        field: &'static str,
        /// What it should hold.
        expected: Expectation,
        /// What it holds.
        got: Got<'a>,
    },
    /// An id sent as a JSON number.
    IdAsNumber {
        /// The field.
        field: &'static str,
        /// The number as sent.
        number: &'a str,
    },
    /// A documented string sent as a JSON number (accepted).
    NumberAsString {
        /// The field.
        field: &'static str,
        /// The number as sent.
        number: &'a str,
    },
    /// Free text documented as a string sent as a JSON number (accepted, as its text).
    NumberAsText {
        /// The field.
        field: &'static str,
        /// The number as sent (copied: it may be read from additionalInfo's decoded copy).
        number: String,
    },
    /// A key twice in additionalInfo's object.
    InfoDuplicateKey {
        /// The key.
        key: String,
    },
    /// Longer than allowed.
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
        /// `characters` or `bytes`.
        unit: &'static str,
    },
    /// Holds control characters.
    ControlCharacters {
        /// The field.
        field: &'static str,
    },
    /// White space around an id (kept).
    Padded {
        /// The field.
        field: &'static str,
        /// The value.
        value: Cow<'a, str>,
    },
    /// `""` for an optional field (treated as absent).
    EmptyAsAbsent {
        /// The field.
        field: &'static str,
    },
    /// responseTime after the caller's clock.
    Future {
        /// The time, UTC.
        time: DateTime,
    },
    /// A voice time without milliseconds (accepted).
    NoMillis {
        /// The field.
        field: &'static str,
    },
    /// A JSON object where a string holding one is documented (accepted).
    ObjectAsString {
        /// The field.
        field: &'static str,
    },
    /// A value in other casing (accepted in its canonical form).
    Recased {
        /// The field.
        field: &'static str,
        /// As sent.
        sent: Cow<'a, str>,
        /// As stored.
        canonical: &'static str,
    },
    /// An end time before its start time.
    EndBeforeStart {
        /// The end field.
        end_field: &'static str,
        /// Its value.
        end: DateTime,
        /// The start field.
        start_field: &'static str,
        /// Its value.
        start: DateTime,
    },
    /// A field the API does not have.
    Unknown {
        /// The name as sent.
        name: Cow<'a, str>,
    },
    /// A field (or additionalInfo key) the API does not have, probably meaning another.
    NearMiss {
        /// The name as sent.
        name: Cow<'a, str>,
        /// The name meant.
        meant: &'static str,
        /// Whether it is a key inside additionalInfo.
        in_additional_info: bool,
    },
    /// A deployment rule (1102–1105) that failed, or a responseCode the action does not define.
    Rule(Rule<'a>),
    /// The body as a whole is unreadable.
    Body(BodyError),
    /// Fixed text.
    Static(&'static str),
    /// Text built when the finding was made (rare paths).
    Text(String),
}

/// What the deployment rules found (contract: API 1 codes 1102–1105 and "Inside
/// additionalInfo"). Ids and codes borrow from the body; names from the catalog are copied
/// (only on these paths).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule<'a> {
    /// 1102: no deployment has the id.
    UnknownDeployment {
        /// The deploymentId sent.
        id: Cow<'a, str>,
    },
    /// 1102: the deployment is not an External Action deployment.
    NotExternalAction {
        /// The deploymentId sent.
        id: Cow<'a, str>,
        /// Its channel.
        channel: &'static str,
    },
    /// 1102: the deployment maps no action.
    NoActionMapped {
        /// The deploymentId sent.
        id: Cow<'a, str>,
    },
    /// 1102: the deployment maps an action that does not exist.
    MissingAction {
        /// The deploymentId sent.
        id: Cow<'a, str>,
        /// The action id it maps.
        action: String,
    },
    /// 1103: the action has no response type.
    NoResponseType {
        /// The deploymentId sent.
        id: Cow<'a, str>,
        /// The action's name.
        action: String,
    },
    /// 1104: the action is synchronous.
    SyncAction {
        /// The deploymentId sent.
        id: Cow<'a, str>,
        /// The action's name.
        action: String,
    },
    /// 1105: the deployment's type takes no notifications.
    NotNotifiable {
        /// The deploymentId sent.
        id: Cow<'a, str>,
        /// Its type.
        kind: &'static str,
    },
    /// A responseCode only in the list of the other response state (warning).
    OppositeList {
        /// The code sent.
        code: Cow<'a, str>,
        /// The state it was sent with.
        state: ResponseState,
    },
    /// A responseCode in neither of the action's lists (warning).
    UndefinedCode {
        /// The code sent.
        code: Cow<'a, str>,
        /// The action's name.
        action: String,
    },
}

impl fmt::Display for Rule<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::UnknownDeployment { id } => {
                write!(f, "deployment \"{}\" is unknown: no actions are mapped for it", clip(id))
            }
            Rule::NotExternalAction { id, channel } => write!(
                f,
                "deployment \"{}\" is a {channel} deployment: only External Action deployments have actions mapped",
                clip(id)
            ),
            Rule::NoActionMapped { id } => {
                write!(f, "deployment \"{}\" has no action mapped", clip(id))
            }
            Rule::MissingAction { id, action } => write!(
                f,
                "deployment \"{}\" maps action \"{}\", which does not exist",
                clip(id),
                clip(action)
            ),
            Rule::NoResponseType { id, action } => write!(
                f,
                "action \"{}\" of deployment \"{}\" has no response type (sync/async) set",
                clip(action),
                clip(id)
            ),
            Rule::SyncAction { id, action } => write!(
                f,
                "action \"{}\" of deployment \"{}\" is synchronous: only async actions take notifications",
                clip(action),
                clip(id)
            ),
            Rule::NotNotifiable { id, kind } => write!(
                f,
                "deployment \"{}\" is of type {kind}: only onetime and recurring deployments take notifications",
                clip(id)
            ),
            Rule::OppositeList { code, state } => {
                let (listed, sent) = match state {
                    ResponseState::Success => ("failure", "531 (success)"),
                    ResponseState::Failure => ("success", "532 (failure)"),
                };
                write!(
                    f,
                    "responseCode \"{}\" is in the action's {listed} list but was sent with {sent}; the report will say {NOT_SPECIFIED}",
                    clip(code)
                )
            }
            Rule::UndefinedCode { code, action } => write!(
                f,
                "responseCode \"{}\" is not defined by action \"{}\"; the report will say {NOT_SPECIFIED}",
                clip(code),
                clip(action)
            ),
        }
    }
}

impl Message<'_> {
    /// The message with nothing borrowed from the body.
    pub fn into_owned(self) -> Message<'static> {
        match self {
            Message::Static(s) => Message::Static(s),
            Message::Text(s) => Message::Text(s),
            Message::Body(e) => Message::Body(e),
            other => Message::Text(other.to_string()),
        }
    }
}

impl fmt::Display for Absence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Absence::Missing => "is missing",
            Absence::Null => "is null",
            Absence::Empty => "is empty",
        })
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Words(w) => f.write_str(w),
            Expectation::OneOf(list) => {
                f.write_str("one of ")?;
                for (i, (v, m)) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v} ({m})")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Got<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Got::Text(s) => write!(f, "\"{}\"", clip(s)),
            Got::Number(n) => write!(f, "the number {}", clip(n)),
            Got::Type(t) => f.write_str(t),
        }
    }
}

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Mandatory { field, absence, sent_instead, trombone } => {
                write!(f, "{field} is mandatory and {absence}")?;
                if let Some(sent) = sent_instead {
                    write!(f, "; the body has \"{}\" instead (names are case-sensitive)", clip(sent))?;
                }
                if *trombone {
                    f.write_str(" (it is mandatory when call-source is 3)")?;
                }
                Ok(())
            }
            Message::Expected { field, expected, got } => write!(f, "{field} must be {expected}; got {got}"),
            Message::IdAsNumber { field, number } => write!(
                f,
                "{field} must be a string: send \"{}\" (ids given as JSON numbers lose digits past 2^53)",
                clip(number)
            ),
            Message::NumberAsString { field, number } => {
                let n = clip(number);
                write!(f, "{field} is documented as a string: send \"{n}\", not the number {n}")
            }
            Message::NumberAsText { field, number } => {
                write!(f, "{field} is documented as a string; the number {number} is taken as text")
            }
            Message::InfoDuplicateKey { key } => {
                write!(f, "additionalInfo has the key \"{}\" more than once", clip(key))
            }
            Message::TooLong { field, len, max, unit } => {
                write!(f, "{field} has {len} {unit}; at most {max} are allowed")
            }
            Message::ControlCharacters { field } => write!(f, "{field} contains control characters"),
            Message::Padded { field, value } => {
                write!(f, "{field} \"{}\" has white space around it; it is kept as sent", clip(value))
            }
            Message::EmptyAsAbsent { field } => write!(f, "{field} is empty and is treated as absent"),
            Message::Future { time } => {
                write!(f, "responseTime {} (taken as UTC) is in the future", time.format_seconds())
            }
            Message::NoMillis { field } => write!(
                f,
                "{field} has no milliseconds: \"yyyy-MM-dd HH:mm:ss.SSS\" is documented; .000 is assumed"
            ),
            Message::ObjectAsString { field } => write!(
                f,
                "{field} is documented as a string holding a JSON object; an object is accepted"
            ),
            Message::Recased { field, sent, canonical } => write!(
                f,
                "{field} \"{}\" is taken as \"{canonical}\"; the documented values are {}",
                clip(sent),
                Expectation::OneOf(lists::VOICE_RECORDED)
            ),
            Message::EndBeforeStart { end_field, end, start_field, start } => write!(
                f,
                "{end_field} {} is before {start_field} {}",
                end.format_millis(),
                start.format_millis()
            ),
            Message::Unknown { name } => write!(f, "unknown field \"{}\" is ignored", clip(name)),
            Message::NearMiss { name, meant, in_additional_info: false } => write!(
                f,
                "unknown field \"{}\" is ignored: did you mean \"{meant}\"? Field names are case-sensitive",
                clip(name)
            ),
            Message::NearMiss { name, meant, in_additional_info: true } => write!(
                f,
                "additionalInfo key \"{}\" is not read: did you mean \"{meant}\"? Keys are case-sensitive",
                clip(name)
            ),
            Message::Rule(r) => r.fmt(f),
            Message::Body(e) => e.fmt(f),
            Message::Static(s) => f.write_str(s),
            Message::Text(s) => f.write_str(s),
        }
    }
}

impl From<String> for Message<'_> {
    fn from(s: String) -> Self {
        Message::Text(s)
    }
}

impl Serialize for Message<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Message<'_> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Message::Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_kind() {
        let cases: Vec<(Message<'_>, &str)> = vec![
            (
                Message::Mandatory { field: "refTransId", absence: Absence::Missing, sent_instead: Some("refTransID".into()), trombone: false },
                "refTransId is mandatory and is missing; the body has \"refTransID\" instead (names are case-sensitive)",
            ),
            (
                Message::Mandatory { field: "trombone-endtime", absence: Absence::Null, sent_instead: None, trombone: true },
                "trombone-endtime is mandatory and is null (it is mandatory when call-source is 3)",
            ),
            (
                Message::Expected { field: "call-source", expected: Expectation::OneOf(lists::CALL_SOURCES), got: Got::Text("4".into()) },
                "call-source must be one of 1 (Inbound), 2 (Outbound), 3 (Trombone); got \"4\"",
            ),
            (
                Message::Expected { field: "responseState", expected: Expectation::Words("a string"), got: Got::Number("530") },
                "responseState must be a string; got the number 530",
            ),
            (Message::NumberAsString { field: "call-state", number: "5" }, "call-state is documented as a string: send \"5\", not the number 5"),
            (Message::NumberAsText { field: "additionalInfo.responseDesc", number: "12".into() }, "additionalInfo.responseDesc is documented as a string; the number 12 is taken as text"),
            (Message::InfoDuplicateKey { key: "responseCode".into() }, "additionalInfo has the key \"responseCode\" more than once"),
            (Message::TooLong { field: "message", len: 1025, max: 1024, unit: "characters" }, "message has 1025 characters; at most 1024 are allowed"),
            (Message::Body(BodyError::Empty), "the body is empty; a JSON object is expected"),
        ];
        for (m, want) in cases {
            assert_eq!(m.to_string(), want);
            assert_eq!(m.clone().into_owned().to_string(), want);
            assert_eq!(
                serde_json::to_value(&m).ok(),
                Some(serde_json::Value::String(want.to_owned()))
            );
        }
    }
}
