//! API 1 — Notify transaction state (contract: "API 1").
//!
//! Check order (contract decision): 1101 → 1108 → 499 (optional fields) → 1102 → 1103 → 1104
//! → 1105. Every problem is listed; the first in that order decides.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::check::{self, id_text, integer_text, mandatory, presence, Hints, Presence};
use crate::codes::{Api, Code};
use crate::json::{read_object, BodyError, Raw};
use crate::message::{Expectation, Got, Message};
use crate::names::near_miss;
use crate::rules;
use crate::time::DateTime;
use crate::verdict::{Findings, Normalized, Verdict};
use crate::Options;

/// The request's field names, in the contract's order.
pub const FIELDS: &[&str; 5] = &[
    "responseState",
    "refTransId",
    "deploymentId",
    "responseTime",
    "additionalInfo",
];
const RESPONSE_STATE: usize = 0;
const REF_TRANS_ID: usize = 1;
const DEPLOYMENT_ID: usize = 2;
const RESPONSE_TIME: usize = 3;
const ADDITIONAL_INFO: usize = 4;

/// Keys of additionalInfo the platform reads.
pub const INFO_KEYS: &[&str; 2] = &["responseCode", "responseDesc"];

/// additionalInfo is at most this many bytes (contract: "additionalInfo at most 4 KiB").
pub const INFO_MAX_BYTES: usize = 4096;

/// A responseTime later than `now` by more than this gets a warning (clock skew allowance).
pub const FUTURE_TOLERANCE_MS: i64 = 5 * 60 * 1000;

const STATES: Expectation = Expectation::Words("\"531\" (success) or \"532\" (failure)");
const INFO_OBJECT: Expectation = Expectation::Words(
    "a JSON object encoded in a string, such as \"{\\\"responseCode\\\":\\\"403\\\"}\"",
);

/// `531` or `532`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ResponseState {
    /// 531
    #[serde(rename = "531")]
    Success,
    /// 532
    #[serde(rename = "532")]
    Failure,
}

impl ResponseState {
    /// `"531"` or `"532"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseState::Success => "531",
            ResponseState::Failure => "532",
        }
    }

    /// Parses `"531"` or `"532"`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "531" => Some(ResponseState::Success),
            "532" => Some(ResponseState::Failure),
            _ => None,
        }
    }
}

/// A notification as stored once validated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyPayload<'a> {
    /// 531 or 532.
    pub response_state: ResponseState,
    /// The platform's transaction id.
    #[serde(borrow)]
    pub ref_trans_id: Cow<'a, str>,
    /// The deployment.
    #[serde(borrow)]
    pub deployment_id: Cow<'a, str>,
    /// `yyyy-MM-dd HH:mm:ss` (RFC 3339 input converted to UTC), if given.
    #[serde(borrow)]
    pub response_time: Option<Cow<'a, str>>,
    /// additionalInfo.responseCode, as text, if given.
    #[serde(borrow)]
    pub response_code: Option<Cow<'a, str>>,
    /// additionalInfo.responseDesc, if given.
    #[serde(borrow)]
    pub response_desc: Option<Cow<'a, str>>,
    /// additionalInfo as sent (a JSON object's text), if given.
    #[serde(borrow)]
    pub additional_info: Option<Cow<'a, str>>,
}

fn own(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

impl NotifyPayload<'_> {
    /// The payload with nothing borrowed from the body.
    pub fn into_owned(self) -> NotifyPayload<'static> {
        NotifyPayload {
            response_state: self.response_state,
            ref_trans_id: own(self.ref_trans_id),
            deployment_id: own(self.deployment_id),
            response_time: self.response_time.map(own),
            response_code: self.response_code.map(own),
            response_desc: self.response_desc.map(own),
            additional_info: self.additional_info.map(own),
        }
    }
}

/// The check order of notify codes.
fn rank(code: Code) -> u8 {
    match code {
        Code::MandatoryMissing => 1,
        Code::ResponseStateNotAllowed => 2,
        Code::RequestFailed => 3,
        Code::NoActionMapped => 4,
        Code::ActionTypeMissing => 5,
        Code::ActionNotAsync => 6,
        Code::DeploymentTypeNotAllowed => 7,
        _ => 9,
    }
}

