//! txstate-server: the authoritative server of the transaction-state APIs.
//!
//! - [`config`]: every setting (flags and `TXSTATE_*` variables).
//! - [`http`]: `app(state) -> Router`: the two partner endpoints (`http/partner.rs`), the token
//!   endpoint, the admin API (`http/admin/`), health and metrics.
//! - [`store`]: storage behind the [`store::Store`] trait; SQLite by default.
//! - [`auth`], [`throttle`]: API users' keys and tokens; per-user rate limits.
//! - [`error`]: the one error type; [`metrics`]; [`demo`]: demo data; [`state`]: what
//!   handlers share.

pub mod alerts;
pub mod auth;
pub mod config;
pub mod demo;
pub mod error;
pub mod http;
pub mod listener;
pub mod log_writer;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod state;
pub mod store;
pub mod throttle;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::Config;
pub use http::app;
use state::{now_ms, AppState};
use store::{PostgresStore, SqliteStore, Store};

/// A built server: its state and what it printed once.
#[derive(Debug)]
pub struct Built {
    /// The shared state.
    pub state: Arc<AppState>,
    /// The admin token, when it was generated now (it is shown only this once).
    pub generated_admin_token: Option<String>,
    /// The demo API user's secret key, when demo data was loaded.
    pub demo_secret: Option<String>,
}

/// Opens the database, settles the admin token, loads demo data if asked.
pub async fn build(config: Config) -> Result<Built, String> {
    let metrics = Arc::new(metrics::Metrics::default());
    let store = open_store(&config, metrics.clone()).await?;
    let (admin_hash, generated_admin_token) = match &config.admin_token {
        Some(t) if t.len() < 16 => {
            return Err("TXSTATE_ADMIN_TOKEN must be at least 16 characters".into())
        }
        Some(t) => (auth::hash(t), None),
        None => match store.setting("admin_token_hash".into()).await? {
            Some(h) => (h, None),
            None => {
                let t = auth::new_secret();
                store
                    .put_setting("admin_token_hash".into(), auth::hash(&t))
                    .await?;
                (auth::hash(&t), Some(t))
            }
        },
    };
    let demo = config.demo;
    let state = Arc::new(AppState::new(config, store, metrics, admin_hash).await?);
    state.follow_other_servers();
    let demo_secret = if demo {
        Some(demo::seed(&state).await?)
    } else {
        None
    };
    Ok(Built {
        state,
        generated_admin_token,
        demo_secret,
    })
}

/// Opens the configured database (applying its migrations).
async fn open_store(
    config: &Config,
    metrics: Arc<metrics::Metrics>,
) -> Result<Arc<dyn Store>, String> {
    Ok(match config.sqlite_path() {
        Some(path) => Arc::new(SqliteStore::open(&path, config.max_batch, metrics)?),
        None => Arc::new(
            PostgresStore::open(
                &config.database_url,
                config.pg_pool_size,
                config.max_batch,
                config.pg_ca_file.as_deref(),
                metrics,
            )
            .await?,
        ),
    })
}

/// How long shutdown waits for in-flight requests.
pub const DRAIN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// A server running in this process (tests and `serve`).
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state.
    pub state: Arc<AppState>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, ends event streams, finishes in-flight requests (for at most
    /// [`DRAIN_DEADLINE`]), commits queued writes.
    pub async fn stop(mut self) {
        let _ = self.state.shutdown.send(true);
        let _ = self.stop.send(true);
        if tokio::time::timeout(DRAIN_DEADLINE, &mut self.task)
            .await
            .is_err()
        {
            tracing::warn!("requests still running after {DRAIN_DEADLINE:?}: closing them");
            self.task.abort();
        }
        self.state.store.close().await;
    }
}

/// Binds and serves `built` until `stop` (or the returned handle's `stop`).
pub async fn start(built: &Built) -> Result<Running, String> {
    let state = built.state.clone();
    let listener = TcpListener::bind(state.config.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", state.config.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = watch::channel(false);
    let header_timeout = std::time::Duration::from_millis(state.config.header_timeout_ms);
    let task = tokio::spawn(listener::serve(
        listener,
        app(state.clone()),
        header_timeout,
        stopped,
    ));
    spawn_retention(state.clone());
    alerts::spawn(state.clone());
    Ok(Running {
        addr,
        state,
        stop,
        task,
    })
}

/// Purges the request log past its retention, hourly.
fn spawn_retention(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let before = now_ms() - i64::from(state.config.retention_days) * 86_400_000;
            match state.store.purge_requests(before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(purged = n, "request log entries past retention deleted"),
                Err(e) => {
                    tracing::warn!(error = %e, "could not purge the request log");
                    if e.contains("closed") {
                        return;
                    }
                }
            }
        }
    });
}

/// Runs the server until Ctrl-C or SIGTERM, then shuts down gracefully.
pub async fn serve(config: Config) -> Result<(), String> {
    let built = build(config).await?;
    let running = start(&built).await?;
    let url = format!("http://{}", running.addr);
    tracing::info!("txstate is serving at {url}/ (health: {url}/healthz)");
    match &built.generated_admin_token {
        Some(t) => tracing::warn!("admin token (shown once; only its hash is stored): {t}"),
        None if built.state.config.admin_token.is_some() => tracing::info!("admin token: the one in TXSTATE_ADMIN_TOKEN"),
        None => tracing::info!("admin token: the one printed at the first start (set TXSTATE_ADMIN_TOKEN to choose one)"),
    }
    if let Some(secret) = &built.demo_secret {
        tracing::info!(
            "demo API user {}: secret key {secret}\n  try: curl -X POST {url}{} -H 'authorization: Bearer {secret}' -H 'content-type: application/json' -d '{}'",
            demo::DEMO_KEY_ID,
            http::partner::NOTIFY_PATH,
            r#"{"responseState":"532","refTransId":"CC02_1605176995001254571","deploymentId":"API_1605176965390000881","additionalInfo":"{\"responseCode\":\"403\"}"}"#
        );
    }
    shutdown_signal().await;
    let drain = built.state.config.drain_seconds;
    if drain > 0 {
        built.state.start_draining();
        tracing::info!(
            "draining: /readyz answers 503 for {drain} s, then the server stops accepting (a second signal stops it now)"
        );
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_secs(drain)) => {}
            () = shutdown_signal() => {}
        }
    }
    tracing::info!("shutting down: finishing requests and committing queued writes");
    running.stop().await;
    Ok(())
}

/// `txstate-server migrate`: applies the database's migrations (opening the store does) and
/// closes it.
pub async fn migrate(config: &Config) -> Result<(), String> {
    let store = open_store(config, Arc::new(metrics::Metrics::default())).await?;
    store.close().await;
    tracing::info!("the database is up to date");
    Ok(())
}

/// `txstate-server healthcheck`: whether the server at `url` (or `--bind`) is ready.
pub async fn healthcheck(config: &Config, url: Option<&str>) -> Result<(), String> {
    let base = match url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => {
            let mut addr = config.bind;
            if addr.ip().is_unspecified() {
                addr.set_ip(if addr.is_ipv4() {
                    std::net::Ipv4Addr::LOCALHOST.into()
                } else {
                    std::net::Ipv6Addr::LOCALHOST.into()
                });
            }
            format!("http://{addr}")
        }
    };
    let url = format!("{base}/readyz");
    let res = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {}", error::with_causes(&e.without_url())))?;
    match res.status().as_u16() {
        200 => Ok(()),
        s => Err(format!(
            "{url} answered {s}: {}",
            res.text().await.unwrap_or_default()
        )),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
