//! Reading a request body: one JSON object whose top-level fields land in the slots of the
//! API's known field names. A purpose-built single-pass scanner (the validator's hot path):
//! UTF-8 is checked once, strings borrow from the body unless they hold escapes (a known
//! field's string with escapes is checked and decoded only when read: [`Raw::Escaped`]; a JSON
//! object inside one is read in place, [`read_object_escaped`]), and values the
//! validators never read (unknown fields, nested arrays) are checked for well-formedness and
//! skipped without recursion, so no input can overflow the stack.
//!
//! Decisions (docs/decisions.md): a leading UTF-8 byte-order mark is skipped; a duplicate key
//! makes the body unreadable, because parsers disagree on which copy wins and a partner's
//! proxy and our server must never read two different payloads out of one body.

use std::borrow::Cow;
use std::fmt;

use crate::swar;

/// Largest accepted body (contract: "body at most 64 KiB").
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// One value, as much of it as validation needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Raw<'a> {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number: its text as sent (valid JSON number grammar).
    Number(&'a str),
    /// A string, borrowed from the body when it has no escapes.
    Str(Cow<'a, str>),
    /// A string with escapes as the value of a known field: checked, not yet decoded
    /// ([`Escaped::unescape`]). Most fields decode it; additionalInfo reads the object in it
    /// without decoding first ([`read_object_escaped`]).
    Escaped(Escaped<'a>),
    /// An array: its text as sent.
    Array(&'a str),
    /// An object: its text as sent.
    Object(&'a str),
}

impl Raw<'_> {
    /// A short name of the JSON type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Raw::Null => "null",
            Raw::Bool(_) => "a boolean",
            Raw::Number(_) => "a number",
            Raw::Str(_) | Raw::Escaped(_) => "a string",
            Raw::Array(_) => "an array",
            Raw::Object(_) => "an object",
        }
    }
}

/// A JSON string with escapes, as sent after its opening quote (its closing quote included,
/// so that the reader's own decoder can run over it); only the reader makes one, after
/// checking every escape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Escaped<'a>(&'a str);

impl<'a> Escaped<'a> {
    /// The text as sent between its quotes, escapes included.
    pub fn source(self) -> &'a str {
        &self.0[..self.0.len() - 1]
    }

    /// The decoded text.
    pub fn unescape(self) -> String {
        let mut s = Scanner::<false> {
            text: self.0,
            b: self.0.as_bytes(),
            pos: 0,
        };
        s.skip_plain();
        // The reader checked every escape: decoding cannot fail.
        s.string_rest(0).map(Cow::into_owned).unwrap_or_default()
    }
}

/// Why a body could not be read as one JSON object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Empty or white space only.
    Empty,
    /// Over [`MAX_BODY_BYTES`].
    TooLarge(usize),
    /// Not JSON: what was wrong, and where.
    NotJson(NotJson),
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

/// Why and where a text is not JSON, rendered only when shown (a refused body is common:
/// building its message while validating cost ~1,100 instructions a body, callgrind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotJson {
    /// Not UTF-8 from this byte on.
    Utf8 {
        /// The offset of the first byte that is not UTF-8.
        at: usize,
    },
    /// The JSON grammar broken.
    Syntax {
        /// What was expected or found.
        what: &'static str,
        /// The line, from 1.
        line: usize,
        /// The column (bytes from the line's start), from 1.
        column: usize,
    },
}

impl fmt::Display for NotJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotJson::Utf8 { at } => write!(f, "invalid UTF-8 at byte {at}"),
            NotJson::Syntax { what, line, column } => {
                write!(f, "{what} at line {line} column {column}")
            }
        }
    }
}

/// A body read against `N` known field names.
#[derive(Debug)]
pub struct Body<'a, const N: usize> {
    /// One slot per known name, in the order of the list.
    pub fields: [Option<Raw<'a>>; N],
    /// Keys that are not in the list, in body order.
    pub unknown: Vec<Cow<'a, str>>,
}

impl<'a, const N: usize> Body<'a, N> {
    /// No field, no unknown key: what the reader fills.
    pub fn new() -> Self {
        Body {
            fields: std::array::from_fn(|_| None),
            unknown: Vec::new(),
        }
    }

    /// What [`read_object_text`] reads from a text [`read_plain`] read (a test holds the two
    /// to that): its strings, no other key.
    pub fn from_plain(plain: [Option<Plain<'a>>; N]) -> Self {
        let raw = |p: Option<Plain<'a>>| match p? {
            Plain::Text(s) => Some(Raw::Str(Cow::Borrowed(s))),
            Plain::Quoted(e) => Some(Raw::Escaped(e)),
        };
        Body {
            fields: plain.map(raw),
            unknown: Vec::new(),
        }
    }

    /// The value of known field `i`.
    pub fn get(&self, i: usize) -> Option<&Raw<'a>> {
        self.fields.get(i).and_then(Option::as_ref)
    }
}

impl<const N: usize> Default for Body<'_, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads `bytes` as one JSON object whose fields are looked up in `known`.
pub fn read_object<'a, const N: usize>(
    bytes: &'a [u8],
    known: &[&str; N],
) -> Result<Body<'a, N>, BodyError> {
    let mut body = Body::new();
    read_object_into(bytes, known, &mut body).map(|()| body)
}

/// [`read_object`] into the caller's `body`, which must be empty ([`Body::new`]): a body of
/// voice's sixteen slots is half a kilobyte, and returning it through a `Result` and the
/// frames above cost three copies of it a request (callgrind).
pub(crate) fn read_object_into<'a, const N: usize>(
    bytes: &'a [u8],
    known: &[&str; N],
    body: &mut Body<'a, N>,
) -> Result<(), BodyError> {
    read_object_text_into(body_text(bytes)?, known, body)
}

/// A body's bytes as text: at most [`MAX_BODY_BYTES`] of UTF-8.
pub fn body_text(bytes: &[u8]) -> Result<&str, BodyError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge(bytes.len()));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        BodyError::NotJson(NotJson::Utf8 {
            at: e.valid_up_to(),
        })
    })
}

/// [`read_object`] of text already known to be UTF-8 (additionalInfo's inner object); a
/// leading byte-order mark is skipped here.
pub fn read_object_text<'a, const N: usize>(
    text: &'a str,
    known: &[&str; N],
) -> Result<Body<'a, N>, BodyError> {
    let mut body = Body::new();
    read_object_text_into(text, known, &mut body).map(|()| body)
}

/// [`read_object_text`] into the caller's `body` (empty), as [`read_object_into`].
fn read_object_text_into<'a, const N: usize>(
    text: &'a str,
    known: &[&str; N],
    body: &mut Body<'a, N>,
) -> Result<(), BodyError> {
    if text.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge(text.len()));
    }
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let bytes = text.as_bytes();
    let mut s = Scanner::<false> {
        text,
        b: bytes,
        pos: 0,
    };
    s.ws();
    if s.pos == s.b.len() {
        return Err(BodyError::Empty);
    }
    if s.peek() != Some(b'{') {
        // Say what it is when it is well-formed JSON, else where it breaks.
        let kind = s.skip_value().map_err(|e| s.not_json(e))?;
        s.end().map_err(|e| s.not_json(e))?;
        return Err(BodyError::NotObject(kind));
    }
    s.object(known, body, false)?;
    s.end().map_err(|e| s.not_json(e))
}

