//! The PostgreSQL backend, for several servers on one database. Notifications are recorded in
//! batches, one statement and one commit each (`postgres_batch.rs`); every other write is one
//! transaction on a pooled connection; request log lines are queued and written by one task
//! in multi-row inserts. Servers tell each other of changes with NOTIFY on the
//! channel `txstate` and hear them with LISTEN on a connection of their own.
//!
//! What no answer waits on being durable — request log lines, the throttle's state, the
//! change notices — goes over a few connections of their own that commit without waiting for
//! the write-ahead log's flush (`synchronous_commit = off`): a crash of the database may lose
//! the last fraction of a second of them, never a notification or voice update that was
//! acknowledged (those commit on the main pool, durably).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::pg_tls::{split_url, TlsSettings};
use super::postgres_ahead::Ahead;
use super::postgres_batch::{self, QueuedAdmission, QueuedNotification};
use crate::metrics::Metrics;

use super::{Event, LogLine, StoreResult};

/// The migrations, in order (the table `txstate_migrations` records which ran).
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_alert_states.sql"),
    include_str!("../../migrations/postgres/0003_request_ids.sql"),
    include_str!("../../migrations/postgres/0004_replays.sql"),
    include_str!("../../migrations/postgres/0005_batches.sql"),
    include_str!("../../migrations/postgres/0006_admit_ahead.sql"),
    include_str!("../../migrations/postgres/0007_history_unindexed.sql"),
    include_str!("../../migrations/postgres/0008_fewer_statements.sql"),
];

/// The NOTIFY channel the servers of one database share.
const CHANNEL: &str = "txstate";

/// The shortest time between two publications of dashboards' changes. Each costs a
/// transaction and wakes every server's listener, this one's too; under load one went out per
/// batch of notifications: about a third of the database's transactions, and a quarter of this
/// server's CPU per request, for dashboards that refresh no faster than people read.
const PUBLISH_GAP: Duration = Duration::from_millis(50);

/// The advisory lock that keeps two servers starting at once from migrating together.
const MIGRATION_LOCK: i64 = 0x0074_7873_7461_7465; // "txstate" in ASCII

/// Most request log lines written in one `COPY`.
const LOG_BATCH: usize = 1000;

/// How long the log writer gathers lines before it writes them (unless a flush asks, or
/// [`LOG_BATCH`] are queued): each write is a transaction whose cost hardly depends on its
/// size, and under load a write that took whatever had queued meanwhile held ~10 lines (two
/// servers) to ~20 (one). A line is in the table at most this long plus one write after its
/// answer; this server's own admin views flush first, so they never miss one.
const LOG_GATHER: Duration = Duration::from_millis(10);

/// Connections of the relaxed pool: the log writer, the throttle's batches, the publisher.
const RELAXED_POOL: usize = 4;

/// What the relaxed pool's sessions run with (see the module's documentation).
const RELAXED_OPTIONS: &str = "-c synchronous_commit=off";

pub(super) enum LogMsg {
    Line(Box<LogLine>),
    Flush(oneshot::Sender<StoreResult<()>>),
}

/// A change on the wire between servers: the event and who sent it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    origin: String,
    #[serde(flatten)]
    event: Event,
}

/// The PostgreSQL store.
pub struct PostgresStore {
    pub(super) pool: Pool,
    /// Connections whose commits do not wait for the disk: for writes no answer waits on.
    pub(super) relaxed: Pool,
    pub(super) logs: mpsc::UnboundedSender<LogMsg>,
    pub(super) outbox: mpsc::UnboundedSender<Event>,
    /// Tells the publisher a change the caches follow is queued
    /// ([`EventKind::reloads_caches`]).
    pub(super) hurry: Arc<tokio::sync::Notify>,
    pub(super) changes: broadcast::Sender<Event>,
    pub(super) slot: u32,
    pub(super) metrics: Arc<Metrics>,
    /// Notifications wait here for their batch (taken at shutdown: the batcher then ends).
    pub(super) notifications: Mutex<Option<mpsc::Sender<QueuedNotification>>>,
    /// Requests wait here for the throttle (likewise).
    pub(super) admissions: Mutex<Option<mpsc::Sender<QueuedAdmission>>>,
    /// Admissions the throttle took ahead, for the requests about to arrive.
    pub(super) ahead: Arc<Ahead>,
    batchers: Mutex<Vec<JoinHandle<()>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    log_writer: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}

