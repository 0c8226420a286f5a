//! The SQLite backend: a file in WAL mode. One writer thread owns the write connection and
//! commits queued writes in batches (group commit); the counts a batch moves are summed and
//! written once, just before its COMMIT. Every write is acknowledged only once its commit is
//! on disk: a second thread flushes the write-ahead log (one fsync for every batch committed
//! since the last one) and then answers (`sqlite_sync.rs`, which also holds the
//! checkpointer). While it flushes, the writer runs what arrives in an open transaction and
//! commits it when the flush is done: one commit per flush. Reads use a small pool of
//! read-only connections, which WAL lets run beside the writer.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{mpsc, oneshot};

use super::sqlite_sync::{checkpointer, syncer};
use super::sqlite_writes::Tally;
use super::{LogLine, StoreResult};
use crate::metrics::{Metrics, Writer};

/// The migrations, in order (`PRAGMA user_version` records how many ran).
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_alert_states.sql"),
    include_str!("../../migrations/sqlite/0003_request_ids.sql"),
    include_str!("../../migrations/sqlite/0004_replays.sql"),
    include_str!("../../migrations/sqlite/0005_replays_index.sql"),
    include_str!("../../migrations/sqlite/0006_history_unindexed.sql"),
];

/// What a job tells the writer after running: whether to keep its changes, and what to do
/// once the batch's commit is on disk (or has failed).
pub(super) type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;
type Run = Box<dyn for<'c> FnOnce(&'c Connection, &mut Tally<'c>) -> (bool, Finish) + Send>;

/// A write queued for the writer, and how far its failure reaches.
pub(super) struct Job {
    run: Run,
    scope: Scope,
}

/// What the writer's queue carries.
pub(super) enum Message {
    Write(Job),
    /// The syncer has flushed everything committed so far: the writer's open transaction can
    /// commit (it is answered after the next flush either way).
    Flushed,
}

/// How far a failing write reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scope {
    /// It runs in a savepoint of its own and rolls back alone: admin writes, which can fail
    /// on what they are given (a constraint).
    Own,
    /// It runs in the batch's transaction without a savepoint: the partner writes, whose
    /// payload is validated before, so only the database itself can fail them, and then the
    /// whole batch is rolled back and every write in it answered with an error (nothing of
    /// it acknowledged). A savepoint copies every page the write touches first; the partner
    /// writes are most of what the writer runs (docs/benchmarks.md).
    Batch,
}

/// The answer to the other writes of a batch that a `Scope::Batch` write failed.
const BATCH_FAILED: &str =
    "another write of the same batch failed in the database: nothing of the batch was written";

/// Statements the writer keeps prepared (more than the writes of one batch use together).
const STATEMENT_CACHE: usize = 64;

/// The SQLite store.
pub struct SqliteStore {
    path: PathBuf,
    /// Request log lines wait here; the writer adds them to the batch it commits next.
    logs: Arc<Mutex<Vec<LogLine>>>,
    jobs: Mutex<Option<mpsc::Sender<Message>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// Told to stop at shutdown (it checkpoints one last time).
    checkpoints: Mutex<Option<(std::sync::mpsc::Sender<()>, JoinHandle<()>)>>,
    /// Ends once the writer has (its queue closes with the writer).
    syncer: Mutex<Option<JoinHandle<()>>>,
    pub(super) readers: Arc<Mutex<Vec<Connection>>>,
    /// The throttle's windows: one process owns a SQLite file, so they live here.
    pub(super) throttle: crate::throttle::Throttle,
    /// Nothing is ever sent: no other server shares the file.
    pub(super) changes: tokio::sync::broadcast::Sender<super::Event>,
    pub(super) slot: u32,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

pub(super) fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl SqliteStore {
    /// Opens (creating if needed) the database file, applies the migrations and starts the
    /// writer.
    pub fn open(path: &Path, max_batch: usize, metrics: Arc<Metrics>) -> StoreResult<SqliteStore> {
        let mut conn = Connection::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        // COMMIT does not wait for the disk (synchronous = NORMAL): the syncer flushes the
        // log before any write is acknowledged. The checkpointer checkpoints; the writer never
        // does (wal_autocheckpoint = 0).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;
             PRAGMA wal_autocheckpoint = 0;",
        )
        .map_err(err)?;
        // After `busy_timeout`, which would replace it.
        conn.busy_handler(Some(wait_briefly)).map_err(err)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        migrate(&mut conn)?;
        let commits = Arc::new(AtomicU64::new(0));
        let checkpoints = checkpointer(path, commits.clone(), metrics.clone())?;
        let (tx, rx) = mpsc::channel::<Message>(16 * max_batch.max(1));
        let idle = Arc::new(AtomicBool::new(true));
        let (synced, syncer) = syncer(path, idle.clone(), tx.downgrade(), metrics.clone())?;
        let logs = Arc::new(Mutex::new(Vec::new()));
        let writer_logs = logs.clone();
        let writer = std::thread::Builder::new()
            .name("txstate-writer".into())
            .spawn(move || {
                let queues = Queues {
                    jobs: rx,
                    logs: &writer_logs,
                    spare_logs: Vec::new(),
                    synced,
                    idle: &idle,
                };
                write_loop(conn, queues, max_batch.max(1), &metrics, &commits);
            })
            .map_err(err)?;
        Ok(SqliteStore {
            path: path.to_owned(),
            logs,
            jobs: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
            checkpoints: Mutex::new(Some(checkpoints)),
            syncer: Mutex::new(Some(syncer)),
            readers: Arc::new(Mutex::new(Vec::new())),
            throttle: crate::throttle::Throttle::default(),
            changes: tokio::sync::broadcast::channel(1).0,
            slot: rand::random::<u32>() % 100,
        })
    }

