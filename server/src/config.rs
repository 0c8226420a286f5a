//! The server's configuration: one struct, read from flags and `TXSTATE_*` environment
//! variables (`txstate-server --help` lists them all).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use txstate_core::StatusProfile;

/// txstate-server: the transaction-state APIs, their admin API and the UI.
#[derive(Clone, Debug, Parser)]
#[command(name = "txstate-server", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "TXSTATE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Database: a SQLite file path or `sqlite://PATH` (the default), or `postgres://...`.
    #[arg(
        long,
        env = "TXSTATE_DATABASE_URL",
        default_value = "sqlite://txstate.db"
    )]
    pub database_url: String,

    /// The admin API's bearer token. When unset, one is generated on first start, stored as a
    /// hash and printed once.
    #[arg(long, env = "TXSTATE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// How validation codes map to HTTP statuses: `webex` (the platform's: 500) or `http` (400/422).
    #[arg(long, env = "TXSTATE_STATUS_PROFILE", default_value = "webex", value_parser = parse_profile)]
    pub status_profile: StatusProfile,

    /// Largest request body accepted by the two endpoints, in bytes (the contract's limit is 65536).
    #[arg(long, env = "TXSTATE_BODY_LIMIT", default_value_t = 65_536)]
    pub body_limit: usize,

    /// Default rate limit of a new API user: requests per window.
    #[arg(long, env = "TXSTATE_RATE_REQUESTS", default_value_t = 100)]
    pub rate_requests: u32,

    /// Default rate limit of a new API user: the window, in seconds.
    #[arg(long, env = "TXSTATE_RATE_PER_SECONDS", default_value_t = 1)]
    pub rate_per_seconds: u32,

    /// Lifetime of access tokens from the legacy token endpoint, in seconds.
    #[arg(long, env = "TXSTATE_TOKEN_LIFETIME", default_value_t = 3600)]
    pub token_lifetime: u64,

    /// How long the request log keeps requests, in days.
    #[arg(long, env = "TXSTATE_RETENTION_DAYS", default_value_t = 7)]
    pub retention_days: u32,

    /// Load demo actions, deployments, an API user and notifications on start (idempotent).
    #[arg(long, env = "TXSTATE_DEMO", default_value_t = false)]
    pub demo: bool,

    /// PostgreSQL only: connections this server keeps open to the database.
    #[arg(long, env = "TXSTATE_PG_POOL_SIZE", default_value_t = 16)]
    pub pg_pool_size: usize,

    /// SQLite only: most writes committed in one transaction (group commit).
    #[arg(long, env = "TXSTATE_MAX_BATCH", default_value_t = 256)]
    pub max_batch: usize,

    /// Time a client has to send a request body, in milliseconds; a slower one is answered 499
    /// and its connection closed.
    #[arg(long, env = "TXSTATE_BODY_TIMEOUT_MS", default_value_t = 10_000)]
    pub body_timeout_ms: u64,

    /// Web origins allowed to call this server from a browser (CORS), comma-separated, e.g.
    /// `https://portal.example.com`. Empty (the default): none, browsers keep other sites out.
    #[arg(
        long,
        env = "TXSTATE_CORS_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub cors_origins: Vec<String>,

    /// Who may frame the web UI: the CSP `frame-ancestors` sources, space-separated, e.g.
    /// `'self' https://portal.example.com`. `'none'` forbids framing.
    #[arg(long, env = "TXSTATE_FRAME_ANCESTORS", default_value = "'self'")]
    pub frame_ancestors: String,
}

fn parse_profile(s: &str) -> Result<StatusProfile, String> {
    StatusProfile::parse(s)
        .ok_or_else(|| format!("unknown status profile `{s}`: use `webex` or `http`"))
}

impl Config {
    /// Whether `database_url` names a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        let url = self.database_url.as_str();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }

    /// The SQLite file of `database_url`, or `None` for another database.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        if self.is_postgres() {
            return None;
        }
        let url = self.database_url.as_str();
        Some(PathBuf::from(url.strip_prefix("sqlite://").unwrap_or(url)))
    }

    /// A configuration for tests: an ephemeral port and the given database.
    pub fn for_tests(database_url: &str, admin_token: &str) -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_owned(),
            admin_token: Some(admin_token.to_owned()),
            status_profile: StatusProfile::Webex,
            body_limit: 65_536,
            rate_requests: 1_000_000,
            rate_per_seconds: 1,
            token_lifetime: 3600,
            retention_days: 7,
            demo: false,
            max_batch: 256,
            pg_pool_size: 16,
            body_timeout_ms: 10_000,
            cors_origins: Vec::new(),
            frame_ancestors: "'self'".to_owned(),
        }
    }
}
