//! Storage behind one trait ([`Store`]), one file per backend. The server speaks only to the
//! trait; SQLite (`sqlite.rs`) is the default backend, PostgreSQL (`postgres.rs`) the one that
//! several servers can share.

mod pg_tls;
mod postgres;
mod postgres_ahead;
mod postgres_batch;
mod postgres_impl;
mod postgres_writes;
pub mod shared;
mod sqlite;
mod sqlite_impl;
mod sqlite_sync;
mod sqlite_writes;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use txstate_core::report::OutcomeCount;
use txstate_core::voice_stats::VoiceStats;
use txstate_core::{Action, Catalog, Deployment, NotifyPayload, VoicePayload};

pub use pg_tls::{split_url as split_postgres_url, SslMode};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use txstate_core::admin::{ApiUser, DashboardRow, LogEntry, LogQuery, RateLimit};

/// What storage can fail with: always an internal error for the caller (logged, not sent).
pub type StoreResult<T> = Result<T, String>;

/// A validated notification to record.
#[derive(Clone, Debug)]
pub struct NotifyWrite {
    /// The payload as core normalized it.
    pub payload: NotifyPayload<'static>,
    /// The operation id this request would get.
    pub transaction_id: String,
    /// When it arrived, epoch ms.
    pub at_ms: i64,
}

/// What recording a notification did (contract: "Idempotency").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotifyOutcome {
    /// The first report of this transaction: counted.
    New,
    /// The same outcome again: nothing changed; the first operation's id.
    Repeat(String),
    /// A different outcome replaced the earlier one: the counts moved.
    Replaced,
}

/// A validated voice update to record.
#[derive(Clone, Debug)]
pub struct VoiceWrite {
    /// The payload as core normalized it.
    pub payload: VoicePayload<'static>,
    /// call-endtime, epoch ms (for stale retries).
    pub call_end_ms: i64,
    /// The operation id this request would get.
    pub transaction_id: String,
    /// When it arrived, epoch ms.
    pub at_ms: i64,
}

/// What recording a voice update did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoiceOutcome {
    /// A new call, or a newer update of one: stored.
    Stored,
    /// The identical update again: the first operation's id.
    Repeat(String),
    /// Older than the stored update: nothing changed (1010).
    Stale,
}

/// What changed, for the events stream (dashboards follow it) and for the other servers on
/// the same database (their caches follow it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// What changed.
    pub kind: EventKind,
    /// The deployment concerned, when there is one.
    pub deployment_id: Option<String>,
}

/// What an [`Event`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// A notification moved the counts.
    Notify,
    /// A voice update moved the figures.
    Voice,
    /// Actions or deployments changed.
    Catalog,
    /// API users or their keys changed (not sent to dashboards).
    Keys,
}

impl EventKind {
    /// Its name on the events stream.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Notify => "notify",
            EventKind::Voice => "voice",
            EventKind::Catalog => "catalog",
            EventKind::Keys => "keys",
        }
    }

    /// Whether servers' caches follow it (the catalog, the API keys), rather than only
    /// dashboards: another server must hear it at once.
    pub fn reloads_caches(self) -> bool {
        matches!(self, EventKind::Catalog | EventKind::Keys)
    }
}

/// A request log line on its way to a store: the entry, and its two JSON columns as the text
/// stored. The partner endpoints write that text directly (callgrind: building the headers
/// and the answer as `Value`s, rendering them again for the store and freeing them cost
/// about a tenth of a notification's instructions); the entry's own `headers` and
/// `response` are left `null` and never read.
#[derive(Debug)]
pub struct LogLine {
    /// Everything but the JSON columns.
    pub entry: LogEntry,
    /// The request headers: a JSON object.
    pub headers: String,
    /// The response body: JSON.
    pub response: String,
}

impl LogLine {
    /// A line of `entry` with its JSON columns given as text.
    pub fn new(mut entry: LogEntry, headers: String, response: String) -> Self {
        entry.headers = serde_json::Value::Null;
        entry.response = serde_json::Value::Null;
        LogLine {
            entry,
            headers,
            response,
        }
    }
}

impl From<LogEntry> for LogLine {
    fn from(entry: LogEntry) -> Self {
        // serde_json::to_string writes into a buffer; `Value`'s Display goes through fmt.
        let json = |v: &serde_json::Value| serde_json::to_string(v).unwrap_or_default();
        let (headers, response) = (json(&entry.headers), json(&entry.response));
        LogLine::new(entry, headers, response)
    }
}

/// Whose a bearer is (the API user's key id) and when it expires, epoch ms: `Some` for an
/// access token, `None` for a secret key (never).
pub type Bearer = (String, Option<i64>);

/// An API user with its key hashes: what authentication needs.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The user.
    pub user: ApiUser,
    /// SHA-256 hex of secret key 1 and 2.
    pub key_hashes: [Option<String>; 2],
}

/// One deployment's voice figures (`None`: the unassigned calls).
pub type VoiceRow = (Option<String>, VoiceStats);