/// [`read_object_text`] of an object this reader has already read as a value in a body
/// ([`Raw::Object`]: one well-formed object, from its brace to its brace). Its known fields and
/// keys are read as there; the values of the other keys are stepped over without being checked
/// again (brackets counted, strings stepped over). Only for text the reader took as such a
/// value: on anything else it may read what is not JSON. (callgrind: the deeply nested
/// fixture, 088, was read twice at ~100 instructions a level, 7.6 % of the corpus's
/// instructions; 56,281 -> 46,334 a body.)
pub fn read_object_checked<'a, const N: usize>(
    object: &'a str,
    known: &[&str; N],
) -> Result<Body<'a, N>, BodyError> {
    debug_assert!(object.starts_with('{') && object.ends_with('}'));
    let mut s = Scanner::<false> {
        text: object,
        b: object.as_bytes(),
        pos: 0,
    };
    let mut body = Body::new();
    s.object(known, &mut body, true)?;
    Ok(body)
}

/// Reads the JSON object inside an escaped string (a JSON object encoded in a string, as
/// notify's additionalInfo) without decoding the string first: its quotes are `\"` and its
/// strings are borrowed from the body. Only for the common form, where every escape of the
/// outer string is such a quote; `None` for any other escape, a nested object or array as a
/// known field's value, or anything [`read_object_text`] of the decoded text would refuse, so
/// that the caller reads the decoded text then (and reports what is wrong). Where it answers,
/// it reads what [`read_object_text`] reads from the decoded text (a test holds it to that).
///
/// Where it answers, every backslash of the string was the first of a `\"`.
pub fn read_object_escaped<'a, const N: usize>(
    escaped: Escaped<'a>,
    known: &[&str; N],
) -> Option<Body<'a, N>> {
    let text = escaped.source();
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut s = Scanner::<true> {
        text,
        b: text.as_bytes(),
        pos: 0,
    };
    s.ws();
    if s.peek() != Some(b'{') {
        return None;
    }
    let mut body = Body::new();
    s.object(known, &mut body, false).ok()?;
    s.end().ok()?;
    let nested = |v: &Option<Raw<'_>>| matches!(v, Some(Raw::Object(_) | Raw::Array(_)));
    if body.fields.iter().any(nested) {
        return None;
    }
    Some(body)
}

/// A string value as the express reader takes it ([`read_plain`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plain<'a> {
    /// Printable ASCII without escapes.
    Text(&'a str),
    /// Printable ASCII whose every escape is `\"` (a JSON object encoded in a string).
    Quoted(Escaped<'a>),
}

/// The express reader, for bodies in their plainest form: `text` as one JSON object whose keys
/// are `known` names, each at most once and without escapes, and whose values are all strings
/// of printable ASCII ([`Plain`]). `None` for anything else — another value, another escape, a
/// byte outside printable ASCII in a string, an unknown or repeated key, a byte-order mark,
/// text that is not JSON — and the caller then reads the body with [`read_object_text`], which
/// says what is wrong. Where it answers, [`read_object_text`] reads the same strings (a test holds
/// it to that).
pub fn read_plain<'a, const N: usize>(
    text: &'a str,
    known: &[&str; N],
) -> Option<[Option<Plain<'a>>; N]> {
    Scanner::<false> {
        text,
        b: text.as_bytes(),
        pos: 0,
    }
    .plain_object::<N, 0>(known, None)
    .map(|(fields, _)| fields)
}

/// [`read_plain`], reading in the same pass the object encoded in the string value of one
/// field, `known[nested.0]`, as `read_plain_escaped` (the tests' reference) with `nested.1`
/// would read it from that value (a JSON object whose every escape is `\"`): its fields come second, without the
/// string being read twice (callgrind: the contract's example 2,861 -> 2,384 instructions).
/// Where it answers, the first part is what [`read_plain`] answers and the second what
/// `read_plain_escaped` answers for that field's [`Plain::Quoted`] value, `None` when the
/// field is absent or not such a value (a test holds it to both).
pub fn read_plain_nested<'a, const N: usize, const M: usize>(
    text: &'a str,
    known: &[&str; N],
    nested: (usize, &[&str; M]),
) -> Option<PlainNested<'a, N, M>> {
    Scanner::<false> {
        text,
        b: text.as_bytes(),
        pos: 0,
    }
    .plain_object(known, Some(nested))
}

/// What [`read_plain_nested`] reads: the fields, and the fields of the object in one of them.
pub type PlainNested<'a, const N: usize, const M: usize> =
    ([Option<Plain<'a>>; N], Option<[Option<&'a str>; M]>);

/// [`read_plain`] of the object inside an escaped string whose every escape is `\"`
/// ([`Plain::Quoted`]; its own strings have none). Where it answers, [`read_object_escaped`]
/// reads the same strings (a test holds it to that). The tests' reference for
/// [`read_plain_nested`], which reads such an object as it passes it: nothing else calls it.
#[cfg(test)]
fn read_plain_escaped<'a, const N: usize>(
    escaped: Escaped<'a>,
    known: &[&str; N],
) -> Option<[Option<&'a str>; N]> {
    let text = escaped.source();
    let (fields, _) = Scanner::<true> {
        text,
        b: text.as_bytes(),
        pos: 0,
    }
    .plain_object::<N, 0>(known, None)?;
    Some(fields.map(escaped_text))
}

/// A string [`Scanner::<true>`] read in [`Scanner::plain_fields`] (it has no `\"` of its own:
/// never [`Plain::Quoted`]).
fn escaped_text(p: Option<Plain<'_>>) -> Option<&str> {
    match p {
        Some(Plain::Text(s)) => Some(s),
        _ => None,
    }
}

/// The reader. `ESC`: reading the text of a JSON string as sent, whose own strings are quoted
/// with `\"` ([`read_object_escaped`]); any other escape is an error there.
struct Scanner<'a, const ESC: bool> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
}

type Scan<T> = Result<T, &'static str>;

impl<'a, const ESC: bool> Scanner<'a, ESC> {
    /// Whether a string's quote is next: `"`, or `\"` when `ESC`.
    #[inline]
    fn at_quote(&self) -> bool {
        if ESC {
            self.b.get(self.pos..self.pos + 2) == Some(b"\\\"")
        } else {
            self.peek() == Some(b'"')
        }
    }

    /// Whether the key whose opening quote was just read is `name` (which has no quote,
    /// backslash or control character); if so, moves past its closing quote.
    #[inline]
    fn key_is(&mut self, name: &str) -> bool {
        let n = name.as_bytes();
        let end = self.pos + n.len();
        let closed = if ESC {
            self.b.get(end..end + 2) == Some(b"\\\"")
        } else {
            self.b.get(end) == Some(&b'"')
        };
        if closed && self.b.get(self.pos..end).is_some_and(|k| swar::same(k, n)) {
            self.pos = end + if ESC { 2 } else { 1 };
            return true;
        }
        false
    }

