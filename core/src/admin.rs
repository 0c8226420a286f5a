//! The admin API's shapes (`shared/spec/ADMIN.md`) that the server answers and the UI reads:
//! defined once, here.

use serde::{Deserialize, Serialize};

/// One request of the two endpoints, for the request log.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LogEntry {
    /// The operation id (the log's key).
    pub transaction_id: String,
    /// When, epoch ms.
    pub at_ms: i64,
    /// The API user, when authenticated.
    pub api_key_id: Option<String>,
    /// `notify` or `voice`.
    pub endpoint: String,
    /// The HTTP method.
    pub method: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The in-body code answered, if any.
    pub code: Option<u16>,
    /// Time to answer, microseconds.
    pub latency_us: u64,
    /// The client's address.
    pub client: Option<String>,
    /// The first 8 KiB of the body (lossy UTF-8).
    pub body: String,
    /// Whether the body was longer.
    pub body_truncated: bool,
    /// Request headers, authorization redacted.
    pub headers: serde_json::Value,
    /// The response body.
    pub response: serde_json::Value,
    /// The `x-request-id` the server answered with (the caller's, or one it made).
    #[serde(default)]
    pub request_id: Option<String>,
    /// The request this one replays, when staff replayed a logged request.
    #[serde(default)]
    pub replay_of: Option<String>,
}

/// A page of the request log.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LogQuery {
    /// From this time, epoch ms.
    pub from: Option<i64>,
    /// Before this time, epoch ms.
    pub to: Option<i64>,
    /// `notify` or `voice`.
    pub endpoint: Option<String>,
    /// In-body code.
    pub code: Option<u16>,
    /// HTTP status.
    pub status: Option<u16>,
    /// API user.
    pub api_key_id: Option<String>,
    /// Text to find in the body or the transaction id (refTransId, deploymentId, ...).
    pub q: Option<String>,
    /// The `x-request-id` the server answered with, exactly.
    pub request_id: Option<String>,
    /// Only refused requests (`true`: HTTP status 400 or more) or only answered ones (`false`).
    pub refused: Option<bool>,
    /// Only requests still to fix: refused, not themselves a replay, and with no replay that
    /// passed (what a bulk replay takes).
    pub unresolved: Option<bool>,
    /// The replays of this request.
    pub replay_of: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// An API user as the admin API shows it (never a secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApiUser {
    /// The API Key ID (a UUID).
    pub api_key_id: String,
    /// A name.
    pub name: String,
    /// APIs granted: `notify`, `voice`.
    pub grants: Vec<String>,
    /// The rate limit.
    pub rate_limit: RateLimit,
    /// Disabled users get 430.
    pub enabled: bool,
    /// Which secret keys exist: `[1]`, `[1, 2]`, ...
    pub secret_keys: Vec<u8>,
    /// Created, epoch ms.
    pub created_at: i64,
}

/// Requests per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RateLimit {
    /// Requests allowed...
    pub requests: u32,
    /// ...per this many seconds.
    pub per_seconds: u32,
}

/// A dashboard row (ADMIN.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DashboardRow {
    /// The deployment.
    pub deployment_id: String,
    /// Its name.
    pub name: String,
    /// 531s.
    pub success: u64,
    /// 532s.
    pub failure: u64,
    /// Last notification, epoch ms.
    pub last_notified_at: Option<i64>,
    /// Failures in the last hour, percent.
    pub failure_rate_last_hour: f64,
    /// The action's alert threshold, percent.
    pub alert_threshold_percent: Option<f64>,
    /// Whether the failure rate is above the threshold.
    pub alerting: bool,
    /// Transactions registered and not yet notified.
    pub pending: u64,
    /// Successes and failures per hour, the last 24 hours: `[hour, success, failure]`.
    pub hourly: Vec<(i64, u64, u64)>,
}

/// What the server says about itself (`GET /admin/api/info`): what a client needs to give the
/// server's own verdict locally.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    /// Its version.
    pub version: String,
    /// How it maps codes to HTTP statuses.
    pub status_profile: crate::codes::StatusProfile,
    /// Largest body it reads, bytes.
    pub body_limit: usize,
}

/// A page of the request log (`GET /admin/api/requests`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RequestPage {
    /// Rows matching the filter, all pages.
    pub total: u64,
    /// This page, newest first.
    pub items: Vec<LogEntry>,
}

/// A new API user (`POST /admin/api/api-users`): the user and its first secret key, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiUser {
    /// The user.
    #[serde(flatten)]
    pub user: ApiUser,
    /// Its secret key 1, never shown again.
    pub secret_key1: String,
}

/// A new secret key (`POST .../secret-keys`), shown once: `secretKey1` or `secretKey2` by slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewSecretKey {
    /// The user.
    pub api_key_id: String,
    /// The slot the key took: 1 or 2.
    pub slot: u8,
    /// The key, when it took slot 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key1: Option<String>,
    /// The key, when it took slot 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key2: Option<String>,
}

/// What a bulk replay did (`POST /admin/api/requests/replay`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReplaySummary {
    /// Requests replayed.
    pub replayed: u64,
    /// Replays the server now accepted (HTTP status below 400).
    pub passed: u64,
    /// Replays refused again.
    pub refused: u64,
    /// Matching requests that could not be replayed (no API user, a body kept only in part);
    /// they stay unresolved.
    pub skipped: u64,
    /// Matching requests left for another call (one call replays at most 1,000).
    pub remaining: u64,
    /// The replays' answers by in-body code (`null`: a processed voice update), most first.
    pub by_code: Vec<CodeCount>,
}

/// How many answers had one code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CodeCount {
    /// The in-body code (`null`: none, a processed voice update).
    pub code: Option<u16>,
    /// How many.
    pub count: u64,
}

/// What registering transaction ids did (`POST .../deployments/{id}/transactions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Registered {
    /// Ids in the request.
    pub received: u64,
    /// Ids not registered before.
    pub registered: u64,
}

/// The voice dashboard (`GET /admin/api/voice/dashboard`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct VoiceDashboardView {
    /// All calls.
    pub total: crate::voice_stats::VoiceDashboard,
    /// Calls whose transaction-id no deployment registered.
    pub unassigned: crate::voice_stats::VoiceDashboard,
    /// Each deployment with registered calls.
    pub deployments: Vec<VoiceDeploymentFigures>,
}

/// One deployment's voice figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct VoiceDeploymentFigures {
    /// The deployment.
    pub deployment_id: String,
    /// Its name.
    pub name: String,
    /// Its calls.
    pub figures: crate::voice_stats::VoiceDashboard,
}
