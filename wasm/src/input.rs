//! A request body given as a JS value: JSON text, its bytes, or an object (validated as
//! `JSON.stringify` of it). The fast path (`check` on a string) never comes here: wasm-bindgen
//! copies the string straight into wasm memory.

use wasm_bindgen::{JsCast, JsError, JsValue};

/// The body's bytes.
pub fn body(input: &JsValue) -> Result<Vec<u8>, JsError> {
    if let Some(text) = input.as_string() {
        return Ok(text.into_bytes());
    }
    if let Some(bytes) = input.dyn_ref::<js_sys::Uint8Array>() {
        return Ok(bytes.to_vec());
    }
    if input.is_object() || input.is_null() {
        return json(input, "input").map(String::into_bytes);
    }
    Err(JsError::new(
        "input must be the request body as JSON text, a Uint8Array of it, or an object (validated as JSON.stringify of it)",
    ))
}

/// `JSON.stringify(value)` as a Rust string.
fn json(value: &JsValue, what: &str) -> Result<String, JsError> {
    let text = js_sys::JSON::stringify(value).map_err(|e| {
        JsError::new(&format!(
            "{what} cannot be turned into JSON: {}",
            describe(&e)
        ))
    })?;
    text.as_string()
        .ok_or_else(|| JsError::new(&format!("{what} cannot be turned into JSON")))
}

/// A thrown JS value's message.
pub fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into())
}
