//! Two server processes (the real binary) on one PostgreSQL database: counts stay exact under
//! load spread over both, throttling holds across them, admin changes and events reach both.
//! Skipped with a note when PostgreSQL is unreachable (see `common/backends.rs`).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::backends::PgDatabase;
use common::process::ServerProcess;
use futures_util::StreamExt;
use serde_json::{json, Value};

const ADMIN: &str = "scale-out-admin-token-0123456789";

/// A server process on the test database.
struct Server(ServerProcess);

impl std::ops::Deref for Server {
    type Target = ServerProcess;
    fn deref(&self) -> &ServerProcess {
        &self.0
    }
}

impl Server {
    async fn start(url: &str) -> Server {
        let env = [
            ("TXSTATE_DATABASE_URL", url),
            ("TXSTATE_ADMIN_TOKEN", ADMIN),
            ("TXSTATE_PG_POOL_SIZE", "8"),
        ];
        Server(ServerProcess::start(env!("CARGO_BIN_EXE_txstate-server"), &env).await)
    }

    async fn admin(
        &self,
        http: &reqwest::Client,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut r = http
            .request(m, format!("{}/admin/api{path}", self.base))
            .bearer_auth(ADMIN);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("admin call");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn notify(&self, http: &reqwest::Client, key: &str, body: &Value) -> (u16, Value) {
        let res = http
            .post(format!("{}{}", self.base, common::NOTIFY))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("notify");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// The events stream.
    async fn events(&self, http: &reqwest::Client) -> Events {
        let res = http
            .get(format!("{}/admin/api/events", self.base))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("events");
        assert_eq!(res.status(), 200);
        Events {
            stream: res.bytes_stream().map(|c| c.map(|b| b.to_vec())).boxed(),
            buffer: String::new(),
        }
    }
}

type ByteStream = futures_util::stream::BoxStream<'static, reqwest::Result<Vec<u8>>>;

/// An events stream, read event by event.
struct Events {
    stream: ByteStream,
    buffer: String,
}

impl Events {
    /// The next event's name and data.
    async fn next(&mut self) -> (String, Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim().to_owned())
                };
                if let (Some(event), Some(data)) = (field("event:"), field("data:")) {
                    return (event, serde_json::from_str(&data).expect("event data"));
                }
                continue; // a keep-alive comment
            }
            let chunk = tokio::time::timeout(Duration::from_secs(30), self.stream.next())
                .await
                .expect("an event within 30 s")
                .expect("the stream is open")
                .expect("bytes");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// Both servers started at once on a fresh database (they migrate it together).
async fn two_servers() -> Option<(PgDatabase, Server, Server)> {
    let db = PgDatabase::create().await?;
    let (a, b) = tokio::join!(Server::start(&db.url), Server::start(&db.url));
    Some((db, a, b))
}

/// Sets up, on `a`, an action, two deployments and an API user; returns once `b` has them
/// too (it hears of them from `a` through the database and says so on its events stream).
async fn provision(
    http: &reqwest::Client,
    a: &Server,
    b: &Server,
    rate: Option<(u32, u32)>,
) -> (Vec<String>, String) {
    let mut b_events = b.events(http).await;
    let mut user = json!({"name": "partner", "grants": ["notify"]});
    if let Some((requests, per_seconds)) = rate {
        user["rateLimit"] = json!({"requests": requests, "perSeconds": per_seconds});
    }
    let (st, u) = a.admin(http, "POST", "/api-users", Some(user)).await;
    assert_eq!(st, 201, "{u}");
    let key = u["secretKey1"].as_str().expect("secret").to_owned();
    let (st, act) = a
        .admin(http, "POST", "/actions", Some(json!({"name": "Card", "responseType": "async",
            "successResponses": [{"code": "200", "description": "ok"}],
            "failureResponses": [{"code": "403", "description": "denied"}, {"code": "500", "description": "down"}]})))
        .await;
    assert_eq!(st, 201, "{act}");
    let mut deployments = Vec::new();
    for name in ["one", "two"] {
        let (st, d) = a
            .admin(
                http,
                "POST",
                "/deployments",
                Some(json!({"name": name, "channel": "external-action",
                "type": "onetime", "actionId": act["id"]})),
            )
            .await;
        assert_eq!(st, 201, "{d}");
        deployments.push(d["id"].as_str().expect("id").to_owned());
    }
    // The API user was announced before the catalog: once b's catalog has both deployments,
    // it has the key too.
    loop {
        let (event, _) = b_events.next().await;
        if event != "catalog" {
            continue;
        }
        let (_, catalog) = b.admin(http, "GET", "/catalog", None).await;
        let ids: Vec<&str> = catalog["deployments"]
            .as_array()
            .expect("deployments")
            .iter()
            .filter_map(|d| d["id"].as_str())
            .collect();
        if deployments.iter().all(|d| ids.contains(&d.as_str())) {
            break;
        }
    }
    (deployments, key)
}

fn body(dep: &str, r: &str, outcome: u64) -> Value {
    let (state, code) = match outcome % 3 {
        0 => ("531", "200"),
        1 => ("532", "403"),
        _ => ("532", "500"),
    };
    json!({"responseState": state, "refTransId": r, "deploymentId": dep,
        "additionalInfo": json!({"responseCode": code}).to_string()})
}

/// 5,000 transactions, four requests each, over both servers (20,000 notifications): the
/// first report sent to both at once, then a flip of its outcome to one and the flip again to
/// the other. Every answer is 200/1100; the two first reports get one operation id (one was
/// counted, the other answered as a repeat); the counts of both servers equal a recount.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_count_20000_notifications_exactly() {
    let Some((db, a, b)) = two_servers().await else {
        return;
    };
    let http = reqwest::Client::new();
    let (deps, key) = provision(&http, &a, &b, Some((1_000_000, 1))).await;
    let servers = Arc::new([a, b]);
    const KEYS: u64 = 5_000;
    const WORKERS: u64 = 32;
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let (servers, http, key, deps) = (servers.clone(), http.clone(), key.clone(), deps.clone());
        tasks.push(tokio::spawn(async move {
            let mut finals = Vec::new();
            for k in (w..KEYS).step_by(WORKERS as usize) {
                let dep = &deps[(k % 2) as usize];
                let r = format!("CC02_{k:06}");
                let first = body(dep, &r, k);
                let ((s1, v1), (s2, v2)) = tokio::join!(
                    servers[0].notify(&http, &key, &first),
                    servers[1].notify(&http, &key, &first)
                );
                assert_eq!((s1, s2), (200, 200), "{v1} {v2}");
                assert_eq!(
                    v1["transaction-id"], v2["transaction-id"],
                    "one of the two is a repeat"
                );
                let flip = body(dep, &r, k + 1 + k % 2);
                let one = (k % 2) as usize;
                let (s3, v3) = servers[one].notify(&http, &key, &flip).await;
                let (s4, v4) = servers[1 - one].notify(&http, &key, &flip).await;
                assert_eq!((s3, s4), (200, 200), "{v3} {v4}");
                assert_ne!(
                    v3["transaction-id"], v1["transaction-id"],
                    "a flip is a new operation"
                );
                assert_eq!(
                    v4["transaction-id"], v3["transaction-id"],
                    "the flip again is a repeat"
                );
                for v in [&v1, &v2, &v3, &v4] {
                    assert_eq!(v["code"], 1100, "{v}");
                }
                finals.push((dep.clone(), flip));
            }
            finals
        }));
    }
    // What the test itself expects: each transaction once, with its last outcome.
    let mut expected: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for t in tasks {
        for (dep, last) in t.await.expect("worker") {
            let info: Value =
                serde_json::from_str(last["additionalInfo"].as_str().expect("info")).expect("json");
            *expected
                .entry((
                    dep,
                    last["responseState"].as_str().expect("state").to_owned(),
                    info["responseCode"].as_str().expect("code").to_owned(),
                ))
                .or_default() += 1;
        }
    }
    let pg = db.connect().await;
    let recount: BTreeMap<(String, String, String), i64> = pg
        .query("SELECT deployment_id, response_state, response_code, count(*) FROM notifications GROUP BY 1, 2, 3", &[])
        .await
        .expect("recount")
        .iter()
        .map(|r| ((r.get(0), r.get(1), r.get(2)), r.get(3)))
        .collect();
    assert_eq!(recount, expected);
    let history: i64 = pg
        .query_one("SELECT count(*) FROM notification_history", &[])
        .await
        .expect("history")
        .get(0);
    assert_eq!(
        history,
        2 * KEYS as i64,
        "a first report and a flip per transaction; repeats add nothing"
    );
    // Every request is in the request log once: the servers' operation ids never collided.
    for server in servers.iter() {
        // Reading the log flushes that server's queued lines.
        let (st, _) = server.admin(&http, "GET", "/requests?limit=1", None).await;
        assert_eq!(st, 200);
    }
    let logged: i64 = pg
        .query_one(
            "SELECT count(*) FROM request_log WHERE endpoint = 'notify'",
            &[],
        )
        .await
        .expect("log")
        .get(0);
    assert_eq!(logged, 4 * KEYS as i64);

    for server in servers.iter() {
        // The maintained counts, as each server reports them, equal the recount.
        let mut counted = BTreeMap::new();
        for dep in &deps {
            let (st, report) = server
                .admin(&http, "GET", &format!("/deployments/{dep}/report"), None)
                .await;
            assert_eq!(st, 200, "{report}");
            for row in report.as_array().expect("rows") {
                let n = row["count"].as_i64().expect("count");
                if n > 0 {
                    counted.insert(
                        (
                            dep.clone(),
                            row["responseState"].as_str().expect("state").to_owned(),
                            row["responseCode"].as_str().unwrap_or_default().to_owned(),
                        ),
                        n,
                    );
                }
            }
        }
        assert_eq!(counted, recount, "report of {}", server.base);
        let (_, dash) = server.admin(&http, "GET", "/dashboard", None).await;
        let (mut success, mut failure) = (0, 0);
        for row in dash.as_array().expect("rows") {
            success += row["success"].as_i64().expect("success");
            failure += row["failure"].as_i64().expect("failure");
        }
        let recount_success: i64 = recount
            .iter()
            .filter(|((_, s, _), _)| s == "531")
            .map(|(_, n)| n)
            .sum();
        assert_eq!(
            (success, failure),
            (recount_success, KEYS as i64 - recount_success)
        );
    }
}

