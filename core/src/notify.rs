//! API 1 — Notify transaction state (contract: "API 1").
//!
//! Check order (contract decision, the code table's `check_order`): 1101 → 1108 → 499
//! (optional fields) → 1102 → 1103 → 1104 → 1105. Every problem is listed; the first in that
//! order decides.

use std::borrow::Cow;

use crate::check::{self, ApiRules, Checker};
use crate::codes::{Api, Code};
use crate::fields::{InfoField, Need, NotifyField as F};
use crate::json::{read_object, read_object_escaped, read_object_text, Body, BodyError, Raw};
use crate::message::{Expectation, Got, Message};
use crate::names::near_miss;
use crate::payload::Normalized;
pub use crate::payload::{NotifyPayload, ResponseState};
use crate::rules;
use crate::verdict::{Findings, Options, Verdict};

/// The request's field names, in the contract's order.
pub const FIELDS: &[&str; 5] = &F::NAMES;

/// A responseTime later than `now` by more than this gets a warning (clock skew allowance).
pub const FUTURE_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// What notify answers for the problems both APIs can have.
const RULES: ApiRules = ApiRules {
    missing: Code::MandatoryMissing,
    not_listed: Code::ResponseStateNotAllowed,
    id_not_string: Code::MandatoryMissing,
    invalid: Code::RequestFailed,
    warn_empty_optional: true,
};

/// Validates a notify request body.
pub fn validate_notify<'a>(body: &'a [u8], opts: &Options<'_>) -> Verdict<'a> {
    let mut f = Findings::new(Api::Notify);
    let body = match read_object(body, FIELDS) {
        Ok(body) => body,
        Err(e) => {
            f.error("body", Code::RequestFailed, Message::Body(e));
            return f.finish(opts.profile, None, None);
        }
    };
    let hints = check::unknown_fields(&mut f, &body.unknown, FIELDS);
    let mut c = Checker::new(&mut f, &hints, RULES);
    let mut value = |field: F| {
        let spec = field.spec();
        c.value(spec, body.get(field.slot()), spec.need == Need::Mandatory)
    };
    let state = value(F::ResponseState).and_then(|s| s.text().and_then(ResponseState::parse));
    let ref_trans_id = value(F::RefTransId).map(check::Value::into_text);
    let deployment_id = value(F::DeploymentId).map(check::Value::into_text);
    let response_time = value(F::ResponseTime);
    let info = value(F::AdditionalInfo).and_then(|text| additional_info(&mut f, text));

    if let (Some(now), Some(time)) = (opts.now_ms, response_time.as_ref().and_then(|t| t.time())) {
        if time.epoch_ms() > now + FUTURE_TOLERANCE_MS {
            f.warn(F::ResponseTime.name(), Message::Future { time });
        }
    }
    if let Some(dep) = &deployment_id {
        let code = info.as_ref().and_then(|i| i.response_code.as_ref());
        match opts.catalog {
            Some(catalog) => rules::check(&mut f, catalog, dep, state, code),
            None if !f.has_errors() => f.warn(
                F::DeploymentId.name(),
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
                response_time: response_time.map(check::Value::into_text),
                response_code: info.response_code,
                response_desc: info.response_desc,
                additional_info: info.text,
            }))
        }
        _ => None,
    };
    f.finish(opts.profile, Some(Code::Notified), normalized)
}

/// What additionalInfo held.
#[derive(Default)]
struct Info<'a> {
    response_code: Option<Cow<'a, str>>,
    response_desc: Option<Cow<'a, str>>,
    text: Option<Cow<'a, str>>,
}

/// Reads the object inside additionalInfo (its type and size already checked).
fn additional_info<'a>(f: &mut Findings<'a>, value: check::Value<'a>) -> Option<Info<'a>> {
    const FIELD: &str = F::AdditionalInfo.name();
    // A JSON object in a string always has escapes. In the common form (its quotes are the
    // only ones) it is read in the body, its strings borrowed from there (callgrind: decoding
    // it, reading the copy and copying its strings out cost half of such a body's
    // validation). Otherwise the decoded text is read and its strings copied; text without
    // escapes (an object sent as an object) is read in place.
    let (text, in_body) = match value {
        check::Value::Escaped(e) => match read_object_escaped(e, &InfoField::NAMES) {
            Some((object, text)) => (Cow::Owned(text), Some(object)),
            None => (Cow::Owned(e.unescape()), None),
        },
        other => (other.into_text(), None),
    };
    let (response_code, response_desc, unknown) = match (&text, in_body) {
        (_, Some(object)) => info_parts(f, object),
        (Cow::Borrowed(t), None) => read_info(f, t)?,
        (Cow::Owned(t), None) => {
            let (c, d, u) = read_info(f, t)?;
            let own = |c: Option<Cow<'_, str>>| c.map(|c| Cow::Owned(c.into_owned()));
            let u: Vec<Cow<'a, str>> = u.into_iter().map(|k| Cow::Owned(k.into_owned())).collect();
            (own(c), own(d), u)
        }
    };
    for key in unknown {
        if let Some(meant) = near_miss(&key, &InfoField::NAMES) {
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
fn read_info<'t>(f: &mut Findings<'_>, text: &'t str) -> Option<InfoParts<'t>> {
    const FIELD: &str = F::AdditionalInfo.name();
    match read_object_text(text, &InfoField::NAMES) {
        Ok(object) => Some(info_parts(f, object)),
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
            let got = Got::Text(Cow::Owned(text.to_owned()));
            let expected = check::json_object_expectation();
            f.expected(FIELD, Code::RequestFailed, expected, got);
            None
        }
    }
}

/// responseCode, responseDesc and the other keys of the object inside additionalInfo.
fn info_parts<'t>(f: &mut Findings<'_>, object: Body<'t, 2>) -> InfoParts<'t> {
    let code = InfoField::ResponseCode;
    let desc = InfoField::ResponseDesc;
    let code = info_text(f, object.get(code.slot()), code.path(), false);
    let desc = info_text(f, object.get(desc.slot()), desc.path(), true);
    (code, desc, object.unknown)
}

/// responseCode / responseDesc: a string, or a number taken as its text. A number for the
/// description gets a warning; a number for the code does not (contract decision).
fn info_text<'t>(
    f: &mut Findings<'_>,
    raw: Option<&Raw<'t>>,
    field: &'static str,
    is_desc: bool,
) -> Option<Cow<'t, str>> {
    let decoded;
    let raw = match raw? {
        Raw::Escaped(e) => {
            decoded = Raw::Str(Cow::Owned(e.unescape()));
            &decoded
        }
        raw => raw,
    };
    match raw {
        Raw::Null => None,
        Raw::Str(s) if check::blank(s) => None,
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
            let expected = Expectation::Words("a string");
            f.expected(field, Code::RequestFailed, expected, got);
            None
        }
    }
}
