//! The payloads as stored once validated: what validation hands to the stores, the reports
//! and the UI. The bottom layer of core with the code table and the body reader: it knows
//! nothing of validation.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `531` or `532`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ResponseState {
    /// 531
    #[serde(rename = "531")]
    Success,
    /// 532
    #[serde(rename = "532")]
    Failure,
}

impl ResponseState {
    /// `"531"` or `"532"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseState::Success => "531",
            ResponseState::Failure => "532",
        }
    }

    /// Parses `"531"` or `"532"`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "531" => Some(ResponseState::Success),
            "532" => Some(ResponseState::Failure),
            _ => None,
        }
    }
}

/// A notification as stored once validated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyPayload<'a> {
    /// 531 or 532.
    pub response_state: ResponseState,
    /// The platform's transaction id.
    #[serde(borrow)]
    pub ref_trans_id: Cow<'a, str>,
    /// The deployment.
    #[serde(borrow)]
    pub deployment_id: Cow<'a, str>,
    /// `yyyy-MM-dd HH:mm:ss` (RFC 3339 input converted to UTC), if given.
    #[serde(borrow)]
    pub response_time: Option<Cow<'a, str>>,
    /// additionalInfo.responseCode, as text, if given.
    #[serde(borrow)]
    pub response_code: Option<Cow<'a, str>>,
    /// additionalInfo.responseDesc, if given.
    #[serde(borrow)]
    pub response_desc: Option<Cow<'a, str>>,
    /// additionalInfo as sent (a JSON object's text), if given.
    #[serde(borrow)]
    pub additional_info: Option<InfoText<'a>>,
}

fn own(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

impl NotifyPayload<'_> {
    /// The payload with nothing borrowed from the body.
    pub fn into_owned(self) -> NotifyPayload<'static> {
        NotifyPayload {
            response_state: self.response_state,
            ref_trans_id: own(self.ref_trans_id),
            deployment_id: own(self.deployment_id),
            response_time: self.response_time.map(own),
            response_code: self.response_code.map(own),
            response_desc: self.response_desc.map(own),
            additional_info: self.additional_info.map(InfoText::into_owned),
        }
    }
}

/// additionalInfo's text (a JSON object's text). When the body sent it in the common form,
/// a string whose only escapes are `\"`, validation keeps it where it is in the body and it is
/// decoded when read ([`Self::text`]): a caller that wants only the verdict pays for no copy
/// (callgrind: the copy was ~350 of a typical notify body's ~2,600 instructions).
#[derive(Clone, Debug)]
pub struct InfoText<'a>(Repr<'a>);

#[derive(Clone, Debug)]
enum Repr<'a> {
    /// The text itself.
    Text(Cow<'a, str>),
    /// A JSON string's content as sent, every backslash the first of a `\"`.
    QuotesEscaped(&'a str),
}

impl<'a> InfoText<'a> {
    /// The content of a JSON string as sent whose every backslash starts a `\"` (the reader
    /// checked it); decoded when read.
    pub(crate) fn quotes_escaped(source: &'a str) -> Self {
        InfoText(Repr::QuotesEscaped(source))
    }

    /// The text, decoded if it was not yet.
    pub fn text(&self) -> Cow<'_, str> {
        match &self.0 {
            Repr::Text(t) => Cow::Borrowed(t),
            Repr::QuotesEscaped(s) => Cow::Owned(without_backslashes(s)),
        }
    }

    /// The text, decoded if it was not yet.
    pub fn into_text(self) -> Cow<'a, str> {
        match self.0 {
            Repr::Text(t) => t,
            Repr::QuotesEscaped(s) => Cow::Owned(without_backslashes(s)),
        }
    }

    /// The text decoded and owned.
    pub fn into_owned(self) -> InfoText<'static> {
        InfoText(Repr::Text(own(self.into_text())))
    }
}

/// `s` without its backslashes: a copy filtered in place, then its UTF-8 checked again
/// (removing ASCII bytes cannot break it, so the check always passes: a word-at-a-time pass).
/// Callgrind: copying the runs between backslashes, each with its own `memcpy`, cost about 100
/// instructions more per additionalInfo of the contract's example.
fn without_backslashes(s: &str) -> String {
    let mut b = s.as_bytes().to_vec();
    b.retain(|c| *c != b'\\');
    String::from_utf8(b).unwrap_or_default()
}

impl<'a> From<Cow<'a, str>> for InfoText<'a> {
    fn from(text: Cow<'a, str>) -> Self {
        InfoText(Repr::Text(text))
    }
}

