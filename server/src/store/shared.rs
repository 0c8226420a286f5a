//! What both backends compute the same way from what they read: a dashboard row from the
//! maintained counts, and the request log's filters.

use txstate_core::report::{alerting, percent};
use txstate_core::{Catalog, Deployment};

use super::{DashboardRow, LogQuery};

/// An hour's epoch-ms length; hourly counts are keyed by `epoch ms / HOUR_MS`.
pub const HOUR_MS: i64 = 3_600_000;

/// A deployment's stored counts: success, failure, last notified.
pub type Totals = (i64, i64, Option<i64>);

/// One dashboard row from a deployment's totals, its hours of the last day (hour, success,
/// failure; oldest first) and its pending count.
pub fn dashboard_row(
    catalog: &Catalog,
    d: &Deployment,
    (success, failure, last): Totals,
    hours: Vec<(i64, u64, u64)>,
    pending: i64,
    now_ms: i64,
) -> DashboardRow {
    let hour = now_ms.div_euclid(HOUR_MS);
    // "Within an hour": this hour and the one before, weighted by how much of it has passed.
    let into = now_ms.rem_euclid(HOUR_MS) as f64 / HOUR_MS as f64;
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
    DashboardRow {
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
    }
}

/// The statement that records a deployment's alert state (`$1` the deployment, `$2` epoch ms)
/// and changes one row exactly when the state changed. A deployment without a row counts as
/// not alerting. Concurrent servers cannot both change it: PostgreSQL's `ON CONFLICT` and the
/// row lock make the second see the first's state (SQLite has one writer).
pub fn claim_alert_sql(alerting: bool) -> &'static str {
    if alerting {
        "INSERT INTO alert_states (deployment_id, alerting, changed_at) VALUES ($1, TRUE, $2) \
         ON CONFLICT (deployment_id) DO UPDATE SET alerting = TRUE, changed_at = excluded.changed_at \
         WHERE NOT alert_states.alerting"
    } else {
        "UPDATE alert_states SET alerting = FALSE, changed_at = $2 WHERE deployment_id = $1 AND alerting"
    }
}

/// The secret keys (1, 2) an API user has, from its stored key hashes.
pub fn key_slots(key1: &Option<String>, key2: &Option<String>) -> Vec<u8> {
    [(1u8, key1), (2u8, key2)]
        .iter()
        .filter(|(_, k)| k.is_some())
        .map(|(n, _)| *n)
        .collect()
}

/// The first hour (exclusive) a dashboard's chart shows.
pub fn chart_start(now_ms: i64) -> i64 {
    now_ms.div_euclid(HOUR_MS) - 24
}

/// The request log's columns, in the order both stores read a row.
pub const LOG_COLUMNS: &str = "transaction_id, at_ms, api_key_id, endpoint, method, status, code, latency_us, client, body, body_truncated, headers, response, request_id, replay_of";

/// The lowest HTTP status of a refused request (every refusal of both APIs, under both status
/// profiles, is 400 or more; 1010's stale update is answered 200).
const REFUSED_FROM: i64 = 400;

/// A value a log filter compares with.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterValue {
    /// A number.
    Int(i64),
    /// A text.
    Text(String),
}

/// The request log's filters of `q`: SQL conditions, each with its `?` placeholders (a
/// condition's placeholders all take its one value), joined with AND by the backend.
pub fn log_filters(q: &LogQuery) -> Vec<(&'static str, FilterValue)> {
    use FilterValue::{Int, Text};
    let mut out = Vec::new();
    if let Some(v) = q.from {
        out.push(("at_ms >= ?", Int(v)));
    }
    if let Some(v) = q.to {
        out.push(("at_ms < ?", Int(v)));
    }
    if let Some(v) = &q.endpoint {
        out.push(("endpoint = ?", Text(v.clone())));
    }
    if let Some(v) = q.code {
        out.push(("code = ?", Int(i64::from(v))));
    }
    if let Some(v) = q.status {
        out.push(("status = ?", Int(i64::from(v))));
    }
    if let Some(v) = &q.api_key_id {
        out.push(("api_key_id = ?", Text(v.clone())));
    }
    if let Some(v) = &q.request_id {
        out.push(("request_id = ?", Text(v.clone())));
    }
    if let Some(v) = &q.replay_of {
        out.push(("replay_of = ?", Text(v.clone())));
    }
    match q.refused {
        Some(true) => out.push(("status >= ?", Int(REFUSED_FROM))),
        Some(false) => out.push(("status < ?", Int(REFUSED_FROM))),
        None => {}
    }
    if q.unresolved == Some(true) {
        out.push((
            "(status >= ? AND replay_of IS NULL AND NOT EXISTS \
             (SELECT 1 FROM request_log r WHERE r.replay_of = request_log.transaction_id AND r.status < ?))",
            Int(REFUSED_FROM),
        ));
    }
    if let Some(v) = q.q.as_ref().filter(|v| !v.is_empty()) {
        let pattern = format!(
            "%{}%",
            v.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        out.push((
            "(transaction_id LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\')",
            Text(pattern),
        ));
    }
    out
}

/// `WHERE …` of the filters, each `?` of the n-th filter written by `placeholder(n)` (from 1),
/// or nothing.
pub fn where_clause(
    filters: &[(&'static str, FilterValue)],
    placeholder: impl Fn(usize) -> String,
) -> String {
    if filters.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = filters
        .iter()
        .enumerate()
        .map(|(i, (sql, _))| sql.replace('?', &placeholder(i + 1)))
        .collect();
    format!("WHERE {}", parts.join(" AND "))
}

/// A log page's LIMIT and OFFSET.
pub fn page(q: &LogQuery) -> (i64, i64) {
    (
        i64::from(q.limit.unwrap_or(50).clamp(1, 500)),
        i64::from(q.offset.unwrap_or(0)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_escape_like_wildcards_and_number_their_placeholders() {
        let q = LogQuery {
            endpoint: Some("notify".into()),
            q: Some("50%_a\\".into()),
            ..LogQuery::default()
        };
        let f = log_filters(&q);
        assert_eq!(f[1].1, FilterValue::Text("%50\\%\\_a\\\\%".into()));
        let w = where_clause(&f, |n| format!("${n}"));
        assert_eq!(
            w,
            "WHERE endpoint = $1 AND (transaction_id LIKE $2 ESCAPE '\\' OR body LIKE $2 ESCAPE '\\')"
        );
        assert_eq!(where_clause(&[], |n| format!("?{n}")), "");
    }

    #[test]
    fn the_last_hour_weighs_the_previous_hour_by_what_is_left_of_it() {
        let catalog: Catalog =
            serde_json::from_str(include_str!("../../../fixtures/catalogs/demo.json"))
                .expect("demo catalog");
        let d = catalog.deployments[0].clone();
        // A quarter into hour 10: hour 9 counts three quarters.
        let now = 10 * HOUR_MS + HOUR_MS / 4;
        let row = dashboard_row(
            &catalog,
            &d,
            (0, 0, None),
            vec![(9, 0, 4), (10, 1, 0)],
            2,
            now,
        );
        assert_eq!(row.failure_rate_last_hour, percent(3, 4));
        assert_eq!(row.pending, 2);
    }
}
