//! What every partner request asks of PostgreSQL goes out in batches: what arrives while
//! earlier batches are running waits in a queue and goes out as the next batch, one round trip
//! for all of it, the way SQLite's writer does group commit.
//!
//! - Notifications: one statement and one commit for the batch (`txstate_notify_batch()`,
//!   migration 0005); each is answered only after that commit. A few batches run at once, on
//!   their own pooled connections, each adding to its own counter shard.
//! - The throttle: the requests of one user that arrived together are admitted with one call
//!   (`txstate_admit_ahead()`), one lock of the user's row instead of one each, so a busy user's
//!   row is not where every request queues; that call takes admissions ahead for the requests
//!   about to arrive (`postgres_ahead.rs`).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use deadpool_postgres::Pool;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot, Notify, Semaphore};
use tokio::task::JoinHandle;
use txstate_core::payload::InfoText;

use super::postgres::{connection, db_err};
use super::postgres_ahead::{Ahead, Ask};
use super::postgres_writes::retrying;
use super::{NotifyOutcome, NotifyWrite, RateLimit, StoreResult};
use crate::metrics::Metrics;

/// Notification batches committed at once: two, so that one runs while the other commits.
/// A call of the batch function takes the database about as long at 21 notifications as at
/// 16 (its statements' start-up, not their rows: `docs/benchmarks.md`), and four batches at
/// once only made them smaller: one server beside its database went 5-15 % faster with two,
/// with 15-20 % less of the database's CPU a notification.
const NOTIFY_IN_FLIGHT: u32 = 2;

/// Throttle batches at once: one, so that requests queued while a call took admissions ahead
/// spend those before the next call (two calls out at once could see one refuse requests
/// while the other's admissions go unspent).
const ADMIT_IN_FLIGHT: u32 = 1;

/// Counter rows per key (`shard` in the counter tables; readers sum them). Each notification
/// batch in flight of each server takes its own, so concurrent batches rarely meet on one.
const SHARDS: u32 = 64;

/// Something waiting for its batch, and who to answer.
type Queued<T, R> = (T, oneshot::Sender<StoreResult<R>>);

/// A notification waiting for its batch.
pub(super) type QueuedNotification = Queued<NotifyWrite, NotifyOutcome>;

/// A request waiting for the throttle: its user and the user's limit (the answer's `Err`: the
/// seconds to wait).
pub(super) type QueuedAdmission = Queued<(String, RateLimit), Result<(), u64>>;

/// Queues `item` for its batch and waits for the answer.
pub(super) fn ask<T: Send + 'static, R: Send + 'static>(
    queue: &Mutex<Option<mpsc::Sender<Queued<T, R>>>>,
    item: T,
) -> BoxFuture<'static, StoreResult<R>> {
    let queue = queue.lock().ok().and_then(|q| q.clone());
    async move {
        let queue = queue.ok_or("the store is closed")?;
        let (answer, answered) = oneshot::channel();
        queue
            .send((item, answer))
            .await
            .map_err(|_| "the database batcher has stopped".to_owned())?;
        answered
            .await
            .map_err(|_| "the database batcher dropped a request".to_owned())?
    }
    .boxed()
}

/// A batch smaller than this waits for more while another batch is running (see
/// [`batches`]): each call of the batch function costs about a millisecond of the database's
/// CPU whatever its size, so many small batches side by side cost more than a few full ones.
/// 32 rather than 16: batches of 24-25 notifications instead of 20 under 64 connections, the
/// database's CPU a notification 46-58 µs against 59-66 µs, the same p99 (`docs/benchmarks.md`).
const MIN_FILL: usize = 32;

