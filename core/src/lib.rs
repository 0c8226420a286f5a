//! txstate-core: the rules of the campaign platform's transaction-state APIs, shared by the
//! server, the wasm package and the UI so that all three give one verdict.
//!
//! Pure: no I/O, no async, no clock, no randomness. The caller passes the time (`now`) and the
//! deployment catalog in. The contract is `shared/spec/API.md`; every interpretation of it is
//! in `docs/decisions.md`.
//!
//! The modules form a one-way stack (a test below holds them to it): each uses only modules
//! of the layers under it.
//!
//! 0. `swar`: eight bytes at a time, for the readers of layer 1.
//! 1. Vocabulary: [`codes`] (the one code table), [`lists`] (enumerated values and their
//!    meanings), [`time`] (the date-time formats), [`ids`], [`json`] (the body reader),
//!    [`names`] (near-miss names), [`csv`], [`payload`] (the payloads as stored).
//! 2. Tables: [`fields`] (one field table per API), [`catalog`] (the platform model behind
//!    1102–1105), [`stateful`] (what a valid report does given what is stored: new, repeat,
//!    replace, stale).
//! 3. [`message`]: what findings say.
//! 4. [`verdict`]: the [`Verdict`] every validation returns, and [`Options`].
//! 5. Validation: `check` (the checks both APIs share, driven by the field tables), `rules`
//!    (1102–1105 against a [`Catalog`]), [`schema`] (the JSON Schemas, from the field tables).
//! 6. The APIs: [`notify`], [`voice`].
//! 7. Above validation: [`report`] (the response summary and the alert rule), [`fixture`]
//!    (the shared fixtures' format); then [`voice_stats`] (the voice dashboard, 8) and
//!    [`admin`] (the admin API's shapes, 9).

pub mod admin;
pub mod catalog;
mod check;
pub mod codes;
pub mod csv;
pub mod fields;
pub mod fixture;
pub mod ids;
pub mod json;
pub mod lists;
pub mod message;
pub mod names;
pub mod notify;
pub mod payload;
pub mod report;
mod rules;
pub mod schema;
pub mod stateful;
mod swar;
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
pub use notify::validate_notify;
pub use payload::{InfoText, Normalized, NotifyPayload, ResponseState, VoicePayload};
pub use verdict::{Description, FieldError, Options, Verdict, Warning};
pub use voice::validate_voice;

/// Validates a request body of `api`.
pub fn validate<'a>(api: Api, body: &'a [u8], opts: &Options<'_>) -> Verdict<'a> {
    match api {
        Api::Notify => validate_notify(body, opts),
        Api::Voice => validate_voice(body, opts),
    }
}

#[cfg(test)]
mod layers {
    /// Each module's layer (see the crate's documentation).
    const LAYERS: &[(&str, u8)] = &[
        ("swar", 0),
        ("codes", 1),
        ("lists", 1),
        ("time", 1),
        ("ids", 1),
        ("json", 1),
        ("names", 1),
        ("csv", 1),
        ("payload", 1),
        ("fields", 2),
        ("catalog", 2),
        ("stateful", 2),
        ("message", 3),
        ("verdict", 4),
        ("check", 5),
        ("rules", 5),
        ("schema", 5),
        ("notify", 6),
        ("voice", 6),
        ("report", 7),
        ("fixture", 7),
        ("voice_stats", 8),
        ("admin", 9),
    ];

    fn layer(module: &str) -> u8 {
        LAYERS
            .iter()
            .find(|(m, _)| *m == module)
            .map(|(_, l)| *l)
            .unwrap_or_else(|| panic!("module {module} has no layer in LAYERS"))
    }

    /// Every `crate::` path in a module's code (its tests excluded) names a module of a lower
    /// layer, and every file of `src/` has a layer.
    #[test]
    fn modules_use_only_lower_layers() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut problems = Vec::new();
        for entry in std::fs::read_dir(dir).expect("src") {
            let path = entry.expect("entry").path();
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            if name == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let own = layer(name);
            for used in code.split("crate::").skip(1) {
                let used: String = used
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                // `crate::Options` and other re-exports at the root are not allowed either.
                let theirs = LAYERS.iter().find(|(m, _)| *m == used).map(|(_, l)| *l);
                match theirs {
                    Some(l) if l < own => {}
                    _ => problems.push(format!("{name} (layer {own}) uses crate::{used}")),
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