    /// The slot of the key whose opening quote was just read when it is one of `known` from
    /// `next` on (the fields a body sends in the contract's order, optional ones left out),
    /// compared in place ([`Self::key_is`]: a name of another length is ruled out by where
    /// its closing quote would be); past its closing quote. `None`, nothing moved, else.
    /// (callgrind: a key after a left-out field was read and looked up, ~100 instructions;
    /// most valid bodies leave one out.)
    #[inline]
    fn key_after<const N: usize>(&mut self, known: &[&str; N], next: usize) -> Option<usize> {
        let mut i = next;
        while let Some(k) = known.get(i) {
            if self.key_is(k) {
                return Some(i);
            }
            i += 1;
        }
        None
    }

    /// Moves past the opening quote of a key.
    fn eat_quote(&mut self) -> Scan<()> {
        self.ws();
        if self.at_quote() {
            self.pos += if ESC { 2 } else { 1 };
            Ok(())
        } else {
            Err("expected a key in double quotes")
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// White space. When `ESC`, only the space: the text is inside a JSON string, where a raw
    /// tab, line feed or carriage return is not JSON (the reader refuses them before an
    /// [`Escaped`] is made; [`Scanner::nested_object`] reads the body's own text).
    fn ws(&mut self) {
        while let Some(c @ (b' ' | b'\t' | b'\n' | b'\r')) = self.peek() {
            if ESC && c != b' ' {
                return;
            }
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8, what: &'static str) -> Scan<()> {
        self.ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(what)
        }
    }

    fn end(&mut self) -> Scan<()> {
        self.ws();
        if self.pos == self.b.len() {
            Ok(())
        } else {
            Err("trailing characters after the JSON value")
        }
    }

    /// "expected ... at line L column C", like serde_json's messages.
    fn not_json(&self, what: &'static str) -> BodyError {
        let before = &self.b[..self.pos.min(self.b.len())];
        let line = before.iter().filter(|c| **c == b'\n').count() + 1;
        let col = before.iter().rev().take_while(|c| **c != b'\n').count() + 1;
        BodyError::NotJson(NotJson::Syntax {
            what,
            line,
            column: col,
        })
    }

    /// The object at `{` into `body` (empty). `checked`: the text is known to be well-formed
    /// ([`read_object_checked`]), so the other keys' values are stepped over unchecked.
    fn object<const N: usize>(
        &mut self,
        known: &[&str; N],
        body: &mut Body<'a, N>,
        checked: bool,
    ) -> Result<(), BodyError> {
        let mut next = 0;
        self.pos += 1; // '{'
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.eat_quote().map_err(|e| self.not_json(e))?;
            // Most bodies send the fields in the contract's order: the names after the last
            // one matched are compared with the body first ([`Self::key_after`]); else the key
            // is read, and length and first byte rule out most names before comparing bytes.
            let slot = match self.key_after(known, next) {
                Some(i) => Ok(i),
                None => {
                    let key = self.string().map_err(|e| self.not_json(e))?;
                    let kb = key.as_bytes();
                    let is = |k: &&str| {
                        k.len() == kb.len()
                            && k.as_bytes().first() == kb.first()
                            && k.as_bytes() == kb
                    };
                    known.iter().position(is).ok_or(key)
                }
            };
            self.eat(b':', "expected ':'")
                .map_err(|e| self.not_json(e))?;
            match slot {
                Ok(i) => {
                    next = i + 1;
                    let value = self.known_value().map_err(|e| self.not_json(e))?;
                    if body.fields[i].is_some() {
                        return Err(BodyError::DuplicateKey(known[i].to_owned()));
                    }
                    body.fields[i] = Some(value);
                }
                Err(key) => {
                    self.ws();
                    if checked {
                        self.skip_checked();
                    } else {
                        self.skip_value().map_err(|e| self.not_json(e))?;
                    }
                    if body.unknown.contains(&key) {
                        return Err(BodyError::DuplicateKey(key.into_owned()));
                    }
                    body.unknown.push(key);
                }
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.not_json("expected ',' or '}'")),
            }
            self.ws();
        }
    }

