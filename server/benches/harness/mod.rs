//! What the load benchmarks share: the load generator, the figures and the notify request
//! mix, so that every configuration is measured by the same harness.
#![allow(dead_code, clippy::print_stdout, clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

pub const CONNECTIONS: usize = 64;
pub const SECONDS: u64 = 10;
pub const ADMIN: &str = "bench-admin-token-0123456789";
pub const SECRET: &str = "bench-secret-key";

/// Builds request `n` on a client's connection.
pub type MakeRequest = Arc<dyn Fn(&reqwest::Client, u64) -> reqwest::RequestBuilder + Send + Sync>;

pub struct Figures {
    pub rps: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub errors: u64,
}

/// `CONNECTIONS` clients, each on its own connection, sending for `SECONDS`.
pub async fn load(make: MakeRequest, clients: Vec<reqwest::Client>) -> Figures {
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let mut tasks = Vec::new();
    for client in clients {
        let (make, counter, errors) = (make.clone(), counter.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(50_000);
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let ok = match make(&client, n).build() {
                    Ok(req) => client
                        .execute(req)
                        .await
                        .map(|r| r.status().is_success())
                        .unwrap_or(false),
                    Err(_) => false,
                };
                lat.push(t.elapsed());
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            lat
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().max(Duration::from_secs(SECONDS));
    all.sort_unstable();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    Figures {
        rps: all.len() as f64 / elapsed.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
        errors: errors.load(Ordering::Relaxed),
    }
}

pub fn clients() -> Vec<reqwest::Client> {
    (0..CONNECTIONS)
        .map(|_| {
            reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap()
        })
        .collect()
}

pub fn report(name: &str, f: &Figures) {
    println!(
        "{name:<28} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   errors {}",
        f.rps,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        f.errors
    );
}

/// Notifications spread over the servers at `bases` (`http://host:port`), request by request:
/// new transactions, a quarter of them failures.
pub fn notify_requests(bases: Vec<String>, secret: String) -> MakeRequest {
    let urls: Vec<String> = bases
        .iter()
        .map(|b| format!("{b}/campaignapi/resources/v3/notifytransactionstate"))
        .collect();
    Arc::new(move |c: &reqwest::Client, n: u64| {
        let body = json!({"responseState": if n % 4 == 0 { "532" } else { "531" }, "refTransId": format!("BENCH_{n:019}"),
            "deploymentId": "API_1605176965390000881", "additionalInfo": "{\"responseCode\":\"200\"}"});
        c.post(&urls[(n % urls.len() as u64) as usize])
            .bearer_auth(&secret)
            .header("content-type", "application/json")
            .body(body.to_string())
    })
}
