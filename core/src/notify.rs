//! API 1 — Notify transaction state (contract: "API 1").
//!
//! Check order (contract decision, the code table's `check_order`): 1101 → 1108 → 499
//! (optional fields) → 1102 → 1103 → 1104 → 1105. Every problem is listed; the first in that
//! order decides.

use std::borrow::Cow;

use crate::check::{self, ApiRules, Checker};
use crate::codes::{Api, Code};
use crate::fields::{InfoField, Kind, Need, NotifyField as F, ID_MAX_CHARS};
use crate::json::{
    body_text, read_object_checked, read_object_escaped, read_object_text, read_plain_nested, Body,
    BodyError, Plain, Raw,
};
use crate::message::{Expectation, Got, Message};
use crate::names::near_miss;
use crate::payload::{InfoText, Normalized};
pub use crate::payload::{NotifyPayload, ResponseState};
use crate::rules;
use crate::time::DateTime;
use crate::verdict::{Findings, Options, Verdict};

/// The request's field names, in the contract's order.
pub const FIELDS: &[&str; 5] = &F::NAMES;

/// A responseTime later than `now` by more than this gets a warning (clock skew allowance).
pub const FUTURE_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// additionalInfo's slot and the names inside it, for the express reader, which reads the
/// object in that string as it passes it.
const INFO_NAMES: (usize, &[&str; 2]) = (F::AdditionalInfo.slot(), &InfoField::NAMES);

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
    // The verdict is built once, where it is returned (moving it cost a `memcpy` a move).
    let checked = match body_text(body) {
        // A plain body the lane does not take (a field missing, a value to refuse or warn
        // about) goes the general way from what the express reader read, not read again.
        Ok(text) => match read_plain_nested(text, FIELDS, INFO_NAMES) {
            Some((plain, info)) => {
                express(plain, info).unwrap_or_else(|| general(Body::from_plain(plain)))
            }
            None => read_general(text),
        },
        Err(e) => unreadable(e),
    };
    conclude(checked, opts)
}

/// A body's fields once checked, with what their checks found.
struct Checked<'a> {
    f: Findings<'a>,
    state: Option<ResponseState>,
    ref_trans_id: Option<Cow<'a, str>>,
    deployment_id: Option<Cow<'a, str>>,
    response_time: Option<check::Value<'a>>,
    info: Option<Info<'a>>,
}

/// The express lane: a body whose fields are all strings of printable ASCII in their plainest
/// form ([`read_plain`]: known keys, no escapes but additionalInfo's `\"`), with ids that are
/// neither empty nor padded nor too long, a listed responseState and a responseTime in the
/// plain format, has nothing to report about its fields: they are read and checked in one
/// pass, without the general reader's values and the checks' findings (callgrind: those were
/// two thirds of a typical body). Anything else answers `None` and goes the general way, which
/// says what is wrong. additionalInfo and everything after the fields (the future responseTime,
/// the deployment rules) are the general path's own functions. A test holds every verdict of
/// this lane to the general path's on the fixtures and on generated bodies.
/// `info_fields`: the fields of the object in additionalInfo's string, where the reader read
/// them ([`read_plain_nested`]).
fn express<'a>(
    plain: [Option<Plain<'a>>; 5],
    info_fields: Option<[Option<&'a str>; 2]>,
) -> Option<Checked<'a>> {
    let [state, ref_trans_id, deployment_id, response_time, info] = plain;
    let unquoted = |p: Option<Plain<'a>>| match p? {
        Plain::Text(s) => Some(s),
        Plain::Quoted(_) => None,
    };
    // Printable ASCII: white space can only be the space, and a character is a byte.
    let id = |p: Option<Plain<'a>>| {
        let s = unquoted(p)?;
        let plain = !s.is_empty() && !s.starts_with(' ') && !s.ends_with(' ');
        (plain && s.len() <= ID_MAX_CHARS).then_some(Cow::Borrowed(s))
    };
    let state = ResponseState::parse(unquoted(state)?)?;
    let ref_trans_id = id(ref_trans_id)?;
    let deployment_id = id(deployment_id)?;
    let response_time = match response_time {
        None => None,
        Some(p) => {
            let s = unquoted(Some(p))?;
            Some(check::Value::Time(
                DateTime::parse_plain(s)?,
                Cow::Borrowed(s),
            ))
        }
    };
    let mut f = Findings::new(Api::Notify);
    let info = match (info, F::AdditionalInfo.spec().kind) {
        (None, _) => None,
        // A `\"` escape decodes to a quote: never blank.
        (Some(Plain::Quoted(e)), Kind::JsonObject(max)) if e.source().len() <= max => {
            // The reader read the object as `read_plain_escaped` would, or found that it
            // would not read it (a test in `json.rs` holds the two to each other).
            match info_fields {
                // Printable ASCII: a blank value is empty or spaces, and has no control
                // character; it is absent, as `info_text` says.
                Some([code, desc]) => {
                    let given =
                        |s: Option<&'a str>| s.filter(|s| !check::blank(s)).map(Cow::Borrowed);
                    Some(Info {
                        response_code: given(code),
                        response_desc: given(desc),
                        text: Some(InfoText::quotes_escaped(e.source())),
                    })
                }
                None => additional_info(&mut f, check::Value::Escaped(e), false),
            }
        }
        _ => return None,
    };
    Some(Checked {
        f,
        state: Some(state),
        ref_trans_id: Some(ref_trans_id),
        deployment_id: Some(deployment_id),
        response_time,
        info,
    })
}

