//! The composer's form, kept in step with the raw JSON: the raw text is the one source of truth;
//! the form reads its fields from it and every form edit rewrites it, keeping the field order
//! and any field the form does not know. Which fields there are, their controls and help come
//! from core's field tables (`txstate_core::fields`).

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// Why the raw text cannot drive the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAnObject(pub String);

impl fmt::Display for NotAnObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the raw JSON is not an object the form can show ({}): edit it as text",
            self.0
        )
    }
}

/// A JSON object with its members in their written order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object(pub Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Ordered;
        impl<'de> Visitor<'de> for Ordered {
            type Value = Object;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Object, M::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Value>()? {
                    out.push((k, v));
                }
                Ok(Object(out))
            }
        }
        d.deserialize_map(Ordered)
    }
}

impl Object {
    /// Reads `text` as a JSON object, keeping the members' order.
    pub fn parse(text: &str) -> Result<Object, NotAnObject> {
        if text.trim().is_empty() {
            return Ok(Object::default());
        }
        serde_json::from_str(text).map_err(|e| NotAnObject(e.to_string()))
    }

    /// The member `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Sets (or, with `None`, removes) a member, keeping its place; a new one goes last.
    pub fn set(&mut self, name: &str, value: Option<Value>) {
        match (self.0.iter().position(|(k, _)| k == name), value) {
            (Some(i), Some(v)) => self.0[i].1 = v,
            (Some(i), None) => {
                self.0.remove(i);
            }
            (None, Some(v)) => self.0.push((name.to_owned(), v)),
            (None, None) => {}
        }
    }

    /// Pretty JSON, two spaces, members in order.
    pub fn to_json(&self) -> String {
        if self.0.is_empty() {
            return "{}".to_owned();
        }
        let mut out = String::from("{\n");
        for (i, (k, v)) in self.0.iter().enumerate() {
            out.push_str("  ");
            out.push_str(&quote(k));
            out.push_str(": ");
            out.push_str(&serde_json::to_string(v).unwrap_or_else(|_| "null".into()));
            out.push_str(if i + 1 < self.0.len() { ",\n" } else { "\n" });
        }
        out.push('}');
        out
    }
}

/// A JSON string literal.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// What a form control shows for a member: a string as itself, anything else as JSON text.
pub fn display(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The raw text after a form edit of one field: an empty control removes the member.
pub fn edit(raw: &str, name: &str, value: &str) -> Result<String, NotAnObject> {
    let mut obj = Object::parse(raw)?;
    obj.set(
        name,
        (!value.is_empty()).then(|| Value::String(value.to_owned())),
    );
    Ok(obj.to_json())
}

/// The additionalInfo editor's rows, read from the member (a string holding a JSON object, or
/// an object). `Err` holds the text when it is not an object, for a plain text control.
pub fn kv_rows(v: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    let obj = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(Vec::new()),
        Some(Value::String(s)) => Object::parse(s).map_err(|_| s.clone())?,
        Some(Value::Object(_)) => {
            Object::parse(&v.map(Value::to_string).unwrap_or_default()).map_err(|e| e.0)?
        }
        Some(other) => return Err(other.to_string()),
    };
    Ok(obj
        .0
        .into_iter()
        .map(|(k, v)| (k, display(Some(&v))))
        .collect())
}

/// The additionalInfo string for these rows: a JSON object encoded in a string, as the
/// contract asks; rows with an empty key are left out; no rows → no member.
pub fn kv_encode(rows: &[(String, String)]) -> Option<String> {
    let obj = Object(
        rows.iter()
            .filter(|(k, _)| !k.trim().is_empty())
            .map(|(k, v)| (k.trim().to_owned(), Value::String(v.clone())))
            .collect(),
    );
    if obj.0.is_empty() {
        return None;
    }
    let inner: Vec<String> = obj
        .0
        .iter()
        .map(|(k, v)| format!("{}:{}", quote(k), v))
        .collect();
    Some(format!("{{{}}}", inner.join(",")))
}

/// Sets the additionalInfo member from the editor's rows.
pub fn edit_kv(raw: &str, rows: &[(String, String)]) -> Result<String, NotAnObject> {
    let mut obj = Object::parse(raw)?;
    obj.set("additionalInfo", kv_encode(rows).map(Value::String));
    Ok(obj.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_edit_keeps_order_and_unknown_members() {
        let raw = r#"{"refTransId":"A","extra":[1,2],"responseState":"531"}"#;
        let out = edit(raw, "refTransId", "B").unwrap();
        assert_eq!(
            out,
            "{\n  \"refTransId\": \"B\",\n  \"extra\": [1,2],\n  \"responseState\": \"531\"\n}"
        );
        let out = edit(&out, "deploymentId", "API_1").unwrap();
        assert!(out.ends_with("\"deploymentId\": \"API_1\"\n}"), "{out}");
        let out = edit(&out, "extra", "").unwrap();
        assert!(!out.contains("extra"), "{out}");
    }

    #[test]
    fn the_form_refuses_what_is_not_an_object() {
        for raw in ["[1]", "{\"a\":", "\"x\"", "nul"] {
            assert!(edit(raw, "a", "b").is_err(), "{raw}");
        }
        assert_eq!(edit("  ", "a", "b").unwrap(), "{\n  \"a\": \"b\"\n}");
    }

    #[test]
    fn non_string_members_show_as_json_text() {
        let obj = Object::parse(r#"{"a":531,"b":null,"c":"x","d":{"k":1}}"#).unwrap();
        assert_eq!(display(obj.get("a")), "531");
        assert_eq!(display(obj.get("b")), "");
        assert_eq!(display(obj.get("c")), "x");
        assert_eq!(display(obj.get("d")), "{\"k\":1}");
        assert_eq!(display(obj.get("missing")), "");
    }

    #[test]
    fn additional_info_round_trips_through_the_editor() {
        let rows = vec![
            ("responseCode".to_owned(), "403".to_owned()),
            ("responseDesc".to_owned(), "Bad \"token\"".to_owned()),
            ("  ".to_owned(), "ignored".to_owned()),
        ];
        let encoded = kv_encode(&rows).unwrap();
        assert_eq!(
            encoded,
            r#"{"responseCode":"403","responseDesc":"Bad \"token\""}"#
        );
        let raw = edit_kv("{}", &rows).unwrap();
        let obj = Object::parse(&raw).unwrap();
        assert_eq!(
            kv_rows(obj.get("additionalInfo")).unwrap(),
            rows[..2].to_vec()
        );
        assert_eq!(kv_encode(&[]), None);
        assert!(!edit_kv(&raw, &[]).unwrap().contains("additionalInfo"));
    }

    #[test]
    fn additional_info_given_as_an_object_or_as_junk() {
        let obj = Object::parse(r#"{"additionalInfo":{"responseCode":403}}"#).unwrap();
        assert_eq!(
            kv_rows(obj.get("additionalInfo")).unwrap(),
            vec![("responseCode".to_owned(), "403".to_owned())]
        );
        let obj = Object::parse(r#"{"additionalInfo":"not json"}"#).unwrap();
        assert_eq!(
            kv_rows(obj.get("additionalInfo")),
            Err("not json".to_owned())
        );
        let obj = Object::parse(r#"{"additionalInfo":7}"#).unwrap();
        assert_eq!(kv_rows(obj.get("additionalInfo")), Err("7".to_owned()));
    }
}
