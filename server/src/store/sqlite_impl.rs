//! [`Store`] for SQLite: admin writes go through the writer like every write; reads run on the
//! read pool.

use futures_util::future::BoxFuture;
use rusqlite::{params, Connection, OptionalExtension, Row};
use txstate_core::report::{alerting, percent, OutcomeCount};
use txstate_core::{Action, Catalog, Deployment, ResponseState};

use super::sqlite::SqliteStore;
use super::sqlite_writes;
use super::{
    ApiUser, Credentials, DashboardRow, LogEntry, LogQuery, NotifyOutcome, NotifyWrite, RateLimit,
    Store, StoreResult, VoiceOutcome, VoiceRow, VoiceWrite,
};

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
    Ok(Catalog {
        actions,
        deployments,
    })
}

fn credentials_row(r: &Row<'_>) -> rusqlite::Result<Credentials> {
    let grants: String = r.get(2)?;
    let key1: Option<String> = r.get(6)?;
    let key2: Option<String> = r.get(7)?;
    let secret_keys = [(1u8, &key1), (2u8, &key2)]
        .iter()
        .filter(|(_, k)| k.is_some())
        .map(|(n, _)| *n)
        .collect();
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
    })
}

const LOG_COLUMNS: &str = "transaction_id, at_ms, api_key_id, endpoint, method, status, code, latency_us, client, body, body_truncated, headers, response";

fn dashboard(conn: &Connection, now_ms: i64) -> rusqlite::Result<Vec<DashboardRow>> {
    let catalog = read_catalog(conn)?;
    let hour = now_ms.div_euclid(3_600_000);
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
        let (success, failure, last): (i64, i64, Option<i64>) = counts
            .query_row([&d.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?
            .unwrap_or((0, 0, None));
        let hours: Vec<(i64, u64, u64)> = hourly
            .query_map(params![d.id, hour - 24], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?.max(0) as u64,
                    r.get::<_, i64>(2)?.max(0) as u64,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        // "Within an hour": this hour and the one before, weighted by how much of it has passed.
        let into = (now_ms.rem_euclid(3_600_000)) as f64 / 3_600_000.0;
        let (mut s, mut f) = (0.0, 0.0);
        for (h, hs, hf) in &hours {
            let w = if *h == hour {
                1.0
            } else if *h == hour - 1 {
                1.0 - into
            } else {
                0.0
            };
            s += *hs as f64 * w;
            f += *hf as f64 * w;
        }
        let (s, f) = (s.round() as u64, f.round() as u64);
        let threshold = catalog.action_of(d).and_then(|a| a.alert_threshold_percent);
        let pending: i64 = pending.query_row([&d.id], |r| r.get(0))?;
        rows.push(DashboardRow {
            deployment_id: d.id.clone(),
            name: d.name.clone(),
            success: success.max(0) as u64,
            failure: failure.max(0) as u64,
            last_notified_at: last,
            failure_rate_last_hour: percent(f, s + f),
            alert_threshold_percent: threshold,
            alerting: alerting(f, s + f, threshold),
            pending: pending.max(0) as u64,
            hourly: hours,
        });
    }
    Ok(rows)
}

fn requests(conn: &Connection, q: &LogQuery) -> rusqlite::Result<(Vec<LogEntry>, u64)> {
    let mut filters = Vec::new();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    let mut add = |sql: &str, v: rusqlite::types::Value| {
        values.push(v);
        filters.push(sql.replace('?', &format!("?{}", values.len())));
    };
    if let Some(v) = q.from {
        add("at_ms >= ?", v.into());
    }
    if let Some(v) = q.to {
        add("at_ms < ?", v.into());
    }
    if let Some(v) = &q.endpoint {
        add("endpoint = ?", v.clone().into());
    }
    if let Some(v) = q.code {
        add("code = ?", i64::from(v).into());
    }
    if let Some(v) = q.status {
        add("status = ?", i64::from(v).into());
    }
    if let Some(v) = &q.api_key_id {
        add("api_key_id = ?", v.clone().into());
    }
    if let Some(v) = q.q.as_ref().filter(|v| !v.is_empty()) {
        let pattern = format!(
            "%{}%",
            v.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        // Both `?` name the same parameter.
        add(
            "(transaction_id LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\')",
            pattern.into(),
        );
    }
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", filters.join(" AND "))
    };
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM request_log {filter}"),
        rusqlite::params_from_iter(values.iter()),
        |r| r.get(0),
    )?;
    let limit = i64::from(q.limit.unwrap_or(50).clamp(1, 500));
    let offset = i64::from(q.offset.unwrap_or(0));
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

    fn token(&self, token_hash: String) -> BoxFuture<'_, StoreResult<Option<(String, i64)>>> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT api_key_id, expires_at FROM access_tokens WHERE token_hash = ?1",
            )?
            .query_row([token_hash], |r| Ok((r.get(0)?, r.get(1)?)))
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
        self.write(move |c| sqlite_writes::notification(c, &w))
    }

    fn record_voice(&self, w: VoiceWrite) -> BoxFuture<'_, StoreResult<VoiceOutcome>> {
        self.write(move |c| sqlite_writes::voice(c, &w))
    }

    fn log_request(&self, entry: LogEntry) -> BoxFuture<'static, StoreResult<()>> {
        self.log(entry)
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
