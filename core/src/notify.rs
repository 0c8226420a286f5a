//! API 1 — Notify transaction state (contract: "API 1").
//!
//! Check order (contract decision): 1101 → 1108 → 499 (optional fields) → 1102 → 1103 → 1104
//! → 1105. Every problem is listed; the first in that order decides.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::check::{self, id_text, integer_text, missing_message, presence, Presence};
use crate::codes::{Api, Code};
use crate::json::{clip, read_object, Raw};
use crate::names::near_miss;
use crate::rules;
use crate::time::DateTime;
use crate::verdict::{Findings, Normalized, Verdict};
use crate::Options;

/// The request's field names, in the contract's order.
pub const FIELDS: &[&str] = &[
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
pub const INFO_KEYS: &[&str] = &["responseCode", "responseDesc"];

/// additionalInfo is at most this many bytes (contract: "additionalInfo at most 4 KiB").
pub const INFO_MAX_BYTES: usize = 4096;

/// A responseTime later than `now` by more than this gets a warning (clock skew allowance).
pub const FUTURE_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// `531` or `532`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
pub struct NotifyPayload {
    /// 531 or 532.
    pub response_state: ResponseState,
    /// The platform's transaction id.
    pub ref_trans_id: String,
    /// The deployment.
    pub deployment_id: String,
    /// `yyyy-MM-dd HH:mm:ss` (RFC 3339 input converted to UTC), if given.
    pub response_time: Option<String>,
    /// additionalInfo.responseCode, as text, if given.
    pub response_code: Option<String>,
    /// additionalInfo.responseDesc, if given.
    pub response_desc: Option<String>,
    /// additionalInfo as compact JSON object text, if given.
    pub additional_info: Option<String>,
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
pub fn validate_notify(body: &[u8], opts: &Options<'_>) -> Verdict {
    let mut f = Findings::new(Api::Notify, rank);
    let body = match read_object(body, FIELDS) {
        Ok(body) => body,
        Err(e) => {
            f.error("body", Code::RequestFailed, e.to_string());
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
                "no catalog was given: the deployment rules (1102-1105) and the responseCode lists were not checked".into(),
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
                additional_info: info.json,
            }))
        }
        _ => None,
    };
    f.finish(opts.profile, Some(Code::Notified), normalized)
}

fn response_state(
    f: &mut Findings,
    raw: Option<&Raw<'_>>,
    hints: &[(&str, &str)],
) -> Option<ResponseState> {
    const FIELD: &str = "responseState";
    let raw = match presence(raw) {
        Presence::Value(v) => v,
        p => {
            let problem = p.problem().unwrap_or_default();
            f.error(
                FIELD,
                Code::MandatoryMissing,
                missing_message(FIELD, problem, hints),
            );
            return None;
        }
    };
    let not_allowed = |f: &mut Findings, shown: &str| {
        f.error(
            FIELD,
            Code::ResponseStateNotAllowed,
            format!("responseState must be \"531\" (success) or \"532\" (failure); got {shown}"),
        );
        None
    };
    match raw {
        Raw::Str(s) => match ResponseState::parse(s) {
            Some(state) => Some(state),
            None => not_allowed(f, &format!("\"{}\"", clip(s))),
        },
        Raw::Number(n) => {
            match integer_text(n).as_deref().and_then(ResponseState::parse) {
                Some(state) => {
                    f.warn(FIELD, format!("responseState is documented as a string: send \"{}\", not the number {n}", state.as_str()));
                    Some(state)
                }
                None => not_allowed(f, &format!("the number {n}")),
            }
        }
        other => not_allowed(f, other.type_name()),
    }
}

fn id(
    f: &mut Findings,
    field: &str,
    raw: Option<&Raw<'_>>,
    hints: &[(&str, &str)],
) -> Option<String> {
    match presence(raw) {
        Presence::Value(Raw::Str(s)) => {
            id_text(f, field, s, Code::RequestFailed).then(|| s.to_string())
        }
        Presence::Value(Raw::Number(n)) => {
            f.error(
                field,
                Code::MandatoryMissing,
                format!("{field} must be a string: send \"{n}\" (ids given as JSON numbers lose digits past 2^53)"),
            );
            None
        }
        Presence::Value(other) => {
            f.error(
                field,
                Code::MandatoryMissing,
                format!(
                    "{field} must be a non-empty string; got {}",
                    other.type_name()
                ),
            );
            None
        }
        p => {
            let problem = p.problem().unwrap_or_default();
            f.error(
                field,
                Code::MandatoryMissing,
                missing_message(field, problem, hints),
            );
            None
        }
    }
}

