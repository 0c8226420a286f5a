//! The doors (issue: hardening): security headers and the UI's Content-Security-Policy, CORS
//! closed unless configured, repeated wrong admin tokens slowed, and no secret in the logs.

mod common;

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};

use common::{TestServer, ADMIN, NOTIFY, TOKEN};
use serde_json::{json, Value};
use txstate_server::http::doors::FREE_FAILURES;
use txstate_server::http::ui;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_says_nosniff_and_ui_pages_carry_a_strict_policy() {
    let s = TestServer::start_with(|c| {
        c.frame_ancestors = "'self' https://portal.example".into();
    })
    .await;
    for path in ["/healthz", "/admin/api/info", "/nowhere", "/"] {
        let res = s.http.get(s.url(path)).send().await.expect("get");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(res.headers()["referrer-policy"], "no-referrer", "{path}");
    }
    let res = s.http.get(s.url("/")).send().await.expect("home");
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    if ui::embedded() {
        assert!(
            csp.starts_with("default-src 'none'; script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
            "{csp}"
        );
        assert!(
            csp.contains("connect-src 'self'") && csp.contains("style-src 'self';"),
            "{csp}"
        );
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"),
            "{csp}"
        );
        assert!(
            csp.ends_with("frame-ancestors 'self' https://portal.example"),
            "{csp}"
        );
        let embed = s
            .http
            .get(s.url("/embed.html"))
            .send()
            .await
            .expect("embed");
        assert!(embed.headers().contains_key("content-security-policy"));
    } else {
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }
    s.stop().await;
}

async fn preflight(s: &TestServer, origin: &str) -> reqwest::Response {
    s.http
        .request(reqwest::Method::OPTIONS, s.url("/admin/api/info"))
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .expect("preflight")
}

async fn get_from(s: &TestServer, origin: &str) -> reqwest::Response {
    s.http
        .get(s.url("/admin/api/info"))
        .header("origin", origin)
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("get")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_closed_unless_origins_are_allowed() {
    let closed = TestServer::start().await;
    let res = preflight(&closed, "https://portal.example").await;
    assert!(res.headers().get("access-control-allow-origin").is_none());
    assert!(
        !res.status().is_success(),
        "no preflight answer: {}",
        res.status()
    );
    let res = get_from(&closed, "https://portal.example").await;
    assert_eq!(
        res.status().as_u16(),
        200,
        "same answer, but browsers withhold it"
    );
    assert!(res.headers().get("access-control-allow-origin").is_none());
    closed.stop().await;

    let open =
        TestServer::start_with(|c| c.cors_origins = vec!["https://portal.example".into()]).await;
    let res = preflight(&open, "https://portal.example").await;
    assert_eq!(
        res.status().as_u16(),
        200,
        "tower-http answers preflights 200"
    );
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://portal.example"
    );
    assert!(res.headers()["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .contains("authorization"));
    let res = get_from(&open, "https://portal.example").await;
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://portal.example"
    );
    assert!(
        res.headers()
            .get_all("vary")
            .iter()
            .any(|v| v.to_str().expect("ascii").contains("origin")),
        "{:?}",
        res.headers()
    );
    for other in [
        "https://evil.example",
        "https://portal.example.evil",
        "null",
    ] {
        let res = preflight(&open, other).await;
        assert!(
            res.headers().get("access-control-allow-origin").is_none(),
            "{other}"
        );
        let res = get_from(&open, other).await;
        assert!(
            res.headers().get("access-control-allow-origin").is_none(),
            "{other}"
        );
    }
    open.stop().await;
}

fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::from(ip)))
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_wrong_admin_tokens_are_slowed_per_address() {
    let s = TestServer::start().await;
    let attacker = client_from([127, 0, 0, 2]);
    let staff = client_from([127, 0, 0, 3]);
    let info = s.url("/admin/api/info");
    for i in 0..FREE_FAILURES {
        let res = attacker
            .get(&info)
            .bearer_auth(format!("guess-{i}-0123456789"))
            .send()
            .await
            .expect("try");
        assert_eq!(res.status().as_u16(), 401, "attempt {i}");
    }
    // Now this address waits, whatever it sends, the right token included.
    let res = attacker
        .get(&info)
        .bearer_auth("guess-again-0123456789")
        .send()
        .await
        .expect("try");
    assert_eq!(res.status().as_u16(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=300).contains(&wait), "{wait}");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"], "too_many_attempts");
    let res = attacker
        .get(&info)
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("try");
    assert_eq!(res.status().as_u16(), 429);
    // Another address is not affected.
    let res = staff
        .get(&info)
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("staff");
    assert_eq!(res.status().as_u16(), 200);
    // Partners are not affected either (their keys are checked elsewhere).
    let res = attacker
        .post(s.url(NOTIFY))
        .body("{}")
        .send()
        .await
        .expect("partner");
    assert_eq!(res.status().as_u16(), 401);
    s.stop().await;
}

