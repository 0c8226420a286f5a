//! The field tables of both APIs (contract: the API 1 and API 2 field tables, and the limits of
//! "Decisions"): one row per field, indexed by an enum, in the contract's order. The validators
//! read names, needs and limits here; the UI's form its controls and help; the JSON Schemas of
//! `schemas/` are generated from it (`schema.rs`). Nothing else spells a field's name or limit.

use crate::codes::Api;
use crate::lists;
use crate::names::Known;

/// Ids (refTransId, deploymentId, transaction-id) are at most this many characters
/// (contract: "ids at most 128 characters").
pub const ID_MAX_CHARS: usize = 128;

/// Whether a field must be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Always.
    Mandatory,
    /// When call-source is 3 (trombone); optional otherwise.
    WhenTrombone,
    /// Never.
    Optional,
}

/// The date-time formats the APIs take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeFormat {
    /// notify's responseTime: `yyyy-MM-dd HH:mm:ss` (UTC), or RFC 3339 converted to UTC.
    Seconds,
    /// voice's times: `yyyy-MM-dd HH:mm:ss.SSS` (milliseconds may be left out, with a warning).
    Millis,
}

impl TimeFormat {
    /// The documented format, as people read it.
    pub const fn pattern(self) -> &'static str {
        match self {
            TimeFormat::Seconds => "yyyy-MM-dd HH:mm:ss",
            TimeFormat::Millis => "yyyy-MM-dd HH:mm:ss.SSS",
        }
    }
}

/// What a field holds, with its limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An id: a string of at most [`ID_MAX_CHARS`] characters without control characters.
    Id,
    /// One value of a list (value, meaning); a JSON number is taken as its text.
    List(&'static [(&'static str, &'static str)]),
    /// One value of a list in any casing, stored in the list's casing.
    ListAnyCase(&'static [(&'static str, &'static str)]),
    /// A date-time.
    Time(TimeFormat),
    /// Free text of at most this many characters; a JSON number is taken as its text.
    Text(usize),
    /// DTMF digits (0-9, *, #, A-D), at most this many.
    Digits(usize),
    /// A whole number from 0 to 2^32 - 1, as a JSON number or its digits.
    Whole,
    /// A JSON object encoded in a string, at most this many bytes (an object is taken as its
    /// text).
    JsonObject(usize),
}

/// One row of a field table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// The JSON name, exactly as the contract spells it.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Whether it must be sent.
    pub need: Need,
    /// What it means, for people (the UI's help, the JSON Schema's description).
    pub help: &'static str,
}

const fn row(name: &'static str, kind: Kind, need: Need, help: &'static str) -> Field {
    Field {
        name,
        kind,
        need,
        help,
    }
}

/// Defines a field table: the enum, its rows in contract order, and the names the body reader
/// slots values by.
macro_rules! table {
    ($(#[$doc:meta])* $name:ident[$n:literal] { $($(#[$vdoc:meta])* $variant:ident => $row:expr,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every field, in the contract's order.
            pub const ALL: [$name; $n] = [$($name::$variant,)*];

            /// The rows, in the contract's order.
            pub const ROWS: [Field; $n] = [$($row,)*];

            /// The names, in the contract's order (the body reader's slots).
            pub const NAMES: [&'static str; $n] = {
                let mut names = [""; $n];
                let mut i = 0;
                while i < $n {
                    names[i] = $name::ROWS[i].name;
                    i += 1;
                }
                names
            };

            /// The names folded for near-miss suggestions, once, at compile time.
            pub const KNOWN: [Known; $n] = {
                let mut known = [Known::new(""); $n];
                let mut i = 0;
                while i < $n {
                    known[i] = Known::new($name::ROWS[i].name);
                    i += 1;
                }
                known
            };

            /// The field's row.
            pub const fn spec(self) -> Field {
                $name::ROWS[self as usize]
            }

            /// The JSON name.
            pub const fn name(self) -> &'static str {
                self.spec().name
            }

            /// Its slot in a body read against [`Self::NAMES`].
            pub const fn slot(self) -> usize {
                self as usize
            }
        }
    };
}

use Need::{Mandatory, Optional, WhenTrombone};

table! {
    /// API 1's request fields.
    NotifyField[5] {
        /// `responseState`
        ResponseState => row("responseState", Kind::List(lists::RESPONSE_STATES), Mandatory, "531 success, 532 failure"),
        /// `refTransId`
        RefTransId => row("refTransId", Kind::Id, Mandatory, "Id of the transaction the platform triggered"),
        /// `deploymentId`
        DeploymentId => row("deploymentId", Kind::Id, Mandatory, "The deployment the transaction belongs to"),
        /// `responseTime`
        ResponseTime => row("responseTime", Kind::Time(TimeFormat::Seconds), Optional, "When the response was captured (UTC)"),
        /// `additionalInfo`
        AdditionalInfo => row("additionalInfo", Kind::JsonObject(4096), Optional, "responseCode and responseDesc, as a JSON object encoded in a string"),
    }
}

