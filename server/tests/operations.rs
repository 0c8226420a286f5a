//! Operating the server behind a load balancer, over real sockets: forwarded client addresses
//! (trusted and untrusted peers), the log's formats and access lines, the alert webhook and
//! gauge (one server on SQLite, two on one PostgreSQL), a header trickle cut off, an oversized
//! body sent whole before reading, the `migrate` and `healthcheck` subcommands, secrets from
//! files, and `/readyz` while draining.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::backends::PgDatabase;
use common::process::ServerProcess;
use common::{notification, until, TestServer, ADMIN, NOTIFY};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BINARY: &str = env!("CARGO_BIN_EXE_txstate-server");
const DEPLOYMENT: &str = "API_1605176965390000881";

fn via(forwarded_for: &str) -> reqwest::header::HeaderMap {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        "x-forwarded-for",
        forwarded_for.parse().expect("header value"),
    );
    h
}

/// A notification with an unknown key, forwarded for `forwarded_for`: its request log entry.
async fn refused_via(s: &TestServer, forwarded_for: &str) -> Value {
    let res = s
        .http
        .post(s.url(NOTIFY))
        .bearer_auth("no-such-key")
        .headers(via(forwarded_for))
        .body("{}")
        .send()
        .await
        .expect("notify");
    assert_eq!(res.status().as_u16(), 401);
    let (code, page) = s.admin("GET", "/requests?status=401&limit=1", None).await;
    assert_eq!(code, 200, "{page}");
    page["items"][0].clone()
}

async fn admin_with(s: &TestServer, token: &str, forwarded_for: &str) -> u16 {
    s.http
        .get(s.url("/admin/api/info"))
        .bearer_auth(token)
        .headers(via(forwarded_for))
        .send()
        .await
        .expect("admin call")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    let behind = TestServer::start_with(|c| {
        c.trusted_proxies.0 = vec!["127.0.0.0/8".parse().expect("cidr")];
    })
    .await;
    let logged = refused_via(&behind, "198.51.100.7").await;
    assert_eq!(logged["client"], "198.51.100.7 via 127.0.0.1", "{logged}");
    // The slowdown counts the forwarded client, not the balancer every client comes through.
    for _ in 0..5 {
        assert_eq!(
            admin_with(&behind, "wrong-token", "198.51.100.7").await,
            401
        );
    }
    assert_eq!(
        admin_with(&behind, ADMIN, "198.51.100.7").await,
        429,
        "the guessing client waits, right token or not"
    );
    assert_eq!(
        admin_with(&behind, ADMIN, "198.51.100.8").await,
        200,
        "another client behind the same balancer does not"
    );
    // IPv6 clients are counted by their /64.
    for i in 0..5 {
        let addr = format!("2001:db8:1:2::{i}");
        assert_eq!(admin_with(&behind, "wrong-token", &addr).await, 401);
    }
    assert_eq!(admin_with(&behind, ADMIN, "2001:db8:1:2::ffff").await, 429);
    assert_eq!(admin_with(&behind, ADMIN, "2001:db8:1:3::1").await, 200);
    behind.stop().await;

    let direct = TestServer::start().await;
    let logged = refused_via(&direct, "198.51.100.7").await;
    assert_eq!(
        logged["client"], "127.0.0.1",
        "an untrusted peer's header is ignored: {logged}"
    );
    for i in 0..5 {
        let forged = format!("203.0.113.{i}");
        assert_eq!(admin_with(&direct, "wrong-token", &forged).await, 401);
    }
    assert_eq!(
        admin_with(&direct, ADMIN, "203.0.113.200").await,
        429,
        "a forged header does not buy a fresh start"
    );
    direct.stop().await;
}