/// Reads a body of any form with the general reader and checks it.
fn read_general(text: &str) -> Checked<'_> {
    match read_object_text(text, FIELDS) {
        Ok(body) => general(body),
        Err(e) => unreadable(e),
    }
}

/// Checks a body of any form, as read, finding every problem.
fn general(body: Body<'_, 5>) -> Checked<'_> {
    let mut f = Findings::new(Api::Notify);
    let hints = check::unknown_fields(&mut f, &body.unknown, &F::KNOWN);
    let mut c = Checker::new(&mut f, &hints, RULES);
    let mut value = |field: F| {
        let spec = field.spec();
        c.value(spec, body.get(field.slot()), spec.need == Need::Mandatory)
    };
    let state = value(F::ResponseState).and_then(|s| s.text().and_then(ResponseState::parse));
    let ref_trans_id = value(F::RefTransId).map(check::Value::into_text);
    let deployment_id = value(F::DeploymentId).map(check::Value::into_text);
    let response_time = value(F::ResponseTime);
    let object = matches!(body.get(F::AdditionalInfo.slot()), Some(Raw::Object(_)));
    let info = value(F::AdditionalInfo).and_then(|text| additional_info(&mut f, text, object));
    Checked {
        f,
        state,
        ref_trans_id,
        deployment_id,
        response_time,
        info,
    }
}

/// A body that is not one JSON object: no fields, one error.
fn unreadable<'a>(e: BodyError) -> Checked<'a> {
    let mut f = Findings::new(Api::Notify);
    f.error("body", Code::RequestFailed, Message::Body(e));
    Checked {
        f,
        state: None,
        ref_trans_id: None,
        deployment_id: None,
        response_time: None,
        info: None,
    }
}

/// What follows the fields' checks, on both lanes: the future responseTime, the deployment
/// rules, and the verdict (an unreadable body has no fields: its error decides).
fn conclude<'a>(checked: Checked<'a>, opts: &Options<'_>) -> Verdict<'a> {
    let Checked {
        mut f,
        state,
        ref_trans_id,
        deployment_id,
        response_time,
        info,
    } = checked;
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

    let normalized = || match (state, ref_trans_id, deployment_id) {
        (Some(response_state), Some(ref_trans_id), Some(deployment_id)) => {
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
    text: Option<InfoText<'a>>,
}

/// Reads the object inside additionalInfo (its type and size already checked); `checked`:
/// the body sent it as an object, which the body reader read as JSON ([`read_info`]).
fn additional_info<'a>(
    f: &mut Findings<'a>,
    value: check::Value<'a>,
    checked: bool,
) -> Option<Info<'a>> {
    const FIELD: &str = F::AdditionalInfo.name();
    // A JSON object in a string always has escapes. In the common form (its quotes are the
    // only ones) it is read in the body, its strings borrowed from there, and its text is
    // decoded only when read (callgrind: decoding it, reading the copy and copying its strings
    // out cost half of such a body's validation). Otherwise the decoded text is read and its
    // strings copied; text without escapes (an object sent as an object) is read in place.
    let (text, (response_code, response_desc, unknown)) = match value {
        check::Value::Escaped(e) => match read_object_escaped(e, &InfoField::NAMES) {
            Some(object) => (InfoText::quotes_escaped(e.source()), info_parts(f, object)),
            None => read_text(f, Cow::Owned(e.unescape()), false)?,
        },
        other => read_text(f, other.into_text(), checked)?,
    };
    for key in unknown {
        if let Some(meant) = near_miss(&key, &InfoField::KNOWN) {
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

/// Reads additionalInfo's decoded (or unescaped) text: its parts borrow from the body when the
/// text does, and are copied out of a decoded copy. `checked`: see [`read_info`].
fn read_text<'a>(
    f: &mut Findings<'_>,
    text: Cow<'a, str>,
    checked: bool,
) -> Option<(InfoText<'a>, InfoParts<'a>)> {
    let parts = match &text {
        Cow::Borrowed(t) => read_info(f, t, checked)?,
        Cow::Owned(t) => owned(read_info(f, t, false)?),
    };
    Some((InfoText::from(text), parts))
}

/// The parts with nothing borrowed from the text they were read from.
fn owned<'a>((code, desc, unknown): InfoParts<'_>) -> InfoParts<'a> {
    let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
    let unknown = unknown.into_iter().map(own).collect();
    (code.map(own), desc.map(own), unknown)
}

/// Reads the object inside additionalInfo: responseCode, responseDesc and the other keys.
/// `checked`: the text is an object the body reader read as one ([`Raw::Object`]: sent as an
/// object, not as a string holding one), so it is well-formed.
fn read_info<'t>(f: &mut Findings<'_>, text: &'t str, checked: bool) -> Option<InfoParts<'t>> {
    const FIELD: &str = F::AdditionalInfo.name();
    let read = if checked {
        read_object_checked(text, &InfoField::NAMES)
    } else {
        read_object_text(text, &InfoField::NAMES)
    };
    match read {
        Ok(object) => Some(info_parts(f, object)),
        Err(BodyError::DuplicateKey(k)) => {
            f.error(
                FIELD,
                Code::RequestFailed,
                Message::InfoDuplicateKey { key: k },
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
                    Message::NumberAsText {
                        field,
                        number: (*n).to_owned(),
                    },
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;

    use super::*;
    use crate::catalog::Catalog;
    use crate::fixture::Fixture;

    fn root() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
    }

    fn catalog(name: &str) -> Catalog {
        let path = root().join(format!("fixtures/catalogs/{name}.json"));
        serde_json::from_str(&std::fs::read_to_string(path).expect("catalog")).expect("json")
    }

    /// The express lane's verdict, if it takes the body, next to the general path's.
    fn both<'a>(body: &'a [u8], opts: &Options<'_>) -> (Option<Verdict<'a>>, Verdict<'a>) {
        let Ok(text) = body_text(body) else {
            return (None, validate_notify(body, opts));
        };
        let fast = read_plain_nested(text, FIELDS, INFO_NAMES)
            .and_then(|(plain, info)| express(plain, info))
            .map(|c| conclude(c, opts));
        (fast, conclude(read_general(text), opts))
    }

    /// Every notify fixture, under its own options, the demo catalog and none: where the
    /// express lane answers, it answers what the general path does; and it answers for the
    /// bodies it is for (the four typical ones of the benchmark, at least).
    #[test]
    fn express_lane_agrees_with_the_general_path_on_every_fixture() {
        let demo = catalog("demo");
        let mut taken = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(root().join("fixtures/notify"))
            .expect("fixtures")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path).expect("read");
            let fx: Fixture = serde_json::from_str(&text).expect("fixture");
            let own = fx.catalog.as_deref().map(catalog);
            let options = [
                Options {
                    catalog: own.as_ref(),
                    now_ms: fx.now,
                    profile: fx.profile.unwrap_or_default(),
                },
                Options {
                    catalog: Some(&demo),
                    now_ms: Some(1_700_000_000_000),
                    ..Options::default()
                },
                Options::default(),
            ];
            for opts in &options {
                let (fast, slow) = both(fx.body.as_bytes(), opts);
                if let Some(fast) = fast {
                    assert_eq!(fast, slow, "{name}");
                    taken.push(name.to_owned());
                }
            }
        }
        for typical in [
            "001-contract-example.json",
            "003-minimal-success.json",
            "004-success-with-defined-code.json",
            "006-response-time-plain.json",
        ] {
            assert!(taken.iter().any(|t| t == typical), "{typical}: {taken:?}");
        }
    }

    /// A field of a generated body: its key and its value as sent (JSON text).
    fn field() -> impl Strategy<Value = (&'static str, String)> {
        prop::sample::select(pools())
            .prop_flat_map(|(key, values)| prop::sample::select(values).prop_map(move |v| (key, v)))
    }

    /// A field of a generated body with this key.
    fn field_of(key: &'static str) -> impl Strategy<Value = (&'static str, String)> {
        let values = pools()
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
            .unwrap_or_default();
        prop::sample::select(values).prop_map(move |v| (key, v))
    }

    /// The values tried for each key, as sent (JSON text): plain ones and every form near them.
    fn pools() -> Vec<(&'static str, Vec<String>)> {
        let long = |n: usize| format!("\"{}\"", "x".repeat(n));
        let ids = [long(ID_MAX_CHARS), long(ID_MAX_CHARS + 1)];
        let values: &[(&str, &[&str])] = &[
            (
                "responseState",
                &[
                    r#""531""#,
                    r#""532""#,
                    r#""533""#,
                    r#""""#,
                    r#"" 531""#,
                    "531",
                    "null",
                ],
            ),
            (
                "refTransId",
                &[
                    r#""CC02_1605176995001254571""#,
                    r#""""#,
                    r#""   ""#,
                    r#"" CC02""#,
                    r#""CC02 ""#,
                    r#""C C""#,
                    "\"CC\u{7f}02\"",
                    "\"CCé02\"",
                    r#""CC\u0041""#,
                    r#""CC\"02""#,
                    "42",
                    "[]",
                ],
            ),
            (
                "deploymentId",
                &[
                    r#""API_1605176965390000881""#,
                    r#""API_1605176965390000882""#,
                    r#""API_1605176965390000883""#,
                    r#""API_1605176965390000884""#,
                    r#""API_1605176965390000885""#,
                    r#""API_1605176965390000886""#,
                    r#""API_1605176965390000887""#,
                    r#""API_1605176965390000888""#,
                    r#""SMS_1673354051193000121""#,
                    r#""VOC_1673354051193000122""#,
                    r#""API_0""#,
                    r#""""#,
                ],
            ),
            (
                "responseTime",
                &[
                    r#""2020-11-12 10:29:55""#,
                    r#""2026-11-12 10:29:55""#,
                    r#""2020-11-12T10:29:55Z""#,
                    r#""2020-13-12 10:29:55""#,
                    r#""2020-11-12 10:29:55.123""#,
                    r#""""#,
                    r#"" ""#,
                    "null",
                ],
            ),
            (
                "additionalInfo",
                &[
                    r#""{\"responseCode\":\"403\",\"responseDesc\":\"There was an error\"}""#,
                    r#""{\"responseCode\":\"200\",\"responseDesc\":\"ok\"}""#,
                    r#""{\"responseCode\":\"201\"}""#,
                    r#""{\"responseCode\":\"999\"}""#,
                    r#""{\"responseCode\":\"\",\"responseDesc\":\"  \"}""#,
                    r#""{\"responseCode\":403}""#,
                    r#""{\"responseCode\":null}""#,
                    r#""{\"responseCod\":\"403\"}""#,
                    r#""{\"x\":{\"y\":1}}""#,
                    r#""{\"responseCode\":\"1\",\"responseCode\":\"2\"}""#,
                    r#""{\"responseCode\"}""#,
                    r#""\"x\"""#,
                    r#"" {\"responseCode\":\"403\"} ""#,
                    r#""{}""#,
                    r#""""#,
                    r#"{"responseCode":"403"}"#,
                ],
            ),
            ("responsestate", &[r#""531""#]),
            ("other", &[r#""x""#, "1"]),
        ];
        let mut values: Vec<(&'static str, Vec<String>)> = values
            .iter()
            .map(|(k, v)| (*k, v.iter().map(|v| (*v).to_owned()).collect()))
            .collect();
        for (key, pool) in &mut values {
            if matches!(*key, "refTransId" | "deploymentId") {
                pool.extend(ids.iter().cloned());
            }
        }
        values
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Generated bodies — fields in any order, repeated or left out, values of every form
        /// near the plain one, spaced or not — get the same verdict from both lanes wherever
        /// the express lane answers.
        #[test]
        fn express_lane_agrees_with_the_general_path(
            fields in (
                field_of("responseState"),
                field_of("refTransId"),
                field_of("deploymentId"),
                prop::collection::vec(field(), 0..4),
            )
                .prop_map(|(a, b, c, mut more)| {
                    more.extend([a, b, c]);
                    more
                })
                .prop_shuffle(),
            spaced in any::<bool>(),
            with_catalog in any::<bool>(),
        ) {
            let demo = catalog("demo");
            let body = crate::json::object_text(&fields, spaced);
            let opts = Options {
                catalog: with_catalog.then_some(&demo),
                now_ms: Some(1_700_000_000_000),
                ..Options::default()
            };
            let (fast, slow) = both(body.as_bytes(), &opts);
            if let Some(fast) = fast {
                prop_assert_eq!(fast, slow, "{}", body);
            }
        }
    }
}
