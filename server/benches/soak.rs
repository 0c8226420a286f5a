//! Soak (a long run, not a test; `cargo xtask soak`): the release server binary as a child
//! process on a fresh SQLite file, fed notifications at a fixed rate for a long time. Reports,
//! each minute and at the end: requests sent, errors, latency (the minute's slowest too), and
//! the server's resident memory (VmRSS) — then checks that the dashboard's counts equal what
//! was accepted, and prints the server's own view of its slow moments from `/metrics` (its
//! answers, the writer's transactions, the log's flushes, the checkpoints), which tells a
//! stall inside the server from one around it (the client, the machine).
//!
//! `TXSTATE_SOAK_SECONDS` (default 600) and `TXSTATE_SOAK_RATE` (requests per second, default
//! 8,500; the goal's "half that load" is half the rate `compare.sh` reaches for SQLite on the
//! same machine: docs/decisions.md).
#![allow(clippy::print_stdout, clippy::unwrap_used)] // a benchmark's report is its output

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ADMIN: &str = "soak-admin-token-0123456789";
const CONNECTIONS: u64 = 32;
const DEPLOYMENTS: [&str; 2] = ["API_1605176965390000881", "API_1605176965390000882"];

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The size of the database's write-ahead log (it must not grow without bound).
fn wal_kib(dir: &std::path::Path) -> u64 {
    std::fs::metadata(dir.join("soak.db-wal")).map_or(0, |m| m.len() / 1024)
}

/// Of a histogram in `/metrics` (`name`, the series with the label `label`, if any): how
/// many observations were above `limit` seconds, and the upper bound of the bucket that holds
/// the largest (`None`: no observation).
fn over(text: &str, name: &str, label: Option<&str>, limit: f64) -> (u64, Option<String>) {
    // Cumulative: (le, observations at most le), in the text's order (rising).
    let mut buckets: Vec<(String, u64)> = Vec::new();
    for line in text.lines() {
        let Some((labels, count)) = line
            .strip_prefix(name)
            .and_then(|r| r.strip_prefix("_bucket{"))
            .and_then(|r| r.rsplit_once("} "))
        else {
            continue;
        };
        let (mut le, mut others) = (None, Vec::new());
        for pair in labels.split(',') {
            match pair.strip_prefix("le=") {
                Some(v) => le = Some(v.trim_matches('"')),
                None => others.push(pair),
            }
        }
        if let (Some(le), true) = (le, others == label.into_iter().collect::<Vec<_>>()) {
            buckets.push((le.to_owned(), count.parse().unwrap_or(0)));
        }
    }
    let total = buckets.last().map_or(0, |b| b.1);
    let at_most = buckets
        .iter()
        .filter(|(le, _)| le.parse::<f64>().is_ok_and(|b| b <= limit))
        .map(|b| b.1)
        .max()
        .unwrap_or(0);
    let top = buckets.iter().find(|b| total > 0 && b.1 == total);
    (total - at_most, top.map(|b| b.0.clone()))
}

