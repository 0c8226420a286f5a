//! txstate-wasm: the core validator for JavaScript. It only converts between JS values and
//! core types; every rule lives in `txstate-core`. These are the raw exports: the package's
//! JavaScript (`wasm/js/api.js`) wraps them into the public API, and the TypeScript shapes are
//! declared once, by hand, in `wasm/js/txstate.d.ts` (the generated ones are skipped).
//!
//! - [`RawValidator`]: options read once; `check` (the in-body code as a number, nothing else
//!   built), `validate` (the whole verdict), `batch` / `batchLines` (many bodies in one call).
//! - [`codes`]: the code table; [`api_names`]: the APIs by index.
//! - `options`: reading the options; `input`: a body given as a JS value.

mod input;
mod options;

use txstate_core::{codes::CodeInfo, Api, Code, Verdict};
use wasm_bindgen::prelude::*;

use crate::options::JsOptions;

/// The APIs in the order the raw functions number them (`0` = notify, `1` = voice): the
/// JavaScript maps names to indexes once, so a call passes a number, not a string.
const APIS: [Api; 2] = [Api::Notify, Api::Voice];

fn api_at(index: u8) -> Result<Api, JsError> {
    APIS.get(usize::from(index))
        .copied()
        .ok_or_else(|| JsError::new("unknown api: expected \"notify\" or \"voice\""))
}

/// The API names by index: `["notify", "voice"]`.
#[wasm_bindgen(js_name = apiNames, skip_typescript)]
pub fn api_names() -> Vec<String> {
    APIS.iter().map(|a| a.name().to_owned()).collect()
}

/// The code table: every code with its HTTP status under both profiles.
#[wasm_bindgen(skip_typescript)]
pub fn codes() -> Result<JsValue, JsError> {
    let table: Vec<CodeInfo> = Code::ALL.iter().map(|c| c.info()).collect();
    to_js(&table)
}

/// The in-body code as a number: `0` for a processed voice update (which has none).
fn code_number(verdict: &Verdict<'_>) -> u16 {
    verdict.code.map_or(0, Code::number)
}

/// A verdict handed to JS as a plain object (through JSON: one crossing, and `JSON.parse` is
/// the fastest way V8 builds an object graph).
fn to_js(value: &impl serde::Serialize) -> Result<JsValue, JsError> {
    // Sized once: a verdict's JSON is rarely over 1 KiB, and growing the buffer from empty
    // cost a third of serialising (callgrind).
    let mut text = Vec::with_capacity(1024);
    serde_json::to_writer(&mut text, value).map_err(|e| JsError::new(&e.to_string()))?;
    let text = String::from_utf8(text).map_err(|e| JsError::new(&e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|e| JsError::new(&input::describe(&e)))
}

/// Codes of many bodies: one per body, `0` for a processed voice update; the indexes of the
/// refused ones; for NDJSON, the 1-based line of each body.
#[wasm_bindgen(skip_typescript)]
#[derive(Debug, Default)]
pub struct Batch {
    codes: Vec<u16>,
    refused: Vec<u32>,
    lines: Vec<u32>,
}

#[wasm_bindgen]
impl Batch {
    /// One code per body (`Uint16Array`).
    #[wasm_bindgen(getter)]
    pub fn codes(&self) -> Vec<u16> {
        self.codes.clone()
    }

    /// The indexes of the refused bodies (`Uint32Array`).
    #[wasm_bindgen(getter)]
    pub fn refused(&self) -> Vec<u32> {
        self.refused.clone()
    }

    /// NDJSON: the line of each body (`Uint32Array`); empty for an array.
    #[wasm_bindgen(getter)]
    pub fn lines(&self) -> Vec<u32> {
        self.lines.clone()
    }
}

impl Batch {
    fn push(&mut self, verdict: &Verdict<'_>) {
        if !verdict.ok {
            self.refused.push(self.codes.len() as u32);
        }
        self.codes.push(code_number(verdict));
    }
}

/// A validator whose options (and catalog) are read once.
#[wasm_bindgen(js_name = RawValidator, skip_typescript)]
#[derive(Debug)]
pub struct RawValidator {
    options: JsOptions,
}

#[wasm_bindgen(js_class = RawValidator)]
impl RawValidator {
    /// Reads `{catalog?, now?, profile?}` once.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<RawValidator, JsError> {
        Ok(RawValidator {
            options: JsOptions::read(&options)?,
        })
    }

    /// The in-body code of a body given as text (`0`: a processed voice update). Nothing but
    /// the number crosses back.
    pub fn check(&self, api: u8, text: &str) -> Result<u16, JsError> {
        let verdict = txstate_core::validate(api_at(api)?, text.as_bytes(), &self.options.core());
        Ok(code_number(&verdict))
    }

    /// The same for a body given as bytes or an object (`JSON.stringify` of it).
    #[wasm_bindgen(js_name = checkValue)]
    pub fn check_value(&self, api: u8, input: JsValue) -> Result<u16, JsError> {
        let bytes = input::body(&input)?;
        let verdict = txstate_core::validate(api_at(api)?, &bytes, &self.options.core());
        Ok(code_number(&verdict))
    }

    /// The whole verdict of a body given as text, bytes or an object.
    pub fn validate(&self, api: u8, input: JsValue) -> Result<JsValue, JsError> {
        let bytes = input::body(&input)?;
        to_js(&txstate_core::validate(
            api_at(api)?,
            &bytes,
            &self.options.core(),
        ))
    }

    /// Many bodies (each text, bytes or an object) in one call.
    pub fn batch(&self, api: u8, inputs: Vec<JsValue>) -> Result<Batch, JsError> {
        let api = api_at(api)?;
        let options = self.options.core();
        let mut batch = Batch::default();
        for input in &inputs {
            let bytes = input::body(input)?;
            batch.push(&txstate_core::validate(api, &bytes, &options));
        }
        Ok(batch)
    }

    /// NDJSON text: one body per line; blank lines are skipped (a trailing newline is not a
    /// body), a `\r` before the newline is whitespace.
    #[wasm_bindgen(js_name = batchLines)]
    pub fn batch_lines(&self, api: u8, text: &str) -> Result<Batch, JsError> {
        let api = api_at(api)?;
        let options = self.options.core();
        let mut batch = Batch::default();
        for (n, line) in text.split('\n').enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            batch.lines.push(n as u32 + 1);
            batch.push(&txstate_core::validate(api, line.as_bytes(), &options));
        }
        Ok(batch)
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