fn response_time(f: &mut Findings, raw: Option<&Raw<'_>>, now_ms: Option<i64>) -> Option<String> {
    const FIELD: &str = "responseTime";
    let s = match check::optional(f, FIELD, raw)? {
        Raw::Str(s) => s,
        other => {
            f.error(
                FIELD,
                Code::RequestFailed,
                format!(
                    "responseTime must be a string \"yyyy-MM-dd HH:mm:ss\"; got {}",
                    other.type_name()
                ),
            );
            return None;
        }
    };
    let Some(dt) = DateTime::parse_plain(s).or_else(|| DateTime::parse_rfc3339_utc(s)) else {
        f.error(
            FIELD,
            Code::RequestFailed,
            format!("responseTime must be \"yyyy-MM-dd HH:mm:ss\" (or RFC 3339 such as 2020-11-12T10:29:55Z); got \"{}\"", clip(s)),
        );
        return None;
    };
    if let Some(now) = now_ms {
        if dt.epoch_ms() > now + FUTURE_TOLERANCE_MS {
            f.warn(
                FIELD,
                format!(
                    "responseTime {} (taken as UTC) is in the future",
                    dt.format_seconds()
                ),
            );
        }
    }
    Some(dt.format_seconds())
}

/// What additionalInfo held.
#[derive(Default)]
struct Info {
    response_code: Option<String>,
    response_desc: Option<String>,
    json: Option<String>,
}

fn additional_info(f: &mut Findings, raw: Option<&Raw<'_>>) -> Option<Info> {
    const FIELD: &str = "additionalInfo";
    let object = match check::optional(f, FIELD, raw)? {
        Raw::Str(s) => {
            if s.len() > INFO_MAX_BYTES {
                f.error(
                    FIELD,
                    Code::RequestFailed,
                    format!(
                        "additionalInfo has {} bytes; at most {INFO_MAX_BYTES} are allowed",
                        s.len()
                    ),
                );
                return None;
            }
            match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(map)) => map,
                Ok(_) | Err(_) => {
                    f.error(
                        FIELD,
                        Code::RequestFailed,
                        format!("additionalInfo must be a JSON object encoded in a string, such as \"{{\\\"responseCode\\\":\\\"403\\\"}}\"; got \"{}\"", clip(s)),
                    );
                    return None;
                }
            }
        }
        Raw::Object(map) => {
            f.warn(FIELD, "additionalInfo is documented as a string holding a JSON object; an object is accepted".into());
            map.clone()
        }
        other => {
            f.error(
                FIELD,
                Code::RequestFailed,
                format!(
                    "additionalInfo must be a string holding a JSON object; got {}",
                    other.type_name()
                ),
            );
            return None;
        }
    };
    let json = Value::Object(object.clone()).to_string();
    if json.len() > INFO_MAX_BYTES {
        f.error(
            FIELD,
            Code::RequestFailed,
            format!(
                "additionalInfo has {} bytes; at most {INFO_MAX_BYTES} are allowed",
                json.len()
            ),
        );
        return None;
    }
    let response_code = info_text(f, &object, "responseCode", false);
    let response_desc = info_text(f, &object, "responseDesc", true);
    for key in object.keys().filter(|k| !INFO_KEYS.contains(&k.as_str())) {
        if let Some(meant) = near_miss(key, INFO_KEYS) {
            f.warn(
                &format!("{FIELD}.{}", clip(key)),
                format!("additionalInfo key \"{}\" is not read: did you mean \"{meant}\"? Keys are case-sensitive", clip(key)),
            );
        }
    }
    Some(Info {
        response_code,
        response_desc,
        json: Some(json),
    })
}

/// responseCode / responseDesc: a string, or a number taken as its text. A number for the
/// description gets a warning; a number for the code does not (contract decision).
fn info_text(
    f: &mut Findings,
    object: &Map<String, Value>,
    key: &str,
    warn_number: bool,
) -> Option<String> {
    let field = format!("additionalInfo.{key}");
    match object.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) if !warn_number && check::has_control(s) => {
            f.error(
                &field,
                Code::RequestFailed,
                format!("{field} contains control characters"),
            );
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => {
            if warn_number {
                f.warn(
                    &field,
                    format!("{field} is documented as a string; the number {n} is taken as text"),
                );
            }
            Some(n.to_string())
        }
        Some(other) => {
            let t = match other {
                Value::Bool(_) => "a boolean",
                Value::Array(_) => "an array",
                _ => "an object",
            };
            f.error(
                &field,
                Code::RequestFailed,
                format!("{field} must be a string; got {t}"),
            );
            None
        }
    }
}
