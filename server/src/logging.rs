//! The server's log: `tracing` to stdout, as text (colour only on a terminal, never in files or
//! pipes; `NO_COLOR` turns it off there too) or as one JSON object a line
//! (`TXSTATE_LOG_FORMAT=json`) for log shippers. Lines are gathered in memory and written by a
//! background thread ([`crate::log_writer`]), so a slow stdout never holds up a request.
//!
//! Every request gets one access-log line (target `txstate::access`: method, path, status,
//! in-body code, latency, request id, client), written by [`crate::http`]'s trace layer;
//! `RUST_LOG=info,txstate::access=off` turns them off. No line carries a secret: requests are
//! logged by path (never the query) and headers are not logged.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::log_writer::{batched, Guard};

/// The access log's target.
pub const ACCESS: &str = "txstate::access";

/// Installs the global subscriber; keep the guard until the end of `main`.
pub fn init(format: LogFormat) -> Guard {
    let (writer, guard) = batched(std::io::stdout());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => {
            let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            builder.with_target(false).with_ansi(ansi).init();
        }
        LogFormat::Json => {
            builder
                .json()
                .with_ansi(false)
                .with_current_span(true)
                .with_span_list(false)
                .flatten_event(true)
                .init();
        }
    }
    guard
}
