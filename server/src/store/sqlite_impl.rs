//! [`Store`] for SQLite: admin writes go through the writer like every write; reads run on the
//! read pool.

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use rusqlite::{params, Connection, OptionalExtension, Row};
use tokio::sync::broadcast;
use txstate_core::report::OutcomeCount;
use txstate_core::{Action, Catalog, Deployment, ResponseState};

use super::shared::{
    chart_start, dashboard_row, key_slots, log_filters, page, where_clause, FilterValue, Totals,
    LOG_COLUMNS,
};
use super::sqlite::{Scope, SqliteStore};
use super::sqlite_writes;
use super::{
    ApiUser, Credentials, DashboardRow, Event, LogEntry, LogLine, LogQuery, NotifyOutcome,
    NotifyWrite, RateLimit, Store, StoreResult, VoiceOutcome, VoiceRow, VoiceWrite,
};
use crate::metrics::PoolStatus;

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn read_catalog(conn: &Connection) -> rusqlite::Result<Catalog> {
    let mut actions = Vec::new();
    for body in conn
        .prepare_cached("SELECT body FROM actions ORDER BY id")?
        .query_map([], |r| r.get::<_, String>(0))?
    {
        actions.push(from_json::<Action>(&body?)?);
    }
    let mut deployments = Vec::new();
    for body in conn
        .prepare_cached("SELECT body FROM deployments ORDER BY created_at, id")?
        .query_map([], |r| r.get::<_, String>(0))?
    {
        deployments.push(from_json::<Deployment>(&body?)?);
    }
    Ok(Catalog::new(actions, deployments))
}

fn credentials_row(r: &Row<'_>) -> rusqlite::Result<Credentials> {
    let grants: String = r.get(2)?;
    let key1: Option<String> = r.get(6)?;
    let key2: Option<String> = r.get(7)?;
    let secret_keys = key_slots(&key1, &key2);
    Ok(Credentials {
        user: ApiUser {
            api_key_id: r.get(0)?,
            name: r.get(1)?,
            grants: from_json(&grants)?,
            rate_limit: RateLimit {
                requests: r.get(3)?,
                per_seconds: r.get(4)?,
            },
            enabled: r.get(5)?,
            secret_keys,
            created_at: r.get(8)?,
        },
        key_hashes: [key1, key2],
    })
}

fn log_row(r: &Row<'_>) -> rusqlite::Result<LogEntry> {
    let headers: String = r.get(11)?;
    let response: String = r.get(12)?;
    Ok(LogEntry {
        transaction_id: r.get(0)?,
        at_ms: r.get(1)?,
        api_key_id: r.get(2)?,
        endpoint: r.get(3)?,
        method: r.get(4)?,
        status: r.get(5)?,
        code: r.get(6)?,
        latency_us: r.get::<_, i64>(7)?.max(0) as u64,
        client: r.get(8)?,
        body: r.get(9)?,
        body_truncated: r.get(10)?,
        headers: from_json(&headers)?,
        response: from_json(&response)?,
        request_id: r.get(13)?,
        replay_of: r.get(14)?,
    })
}

