//! Reading a request body: one JSON object whose top-level fields land in the slots of the
//! API's known field names, without building a generic map (the validator's hot path).
//!
//! Decisions (docs/decisions.md): a leading UTF-8 byte-order mark is skipped; a duplicate key
//! makes the body unreadable, because parsers disagree on which copy wins and a partner's
//! proxy and our server must never read two different payloads out of one body.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize as _, Deserializer};
use serde_json::{Map, Number, Value};

/// Largest accepted body (contract: "body at most 64 KiB").
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// One top-level value, as much of it as validation needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Raw<'a> {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as serde_json read it.
    Number(Number),
    /// A string, borrowed from the body when it has no escapes.
    Str(Cow<'a, str>),
    /// An array (its content is never needed).
    Array,
    /// An object (needed for additionalInfo given as an object).
    Object(Map<String, Value>),
}

impl Raw<'_> {
    /// A short name of the JSON type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Raw::Null => "null",
            Raw::Bool(_) => "a boolean",
            Raw::Number(_) => "a number",
            Raw::Str(_) => "a string",
            Raw::Array => "an array",
            Raw::Object(_) => "an object",
        }
    }
}

/// Why a body could not be read as one JSON object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Empty or whitespace only.
    Empty,
    /// Over [`MAX_BODY_BYTES`].
    TooLarge(usize),
    /// Not JSON (serde_json's reason, with line and column).
    NotJson(String),
    /// JSON, but not an object.
    NotObject(&'static str),
    /// The same key twice.
    DuplicateKey(String),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Empty => f.write_str("the body is empty; a JSON object is expected"),
            BodyError::TooLarge(n) => {
                write!(
                    f,
                    "the body has {n} bytes; at most {MAX_BODY_BYTES} are accepted"
                )
            }
            BodyError::NotJson(why) => write!(f, "the body is not valid JSON: {why}"),
            BodyError::NotObject(t) => write!(f, "the body is {t}; a JSON object is expected"),
            BodyError::DuplicateKey(k) => {
                write!(f, "the body has the key \"{}\" more than once", clip(k))
            }
        }
    }
}

/// A body read against a list of known field names.
#[derive(Debug)]
pub struct Body<'a> {
    /// One slot per known name, in the order of the list.
    pub fields: Vec<Option<Raw<'a>>>,
    /// Keys that are not in the list, in body order.
    pub unknown: Vec<Cow<'a, str>>,
}

impl<'a> Body<'a> {
    /// The value of known field `i`.
    pub fn get(&self, i: usize) -> Option<&Raw<'a>> {
        self.fields.get(i).and_then(Option::as_ref)
    }
}

/// Reads `bytes` as one JSON object whose fields are looked up in `known`.
pub fn read_object<'a>(
    bytes: &'a [u8],
    known: &'static [&'static str],
) -> Result<Body<'a>, BodyError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge(bytes.len()));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BodyError::Empty);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut dup = None;
    let body = ObjectSeed {
        known,
        dup: &mut dup,
    }
    .deserialize(&mut de);
    let body = match body {
        Ok(body) => body,
        Err(e) => {
            return Err(match dup {
                Some(BodyProblem::Duplicate(k)) => BodyError::DuplicateKey(k),
                Some(BodyProblem::NotObject(t)) => BodyError::NotObject(t),
                None => BodyError::NotJson(e.to_string()),
            })
        }
    };
    de.end().map_err(|e| BodyError::NotJson(e.to_string()))?;
    Ok(body)
}