table! {
    /// The keys inside notify's additionalInfo that the platform reads.
    InfoField[2] {
        /// `responseCode`
        ResponseCode => row("responseCode", Kind::Text(4096), Optional, "The partner's code for the outcome, matched against the action's lists"),
        /// `responseDesc`
        ResponseDesc => row("responseDesc", Kind::Text(4096), Optional, "The partner's description of the outcome"),
    }
}

impl InfoField {
    /// The key's name in findings: `additionalInfo.responseCode`.
    pub const fn path(self) -> &'static str {
        match self {
            InfoField::ResponseCode => "additionalInfo.responseCode",
            InfoField::ResponseDesc => "additionalInfo.responseDesc",
        }
    }
}

const TEXT: usize = 1024;
const SHORT: usize = 64;

table! {
    /// API 2's request fields.
    VoiceField[16] {
        /// `transaction-id`
        TransactionId => row("transaction-id", Kind::Id, Mandatory, "The transaction this call belongs to"),
        /// `call-starttime`
        CallStartTime => row("call-starttime", Kind::Time(TimeFormat::Millis), Mandatory, "Call start"),
        /// `call-endtime`
        CallEndTime => row("call-endtime", Kind::Time(TimeFormat::Millis), Mandatory, "Call end"),
        /// `call-source`
        CallSource => row("call-source", Kind::List(lists::CALL_SOURCES), Mandatory, "Who started the call"),
        /// `trombone-starttime`
        TromboneStartTime => row("trombone-starttime", Kind::Time(TimeFormat::Millis), WhenTrombone, "Trombone start: required when call-source is 3"),
        /// `trombone-endtime`
        TromboneEndTime => row("trombone-endtime", Kind::Time(TimeFormat::Millis), WhenTrombone, "Trombone end: required when call-source is 3"),
        /// `dtmf-digits`
        DtmfDigits => row("dtmf-digits", Kind::Digits(SHORT), Optional, "Digits pressed: 0-9 * # A-D"),
        /// `voice-tag`
        VoiceTag => row("voice-tag", Kind::Text(TEXT), Optional, "A voice tag"),
        /// `call-state`
        CallState => row("call-state", Kind::List(lists::CALL_STATES), Mandatory, "How far the call got"),
        /// `drop-code`
        DropCode => row("drop-code", Kind::List(lists::DROP_CODES), Mandatory, "Why the call ended"),
        /// `drop-reason`
        DropReason => row("drop-reason", Kind::Text(TEXT), Optional, "Why the call dropped"),
        /// `message`
        Message => row("message", Kind::Text(TEXT), Optional, "A message"),
        /// `voice-recorded`
        VoiceRecorded => row("voice-recorded", Kind::ListAnyCase(lists::VOICE_RECORDED), Optional, "Whether the callee left a voice mail"),
        /// `times-attempted`
        TimesAttempted => row("times-attempted", Kind::Whole, Optional, "How many times the call was tried"),
        /// `a-party`
        AParty => row("a-party", Kind::Text(SHORT), Optional, "A-party number"),
        /// `b-party`
        BParty => row("b-party", Kind::Text(SHORT), Optional, "B-party number"),
    }
}

/// The rows of an API's table, in the contract's order.
pub fn table(api: Api) -> &'static [Field] {
    match api {
        Api::Notify => &NotifyField::ROWS,
        Api::Voice => &VoiceField::ROWS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_slots_follow_the_table() {
        for api in [Api::Notify, Api::Voice] {
            let t = table(api);
            let mut names: Vec<&str> = t.iter().map(|f| f.name).collect();
            // Near-miss names fold known names as ASCII (`Known::new` fails the build else).
            assert!(names.iter().all(|n| n.is_ascii()), "{names:?}");
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), t.len(), "{api:?}");
        }
        for f in VoiceField::ALL {
            assert_eq!(VoiceField::NAMES[f.slot()], f.name());
            assert_eq!(VoiceField::KNOWN[f.slot()].name, f.name());
        }
        for f in NotifyField::ALL {
            assert_eq!(NotifyField::NAMES[f.slot()], f.name());
            assert_eq!(NotifyField::KNOWN[f.slot()].name, f.name());
        }
        for k in InfoField::ALL {
            let path = format!("{}.{}", NotifyField::AdditionalInfo.name(), k.name());
            assert_eq!(k.path(), path);
        }
    }
}