/// Validates a notify request body.
pub fn validate_notify<'a>(body: &'a [u8], opts: &Options<'_>) -> Verdict<'a> {
    let mut f = Findings::new(Api::Notify, rank);
    let body = match read_object(body, FIELDS) {
        Ok(body) => body,
        Err(e) => {
            f.error("body", Code::RequestFailed, Message::Body(e));
            return f.finish(opts.profile, None, None);
        }
    };
    let hints = check::unknown_fields(&mut f, &body.unknown, FIELDS);

    let state = response_state(&mut f, body.get(RESPONSE_STATE), &hints);
    let ref_trans_id = id(&mut f, "refTransId", body.get(REF_TRANS_ID), &hints);
    let deployment_id = id(&mut f, "deploymentId", body.get(DEPLOYMENT_ID), &hints);
    let response_time = response_time(&mut f, body.get(RESPONSE_TIME), opts.now_ms);
    let info = additional_info(&mut f, body.get(ADDITIONAL_INFO));

    if let Some(dep) = &deployment_id {
        let code = info.as_ref().and_then(|i| i.response_code.as_deref());
        match opts.catalog {
            Some(catalog) => rules::check(&mut f, catalog, dep, state, code),
            None if !f.has_errors() => f.warn(
                "deploymentId",
                Message::Static("no catalog was given: the deployment rules (1102-1105) and the responseCode lists were not checked"),
            ),
            None => {}
        }
    }

    let normalized = match (f.has_errors(), state, ref_trans_id, deployment_id) {
        (false, Some(response_state), Some(ref_trans_id), Some(deployment_id)) => {
            let info = info.unwrap_or_default();
            Some(Normalized::Notify(NotifyPayload {
                response_state,
                ref_trans_id,
                deployment_id,
                response_time,
                response_code: info.response_code,
                response_desc: info.response_desc,
                additional_info: info.text,
            }))
        }
        _ => None,
    };
    f.finish(opts.profile, Some(Code::Notified), normalized)
}

fn response_state<'a>(
    f: &mut Findings<'a>,
    raw: Option<&Raw<'a>>,
    hints: Hints<'_, 'a>,
) -> Option<ResponseState> {
    const FIELD: &str = "responseState";
    let raw = match presence(raw) {
        Presence::Value(v) => v,
        Presence::Absent(absence) => {
            f.error(
                FIELD,
                Code::MandatoryMissing,
                mandatory(FIELD, absence, hints, false),
            );
            return None;
        }
    };
    let (state, got) = match raw {
        Raw::Str(s) => (ResponseState::parse(s), Got::Text(s.clone())),
        Raw::Number(n) => (
            integer_text(n).and_then(ResponseState::parse),
            Got::Number(n),
        ),
        other => (None, Got::Type(other.type_name())),
    };
    match (state, raw) {
        (Some(state), Raw::Number(n)) => {
            f.warn(
                FIELD,
                Message::NumberAsString {
                    field: FIELD,
                    number: n,
                },
            );
            Some(state)
        }
        (Some(state), _) => Some(state),
        (None, _) => {
            f.expected(FIELD, Code::ResponseStateNotAllowed, STATES, got);
            None
        }
    }
}

fn id<'a>(
    f: &mut Findings<'a>,
    field: &'static str,
    raw: Option<&Raw<'a>>,
    hints: Hints<'_, 'a>,
) -> Option<Cow<'a, str>> {
    match presence(raw) {
        Presence::Value(Raw::Str(s)) => {
            id_text(f, field, s, Code::RequestFailed).then(|| s.clone())
        }
        Presence::Value(Raw::Number(n)) => {
            f.error(
                field,
                Code::MandatoryMissing,
                Message::IdAsNumber { field, number: n },
            );
            None
        }
        Presence::Value(other) => {
            let got = Got::Type(other.type_name());
            f.error(
                field,
                Code::MandatoryMissing,
                Message::Expected {
                    field,
                    expected: Expectation::Words("a non-empty string"),
                    got,
                },
            );
            None
        }
        Presence::Absent(absence) => {
            f.error(
                field,
                Code::MandatoryMissing,
                mandatory(field, absence, hints, false),
            );
            None
        }
    }
}

fn response_time<'a>(
    f: &mut Findings<'a>,
    raw: Option<&Raw<'a>>,
    now_ms: Option<i64>,
) -> Option<Cow<'a, str>> {
    const FIELD: &str = "responseTime";
    const FORMAT: Expectation =
        Expectation::Words("\"yyyy-MM-dd HH:mm:ss\" (or RFC 3339 such as 2020-11-12T10:29:55Z)");
    let s = match check::optional(f, FIELD, raw)? {
        Raw::Str(s) => s,
        other => {
            let got = Got::Type(other.type_name());
            f.expected(FIELD, Code::RequestFailed, FORMAT, got);
            return None;
        }
    };
    let (dt, canonical) = match DateTime::parse_plain(s) {
        Some(dt) => (dt, true),
        None => match DateTime::parse_rfc3339_utc(s) {
            Some(dt) => (dt, false),
            None => {
                let got = Got::Text(s.clone());
                f.expected(FIELD, Code::RequestFailed, FORMAT, got);
                return None;
            }
        },
    };
    if now_ms.is_some_and(|now| dt.epoch_ms() > now + FUTURE_TOLERANCE_MS) {
        f.warn(FIELD, Message::Future { time: dt });
    }
    Some(if canonical {
        s.clone()
    } else {
        Cow::Owned(dt.format_seconds())
    })
}

