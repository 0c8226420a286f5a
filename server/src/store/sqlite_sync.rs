//! What makes the SQLite writer's commits durable without making it wait: the syncer flushes
//! the write-ahead log to disk and only then answers the writes of the batches committed
//! before the flush; the checkpointer copies the log back into the database file. Both run
//! on threads of their own, so the writer goes on with the next batch meanwhile.
//!
//! The writer's connection runs with `synchronous = NORMAL`: a COMMIT appends the batch to the
//! log (the `-wal` file) without an fsync. An fsync of that file, from any descriptor, puts
//! every commit appended before it on disk; the log is only rewound by a checkpoint, which
//! syncs the log before copying it and the database file after. So a write acknowledged after
//! the syncer's flush survives a power cut, as with `synchronous = FULL`, and one flush serves
//! every batch committed while the previous one ran.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::mpsc::WeakSender;

use super::sqlite::{err, wait_briefly, Finish, Message};
use super::StoreResult;
use crate::metrics::{Checkpoint, Metrics};

/// How often the checkpointer looks for committed batches to copy back into the database file.
/// Forty times a second: a checkpoint stalls the writes answered meanwhile in proportion to
/// what it copies and flushes (traced under wrk: every 200 ms, 8-17 ms of copying and a 7 ms
/// flush of the database file, behind which the log's flush waits; every 50 ms, 2-6 ms and 2
/// ms). p99 at 64 connections, alternating runs of one build: 1 s 14.0 ms, 200 ms 6.6-7.9 ms,
/// 100 ms 6.2-6.5 ms, 50 ms 5.0-5.05 ms, 25 ms 3.65-3.8 ms, 10 ms 2.9-3.9 ms (and once a 40 ms
/// slowest request), at the same rate and bytes written a request (docs/benchmarks.md). The
/// thread sleeps between checkpoints, so a slow disk only makes them rarer. Before 2026-12-04
/// once a second, then every 200 ms.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(25);

/// The syncer: answers committed batches once the log is on disk. Ends when the writer drops
/// its sender (after answering what was sent).
pub(super) fn syncer(
    db: &Path,
    idle: Arc<AtomicBool>,
    writer: WeakSender<Message>,
    metrics: Arc<Metrics>,
) -> StoreResult<(Sender<Vec<Finish>>, JoinHandle<()>)> {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    // Opened after the writer's connection has read the database: SQLite has created it.
    let log =
        std::fs::File::open(&wal).map_err(|e| format!("{}: {e}", Path::new(&wal).display()))?;
    let (committed, batches) = channel::<Vec<Finish>>();
    let thread = std::thread::Builder::new()
        .name("txstate-sync".into())
        .spawn(move || sync_loop(&log, &batches, &idle, &writer, &metrics))
        .map_err(err)?;
    Ok((committed, thread))
}

/// Tells the writer when everything handed over is flushed (`idle`, and a message that wakes
/// it): its open transaction then commits.
fn sync_loop(
    log: &std::fs::File,
    batches: &Receiver<Vec<Finish>>,
    idle: &AtomicBool,
    writer: &WeakSender<Message>,
    metrics: &Metrics,
) {
    while let Ok(mut waiting) = batches.recv() {
        while let Ok(more) = batches.try_recv() {
            waiting.extend(more);
        }
        let began = Instant::now();
        let synced = log
            .sync_data()
            .map_err(|e| format!("the write-ahead log could not be flushed to disk: {e}"));
        metrics.observe_log_flush(began.elapsed());
        if let Err(e) = &synced {
            tracing::error!(error = %e, "a batch is committed but not known to be on disk");
        }
        for finish in waiting {
            finish(synced.clone());
        }
        idle.store(true, Ordering::Release);
        // A full queue wakes the writer anyway; a closed one means it is stopping.
        if let Some(writer) = writer.upgrade() {
            let _ = writer.try_send(Message::Flushed);
        }
    }
}

/// The checkpointer: every [`CHECKPOINT_EVERY`] that saw a commit, a passive checkpoint on a
/// connection of its own (it copies what no reader still needs and never blocks the writer);
/// a last one when told to stop (its sender dropped). Under steady writes a passive
/// checkpoint never catches up with the writer, and SQLite reuses the log from its start only
/// once it has: so when the log holds more than [`RESTART_FRAMES`], the passive checkpoint
/// (which copied nearly all of it) is followed by a restarting one, which copies the rest and
/// rewinds the log, holding the writer back only for that rest.
pub(super) fn checkpointer(
    path: &Path,
    commits: Arc<AtomicU64>,
    metrics: Arc<Metrics>,
) -> StoreResult<(Sender<()>, JoinHandle<()>)> {
    let conn = Connection::open(path).map_err(err)?;
    let db = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // The restarting checkpoint holds the writer back while it waits for the log's readers
    // (the writer itself, trying again): it tries again as often as the writer does.
    conn.busy_handler(Some(wait_briefly)).map_err(err)?;
    let (stop, stopped) = channel::<()>();
    let thread = std::thread::Builder::new()
        .name("txstate-checkpoint".into())
        .spawn(move || {
            let mut seen = 0;
            loop {
                let last = matches!(
                    stopped.recv_timeout(CHECKPOINT_EVERY),
                    Err(RecvTimeoutError::Disconnected)
                );
                let now = commits.load(Ordering::Relaxed);
                if now != seen || last {
                    seen = now;
                    if let Err(e) = checkpoint(&conn, &db, last, &metrics) {
                        tracing::warn!(error = %e, "a checkpoint failed");
                    }
                }
                if last {
                    break;
                }
            }
        })
        .map_err(err)?;
    Ok((stop, thread))
}

/// Frames (4 KiB pages) the log may hold before it is rewound: 64 MiB.
const RESTART_FRAMES: i64 = 16_384;

/// One passive checkpoint, the database file flushed to disk, and a restarting checkpoint
/// when the log has grown past [`RESTART_FRAMES`]. The `last` one (the writer has stopped)
/// empties the log file: the database file alone then holds everything, as operators
/// copying it expect.
///
/// SQLite flushes the database file only after a checkpoint that copied the whole log, which
/// under steady writes is only ever the restarting one — and that one holds the writer back
/// until it is done: it had every page the passive ones copied since the last restart to
/// flush (14 ms under wrk, traced). Flushed here after each passive one, outside SQLite's
/// locks, it has little left.
fn checkpoint(
    conn: &Connection,
    db: &std::fs::File,
    last: bool,
    metrics: &Metrics,
) -> rusqlite::Result<()> {
    // The log's frames.
    let run = |mode: &str| {
        conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
            r.get::<_, i64>(1)
        })
    };
    if last {
        run("TRUNCATE")?;
        return Ok(());
    }
    let began = Instant::now();
    let frames = run("PASSIVE")?;
    if let Err(e) = db.sync_data() {
        tracing::warn!(error = %e, "the database file could not be flushed after a checkpoint");
    }
    metrics.observe_checkpoint(Checkpoint::Passive, began.elapsed());
    if frames > RESTART_FRAMES {
        let began = Instant::now();
        run("RESTART")?;
        metrics.observe_checkpoint(Checkpoint::Restart, began.elapsed());
    }
    Ok(())
}
