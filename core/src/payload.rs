//! The payloads as stored once validated: what validation hands to the stores, the reports
//! and the UI. The bottom layer of core with the code table and the body reader: it knows
//! nothing of validation.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

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
    pub additional_info: Option<Cow<'a, str>>,
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
            additional_info: self.additional_info.map(own),
        }
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