/// Takes what is queued in batches of at most `max_batch` while one of `in_flight` slots is
/// free, and runs `run(batch, slot)` for each; ends when the queue is closed and every batch
/// has run. A batch starts at once when no other is running; while others run, it starts once
/// it holds [`MIN_FILL`] items or none of them is running any more, whichever comes first
/// (never on a timer: under light load a request waits for at most the batches ahead of it).
fn batches<T, F, Fut>(
    mut queue: mpsc::Receiver<T>,
    max_batch: usize,
    in_flight: u32,
    run: F,
) -> JoinHandle<()>
where
    T: Send + 'static,
    F: Fn(Vec<T>, u32) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let slots = Arc::new(Semaphore::new(in_flight as usize));
        let ended = Arc::new(Notify::new());
        let min_fill = MIN_FILL.min(max_batch);
        let mut next = 0u32;
        loop {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            let Some(first) = queue.recv().await else {
                break;
            };
            let mut batch = vec![first];
            loop {
                while batch.len() < max_batch {
                    match queue.try_recv() {
                        Ok(q) => batch.push(q),
                        Err(_) => break,
                    }
                }
                // The permit held here is this batch's; any other taken is a running batch.
                let others_running = slots.available_permits() + 1 < in_flight as usize;
                if batch.len() >= min_fill || !others_running {
                    break;
                }
                tokio::select! {
                    more = queue.recv() => match more {
                        Some(q) => batch.push(q),
                        // Closed: this batch goes now; the next `recv` ends the loop.
                        None => break,
                    },
                    () = ended.notified() => {}
                }
            }
            let running = run(batch, next);
            next = (next + 1) % in_flight;
            let ended = ended.clone();
            tokio::spawn(async move {
                running.await;
                drop(permit);
                ended.notify_one();
            });
        }
        let _ = slots.acquire_many(in_flight).await;
    })
}

/// The notification batcher of a server in instance slot `slot`.
pub(super) fn notifications(
    pool: Pool,
    metrics: Arc<Metrics>,
    slot: u32,
    queue: mpsc::Receiver<QueuedNotification>,
    max_batch: usize,
) -> JoinHandle<()> {
    batches(queue, max_batch, NOTIFY_IN_FLIGHT, move |batch, n| {
        let (pool, metrics) = (pool.clone(), metrics.clone());
        let shard = ((slot * NOTIFY_IN_FLIGHT + n) % SHARDS) as i16;
        async move { record(&pool, &metrics, batch, shard).await }
    })
}

/// The throttle's batcher.
pub(super) fn admissions(
    pool: Pool,
    metrics: Arc<Metrics>,
    ahead: Arc<Ahead>,
    queue: mpsc::Receiver<QueuedAdmission>,
    max_batch: usize,
) -> JoinHandle<()> {
    batches(queue, max_batch, ADMIT_IN_FLIGHT, move |batch, _| {
        let (pool, metrics, ahead) = (pool.clone(), metrics.clone(), ahead.clone());
        async move { admit(&pool, &metrics, &ahead, batch).await }
    })
}

/// Records one batch and answers each of its notifications. When the batch as a whole fails
/// (not a deadlock: those are run again), each notification is tried alone, so one that the
/// database refuses does not take its neighbours down with it.
async fn record(pool: &Pool, metrics: &Metrics, batch: Vec<QueuedNotification>, shard: i16) {
    let writes: Vec<&NotifyWrite> = batch.iter().map(|(w, _)| w).collect();
    match retrying(pool, metrics, writes.len(), |c| run(c, &writes, shard)).await {
        Ok(outcomes) => {
            for ((_, answer), outcome) in batch.into_iter().zip(outcomes) {
                let _ = answer.send(outcome.ok_or_else(missing));
            }
        }
        Err(e) if batch.len() == 1 => {
            for (_, answer) in batch {
                let _ = answer.send(Err(e.clone()));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, size = batch.len(), "a batch of notifications failed; recording each alone");
            for (w, answer) in batch {
                let one = [&w];
                let alone = retrying(pool, metrics, 1, |c| run(c, &one, shard)).await;
                let _ = answer.send(alone.and_then(|mut o| o.pop().flatten().ok_or_else(missing)));
            }
        }
    }
}