/// Everything the server keeps.
pub trait Store: Send + Sync + 'static {
    /// Actions and deployments (the validator's catalog).
    fn catalog(&self) -> BoxFuture<'_, StoreResult<Catalog>>;
    /// Creates or replaces an action.
    fn put_action(&self, action: Action) -> BoxFuture<'_, StoreResult<()>>;
    /// Deletes an action; whether it existed.
    fn delete_action(&self, id: String) -> BoxFuture<'_, StoreResult<bool>>;
    /// Creates or replaces a deployment.
    fn put_deployment(&self, deployment: Deployment, now_ms: i64)
        -> BoxFuture<'_, StoreResult<()>>;
    /// Deletes a deployment; whether it existed.
    fn delete_deployment(&self, id: String) -> BoxFuture<'_, StoreResult<bool>>;

    /// Every API user with its key hashes.
    fn credentials(&self) -> BoxFuture<'_, StoreResult<Vec<Credentials>>>;
    /// Creates or replaces an API user (and its key hashes).
    fn put_api_user(&self, c: Credentials) -> BoxFuture<'_, StoreResult<()>>;
    /// Deletes an API user; whether it existed.
    fn delete_api_user(&self, api_key_id: String) -> BoxFuture<'_, StoreResult<bool>>;
    /// Stores an access token's hash.
    fn put_token(
        &self,
        token_hash: String,
        api_key_id: String,
        expires_at: i64,
    ) -> BoxFuture<'_, StoreResult<()>>;
    /// The API user of a bearer's hash, and when it expires: an access token's, or a secret
    /// key's, so that a key another server has just made works before this server's cache
    /// hears of it.
    fn bearer(&self, hash: String) -> BoxFuture<'_, StoreResult<Option<Bearer>>>;
    /// A setting.
    fn setting(&self, key: String) -> BoxFuture<'_, StoreResult<Option<String>>>;
    /// Stores a setting.
    fn put_setting(&self, key: String, value: String) -> BoxFuture<'_, StoreResult<()>>;

    /// Records a notification (idempotently); answers once durable.
    fn record_notification(&self, w: NotifyWrite) -> BoxFuture<'_, StoreResult<NotifyOutcome>>;
    /// Records a voice update; answers once durable.
    fn record_voice(&self, w: VoiceWrite) -> BoxFuture<'_, StoreResult<VoiceOutcome>>;
    /// Adds a request log line. The write is queued when called; the future only reports it
    /// (and is most often ready at once).
    fn log_request(&self, line: LogLine) -> BoxFuture<'static, StoreResult<()>>;
    /// Registers transaction ids under a deployment; how many were new.
    fn register_transactions(
        &self,
        deployment_id: String,
        ids: Vec<String>,
    ) -> BoxFuture<'_, StoreResult<u64>>;

    /// The dashboard rows, computed from maintained counts.
    fn dashboard(&self, now_ms: i64) -> BoxFuture<'_, StoreResult<Vec<DashboardRow>>>;
    /// The stored outcome counts of a deployment (the report's input).
    fn outcome_counts(
        &self,
        deployment_id: String,
    ) -> BoxFuture<'_, StoreResult<Vec<OutcomeCount>>>;
    /// Voice figures per deployment (`None`: the unassigned calls).
    fn voice_stats(&self) -> BoxFuture<'_, StoreResult<Vec<VoiceRow>>>;
    /// A page of the request log, newest first, and the total matching.
    fn requests(&self, q: LogQuery) -> BoxFuture<'_, StoreResult<(Vec<LogEntry>, u64)>>;
    /// One request of the log.
    fn request(&self, transaction_id: String) -> BoxFuture<'_, StoreResult<Option<LogEntry>>>;
    /// Deletes log entries older than `before_ms`; how many.
    fn purge_requests(&self, before_ms: i64) -> BoxFuture<'_, StoreResult<u64>>;
    /// Admits a request of `user` under `limit`, or says how many seconds to wait (contract:
    /// "Throttling"). SQLite: a window in this process, at `now_us`; PostgreSQL: a window in the
    /// database, on its clock, shared by every server.
    fn admit(
        &self,
        user: String,
        limit: RateLimit,
        now_us: u64,
    ) -> BoxFuture<'_, StoreResult<Result<(), u64>>>;
    /// Forgets a user's throttle history (its limit changed: the new one starts fresh).
    fn reset_throttle(&self, user: String) -> BoxFuture<'_, StoreResult<()>>;
    /// This server's slot, 0–99: operation ids carry it, so servers sharing a database never
    /// hand out the same one.
    fn instance_slot(&self) -> u32;
    /// Tells the other servers on this database of a change (SQLite has none: nothing to do).
    fn publish(&self, event: Event);
    /// The changes the other servers on this database published.
    fn subscribe(&self) -> broadcast::Receiver<Event>;

    /// Records whether a deployment is over its alert threshold; `true` when this call changed
    /// the recorded state (a deployment never seen counts as not alerting). With several
    /// servers on one database exactly one of them gets `true` for a change: that one sends
    /// the alert webhook.
    fn claim_alert(
        &self,
        deployment_id: String,
        alerting: bool,
        at_ms: i64,
    ) -> BoxFuture<'_, StoreResult<bool>>;

    /// Whether the database answers.
    fn ping(&self) -> BoxFuture<'_, StoreResult<()>>;
    /// The database connections as they are now (for `/metrics`).
    fn pool_status(&self) -> crate::metrics::PoolStatus;
    /// Resolves once every write queued before it is committed (admin views call it first, so
    /// they show every request already answered).
    fn flush(&self) -> BoxFuture<'_, StoreResult<()>>;
    /// Stops taking writes, commits what is queued, and returns when it is durable.
    fn close(&self) -> BoxFuture<'_, ()>;
}