pub(super) fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The message of a database error, with PostgreSQL's own detail when there is one, else
/// with its causes (a TLS handshake's reason is in them).
pub(super) fn db_err(e: tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{}: {}", d.code().code(), d.message()),
        None => crate::error::with_causes(&e),
    }
}

/// Reads a `postgres://` URL (password never echoed) and its TLS settings; `ca_file` is
/// `TXSTATE_PG_CA_FILE`.
pub fn parse_url(
    url: &str,
    ca_file: Option<&Path>,
) -> StoreResult<(tokio_postgres::Config, TlsSettings)> {
    let (url, tls) = split_url(url, ca_file)?;
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| format!("TXSTATE_DATABASE_URL is not a valid PostgreSQL URL: {e}"))?;
    tls.apply(&mut config);
    if config.get_application_name().is_none() {
        config.application_name("txstate");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    Ok((config, tls))
}

impl PostgresStore {
    /// Connects, applies the migrations, takes an instance slot and starts the background
    /// tasks (request log writer, change publisher and listener).
    pub async fn open(
        url: &str,
        pool_size: usize,
        max_batch: usize,
        ca_file: Option<&Path>,
        metrics: Arc<Metrics>,
    ) -> StoreResult<PostgresStore> {
        let (config, tls_settings) = parse_url(url, ca_file)?;
        let tls = tls_settings.connector()?;
        let pool = new_pool(config.clone(), &tls, pool_size.max(2))?;
        let relaxed = new_pool(relaxed(&config), &tls, RELAXED_POOL)?;
        let mut client = connection(&pool)
            .await
            .map_err(|e| tls_settings.explain(e))?;
        migrate(&mut client).await?;
        let slot: i64 = client
            .query_one("SELECT nextval('instance_slots')", &[])
            .await
            .map_err(db_err)?
            .get(0);
        drop(client);

        let origin = uuid::Uuid::new_v4().to_string();
        let (logs, log_rx) = mpsc::unbounded_channel();
        let (outbox, out_rx) = mpsc::unbounded_channel();
        let hurry = Arc::new(tokio::sync::Notify::new());
        let (changes, _) = broadcast::channel(1024);
        let log_writer = tokio::spawn(log_loop(relaxed.clone(), log_rx));
        let slot = slot.rem_euclid(100) as u32;
        let max_batch = max_batch.max(1);
        let (notifications, queue) = mpsc::channel(16 * max_batch);
        let (admissions, admit_queue) = mpsc::channel(16 * max_batch);
        let ahead = Arc::new(Ahead::default());
        let batchers = vec![
            postgres_batch::notifications(pool.clone(), metrics.clone(), slot, queue, max_batch),
            postgres_batch::admissions(
                relaxed.clone(),
                metrics.clone(),
                ahead.clone(),
                admit_queue,
                max_batch,
            ),
        ];
        let (listening, ready) = oneshot::channel();
        let tasks = vec![
            tokio::spawn(publish_loop(
                relaxed.clone(),
                out_rx,
                hurry.clone(),
                origin.clone(),
            )),
            tokio::spawn(listen_loop(config, tls, changes.clone(), origin, listening)),
        ];
        // Serving before listening could miss another server's change.
        let ready = tokio::time::timeout(Duration::from_secs(30), ready).await;
        if !matches!(ready, Ok(Ok(()))) {
            for t in &tasks {
                t.abort();
            }
            log_writer.abort();
            for b in &batchers {
                b.abort();
            }
            return Err("could not LISTEN for the other servers' changes within 30 s".into());
        }
        Ok(PostgresStore {
            pool,
            relaxed,
            logs,
            outbox,
            hurry,
            changes,
            slot,
            metrics,
            notifications: Mutex::new(Some(notifications)),
            admissions: Mutex::new(Some(admissions)),
            ahead,
            batchers: Mutex::new(batchers),
            tasks: Mutex::new(tasks),
            log_writer: Mutex::new(Some(log_writer)),
        })
    }

    /// A pooled connection.
    pub(super) async fn client(&self) -> StoreResult<Object> {
        connection(&self.pool).await
    }