/// The function answered no row for a notification (a bug in it, never a partner's doing).
fn missing() -> String {
    "the database gave no outcome for a notification".to_owned()
}

/// One call of `txstate_notify_batch()`: the outcomes in the order of `writes`.
async fn run(
    c: deadpool_postgres::Object,
    writes: &[&NotifyWrite],
    shard: i16,
) -> Result<Vec<Option<NotifyOutcome>>, tokio_postgres::Error> {
    let column = |f: fn(&NotifyWrite) -> Option<&str>| -> Vec<Option<&str>> {
        writes.iter().map(|w| f(w)).collect()
    };
    let dep = column(|w| Some(w.payload.deployment_id.as_ref()));
    let r#ref = column(|w| Some(w.payload.ref_trans_id.as_ref()));
    let tid = column(|w| Some(w.transaction_id.as_str()));
    let state = column(|w| Some(w.payload.response_state.as_str()));
    let code = column(|w| w.payload.response_code.as_deref());
    let desc = column(|w| w.payload.response_desc.as_deref());
    let time = column(|w| w.payload.response_time.as_deref());
    let info: Vec<_> = writes
        .iter()
        .map(|w| w.payload.additional_info.as_ref().map(InfoText::text))
        .collect();
    let at: Vec<i64> = writes.iter().map(|w| w.at_ms).collect();
    let st = c
        .prepare_cached(
            "SELECT pos, outcome, operation_id FROM txstate_notify_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .await?;
    let rows = c
        .query(
            &st,
            &[
                &dep, &r#ref, &tid, &state, &code, &desc, &time, &info, &at, &shard,
            ],
        )
        .await?;
    let mut outcomes: Vec<Option<NotifyOutcome>> = writes.iter().map(|_| None).collect();
    for row in rows {
        let pos: i32 = row.get(0);
        let outcome = match row.get::<_, &str>(1) {
            "new" => NotifyOutcome::New,
            "replaced" => NotifyOutcome::Replaced,
            _ => NotifyOutcome::Repeat(row.get(2)),
        };
        if let Some(slot) = usize::try_from(pos - 1)
            .ok()
            .and_then(|i| outcomes.get_mut(i))
        {
            *slot = Some(outcome);
        }
    }
    Ok(outcomes)
}

/// Admits a batch: one call per user and limit, in the order the requests came.
async fn admit(pool: &Pool, metrics: &Metrics, ahead: &Ahead, mut batch: Vec<QueuedAdmission>) {
    while !batch.is_empty() {
        let (user, limit) = batch[0].0.clone();
        let (group, rest): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .partition(|((u, l), _)| *u == user && *l == limit);
        batch = rest;
        let mut answers: Vec<_> = group.into_iter().map(|(_, answer)| answer).collect();
        // Those that queued while the last call took admissions ahead spend them first.
        let spent = ahead.spend(&user, limit, answers.len(), Instant::now());
        metrics.observe_admitted_ahead(spent);
        for answer in answers.drain(..spent) {
            let _ = answer.send(Ok(Ok(())));
        }
        if answers.is_empty() {
            continue;
        }
        let ask = ahead.ask(&user, limit, answers.len());
        let sent = Instant::now();
        match admit_call(pool, &user, limit, answers.len(), ask).await {
            Ok((admitted, wait_us, taken)) => {
                ahead.keep(&user, limit, taken, sent);
                for (i, answer) in answers.into_iter().enumerate() {
                    let verdict = if i < admitted {
                        Ok(())
                    } else {
                        Err(wait_us.div_ceil(1_000_000).max(1))
                    };
                    let _ = answer.send(Ok(verdict));
                }
            }
            Err(e) => {
                for answer in answers {
                    let _ = answer.send(Err(e.clone()));
                }
            }
        }
    }
}

/// One call of `txstate_admit_ahead()`: how many of `n` requests pass, the µs the first
/// refused one must wait, and how many admissions were taken ahead.
async fn admit_call(
    pool: &Pool,
    user: &str,
    limit: RateLimit,
    n: usize,
    ask: Ask,
) -> StoreResult<(usize, u64, u32)> {
    let requests = i64::from(limit.requests.max(1));
    let window = i64::from(limit.per_seconds.max(1)) * 1_000_000;
    let interval = window / requests;
    let n = i32::try_from(n).unwrap_or(i32::MAX);
    let int = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    let c = connection(pool).await?;
    let st = c
        .prepare_cached(
            "SELECT admitted, wait_us, ahead FROM txstate_admit_ahead($1, $2, $3, $4, $5, $6)",
        )
        .await
        .map_err(db_err)?;
    let row = c
        .query_one(
            &st,
            &[
                &user,
                &interval,
                &(window - interval),
                &n,
                &int(ask.ahead),
                &int(ask.returned),
            ],
        )
        .await
        .map_err(db_err)?;
    let admitted: i32 = row.get(0);
    let wait_us: i64 = row.get(1);
    let taken: i32 = row.get(2);
    Ok((
        usize::try_from(admitted).unwrap_or(0),
        u64::try_from(wait_us).unwrap_or(0),
        u32::try_from(taken).unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Batches as they start: their items; each runs until the test lets it end.
    type Started = mpsc::UnboundedReceiver<(Vec<u32>, oneshot::Sender<()>)>;

    fn batcher(max_batch: usize, in_flight: u32) -> (mpsc::Sender<u32>, Started, JoinHandle<()>) {
        let (items, queue) = mpsc::channel(1024);
        let (started, starts) = mpsc::unbounded_channel();
        let handle = batches(queue, max_batch, in_flight, move |batch, _| {
            let started = started.clone();
            async move {
                let (end, ended) = oneshot::channel();
                let _ = started.send((batch, end));
                let _ = ended.await;
            }
        });
        (items, starts, handle)
    }

    #[tokio::test]
    async fn a_small_batch_waits_for_the_running_one_or_for_enough_items() {
        let (items, mut starts, handle) = batcher(100, 2);
        // Nothing running: one item goes at once.
        items.send(0).await.unwrap();
        let (first, end_first) = starts.recv().await.unwrap();
        assert_eq!(first, vec![0]);
        // One running: the next batch fills to MIN_FILL before it starts, however the items
        // trickle in.
        for i in 1..=MIN_FILL as u32 {
            items.send(i).await.unwrap();
        }
        let (second, end_second) = starts.recv().await.unwrap();
        assert_eq!(second, (1..=MIN_FILL as u32).collect::<Vec<_>>());
        // A slot frees while the second still runs: the next batch fills again.
        end_first.send(()).unwrap();
        for i in 100..100 + MIN_FILL as u32 {
            items.send(i).await.unwrap();
        }
        let (third, end_third) = starts.recv().await.unwrap();
        assert_eq!(third, (100..100 + MIN_FILL as u32).collect::<Vec<_>>());
        // Once nothing runs, what waited goes, though it is small.
        items.send(200).await.unwrap();
        items.send(201).await.unwrap();
        end_second.send(()).unwrap();
        end_third.send(()).unwrap();
        let (fourth, end_fourth) = starts.recv().await.unwrap();
        assert_eq!(fourth, vec![200, 201]);
        // Closing the queue ends the batcher once the running batches end.
        drop(items);
        end_fourth.send(()).unwrap();
        handle.await.unwrap();
        assert!(starts.recv().await.is_none());
    }

    #[tokio::test]
    async fn the_last_items_run_when_the_queue_closes() {
        let (items, mut starts, handle) = batcher(100, 2);
        items.send(0).await.unwrap();
        let (_, end_first) = starts.recv().await.unwrap();
        items.send(1).await.unwrap();
        drop(items);
        // The small batch waits for the running one or the queue's end, not for MIN_FILL.
        let (last, end_last) = starts.recv().await.unwrap();
        assert_eq!(last, vec![1]);
        end_last.send(()).unwrap();
        end_first.send(()).unwrap();
        handle.await.unwrap();
    }
}
