//! Acknowledged means durable: the server runs as a child process, is loaded, killed with
//! SIGKILL mid-load, and restarted on the same file. Every notification that got a 200 is
//! stored with the acknowledged outcome, and the counts equal a recount.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

const ADMIN: &str = "durability-admin-token-0123";

/// Starts the server binary on an ephemeral port; returns it and its base URL.
fn spawn(db: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_txstate-server"))
        .args(["--bind", "127.0.0.1:0", "--database-url"])
        .arg(db)
        .env("TXSTATE_ADMIN_TOKEN", ADMIN)
        .env("TXSTATE_DEMO", "true")
        .env("TXSTATE_RATE_REQUESTS", "1000000")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("server starts");
    let out = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(out).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the server printed its address")
            .expect("a line");
        if let Some(rest) = line.split("txstate is serving at ").nth(1) {
            break rest.split('/').take(3).collect::<Vec<_>>().join("/");
        }
    };
    // Keep draining the logs so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

async fn demo_secret(http: &reqwest::Client, url: &str) -> String {
    let v: Value = http
        .post(format!(
            "{url}/admin/api/api-users/00000000-0000-4000-8000-00000000d3e0/secret-keys"
        ))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("admin")
        .json()
        .await
        .expect("json");
    v["secretKey2"]
        .as_str()
        .expect("a second key for the test")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_notification_survives_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("txstate.db");
    let (mut child, url) = spawn(&db);
    let http = reqwest::Client::new();
    let key = demo_secret(&http, &url).await;

    let acked = Arc::new(std::sync::Mutex::new(Vec::<(String, String, String)>::new()));
    let killed = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..8 {
        let (http, url, key, acked, killed) = (
            http.clone(),
            url.clone(),
            key.clone(),
            acked.clone(),
            killed.clone(),
        );
        clients.push(tokio::spawn(async move {
            for i in 0.. {
                if killed.load(Ordering::Relaxed) && i % 50 == 0 {
                    break;
                }
                let dep = if i % 2 == 0 {
                    "API_1605176965390000881"
                } else {
                    "API_1605176965390000882"
                };
                let id = format!("KILL-{c}-{}", i % 700);
                let state = if (i / 700) % 2 == 0 { "531" } else { "532" };
                let body = json!({"responseState": state, "refTransId": id, "deploymentId": dep});
                match http
                    .post(format!(
                        "{url}/campaignapi/resources/v3/notifytransactionstate"
                    ))
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().as_u16() == 200 => {
                        acked
                            .lock()
                            .expect("lock")
                            .push((dep.to_owned(), id, state.to_owned()))
                    }
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Kill it mid-load, once a good number of writes were acknowledged.
    while acked.lock().expect("lock").len() < 1_500 {
        tokio::task::yield_now().await;
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    killed.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.expect("client");
    }
    let acked = acked.lock().expect("lock").clone();

    // The last acknowledged outcome of each transaction is what the restarted server has.
    let (mut child, url) = spawn(&db);
    let conn = rusqlite::Connection::open(&db).expect("open");
    let mut last = std::collections::HashMap::new();
    for (dep, id, state) in &acked {
        last.insert((dep.clone(), id.clone()), state.clone());
    }
    let mut missing = Vec::new();
    for ((dep, id), state) in &last {
        let stored: Option<String> = conn
            .query_row("SELECT response_state FROM notifications WHERE deployment_id = ?1 AND ref_trans_id = ?2", [dep, id], |r| r.get(0))
            .ok();
        if stored.as_deref() != Some(state.as_str()) {
            missing.push(format!(
                "{dep}/{id}: acknowledged {state}, stored {stored:?}"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged notifications lost: {:?}",
        missing.len(),
        last.len(),
        &missing[..missing.len().min(5)]
    );

    // Counts equal a recount after the crash.
    let stored: Vec<(String, i64, i64)> = conn
        .prepare("SELECT deployment_id, success, failure FROM deployment_counts ORDER BY 1")
        .expect("q")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .map(Result::unwrap)
        .collect();
    let recount: Vec<(String, i64, i64)> = conn
        .prepare("SELECT deployment_id, sum(response_state = '531'), sum(response_state = '532') FROM notifications GROUP BY 1 ORDER BY 1").expect("q")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).expect("rows").map(Result::unwrap).collect();
    assert_eq!(stored, recount);

    // And the restarted server serves.
    let health = http
        .get(format!("{url}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(health.status().as_u16(), 200);
    child.kill().expect("stop");
    let _ = child.wait();
}