    /// Runs `f` in the writer's current batch; resolves once the batch is committed.
    pub(super) fn write<T, F>(&self, f: F) -> BoxFuture<'static, StoreResult<T>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.write_counted(Scope::Own, move |conn, _| f(conn))
    }

    /// As [`write`](Self::write), in the given [`Scope`], for a write that may move counts:
    /// it adds them to the batch's tally.
    pub(super) fn write_counted<T, F>(
        &self,
        scope: Scope,
        f: F,
    ) -> BoxFuture<'static, StoreResult<T>>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Connection, &mut Tally<'c>) -> rusqlite::Result<T> + Send + 'static,
    {
        let sender = self.jobs.lock().ok().and_then(|g| g.clone());
        let (done, result) = oneshot::channel::<StoreResult<T>>();
        let run: Run = Box::new(move |conn, tally| {
            let r = f(conn, tally);
            let keep = r.is_ok();
            // Its own error first: a failing write's batch fails too, for its sake.
            let finish: Finish = Box::new(move |commit| {
                let _ = done.send(r.map_err(err).and_then(|v| commit.map(|()| v)));
            });
            (keep, finish)
        });
        let job = Job { run, scope };
        // Queued now, in call order, so that `flush` covers every write begun before it; only
        // a full queue waits (backpressure).
        // Only a write still to be queued keeps a sender: the writer stops once the store's
        // own is dropped (`shutdown`), even while answered writes' futures are still held.
        let pending = match sender {
            None => Err("the store is closed".to_owned()),
            Some(s) => match s.try_send(Message::Write(job)) {
                Ok(()) => Ok(None),
                Err(mpsc::error::TrySendError::Full(job)) => Ok(Some((s, job))),
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    Err("the writer has stopped".to_owned())
                }
            },
        };
        async move {
            if let Some((s, job)) = pending? {
                s.send(job)
                    .await
                    .map_err(|_| "the writer has stopped".to_owned())?;
            }
            result
                .await
                .map_err(|_| "the writer dropped a write".to_owned())?
        }
        .boxed()
    }

    /// Adds a request log line to the next batch. The first line of an empty buffer wakes the
    /// writer (with an empty job), so lines never wait for other traffic.
    pub(super) fn log(&self, line: LogLine) -> BoxFuture<'static, StoreResult<()>> {
        let was_empty = match self.logs.lock() {
            Ok(mut logs) => {
                let empty = logs.is_empty();
                logs.push(line);
                empty
            }
            Err(_) => {
                return async { Err("the request log buffer is poisoned".to_owned()) }.boxed()
            }
        };
        if was_empty {
            // The lines go in even when the batch's writes are rolled back (`write_loop`).
            self.write_counted(Scope::Batch, |_, _| Ok(()))
                .map(|r| r.or_else(|e| if e == BATCH_FAILED { Ok(()) } else { Err(e) }))
                .boxed()
        } else {
            async { Ok(()) }.boxed()
        }
    }

    /// Runs `f` on a read-only connection, off the async threads.
    pub(super) fn read<T, F>(&self, f: F) -> BoxFuture<'static, StoreResult<T>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let readers = self.readers.clone();
        let path = self.path.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let pooled = readers.lock().ok().and_then(|mut p| p.pop());
                let conn = match pooled {
                    Some(c) => c,
                    None => {
                        let c = Connection::open_with_flags(
                            &path,
                            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                        )
                        .map_err(err)?;
                        c.execute_batch("PRAGMA busy_timeout = 5000;")
                            .map_err(err)?;
                        c
                    }
                };
                let r = f(&conn).map_err(err);
                if let Ok(mut p) = readers.lock() {
                    if p.len() < 8 {
                        p.push(conn);
                    }
                }
                r
            })
            .await
            .map_err(err)?
        }
        .boxed()
    }

    /// Stops taking writes, waits for the writer to commit what is queued, then for a last
    /// checkpoint.
    pub(super) fn shutdown(&self) -> BoxFuture<'_, ()> {
        let sender = self.jobs.lock().ok().and_then(|mut g| g.take());
        let writer = self.writer.lock().ok().and_then(|mut g| g.take());
        let checkpoints = self.checkpoints.lock().ok().and_then(|mut g| g.take());
        let syncer = self.syncer.lock().ok().and_then(|mut g| g.take());
        async move {
            drop(sender);
            let _ = tokio::task::spawn_blocking(move || {
                for t in [writer, syncer].into_iter().flatten() {
                    let _ = t.join();
                }
                if let Some((stop, thread)) = checkpoints {
                    drop(stop);
                    let _ = thread.join();
                }
            })
            .await;
        }
        .boxed()
    }
}

