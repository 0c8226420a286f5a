//! Scale-out benchmark (not a test; `cargo xtask bench` runs it): notify requests per second
//! with the same harness and request mix as `load.rs`, against the server binary as separate
//! processes:
//!
//! 1. one server on SQLite (durable commits),
//! 2. one server on PostgreSQL,
//! 3. two servers on one PostgreSQL database, the connections spread over both.
//!
//! PostgreSQL is `TXSTATE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`);
//! each run gets a fresh database, dropped afterwards. Everything shares this machine.
#![allow(clippy::print_stdout, clippy::unwrap_used)] // a benchmark's report is its output

mod harness;
#[path = "../tests/common/process.rs"]
mod process;

use harness::{clients, load, notify_requests, report, ADMIN, CONNECTIONS, SECONDS};
use process::ServerProcess;
use serde_json::{json, Value};
use tokio_postgres::NoTls;

const BINARY: &str = env!("CARGO_BIN_EXE_txstate-server");

async fn server(url: &str, demo: bool) -> ServerProcess {
    let demo = if demo { "true" } else { "false" };
    ServerProcess::start(
        BINARY,
        &[
            ("TXSTATE_DATABASE_URL", url),
            ("TXSTATE_ADMIN_TOKEN", ADMIN),
            ("TXSTATE_DEMO", demo),
            ("RUST_LOG", "warn,txstate_server=info"),
        ],
    )
    .await
}

/// An API user without a practical rate limit; its secret.
async fn bench_user(s: &ServerProcess) -> String {
    let v: Value = reqwest::Client::new()
        .post(format!("{}/admin/api/api-users", s.base))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "bench", "grants": ["notify"],
            "rateLimit": {"requests": 1_000_000_000u32, "perSeconds": 1}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["secretKey1"].as_str().unwrap().to_owned()
}

/// A fresh PostgreSQL database; its URL and a closure's worth of cleanup (name).
async fn pg_database(server: &str) -> (String, String) {
    let (client, conn) = tokio_postgres::connect(server, NoTls).await.unwrap();
    tokio::spawn(conn);
    let name = format!("txstate_bench_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let (base, _) = server.rsplit_once('/').unwrap();
    (format!("{base}/{name}"), name)
}

async fn drop_database(server: &str, name: &str) {
    let (client, conn) = tokio_postgres::connect(server, NoTls).await.unwrap();
    tokio::spawn(conn);
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .unwrap();
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!(
            "scale: notify, {CONNECTIONS} connections for {SECONDS} s each, on {} cores (servers, PostgreSQL and load generator together)",
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        );
        let dir = tempfile::tempdir().unwrap();
        let sqlite = server(dir.path().join("bench.db").to_str().unwrap(), true).await;
        let secret = bench_user(&sqlite).await;
        let f = load(notify_requests(vec![sqlite.base.clone()], secret), clients()).await;
        report("SQLite, 1 process", &f);
        drop(sqlite);

        let pg = std::env::var("TXSTATE_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let (url, name) = pg_database(&pg).await;
        let one = server(&url, true).await;
        let secret = bench_user(&one).await;
        let f = load(notify_requests(vec![one.base.clone()], secret), clients()).await;
        report("PostgreSQL, 1 process", &f);
        drop(one);
        drop_database(&pg, &name).await;

        let (url, name) = pg_database(&pg).await;
        let a = server(&url, true).await;
        let secret = bench_user(&a).await;
        // Started after the user exists, so it has the key from the start.
        let b = server(&url, false).await;
        let f = load(
            notify_requests(vec![a.base.clone(), b.base.clone()], secret),
            clients(),
        )
        .await;
        report("PostgreSQL, 2 processes", &f);
        drop((a, b));
        drop_database(&pg, &name).await;
    });
}
