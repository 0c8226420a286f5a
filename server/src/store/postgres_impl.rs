//! [`Store`] for PostgreSQL: the same answers as SQLite's (`sqlite_impl.rs`), from the
//! sharded counters (summed on read) and the shared throttle window.

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use tokio::sync::broadcast;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use txstate_core::report::OutcomeCount;
use txstate_core::{Action, Catalog, Deployment, ResponseState};

use super::postgres::{db_err, err, LogMsg, PostgresStore};
use super::postgres_batch;
use super::postgres_writes::{self, retrying};
use super::shared::{
    chart_start, dashboard_row, key_slots, log_filters, page, where_clause, FilterValue, Totals,
    LOG_COLUMNS,
};
use super::{
    ApiUser, Credentials, DashboardRow, Event, LogEntry, LogLine, LogQuery, NotifyOutcome,
    NotifyWrite, RateLimit, Store, StoreResult, VoiceOutcome, VoiceRow, VoiceWrite,
};
use crate::metrics::PoolStatus;

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(err)
}

fn credentials_row(r: &Row) -> StoreResult<Credentials> {
    let key1: Option<String> = r.get(6);
    let key2: Option<String> = r.get(7);
    let secret_keys = key_slots(&key1, &key2);
    Ok(Credentials {
        user: ApiUser {
            api_key_id: r.get(0),
            name: r.get(1),
            grants: from_json(r.get::<_, &str>(2))?,
            rate_limit: RateLimit {
                requests: r.get::<_, i64>(3).clamp(0, i64::from(u32::MAX)) as u32,
                per_seconds: r.get::<_, i64>(4).clamp(0, i64::from(u32::MAX)) as u32,
            },
            enabled: r.get(5),
            secret_keys,
            created_at: r.get(8),
        },
        key_hashes: [key1, key2],
    })
}

fn log_row(r: &Row) -> StoreResult<LogEntry> {
    Ok(LogEntry {
        transaction_id: r.get(0),
        at_ms: r.get(1),
        api_key_id: r.get(2),
        endpoint: r.get(3),
        method: r.get(4),
        status: r.get::<_, i64>(5).clamp(0, 999) as u16,
        code: r.get::<_, Option<i64>>(6).map(|c| c.clamp(0, 9999) as u16),
        latency_us: r.get::<_, i64>(7).max(0) as u64,
        client: r.get(8),
        body: r.get(9),
        body_truncated: r.get(10),
        headers: from_json(r.get::<_, &str>(11))?,
        response: from_json(r.get::<_, &str>(12))?,
        request_id: r.get(13),
        replay_of: r.get(14),
    })
}

