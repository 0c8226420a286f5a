//! The server's configuration: one struct, read from flags and `TXSTATE_*` environment
//! variables (`txstate-server --help` lists them all).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use ipnet::IpNet;
use txstate_core::StatusProfile;

pub use crate::http::client::ForwardedHeader;

/// txstate-server: the transaction-state APIs, their admin API and the UI.
#[derive(Clone, Debug, Parser)]
#[command(name = "txstate-server", version, about)]
pub struct Config {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,

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

    /// A file holding the database URL (a mounted secret), instead of TXSTATE_DATABASE_URL.
    #[arg(
        long,
        env = "TXSTATE_DATABASE_URL_FILE",
        conflicts_with = "database_url"
    )]
    pub database_url_file: Option<PathBuf>,

    /// PostgreSQL only: a PEM file of the CA certificates that sign the database's TLS
    /// certificate (sslmode verify-ca / verify-full, or require). Unset: the system's roots.
    /// A `sslrootcert` in the URL wins.
    #[arg(long, env = "TXSTATE_PG_CA_FILE")]
    pub pg_ca_file: Option<PathBuf>,

    /// The admin API's bearer token. When unset, one is generated on first start, stored as a
    /// hash and printed once.
    #[arg(long, env = "TXSTATE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// A file holding the admin token (a mounted secret), instead of TXSTATE_ADMIN_TOKEN.
    #[arg(long, env = "TXSTATE_ADMIN_TOKEN_FILE", conflicts_with = "admin_token")]
    pub admin_token_file: Option<PathBuf>,

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

    /// PostgreSQL only: connections this server keeps for its writes and reads (it opens five
    /// more: four for the request log and the throttle, one to listen).
    #[arg(long, env = "TXSTATE_PG_POOL_SIZE", default_value_t = 16)]
    pub pg_pool_size: usize,

    /// Most writes committed in one transaction (group commit; on PostgreSQL, notifications).
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

    /// Load balancers and proxies whose `X-Forwarded-For` / `Forwarded` headers are believed,
    /// as addresses or CIDRs, comma-separated (e.g. `10.0.0.0/8,192.168.1.7`). Empty (the
    /// default): the peer's address is the client's, and those headers are ignored.
    #[arg(
        long,
        env = "TXSTATE_TRUSTED_PROXIES",
        default_value = "",
        value_parser = parse_nets
    )]
    pub trusted_proxies: Networks,

    /// The header trusted proxies write the client's address in: `x-forwarded-for` or
    /// `forwarded` (RFC 7239). Only this one is read: the other passes through proxies
    /// untouched, so a client could forge it.
    #[arg(long, env = "TXSTATE_CLIENT_IP_HEADER", value_enum, default_value_t = ForwardedHeader::XForwardedFor)]
    pub client_ip_header: ForwardedHeader,

    /// Log format: `text` (coloured only on a terminal) or `json` (one object a line, for log
    /// shippers).
    #[arg(long, env = "TXSTATE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// A URL that receives a JSON POST when a deployment crosses its action's alert threshold
    /// and when it recovers (once per change, however many servers share the database).
    #[arg(long, env = "TXSTATE_ALERT_WEBHOOK")]
    pub alert_webhook: Option<String>,

    /// How often, at the latest, alert thresholds are checked, in seconds (notifications
    /// trigger a check sooner).
    #[arg(long, env = "TXSTATE_ALERT_CHECK_SECONDS", default_value_t = 30)]
    pub alert_check_seconds: u64,

    /// Time a client has to send a request's headers, in milliseconds; a slower connection is
    /// closed.
    #[arg(long, env = "TXSTATE_HEADER_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_timeout_ms: u64,

    /// On SIGTERM or Ctrl-C: how long the server keeps serving while `/readyz` answers 503, so
    /// that load balancers stop sending to it, before it stops accepting connections, in
    /// seconds.
    #[arg(long, env = "TXSTATE_DRAIN_SECONDS", default_value_t = 0)]
    pub drain_seconds: u64,
}

/// What the binary does.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Serve (the default).
    Serve,
    /// Apply the database's migrations, then exit (0 when the database is up to date).
    Migrate,
    /// Ask a running server's `/readyz`: exit 0 when it answers 200, 1 otherwise (for container
    /// health checks).
    Healthcheck {
        /// The server's base URL (default: `http://` and the `--bind` address; 0.0.0.0 is
        /// asked on 127.0.0.1).
        #[arg(long)]
        url: Option<String>,
    },
}

/// The log's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines; colour only on a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

/// A list of networks (`TXSTATE_TRUSTED_PROXIES`); empty when the setting is empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Networks(pub Vec<IpNet>);

/// Addresses and CIDRs, comma-separated; blanks are skipped, so an empty setting is no network.
fn parse_nets(s: &str) -> Result<Networks, String> {
    s.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            n.parse::<IpNet>()
                .or_else(|_| n.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{n}` is neither an IP address nor a CIDR (e.g. 10.0.0.0/8)"))
        })
        .collect::<Result<_, _>>()
        .map(Networks)
}

fn parse_profile(s: &str) -> Result<StatusProfile, String> {
    StatusProfile::parse(s)
        .ok_or_else(|| format!("unknown status profile `{s}`: use `webex` or `http`"))
}

impl Config {
    /// Reads the settings given as files (`*_FILE`, for secrets mounted into a container) into
    /// their values; a trailing newline is not part of the value.
    pub fn read_files(mut self) -> Result<Config, String> {
        let read = |path: &PathBuf, name: &str| -> Result<String, String> {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("{name} {}: {e}", path.display()))?;
            let value = text.trim_end_matches(['\n', '\r']).to_owned();
            if value.is_empty() {
                return Err(format!("{name} {} is empty", path.display()));
            }
            Ok(value)
        };
        if let Some(p) = &self.admin_token_file {
            self.admin_token = Some(read(p, "TXSTATE_ADMIN_TOKEN_FILE")?);
        }
        if let Some(p) = &self.database_url_file {
            self.database_url = read(p, "TXSTATE_DATABASE_URL_FILE")?;
        }
        Ok(self)
    }

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
            command: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_owned(),
            database_url_file: None,
            pg_ca_file: None,
            admin_token: Some(admin_token.to_owned()),
            admin_token_file: None,
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
            trusted_proxies: Networks::default(),
            client_ip_header: ForwardedHeader::XForwardedFor,
            log_format: LogFormat::Text,
            alert_webhook: None,
            alert_check_seconds: 30,
            header_timeout_ms: 10_000,
            drain_seconds: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_read_addresses_and_cidrs_and_an_empty_setting_as_none() {
        assert_eq!(parse_nets(""), Ok(Networks::default()));
        assert_eq!(parse_nets(" , "), Ok(Networks::default()));
        let n = parse_nets("10.0.0.0/8, 192.168.1.7,2001:db8::/32").expect("valid");
        assert_eq!(n.0.len(), 3);
        assert_eq!(n.0[1], "192.168.1.7/32".parse::<IpNet>().expect("net"));
        let e = parse_nets("10.0.0.0/33").expect_err("invalid");
        assert!(e.contains("10.0.0.0/33"), "{e}");
    }
}
