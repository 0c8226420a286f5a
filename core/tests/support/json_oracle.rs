//! Core's JSON reader held to serde_json: on any bytes, both must agree on whether they are
//! JSON, on whether they are an object, and on every top-level value, except where
//! docs/decisions.md says the reader differs on purpose:
//!
//! - a key twice makes the body unreadable (serde_json keeps the last copy);
//! - a UTF-8 byte-order mark before the body is skipped;
//! - values the validators never read are skipped without recursion, so nesting has no limit
//!   (serde_json stops at 128 levels);
//! - a number is kept as its text, so one too large for an `f64` is still JSON (serde_json
//!   refuses it without its `arbitrary_precision` feature);
//! - bodies over 64 KiB are refused before reading.
//!
//! The express reader (`read_plain`) is held to the general one: where it answers, the general
//! reader read the same strings and no other key. An object the general reader read as a
//! field's value is read again by `read_object_checked` (which does not check the other keys'
//! values again) exactly as `read_object_text` reads it.
//!
//! Shared by `core/tests/json_differential.rs` (proptest, in every test run) and the fuzz target
//! `fuzz/fuzz_targets/json.rs` (`cargo xtask fuzz json`).

use serde_json::Value;
use txstate_core::json::{
    read_object, read_object_checked, read_object_text, read_plain, Body, BodyError, Raw,
    MAX_BODY_BYTES,
};

/// The field names the reader is asked for: a notify name and two short ones.
pub const KNOWN: [&str; 3] = ["a", "b", "responseState"];

/// `Ok` when the two readers agree on `data`, else what differs.
pub fn compare(data: &[u8]) -> Result<(), String> {
    if data.len() > MAX_BODY_BYTES {
        return Ok(());
    }
    let ours = read_object(data, &KNOWN);
    let text = std::str::from_utf8(data).ok();
    if let Some(plain) = text.and_then(|t| read_plain(t, &KNOWN)) {
        let same =
            |b: &Body<'_, 3>| b.unknown.is_empty() && Body::from_plain(plain).fields == b.fields;
        if !ours.as_ref().is_ok_and(same) {
            return Err(format!(
                "express reader: {plain:?}\ngeneral reader: {ours:?}"
            ));
        }
    }
    if let Ok(body) = &ours {
        for raw in body.fields.iter().flatten() {
            if let Raw::Object(object) = raw {
                let checked = format!("{:?}", read_object_checked(object, &KNOWN));
                let checking = format!("{:?}", read_object_text(object, &KNOWN));
                if checked != checking {
                    return Err(format!("checked reader: {checked}\nreader: {checking}"));
                }
            }
        }
    }
    let plain = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let theirs = serde_json::from_slice::<Value>(plain);
    let differs = || Err(format!("core: {ours:?}\nserde_json: {theirs:?}"));
    match (&ours, &theirs) {
        (Err(BodyError::DuplicateKey(_) | BodyError::TooLarge(_)), _) => Ok(()),
        (_, Err(e)) if e.to_string().starts_with("recursion limit exceeded") => Ok(()),
        (_, Err(e)) if e.to_string().starts_with("number out of range") => Ok(()),
        (Err(BodyError::Empty | BodyError::NotJson(_)), Err(_)) => Ok(()),
        (Err(BodyError::NotObject(_)), Ok(v)) if !v.is_object() => Ok(()),
        (Ok(body), Ok(Value::Object(map))) => {
            for (i, name) in KNOWN.iter().enumerate() {
                match (body.get(i), map.get(*name)) {
                    (None, None) => {}
                    (Some(raw), Some(value)) if same(raw, value) => {}
                    _ => return differs(),
                }
            }
            let mut unknown: Vec<&str> = body.unknown.iter().map(|k| k.as_ref()).collect();
            let mut expected: Vec<&str> = map
                .keys()
                .map(String::as_str)
                .filter(|k| !KNOWN.contains(k))
                .collect();
            unknown.sort_unstable();
            expected.sort_unstable();
            if unknown == expected {
                Ok(())
            } else {
                differs()
            }
        }
        _ => differs(),
    }
}

/// Whether a value as core keeps it is the value serde_json read.
fn same(raw: &Raw<'_>, value: &Value) -> bool {
    match (raw, value) {
        (Raw::Null, Value::Null) => true,
        (Raw::Bool(a), Value::Bool(b)) => a == b,
        (Raw::Str(a), Value::String(b)) => a == b,
        (Raw::Escaped(e), Value::String(b)) => &e.unescape() == b,
        (Raw::Number(text), Value::Number(n)) => {
            text.parse::<f64>().ok() == n.as_f64()
                || serde_json::from_str::<Value>(text).ok().as_ref() == Some(value)
        }
        (Raw::Array(text), Value::Array(_)) | (Raw::Object(text), Value::Object(_)) => {
            // The text as sent, read again, is the same value (or too deep for serde_json).
            match serde_json::from_str::<Value>(text) {
                Ok(v) => &v == value,
                Err(e) => e.to_string().starts_with("recursion limit exceeded"),
            }
        }
        _ => false,
    }
}