/// What additionalInfo held.
#[derive(Default)]
struct Info<'a> {
    response_code: Option<Cow<'a, str>>,
    response_desc: Option<Cow<'a, str>>,
    text: Option<Cow<'a, str>>,
}

fn additional_info<'a>(f: &mut Findings<'a>, raw: Option<&Raw<'a>>) -> Option<Info<'a>> {
    const FIELD: &str = "additionalInfo";
    let text: Cow<'a, str> = match check::optional(f, FIELD, raw)? {
        Raw::Str(s) => s.clone(),
        Raw::Object(o) => {
            f.warn(FIELD, Message::Static("additionalInfo is documented as a string holding a JSON object; an object is accepted"));
            Cow::Borrowed(*o)
        }
        other => {
            let got = Got::Type(other.type_name());
            f.expected(FIELD, Code::RequestFailed, INFO_OBJECT, got);
            return None;
        }
    };
    if text.len() > INFO_MAX_BYTES {
        let len = text.len();
        f.error(
            FIELD,
            Code::RequestFailed,
            Message::TooLong {
                field: FIELD,
                len,
                max: INFO_MAX_BYTES,
                unit: "bytes",
            },
        );
        return None;
    }
    // Borrowed text is read in place; decoded text is read from a copy we keep.
    let (response_code, response_desc, unknown) = match &text {
        Cow::Borrowed(t) => read_info(f, t.as_bytes())?,
        Cow::Owned(t) => {
            let (c, d, u) = read_info(f, t.as_bytes())?;
            let own = |c: Option<Cow<'_, str>>| c.map(|c| Cow::Owned(c.into_owned()));
            let u: Vec<Cow<'a, str>> = u.into_iter().map(|k| Cow::Owned(k.into_owned())).collect();
            (own(c), own(d), u)
        }
    };
    for key in unknown {
        if let Some(meant) = near_miss(&key, INFO_KEYS) {
            f.warn(
                format!("{FIELD}.{key}"),
                Message::NearMiss {
                    name: key,
                    meant,
                    in_additional_info: true,
                },
            );
        }
    }
    Some(Info {
        response_code,
        response_desc,
        text: Some(text),
    })
}

type InfoParts<'t> = (
    Option<Cow<'t, str>>,
    Option<Cow<'t, str>>,
    Vec<Cow<'t, str>>,
);

/// Reads the object inside additionalInfo: responseCode, responseDesc and the other keys.
fn read_info<'t>(f: &mut Findings<'_>, text: &'t [u8]) -> Option<InfoParts<'t>> {
    const FIELD: &str = "additionalInfo";
    match read_object(text, INFO_KEYS) {
        Ok(object) => {
            let code = info_text(f, object.get(0), "additionalInfo.responseCode", false);
            let desc = info_text(f, object.get(1), "additionalInfo.responseDesc", true);
            Some((code, desc, object.unknown))
        }
        Err(BodyError::DuplicateKey(k)) => {
            f.error(
                FIELD,
                Code::RequestFailed,
                Message::Text(format!(
                    "additionalInfo has the key \"{}\" more than once",
                    crate::json::clip(&k)
                )),
            );
            None
        }
        Err(_) => {
            let got = Got::Text(Cow::Owned(String::from_utf8_lossy(text).into_owned()));
            f.expected(FIELD, Code::RequestFailed, INFO_OBJECT, got);
            None
        }
    }
}

/// responseCode / responseDesc: a string, or a number taken as its text. A number for the
/// description gets a warning; a number for the code does not (contract decision).
fn info_text<'t>(
    f: &mut Findings<'_>,
    raw: Option<&Raw<'t>>,
    field: &'static str,
    is_desc: bool,
) -> Option<Cow<'t, str>> {
    match raw? {
        Raw::Null => None,
        Raw::Str(s) if s.trim().is_empty() => None,
        Raw::Str(s) if !is_desc && check::has_control(s) => {
            f.error(
                field,
                Code::RequestFailed,
                Message::ControlCharacters { field },
            );
            None
        }
        Raw::Str(s) if s.contains('\0') => {
            f.error(
                field,
                Code::RequestFailed,
                Message::Static("free text may not contain NUL characters"),
            );
            None
        }
        Raw::Str(s) => Some(s.clone()),
        Raw::Number(n) => {
            if is_desc {
                f.warn(
                    field,
                    Message::Text(format!(
                        "{field} is documented as a string; the number {n} is taken as text"
                    )),
                );
            }
            Some(Cow::Borrowed(*n))
        }
        other => {
            let got = Got::Type(other.type_name());
            f.error(
                field,
                Code::RequestFailed,
                Message::Expected {
                    field,
                    expected: Expectation::Words("a string"),
                    got,
                },
            );
            None
        }
    }
}
