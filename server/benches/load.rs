//! Load benchmark (not a test; `cargo xtask bench` runs it):
//!
//! 1. Notify requests per second and p50/p99 latency at 64 connections for 10 s against the
//!    real server on SQLite with durable commits, and in the same run against a bare axum
//!    hello-world handler measured the same way; the ratio of the two.
//! 2. Dashboard and report latency with 1,000,000 stored notifications.
//!
//! Both servers and the load generator share this machine (and process), as the issue asks
//! ("on the same machine"); the ratio is what compares them.
#![allow(clippy::print_stdout, clippy::unwrap_used)] // a benchmark's report is its output

mod harness;

use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::{
    clients, load, notify_requests, report, Figures, ADMIN, CONNECTIONS, SECONDS, SECRET,
};
use txstate_server::store::{ApiUser, Credentials, RateLimit};
use txstate_server::{auth, build, start, Config};

async fn hello_world() -> Figures {
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "Hello, World!" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let f = load(
        Arc::new(move |c: &reqwest::Client, _| c.get(&url)),
        clients(),
    )
    .await;
    server.abort();
    f
}

/// A server on a fresh SQLite file with the demo catalog and one API user.
async fn txstate(dir: &std::path::Path) -> txstate_server::Running {
    let config = Config::for_tests(dir.join("bench.db").to_str().unwrap(), ADMIN);
    let built = build(Config {
        demo: true,
        ..config
    })
    .await
    .unwrap();
    let user = ApiUser {
        api_key_id: "bench".into(),
        name: "bench".into(),
        grants: vec!["notify".into(), "voice".into()],
        rate_limit: RateLimit {
            requests: 1_000_000_000,
            per_seconds: 1,
        },
        enabled: true,
        secret_keys: vec![1],
        created_at: 0,
    };
    built
        .state
        .store
        .put_api_user(Credentials {
            user,
            key_hashes: [Some(auth::hash(SECRET)), None],
        })
        .await
        .unwrap();
    built.state.reload_keys().await.unwrap();
    start(&built).await.unwrap()
}

async fn notify_load(running: &txstate_server::Running) -> Figures {
    let base = format!("http://{}", running.addr);
    load(notify_requests(vec![base], SECRET.to_owned()), clients()).await
}

/// Fills the database with `n` notifications over ten deployments, and their counts.
fn fill(db: &std::path::Path, n: u64) {
    let mut c = rusqlite::Connection::open(db).unwrap();
    let tx = c.transaction().unwrap();
    tx.execute_batch(&format!(
        "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < {n} - 1)
         INSERT INTO notifications (deployment_id, ref_trans_id, transaction_id, response_state, response_code, received_at)
         SELECT CASE WHEN i % 10 = 0 THEN 'API_1605176965390000881' ELSE 'API_BENCH_' || (i % 10) END,
                'FILL_' || i, 'NTS_' || i, CASE WHEN i % 3 = 0 THEN '532' ELSE '531' END,
                CASE i % 4 WHEN 0 THEN '200' WHEN 1 THEN '403' WHEN 2 THEN '999' ELSE NULL END,
                1700000000000 + i * 1000 FROM seq;
         DELETE FROM deployment_counts; DELETE FROM outcome_counts; DELETE FROM hourly_counts;
         INSERT INTO deployment_counts SELECT deployment_id, sum(response_state = '531'), sum(response_state = '532'), max(received_at) FROM notifications GROUP BY 1;
         INSERT INTO outcome_counts SELECT deployment_id, response_state, coalesce(response_code, ''), count(*) FROM notifications GROUP BY 1, 2, 3;
         INSERT INTO hourly_counts SELECT deployment_id, received_at / 3600000, sum(response_state = '531'), sum(response_state = '532') FROM notifications GROUP BY 1, 2;"
    ))
    .unwrap();
    tx.commit().unwrap();
}

async fn latency(url: &str, times: usize) -> (Duration, Duration) {
    let client = reqwest::Client::new();
    let mut lat = Vec::with_capacity(times);
    for _ in 0..times {
        let t = Instant::now();
        let r = client.get(url).bearer_auth(ADMIN).send().await.unwrap();
        assert!(r.status().is_success());
        r.bytes().await.unwrap();
        lat.push(t.elapsed());
    }
    lat.sort_unstable();
    (lat[times / 2], lat[times * 99 / 100])
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!(
            "load: {CONNECTIONS} connections for {SECONDS} s each, on {} cores",
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        );
        let hello = hello_world().await;
        report("axum hello-world", &hello);
        let dir = tempfile::tempdir().unwrap();
        let running = txstate(dir.path()).await;
        let notify = notify_load(&running).await;
        report("notify (SQLite, durable)", &notify);
        println!("ratio notify / hello-world: {:.2}", notify.rps / hello.rps);
        let m = running.state.render_metrics();
        for line in m.lines().filter(|l| {
            l.starts_with("txstate_write_batch_size_sum")
                || l.starts_with("txstate_write_batch_size_count")
        }) {
            println!("  {line}");
        }
        running.stop().await;

        // Dashboards with a million notifications: counts are kept, so nothing is scanned.
        let dir = tempfile::tempdir().unwrap();
        let running = txstate(dir.path()).await;
        running.stop().await;
        let t = Instant::now();
        fill(&dir.path().join("bench.db"), 1_000_000);
        println!(
            "filled 1,000,000 notifications in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let running = txstate(dir.path()).await;
        let base = format!("http://{}/admin/api", running.addr);
        let (p50, p99) = latency(&format!("{base}/dashboard"), 200).await;
        println!(
            "dashboard, 1M notifications  p50 {:.2} ms   p99 {:.2} ms",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
        let (p50, p99) = latency(
            &format!("{base}/deployments/API_1605176965390000881/report"),
            200,
        )
        .await;
        println!(
            "report, 1M notifications     p50 {:.2} ms   p99 {:.2} ms",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
        running.stop().await;
    });
}
