//! txstate-wasm: the core validator as a JavaScript package. It only converts between JS
//! values and core types; every rule lives in `txstate-core`. The TypeScript shapes are
//! declared once, by hand, in `wasm/js/txstate.d.ts` (the generated ones are skipped).
//!
//! - `validate(api, input, options?)`, `validateNotify(input, options?)`,
//!   `validateVoice(input, options?)`: the verdict core gives, as a plain JS object.
//! - `new Validator(options?)`: the same with the options (and their catalog) read once.
//! - `codes()`: the code table.

use serde::Deserialize;
use txstate_core::{codes::CodeInfo, Api, Catalog, Code, Options, StatusProfile};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Options as JS passes them: `{catalog?, now?, profile?}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JsOptions {
    #[serde(default)]
    catalog: Option<Catalog>,
    #[serde(default)]
    now: Option<f64>,
    #[serde(default)]
    profile: Option<StatusProfile>,
}

impl JsOptions {
    fn read(options: &JsValue) -> Result<JsOptions, JsError> {
        if options.is_undefined() || options.is_null() {
            return Ok(JsOptions::default());
        }
        if !options.is_object() {
            return Err(JsError::new(
                "options must be an object: {catalog?, now?, profile?}",
            ));
        }
        let text = js_json(options, "options")?;
        serde_json::from_str(&text).map_err(|e| JsError::new(&format!("options: {e}")))
    }

    fn core(&self) -> Options<'_> {
        Options {
            catalog: self.catalog.as_ref(),
            // Whole milliseconds; a fractional `performance.now()`-style value is truncated.
            now_ms: self.now.filter(|n| n.is_finite()).map(|n| n as i64),
            profile: self.profile.unwrap_or_default(),
        }
    }
}

/// `JSON.stringify(value)` as a Rust string.
fn js_json(value: &JsValue, what: &str) -> Result<String, JsError> {
    let text = js_sys::JSON::stringify(value).map_err(|e| {
        JsError::new(&format!(
            "{what} cannot be turned into JSON: {}",
            describe(&e)
        ))
    })?;
    text.as_string()
        .ok_or_else(|| JsError::new(&format!("{what} cannot be turned into JSON")))
}

fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// The request body: the text as given, the bytes of a Uint8Array, or `JSON.stringify` of an
/// object.
fn body(input: &JsValue) -> Result<Vec<u8>, JsError> {
    if let Some(text) = input.as_string() {
        return Ok(text.into_bytes());
    }
    if let Some(bytes) = input.dyn_ref::<js_sys::Uint8Array>() {
        return Ok(bytes.to_vec());
    }
    if input.is_object() || input.is_null() {
        return js_json(input, "input").map(String::into_bytes);
    }
    Err(JsError::new(
        "input must be the request body as JSON text, a Uint8Array of it, or an object (validated as JSON.stringify of it)",
    ))
}

fn api(name: &str) -> Result<Api, JsError> {
    Api::parse(name).ok_or_else(|| {
        JsError::new(&format!(
            "unknown api \"{name}\": expected \"notify\" or \"voice\""
        ))
    })
}

/// Runs core and hands the verdict to JS as a plain object (through JSON: one crossing).
fn run(api: Api, input: &JsValue, options: &JsOptions) -> Result<JsValue, JsError> {
    let bytes = body(input)?;
    let verdict = txstate_core::validate(api, &bytes, &options.core());
    to_js(&verdict)
}

fn to_js(value: &impl serde::Serialize) -> Result<JsValue, JsError> {
    let text = serde_json::to_string(value).map_err(|e| JsError::new(&e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|e| JsError::new(&describe(&e)))
}

/// Validates a request body of `api` (`"notify"` or `"voice"`).
#[wasm_bindgen(skip_typescript)]
pub fn validate(api_name: &str, input: JsValue, options: JsValue) -> Result<JsValue, JsError> {
    run(api(api_name)?, &input, &JsOptions::read(&options)?)
}

/// Validates a notify request body.
#[wasm_bindgen(js_name = validateNotify, skip_typescript)]
pub fn validate_notify(input: JsValue, options: JsValue) -> Result<JsValue, JsError> {
    run(Api::Notify, &input, &JsOptions::read(&options)?)
}

/// Validates a voice request body.
#[wasm_bindgen(js_name = validateVoice, skip_typescript)]
pub fn validate_voice(input: JsValue, options: JsValue) -> Result<JsValue, JsError> {
    run(Api::Voice, &input, &JsOptions::read(&options)?)
}

/// The code table: every code with its HTTP status under both profiles.
#[wasm_bindgen(skip_typescript)]
pub fn codes() -> Result<JsValue, JsError> {
    let table: Vec<CodeInfo> = Code::ALL.iter().map(|c| c.info()).collect();
    to_js(&table)
}

/// A validator whose options (and catalog) are read once, for validating many bodies.
#[wasm_bindgen(skip_typescript)]
#[derive(Debug)]
pub struct Validator {
    options: JsOptions,
}

#[wasm_bindgen]
impl Validator {
    /// Reads `options` once.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Validator, JsError> {
        Ok(Validator {
            options: JsOptions::read(&options)?,
        })
    }

    /// Validates a request body of `api`.
    pub fn validate(&self, api_name: &str, input: JsValue) -> Result<JsValue, JsError> {
        run(api(api_name)?, &input, &self.options)
    }

    /// Validates a notify request body.
    #[wasm_bindgen(js_name = validateNotify)]
    pub fn validate_notify(&self, input: JsValue) -> Result<JsValue, JsError> {
        run(Api::Notify, &input, &self.options)
    }

    /// Validates a voice request body.
    #[wasm_bindgen(js_name = validateVoice)]
    pub fn validate_voice(&self, input: JsValue) -> Result<JsValue, JsError> {
        run(Api::Voice, &input, &self.options)
    }
}

#[cfg(test)]
mod tests {
    use txstate_core::Code;

    /// The declarations are written by hand: they must name every code of the table.
    #[test]
    fn declarations_name_every_code() {
        let dts = include_str!("../js/txstate.d.ts");
        let start = dts.find("export type Code =").expect("a Code union");
        let union = &dts[start..start + dts[start..].find(';').expect("end of the union")];
        let mut declared: Vec<u16> = union
            .split('|')
            .filter_map(|p| {
                p.trim()
                    .trim_start_matches("export type Code =")
                    .trim()
                    .parse()
                    .ok()
            })
            .collect();
        declared.sort_unstable();
        let mut table: Vec<u16> = Code::ALL.iter().map(|c| c.number()).collect();
        table.sort_unstable();
        assert_eq!(declared, table);
    }
}