impl<'a> From<&'a str> for InfoText<'a> {
    fn from(text: &'a str) -> Self {
        InfoText(Repr::Text(Cow::Borrowed(text)))
    }
}

impl From<String> for InfoText<'_> {
    fn from(text: String) -> Self {
        InfoText(Repr::Text(Cow::Owned(text)))
    }
}

/// Equal when the texts are, however each is held.
impl PartialEq for InfoText<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

impl Eq for InfoText<'_> {}

impl Serialize for InfoText<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for InfoText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// Borrows the text when the input can lend it (no escapes), as `#[serde(borrow)]` does.
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = InfoText<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(InfoText::from(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(InfoText::from(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(InfoText::from(v))
            }
        }
        d.deserialize_str(Text)
    }
}

/// A voice update as stored once validated: every value as text, times with milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct VoicePayload<'a> {
    /// The call's transaction id.
    #[serde(borrow)]
    pub transaction_id: Cow<'a, str>,
    /// `yyyy-MM-dd HH:mm:ss.SSS`
    #[serde(borrow)]
    pub call_starttime: Cow<'a, str>,
    /// `yyyy-MM-dd HH:mm:ss.SSS`
    #[serde(borrow)]
    pub call_endtime: Cow<'a, str>,
    /// `1`, `2` or `3`.
    #[serde(borrow)]
    pub call_source: Cow<'a, str>,
    /// When call-source is 3 (or sent anyway).
    #[serde(borrow)]
    pub trombone_starttime: Option<Cow<'a, str>>,
    /// When call-source is 3 (or sent anyway).
    #[serde(borrow)]
    pub trombone_endtime: Option<Cow<'a, str>>,
    /// Digits pressed.
    #[serde(borrow)]
    pub dtmf_digits: Option<Cow<'a, str>>,
    /// A voice tag.
    #[serde(borrow)]
    pub voice_tag: Option<Cow<'a, str>>,
    /// `1` to `6`.
    #[serde(borrow)]
    pub call_state: Cow<'a, str>,
    /// One of the drop codes.
    #[serde(borrow)]
    pub drop_code: Cow<'a, str>,
    /// Why the call dropped.
    #[serde(borrow)]
    pub drop_reason: Option<Cow<'a, str>>,
    /// A message.
    #[serde(borrow)]
    pub message: Option<Cow<'a, str>>,
    /// `Yes` or `No`.
    #[serde(borrow)]
    pub voice_recorded: Option<Cow<'a, str>>,
    /// A whole number.
    #[serde(borrow)]
    pub times_attempted: Option<Cow<'a, str>>,
    /// A-party number.
    #[serde(borrow)]
    pub a_party: Option<Cow<'a, str>>,
    /// B-party number.
    #[serde(borrow)]
    pub b_party: Option<Cow<'a, str>>,
}

impl VoicePayload<'_> {
    /// The payload with nothing borrowed from the body.
    pub fn into_owned(self) -> VoicePayload<'static> {
        VoicePayload {
            transaction_id: own(self.transaction_id),
            call_starttime: own(self.call_starttime),
            call_endtime: own(self.call_endtime),
            call_source: own(self.call_source),
            trombone_starttime: self.trombone_starttime.map(own),
            trombone_endtime: self.trombone_endtime.map(own),
            dtmf_digits: self.dtmf_digits.map(own),
            voice_tag: self.voice_tag.map(own),
            call_state: own(self.call_state),
            drop_code: own(self.drop_code),
            drop_reason: self.drop_reason.map(own),
            message: self.message.map(own),
            voice_recorded: self.voice_recorded.map(own),
            times_attempted: self.times_attempted.map(own),
            a_party: self.a_party.map(own),
            b_party: self.b_party.map(own),
        }
    }
}

/// The payload as the server stores it, once validation has passed.
// The voice payload is the larger by far, and one is built per accepted request: boxing it
// would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Normalized<'a> {
    /// A notify payload.
    #[serde(borrow)]
    Notify(NotifyPayload<'a>),
    /// A voice payload.
    #[serde(borrow)]
    Voice(VoicePayload<'a>),
}

impl Normalized<'_> {
    /// The payload with nothing borrowed from the body.
    pub fn into_owned(self) -> Normalized<'static> {
        match self {
            Normalized::Notify(p) => Normalized::Notify(p.into_owned()),
            Normalized::Voice(p) => Normalized::Voice(p.into_owned()),
        }
    }
}