/// Problems the visitor finds that serde_json's error type cannot carry as data.
enum BodyProblem {
    Duplicate(String),
    NotObject(&'static str),
}

struct ObjectSeed<'p> {
    known: &'static [&'static str],
    dup: &'p mut Option<BodyProblem>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = Body<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl ObjectSeed<'_> {
    fn not_object<E: de::Error>(self, t: &'static str) -> Result<Body<'static>, E> {
        *self.dup = Some(BodyProblem::NotObject(t));
        Err(E::custom("not an object"))
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_> {
    type Value = Body<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields: Vec<Option<Raw<'de>>> = vec![None; self.known.len()];
        let mut unknown: Vec<Cow<'de, str>> = Vec::new();
        while let Some(CowStr(key)) = map.next_key::<CowStr<'de>>()? {
            match self.known.iter().position(|k| *k == key) {
                Some(i) => {
                    let value = map.next_value::<RawValue<'de>>()?.0;
                    if fields[i].is_some() {
                        *self.dup = Some(BodyProblem::Duplicate(key.into_owned()));
                        return Err(de::Error::custom("duplicate key"));
                    }
                    fields[i] = Some(value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                    if unknown.contains(&key) {
                        *self.dup = Some(BodyProblem::Duplicate(key.into_owned()));
                        return Err(de::Error::custom("duplicate key"));
                    }
                    unknown.push(key);
                }
            }
        }
        Ok(Body { fields, unknown })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        self.not_object("an array")
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        self.not_object("a string")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.not_object("a boolean")
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        self.not_object("a number")
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        self.not_object("a number")
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.not_object("a number")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.not_object("null")
    }
}

/// A string that borrows from the input when it can.
struct CowStr<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A [`Raw`] value.
struct RawValue<'a>(Raw<'a>);

impl<'de> de::Deserialize<'de> for RawValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(RawValue(Raw::Null))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(RawValue(Raw::Bool(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(RawValue(Raw::Number(v.into())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(RawValue(Raw::Number(v.into())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Number::from_f64(v)
                    .map(|n| RawValue(Raw::Number(n)))
                    .ok_or_else(|| E::custom("number out of range"))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(RawValue(Raw::Str(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawValue(Raw::Str(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(RawValue(Raw::Str(Cow::Owned(v))))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(RawValue(Raw::Array))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let v = Map::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawValue(Raw::Object(v)))
            }
        }
        d.deserialize_any(V)
    }
}

/// At most 64 characters of partner text, for messages.
pub fn clip(s: &str) -> Cow<'_, str> {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        None => Cow::Borrowed(s),
        Some((i, _)) => Cow::Owned(format!("{}…", &s[..i])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["a", "b"];

    #[test]
    fn reads_known_and_unknown_fields() {
        let body = read_object(br#"{"a":"x","z":1,"b":null}"#, KNOWN).expect("object");
        assert_eq!(body.get(0), Some(&Raw::Str(Cow::Borrowed("x"))));
        assert_eq!(body.get(1), Some(&Raw::Null));
        assert_eq!(body.unknown, vec![Cow::Borrowed("z")]);
    }

    #[test]
    fn refuses_what_is_not_one_object() {
        let cases: &[(&[u8], BodyError)] = &[
            (b"", BodyError::Empty),
            (b"  \n", BodyError::Empty),
            (b"[1]", BodyError::NotObject("an array")),
            (b"\"s\"", BodyError::NotObject("a string")),
            (b"null", BodyError::NotObject("null")),
            (b"12", BodyError::NotObject("a number")),
            (br#"{"a":1,"a":2}"#, BodyError::DuplicateKey("a".into())),
            (br#"{"q":1,"q":2}"#, BodyError::DuplicateKey("q".into())),
        ];
        for (input, want) in cases {
            assert_eq!(
                read_object(input, KNOWN).err().as_ref(),
                Some(want),
                "{input:?}"
            );
        }
        for bad in [&b"{"[..], b"{}x", b"{\"a\":\"\xff\"}", b"{'a':1}"] {
            assert!(
                matches!(read_object(bad, KNOWN), Err(BodyError::NotJson(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn skips_a_byte_order_mark_and_refuses_oversized_bodies() {
        assert!(read_object(b"\xEF\xBB\xBF{}", KNOWN).is_ok());
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(
            read_object(&big, KNOWN).err(),
            Some(BodyError::TooLarge(MAX_BODY_BYTES + 1))
        );
    }

    #[test]
    fn deep_nesting_never_overflows_the_stack() {
        // Arrays are skipped without recursion wherever they are: harmless.
        let arrays =
            |key: &str| format!("{{\"{key}\":{}{}}}", "[".repeat(30_000), "]".repeat(30_000));
        assert!(read_object(arrays("a").as_bytes(), KNOWN).is_ok());
        assert!(read_object(arrays("z").as_bytes(), KNOWN).is_ok());
        // Objects in a known field are built, and serde_json's recursion limit refuses them.
        let objects = format!(
            "{{\"a\":{}1{}}}",
            "{\"a\":".repeat(10_000),
            "}".repeat(10_000)
        );
        assert!(matches!(
            read_object(objects.as_bytes(), KNOWN),
            Err(BodyError::NotJson(_))
        ));
    }

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text_on_a_char_boundary() {
        assert_eq!(clip("abc"), "abc");
        let long = "é".repeat(100);
        assert_eq!(clip(&long).chars().count(), 65);
    }
}
