//! The writes that carry the contract's rules on PostgreSQL (as `sqlite_writes.rs` on
//! SQLite; notifications are batched: `postgres_batch.rs`): each is one transaction, so the counts move with the rows they count. Two servers
//! writing the same transaction meet at its row: the insert that loses waits for the winner's
//! commit, then reads the row `FOR UPDATE` and compares with what is stored then. Counter rows
//! are locked in one order, so writers never deadlock one another; should the database still
//! abort a transaction as a deadlock or a serialization failure, it is run again.

use std::collections::BTreeMap;
use std::future::Future;

use deadpool_postgres::{Object, Pool};
use tokio_postgres::error::SqlState;
use txstate_core::stateful::{self, VoiceStep};
use txstate_core::voice_stats::{CallFacts, VoiceStats};

use super::postgres::{connection, db_err};
use super::{StoreResult, VoiceOutcome, VoiceWrite};
use crate::metrics::{Metrics, Writer};

/// How often a transaction aborted by a deadlock or a serialization failure is run again.
const ATTEMPTS: usize = 5;

type PgResult<T> = Result<T, tokio_postgres::Error>;

/// Runs `f` (`size` writes) on a pooled connection, again when the database aborted it as a
/// deadlock or a serialization failure.
pub async fn retrying<T, F, Fut>(
    pool: &Pool,
    metrics: &Metrics,
    size: usize,
    mut f: F,
) -> StoreResult<T>
where
    F: FnMut(Object) -> Fut,
    Fut: Future<Output = PgResult<T>>,
{
    let mut attempt = 1;
    loop {
        let client = connection(pool).await?;
        let started = std::time::Instant::now();
        match f(client).await {
            Ok(v) => {
                metrics.observe_batch(Writer::Postgres, size, started.elapsed());
                return Ok(v);
            }
            Err(e)
                if attempt < ATTEMPTS
                    && matches!(
                        e.code(),
                        Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED
                            || *c == SqlState::T_R_SERIALIZATION_FAILURE
                    ) =>
            {
                tracing::debug!(attempt, error = %e, "a write was aborted by the database; running it again");
                attempt += 1;
            }
            Err(e) => return Err(db_err(e)),
        }
    }
}

/// Records a voice update: an older call-endtime than the stored one is a stale retry; the
/// identical update is a repeat; anything else replaces the stored record (history kept) and
/// moves the figures of the call's deployment ('' when its transaction id was not registered).
pub async fn voice(mut c: Object, w: &VoiceWrite, payload: &str) -> PgResult<VoiceOutcome> {
    let tid = w.payload.transaction_id.as_ref();
    let tx = c.transaction().await?;
    let dep: String = tx
        .query_opt(
            "SELECT deployment_id FROM registered_transactions WHERE transaction_id = $1",
            &[&tid],
        )
        .await?
        .map(|r| r.get(0))
        .unwrap_or_default();
    let inserted = tx
        .execute(
            "INSERT INTO voice_calls (transaction_id, deployment_id, call_end_ms, payload, op_transaction_id, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (transaction_id) DO NOTHING",
            &[&tid, &dep, &w.call_end_ms, &payload, &w.transaction_id, &w.at_ms],
        )
        .await?;
    let facts = CallFacts::of(&w.payload);
    // The figures to move, per deployment: what to take out, what to add.
    let mut moves: BTreeMap<String, (Option<CallFacts>, Option<CallFacts>)> = BTreeMap::new();
    if inserted == 0 {
        let row = tx
            .query_one(
                "SELECT call_end_ms, payload, op_transaction_id, deployment_id FROM voice_calls
                 WHERE transaction_id = $1 FOR UPDATE",
                &[&tid],
            )
            .await?;
        let (end, old, op, old_dep): (i64, String, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        match stateful::voice(Some((end, &old)), w.call_end_ms, payload) {
            VoiceStep::Stale => return Ok(VoiceOutcome::Stale),
            VoiceStep::Repeat => return Ok(VoiceOutcome::Repeat(op)),
            VoiceStep::New | VoiceStep::Replace => {}
        }
        if let Ok(old) = serde_json::from_str::<txstate_core::VoicePayload<'_>>(&old) {
            moves.entry(old_dep).or_default().0 = Some(CallFacts::of(&old));
        }
        tx.execute(
            "UPDATE voice_calls SET deployment_id = $2, call_end_ms = $3, payload = $4, op_transaction_id = $5, updated_at = $6
             WHERE transaction_id = $1",
            &[&tid, &dep, &w.call_end_ms, &payload, &w.transaction_id, &w.at_ms],
        )
        .await?;
    }
    moves.entry(dep).or_default().1 = Some(facts);
    let empty = serde_json::to_string(&VoiceStats::default()).unwrap_or_else(|_| "{}".into());
    for (d, (out, into)) in &moves {
        tx.execute(
            "INSERT INTO voice_stats (deployment_id, stats) VALUES ($1, $2) ON CONFLICT (deployment_id) DO NOTHING",
            &[d, &empty],
        )
        .await?;
        let text: String = tx
            .query_one(
                "SELECT stats FROM voice_stats WHERE deployment_id = $1 FOR UPDATE",
                &[d],
            )
            .await?
            .get(0);
        let mut s: VoiceStats = serde_json::from_str(&text).unwrap_or_default();
        if let Some(o) = out {
            s.remove(o);
        }
        if let Some(i) = into {
            s.add(i);
        }
        let text = serde_json::to_string(&s).unwrap_or(text);
        tx.execute(
            "UPDATE voice_stats SET stats = $2 WHERE deployment_id = $1",
            &[d, &text],
        )
        .await?;
    }
    tx.execute(
        "INSERT INTO voice_history (transaction_id, op_transaction_id, payload, received_at) VALUES ($1, $2, $3, $4)",
        &[&tid, &w.transaction_id, &payload, &w.at_ms],
    )
    .await?;
    tx.commit().await?;
    Ok(VoiceOutcome::Stored)
}
