//! A real server on an ephemeral port over a real SQLite file in a temporary folder, and the
//! calls the tests make to it.
#![allow(dead_code)]

pub mod backends;
pub mod process;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use txstate_core::Catalog;
use txstate_server::{build, start, Config, Running};

pub const ADMIN: &str = "test-admin-token-0123456789";
pub const NOTIFY: &str = "/campaignapi/resources/v3/notifytransactionstate";
pub const VOICE: &str = "/campaignapi/resources/v3/voicecampaigntransactions";
pub const TOKEN: &str = "/campaignapi/resources/v3/accesstoken";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn demo_catalog() -> Catalog {
    let text =
        std::fs::read_to_string(root().join("fixtures/catalogs/demo.json")).expect("demo catalog");
    serde_json::from_str(&text).expect("catalog")
}

pub struct TestServer {
    pub running: Running,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

impl TestServer {
    /// A server with the demo catalog and nothing else.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(change: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("txstate.db");
        let mut config = Config::for_tests(db.to_str().expect("utf-8 path"), ADMIN);
        change(&mut config);
        let built = build(config).await.expect("server builds");
        let catalog = demo_catalog();
        for a in catalog.actions {
            built.state.store.put_action(a).await.expect("action");
        }
        for d in catalog.deployments {
            built
                .state
                .store
                .put_deployment(d, 0)
                .await
                .expect("deployment");
        }
        built.state.reload_catalog().await.expect("catalog");
        let running = start(&built).await.expect("server starts");
        let base = format!("http://{}", running.addr);
        TestServer {
            running,
            base,
            dir,
            http: reqwest::Client::new(),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("txstate.db")
    }

    /// A read connection to the server's database file, for recounts.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db_path()).expect("open the database")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An admin call: (status, JSON body or Null).
    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut r = self
            .http
            .request(m, self.url(&format!("/admin/api{path}")))
            .bearer_auth(ADMIN);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("admin call");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Creates an API user; returns (apiKeyId, secretKey1).
    pub async fn user(&self, grants: &[&str], rate: Option<(u32, u32)>) -> (String, String) {
        let mut body = json!({"name": "test partner", "grants": grants});
        if let Some((requests, per_seconds)) = rate {
            body["rateLimit"] = json!({"requests": requests, "perSeconds": per_seconds});
        }
        let (status, v) = self.admin("POST", "/api-users", Some(body)).await;
        assert_eq!(status, 201, "{v}");
        (
            v["apiKeyId"].as_str().expect("id").to_owned(),
            v["secretKey1"].as_str().expect("secret").to_owned(),
        )
    }

    /// A partner call with a raw body: (status, headers, JSON body or Null).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: &[u8],
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut r = self
            .http
            .request(m, self.url(path))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(b) = bearer {
            r = r.bearer_auth(b);
        }
        let res = r.send().await.expect("partner call");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        (status, headers, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn notify(&self, secret: &str, body: &Value) -> (u16, Value) {
        let (s, _, v) = self
            .call("POST", NOTIFY, Some(secret), body.to_string().as_bytes())
            .await;
        (s, v)
    }

    pub async fn voice(&self, secret: &str, body: &Value) -> (u16, Value) {
        let (s, _, v) = self
            .call("PATCH", VOICE, Some(secret), body.to_string().as_bytes())
            .await;
        (s, v)
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }
}

/// A notification body.
pub fn notification(deployment: &str, ref_id: &str, state: &str, code: Option<&str>) -> Value {
    let mut b = json!({"responseState": state, "refTransId": ref_id, "deploymentId": deployment});
    if let Some(c) = code {
        b["additionalInfo"] = Value::String(json!({"responseCode": c}).to_string());
    }
    b
}

/// Waits (at most 60 s, polling) until `cond` holds.
pub async fn until<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        if cond().await {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
    }
}