    /// The value of a known field: as [`Self::value`], but a string with escapes is checked
    /// and left undecoded ([`Raw::Escaped`]).
    fn known_value(&mut self) -> Scan<Raw<'a>> {
        self.ws();
        if !ESC && self.peek() == Some(b'"') {
            self.pos += 1;
            return match self.plain_string() {
                Ok(s) => Ok(Raw::Str(Cow::Borrowed(s))),
                Err(start) => self.escaped_rest(start),
            };
        }
        self.value()
    }

    /// A string from `start` whose plain run stopped short of its closing quote, checked and
    /// not decoded.
    #[cold]
    #[inline(never)]
    fn escaped_rest(&mut self, start: usize) -> Scan<Raw<'a>> {
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Raw::Escaped(Escaped(&self.text[start..self.pos])));
                }
                // `\"` is by far the most common escape (a JSON object in a string).
                Some(b'\\') if self.b.get(self.pos + 1) == Some(&b'"') => self.pos += 2,
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(None)?;
                }
                Some(_) => return Err("control character in a string"),
                None => return Err("unterminated string"),
            }
            self.skip_plain();
        }
    }

    /// A value whose content validation may read.
    fn value(&mut self) -> Scan<Raw<'a>> {
        self.ws();
        let start = self.pos;
        if ESC && self.at_quote() {
            self.pos += 2;
            return self.string().map(Raw::Str);
        }
        match self.peek() {
            Some(b'"') if !ESC => {
                self.pos += 1;
                self.string().map(Raw::Str)
            }
            Some(b'{') => {
                self.skip_value()?;
                Ok(Raw::Object(&self.text[start..self.pos]))
            }
            Some(b'[') => {
                self.skip_value()?;
                Ok(Raw::Array(&self.text[start..self.pos]))
            }
            Some(b't') => self.literal(b"true").map(|()| Raw::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|()| Raw::Bool(false)),
            Some(b'n') => self.literal(b"null").map(|()| Raw::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Raw::Number),
            Some(_) => Err("expected a value"),
            None => Err("unexpected end of input"),
        }
    }

    fn literal(&mut self, lit: &[u8]) -> Scan<()> {
        if self.b[self.pos..].starts_with(lit) {
            self.pos += lit.len();
            Ok(())
        } else {
            Err("expected a value")
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number per RFC 8259: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Scan<&'a str> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err("invalid number"),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err("invalid number");
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err("invalid number");
            }
        }
        Ok(&self.text[start..self.pos])
    }

    /// The rest of a string after its opening quote.
    // Small enough to inline: the escape path is apart (callgrind: the prologue and epilogue of
    // one large function were a sixth of the reader's cost).
    #[inline]
    fn string(&mut self) -> Scan<Cow<'a, str>> {
        if ESC {
            let start = self.pos;
            self.skip_plain();
            // The string's own escapes would be escaped twice here: left to the decoded text.
            if !self.at_quote() {
                return Err("an escape inside a string of an escaped object");
            }
            let s = &self.text[start..self.pos];
            self.pos += 2;
            return Ok(Cow::Borrowed(s));
        }
        match self.plain_string() {
            Ok(s) => Ok(Cow::Borrowed(s)),
            Err(start) => self.string_rest(start),
        }
    }

    /// Past the rest of a string after its opening quote, checked as [`Self::string`] checks
    /// it, its text not taken (a key or a string inside a skipped value): callgrind counted
    /// ~80 instructions a key through [`Self::string`], most of a deeply nested value's cost.
    #[inline(always)]
    fn skip_string(&mut self) -> Scan<()> {
        let start = self.pos;
        self.skip_plain();
        if ESC {
            if !self.at_quote() {
                return Err("an escape inside a string of an escaped object");
            }
            self.pos += 2;
            return Ok(());
        }
        if self.peek() == Some(b'"') {
            self.pos += 1;
            return Ok(());
        }
        self.escaped_rest(start).map(drop)
    }

    /// The rest of a string after its opening quote when it has no escape: the text, past its
    /// closing quote; else `Err` with where it started, the scan stopped at what ended the
    /// plain run.
    #[inline(always)]
    fn plain_string(&mut self) -> Result<&'a str, usize> {
        let start = self.pos;
        self.skip_plain();
        if self.peek() == Some(b'"') {
            let s = &self.text[start..self.pos];
            self.pos += 1;
            return Ok(s);
        }
        Err(start)
    }

    /// A string from `start` whose plain run stopped short of its closing quote: at an escape,
    /// a control character or the end of the input.
    #[cold]
    #[inline(never)]
    fn string_rest(&mut self, start: usize) -> Scan<Cow<'a, str>> {
        match self.peek() {
            Some(b'\\') => {}
            Some(_) => return Err("control character in a string"),
            None => return Err("unterminated string"),
        }
        // Escapes: build the decoded text, which is never longer than the rest of the body
        // (sized once: growing it byte by byte cost more than decoding; capped at additionalInfo's
        // 4 KiB, the longest string the contract allows).
        let mut out = String::with_capacity((self.b.len() - start).min(4096));
        out.push_str(&self.text[start..self.pos]);
        loop {
            let run = self.pos;
            self.skip_plain();
            out.push_str(&self.text[run..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(Some(&mut out))?;
                }
                Some(_) => return Err("control character in a string"),
                None => return Err("unterminated string"),
            }
        }
    }

    /// One escape, after its backslash: checked, and decoded into `out` if given.
    fn escape(&mut self, out: Option<&mut String>) -> Scan<()> {
        let c = self.peek().ok_or("unterminated string")?;
        self.pos += 1;
        let decoded = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape()?,
            _ => return Err("invalid escape"),
        };
        if let Some(out) = out {
            out.push(decoded);
        }
        Ok(())
    }

    /// Moves past string bytes that need no attention (anything but `"`, `\\` and control
    /// characters), eight at a time where it can; a special byte inside a word of eight is
    /// found from the word's bit mask, not by rescanning.
    #[inline]
    fn skip_plain(&mut self) {
        self.skip::<false>();
    }

    /// [`Self::skip_plain`]; with `PRINTABLE`, DEL and every byte above ASCII stop it too.
    #[inline(always)]
    fn skip<const PRINTABLE: bool>(&mut self) {
        let stop = |c: u8| c == b'"' || c == b'\\' || c < 0x20 || (PRINTABLE && c >= 0x7f);
        while let Some(chunk) = self.b.get(self.pos..self.pos + 8) {
            let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            let mut special =
                swar::bytes_eq(w, b'"') | swar::bytes_eq(w, b'\\') | swar::bytes_below(w, 0x20);
            if PRINTABLE {
                special |= swar::bytes_eq(w, 0x7f) | (w & swar::HIGH);
            }
            if special != 0 {
                self.pos += swar::first(special);
                return;
            }
            self.pos += 8;
        }
        while let Some(c) = self.peek() {
            if stop(c) {
                break;
            }
            self.pos += 1;
        }
    }

    /// [`read_plain`]'s object, from its opening brace to the end of the text; with `nested`,
    /// [`read_plain_nested`]'s.
    #[inline(always)]
    fn plain_object<const N: usize, const M: usize>(
        &mut self,
        known: &[&str; N],
        nested: Option<(usize, &[&str; M])>,
    ) -> Option<PlainNested<'a, N, M>> {
        let read = self.plain_fields(known, nested)?;
        self.end().ok()?;
        Some(read)
    }

    /// [`Self::plain_object`] up to its closing brace, past it.
    #[inline(always)]
    fn plain_fields<const N: usize, const M: usize>(
        &mut self,
        known: &[&str; N],
        nested: Option<(usize, &[&str; M])>,
    ) -> Option<PlainNested<'a, N, M>> {
        let mut fields = [None; N];
        let mut inner = None;
        let mut next = 0;
        self.eat(b'{', "").ok()?;
        loop {
            self.eat_quote().ok()?;
            let slot = match known.get(next) {
                Some(k) if self.key_is(k) => next,
                _ => {
                    let key = self.string().ok()?;
                    known.iter().position(|k| *k == key)?
                }
            };
            self.eat(b':', "").ok()?;
            self.eat_quote().ok()?;
            let read_nested = match nested {
                Some((at, names)) if !ESC && at == slot => self.nested_object(names),
                _ => None,
            };
            let value = match read_nested {
                Some((value, object)) => {
                    inner = Some(object);
                    value
                }
                None => self.printable_string()?,
            };
            match fields.get_mut(slot) {
                Some(f @ None) => *f = Some(value),
                _ => return None,
            }
            next = slot + 1;
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Some((fields, inner));
                }
                _ => return None,
            }
        }
    }

    /// After a string's opening quote: the object encoded in the string, read in place with
    /// the escaped reader, and the string as [`Plain::Quoted`], past its closing quote;
    /// `None`, nothing moved, for any other string. The escaped reader stops at any
    /// byte a JSON string cannot hold raw, at any escape but `\"` and at a bare `"`, so what
    /// it reads up to the closing quote is the string [`Self::printable_string`] would read.
    fn nested_object<const M: usize>(
        &mut self,
        names: &[&str; M],
    ) -> Option<(Plain<'a>, [Option<&'a str>; M])> {
        let start = self.pos;
        let mut inner = Scanner::<true> {
            text: self.text,
            b: self.b,
            pos: start,
        };
        let (fields, _) = inner.plain_fields::<M, 0>(names, None)?;
        inner.ws();
        if inner.peek() != Some(b'"') {
            return None;
        }
        self.pos = inner.pos + 1;
        let string = Plain::Quoted(Escaped(&self.text[start..self.pos]));
        Some((string, fields.map(escaped_text)))
    }

    /// The rest of a string of printable ASCII after its opening quote, past its closing
    /// quote, for [`read_plain`]; `None` at any other escape than `\"` or byte. When `ESC`, a
    /// `\"` closes it and it has no escapes.
    #[inline(always)]
    fn printable_string(&mut self) -> Option<Plain<'a>> {
        let start = self.pos;
        let mut quoted = false;
        loop {
            self.skip::<true>();
            let closing = self.b.get(self.pos + 1) == Some(&b'"');
            match self.peek()? {
                b'\\' if ESC && closing => {
                    self.pos += 2;
                    return Some(Plain::Text(&self.text[start..self.pos - 2]));
                }
                b'"' if !ESC => {
                    self.pos += 1;
                    return Some(if quoted {
                        Plain::Quoted(Escaped(&self.text[start..self.pos]))
                    } else {
                        Plain::Text(&self.text[start..self.pos - 1])
                    });
                }
                b'\\' if !ESC && closing => {
                    quoted = true;
                    self.pos += 2;
                }
                _ => return None,
            }
        }
    }

    fn hex4(&mut self) -> Scan<u32> {
        let h = self
            .b
            .get(self.pos..self.pos + 4)
            .ok_or("invalid unicode escape")?;
        let s = std::str::from_utf8(h).map_err(|_| "invalid unicode escape")?;
        let n = u32::from_str_radix(s, 16).map_err(|_| "invalid unicode escape")?;
        if !h.iter().all(u8::is_ascii_hexdigit) {
            return Err("invalid unicode escape");
        }
        self.pos += 4;
        Ok(n)
    }

    /// After `\u`: one code point, joining a surrogate pair; lone surrogates are refused.
    fn unicode_escape(&mut self) -> Scan<char> {
        let hi = self.hex4()?;
        let cp = match hi {
            0xD800..=0xDBFF => {
                if !self.b[self.pos..].starts_with(b"\\u") {
                    return Err("lone surrogate in a unicode escape");
                }
                self.pos += 2;
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return Err("lone surrogate in a unicode escape");
                }
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err("lone surrogate in a unicode escape"),
            cp => cp,
        };
        char::from_u32(cp).ok_or("invalid unicode escape")
    }

    /// Checks one value and moves past it, without recursion. Returns its JSON type.
    ///
    /// The open containers are bits ([`Open`]); strings are checked and not decoded
    /// (callgrind, the deeply nested fixture: a `Vec<bool>` pushed and popped at each level,
    /// and scalars read through [`Self::value`], were a third of its cost).
    fn skip_value(&mut self) -> Scan<&'static str> {
        let mut open = Open::default();
        let mut kind = None;
        loop {
            // At the start of a value.
            self.ws();
            let t = match self.peek() {
                Some(b'{') => {
                    self.pos += 1;
                    self.ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        "an object"
                    } else {
                        open.push(true);
                        self.eat_quote()?;
                        self.skip_string()?;
                        self.eat(b':', "expected ':'")?;
                        kind.get_or_insert("an object");
                        continue;
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        "an array"
                    } else {
                        open.push(false);
                        kind.get_or_insert("an array");
                        continue;
                    }
                }
                _ => self.skip_scalar()?,
            };
            kind.get_or_insert(t);
            // After a value: close containers or go on to the next element.
            loop {
                let Some(in_object) = open.last() else {
                    return Ok(kind.unwrap_or(t));
                };
                self.ws();
                match (self.peek(), in_object) {
                    (Some(b','), true) => {
                        self.pos += 1;
                        self.eat_quote()?;
                        self.skip_string()?;
                        self.eat(b':', "expected ':'")?;
                        break;
                    }
                    (Some(b','), false) => {
                        self.pos += 1;
                        break;
                    }
                    (Some(b'}'), true) | (Some(b']'), false) => {
                        self.pos += 1;
                        open.pop();
                    }
                    (None, _) => return Err("unexpected end of input"),
                    (_, true) => return Err("expected ',' or '}'"),
                    (_, false) => return Err("expected ',' or ']'"),
                }
            }
        }
    }

    /// Moves past one value of text known to be well-formed JSON ([`read_object_checked`]),
    /// at its first byte: brackets counted, strings stepped over to their closing quote,
    /// nothing checked. On such text it ends where [`Self::skip_value`] ends (a property test
    /// holds the two to each other).
    fn skip_checked(&mut self) {
        // A byte at a time: the strings of such values are mostly short keys, where the
        // eight-byte steps of [`Self::skip_plain`] cost more than they save (callgrind).
        let b = self.b;
        let mut pos = self.pos;
        let mut depth = 0usize;
        while let Some(&c) = b.get(pos) {
            pos += 1;
            match c {
                b'"' => {
                    while let Some(&c) = b.get(pos) {
                        pos += 1;
                        match c {
                            b'"' => break,
                            b'\\' => pos += 1,
                            _ => {}
                        }
                    }
                    if depth == 0 {
                        break;
                    }
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                // What ends a number or a literal at the top: the enclosing object's.
                b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => {
                    pos -= 1;
                    break;
                }
                _ => {}
            }
        }
        self.pos = pos;
    }

    /// Checks a value that is not a container and moves past it, as [`Self::value`] reads it
    /// (a string checked, not decoded). Returns its JSON type.
    fn skip_scalar(&mut self) -> Scan<&'static str> {
        if self.at_quote() {
            self.pos += if ESC { 2 } else { 1 };
            return self.skip_string().map(|()| "a string");
        }
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|()| "a boolean"),
            Some(b'f') => self.literal(b"false").map(|()| "a boolean"),
            Some(b'n') => self.literal(b"null").map(|()| "null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(|_| "a number"),
            Some(_) => Err("expected a value"),
            None => Err("unexpected end of input"),
        }
    }
}

