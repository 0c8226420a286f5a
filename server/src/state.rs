//! What every handler shares.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::{broadcast, watch};
use txstate_core::Catalog;

use crate::auth::KeyIndex;
use crate::config::Config;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::store::Store;

pub use crate::store::{Event, EventKind};

/// The server's shared state.
pub struct AppState {
    /// The configuration.
    pub config: Config,
    /// The database.
    pub store: Arc<dyn Store>,
    /// Actions and deployments, cached; reloaded after every admin change.
    pub catalog: RwLock<Arc<Catalog>>,
    /// API users' key hashes, cached; reloaded after every admin change.
    pub keys: RwLock<Arc<KeyIndex>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Changes, for the events stream (this server's and the other servers').
    pub events: broadcast::Sender<Event>,
    /// SHA-256 of the admin token.
    pub admin_token_hash: String,
    /// Becomes `true` when shutdown begins: long-lived responses (events) end then.
    pub shutdown: watch::Sender<bool>,
    /// Failed admin-token attempts per client address.
    pub admin_guard: crate::http::doors::AdminGuard,
    ids: AtomicU64,
    draining: AtomicBool,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Now, epoch ms.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl AppState {
    /// Loads the caches and wraps everything.
    pub async fn new(
        config: Config,
        store: Arc<dyn Store>,
        metrics: Arc<Metrics>,
        admin_token_hash: String,
    ) -> Result<AppState, String> {
        let catalog = store.catalog().await?;
        let keys = KeyIndex::new(store.credentials().await?);
        let (events, _) = broadcast::channel(1024);
        Ok(AppState {
            config,
            store,
            catalog: RwLock::new(Arc::new(catalog)),
            keys: RwLock::new(Arc::new(keys)),
            metrics,
            events,
            admin_token_hash,
            shutdown: watch::channel(false).0,
            admin_guard: Default::default(),
            ids: AtomicU64::new(0),
            draining: AtomicBool::new(false),
        })
    }

    /// Whether the server is draining before it stops (`/readyz` answers 503).
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Starts draining: `/readyz` answers 503 from now on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// A new operation id in the platform's shape: `PREFIX_<epoch ms><6 digits>`. The six
    /// digits are this server's slot (two) and a counter (four): unique across up to 100
    /// servers on one database handing out up to 10,000 ids per millisecond each.
    pub fn new_id(&self, prefix: &str, at_ms: i64) -> String {
        let seq = self.ids.fetch_add(1, Ordering::Relaxed) % 10_000;
        let slot = u64::from(self.store.instance_slot() % 100);
        txstate_core::ids::platform_id(prefix, at_ms.max(0) as u64, (slot * 10_000 + seq) as u32)
    }

    /// Tells this server's dashboards (API users' changes excepted) and the other servers on
    /// the database of a change.
    pub fn announce(&self, kind: EventKind, deployment_id: Option<String>) {
        let event = Event {
            kind,
            deployment_id,
        };
        if kind != EventKind::Keys {
            let _ = self.events.send(event.clone());
        }
        self.store.publish(event);
    }

    /// Follows the other servers' changes until shutdown: reloads the caches they touch and
    /// passes the rest to this server's dashboards.
    pub fn follow_other_servers(self: &std::sync::Arc<Self>) {
        let state = self.clone();
        let mut changes = self.store.subscribe();
        let mut stopping = self.shutdown.subscribe();
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    e = changes.recv() => e,
                    _ = stopping.wait_for(|s| *s) => return,
                };
                let event = match event {
                    Ok(e) => e,
                    // Missed some: reload both caches to be sure.
                    Err(broadcast::error::RecvError::Lagged(_)) => Event {
                        kind: EventKind::Catalog,
                        deployment_id: None,
                    },
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let reloaded = match event.kind {
                    EventKind::Catalog => state.refresh_catalog().await,
                    EventKind::Keys => state.refresh_keys().await,
                    EventKind::Notify | EventKind::Voice => Ok(()),
                };
                if let Err(e) = reloaded {
                    tracing::warn!(error = ?e, "could not reload after another server's change");
                }
                if event.kind != EventKind::Keys {
                    let _ = state.events.send(event);
                }
            }
        });
    }

    /// `/metrics`' text: the metrics and the database's connections now.
    pub fn render_metrics(&self) -> String {
        self.metrics.render(self.store.pool_status())
    }

    /// The cached catalog.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// The cached key index.
    pub fn keys(&self) -> Arc<KeyIndex> {
        self.keys.read().map(|k| k.clone()).unwrap_or_default()
    }

    /// Reloads the catalog cache after an admin change and announces it.
    pub async fn reload_catalog(&self) -> Result<(), ApiError> {
        self.refresh_catalog().await?;
        self.announce(EventKind::Catalog, None);
        Ok(())
    }

    /// Reloads the key index after an admin change and announces it.
    pub async fn reload_keys(&self) -> Result<(), ApiError> {
        self.refresh_keys().await?;
        self.announce(EventKind::Keys, None);
        Ok(())
    }

    async fn refresh_catalog(&self) -> Result<(), ApiError> {
        let c = self.store.catalog().await.map_err(ApiError::internal)?;
        if let Ok(mut g) = self.catalog.write() {
            *g = Arc::new(c);
        }
        Ok(())
    }

    /// A bearer whose digest the key cache does not know, looked up in the database: the key
    /// cache to read its API user from, and whose it is and when it expires (`None`: a secret
    /// key). The cache is reloaded first, without announcing it, when the bearer is a secret
    /// key (made on another server since the cache was loaded) or a valid token of a user the
    /// cache lacks: only a valid credential causes a reload.
    pub async fn uncached_bearer(
        &self,
        digest: &[u8; 32],
        at_ms: i64,
    ) -> Result<Option<(Arc<KeyIndex>, crate::store::Bearer)>, String> {
        let Some((id, expires)) = self.store.bearer(crate::auth::hex(digest)).await? else {
            return Ok(None);
        };
        let keys = self.keys();
        let reload = match expires {
            None => true,
            Some(e) => e > at_ms && keys.user(&id).is_none(),
        };
        if !reload {
            return Ok(Some((keys, (id, expires))));
        }
        if let Err(e) = self.refresh_keys().await {
            tracing::warn!(error = ?e, "could not reload the API keys");
        }
        Ok(Some((self.keys(), (id, expires))))
    }

    async fn refresh_keys(&self) -> Result<(), ApiError> {
        let k = KeyIndex::new(self.store.credentials().await.map_err(ApiError::internal)?);
        if let Ok(mut g) = self.keys.write() {
            *g = Arc::new(k);
        }
        Ok(())
    }
}