    /// Waits until every log line queued before it is written.
    pub(super) fn flush_logs(&self) -> BoxFuture<'static, StoreResult<()>> {
        let (done, written) = oneshot::channel();
        let sent = self.logs.send(LogMsg::Flush(done));
        async move {
            sent.map_err(|_| "the store is closed".to_owned())?;
            written
                .await
                .map_err(|_| "the log writer stopped".to_owned())?
        }
        .boxed()
    }

    /// Writes what is queued, stops the background tasks and closes the pool.
    pub(super) fn shutdown(&self) -> BoxFuture<'_, ()> {
        async move {
            // Closing the queues ends the batchers once everything queued is answered.
            drop(self.notifications.lock().ok().and_then(|mut q| q.take()));
            drop(self.admissions.lock().ok().and_then(|mut q| q.take()));
            let batchers = self
                .batchers
                .lock()
                .map(|mut b| std::mem::take(&mut *b))
                .unwrap_or_default();
            for b in batchers {
                let _ = b.await;
            }
            let _ = self.flush_logs().await;
            let writer = self.log_writer.lock().ok().and_then(|mut w| w.take());
            if let Some(w) = writer {
                w.abort();
            }
            let tasks = self
                .tasks
                .lock()
                .map(|mut t| std::mem::take(&mut *t))
                .unwrap_or_default();
            for t in tasks {
                t.abort();
            }
            self.pool.close();
            self.relaxed.close();
        }
        .boxed()
    }
}

/// `config` for the relaxed pool: the operator's own session options, then ours.
fn relaxed(config: &tokio_postgres::Config) -> tokio_postgres::Config {
    let mut relaxed = config.clone();
    relaxed.options(&match config.get_options() {
        Some(o) if !o.trim().is_empty() => format!("{o} {RELAXED_OPTIONS}"),
        _ => RELAXED_OPTIONS.to_owned(),
    });
    relaxed
}