/// The containers open around a skipped value, one bit each (set for an object): the
/// innermost 64 in a word, those further out in words of 64 on the heap (a body nests at most
/// 64 KiB deep).
#[derive(Default)]
struct Open {
    /// The innermost levels, the innermost the lowest bit.
    bits: u64,
    /// How many levels `bits` holds: 0 only when no container is open.
    depth: u32,
    /// Full words of the levels further out, the outermost first.
    outer: Vec<u64>,
}

impl Open {
    fn push(&mut self, object: bool) {
        if self.depth == 64 {
            self.outer.push(self.bits);
            self.depth = 0;
        }
        self.bits = self.bits << 1 | u64::from(object);
        self.depth += 1;
    }

    /// Whether the innermost open container is an object; `None` when none is open.
    fn last(&self) -> Option<bool> {
        (self.depth != 0).then_some(self.bits & 1 == 1)
    }

    fn pop(&mut self) {
        self.bits >>= 1;
        self.depth -= 1;
        if self.depth == 0 {
            if let Some(word) = self.outer.pop() {
                self.bits = word;
                self.depth = 64;
            }
        }
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

    const KNOWN: &[&str; 2] = &["a", "b"];

    #[test]
    fn reads_known_and_unknown_fields() {
        let body = read_object(br#" {"a":"x","z":[1,{"q":[]}],"b":null} "#, KNOWN).expect("object");
        assert_eq!(body.get(0), Some(&Raw::Str(Cow::Borrowed("x"))));
        assert_eq!(body.get(1), Some(&Raw::Null));
        assert_eq!(body.unknown, vec![Cow::Borrowed("z")]);
    }

    #[test]
    fn reads_every_kind_of_value() {
        let cases: &[(&str, Raw<'_>)] = &[
            (
                r#"{"a":"x\"\\\/\n\u00e9\ud83d\ude00"}"#,
                Raw::Escaped(Escaped(r#"x\"\\\/\n\u00e9\ud83d\ude00""#)),
            ),
            (r#"{"a":-12.5e+3}"#, Raw::Number("-12.5e+3")),
            (r#"{"a":0}"#, Raw::Number("0")),
            (r#"{"a":true}"#, Raw::Bool(true)),
            (r#"{"a":false}"#, Raw::Bool(false)),
            (r#"{"a":[1, "x"]}"#, Raw::Array("[1, \"x\"]")),
            (
                r#"{"a":{"k": {"l": 1}}}"#,
                Raw::Object("{\"k\": {\"l\": 1}}"),
            ),
        ];
        for (input, want) in cases {
            let body = read_object(input.as_bytes(), KNOWN).expect(input);
            assert_eq!(body.get(0), Some(want), "{input}");
        }
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
        let bad: &[&[u8]] = &[
            b"{",
            b"{}x",
            b"{\"a\":\"\xff\"}",
            b"{'a':1}",
            b"{\"a\":01}",
            b"{\"a\":1.}",
            b"{\"a\":-}",
            b"{\"a\":tru}",
            b"{\"a\":\"\\x\"}",
            b"{\"a\":\"\\ud800\"}",
            b"{\"a\":\"\x01\"}",
            b"{\"a\":1,}",
            b"{\"z\":[1,]}",
            b"{\"z\":[1 2]}",
            b"{\"z\":{\"k\" 1}}",
            b"{\"z\":{\"k\":1,}}",
            b"[1,",
            b"hello",
        ];
        for input in bad {
            assert!(
                matches!(read_object(input, KNOWN), Err(BodyError::NotJson(_))),
                "{input:?}"
            );
        }
    }

    #[test]
    fn says_where_the_json_breaks() {
        let err = read_object(b"{\n  \"a\": tru\n}", KNOWN).err();
        assert_eq!(
            err,
            Some(BodyError::NotJson(NotJson::Syntax {
                what: "expected a value",
                line: 2,
                column: 8
            }))
        );
        let shown = err.map(|e| e.to_string());
        assert_eq!(
            shown.as_deref(),
            Some("the body is not valid JSON: expected a value at line 2 column 8")
        );
        let bad = read_object(b"{\"a\":\"\xff\"}", KNOWN)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            bad.as_deref(),
            Some("the body is not valid JSON: invalid UTF-8 at byte 6")
        );
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

    /// Containers mixed at many depths: well closed they are read; one closer of the wrong
    /// kind at any depth is refused.
    #[test]
    fn nesting_is_checked_at_every_depth() {
        for depth in [1, 63, 64, 65, 66, 130] {
            let opens: Vec<&str> = (0..depth)
                .map(|i| if i % 3 == 0 { "[" } else { "{\"k\":" })
                .collect();
            let closer = |o: &str| if o == "[" { "]" } else { "}" };
            let body = |wrong: Option<usize>| {
                let closes: String = (0..depth)
                    .rev()
                    .map(|i| match (wrong == Some(i), closer(opens[i])) {
                        (true, "]") => "}",
                        (true, _) => "]",
                        (false, c) => c,
                    })
                    .collect();
                format!("{{\"z\":{}1{closes}}}", opens.concat())
            };
            assert!(read_object(body(None).as_bytes(), KNOWN).is_ok(), "{depth}");
            for wrong in [0, depth / 2, depth.saturating_sub(64), depth - 1] {
                assert!(
                    matches!(
                        read_object(body(Some(wrong)).as_bytes(), KNOWN),
                        Err(BodyError::NotJson(_))
                    ),
                    "{depth} {wrong}"
                );
            }
        }
    }

    #[test]
    fn deep_nesting_never_overflows_the_stack() {
        let arrays =
            |key: &str| format!("{{\"{key}\":{}{}}}", "[".repeat(30_000), "]".repeat(30_000));
        assert!(read_object(arrays("a").as_bytes(), KNOWN).is_ok());
        assert!(read_object(arrays("z").as_bytes(), KNOWN).is_ok());
        let objects = format!(
            "{{\"a\":{}1{}}}",
            "{\"a\":".repeat(10_000),
            "}".repeat(10_000)
        );
        assert!(read_object(objects.as_bytes(), KNOWN).is_ok());
        let unclosed = format!("{{\"a\":{}", "[".repeat(30_000));
        assert!(matches!(
            read_object(unclosed.as_bytes(), KNOWN),
            Err(BodyError::NotJson(_))
        ));
    }

    #[test]
    fn agrees_with_serde_json_on_what_is_json() {
        let samples = [
            r#"{"a":[{"b":[1,2,{"c":null}]},"x"],"b":{"d":[]}}"#,
            r#"{"a":1e5,"b":-0.0}"#,
            r#"{"a" : "\u0041" , "b" : [ ] }"#,
            r#"{"a":[1,2,]}"#,
            r#"{"a":[1,2]]}"#,
            r#"{"a":{"b":1}}}"#,
            r#"{"a":"\uDC00"}"#,
        ];
        for s in samples {
            let ours = read_object(s.as_bytes(), KNOWN).is_ok();
            let theirs = serde_json::from_str::<serde_json::Value>(s).is_ok();
            assert_eq!(ours, theirs, "{s}");
        }
    }

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text_on_a_char_boundary() {
        assert_eq!(clip("abc"), "abc");
        let long = "é".repeat(100);
        assert_eq!(clip(&long).chars().count(), 65);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// An object of `fields` as serde_json writes it, compact or pretty (white space and line
    /// feeds between its tokens).
    fn object_json(fields: Vec<(&str, serde_json::Value)>, pretty: bool) -> String {
        let object: serde_json::Map<String, serde_json::Value> =
            fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let object = serde_json::Value::Object(object);
        if pretty {
            serde_json::to_string_pretty(&object)
        } else {
            serde_json::to_string(&object)
        }
        .expect("serializes")
    }

    /// Any JSON value: scalars of every kind (strings with escapes, control characters and
    /// non-ASCII; integers and fractions), nested up to a few levels in arrays and objects.
    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            "[ -~é]{0,6}".prop_map(serde_json::Value::from),
            "[\"\\\\/\n\u{1}é]{0,3}".prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            (-1e6f64..1e6).prop_map(serde_json::Value::from),
            any::<bool>().prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::btree_map("[a-c\"]{0,2}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// A value under an unknown key is skipped as JSON at any depth (its open containers
        /// spill every 64 levels): nested objects and arrays around a scalar of any kind, read
        /// when every container is closed by its own bracket, refused when one is not or the
        /// last is left open; where serde_json reads that deep (its limit is 128 levels), it agrees.
        #[test]
        fn skips_nested_values_at_any_depth(
            objects in prop::collection::vec(proptest::bool::ANY, 0..300),
            scalar in prop::sample::select(vec!["1", "-0.5e3", "true", "null", "\"x\"", "\"\\n\\u00e9\"", "[]", "{}"]),
            wrong in proptest::option::of(0usize..300),
            unclosed in proptest::bool::ANY,
        ) {
            let wrong = wrong.filter(|w| *w < objects.len());
            let opens: String = objects.iter().map(|o| if *o { "{\"k\":" } else { "[" }).collect();
            let mut closes: String = objects
                .iter()
                .enumerate()
                .rev()
                .map(|(i, o)| if *o != (wrong == Some(i)) { '}' } else { ']' })
                .collect();
            let unclosed = unclosed && !objects.is_empty();
            if unclosed {
                closes.pop();
            }
            let body = format!("{{\"z\":{opens}{scalar}{closes}}}");
            let valid = wrong.is_none() && !unclosed;
            let ours = read_object(body.as_bytes(), &["a"]);
            prop_assert_eq!(ours.is_ok(), valid, "{}", body);
            if objects.len() < 120 {
                let theirs = serde_json::from_str::<serde_json::Value>(&body).is_ok();
                prop_assert_eq!(ours.is_ok(), theirs, "{}", body);
            }
        }

        /// An object the reader read as a value is read again without checking the other keys'
        /// values ([`read_object_checked`]) exactly as the checking reader reads it: any JSON
        /// under the other keys (nested containers, strings with every kind of escape, numbers
        /// and literals last before a brace), compact and with white space.
        #[test]
        fn reads_a_checked_object_as_the_checking_reader_does(
            fields in prop::collection::vec((
                prop::sample::select(vec!["a", "b", "c", "é", "a\"b"]),
                any_json(),
            ), 0..5),
            pretty in any::<bool>(),
        ) {
            let inner = object_json(fields, pretty);
            let outer = format!("{{\"z\": {inner} }}");
            let read = read_object(outer.as_bytes(), &["z"]).expect("valid JSON");
            let Some(Raw::Object(o)) = read.get(0) else {
                panic!("an object: {outer}");
            };
            prop_assert_eq!(*o, inner.as_str());
            let checked = read_object_checked(o, &["a", "b"]).expect("reads");
            let checking = read_object_text(o, &["a", "b"]).expect("reads");
            prop_assert_eq!(checked.fields, checking.fields);
            prop_assert_eq!(checked.unknown, checking.unknown);
        }

        /// Any string serde_json writes, we read back exactly (escapes, control characters,
        /// non-ASCII, every length around the 8-byte scanning steps).
        #[test]
        fn reads_back_any_string(s in "\\PC{0,40}|[\\x00-\\x7f]{0,40}|.{0,3}\"\\\\.{0,20}") {
            let body = format!("{{\"a\":{}}}", serde_json::to_string(&s).expect("serializes"));
            let read = read_object(body.as_bytes(), &["a"]).expect("valid JSON");
            let text = match read.get(0) {
                Some(Raw::Str(t)) => t.to_string(),
                Some(Raw::Escaped(e)) => e.unescape(),
                other => panic!("{other:?}"),
            };
            prop_assert_eq!(text, s);
        }

        /// Where the object inside an escaped string is read in place, it is what reading its
        /// decoded text gives: the same values, the same other keys, the same text. Objects of
        /// known and other keys, strings with and without escapes of their own, every kind of
        /// value, compact and with white space (which the outer string escapes as `\n`).
        #[test]
        fn reads_an_escaped_object_as_its_decoded_text(
            fields in prop::collection::vec((
                prop::sample::select(vec!["a", "b", "c", "ab", "é"]),
                prop_oneof![
                    "[ -~é]{0,6}".prop_map(serde_json::Value::from),
                    "[\"\\\\/\n\u{1}é]{0,3}".prop_map(serde_json::Value::from),
                    any::<i32>().prop_map(serde_json::Value::from),
                    any::<bool>().prop_map(serde_json::Value::from),
                    Just(serde_json::Value::Null),
                    Just(serde_json::json!({"k": ["x", 1]})),
                    Just(serde_json::json!([])),
                ],
            ), 0..5),
            pretty in any::<bool>(),
            bom in any::<bool>(),
        ) {
            let mut inner = object_json(fields, pretty);
            if bom {
                inner.insert(0, '\u{FEFF}');
            }
            let outer = format!("{{\"a\":{}}}", serde_json::to_string(&inner).expect("serializes"));
            let read = read_object(outer.as_bytes(), &["a"]).expect("valid JSON");
            let Some(Raw::Escaped(e)) = read.get(0) else {
                // Without quotes (an empty object) the string has no escapes.
                prop_assert!(!inner.contains('"'));
                return Ok(());
            };
            prop_assert_eq!(&e.unescape(), &inner);
            let decoded = read_object_text(&inner, &["a", "b"]);
            // Where either answers, the string's only escapes are `\"`: dropping its
            // backslashes decodes it (how a payload's additionalInfo is read later).
            let quotes_escaped = crate::payload::InfoText::quotes_escaped(e.source());
            if let Some(plain) = read_plain_escaped(*e, &["a", "b"]) {
                prop_assert_eq!(&quotes_escaped.text(), &inner);
                let decoded = decoded.as_ref().expect("the decoded text reads too");
                prop_assert!(decoded.unknown.is_empty());
                for (p, raw) in plain.iter().zip(&decoded.fields) {
                    let raw = raw.as_ref().map(|r| match r {
                        Raw::Str(s) => Some(s.as_ref()),
                        _ => None,
                    });
                    prop_assert_eq!(p.map(Some), raw, "{}", inner);
                }
            }
            match read_object_escaped(*e, &["a", "b"]) {
                Some(in_place) => {
                    prop_assert_eq!(&quotes_escaped.text(), &inner);
                    let decoded = decoded.expect("the decoded text reads too");
                    prop_assert_eq!(&in_place.fields, &decoded.fields);
                    prop_assert_eq!(&in_place.unknown, &decoded.unknown);
                }
                None => {
                    // Only the other escapes, or an object or array as a known value, send it
                    // to the decoded text.
                    let nested = |v: &Option<Raw<'_>>| matches!(v, Some(Raw::Object(_) | Raw::Array(_)));
                    let other_escape = e.source().replace("\\\"", "").contains('\\');
                    let known_nested = decoded.as_ref().is_ok_and(|d| d.fields.iter().any(nested));
                    prop_assert!(other_escape || known_nested || decoded.is_err(), "{}", inner);
                }
            }
        }
    }
}

/// A JSON object of these keys and values (JSON text), compact or with a space around every
/// token, for the tests of the express reader and lane.
#[cfg(test)]
pub(crate) fn object_text(fields: &[(&str, String)], spaced: bool) -> String {
    let sep = if spaced { " " } else { "" };
    let inner: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{sep}\"{k}\"{sep}:{sep}{v}{sep}"))
        .collect();
    format!("{sep}{{{}}}{sep}", inner.join(","))
}

#[cfg(test)]
mod plain {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Where the express reader answers, the general reader reads the same object: every
        /// known key's string, no other key. Objects of known, other and repeated keys, with
        /// values of every kind and strings of every form near printable ASCII, compact and
        /// spaced.
        #[test]
        fn reads_what_the_general_reader_reads(
            fields in prop::collection::vec((
                prop::sample::select(vec!["a", "b", "c", "ab", "é", "a\\u0062"]),
                prop_oneof![
                    "[ -~]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
                    "[a\"\\\\\u{7f}\u{1}é]{0,4}".prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
                    Just(r#""{\"x\":\"y\"}""#.to_owned()),
                    Just(r#""\u0041""#.to_owned()),
                    Just("1".to_owned()),
                    Just("null".to_owned()),
                    Just("{}".to_owned()),
                ],
            ), 0..5),
            spaced in any::<bool>(),
        ) {
            let text = object_text(&fields, spaced);
            let Some(plain) = read_plain(&text, &["a", "b"]) else {
                return Ok(());
            };
            let body = read_object_text(&text, &["a", "b"]).expect("the general reader reads it");
            prop_assert!(body.unknown.is_empty(), "{}", text);
            prop_assert_eq!(&Body::from_plain(plain).fields, &body.fields, "{}", text);
            for p in plain {
                if let Some(Plain::Text(s) | Plain::Quoted(Escaped(s))) = p {
                    prop_assert!(s.bytes().all(|b| (b' '..=b'~').contains(&b)), "{}", s);
                }
            }
        }

        /// The object in one field's string, read in the same pass, is what
        /// [`read_plain_escaped`] reads from that field's value, and the fields are what
        /// [`read_plain`] reads. Objects in strings JSON-encoded or with only their quotes
        /// escaped (raw tabs and line feeds left in: not JSON), with white space of every
        /// kind, other values, escapes and text after the object.
        #[test]
        fn reads_the_nested_object_as_the_escaped_reader_does(
            fields in prop::collection::vec((
                prop::sample::select(vec!["a", "b", "b", "c"]),
                prop_oneof![
                    1 => "[ -~]{0,8}".prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
                    4 => (
                        prop::collection::vec((
                            prop::sample::select(vec!["x", "y", "x", "y", "z", "x\\u0079"]),
                            prop_oneof![
                                4 => prop::sample::select(vec!["\"1\"", "\"v w\"", "\"\""]),
                                1 => prop::sample::select(vec!["2", "\"é\"", "\"a\\\"b\"", "null", "\"\\n\""]),
                            ],
                        ), 0..3),
                        prop::sample::select(vec!["", " ", "\n", "\t"]),
                        prop::sample::select(vec!["", "", " ", "x", "}"]),
                        any::<bool>(),
                    )
                        .prop_map(|(inner, sep, after, json)| {
                            let pairs: Vec<String> = inner
                                .iter()
                                .map(|(k, v)| format!("\"{k}\"{sep}:{sep}{v}"))
                                .collect();
                            let object = format!("{{{sep}{}{sep}}}{after}", pairs.join(&format!(",{sep}")));
                            if json {
                                serde_json::to_string(&object).unwrap_or_default()
                            } else {
                                format!("\"{}\"", object.replace('"', "\\\""))
                            }
                        }),
                ],
            ), 0..3),
            spaced in any::<bool>(),
        ) {
            let text = object_text(&fields, spaced);
            let nested = read_plain_nested(&text, &["a", "b"], (1, &["x", "y"]));
            prop_assert_eq!(nested.map(|(f, _)| f), read_plain(&text, &["a", "b"]), "{}", text);
            if let Some((f, inner)) = nested {
                let escaped = match f[1] {
                    Some(Plain::Quoted(e)) => read_plain_escaped(e, &["x", "y"]),
                    _ => None,
                };
                prop_assert_eq!(inner, escaped, "{}", text);
            }
        }
    }

    /// The contract's example: additionalInfo's object read as the body is read, its strings
    /// borrowed from the body; and a raw line feed between its tokens is not taken.
    #[test]
    fn the_contract_example_is_read_in_one_pass() {
        let text = r#"{"responseState":"532","additionalInfo":"{\"responseCode\":\"403\", \"responseDesc\":\"There was an error\"}"}"#;
        let names = &["responseState", "additionalInfo"];
        let (fields, inner) =
            read_plain_nested(text, names, (1, &["responseCode", "responseDesc"])).expect("plain");
        assert_eq!(inner, Some([Some("403"), Some("There was an error")]));
        assert_eq!(fields[0], Some(Plain::Text("532")));
        assert!(matches!(fields[1], Some(Plain::Quoted(_))));
        let raw = text.replace(", ", ",\n");
        assert_eq!(
            read_plain_nested(&raw, names, (1, &["responseCode", "responseDesc"])),
            None
        );
        assert_eq!(read_plain(&raw, names), None);
    }
}

#[cfg(test)]
mod escaped {
    use super::*;

    /// The contract's example: read in place, its strings borrowed from the body.
    #[test]
    fn the_contract_example_is_read_in_the_body() {
        let body = br#"{"additionalInfo": "{\"responseCode\":\"403\",\"responseDesc\":\"There was an error\"}"}"#;
        let read = read_object(body, &["additionalInfo"]).expect("valid JSON");
        let Some(Raw::Escaped(e)) = read.get(0) else {
            panic!("{:?}", read.get(0));
        };
        let object = read_object_escaped(*e, &["responseCode", "responseDesc"]).expect("in place");
        assert_eq!(
            crate::payload::InfoText::quotes_escaped(e.source()).text(),
            r#"{"responseCode":"403","responseDesc":"There was an error"}"#
        );
        assert_eq!(object.get(0), Some(&Raw::Str(Cow::Borrowed("403"))));
        assert_eq!(
            object.get(1),
            Some(&Raw::Str(Cow::Borrowed("There was an error")))
        );
    }

    /// Other escapes, a nested known value or a broken object are left to the decoded text.
    #[test]
    fn other_forms_are_left_to_the_decoded_text() {
        for inner in [
            r#"{"a":"x\ny"}"#,
            r#"{"a":{"b":1}}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":1"#,
            r#"["x"]"#,
            "{\n\"a\":1}",
        ] {
            let outer = format!(
                "{{\"s\":{}}}",
                serde_json::to_string(inner).expect("serializes")
            );
            let read = read_object(outer.as_bytes(), &["s"]).expect("valid JSON");
            let Some(Raw::Escaped(e)) = read.get(0) else {
                panic!("{inner}: {:?}", read.get(0));
            };
            assert!(read_object_escaped(*e, &["a"]).is_none(), "{inner}");
        }
    }
}
