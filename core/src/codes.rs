//! The one table of response codes (contract: "Status/code pairs" and both APIs' code tables).
//!
//! Every code the product answers with lives here with its HTTP status under both status
//! profiles and its description. [`Code::info`] is the table: one `match`, no catch-all arm,
//! so adding a code forces a decision on every column. `tests/codes.snap` pins it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How validation codes map to HTTP statuses (contract: "Decision: the faithful mapping ... is
/// the default").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum StatusProfile {
    /// The platform's own tables: validation codes travel with HTTP 500.
    #[default]
    Webex,
    /// Plain HTTP semantics: validation codes travel with 400 or 422.
    Http,
}

impl StatusProfile {
    /// Parses `webex` or `http` (the server setting and the wasm option).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "webex" => Some(Self::Webex),
            "http" => Some(Self::Http),
            _ => None,
        }
    }
}

/// Which API a code or a verdict belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// `POST /campaignapi/resources/v3/notifytransactionstate`
    Notify,
    /// `PATCH /campaignapi/resources/v3/voicecampaigntransactions`
    Voice,
}

impl Api {
    /// The name used in fixtures, the wasm API and URLs: `notify` or `voice`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Notify => "notify",
            Self::Voice => "voice",
        }
    }

    /// The endpoint's path.
    pub const fn path(self) -> &'static str {
        match self {
            Self::Notify => "/campaignapi/resources/v3/notifytransactionstate",
            Self::Voice => "/campaignapi/resources/v3/voicecampaigntransactions",
        }
    }

    /// The endpoint's HTTP method.
    pub const fn method(self) -> &'static str {
        match self {
            Self::Notify => "POST",
            Self::Voice => "PATCH",
        }
    }

    /// Parses [`Api::name`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "notify" => Some(Self::Notify),
            "voice" => Some(Self::Voice),
            _ => None,
        }
    }
}

/// Every code of the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// 1100: the response has been notified successfully.
    Notified,
    /// 1101: a mandatory param is missing, null or empty.
    MandatoryMissing,
    /// 1102: no actions are mapped for the given deployment.
    NoActionMapped,
    /// 1103: the mapped action has no action type (sync/async) set.
    ActionTypeMissing,
    /// 1104: only actions of the async type can be used.
    ActionNotAsync,
    /// 1105: only one-time and recurring deployments are allowed.
    DeploymentTypeNotAllowed,
    /// 1108: only 531 and 532 are allowed as responseState.
    ResponseStateNotAllowed,
    /// 1001: invalid input JSON (voice).
    InvalidInputJson,
    /// 1002: a mandatory field is missing (voice).
    MandatoryFieldMissing,
    /// 1010: the request was not processed (voice, stale update).
    NotProcessed,
    /// 430: authorization failed for this token or key.
    AuthorizationFailed,
    /// 498: invalid token, or access token expired.
    InvalidToken,
    /// 405: method not supported.
    MethodNotSupported,
    /// 429: throttle limit reached for the time window.
    TooManyRequests,
    /// 499: request failed; the description says why.
    RequestFailed,
    /// 500: internal server error.
    InternalError,
    /// 404: a path under the APIs' prefix that is neither API (not in the contract's tables:
    /// partners' clients read `code` on every answer, so a wrong path gets one too).
    NoSuchPath,
}

/// One row of the code table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeInfo {
    /// The in-body `code`.
    pub code: u16,
    /// HTTP status under [`StatusProfile::Webex`].
    pub webex_status: u16,
    /// HTTP status under [`StatusProfile::Http`].
    pub http_status: u16,
    /// The description sent in the body.
    pub description: &'static str,
    /// The APIs that can answer with it.
    pub apis: &'static [Api],
    /// Whether the code is a verdict of payload validation (core gives it) rather than of the
    /// transport, authentication or stored state (only the server gives it).
    pub validation: bool,
    /// Its place in its API's check order: when a payload has several problems, the lowest
    /// decides (contract decision). 0 for codes validation never gives.
    #[serde(skip)]
    pub check_order: u8,
}

const BOTH: &[Api] = &[Api::Notify, Api::Voice];
const NOTIFY: &[Api] = &[Api::Notify];
const VOICE: &[Api] = &[Api::Voice];
/// Codes neither API answers (they are about the path, not an API).
const NEITHER: &[Api] = &[];

impl Code {
    /// Every code, in table order.
    pub const ALL: [Code; 17] = [
        Code::Notified,
        Code::MandatoryMissing,
        Code::NoActionMapped,
        Code::ActionTypeMissing,
        Code::ActionNotAsync,
        Code::DeploymentTypeNotAllowed,
        Code::ResponseStateNotAllowed,
        Code::InvalidInputJson,
        Code::MandatoryFieldMissing,
        Code::NotProcessed,
        Code::AuthorizationFailed,
        Code::InvalidToken,
        Code::MethodNotSupported,
        Code::TooManyRequests,
        Code::RequestFailed,
        Code::InternalError,
        Code::NoSuchPath,
    ];