fn dashboard(conn: &Connection, now_ms: i64) -> rusqlite::Result<Vec<DashboardRow>> {
    let catalog = read_catalog(conn)?;
    let mut rows = Vec::new();
    let mut counts = conn.prepare_cached(
        "SELECT success, failure, last_notified_at FROM deployment_counts WHERE deployment_id = ?1",
    )?;
    let mut hourly = conn.prepare_cached(
        "SELECT hour, success, failure FROM hourly_counts WHERE deployment_id = ?1 AND hour > ?2 ORDER BY hour",
    )?;
    let mut pending = conn.prepare_cached(
        "SELECT count(*) FROM registered_transactions t WHERE t.deployment_id = ?1
         AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.deployment_id = t.deployment_id AND n.ref_trans_id = t.transaction_id)",
    )?;
    for d in catalog
        .deployments
        .iter()
        .filter(|d| d.channel == txstate_core::Channel::ExternalAction)
    {
        let totals: Totals = counts
            .query_row([&d.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?
            .unwrap_or((0, 0, None));
        let hours: Vec<(i64, u64, u64)> = hourly
            .query_map(params![d.id, chart_start(now_ms)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?.max(0) as u64,
                    r.get::<_, i64>(2)?.max(0) as u64,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let pending: i64 = pending.query_row([&d.id], |r| r.get(0))?;
        rows.push(dashboard_row(&catalog, d, totals, hours, pending, now_ms));
    }
    Ok(rows)
}

fn requests(conn: &Connection, q: &LogQuery) -> rusqlite::Result<(Vec<LogEntry>, u64)> {
    let filters = log_filters(q);
    let filter = where_clause(&filters, |n| format!("?{n}"));
    let values: Vec<rusqlite::types::Value> = filters
        .into_iter()
        .map(|(_, v)| match v {
            FilterValue::Int(i) => i.into(),
            FilterValue::Text(t) => t.into(),
        })
        .collect();
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM request_log {filter}"),
        rusqlite::params_from_iter(values.iter()),
        |r| r.get(0),
    )?;
    let (limit, offset) = page(q);
    let sql = format!("SELECT {LOG_COLUMNS} FROM request_log {filter} ORDER BY at_ms DESC, transaction_id DESC LIMIT {limit} OFFSET {offset}");
    let rows = conn
        .prepare(&sql)?
        .query_map(rusqlite::params_from_iter(values.iter()), log_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok((rows, total.max(0) as u64))
}

impl Store for SqliteStore {
    fn catalog(&self) -> BoxFuture<'_, StoreResult<Catalog>> {
        self.read(read_catalog)
    }

    fn put_action(&self, action: Action) -> BoxFuture<'_, StoreResult<()>> {
        self.write(move |c| {
            let body = serde_json::to_string(&action).map_err(json_err)?;
            c.execute("INSERT INTO actions (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = excluded.body", params![action.id, body])?;
            Ok(())
        })
    }

    fn delete_action(&self, id: String) -> BoxFuture<'_, StoreResult<bool>> {
        self.write(move |c| Ok(c.execute("DELETE FROM actions WHERE id = ?1", [id])? > 0))
    }

    fn put_deployment(&self, d: Deployment, now_ms: i64) -> BoxFuture<'_, StoreResult<()>> {
        self.write(move |c| {
            let body = serde_json::to_string(&d).map_err(json_err)?;
            c.execute(
                "INSERT INTO deployments (id, action_id, body, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET action_id = excluded.action_id, body = excluded.body",
                params![d.id, d.action_id, body, now_ms],
            )?;
            Ok(())
        })
    }

    fn delete_deployment(&self, id: String) -> BoxFuture<'_, StoreResult<bool>> {
        self.write(move |c| Ok(c.execute("DELETE FROM deployments WHERE id = ?1", [id])? > 0))
    }

    fn credentials(&self) -> BoxFuture<'_, StoreResult<Vec<Credentials>>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT api_key_id, name, grants, rate_requests, rate_per_seconds, enabled, key1_hash, key2_hash, created_at
                 FROM api_users ORDER BY created_at, api_key_id",
            )?
            .query_map([], credentials_row)?
            .collect()
        })
    }

    fn put_api_user(&self, cr: Credentials) -> BoxFuture<'_, StoreResult<()>> {
        self.write(move |c| {
            let u = &cr.user;
            let grants = serde_json::to_string(&u.grants).map_err(json_err)?;
            c.execute(
                "INSERT INTO api_users (api_key_id, name, grants, rate_requests, rate_per_seconds, enabled, key1_hash, key2_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (api_key_id) DO UPDATE SET name = excluded.name, grants = excluded.grants,
                 rate_requests = excluded.rate_requests, rate_per_seconds = excluded.rate_per_seconds,
                 enabled = excluded.enabled, key1_hash = excluded.key1_hash, key2_hash = excluded.key2_hash",
                params![u.api_key_id, u.name, grants, u.rate_limit.requests, u.rate_limit.per_seconds, u.enabled, cr.key_hashes[0], cr.key_hashes[1], u.created_at],
            )?;
            Ok(())
        })
    }

    fn delete_api_user(&self, id: String) -> BoxFuture<'_, StoreResult<bool>> {
        self.write(move |c| Ok(c.execute("DELETE FROM api_users WHERE api_key_id = ?1", [id])? > 0))
    }

    fn put_token(
        &self,
        token_hash: String,
        api_key_id: String,
        expires_at: i64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        self.write(move |c| {
            c.execute("DELETE FROM access_tokens WHERE expires_at < ?1", [expires_at - 86_400_000 * 7])?;
            c.execute("INSERT INTO access_tokens (token_hash, api_key_id, expires_at) VALUES (?1, ?2, ?3)", params![token_hash, api_key_id, expires_at])?;
            Ok(())
        })
    }

    fn bearer(&self, hash: String) -> BoxFuture<'_, StoreResult<Option<super::Bearer>>> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT api_key_id, expires_at FROM access_tokens WHERE token_hash = ?1
                 UNION ALL SELECT api_key_id, NULL FROM api_users WHERE key1_hash = ?1 OR key2_hash = ?1
                 LIMIT 1",
            )?
            .query_row([hash], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
        })
    }

    fn setting(&self, key: String) -> BoxFuture<'_, StoreResult<Option<String>>> {
        self.read(move |c| {
            c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
        })
    }

    fn put_setting(&self, key: String, value: String) -> BoxFuture<'_, StoreResult<()>> {
        self.write(move |c| {
            c.execute("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", params![key, value])?;
            Ok(())
        })
    }

    fn record_notification(&self, w: NotifyWrite) -> BoxFuture<'_, StoreResult<NotifyOutcome>> {
        self.write_counted(Scope::Batch, move |c, tally| {
            sqlite_writes::notification(c, tally, &w)
        })
    }

    fn record_voice(&self, w: VoiceWrite) -> BoxFuture<'_, StoreResult<VoiceOutcome>> {
        self.write_counted(Scope::Batch, move |c, _| sqlite_writes::voice(c, &w))
    }

    fn log_request(&self, line: LogLine) -> BoxFuture<'static, StoreResult<()>> {
        self.log(line)
    }

    fn register_transactions(
        &self,
        deployment_id: String,
        ids: Vec<String>,
    ) -> BoxFuture<'_, StoreResult<u64>> {
        self.write(move |c| {
            let mut st = c.prepare_cached(
                "INSERT INTO registered_transactions (transaction_id, deployment_id) VALUES (?1, ?2)
                 ON CONFLICT (transaction_id) DO UPDATE SET deployment_id = excluded.deployment_id WHERE deployment_id <> excluded.deployment_id",
            )?;
            let mut n = 0u64;
            for id in &ids {
                n += st.execute(params![id, deployment_id])? as u64;
            }
            Ok(n)
        })
    }

    fn dashboard(&self, now_ms: i64) -> BoxFuture<'_, StoreResult<Vec<DashboardRow>>> {
        self.read(move |c| dashboard(c, now_ms))
    }

    fn outcome_counts(
        &self,
        deployment_id: String,
    ) -> BoxFuture<'_, StoreResult<Vec<OutcomeCount>>> {
        self.read(move |c| {
            c.prepare_cached("SELECT response_state, response_code, count FROM outcome_counts WHERE deployment_id = ?1 AND count > 0")?
                .query_map([deployment_id], |r| {
                    let state: String = r.get(0)?;
                    let code: String = r.get(1)?;
                    Ok(OutcomeCount {
                        response_state: ResponseState::parse(&state).unwrap_or(ResponseState::Failure),
                        response_code: (!code.is_empty()).then_some(code),
                        count: r.get::<_, i64>(2)?.max(0) as u64,
                    })
                })?
                .collect()
        })
    }

    fn voice_stats(&self) -> BoxFuture<'_, StoreResult<Vec<VoiceRow>>> {
        self.read(|c| {
            c.prepare_cached("SELECT deployment_id, stats FROM voice_stats ORDER BY deployment_id")?
                .query_map([], |r| {
                    let dep: String = r.get(0)?;
                    let stats: String = r.get(1)?;
                    Ok(((!dep.is_empty()).then_some(dep), from_json(&stats)?))
                })?
                .collect()
        })
    }

    fn requests(&self, q: LogQuery) -> BoxFuture<'_, StoreResult<(Vec<LogEntry>, u64)>> {
        self.read(move |c| requests(c, &q))
    }

    fn request(&self, transaction_id: String) -> BoxFuture<'_, StoreResult<Option<LogEntry>>> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {LOG_COLUMNS} FROM request_log WHERE transaction_id = ?1"),
                [transaction_id],
                log_row,
            )
            .optional()
        })
    }

    fn purge_requests(&self, before_ms: i64) -> BoxFuture<'_, StoreResult<u64>> {
        self.write(move |c| {
            Ok(c.execute("DELETE FROM request_log WHERE at_ms < ?1", [before_ms])? as u64)
        })
    }

    fn admit(
        &self,
        user: String,
        limit: RateLimit,
        now_us: u64,
    ) -> BoxFuture<'_, StoreResult<Result<(), u64>>> {
        let verdict = self.throttle.admit(&user, limit, now_us);
        async move { Ok(verdict) }.boxed()
    }

    fn reset_throttle(&self, user: String) -> BoxFuture<'_, StoreResult<()>> {
        self.throttle.reset(&user);
        async { Ok(()) }.boxed()
    }

    fn instance_slot(&self) -> u32 {
        self.slot
    }

    fn publish(&self, _event: Event) {}

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.changes.subscribe()
    }

    fn claim_alert(
        &self,
        deployment_id: String,
        alerting: bool,
        at_ms: i64,
    ) -> BoxFuture<'_, StoreResult<bool>> {
        // SQLite numbers `?N` parameters; `$N` would be numbered by first appearance.
        let sql = super::shared::claim_alert_sql(alerting).replace('$', "?");
        self.write(move |c| Ok(c.execute(&sql, params![deployment_id, at_ms])? == 1))
    }

    fn pool_status(&self) -> PoolStatus {
        // Readers are opened on demand and kept; the writer is one connection of its own.
        let idle = self.readers.lock().map(|r| r.len()).unwrap_or(0) as u64;
        PoolStatus {
            idle,
            in_use: 1,
            waiting: 0,
            max: 0,
        }
    }

    fn ping(&self) -> BoxFuture<'_, StoreResult<()>> {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(())))
    }

    fn flush(&self) -> BoxFuture<'_, StoreResult<()>> {
        self.write(|_| Ok(()))
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        self.shutdown()
    }
}