/// The child's resident memory, KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let seconds = env_u64("TXSTATE_SOAK_SECONDS", 600);
    let rate = env_u64("TXSTATE_SOAK_RATE", 8_500).max(1);
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_txstate-server"))
        .args(["--bind", "127.0.0.1:0", "--database-url"])
        .arg(dir.path().join("soak.db"))
        .env("TXSTATE_ADMIN_TOKEN", ADMIN)
        .env("TXSTATE_DEMO", "true")
        .env("TXSTATE_RATE_REQUESTS", "1000000000")
        .env("RUST_LOG", "warn,txstate_server=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the server printed its address")
            .unwrap();
        if let Some(rest) = line.split("txstate is serving at ").nth(1) {
            break rest.split('/').take(3).collect::<Vec<_>>().join("/");
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let http = reqwest::Client::new();
        let user: Value = http
            .post(format!("{url}/admin/api/api-users"))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "soak"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let secret = Arc::new(user["secretKey1"].as_str().unwrap().to_owned());
        // Notifications counted on the dashboard for the deployments the soak feeds.
        let counted = || async {
            let d: Value = http
                .get(format!("{url}/admin/api/dashboard"))
                .bearer_auth(ADMIN)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            d.as_array()
                .unwrap()
                .iter()
                .filter(|r| DEPLOYMENTS.contains(&r["deploymentId"].as_str().unwrap_or("")))
                .map(|r| r["success"].as_u64().unwrap() + r["failure"].as_u64().unwrap())
                .sum::<u64>()
        };
        let base_count = counted().await;
        println!(
            "soak: {rate} notify req/s for {seconds} s over {CONNECTIONS} connections; server pid {pid}, RSS at start {} KiB",
            rss_kib(pid)
        );
        let sent = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        // The slowest request (µs) since the last minute's line.
        let slowest = Arc::new(AtomicU32::new(0));
        let start = Instant::now();
        let deadline = start + Duration::from_secs(seconds);
        let period = Duration::from_secs_f64(CONNECTIONS as f64 / rate as f64);
        let mut tasks = Vec::new();
        for c in 0..CONNECTIONS {
            let (sent, errors, slowest, secret, url) = (
                sent.clone(),
                errors.clone(),
                slowest.clone(),
                secret.clone(),
                url.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .unwrap();
                let mut tick = tokio::time::interval(period);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut i = 0u64;
                // Every request's latency in µs: the percentiles are read off them at the end.
                let mut latencies: Vec<u32> = Vec::new();
                // This connection's slowest request: µs, and when it was sent.
                let mut worst = (0u32, Duration::ZERO);
                while Instant::now() < deadline {
                    tick.tick().await;
                    let n = i * CONNECTIONS + c;
                    i += 1;
                    let body = json!({
                        "responseState": if n % 4 == 0 { "532" } else { "531" },
                        "refTransId": format!("SOAK_{n}"),
                        "deploymentId": DEPLOYMENTS[(n % 2) as usize],
                        "additionalInfo": "{\"responseCode\":\"200\"}",
                    });
                    let t = Instant::now();
                    let ok = client
                        .post(format!("{url}/campaignapi/resources/v3/notifytransactionstate"))
                        .bearer_auth(secret.as_str())
                        .json(&body)
                        .send()
                        .await
                        .map(|r| r.status().as_u16() == 200)
                        .unwrap_or(false);
                    let took = u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX);
                    latencies.push(took);
                    slowest.fetch_max(took, Ordering::Relaxed);
                    if took > worst.0 {
                        worst = (took, t.duration_since(start));
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                (latencies, worst)
            }));
        }
        let (mut last, mut last_at) = (0, Instant::now());
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(60).min(deadline - Instant::now())).await;
            let s = sent.load(Ordering::Relaxed);
            println!(
                "  {:>4} s: sent {s:>9} ({:>6.0}/s since the last line), slowest {:.1} ms, errors {}, RSS {} KiB, WAL {} KiB",
                start.elapsed().as_secs(),
                (s - last) as f64 / last_at.elapsed().as_secs_f64(),
                f64::from(slowest.swap(0, Ordering::Relaxed)) / 1e3,
                errors.load(Ordering::Relaxed),
                rss_kib(pid),
                wal_kib(dir.path())
            );
            (last, last_at) = (s, Instant::now());
        }
        let mut latencies = Vec::new();
        let mut worst = (0, Duration::ZERO);
        for t in tasks {
            let (mine, their_worst) = t.await.unwrap();
            latencies.extend(mine);
            worst = worst.max(their_worst);
        }
        latencies.sort_unstable();
        let at = |q: f64| {
            let i = ((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1));
            f64::from(latencies.get(i).copied().unwrap_or(0)) / 1e3
        };
        let s = sent.load(Ordering::Relaxed);
        let e = errors.load(Ordering::Relaxed);
        let grew = counted().await - base_count;
        let took = start.elapsed().as_secs_f64();
        let per_second = s as f64 / took;
        println!(
            "soak done: {s} requests in {took:.0} s ({per_second:.0}/s), errors {e}, RSS at end {} KiB",
            rss_kib(pid)
        );
        let reached = per_second / rate as f64;
        if reached < 0.95 {
            // Each connection sends when its last answer came (missed ticks are delayed, not
            // sent at once): a run that falls short measured a saturated machine, and requests
            // a stall kept from being sent are not counted as late.
            println!(
                "short of the rate: {:.0} % of the {rate}/s asked was sent; the client or the machine bounds this run, not only the server",
                reached * 100.0
            );
        }
        println!(
            "latency: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.1} ms (sent {:.1} s into the run)",
            at(0.5),
            at(0.99),
            at(0.999),
            at(1.0),
            worst.1.as_secs_f64()
        );
        // The server's own view: a stall it timed is inside it; one it did not, around it.
        let text = http
            .get(format!("{url}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for (what, name, label) in [
            ("answers (its clock)", "txstate_request_seconds", None),
            (
                "writer transactions",
                "txstate_write_batch_seconds",
                Some("writer=\"sqlite\""),
            ),
            ("log flushes", "txstate_sqlite_log_flush_seconds", None),
            (
                "passive checkpoints",
                "txstate_sqlite_checkpoint_seconds",
                Some("mode=\"passive\""),
            ),
            (
                "restarting checkpoints",
                "txstate_sqlite_checkpoint_seconds",
                Some("mode=\"restart\""),
            ),
        ] {
            let (slow, top) = over(&text, name, label, 0.025);
            println!(
                "server: {what}: {slow} over 25 ms, the slowest at most {} s",
                top.as_deref().unwrap_or("-")
            );
        }
        println!(
            "counts: the dashboard grew by {grew}; accepted {}: {}",
            s - e,
            if grew == s - e { "equal" } else { "DIFFERENT" }
        );
        assert_eq!(grew, s - e, "every accepted notification is counted once");
    });
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let _ = child.wait();
}
