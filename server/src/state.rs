//! What every handler shares.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::sync::{broadcast, watch};
use txstate_core::Catalog;

use crate::auth::KeyIndex;
use crate::config::Config;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::throttle::Throttle;

/// A change that dashboards follow (server-sent events).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// `notify`, `voice` or `catalog`.
    pub kind: &'static str,
    /// The deployment concerned, when there is one.
    pub deployment_id: Option<String>,
}

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
    /// Per-user throttling.
    pub throttle: Throttle,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Count changes, for the events stream.
    pub events: broadcast::Sender<Event>,
    /// SHA-256 of the admin token.
    pub admin_token_hash: String,
    /// Becomes `true` when shutdown begins: long-lived responses (events) end then.
    pub shutdown: watch::Sender<bool>,
    /// Failed admin-token attempts per client address.
    pub admin_guard: crate::http::doors::AdminGuard,
    ids: AtomicU64,
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
            throttle: Throttle::default(),
            metrics,
            events,
            admin_token_hash,
            shutdown: watch::channel(false).0,
            admin_guard: Default::default(),
            ids: AtomicU64::new(rand::random::<u64>() % 1_000_000),
        })
    }

    /// A new operation id in the platform's shape: `PREFIX_<epoch ms><6 digits>`.
    pub fn new_id(&self, prefix: &str, at_ms: i64) -> String {
        let seq = self.ids.fetch_add(1, Ordering::Relaxed) % 1_000_000;
        txstate_core::ids::platform_id(prefix, at_ms.max(0) as u64, seq as u32)
    }

    /// The cached catalog.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// The cached key index.
    pub fn keys(&self) -> Arc<KeyIndex> {
        self.keys.read().map(|k| k.clone()).unwrap_or_default()
    }

    /// Reloads the catalog cache (after an admin change) and tells the dashboards.
    pub async fn reload_catalog(&self) -> Result<(), ApiError> {
        let c = self.store.catalog().await.map_err(ApiError::internal)?;
        if let Ok(mut g) = self.catalog.write() {
            *g = Arc::new(c);
        }
        let _ = self.events.send(Event {
            kind: "catalog",
            deployment_id: None,
        });
        Ok(())
    }

    /// Reloads the key index (after an admin change).
    pub async fn reload_keys(&self) -> Result<(), ApiError> {
        let k = KeyIndex::new(self.store.credentials().await.map_err(ApiError::internal)?);
        if let Ok(mut g) = self.keys.write() {
            *g = Arc::new(k);
        }
        Ok(())
    }
}