/// An API user on a server process; its secret key.
async fn process_user(http: &reqwest::Client, base: &str, admin: &str) -> String {
    let res = http
        .post(format!("{base}/admin/api/api-users"))
        .bearer_auth(admin)
        .json(&json!({"name": "ops", "grants": ["notify", "voice"]}))
        .send()
        .await
        .expect("create user");
    assert_eq!(res.status().as_u16(), 201);
    let v: Value = res.json().await.expect("json");
    v["secretKey1"].as_str().expect("secret").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_parse_carry_an_access_line_per_request_and_no_secret() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let admin = "json-log-admin-token-0123456789";
    let mut server = ServerProcess::start(
        BINARY,
        &[
            ("TXSTATE_DATABASE_URL", &db),
            ("TXSTATE_ADMIN_TOKEN", admin),
            ("TXSTATE_LOG_FORMAT", "json"),
            ("TXSTATE_DEMO", "true"),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    let secret = process_user(&http, &server.base, admin).await;
    let body = notification(DEPLOYMENT, "REF_json_log_1", "531", None);
    let res = http
        .post(format!("{}{NOTIFY}", server.base))
        .bearer_auth(&secret)
        .header("x-request-id", "trace-me-0001")
        .json(&body)
        .send()
        .await
        .expect("notify");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["x-request-id"], "trace-me-0001");
    let refused = http
        .get(format!("{}/admin/api/info?token={admin}", server.base))
        .bearer_auth("a-wrong-admin-token")
        .send()
        .await
        .expect("admin");
    assert_eq!(refused.status().as_u16(), 401);
    server.terminate();
    assert!(server.exited(Duration::from_secs(30)).await.success());

    let lines = server.lines.lock().expect("lines").clone();
    let mut access = Vec::new();
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if v["target"] == "txstate::access" {
            access.push(v);
        }
        for secret in [secret.as_str(), admin, "a-wrong-admin-token"] {
            assert!(!line.contains(secret), "a secret in the log: {line}");
        }
    }
    let notify = access
        .iter()
        .find(|v| v["span"]["request_id"] == "trace-me-0001")
        .unwrap_or_else(|| panic!("no access line for the notification in {lines:#?}"));
    // The event's fields, and the request's span's.
    assert_eq!(notify["status"], 200);
    assert_eq!(notify["code"], 1100);
    assert!(notify["latency_ms"].as_f64().is_some(), "{notify}");
    let span = &notify["span"];
    assert_eq!(span["method"], "POST");
    assert_eq!(span["path"], NOTIFY);
    assert_eq!(span["client"], "127.0.0.1");
    assert!(
        access
            .iter()
            .any(|v| v["span"]["path"] == "/admin/api/info" && v["status"] == 401),
        "the refused admin request has its line too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_logs_have_no_colour_codes_outside_a_terminal() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    // ServerProcess sets NO_COLOR; a pipe alone must be enough.
    let mut child = tokio::process::Command::new(BINARY)
        .env("TXSTATE_DATABASE_URL", &db)
        .env("TXSTATE_ADMIN_TOKEN", ADMIN)
        .env("TXSTATE_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start");
    let mut out = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("serving at") {
        let n = tokio::time::timeout(Duration::from_secs(60), out.read(&mut buf))
            .await
            .expect("it starts")
            .expect("read");
        assert!(n > 0, "it exited: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(
        !seen.contains(&0x1b),
        "escape codes in a pipe: {}",
        String::from_utf8_lossy(&seen)
    );
}

/// A local receiver of webhooks: every body it got, in order.
async fn webhook_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
            let kept = kept.clone();
            async move {
                kept.lock().expect("hooks").push(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

async fn metrics(http: &reqwest::Client, base: &str) -> String {
    http.get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

/// A metric's value in `/metrics` text (0 when absent).
fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Crossing and recovery on `servers` (all on one database, whose writer is `writer`): one
/// webhook each, from one server, and every server's gauge follows; `/metrics` shows the
/// writer's commits and the database connections.
async fn alert_scenario(
    servers: &[ServerProcess],
    hooks: &Arc<Mutex<Vec<Value>>>,
    admin: &str,
    writer: &str,
) {
    let http = reqwest::Client::new();
    let base = &servers[0].base;
    let res = http
        .post(format!("{base}/admin/api/actions"))
        .bearer_auth(admin)
        .json(&json!({"id": "act-ops", "name": "Ops card", "responseType": "async", "alertThresholdPercent": 50}))
        .send()
        .await
        .expect("action");
    assert_eq!(res.status().as_u16(), 201, "{:?}", res.text().await);
    let res = http
        .post(format!("{base}/admin/api/deployments"))
        .bearer_auth(admin)
        .json(&json!({"id": "API_1700000000000000777", "name": "Ops", "channel": "external-action", "type": "onetime", "status": "running", "actionId": "act-ops"}))
        .send()
        .await
        .expect("deployment");
    assert_eq!(res.status().as_u16(), 201, "{:?}", res.text().await);
    let secret = process_user(&http, base, admin).await;
    let gauge = "txstate_deployment_alerting{deployment_id=\"API_1700000000000000777\"}";
    let sent = "txstate_alert_webhooks_total{state=\"sent\"}";

    for (state, count, event) in [("532", 3, "alerting"), ("531", 4, "recovered")] {
        for i in 0..count {
            let s = &servers[i % servers.len()];
            let body = notification(
                "API_1700000000000000777",
                &format!("REF_{state}_{i}"),
                state,
                None,
            );
            let res = http
                .post(format!("{}{NOTIFY}", s.base))
                .bearer_auth(&secret)
                .json(&body)
                .send()
                .await
                .expect("notify");
            assert_eq!(res.status().as_u16(), 200);
        }
        let want = if event == "alerting" { 1.0 } else { 0.0 };
        for s in servers {
            until(&format!("{} sees {event}", s.base), || async {
                metric(&metrics(&http, &s.base).await, gauge) == want
            })
            .await;
        }
        until("the webhook arrives", || async {
            hooks
                .lock()
                .expect("hooks")
                .iter()
                .any(|h| h["event"] == event)
        })
        .await;
        // Every server has had its say (its gauge moved after its claim): exactly one sent.
        let mut total = 0.0;
        for s in servers {
            total += metric(&metrics(&http, &s.base).await, sent);
        }
        let got = hooks.lock().expect("hooks").clone();
        let expected = if event == "alerting" { 1 } else { 2 };
        assert_eq!(got.len(), expected, "one webhook per change: {got:#?}");
        assert_eq!(total, expected as f64, "sent by one server only");
    }
    let got = hooks.lock().expect("hooks").clone();
    let crossing = &got[0];
    assert_eq!(crossing["event"], "alerting");
    assert_eq!(crossing["deploymentId"], "API_1700000000000000777");
    assert_eq!(crossing["actionId"], "act-ops");
    assert_eq!(crossing["failureRatePercent"], 100.0);
    assert_eq!(crossing["thresholdPercent"], 50.0);
    assert_eq!(crossing["windowMinutes"], 60);
    assert_eq!(got[1]["event"], "recovered");
    assert!(got[1]["failureRatePercent"].as_f64().expect("rate") <= 50.0);

    let text = metrics(&http, base).await;
    let commits = metric(
        &text,
        &format!("txstate_write_batch_size_count{{writer=\"{writer}\"}}"),
    );
    assert!(commits >= 1.0, "{writer} commits counted:\n{text}");
    if writer == "sqlite" {
        // Every acknowledged write waited for a flush of the log (checkpoints run on a
        // timer: not asserted).
        let flushes = metric(&text, "txstate_sqlite_log_flush_seconds_count");
        assert!(flushes >= 1.0, "log flushes counted:\n{text}");
    }
    assert!(
        metric(&text, "txstate_db_connections{state=\"idle\"}") >= 1.0,
        "{text}"
    );
    if writer == "postgres" {
        // TXSTATE_PG_POOL_SIZE, and the four relaxed connections (request log, throttle).
        assert_eq!(metric(&text, "txstate_db_connections_max"), 8.0, "{text}");
    }
    assert!(text.contains("txstate_build_info{version=\""), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alert_webhook_is_sent_once_on_crossing_and_once_on_recovery() {
    let (url, hooks) = webhook_receiver().await;
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let server = ServerProcess::start(
        BINARY,
        &[
            ("TXSTATE_DATABASE_URL", &db),
            ("TXSTATE_ADMIN_TOKEN", ADMIN),
            ("TXSTATE_ALERT_WEBHOOK", &url),
        ],
    )
    .await;
    alert_scenario(std::slice::from_ref(&server), &hooks, ADMIN, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_postgresql_send_each_alert_once() {
    let Some(pg) = PgDatabase::create().await else {
        return;
    };
    let (url, hooks) = webhook_receiver().await;
    let env = [
        ("TXSTATE_DATABASE_URL", pg.url.as_str()),
        ("TXSTATE_ADMIN_TOKEN", ADMIN),
        ("TXSTATE_ALERT_WEBHOOK", &url),
        ("TXSTATE_PG_POOL_SIZE", "4"),
    ];
    let servers = [
        ServerProcess::start(BINARY, &env).await,
        ServerProcess::start(BINARY, &env).await,
    ];
    alert_scenario(&servers, &hooks, ADMIN, "postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    let s = TestServer::start_with(|c| c.header_timeout_ms = 500).await;
    let mut conn = TcpStream::connect(s.running.addr).await.expect("connect");
    conn.write_all(format!("POST {NOTIFY} HTTP/1.1\r\nhost: x\r\n").as_bytes())
        .await
        .expect("start");
    let started = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut buf = [0u8; 1024];
    let cut_off = loop {
        tick.tick().await;
        if started.elapsed() > Duration::from_secs(20) {
            break false;
        }
        // One more header line, slowly: the head never ends.
        if conn.write_all(b"x-slow: 1\r\n").await.is_err() {
            break true;
        }
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(1), conn.read(&mut buf)).await
        {
            break true;
        }
    };
    assert!(
        cut_off,
        "the connection was still open after 20 s of trickling"
    );
    // Others are served as usual.
    let (status, _) = s.admin("GET", "/info", None).await;
    assert_eq!(status, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_sent_whole_before_reading_gets_its_499() {
    let s = TestServer::start().await;
    let (_, secret) = s.user(&["notify"], None).await;
    let body = vec![b' '; 10 * 1024 * 1024];
    for _ in 0..3 {
        let mut conn = TcpStream::connect(s.running.addr).await.expect("connect");
        let head = format!(
            "POST {NOTIFY} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {secret}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        // As Python's http.client does: the whole request, then the answer.
        conn.write_all(head.as_bytes()).await.expect("head");
        conn.write_all(&body)
            .await
            .expect("the server reads what is sent before closing (no reset)");
        let mut answer = Vec::new();
        conn.read_to_end(&mut answer).await.expect("the answer");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 499"), "{text}");
        let json = &text[text.find("\r\n\r\n").expect("body") + 4..];
        let v: Value = serde_json::from_str(json).expect("json body");
        assert_eq!(v["code"], 499);
        assert!(v["description"]
            .as_str()
            .expect("description")
            .contains("more than 65536 bytes"));
    }
    s.stop().await;
}

fn run(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(BINARY)
        .args(args)
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .output()
        .expect("run the binary")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_and_healthcheck_answer_with_their_exit_status() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("fresh.db");
    let url = format!("sqlite://{}", path.display());
    let out = run(&["migrate"], &[("TXSTATE_DATABASE_URL", &url)]);
    assert!(out.status.success(), "{out:?}");
    let version: i64 = rusqlite::Connection::open(&path)
        .expect("open")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert!(version >= 2, "migrations applied: {version}");
    let out = run(
        &["migrate"],
        &[(
            "TXSTATE_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none?connect_timeout=2",
        )],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");

    let s = TestServer::start().await;
    let out = run(&["healthcheck", "--url", &s.base], &[]);
    assert!(out.status.success(), "{out:?}");
    let out = run(
        &["healthcheck"],
        &[("TXSTATE_BIND", &s.running.addr.to_string())],
    );
    assert!(out.status.success(), "from TXSTATE_BIND: {out:?}");
    let closed = s.base.clone();
    s.stop().await;
    let out = run(&["healthcheck", "--url", &closed], &[]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_read_from_files() {
    let dir = tempfile::tempdir().expect("dir");
    let token_file = dir.path().join("admin-token");
    std::fs::write(&token_file, "from-a-file-admin-token-0123\n").expect("write");
    let url_file = dir.path().join("database-url");
    std::fs::write(
        &url_file,
        format!("sqlite://{}\n", dir.path().join("t.db").display()),
    )
    .expect("write");
    let server = ServerProcess::start(
        BINARY,
        &[
            (
                "TXSTATE_ADMIN_TOKEN_FILE",
                token_file.to_str().expect("utf-8"),
            ),
            (
                "TXSTATE_DATABASE_URL_FILE",
                url_file.to_str().expect("utf-8"),
            ),
        ],
    )
    .await;
    let status = reqwest::Client::new()
        .get(format!("{}/admin/api/info", server.base))
        .bearer_auth("from-a-file-admin-token-0123")
        .send()
        .await
        .expect("admin")
        .status();
    assert_eq!(status.as_u16(), 200);
    assert!(dir.path().join("t.db").exists(), "the URL from the file");
    drop(server);

    let out = run(
        &["migrate"],
        &[(
            "TXSTATE_DATABASE_URL_FILE",
            dir.path().join("missing").to_str().expect("utf-8"),
        )],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TXSTATE_DATABASE_URL_FILE"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_answers_503_while_the_server_drains() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}", dir.path().join("t.db").display());
    let mut server = ServerProcess::start(
        BINARY,
        &[
            ("TXSTATE_DATABASE_URL", &db),
            ("TXSTATE_ADMIN_TOKEN", ADMIN),
            ("TXSTATE_DRAIN_SECONDS", "3"),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    let ready = |http: reqwest::Client, base: String| async move {
        http.get(format!("{base}/readyz"))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    assert_eq!(ready(http.clone(), server.base.clone()).await, 200);
    server.terminate();
    let base = server.base.clone();
    until("readyz turns 503", || {
        let (http, base) = (http.clone(), base.clone());
        async move { ready(http, base).await == 503 }
    })
    .await;
    let live = http
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .expect("still serving while draining");
    assert_eq!(live.status().as_u16(), 200);
    assert!(server.exited(Duration::from_secs(30)).await.success());
    assert!(server.output().contains("draining"), "{}", server.output());
}

#[test]
fn the_systemd_unit_is_valid_and_hardened() {
    let unit = std::fs::read_to_string(common::root().join("contrib/txstate.service"))
        .expect("contrib/txstate.service");
    for directive in [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/txstate",
        "StateDirectory=txstate",
        "ExecStartPre=/usr/local/bin/txstate-server migrate",
        "TXSTATE_ADMIN_TOKEN_FILE=%d/admin-token",
    ] {
        assert!(unit.contains(directive), "{directive} missing");
    }
    let Ok(which) = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
    else {
        eprintln!("note: systemd-analyze is not installed; the unit's syntax is not checked");
        return;
    };
    assert!(which.status.success());
    // Verified as installed, with the binary this build made in place of /usr/local/bin's.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("txstate.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/txstate-server", BINARY)).expect("write");
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
}
