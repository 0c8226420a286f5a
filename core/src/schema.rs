//! The JSON Schemas (draft 2020-12) of both request bodies, generated from the field tables:
//! `schemas/*.schema.json` are this module's output (a test holds the files to it), served by
//! the server and shipped in the npm package. JSON Schema cannot say everything core checks
//! (calendar dates, additionalInfo's inner JSON, end before start, the deployment rules), so a
//! schema never refuses what core accepts, and core stays authoritative.

use serde_json::{json, Map, Value};

use crate::codes::Api;
use crate::fields::{table, Field, Kind, Need, TimeFormat, VoiceField};
use crate::lists::CALL_SOURCE_TROMBONE;

/// Non-blank, no control characters.
const ID_PATTERN: &str =
    "^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$";
const DATE: &str = "\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])";
const CLOCK: &str = "([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d";

/// The schema of `api`'s request body.
pub fn json_schema(api: Api) -> Value {
    let fields = table(api);
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.need == Need::Mandatory)
        .map(|f| f.name)
        .collect();
    let properties: Map<String, Value> = fields
        .iter()
        .map(|f| (f.name.to_owned(), property(f)))
        .collect();
    let (title, rules) = match api {
        Api::Notify => (
            "Notify transaction state: request body",
            "calendar dates, the JSON inside additionalInfo, the deployment rules 1102-1105",
        ),
        Api::Voice => (
            "Update voice deployment transaction status: request body",
            "calendar dates, end before start",
        ),
    };
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("https://txstate.invalid/schemas/{}.schema.json", api.name()),
        "title": title,
        "description": format!(
            "{} {}. Generated from txstate's field tables. JSON Schema cannot express every rule ({rules}): the txstate validator is authoritative.",
            api.method(),
            api.path()
        ),
        "type": "object",
        "required": required,
        "properties": properties,
    });
    let conditional: Vec<&str> = fields
        .iter()
        .filter(|f| f.need == Need::WhenTrombone)
        .map(|f| f.name)
        .collect();
    if !conditional.is_empty() {
        let source = VoiceField::CallSource.name();
        schema["if"] = json!({
            "properties": { source: { "enum": as_sent(&[CALL_SOURCE_TROMBONE]) } },
            "required": [source],
        });
        schema["then"] = json!({ "required": conditional });
    }
    schema
}

/// A field's schema: its kind's, and for a field that may be left out, null and blank too
/// (both read as absent).
fn property(f: &Field) -> Value {
    let mut kinds = kind(f.kind);
    let mut help = f.help.to_owned();
    if let Some(note) = note(f.kind) {
        help = format!("{help} ({note})");
    }
    if f.need != Need::Mandatory {
        help.push_str("; null or blank: absent");
        let mut any = vec![
            json!({"type": "null"}),
            json!({"type": "string", "pattern": "^\\s*$"}),
        ];
        any.append(&mut kinds);
        kinds = any;
    }
    let mut p = match <[Value; 1]>::try_from(kinds) {
        Ok([one]) => one,
        Err(kinds) => json!({ "anyOf": kinds }),
    };
    p["description"] = Value::String(help);
    p
}

/// What people should know beyond the help text.
fn note(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::List(_) | Kind::Text(_) => Some("a number is taken as its text"),
        Kind::Time(TimeFormat::Seconds) => Some("yyyy-MM-dd HH:mm:ss, or RFC 3339"),
        Kind::Time(TimeFormat::Millis) => {
            Some("yyyy-MM-dd HH:mm:ss.SSS; milliseconds may be left out")
        }
        Kind::Digits(_) => Some("a whole number is taken as its digits"),
        Kind::Whole => Some("0 to 4294967295, as a number or its digits"),
        Kind::JsonObject(_) => Some("an object itself is taken as its text"),
        Kind::ListAnyCase(_) | Kind::Id => None,
    }
}

/// The alternatives a present value of `kind` may take.
fn kind(kind: Kind) -> Vec<Value> {
    match kind {
        Kind::Id => vec![json!({
            "type": "string", "minLength": 1, "maxLength": crate::fields::ID_MAX_CHARS, "pattern": ID_PATTERN,
        })],
        Kind::List(list) => {
            let values: Vec<&str> = list.iter().map(|(v, _)| *v).collect();
            vec![json!({ "enum": as_sent(&values) })]
        }
        Kind::ListAnyCase(list) => {
            let mut values: Vec<String> = Vec::new();
            for (v, _) in list {
                for cased in [v.to_string(), v.to_lowercase(), v.to_uppercase()] {
                    if !values.contains(&cased) {
                        values.push(cased);
                    }
                }
            }
            vec![json!({ "type": "string", "enum": values })]
        }
        Kind::Time(TimeFormat::Seconds) => vec![json!({
            "type": "string",
            "anyOf": [
                { "pattern": format!("^{DATE} {CLOCK}$") },
                { "pattern": format!("^{DATE}[Tt ]{CLOCK}(\\.\\d+)?([Zz]|[+-]([01]\\d|2[0-3]):[0-5]\\d)$") },
            ],
        })],
        Kind::Time(TimeFormat::Millis) => vec![json!({
            "type": "string", "pattern": format!("^{DATE} {CLOCK}(\\.\\d{{3}})?$"),
        })],
        Kind::Text(max) => vec![
            json!({ "type": "string", "maxLength": max }),
            json!({ "type": "number" }),
        ],
        Kind::Digits(max) => vec![
            json!({ "type": "string", "maxLength": max, "pattern": "^[0-9*#A-D]*$" }),
            json!({ "type": "integer", "minimum": 0 }),
        ],
        Kind::Whole => vec![
            json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX }),
            json!({ "type": "string", "pattern": "^[0-9]+$" }),
        ],
        Kind::JsonObject(max) => vec![
            json!({ "type": "object" }),
            json!({
                "type": "string", "maxLength": max, "pattern": "^\\s*\\{[\\s\\S]*\\}\\s*$",
                "contentMediaType": "application/json",
            }),
        ],
    }
}

/// Listed values as partners may send them: each as text, then those that are whole numbers as
/// JSON numbers (core takes a number for its text).
fn as_sent(values: &[&str]) -> Vec<Value> {
    let texts = values.iter().map(|v| json!(v));
    let numbers = values
        .iter()
        .filter_map(|v| v.parse::<u64>().ok().map(Value::from));
    texts.chain(numbers).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `schemas/` holds exactly what the field tables generate; `UPDATE_SNAPSHOTS=1` rewrites it.
    #[test]
    fn the_schema_files_are_generated_from_the_field_tables() {
        for api in [Api::Notify, Api::Voice] {
            let path = format!(
                "{}/../schemas/{}.schema.json",
                env!("CARGO_MANIFEST_DIR"),
                api.name()
            );
            let mut generated = serde_json::to_string_pretty(&json_schema(api)).unwrap_or_default();
            generated.push('\n');
            if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
                std::fs::write(&path, &generated).expect("write the schema");
            }
            let stored = std::fs::read_to_string(&path).unwrap_or_default();
            assert_eq!(
                stored, generated,
                "{path} differs from the field tables: review, then UPDATE_SNAPSHOTS=1"
            );
        }
    }
}