/// One API user's limit holds across both servers: a shared window in the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_holds_across_servers_and_events_reach_both() {
    let Some((_db, a, b)) = two_servers().await else {
        return;
    };
    let http = reqwest::Client::new();
    let (deps, key) = provision(&http, &a, &b, Some((10, 3600))).await;
    // A notification sent to b reaches a's dashboards (a has had no request of its own).
    let mut a_events = a.events(&http).await;
    let (st, v) = b.notify(&http, &key, &body(&deps[0], "CC02_T", 0)).await;
    assert_eq!(st, 200, "{v}");
    let (event, data) = a_events.next().await;
    assert_eq!(event, "notify");
    assert_eq!(data["deploymentId"], deps[0].as_str());

    // Nine more are admitted, whichever server is asked; then every request waits.
    let mut admitted = 1;
    let mut waits = Vec::new();
    for i in 0..30u64 {
        let server = if i % 2 == 0 { &a } else { &b };
        let (st, v) = server
            .notify(&http, &key, &body(&deps[0], &format!("CC02_T{i}"), i))
            .await;
        match st {
            200 => admitted += 1,
            429 => waits.push(v),
            other => panic!("{other}: {v}"),
        }
    }
    assert_eq!(admitted, 10, "ten per hour across both servers");
    assert_eq!(waits.len(), 21);
}

/// Requests that arrive together are admitted in batches (one database call for all of a
/// user's waiting requests): a concurrent burst over both servers still gets exactly the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_concurrent_burst_over_both_servers_gets_exactly_the_limit() {
    let Some((_db, a, b)) = two_servers().await else {
        return;
    };
    let http = reqwest::Client::new();
    let (deps, key) = provision(&http, &a, &b, Some((25, 3600))).await;
    let servers = Arc::new([a, b]);
    let burst = (0..100u64).map(|i| {
        let (servers, http, key, dep) =
            (servers.clone(), http.clone(), key.clone(), deps[0].clone());
        tokio::spawn(async move {
            let body = body(&dep, &format!("CC02_B{i}"), i);
            servers[(i % 2) as usize].notify(&http, &key, &body).await
        })
    });
    let mut admitted = 0;
    let mut refused = 0;
    for answer in futures_util::future::join_all(burst).await {
        let (st, v) = answer.expect("a request task");
        match st {
            200 => admitted += 1,
            429 => {
                refused += 1;
                assert!(v["code"] == 429, "{v}");
            }
            other => panic!("{other}: {v}"),
        }
    }
    assert_eq!(
        (admitted, refused),
        (25, 75),
        "the limit is 25 an hour, across both servers"
    );
}
