//! txstate-core: the rules of the campaign platform's transaction-state APIs, shared by the
//! server, the wasm package and the UI so that all three give one verdict.
//!
//! Pure: no I/O, no async, no clock, no randomness. The caller passes the time (`now`) and the
//! deployment catalog in. The contract is `shared/spec/API.md`; every interpretation of it is
//! in `docs/decisions.md`.
//!
//! - [`codes`]: the one table of response codes and HTTP statuses.
//! - [`verdict`]: the [`Verdict`] every validation returns; [`message`]: what its findings say.
//! - [`notify`], [`voice`]: validation of the two APIs' request bodies.
//! - `rules`: deployment rules 1102–1105 against a [`Catalog`].
//! - [`catalog`]: the platform model (actions, deployments).
//! - [`report`]: the Action Deployment Response Summary and the alert rule.
//! - [`voice_stats`]: the voice dashboard figures.
//! - [`lists`]: enumerated values with their meanings; [`time`]: the date-time formats;
//!   [`ids`]: the platform's id shape; [`json`]: the body reader; [`names`]: near-miss names.
//! - [`fixture`]: the shared fixtures' format, for every runner.
//! - [`admin`]: the admin API's shapes (request log, API users, dashboard rows).
//! - [`stateful`]: what a valid report does given what is stored (new, repeat, replace, stale).

pub mod admin;
pub mod catalog;
mod check;
pub mod codes;
pub mod csv;
pub mod fixture;
pub mod ids;
pub mod json;
pub mod lists;
pub mod message;
pub mod names;
pub mod notify;
pub mod report;
mod rules;
pub mod stateful;
pub mod time;
pub mod verdict;
pub mod voice;
pub mod voice_stats;

pub use catalog::{
    Action, Catalog, Channel, Deployment, DeploymentStatus, DeploymentType, ResponseDef,
    ResponseType,
};
pub use codes::{Api, Code, CodeInfo, StatusProfile};
pub use message::Message;
pub use notify::{validate_notify, NotifyPayload, ResponseState};
pub use verdict::{Description, FieldError, Normalized, Verdict, Warning};
pub use voice::{validate_voice, VoicePayload};

/// What validation takes besides the body.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'c> {
    /// Actions and deployments for the deployment rules; without it those rules are skipped
    /// and the verdict carries a warning saying so.
    pub catalog: Option<&'c Catalog>,
    /// The caller's clock, epoch milliseconds, for the "responseTime in the future" warning.
    pub now_ms: Option<i64>,
    /// How codes map to HTTP statuses.
    pub profile: StatusProfile,
}

/// Validates a request body of `api`.
pub fn validate<'a>(api: Api, body: &'a [u8], opts: &Options<'_>) -> Verdict<'a> {
    match api {
        Api::Notify => validate_notify(body, opts),
        Api::Voice => validate_voice(body, opts),
    }
}