/// The wait of the writer and the checkpointer for a lock the other holds (a restarting
/// checkpoint holds the writer back, `sqlite_sync.rs`): another try every 100 µs, for up to
/// about 5 s as `busy_timeout` would. SQLite's own busy timeout sleeps 1, 2, 5, 10 ms...
/// between tries: a batch waited 18 ms for a checkpoint of 9 ms, which itself spent most of
/// its time asleep waiting for the writer's read lock: most of the slowest requests under load.
pub(super) fn wait_briefly(tries: i32) -> bool {
    const EVERY: std::time::Duration = std::time::Duration::from_micros(100);
    if tries >= 50_000 {
        return false;
    }
    std::thread::sleep(EVERY);
    true
}

fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let done: usize = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    if done > MIGRATIONS.len() {
        return Err(format!(
            "the database has {done} migrations applied; this server knows {}: it is older than the database",
            MIGRATIONS.len()
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = conn.transaction().map_err(err)?;
        tx.execute_batch(sql)
            .map_err(|e| format!("migration {}: {e}", i + 1))?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
            .map_err(err)?;
        tx.commit().map_err(err)?;
        tracing::info!(migration = i + 1, "applied a database migration");
    }
    Ok(())
}

/// Runs one of the writer's own statements (prepared once).
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// What the writer takes from and hands on to.
struct Queues<'a> {
    jobs: mpsc::Receiver<Message>,
    /// Request log lines, added to the next batch.
    logs: &'a Mutex<Vec<LogLine>>,
    /// The lines' buffer of the batch before, emptied, swapped in for the next lines: the queue
    /// keeps its capacity (growing it anew a batch cost a large allocation or two a batch).
    spare_logs: Vec<LogLine>,
    /// Committed batches, answered once the log is on disk.
    synced: std::sync::mpsc::Sender<Vec<Finish>>,
    /// Whether the syncer has flushed every batch handed to it (it sends `Message::Flushed`
    /// when it becomes so).
    idle: &'a AtomicBool,
}

/// The writer's open transaction: the writes run in it so far.
struct Open {
    finishes: Vec<Finish>,
    /// A write of `Scope::Batch` failed: nothing of the transaction is kept.
    failed: bool,
    begun: Instant,
}

