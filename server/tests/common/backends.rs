//! The two databases the storage suite runs on: a SQLite file in a temporary folder, and a
//! fresh database on the PostgreSQL of `TXSTATE_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`), dropped afterwards. When PostgreSQL cannot be
//! reached the PostgreSQL half is skipped with a note, unless `TXSTATE_TEST_POSTGRES_REQUIRED`
//! is set (CI sets it): then it fails.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio_postgres::NoTls;
use txstate_server::metrics::Metrics;
use txstate_server::store::{PostgresStore, SqliteStore, Store};

/// The PostgreSQL the tests use when `TXSTATE_TEST_POSTGRES` is not set.
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A fresh PostgreSQL database, dropped when this is dropped.
#[derive(Debug)]
pub struct PgDatabase {
    /// Its URL.
    pub url: String,
    server: String,
    name: String,
}

impl PgDatabase {
    /// Creates one, or `None` (with a note) when PostgreSQL is unreachable and not required.
    pub async fn create() -> Option<PgDatabase> {
        let server =
            std::env::var("TXSTATE_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
        let client = match tokio_postgres::connect(&server, NoTls).await {
            Ok((client, conn)) => {
                tokio::spawn(conn);
                client
            }
            Err(e) => {
                assert!(
                    std::env::var_os("TXSTATE_TEST_POSTGRES_REQUIRED").is_none(),
                    "PostgreSQL at {server} is required (TXSTATE_TEST_POSTGRES_REQUIRED) and unreachable: {e}"
                );
                eprintln!("note: PostgreSQL at {server} unreachable ({e}); its half of this test is skipped");
                return None;
            }
        };
        let name = format!("txstate_t_{}", uuid::Uuid::new_v4().simple());
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a test database");
        let url = match server.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("TXSTATE_TEST_POSTGRES must end with /DATABASE: {server}"),
        };
        Some(PgDatabase { url, server, name })
    }

    /// A connection to it, for recounts.
    pub async fn connect(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.url, NoTls)
            .await
            .expect("connect to the test database");
        tokio::spawn(conn);
        client
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop runs outside any runtime's reach: a thread with its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok((client, conn)) = tokio_postgres::connect(&server, NoTls).await {
                    tokio::spawn(conn);
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        });
        let _ = dropped.join();
    }
}

/// Where a store's data lives.
pub enum Place {
    /// A SQLite file (its folder is removed when this is dropped).
    Sqlite(tempfile::TempDir),
    /// A PostgreSQL database.
    Postgres(PgDatabase),
}

/// A backend under test: a store and where its data lives.
pub struct Backend {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Where its data lives.
    pub place: Place,
}

impl Backend {
    /// A store on a new SQLite file.
    pub async fn sqlite() -> Backend {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open_sqlite(&dir).await;
        Backend {
            store,
            place: Place::Sqlite(dir),
        }
    }

    /// A store on a new PostgreSQL database, or `None` when skipped.
    pub async fn postgres() -> Option<Backend> {
        let db = PgDatabase::create().await?;
        let store = Arc::new(
            PostgresStore::open(&db.url, 8, 256, None, Arc::new(Metrics::default()))
                .await
                .expect("open"),
        );
        Some(Backend {
            store,
            place: Place::Postgres(db),
        })
    }

    /// Another store on the same data: a second server on PostgreSQL; on SQLite, the file
    /// opened again (after `close`, since one process owns a SQLite file).
    pub async fn open_again(&self) -> Arc<dyn Store> {
        match &self.place {
            Place::Sqlite(dir) => open_sqlite(dir).await,
            Place::Postgres(db) => Arc::new(
                PostgresStore::open(&db.url, 8, 256, None, Arc::new(Metrics::default()))
                    .await
                    .expect("open"),
            ),
        }
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.place, Place::Postgres(_))
    }

    /// Outcome counts recounted from the stored notifications themselves:
    /// (deployment, state, code or '') → how many.
    pub async fn recount(&self) -> BTreeMap<(String, String, String), i64> {
        let sql = "SELECT deployment_id, response_state, coalesce(response_code, ''), count(*) FROM notifications GROUP BY 1, 2, 3";
        match &self.place {
            Place::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.path().join("txstate.db")).expect("open");
                let mut st = conn.prepare(sql).expect("prepare");
                st.query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))
                    .expect("query")
                    .collect::<rusqlite::Result<_>>()
                    .expect("rows")
            }
            Place::Postgres(db) => db
                .connect()
                .await
                .query(sql, &[])
                .await
                .expect("recount")
                .iter()
                .map(|r| ((r.get(0), r.get(1), r.get(2)), r.get(3)))
                .collect(),
        }
    }

    /// Closes the store.
    pub async fn finish(self) {
        self.store.close().await;
    }
}

async fn open_sqlite(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    Arc::new(
        SqliteStore::open(
            &dir.path().join("txstate.db"),
            256,
            Arc::new(Metrics::default()),
        )
        .expect("open"),
    )
}
