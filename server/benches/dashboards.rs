//! Dashboard benchmark (not a test; `cargo xtask bench` runs it): dashboard and report
//! latency with 1,000,000 stored notifications. (Notify throughput is measured against the
//! release binary by an external generator: `server/benches/wrk/compare.sh`.)
#![allow(clippy::print_stdout, clippy::unwrap_used)] // a benchmark's report is its output

use std::time::{Duration, Instant};

use txstate_server::store::{ApiUser, Credentials, RateLimit};
use txstate_server::{auth, build, start, Config};

const ADMIN: &str = "bench-admin-token-0123456789";
const SECRET: &str = "bench-secret-key";

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