/// A pool of at most `size` connections made with `config`.
fn new_pool(
    config: tokio_postgres::Config,
    tls: &MakeRustlsConnect,
    size: usize,
) -> StoreResult<Pool> {
    let manager = Manager::from_config(
        config,
        tls.clone(),
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(Duration::from_secs(30)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(err)
}

pub(super) async fn connection(pool: &Pool) -> StoreResult<Object> {
    pool.get().await.map_err(|e| match e {
        deadpool_postgres::PoolError::Backend(e) => {
            format!("cannot reach PostgreSQL: {}", db_err(e))
        }
        other => format!("cannot reach PostgreSQL: {other}"),
    })
}

/// Applies the missing migrations in one transaction, under an advisory lock.
async fn migrate(client: &mut Object) -> StoreResult<()> {
    let tx = client.transaction().await.map_err(db_err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db_err)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS txstate_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await
    .map_err(db_err)?;
    let done: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM txstate_migrations",
            &[],
        )
        .await
        .map_err(db_err)?
        .get(0);
    let done = done.max(0) as usize;
    if done > MIGRATIONS.len() {
        return Err(format!(
            "the database has {done} migrations applied; this server knows {}: it is older than the database",
            MIGRATIONS.len()
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        tx.batch_execute(sql)
            .await
            .map_err(|e| format!("migration {}: {}", i + 1, db_err(e)))?;
        tx.execute(
            "INSERT INTO txstate_migrations (version) VALUES ($1)",
            &[&((i + 1) as i32)],
        )
        .await
        .map_err(db_err)?;
        tracing::info!(migration = i + 1, "applied a database migration");
    }
    tx.commit().await.map_err(db_err)
}

/// PostgreSQL text cannot hold U+0000: the request log's copies (of bytes that were refused)
/// show it as U+FFFD, as they show any byte that is not UTF-8.
fn text(s: &str) -> String {
    s.replace('\0', "\u{FFFD}")
}

/// Writes queued request log lines, many per insert; answers flushes once what came before
/// them is written. A line that cannot be written is dropped with a warning (as on SQLite).
async fn log_loop(pool: Pool, mut rx: mpsc::UnboundedReceiver<LogMsg>) {
    while let Some(first) = rx.recv().await {
        let until = tokio::time::Instant::now() + LOG_GATHER;
        let mut lines = Vec::new();
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(m) = next.take() {
            match m {
                LogMsg::Line(l) => lines.push(*l),
                LogMsg::Flush(f) => flushes.push(f),
            }
            if lines.len() < LOG_BATCH {
                next = match rx.try_recv() {
                    Ok(m) => Some(m),
                    // Nothing queued: wait for more until `until`, unless a flush is waiting.
                    Err(mpsc::error::TryRecvError::Empty) if flushes.is_empty() => {
                        tokio::time::timeout_at(until, rx.recv())
                            .await
                            .ok()
                            .flatten()
                    }
                    Err(_) => None,
                };
            }
        }
        let written = if lines.is_empty() {
            Ok(())
        } else {
            write_logs(&pool, &lines).await
        };
        if let Err(e) = &written {
            tracing::warn!(error = %e, lines = lines.len(), "could not write request log lines");
        }
        for f in flushes {
            let _ = f.send(written.clone());
        }
    }
}

/// The request log's columns, in the order both ways of writing them use.
const LOG_COLUMNS_WRITTEN: &str =
    "transaction_id, at_ms, api_key_id, endpoint, method, status, code, latency_us, \
     client, body, body_truncated, headers, response, request_id, replay_of";

async fn write_logs(pool: &Pool, lines: &[LogLine]) -> StoreResult<()> {
    let client = connection(pool).await?;
    // COPY costs the database 40% less CPU than an insert of the same lines (measured: 0.28
    // against 0.47 ms a batch of 17). It cannot skip a line already written, which only a
    // transaction id met twice would be: then the batch is copied into a session's staging
    // table and inserted from there, skipping it.
    match copy_logs(&client, "request_log", lines).await {
        Ok(()) => Ok(()),
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
            insert_logs(&client, lines).await.map_err(db_err)
        }
        Err(e) => Err(db_err(e)),
    }
}

/// Copies `lines` into `table` (the request log, or a staging table of its shape).
async fn copy_logs(
    client: &Object,
    table: &str,
    lines: &[LogLine],
) -> Result<(), tokio_postgres::Error> {
    use tokio_postgres::binary_copy::BinaryCopyInWriter;
    use tokio_postgres::types::{ToSql, Type};
    let st = client
        .prepare_cached(&format!(
            "COPY {table} ({LOG_COLUMNS_WRITTEN}) FROM STDIN (FORMAT binary)"
        ))
        .await?;
    let sink = client.copy_in(&st).await?;
    let types = [
        Type::TEXT,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::BOOL,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
    ];
    let writer = BinaryCopyInWriter::new(sink, &types);
    futures_util::pin_mut!(writer);
    for line in lines {
        let e = &line.entry;
        let status = i64::from(e.status);
        let code = e.code.map(i64::from);
        let latency = e.latency_us as i64;
        let row: [&(dyn ToSql + Sync); 15] = [
            &text(&e.transaction_id),
            &e.at_ms,
            &e.api_key_id,
            &e.endpoint,
            &text(&e.method),
            &status,
            &code,
            &latency,
            &e.client,
            &text(&e.body),
            &e.body_truncated,
            &text(&line.headers),
            &text(&line.response),
            &e.request_id,
            &e.replay_of,
        ];
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await?;
    Ok(())
}

/// The lines through a staging table of the session's (emptied first), skipping those
/// already written.
async fn insert_logs(client: &Object, lines: &[LogLine]) -> Result<(), tokio_postgres::Error> {
    client
        .batch_execute(
            "CREATE TEMP TABLE IF NOT EXISTS request_log_staging (LIKE request_log);
             TRUNCATE request_log_staging",
        )
        .await?;
    copy_logs(client, "request_log_staging", lines).await?;
    client
        .batch_execute(&format!(
            "INSERT INTO request_log ({LOG_COLUMNS_WRITTEN}) SELECT {LOG_COLUMNS_WRITTEN} FROM request_log_staging
             ON CONFLICT (transaction_id) DO NOTHING"
        ))
        .await
}

/// Sends queued changes to the other servers; changes queued together go in one statement,
/// the same change once. Dashboards' changes (notifications, voice) go at most once each
/// [`PUBLISH_GAP`] (one after a quiet spell at once); a change the other servers' caches
/// follow (catalog, keys: [`EventKind::reloads_caches`], signalled on `hurry`) ends the wait, so a key created on
/// one server works on the next at once.
async fn publish_loop(
    pool: Pool,
    mut rx: mpsc::UnboundedReceiver<Event>,
    hurry: Arc<tokio::sync::Notify>,
    origin: String,
) {
    let mut last: Option<tokio::time::Instant> = None;
    while let Some(first) = rx.recv().await {
        if let Some(last) = last.filter(|_| !first.kind.reloads_caches()) {
            tokio::select! {
                () = tokio::time::sleep_until(last + PUBLISH_GAP) => {}
                () = hurry.notified() => {}
            }
        }
        last = Some(tokio::time::Instant::now());
        let mut events = vec![first];
        while let Ok(e) = rx.try_recv() {
            if !events.contains(&e) {
                events.push(e);
            }
        }
        let payloads: Vec<String> = events
            .into_iter()
            .filter_map(|event| {
                serde_json::to_string(&Wire {
                    origin: origin.clone(),
                    event,
                })
                .ok()
            })
            .collect();
        let sent = match connection(&pool).await {
            Ok(c) => c
                .execute(
                    "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p",
                    &[&CHANNEL, &payloads],
                )
                .await
                .map_err(db_err),
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, "could not tell the other servers of a change");
        }
    }
}

/// Hears the other servers' changes on a connection of its own; reconnects when it breaks.
/// When it listens again it announces a catalog and keys change: what changed while it was
/// not listening was missed, so the caches reload.
async fn listen_loop(
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    changes: broadcast::Sender<Event>,
    origin: String,
    listening: oneshot::Sender<()>,
) {
    let mut listening = Some(listening);
    let mut backoff = Duration::from_millis(100);
    loop {
        match config.connect(tls.clone()).await {
            Ok((client, mut conn)) => {
                let (tx, mut rx) = mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    let mut messages =
                        futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
                    use futures_util::StreamExt;
                    while let Some(m) = messages.next().await {
                        match m {
                            Ok(AsyncMessage::Notification(n)) => {
                                if tx.send(n.payload().to_owned()).is_err() {
                                    break;
                                }
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "the listening connection to PostgreSQL broke");
                                break;
                            }
                        }
                    }
                });
                if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                    tracing::warn!(error = %db_err(e), "could not listen for other servers' changes");
                } else {
                    backoff = Duration::from_millis(100);
                    match listening.take() {
                        // The first time: the server loads its caches after this.
                        Some(l) => {
                            let _ = l.send(());
                        }
                        None => {
                            for kind in [super::EventKind::Catalog, super::EventKind::Keys] {
                                let _ = changes.send(Event {
                                    kind,
                                    deployment_id: None,
                                });
                            }
                        }
                    }
                    while let Some(payload) = rx.recv().await {
                        match serde_json::from_str::<Wire>(&payload) {
                            Ok(w) if w.origin != origin => {
                                let _ = changes.send(w.event);
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "an unreadable change from another server")
                            }
                        }
                    }
                }
                driver.abort();
                drop(client);
            }
            Err(e) => {
                tracing::warn!(error = %db_err(e), "cannot connect to PostgreSQL to listen for changes");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The machine's PostgreSQL (no tables touched: only session settings are read).
    async fn settings(config: &tokio_postgres::Config) -> Option<(String, String)> {
        let (client, conn) = match config.connect(tokio_postgres::NoTls).await {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    std::env::var_os("TXSTATE_TEST_POSTGRES_REQUIRED").is_none(),
                    "PostgreSQL is required and unreachable: {e}"
                );
                eprintln!("note: PostgreSQL unreachable ({e}); test skipped");
                return None;
            }
        };
        tokio::spawn(conn);
        let show = |name: &'static str| {
            let client = &client;
            async move {
                let row = client
                    .query_one(&format!("SHOW {name}"), &[])
                    .await
                    .unwrap();
                row.get::<_, String>(0)
            }
        };
        Some((
            show("synchronous_commit").await,
            show("statement_timeout").await,
        ))
    }

    #[tokio::test]
    async fn relaxed_sessions_commit_without_waiting_and_keep_the_operators_options() {
        let url = std::env::var("TXSTATE_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let (plain, _) = parse_url(&url, None).unwrap();
        let mut own = plain.clone();
        own.options("-c statement_timeout=4321");
        let Some(durable) = settings(&own).await else {
            return;
        };
        assert_eq!(durable, ("on".to_owned(), "4321ms".to_owned()));
        let relaxed_own = settings(&relaxed(&own)).await.unwrap();
        assert_eq!(relaxed_own, ("off".to_owned(), "4321ms".to_owned()));
        let relaxed_plain = settings(&relaxed(&plain)).await.unwrap();
        assert_eq!(relaxed_plain.0, "off");
    }
}