/// The writer: runs what is queued in one transaction, with a savepoint for each write that
/// fails alone (`Scope::Own`), and keeps that transaction open, running what comes next in
/// it, while the syncer is flushing: a write committed meanwhile would only be answered after
/// the next flush anyway. It commits — the batch's counts and request log lines with it — as
/// soon as the syncer is idle (at once when it already is), when `max_batch` writes are in it,
/// or when one failed; the syncer answers every write once its commit is on disk. One commit
/// per flush writes the pages the writes share (counters, the tables' last pages) to the log
/// once per flush instead of once per handful of writes.
fn write_loop(
    conn: Connection,
    mut q: Queues<'_>,
    max_batch: usize,
    metrics: &Metrics,
    commits: &AtomicU64,
) {
    let mut tally = Tally::new(&conn);
    let mut open: Option<Open> = None;
    while let Some(message) = q.jobs.blocking_recv() {
        let mut jobs = Vec::new();
        if let Message::Write(job) = message {
            jobs.push(job);
        }
        while jobs.len() < max_batch {
            match q.jobs.try_recv() {
                Ok(Message::Write(job)) => jobs.push(job),
                Ok(Message::Flushed) => {}
                Err(_) => break,
            }
        }
        if !jobs.is_empty() {
            let t = match open.take() {
                Some(t) => t,
                None => match run(&conn, "BEGIN IMMEDIATE") {
                    Ok(()) => Open {
                        finishes: Vec::with_capacity(jobs.len()),
                        failed: false,
                        begun: Instant::now(),
                    },
                    Err(e) => {
                        // Dropping the jobs answers each with an error: nothing was written.
                        tracing::error!(error = %e, "could not begin a write transaction");
                        continue;
                    }
                },
            };
            open = Some(run_jobs(&conn, &mut tally, t, jobs));
        }
        let due = open.as_ref().is_some_and(|t| {
            t.failed || t.finishes.len() >= max_batch || q.idle.load(Ordering::Acquire)
        });
        if due {
            if let Some(t) = open.take() {
                commit(&conn, &mut q, &mut tally, t, metrics, commits);
            }
        }
    }
    // The queue is closed (shutdown): what is open commits now.
    if let Some(t) = open.take() {
        commit(&conn, &mut q, &mut tally, t, metrics, commits);
    }
}

/// Runs `jobs` in the open transaction `t`.
fn run_jobs<'c>(conn: &'c Connection, tally: &mut Tally<'c>, mut t: Open, jobs: Vec<Job>) -> Open {
    for job in jobs {
        let own = job.scope == Scope::Own;
        if own {
            let _ = run(conn, "SAVEPOINT job");
        }
        let mark = tally.mark();
        let (keep, finish) = (job.run)(conn, tally);
        if own {
            if !keep {
                tally.undo(mark);
                let _ = run(conn, "ROLLBACK TO job");
            }
            let _ = run(conn, "RELEASE job");
        } else {
            t.failed |= !keep;
        }
        t.finishes.push(finish);
    }
    t
}