impl PostgresStore {
    /// Runs one statement; how many rows it changed.
    fn exec(
        &self,
        sql: &'static str,
        params: Vec<Box<dyn ToSql + Send + Sync>>,
    ) -> BoxFuture<'_, StoreResult<u64>> {
        async move {
            let c = self.client().await?;
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            c.execute(sql, &refs).await.map_err(db_err)
        }
        .boxed()
    }

    async fn read_catalog(&self) -> StoreResult<Catalog> {
        let c = self.client().await?;
        let mut catalog = Catalog::default();
        for r in c
            .query("SELECT body FROM actions ORDER BY id", &[])
            .await
            .map_err(db_err)?
        {
            catalog.actions.push(from_json::<Action>(r.get(0))?);
        }
        for r in c
            .query("SELECT body FROM deployments ORDER BY created_at, id", &[])
            .await
            .map_err(db_err)?
        {
            catalog.deployments.push(from_json::<Deployment>(r.get(0))?);
        }
        Ok(catalog)
    }

    async fn read_dashboard(&self, now_ms: i64) -> StoreResult<Vec<DashboardRow>> {
        let catalog = self.read_catalog().await?;
        let c = self.client().await?;
        let counts = c
            .prepare_cached(
                "SELECT sum(success)::int8, sum(failure)::int8, max(last_notified_at) FROM deployment_counts
                 WHERE deployment_id = $1 HAVING count(*) > 0",
            )
            .await
            .map_err(db_err)?;
        let hourly = c
            .prepare_cached(
                "SELECT hour, sum(success)::int8, sum(failure)::int8 FROM hourly_counts
                 WHERE deployment_id = $1 AND hour > $2 GROUP BY hour ORDER BY hour",
            )
            .await
            .map_err(db_err)?;
        let pending = c
            .prepare_cached(
                "SELECT count(*) FROM registered_transactions t WHERE t.deployment_id = $1
                 AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.deployment_id = t.deployment_id AND n.ref_trans_id = t.transaction_id)",
            )
            .await
            .map_err(db_err)?;
        let mut rows = Vec::new();
        for d in catalog
            .deployments
            .iter()
            .filter(|d| d.channel == txstate_core::Channel::ExternalAction)
        {
            let totals: Totals = c
                .query_opt(&counts, &[&d.id])
                .await
                .map_err(db_err)?
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .unwrap_or((0, 0, None));
            let hours = c
                .query(&hourly, &[&d.id, &chart_start(now_ms)])
                .await
                .map_err(db_err)?
                .iter()
                .map(|r| {
                    (
                        r.get::<_, i64>(0),
                        r.get::<_, i64>(1).max(0) as u64,
                        r.get::<_, i64>(2).max(0) as u64,
                    )
                })
                .collect();
            let pending: i64 = c
                .query_one(&pending, &[&d.id])
                .await
                .map_err(db_err)?
                .get(0);
            rows.push(dashboard_row(&catalog, d, totals, hours, pending, now_ms));
        }
        Ok(rows)
    }

    async fn read_requests(&self, q: LogQuery) -> StoreResult<(Vec<LogEntry>, u64)> {
        let filters = log_filters(&q);
        let filter = where_clause(&filters, |n| format!("${n}"));
        let values: Vec<Box<dyn ToSql + Send + Sync>> = filters
            .into_iter()
            .map(|(_, v)| -> Box<dyn ToSql + Send + Sync> {
                match v {
                    FilterValue::Int(i) => Box::new(i),
                    FilterValue::Text(t) => Box::new(t),
                }
            })
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = values
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let c = self.client().await?;
        let total: i64 = c
            .query_one(&format!("SELECT count(*) FROM request_log {filter}"), &refs)
            .await
            .map_err(db_err)?
            .get(0);
        let (limit, offset) = page(&q);
        let rows = c
            .query(
                &format!("SELECT {LOG_COLUMNS} FROM request_log {filter} ORDER BY at_ms DESC, transaction_id DESC LIMIT {limit} OFFSET {offset}"),
                &refs,
            )
            .await
            .map_err(db_err)?
            .iter()
            .map(log_row)
            .collect::<StoreResult<_>>()?;
        Ok((rows, total.max(0) as u64))
    }
}

