//! The options a `Validator` is made with, read from the JS value with serde-wasm-bindgen (no
//! JSON text in between) once per validator. A malformed option is refused with the path of the
//! value (`catalog.deployments[0].channel`) and plain words, never serde's Rust wording.

use serde::Deserialize;
use txstate_core::{Catalog, Options, StatusProfile};
use wasm_bindgen::{JsCast, JsError, JsValue};

/// Options as JS passes them: `{catalog?, now?, profile?}`. Unknown keys are refused (a
/// misspelt `catalogue` would otherwise silently skip the deployment rules); the catalog's own
/// objects accept keys they do not know, as the server's catalog may grow.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JsOptions {
    #[serde(default)]
    catalog: Option<Catalog>,
    #[serde(default)]
    now: Option<f64>,
    #[serde(default)]
    profile: Option<StatusProfile>,
}

/// The keys of [`JsOptions`] (a test holds the two together).
const KEYS: [&str; 3] = ["catalog", "now", "profile"];

impl JsOptions {
    /// Reads `{catalog?, now?, profile?}`; `undefined` and `null` mean none.
    pub fn read(options: &JsValue) -> Result<JsOptions, JsError> {
        if options.is_undefined() || options.is_null() {
            return Ok(JsOptions::default());
        }
        if !options.is_object() || js_sys::Array::is_array(options) {
            return Err(JsError::new(
                "options must be an object: {catalog?, now?, profile?}",
            ));
        }
        // serde-wasm-bindgen reads a struct's fields by name and never sees other keys, so
        // `deny_unknown_fields` cannot catch them: the keys are compared here.
        for key in js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>()).iter() {
            let key = key.as_string().unwrap_or_default();
            if !KEYS.contains(&key.as_str()) {
                return Err(JsError::new(&format!(
                    "options: unknown key \"{key}\", expected one of \"catalog\", \"now\", \"profile\""
                )));
            }
        }
        let de = serde_wasm_bindgen::Deserializer::from(options.clone());
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            JsError::new(&refusal(&path, &e.into_inner().to_string()))
        })
    }

    /// The options as core takes them.
    pub fn core(&self) -> Options<'_> {
        Options {
            catalog: self.catalog.as_ref(),
            // Whole milliseconds; a fractional `performance.now()`-style value is truncated.
            now_ms: self.now.filter(|n| n.is_finite()).map(|n| n as i64),
            profile: self.profile.unwrap_or_default(),
        }
    }
}

/// `options.<path>: <what is wrong>` in plain words.
fn refusal(path: &str, serde_message: &str) -> String {
    let at = if path.is_empty() || path == "." {
        "options".to_owned()
    } else {
        format!("options.{path}")
    };
    format!("{at}: {}", plain_words(serde_message))
}

/// serde's messages ("invalid type: string \"x\", expected u32", "unknown variant `fax`,
/// expected one of `a`, `b`") said without Rust's type names and backticks.
fn plain_words(message: &str) -> String {
    // serde-wasm-bindgen's errors are JS `Error`s: their text starts "Error: ".
    let message = message.strip_prefix("Error: ").unwrap_or(message);
    let message = message.replace('`', "\"");
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((got, expected)) = rest.split_once(", expected ") {
            return format!("expected {}, got {got}", kind(expected));
        }
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        if let Some((got, expected)) = rest.split_once(", expected ") {
            return format!("expected {}, got {got}", kind(expected));
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return format!("unknown value {rest}");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return format!("unknown key {rest}");
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("{rest} is required");
    }
    message
}

/// What a Rust type name means to a JS caller.
fn kind(expected: &str) -> String {
    let word = match expected {
        "f32" | "f64" => "a number",
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number of 0 or more",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "a sequence" => "an array",
        "a boolean" => "true or false",
        e if e.starts_with("struct ") || e.starts_with("a map") => "an object",
        e => return e.to_owned(),
    };
    word.to_owned()
}

#[cfg(test)]
mod tests {
    use super::{plain_words, refusal, JsOptions, KEYS};

    #[test]
    fn keys_are_the_fields() {
        for key in KEYS {
            let one = format!("{{\"{key}\": null}}");
            assert!(serde_json::from_str::<JsOptions>(&one).is_ok(), "{key}");
        }
        let err = serde_json::from_str::<JsOptions>("{\"x\": 1}").expect_err("unknown");
        assert!(
            err.to_string().contains("`catalog`, `now`, `profile`"),
            "{err}"
        );
    }

    #[test]
    fn serde_wording_becomes_plain() {
        assert_eq!(
            refusal("catalog.deployments[0].channel", "unknown variant `fax`, expected one of `voice`, `sms`"),
            "options.catalog.deployments[0].channel: unknown value \"fax\", expected one of \"voice\", \"sms\""
        );
        assert_eq!(
            plain_words("invalid type: string \"5\", expected u32"),
            "expected a whole number of 0 or more, got string \"5\""
        );
        assert_eq!(
            plain_words("invalid type: sequence, expected struct Catalog"),
            "expected an object, got sequence"
        );
        assert_eq!(
            plain_words("missing field `channel`"),
            "\"channel\" is required"
        );
        assert_eq!(
            refusal(
                "",
                "unknown field `catalogue`, expected one of `catalog`, `now`, `profile`"
            ),
            "options: unknown key \"catalogue\", expected one of \"catalog\", \"now\", \"profile\""
        );
    }
}