/// Commits the open transaction `t` with its counts and the request log lines queued so far,
/// and hands its writes to the syncer; or, when one of its writes failed, rolls it back,
/// answers them all with an error and commits the log lines alone.
fn commit<'c>(
    conn: &'c Connection,
    q: &mut Queues<'_>,
    tally: &mut Tally<'c>,
    t: Open,
    metrics: &Metrics,
    commits: &AtomicU64,
) {
    let Open {
        mut finishes,
        failed,
        begun,
    } = t;
    if failed {
        tally.undo(0);
        let _ = run(conn, "ROLLBACK");
        tracing::error!(
            writes = finishes.len(),
            "a write failed in the database: its batch is rolled back"
        );
        for finish in finishes.drain(..) {
            finish(Err(BATCH_FAILED.to_owned()));
        }
        // The request log lines still go in, in a transaction of their own.
        if let Err(e) = run(conn, "BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "could not begin a write transaction");
            return;
        }
    }
    // The request log lines queued so far ride along (a failing one is dropped alone).
    let mut lines = std::mem::take(&mut q.spare_logs);
    if let Ok(mut queued) = q.logs.lock() {
        std::mem::swap(&mut *queued, &mut lines);
    }
    if let Err(e) = super::sqlite_writes::log(tally, &lines) {
        tracing::warn!(error = %e, lines = lines.len(), "could not write request log lines");
    }
    let committed = tally
        .write()
        .and_then(|()| run(conn, "COMMIT"))
        .map_err(err);
    metrics.observe_batch(Writer::Sqlite, finishes.len(), begun.elapsed());
    if let Err(e) = committed {
        tally.undo(0);
        let _ = run(conn, "ROLLBACK");
        tracing::error!(error = %e, "a batch failed to commit");
        for finish in finishes {
            finish(Err(e.clone()));
        }
        return;
    }
    commits.fetch_add(1, Ordering::Relaxed);
    q.idle.store(false, Ordering::Release);
    if let Err(std::sync::mpsc::SendError(finishes)) = q.synced.send(finishes) {
        for finish in finishes {
            finish(Err("the log flusher has stopped".to_owned()));
        }
    }
    lines.clear();
    q.spare_logs = lines;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn insert(sql: &'static str) -> impl FnOnce(&Connection) -> rusqlite::Result<()> {
        move |c| c.execute(sql, []).map(|_| ())
    }

    /// Writes queued when the store closes are committed and answered (the writer commits
    /// the transaction it holds open for the syncer before it stops), and none waits for a
    /// flush that is not coming.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_queued_at_close_are_committed_and_answered() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.db");
        let store = SqliteStore::open(&path, 16, Arc::default()).expect("open");
        // Fewer than the queue holds (16 x 16): each is queued when it is made.
        let writes: Vec<_> = (0..200)
            .map(|i| {
                store.write_counted(Scope::Batch, move |c, _| {
                    c.execute(
                        "INSERT INTO settings (key, value) VALUES (?1, 'v')",
                        [format!("k{i}")],
                    )
                    .map(|_| ())
                })
            })
            .collect();
        store.close().await;
        for (i, w) in writes.into_iter().enumerate() {
            w.await.unwrap_or_else(|e| panic!("write {i}: {e}"));
        }
        let conn = Connection::open(&path).expect("reopen");
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM settings WHERE key LIKE 'k%'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(n, 200);
    }

    /// A partner write that fails in the database takes its whole batch with it (nothing of
    /// it is written, every write in it is answered with an error, its own first), the
    /// request log lines still go in, and the writer goes on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_partner_write_fails_its_batch_but_not_the_log() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("t.db"), 64, Arc::default()).expect("open");
        // Hold the writer in a batch of its own until the next batch is queued whole.
        let (started_tx, started) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let gate = tokio::spawn(store.write(move |_| {
            let _ = started_tx.send(());
            let _ = released.recv();
            Ok(())
        }));
        tokio::task::spawn_blocking(move || started.recv())
            .await
            .expect("join")
            .expect("the writer runs the gate");
        let admin = store.write(insert(
            "INSERT INTO settings (key, value) VALUES ('admin', '1')",
        ));
        let partner = store.write_counted(Scope::Batch, |c, _| {
            insert("INSERT INTO settings (key, value) VALUES ('partner', '1')")(c)
        });
        let failing = store.write_counted(Scope::Batch, |c, _| {
            insert("INSERT INTO no_such_table VALUES (1)")(c)
        });
        let logged = store.log(LogLine::from(crate::store::LogEntry {
            transaction_id: "NTS_LOGGED".into(),
            ..Default::default()
        }));
        release.send(()).expect("release");
        gate.await.expect("join").expect("the gate's batch commits");
        assert_eq!(admin.await, Err(BATCH_FAILED.to_owned()));
        assert_eq!(partner.await, Err(BATCH_FAILED.to_owned()));
        let own = failing.await.expect_err("the failing write fails");
        assert!(own.contains("no_such_table"), "{own}");
        logged.await.expect("the log line is written");
        for key in ["admin", "partner"] {
            assert_eq!(store.setting(key.into()).await, Ok(None), "{key}");
        }
        let line = store.request("NTS_LOGGED".into()).await.expect("read");
        assert!(line.is_some(), "the log line survives its batch");
        // The writer goes on; an admin write that fails still fails alone.
        let bad = store.write(insert("INSERT INTO no_such_table VALUES (1)"));
        let good = store.write(insert(
            "INSERT INTO settings (key, value) VALUES ('after', '1')",
        ));
        assert!(bad.await.is_err());
        good.await.expect("a write beside a failing admin write");
        assert_eq!(store.setting("after".into()).await, Ok(Some("1".into())));
        store.close().await;
    }
}
