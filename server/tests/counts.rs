//! Counts: repeats don't double-count, an outcome flip moves the counts, and 16 concurrent
//! clients × 1,000 notifications over 10 deployments leave counts equal to a recount.

mod common;

use std::collections::HashMap;

use common::{notification, TestServer};
use serde_json::{json, Value};

/// Stored counts against a recount of the notifications themselves.
fn assert_counts_equal_a_recount(s: &TestServer) -> HashMap<String, (i64, i64)> {
    let db = s.db();
    let mut recount: HashMap<String, (i64, i64)> = HashMap::new();
    let mut q = db
        .prepare("SELECT deployment_id, response_state, count(*) FROM notifications GROUP BY 1, 2")
        .expect("query");
    for row in q
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .expect("rows")
    {
        let (d, state, n) = row.expect("row");
        let e = recount.entry(d).or_default();
        if state == "531" {
            e.0 += n
        } else {
            e.1 += n
        }
    }
    let mut stored: HashMap<String, (i64, i64)> = HashMap::new();
    let mut q = db.prepare("SELECT deployment_id, success, failure FROM deployment_counts WHERE success + failure > 0").expect("query");
    for row in q
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .expect("rows")
    {
        let (d, ok, ko) = row.expect("row");
        stored.insert(d, (ok, ko));
    }
    assert_eq!(stored, recount, "dashboard counts differ from a recount");
    let outcome_total: i64 = db
        .query_row(
            "SELECT coalesce(sum(count), 0) FROM outcome_counts",
            [],
            |r| r.get(0),
        )
        .expect("sum");
    let notifications: i64 = db
        .query_row("SELECT count(*) FROM notifications", [], |r| r.get(0))
        .expect("count");
    assert_eq!(
        outcome_total, notifications,
        "report counts differ from a recount"
    );
    recount
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeats_do_not_count_twice_and_flips_move_the_counts() {
    let s = TestServer::start().await;
    let (_, key) = s.user(&["notify"], None).await;
    let dep = "API_1605176965390000881";
    let (st, first) = s
        .notify(&key, &notification(dep, "T-1", "531", Some("200")))
        .await;
    assert_eq!(st, 200);
    let (_, again) = s
        .notify(&key, &notification(dep, "T-1", "531", Some("200")))
        .await;
    assert_eq!(
        again["transaction-id"], first["transaction-id"],
        "a repeat returns the first transaction-id"
    );
    let (_, dash) = s.admin("GET", "/dashboard", None).await;
    let row = dash
        .as_array()
        .and_then(|r| r.iter().find(|r| r["deploymentId"] == dep))
        .cloned()
        .expect("row");
    assert_eq!(
        (row["success"].as_u64(), row["failure"].as_u64()),
        (Some(1), Some(0))
    );

    // A different outcome replaces the earlier one: counts move, both stay in the history.
    let (_, flipped) = s
        .notify(&key, &notification(dep, "T-1", "532", Some("403")))
        .await;
    assert_ne!(flipped["transaction-id"], first["transaction-id"]);
    let (_, dash) = s.admin("GET", "/dashboard", None).await;
    let row = dash
        .as_array()
        .and_then(|r| r.iter().find(|r| r["deploymentId"] == dep))
        .cloned()
        .expect("row");
    assert_eq!(
        (row["success"].as_u64(), row["failure"].as_u64()),
        (Some(0), Some(1))
    );
    let history: i64 = s
        .db()
        .query_row(
            "SELECT count(*) FROM notification_history WHERE ref_trans_id = 'T-1'",
            [],
            |r| r.get(0),
        )
        .expect("history");
    assert_eq!(history, 2);

    // The report follows: the 403 row, no 200 row.
    let (_, report) = s
        .admin("GET", &format!("/deployments/{dep}/report"), None)
        .await;
    assert_eq!(
        report,
        json!([{"responseState": "532", "responseCode": "403", "responseDescription": "There was an error with the authentication token", "count": 1, "percent": 100.0}])
    );
    assert_counts_equal_a_recount(&s);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_concurrent_clients_leave_exact_counts() {
    const CLIENTS: usize = 16;
    const EACH: usize = 1_000;
    let s = TestServer::start().await;
    let (_, key) = s.user(&["notify"], None).await;
    let mut deployments = Vec::new();
    for i in 0..10 {
        let (st, d) = s.admin("POST", "/deployments", Some(json!({"name": format!("load {i}"), "channel": "external-action", "type": "onetime", "actionId": "act-card"}))).await;
        assert_eq!(st, 201, "{d}");
        deployments.push(d["id"].as_str().expect("id").to_owned());
    }
    // Each client reports 1,000 transactions; transactions overlap between clients (so the
    // same one arrives concurrently), and some outcomes differ (flips).
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (http, url, key, deps) = (
            s.http.clone(),
            s.url(common::NOTIFY),
            key.clone(),
            deployments.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for i in 0..EACH {
                let t = (c * 500 + i) % 8_000;
                let state = if (t + c / 8) % 5 == 0 { "532" } else { "531" };
                let body = notification(&deps[t % 10], &format!("LOAD-{t}"), state, None);
                let res = http
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await
                    .expect("call");
                if res.status().as_u16() == 200 {
                    ok += 1;
                }
            }
            ok
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += t.await.expect("client");
    }
    assert_eq!(ok, CLIENTS * EACH, "every request answered 200");
    let recount = assert_counts_equal_a_recount(&s);
    let total: i64 = recount.values().map(|(a, b)| a + b).sum();
    assert_eq!(total, 8_000, "each transaction counted once");
    // The dashboard shows the same numbers.
    let (_, dash) = s.admin("GET", "/dashboard", None).await;
    for d in &deployments {
        let row = dash
            .as_array()
            .and_then(|r| {
                r.iter()
                    .find(|r| r["deploymentId"] == Value::String(d.clone()))
            })
            .expect("row");
        let (a, b) = recount.get(d).copied().unwrap_or_default();
        assert_eq!(
            (row["success"].as_i64(), row["failure"].as_i64()),
            (Some(a), Some(b)),
            "{d}"
        );
    }
    s.stop().await;
}