impl Store for PostgresStore {
    fn catalog(&self) -> BoxFuture<'_, StoreResult<Catalog>> {
        self.read_catalog().boxed()
    }

    fn put_action(&self, action: Action) -> BoxFuture<'_, StoreResult<()>> {
        async move {
            let body = serde_json::to_string(&action).map_err(err)?;
            self.exec(
                "INSERT INTO actions (id, body) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                vec![Box::new(action.id), Box::new(body)],
            )
            .await
            .map(|_| ())
        }
        .boxed()
    }

    fn delete_action(&self, id: String) -> BoxFuture<'_, StoreResult<bool>> {
        let done = self.exec("DELETE FROM actions WHERE id = $1", vec![Box::new(id)]);
        async move { Ok(done.await? > 0) }.boxed()
    }

    fn put_deployment(&self, d: Deployment, now_ms: i64) -> BoxFuture<'_, StoreResult<()>> {
        async move {
            let body = serde_json::to_string(&d).map_err(err)?;
            self.exec(
                "INSERT INTO deployments (id, action_id, body, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET action_id = excluded.action_id, body = excluded.body",
                vec![Box::new(d.id), Box::new(d.action_id), Box::new(body), Box::new(now_ms)],
            )
            .await
            .map(|_| ())
        }
        .boxed()
    }

    fn delete_deployment(&self, id: String) -> BoxFuture<'_, StoreResult<bool>> {
        let done = self.exec("DELETE FROM deployments WHERE id = $1", vec![Box::new(id)]);
        async move { Ok(done.await? > 0) }.boxed()
    }

    fn credentials(&self) -> BoxFuture<'_, StoreResult<Vec<Credentials>>> {
        async move {
            let c = self.client().await?;
            c.query(
                "SELECT api_key_id, name, grants, rate_requests, rate_per_seconds, enabled, key1_hash, key2_hash, created_at
                 FROM api_users ORDER BY created_at, api_key_id",
                &[],
            )
            .await
            .map_err(db_err)?
            .iter()
            .map(credentials_row)
            .collect()
        }
        .boxed()
    }

    fn put_api_user(&self, cr: Credentials) -> BoxFuture<'_, StoreResult<()>> {
        async move {
            let u = cr.user;
            let grants = serde_json::to_string(&u.grants).map_err(err)?;
            let [key1, key2] = cr.key_hashes;
            self.exec(
                "INSERT INTO api_users (api_key_id, name, grants, rate_requests, rate_per_seconds, enabled, key1_hash, key2_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (api_key_id) DO UPDATE SET name = excluded.name, grants = excluded.grants,
                 rate_requests = excluded.rate_requests, rate_per_seconds = excluded.rate_per_seconds,
                 enabled = excluded.enabled, key1_hash = excluded.key1_hash, key2_hash = excluded.key2_hash",
                vec![
                    Box::new(u.api_key_id),
                    Box::new(u.name),
                    Box::new(grants),
                    Box::new(i64::from(u.rate_limit.requests)),
                    Box::new(i64::from(u.rate_limit.per_seconds)),
                    Box::new(u.enabled),
                    Box::new(key1),
                    Box::new(key2),
                    Box::new(u.created_at),
                ],
            )
            .await
            .map(|_| ())
        }
        .boxed()
    }

    fn delete_api_user(&self, id: String) -> BoxFuture<'_, StoreResult<bool>> {
        let done = self.exec(
            "DELETE FROM api_users WHERE api_key_id = $1",
            vec![Box::new(id)],
        );
        async move { Ok(done.await? > 0) }.boxed()
    }

    fn put_token(
        &self,
        token_hash: String,
        api_key_id: String,
        expires_at: i64,
    ) -> BoxFuture<'_, StoreResult<()>> {
        async move {
            self.exec(
                "DELETE FROM access_tokens WHERE expires_at < $1",
                vec![Box::new(expires_at - 86_400_000 * 7)],
            )
            .await?;
            self.exec(
                "INSERT INTO access_tokens (token_hash, api_key_id, expires_at) VALUES ($1, $2, $3)",
                vec![Box::new(token_hash), Box::new(api_key_id), Box::new(expires_at)],
            )
            .await
            .map(|_| ())
        }
        .boxed()
    }

    fn bearer(&self, hash: String) -> BoxFuture<'_, StoreResult<Option<super::Bearer>>> {
        async move {
            let c = self.client().await?;
            Ok(c.query_opt(
                "SELECT api_key_id, expires_at FROM access_tokens WHERE token_hash = $1
                 UNION ALL SELECT api_key_id, NULL FROM api_users WHERE key1_hash = $1 OR key2_hash = $1
                 LIMIT 1",
                &[&hash],
            )
            .await
            .map_err(db_err)?
            .map(|r| (r.get(0), r.get(1))))
        }
        .boxed()
    }

    fn setting(&self, key: String) -> BoxFuture<'_, StoreResult<Option<String>>> {
        async move {
            let c = self.client().await?;
            Ok(
                c.query_opt("SELECT value FROM settings WHERE key = $1", &[&key])
                    .await
                    .map_err(db_err)?
                    .map(|r| r.get(0)),
            )
        }
        .boxed()
    }

    fn put_setting(&self, key: String, value: String) -> BoxFuture<'_, StoreResult<()>> {
        let done = self.exec(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            vec![Box::new(key), Box::new(value)],
        );
        async move { done.await.map(|_| ()) }.boxed()
    }

    fn record_notification(&self, w: NotifyWrite) -> BoxFuture<'_, StoreResult<NotifyOutcome>> {
        postgres_batch::ask(&self.notifications, w)
    }

    fn record_voice(&self, w: VoiceWrite) -> BoxFuture<'_, StoreResult<VoiceOutcome>> {
        async move {
            let payload = serde_json::to_string(&w.payload).map_err(err)?;
            retrying(&self.pool, &self.metrics, 1, |c| {
                postgres_writes::voice(c, &w, &payload)
            })
            .await
        }
        .boxed()
    }

    fn log_request(&self, line: LogLine) -> BoxFuture<'static, StoreResult<()>> {
        let queued = self
            .logs
            .send(LogMsg::Line(Box::new(line)))
            .map_err(|_| "the store is closed".to_owned());
        async move { queued }.boxed()
    }

    fn register_transactions(
        &self,
        deployment_id: String,
        ids: Vec<String>,
    ) -> BoxFuture<'_, StoreResult<u64>> {
        self.exec(
            "INSERT INTO registered_transactions (transaction_id, deployment_id) SELECT t, $2 FROM unnest($1::text[]) AS t
             ON CONFLICT (transaction_id) DO UPDATE SET deployment_id = excluded.deployment_id
             WHERE registered_transactions.deployment_id <> excluded.deployment_id",
            vec![Box::new(ids), Box::new(deployment_id)],
        )
    }

    fn dashboard(&self, now_ms: i64) -> BoxFuture<'_, StoreResult<Vec<DashboardRow>>> {
        self.read_dashboard(now_ms).boxed()
    }

    fn outcome_counts(
        &self,
        deployment_id: String,
    ) -> BoxFuture<'_, StoreResult<Vec<OutcomeCount>>> {
        async move {
            let c = self.client().await?;
            Ok(c.query(
                "SELECT response_state, response_code, sum(count)::int8 FROM outcome_counts WHERE deployment_id = $1
                 GROUP BY response_state, response_code HAVING sum(count) > 0",
                &[&deployment_id],
            )
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                let code: String = r.get(1);
                OutcomeCount {
                    response_state: ResponseState::parse(r.get(0))
                        .unwrap_or(ResponseState::Failure),
                    response_code: (!code.is_empty()).then_some(code),
                    count: r.get::<_, i64>(2).max(0) as u64,
                }
            })
            .collect())
        }
        .boxed()
    }

    fn voice_stats(&self) -> BoxFuture<'_, StoreResult<Vec<VoiceRow>>> {
        async move {
            let c = self.client().await?;
            c.query(
                "SELECT deployment_id, stats FROM voice_stats ORDER BY deployment_id",
                &[],
            )
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                let dep: String = r.get(0);
                Ok(((!dep.is_empty()).then_some(dep), from_json(r.get(1))?))
            })
            .collect()
        }
        .boxed()
    }

    fn requests(&self, q: LogQuery) -> BoxFuture<'_, StoreResult<(Vec<LogEntry>, u64)>> {
        self.read_requests(q).boxed()
    }

    fn request(&self, transaction_id: String) -> BoxFuture<'_, StoreResult<Option<LogEntry>>> {
        async move {
            let c = self.client().await?;
            c.query_opt(
                &format!("SELECT {LOG_COLUMNS} FROM request_log WHERE transaction_id = $1"),
                &[&transaction_id],
            )
            .await
            .map_err(db_err)?
            .as_ref()
            .map(log_row)
            .transpose()
        }
        .boxed()
    }

    fn purge_requests(&self, before_ms: i64) -> BoxFuture<'_, StoreResult<u64>> {
        self.exec(
            "DELETE FROM request_log WHERE at_ms < $1",
            vec![Box::new(before_ms)],
        )
    }

    fn admit(
        &self,
        user: String,
        limit: RateLimit,
        _now_us: u64,
    ) -> BoxFuture<'_, StoreResult<Result<(), u64>>> {
        // The database's clock decides (servers' clocks may differ); an admission taken ahead
        // for this user a moment ago needs no call.
        if self.ahead.spend(&user, limit, 1, std::time::Instant::now()) == 1 {
            self.metrics.observe_admitted_ahead(1);
            return futures_util::future::ready(Ok(Ok(()))).boxed();
        }
        postgres_batch::ask(&self.admissions, (user, limit))
    }

    fn reset_throttle(&self, user: String) -> BoxFuture<'_, StoreResult<()>> {
        self.ahead.forget(&user);
        let done = self.exec(
            "DELETE FROM throttle WHERE api_key_id = $1",
            vec![Box::new(user)],
        );
        async move { done.await.map(|_| ()) }.boxed()
    }

    fn instance_slot(&self) -> u32 {
        self.slot
    }

    fn publish(&self, event: Event) {
        let hurry = event.kind.reloads_caches();
        let _ = self.outbox.send(event);
        if hurry {
            self.hurry.notify_one();
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.changes.subscribe()
    }

    fn claim_alert(
        &self,
        deployment_id: String,
        alerting: bool,
        at_ms: i64,
    ) -> BoxFuture<'_, StoreResult<bool>> {
        let sql = super::shared::claim_alert_sql(alerting);
        let done = self.exec(sql, vec![Box::new(deployment_id), Box::new(at_ms)]);
        async move { done.await.map(|n| n == 1) }.boxed()
    }

    fn pool_status(&self) -> PoolStatus {
        // Both pools: the operator budgets connections for both.
        let (a, b) = (self.pool.status(), self.relaxed.status());
        PoolStatus {
            idle: (a.available + b.available) as u64,
            in_use: (a.size - a.available + b.size - b.available) as u64,
            waiting: (a.waiting + b.waiting) as u64,
            max: (a.max_size + b.max_size) as u64,
        }
    }

    fn ping(&self) -> BoxFuture<'_, StoreResult<()>> {
        async move {
            let c = self.client().await?;
            c.simple_query("SELECT 1").await.map_err(db_err).map(|_| ())
        }
        .boxed()
    }

    fn flush(&self) -> BoxFuture<'_, StoreResult<()>> {
        self.flush_logs()
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        self.shutdown()
    }
}