/// The server binary as a child with debug logs; every secret it handles is searched for in
/// what it wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_and_tokens_never_appear_in_the_logs() {
    let dir = tempfile::tempdir().expect("dir");
    let admin = "logs-admin-token-5f1e0c9a7d3b2e48";
    let mut child = Command::new(env!("CARGO_BIN_EXE_txstate-server"))
        .args(["--bind", "127.0.0.1:0", "--database-url"])
        .arg(dir.path().join("logs.db"))
        .env("TXSTATE_ADMIN_TOKEN", admin)
        .env("RUST_LOG", "debug")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server starts");
    let mut out = child.stdout.take().expect("stdout");
    // Read the log until the address appears (the rest is read after the server stops).
    let mut log = Vec::new();
    let url = loop {
        let mut b = [0u8; 4096];
        let n = out.read(&mut b).expect("read");
        assert!(n > 0, "the server printed its address");
        log.extend_from_slice(&b[..n]);
        let text = String::from_utf8_lossy(&log);
        if let Some(rest) = text.split("txstate is serving at ").nth(1) {
            if let Some(end) = rest.find('/').and_then(|_| rest.find(" (")) {
                break rest[..end].trim_end_matches('/').to_owned();
            }
        }
    };
    let http = reqwest::Client::new();
    let user: Value = http
        .post(format!("{url}/admin/api/api-users"))
        .bearer_auth(admin)
        .json(&json!({"name": "logs"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let secret = user["secretKey1"].as_str().expect("secret").to_owned();
    let key2: Value = http
        .post(format!(
            "{url}/admin/api/api-users/{}/secret-keys",
            user["apiKeyId"].as_str().expect("id")
        ))
        .bearer_auth(admin)
        .send()
        .await
        .expect("key 2")
        .json()
        .await
        .expect("json");
    let secret2 = key2["secretKey2"].as_str().expect("key 2").to_owned();
    let token: Value = http
        .post(format!("{url}{TOKEN}"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let access = token["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let body = json!({"responseState": "531", "refTransId": "LOGS_1", "deploymentId": "API_1"});
    for bearer in [&secret, &secret2, &access] {
        let res = http
            .post(format!("{url}{NOTIFY}"))
            .bearer_auth(bearer)
            .json(&body)
            .send()
            .await
            .expect("notify");
        assert_eq!(
            res.status().as_u16(),
            500,
            "authenticated, then refused by rule 1102"
        );
    }
    let wrong = "wrong-bearer-7c1d9e2f4a6b8c0d";
    let res = http
        .post(format!("{url}{NOTIFY}"))
        .bearer_auth(wrong)
        .json(&body)
        .send()
        .await
        .expect("notify");
    assert_eq!(res.status().as_u16(), 401);
    let res = http
        .get(format!("{url}/admin/api/requests"))
        .bearer_auth(admin)
        .send()
        .await
        .expect("log");
    assert_eq!(res.status().as_u16(), 200);
    let res = http
        .get(format!("{url}/admin/api/info"))
        .bearer_auth(wrong)
        .send()
        .await
        .expect("admin");
    assert_eq!(res.status().as_u16(), 401);
    // Stop it (SIGTERM) and read everything it wrote.
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    out.read_to_end(&mut log).expect("stdout");
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_end(&mut log)
        .expect("stderr");
    child.wait().expect("exits");
    let log = String::from_utf8_lossy(&log);
    assert!(
        log.contains("DEBUG") || log.contains("INFO"),
        "the logs were captured: {log}"
    );
    for (what, s) in [
        ("admin token", admin),
        ("secret key 1", &secret),
        ("secret key 2", &secret2),
        ("access token", &access),
        ("wrong bearer", wrong),
    ] {
        assert!(!log.contains(s), "the {what} is in the logs");
    }
}