    /// The table. One arm per code, no wildcard.
    #[rustfmt::skip]
    pub const fn info(self) -> CodeInfo {
        const fn row(
            code: u16,
            webex_status: u16,
            http_status: u16,
            description: &'static str,
            apis: &'static [Api],
            validation: bool,
            check_order: u8,
        ) -> CodeInfo {
            CodeInfo { code, webex_status, http_status, description, apis, validation, check_order }
        }
        match self {
            Code::Notified => row(1100, 200, 200, "The response has been notified successfully", NOTIFY, true, 0),
            Code::MandatoryMissing => row(1101, 500, 400, "Mandatory params cannot be null or empty", NOTIFY, true, 1),
            Code::NoActionMapped => row(1102, 500, 422, "No actions are mapped for the given deployment", NOTIFY, true, 4),
            Code::ActionTypeMissing => row(1103, 500, 422, "Action type (sync/async) is not present for the used action", NOTIFY, true, 5),
            Code::ActionNotAsync => row(1104, 500, 422, "Only actions having async types can be used", NOTIFY, true, 6),
            Code::DeploymentTypeNotAllowed => row(1105, 500, 422, "Only onetime and recurring deployments are allowed", NOTIFY, true, 7),
            Code::ResponseStateNotAllowed => row(1108, 500, 422, "Only 531 and 532 response states are allowed", NOTIFY, true, 2),
            Code::InvalidInputJson => row(1001, 500, 400, "Invalid input JSON", VOICE, true, 2),
            Code::MandatoryFieldMissing => row(1002, 500, 400, "Mandatory field missing", VOICE, true, 1),
            Code::NotProcessed => row(1010, 200, 200, "The request was not processed", VOICE, false, 0),
            Code::AuthorizationFailed => row(430, 401, 401, "Authorization failed. This resource is not allowed to access using this TOKEN or KEY", BOTH, false, 0),
            Code::InvalidToken => row(498, 401, 401, "Invalid token or Access token expired", BOTH, false, 0),
            Code::MethodNotSupported => row(405, 405, 405, "Method not supported", BOTH, false, 0),
            Code::TooManyRequests => row(429, 429, 429, "Too many requests. Throttle limit reached for the time window", BOTH, false, 0),
            Code::RequestFailed => row(499, 499, 400, "Request failed", NOTIFY, true, 3),
            Code::InternalError => row(500, 500, 500, "Internal server error", BOTH, false, 0),
            Code::NoSuchPath => row(404, 404, 404, "No such resource: the path is not one of the APIs", NEITHER, false, 0),
        }
    }

    /// The in-body number.
    pub const fn number(self) -> u16 {
        self.info().code
    }

    /// The code for an in-body number, if the contract has it.
    pub fn from_number(n: u16) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.number() == n)
    }

    /// The HTTP status this code travels with under `profile`.
    pub const fn http_status(self, profile: StatusProfile) -> u16 {
        match profile {
            StatusProfile::Webex => self.info().webex_status,
            StatusProfile::Http => self.info().http_status,
        }
    }

    /// Its place in its API's check order (see [`CodeInfo::check_order`]).
    pub const fn check_order(self) -> u8 {
        self.info().check_order
    }

    /// The description sent in the body.
    pub const fn description(self) -> &'static str {
        self.info().description
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(self.number())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u16::deserialize(d)?;
        Code::from_number(n).ok_or_else(|| serde::de::Error::custom(format!("unknown code {n}")))
    }
}

/// Renders the table as text, one code a line: what the snapshot test pins.
pub fn render_table() -> String {
    let mut out = String::from("code | webex | http | apis | validation | order | description\n");
    for c in Code::ALL {
        let i = c.info();
        let apis: Vec<&str> = i.apis.iter().map(|a| a.name()).collect();
        out.push_str(&format!(
            "{} | {} | {} | {} | {} | {} | {}\n",
            i.code,
            i.webex_status,
            i.http_status,
            apis.join(","),
            i.validation,
            i.check_order,
            i.description
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_round_trip() {
        for c in Code::ALL {
            assert_eq!(Code::from_number(c.number()), Some(c));
        }
        let mut numbers: Vec<u16> = Code::ALL.iter().map(|c| c.number()).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), Code::ALL.len());
    }

    #[test]
    fn table_matches_snapshot() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/codes.snap");
        let rendered = render_table();
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(path, &rendered).expect("write snapshot");
        }
        let stored = std::fs::read_to_string(path).expect("tests/codes.snap exists");
        assert_eq!(
            rendered, stored,
            "code table changed: review, then UPDATE_SNAPSHOTS=1"
        );
    }

    #[test]
    fn validation_codes_follow_the_profile() {
        assert_eq!(
            Code::MandatoryMissing.http_status(StatusProfile::Webex),
            500
        );
        assert_eq!(Code::MandatoryMissing.http_status(StatusProfile::Http), 400);
        assert_eq!(
            Code::AuthorizationFailed.http_status(StatusProfile::Http),
            401
        );
    }

    #[test]
    fn code_serializes_as_its_number() {
        assert_eq!(
            serde_json::to_string(&Code::ResponseStateNotAllowed).unwrap_or_default(),
            "1108"
        );
        let c: Code = serde_json::from_str("1002").expect("known code");
        assert_eq!(c, Code::MandatoryFieldMissing);
        assert!(serde_json::from_str::<Code>("1234").is_err());
    }
}
