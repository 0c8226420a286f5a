//! The writes that carry the contract's rules (contract: "Idempotency" of notify, stale and
//! repeated voice updates), each run inside the writer's batch transaction so the counts move
//! with the rows they count.

use rusqlite::{params, Connection, OptionalExtension};
use txstate_core::payload::InfoText;
use txstate_core::stateful::{self, NotifyStep, VoiceStep};
use txstate_core::voice_stats::{CallFacts, VoiceStats};

use super::{LogLine, NotifyOutcome, NotifyWrite, VoiceOutcome, VoiceWrite};

use super::shared::HOUR_MS;

/// Records a notification. Same outcome again: nothing changes. Another outcome: it replaces
/// the earlier one, the counts move, and both stay in the history.
pub fn notification(
    conn: &Connection,
    tally: &mut Tally<'_>,
    w: &NotifyWrite,
) -> rusqlite::Result<NotifyOutcome> {
    let p = &w.payload;
    let (dep, r) = (p.deployment_id.as_ref(), p.ref_trans_id.as_ref());
    let state = p.response_state.as_str();
    let code = p.response_code.as_deref().unwrap_or("");
    let info = p.additional_info.as_ref().map(InfoText::text);
    let new = tally
        .prepared(
            "INSERT INTO notifications (deployment_id, ref_trans_id, transaction_id, response_state,
             response_code, response_desc, response_time, additional_info, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (deployment_id, ref_trans_id) DO NOTHING",
        )?
        .execute(params![dep, r, w.transaction_id, state, p.response_code, p.response_desc, p.response_time, info, w.at_ms])?;
    let outcome = if new == 1 {
        NotifyOutcome::New
    } else {
        let (first, old_state, old_code, old_at): (String, String, Option<String>, i64) = conn
            .prepare_cached(
                "SELECT transaction_id, response_state, response_code, received_at FROM notifications
                 WHERE deployment_id = ?1 AND ref_trans_id = ?2",
            )?
            .query_row(params![dep, r], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?;
        let old_code = old_code.unwrap_or_default();
        match stateful::notify(Some((&old_state, &old_code)), state, code) {
            NotifyStep::Repeat => return Ok(NotifyOutcome::Repeat(first)),
            NotifyStep::New | NotifyStep::Replace => {}
        }
        conn.prepare_cached(
            "UPDATE notifications SET transaction_id = ?3, response_state = ?4, response_code = ?5,
             response_desc = ?6, response_time = ?7, additional_info = ?8, received_at = ?9
             WHERE deployment_id = ?1 AND ref_trans_id = ?2",
        )?
        .execute(params![
            dep,
            r,
            w.transaction_id,
            state,
            p.response_code,
            p.response_desc,
            p.response_time,
            info,
            w.at_ms
        ])?;
        tally.add(dep, &old_state, &old_code, old_at, -1);
        NotifyOutcome::Replaced
    };
    tally.add(dep, state, code, w.at_ms, 1);
    tally
        .prepared(
            "INSERT INTO notification_history (deployment_id, ref_trans_id, transaction_id, response_state, response_code, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![dep, r, w.transaction_id, state, p.response_code, w.at_ms])?;
    Ok(outcome)
}

/// The counts' moves of one batch (the report's, the dashboard's and the hour's), summed and
/// written once per counter row just before the batch commits, so they move with the rows
/// they count. A job that rolls back takes its moves back (`mark` / `undo`).
///
/// It also keeps the statements every batch runs prepared (`prepared`): rusqlite's statement
/// cache hashes a statement's SQL text when it is taken and again when it is put back
/// (callgrind: ~4,000 instructions a notification on the writer's thread).
pub struct Tally<'c> {
    moves: Vec<Move>,
    conn: &'c Connection,
    statements: Vec<(&'static str, rusqlite::Statement<'c>)>,
}

impl std::fmt::Debug for Tally<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tally")
            .field("moves", &self.moves)
            .field("statements", &self.statements.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Move {
    dep: String,
    state: String,
    code: String,
    at_ms: i64,
    delta: i64,
}

impl<'c> Tally<'c> {
    /// The tally of the writer's connection.
    pub fn new(conn: &'c Connection) -> Self {
        Tally {
            moves: Vec::new(),
            conn,
            statements: Vec::new(),
        }
    }

    /// `sql` prepared on the writer's connection, once.
    pub fn prepared(
        &mut self,
        sql: &'static str,
    ) -> rusqlite::Result<&mut rusqlite::Statement<'c>> {
        let i = match self.statements.iter().position(|(s, _)| *s == sql) {
            Some(i) => i,
            None => {
                let st = self.conn.prepare(sql)?;
                self.statements.push((sql, st));
                self.statements.len() - 1
            }
        };
        Ok(&mut self.statements[i].1)
    }

    fn add(&mut self, dep: &str, state: &str, code: &str, at_ms: i64, delta: i64) {
        self.moves.push(Move {
            dep: dep.to_owned(),
            state: state.to_owned(),
            code: code.to_owned(),
            at_ms,
            delta,
        });
    }

    /// Where the moves of the next job start.
    pub fn mark(&self) -> usize {
        self.moves.len()
    }

    /// Takes back the moves since `mark`.
    pub fn undo(&mut self, mark: usize) {
        self.moves.truncate(mark);
    }

    /// Writes the summed moves and forgets them.
    pub fn write(&mut self) -> rusqlite::Result<()> {
        use std::collections::BTreeMap;
        let mut outcomes: BTreeMap<(&str, &str, &str), i64> = BTreeMap::new();
        // success, failure, the latest outcome added
        let mut deployments: BTreeMap<&str, (i64, i64, Option<i64>)> = BTreeMap::new();
        let mut hours: BTreeMap<(&str, i64), (i64, i64)> = BTreeMap::new();
        let moves = std::mem::take(&mut self.moves);
        for m in &moves {
            *outcomes.entry((&m.dep, &m.state, &m.code)).or_default() += m.delta;
            let (s, f) = if m.state == "531" {
                (m.delta, 0)
            } else {
                (0, m.delta)
            };
            let d = deployments.entry(&m.dep).or_default();
            d.0 += s;
            d.1 += f;
            if m.delta > 0 {
                d.2 = d.2.max(Some(m.at_ms));
            }
            let h = hours
                .entry((&m.dep, m.at_ms.div_euclid(HOUR_MS)))
                .or_default();
            h.0 += s;
            h.1 += f;
        }
        let st = self.prepared(
            "INSERT INTO outcome_counts (deployment_id, response_state, response_code, count) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (deployment_id, response_state, response_code) DO UPDATE SET count = count + excluded.count",
        )?;
        for ((dep, state, code), n) in outcomes.into_iter().filter(|(_, n)| *n != 0) {
            st.execute(params![dep, state, code, n])?;
        }
        let st = self.prepared(
            "INSERT INTO deployment_counts (deployment_id, success, failure, last_notified_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (deployment_id) DO UPDATE SET success = success + excluded.success, failure = failure + excluded.failure,
             last_notified_at = coalesce(max(excluded.last_notified_at, last_notified_at), excluded.last_notified_at, last_notified_at)",
        )?;
        for (dep, (s, f, last)) in deployments {
            st.execute(params![dep, s, f, last])?;
        }
        let st = self.prepared(
            "INSERT INTO hourly_counts (deployment_id, hour, success, failure) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (deployment_id, hour) DO UPDATE SET success = success + excluded.success, failure = failure + excluded.failure",
        )?;
        for ((dep, hour), (s, f)) in hours.into_iter().filter(|(_, (s, f))| *s != 0 || *f != 0) {
            st.execute(params![dep, hour, s, f])?;
        }
        // The allocation is kept for the next batch.
        self.moves = moves;
        self.moves.clear();
        Ok(())
    }
}

/// Records a voice update: an older call-endtime than the stored one is a stale retry; the
/// identical update is a repeat; anything else replaces the stored record (history kept) and
/// moves the figures of the call's deployment ('' when its transaction id was not registered).
pub fn voice(conn: &Connection, w: &VoiceWrite) -> rusqlite::Result<VoiceOutcome> {
    let tid = w.payload.transaction_id.as_ref();
    let payload = serde_json::to_string(&w.payload)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let dep: String = conn
        .prepare_cached(
            "SELECT deployment_id FROM registered_transactions WHERE transaction_id = ?1",
        )?
        .query_row([tid], |r| r.get(0))
        .optional()?
        .unwrap_or_default();
    let existing: Option<(i64, String, String, String)> = conn
        .prepare_cached("SELECT call_end_ms, payload, op_transaction_id, deployment_id FROM voice_calls WHERE transaction_id = ?1")?
        .query_row([tid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let facts = CallFacts::of(&w.payload);
    let step = stateful::voice(
        existing
            .as_ref()
            .map(|(end, old, _, _)| (*end, old.as_str())),
        w.call_end_ms,
        &payload,
    );
    match (step, existing) {
        (VoiceStep::Stale, _) => return Ok(VoiceOutcome::Stale),
        (VoiceStep::Repeat, Some((_, _, op, _))) => return Ok(VoiceOutcome::Repeat(op)),
        // A stored update that is neither stale nor repeated: replaced.
        (_, Some((_, old, _, old_dep))) => {
            if let Ok(old) = serde_json::from_str::<txstate_core::VoicePayload<'_>>(&old) {
                stats(conn, &old_dep, |s| s.remove(&CallFacts::of(&old)))?;
            }
            conn.prepare_cached(
                "UPDATE voice_calls SET deployment_id = ?2, call_end_ms = ?3, payload = ?4, op_transaction_id = ?5, updated_at = ?6
                 WHERE transaction_id = ?1",
            )?
            .execute(params![tid, dep, w.call_end_ms, payload, w.transaction_id, w.at_ms])?;
        }
        (_, None) => {
            conn.prepare_cached(
                "INSERT INTO voice_calls (transaction_id, deployment_id, call_end_ms, payload, op_transaction_id, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![tid, dep, w.call_end_ms, payload, w.transaction_id, w.at_ms])?;
        }
    }
    stats(conn, &dep, |s| s.add(&facts))?;
    conn.prepare_cached(
        "INSERT INTO voice_history (transaction_id, op_transaction_id, payload, received_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![tid, w.transaction_id, payload, w.at_ms])?;
    Ok(VoiceOutcome::Stored)
}

/// Read-modify-write of one deployment's voice figures.
fn stats(conn: &Connection, dep: &str, f: impl FnOnce(&mut VoiceStats)) -> rusqlite::Result<()> {
    let text: Option<String> = conn
        .prepare_cached("SELECT stats FROM voice_stats WHERE deployment_id = ?1")?
        .query_row([dep], |r| r.get(0))
        .optional()?;
    let mut s: VoiceStats = text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    f(&mut s);
    let text = serde_json::to_string(&s)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    conn.prepare_cached(
        "INSERT INTO voice_stats (deployment_id, stats) VALUES (?1, ?2) ON CONFLICT (deployment_id) DO UPDATE SET stats = excluded.stats",
    )?
    .execute(params![dep, text])?;
    Ok(())
}

/// Adds request log lines, with the statement the writer keeps prepared (callgrind: taking it
/// from rusqlite's statement cache and putting it back, per line, cost ~2,000 instructions:
/// the cache hashes the SQL text both ways). A line that cannot be written is dropped with a
/// warning, alone.
pub fn log(tally: &mut Tally<'_>, lines: &[LogLine]) -> rusqlite::Result<()> {
    let st = tally.prepared(
        "INSERT OR REPLACE INTO request_log (transaction_id, at_ms, api_key_id, endpoint, method, status, code, latency_us,
         client, body, body_truncated, headers, response, request_id, replay_of)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for line in lines {
        let e = &line.entry;
        let written = st.execute(params![
            e.transaction_id,
            e.at_ms,
            e.api_key_id,
            e.endpoint,
            e.method,
            e.status,
            e.code,
            e.latency_us as i64,
            e.client,
            e.body,
            e.body_truncated,
            line.headers,
            line.response,
            e.request_id,
            e.replay_of
        ]);
        if let Err(e) = written {
            tracing::warn!(error = %e, transaction_id = %line.entry.transaction_id, "could not write a request log line");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(conn: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        for sql in [
            "SELECT deployment_id || ' ' || response_state || ' ' || response_code || ' ' || count FROM outcome_counts ORDER BY 1",
            "SELECT deployment_id || ' ' || success || ' ' || failure || ' ' || last_notified_at FROM deployment_counts ORDER BY 1",
            "SELECT deployment_id || ' h' || hour || ' ' || success || ' ' || failure FROM hourly_counts ORDER BY 1",
        ] {
            let mut st = conn.prepare(sql).expect("query");
            let rows = st.query_map([], |r| r.get::<_, String>(0)).expect("rows");
            out.extend(rows.map(|r| r.expect("row")));
        }
        out
    }

    #[test]
    fn a_batch_writes_its_summed_moves_and_a_rolled_back_job_none_of_its_own() {
        let conn = Connection::open_in_memory().expect("db");
        conn.execute_batch(include_str!("../../migrations/sqlite/0001_init.sql"))
            .expect("schema");
        let mut tally = Tally::new(&conn);
        // Two new outcomes, then a flip of the first one an hour later.
        tally.add("D1", "531", "", 1_000, 1);
        tally.add("D1", "532", "E1", 2_000, 1);
        tally.add("D1", "531", "", 1_000, -1);
        tally.add("D1", "532", "", HOUR_MS + 5, 1);
        // A job that rolls back: its moves go with it.
        let mark = tally.mark();
        tally.add("D2", "531", "", 3_000, 1);
        tally.undo(mark);
        tally.write().expect("write");
        assert_eq!(
            counts(&conn),
            [
                "D1 532  1",
                "D1 532 E1 1",
                &format!("D1 0 2 {}", HOUR_MS + 5),
                "D1 h0 0 1",
                "D1 h1 0 1",
            ]
        );
        // Written once: the next batch starts from nothing and adds to the rows.
        tally.add("D1", "532", "", HOUR_MS + 9, 1);
        tally.write().expect("write");
        assert!(counts(&conn).contains(&"D1 532  2".to_owned()));
        assert!(counts(&conn).contains(&format!("D1 0 3 {}", HOUR_MS + 9)));
    }
}
