//! The typed client of the server (gloo-net over the browser's `fetch`): the admin API (with
//! the admin token), the two partner endpoints (with an API key the user typed, held in memory
//! only), and the events stream, read as a response body so the token travels in a header and
//! never in a URL (`EventSource` cannot send one).

use std::fmt;

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
pub use txstate_core::admin::ServerInfo;
use txstate_core::admin::{
    ApiUser, DashboardRow, LogEntry, Registered, ReplaySummary, RequestPage, VoiceDashboardView,
};
use txstate_core::report::SummaryRow;
use txstate_core::{Action, Api, Catalog, Deployment};

use crate::app::encode;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A request that did not give what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The HTTP status (0: no answer).
    pub status: u16,
    /// What went wrong, for the page.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            0 => write!(f, "{}", self.message),
            s => write!(f, "{} (HTTP {s})", self.message),
        }
    }
}

fn js_failure(e: JsValue) -> Failure {
    Failure {
        status: 0,
        message: format!(
            "the server did not answer: {}",
            e.as_string()
                .or_else(|| js_sys::Error::from(e).message().as_string())
                .unwrap_or_default()
        ),
    }
}

/// The admin API's error body.
#[derive(Deserialize)]
struct AdminError {
    message: String,
}

/// A partner endpoint's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct PartnerAnswer {
    /// HTTP status.
    pub status: u16,
    /// The body as sent.
    pub body: String,
    /// The `code` member, if any.
    pub code: Option<u16>,
    /// Round trip, milliseconds.
    pub latency_ms: f64,
}

/// The server at `base` (empty: this page's origin), with the admin token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// Base URL, no trailing slash.
    pub base: String,
    /// The admin token.
    pub token: String,
}

/// Milliseconds since the page started.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// A header value a browser can send (visible ASCII, space and tab): checked before the
/// request is built, so a pasted token with a stray character gets a sentence, not a throw.
fn sendable(v: &str) -> bool {
    v.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

fn net_failure(e: gloo_net::Error) -> Failure {
    Failure {
        status: 0,
        message: format!("the server did not answer: {e}"),
    }
}

/// One request through gloo-net (the browser's `fetch`).
async fn fetch(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<Response, Failure> {
    let mut b = match method {
        "GET" => Request::get(url),
        "POST" => Request::post(url),
        "PUT" => Request::put(url),
        "PATCH" => Request::patch(url),
        "DELETE" => Request::delete(url),
        other => {
            return Err(Failure {
                status: 0,
                message: format!("this page does not send {other} requests"),
            })
        }
    };
    for (k, v) in headers {
        if !sendable(v) {
            return Err(Failure {
                status: 0,
                message: format!("the {k} header holds characters a browser cannot send"),
            });
        }
        b = b.header(k, v);
    }
    let b = b.abort_signal(signal);
    let request = match body {
        Some(t) => b.body(t),
        None => b.build(),
    }
    .map_err(net_failure)?;
    request.send().await.map_err(net_failure)
}

async fn text(res: &Response) -> Result<String, Failure> {
    res.text().await.map_err(net_failure)
}

impl Client {
    /// A client of the server at `base`.
    pub fn new(base: &str, token: &str) -> Client {
        Client {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        }
    }

    /// The base URL a curl command should use.
    pub fn origin(&self) -> String {
        if self.base.is_empty() {
            web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .unwrap_or_default()
        } else {
            self.base.clone()
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/admin/api{path}", self.base)
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        accept: &str,
        body: Option<&str>,
    ) -> Result<String, Failure> {
        let auth = format!("Bearer {}", self.token);
        let mut headers = vec![("authorization", auth.as_str()), ("accept", accept)];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let res = fetch(method, &self.url(path), &headers, body, None).await?;
        let status = res.status();
        let t = text(&res).await?;
        if res.ok() {
            return Ok(t);
        }
        let message = serde_json::from_str::<AdminError>(&t)
            .map(|e| e.message)
            .unwrap_or_else(|_| format!("the server answered {status}"));
        Err(Failure { status, message })
    }

    /// `GET /admin/api{path}` as JSON.
    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        let t = self.call("GET", path, "application/json", None).await?;
        decode(&t)
    }

    /// `GET /admin/api{path}` as text of the type `accept`.
    async fn get_text(&self, path: &str, accept: &str) -> Result<String, Failure> {
        self.call("GET", path, accept, None).await
    }

    /// `method /admin/api{path}` with a JSON body; the answer as JSON.
    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: &B,
    ) -> Result<T, Failure> {
        let b = serde_json::to_string(body).map_err(|e| Failure {
            status: 0,
            message: e.to_string(),
        })?;
        let t = self
            .call(method, path, "application/json", Some(&b))
            .await?;
        decode(if t.is_empty() { "null" } else { &t })
    }

    /// `DELETE /admin/api{path}`.
    pub async fn delete(&self, path: &str) -> Result<(), Failure> {
        self.call("DELETE", path, "application/json", None)
            .await
            .map(drop)
    }

    /// The catalog the validator needs.
    pub async fn catalog(&self) -> Result<Catalog, Failure> {
        self.get("/catalog").await
    }

    // One method per admin endpoint the pages use: paths and answer types live here only.

    /// `GET /info`: version, status profile, body limit.
    pub async fn info(&self) -> Result<ServerInfo, Failure> {
        self.get("/info").await
    }

    /// `GET /dashboard`.
    pub async fn dashboard(&self) -> Result<Vec<DashboardRow>, Failure> {
        self.get("/dashboard").await
    }

    /// `GET /voice/dashboard`.
    pub async fn voice_dashboard(&self) -> Result<VoiceDashboardView, Failure> {
        self.get("/voice/dashboard").await
    }

    /// `GET /deployments/{id}/report`.
    pub async fn report(&self, deployment: &str) -> Result<Vec<SummaryRow>, Failure> {
        self.get(&format!("/deployments/{}/report", encode(deployment)))
            .await
    }

    /// `GET /deployments/{id}/report` as CSV.
    pub async fn report_csv(&self, deployment: &str) -> Result<String, Failure> {
        let path = format!("/deployments/{}/report", encode(deployment));
        self.get_text(&path, "text/csv").await
    }

    /// `GET /requests?{query}`: a page of the request log.
    pub async fn requests(&self, query: &str) -> Result<RequestPage, Failure> {
        self.get(&format!("/requests?{query}")).await
    }

    /// `GET /requests/{id}`: one logged request.
    pub async fn request(&self, id: &str) -> Result<LogEntry, Failure> {
        self.get(&format!("/requests/{}", encode(id))).await
    }

    /// `POST /requests/{id}/replay`: the replay's log entry.
    pub async fn replay(&self, id: &str) -> Result<LogEntry, Failure> {
        let path = format!("/requests/{}/replay", encode(id));
        self.send("POST", &path, &serde_json::json!({})).await
    }

    /// `POST /requests/replay?{filter}`: every unresolved request the filter matches.
    pub async fn replay_matching(&self, filter: &str) -> Result<ReplaySummary, Failure> {
        let path = format!("/requests/replay?{filter}");
        self.send("POST", &path, &serde_json::json!({})).await
    }

    /// `GET /api-users`.
    pub async fn api_users(&self) -> Result<Vec<ApiUser>, Failure> {
        self.get("/api-users").await
    }

    /// `POST /api-users`: the user and its secret key 1 (shown once).
    pub async fn create_api_user(&self, body: &Value) -> Result<Value, Failure> {
        self.send("POST", "/api-users", body).await
    }

    /// `PATCH /api-users/{id}`: name, grants, rate limit, enabled.
    pub async fn update_api_user(&self, id: &str, body: &Value) -> Result<ApiUser, Failure> {
        let path = format!("/api-users/{}", encode(id));
        self.send("PATCH", &path, body).await
    }

    /// `POST /api-users/{id}/secret-keys`: secret key 2 (shown once).
    pub async fn add_secret_key(&self, id: &str) -> Result<Value, Failure> {
        let path = format!("/api-users/{}/secret-keys", encode(id));
        self.send("POST", &path, &serde_json::json!({})).await
    }

    /// `PUT /{collection}/{id}` (`Some`: replace) or `POST /{collection}` (`None`: create).
    async fn save<T: DeserializeOwned>(
        &self,
        collection: &str,
        id: Option<&str>,
        body: &Value,
    ) -> Result<T, Failure> {
        match id {
            Some(id) => {
                let path = format!("/{collection}/{}", encode(id));
                self.send("PUT", &path, body).await
            }
            None => self.send("POST", &format!("/{collection}"), body).await,
        }
    }

    /// An External Action saved: replaced (`Some(id)`) or created.
    pub async fn save_action(&self, id: Option<&str>, body: &Value) -> Result<Action, Failure> {
        self.save("actions", id, body).await
    }

    /// A deployment saved: replaced (`Some(id)`) or created.
    pub async fn save_deployment(
        &self,
        id: Option<&str>,
        body: &Value,
    ) -> Result<Deployment, Failure> {
        self.save("deployments", id, body).await
    }

    /// `POST /deployments/{id}/transactions`.
    pub async fn register_transactions(
        &self,
        deployment: &str,
        ids: &[String],
    ) -> Result<Registered, Failure> {
        let path = format!("/deployments/{}/transactions", encode(deployment));
        self.send("POST", &path, &ids).await
    }

    /// Sends `body` to a partner endpoint with an API key, as a partner would.
    pub async fn partner(&self, api: Api, key: &str, body: &str) -> Result<PartnerAnswer, Failure> {
        let auth = format!("Bearer {key}");
        let headers = [
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ];
        let url = format!("{}{}", self.base, api.path());
        let started = now_ms();
        let res = fetch(api.method(), &url, &headers, Some(body), None).await?;
        let status = res.status();
        let body = text(&res).await?;
        let latency_ms = now_ms() - started;
        let code = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("code")?.as_u64())
            .and_then(|c| u16::try_from(c).ok());
        Ok(PartnerAnswer {
            status,
            body,
            code,
            latency_ms,
        })
    }

    /// Reads the events stream until it ends or `signal` aborts, calling `on` with each
    /// event's name. Server-sent events are parsed here: `event:` and `data:` lines, a blank
    /// line ends an event.
    pub async fn events(
        &self,
        signal: &web_sys::AbortSignal,
        mut on: impl FnMut(&str),
    ) -> Result<(), Failure> {
        let auth = format!("Bearer {}", self.token);
        let headers = [
            ("authorization", auth.as_str()),
            ("accept", "text/event-stream"),
        ];
        let res = fetch("GET", &self.url("/events"), &headers, None, Some(signal)).await?;
        if !res.ok() {
            return Err(Failure {
                status: res.status(),
                message: "the events stream was refused".into(),
            });
        }
        let Some(stream) = res.body() else {
            return Ok(());
        };
        let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let chunk = JsFuture::from(reader.read()).await.map_err(js_failure)?;
            let done = js_sys::Reflect::get(&chunk, &"done".into())
                .map(|d| d.is_truthy())
                .unwrap_or(true);
            if done {
                return Ok(());
            }
            if let Ok(v) = js_sys::Reflect::get(&chunk, &"value".into()) {
                buf.extend(js_sys::Uint8Array::new(&v).to_vec());
            }
            for event in take_events(&mut buf) {
                on(&event);
            }
        }
    }
}

/// Removes the complete events from `buf`, returning their names (`message` when unnamed;
/// comments and keep-alives are dropped).
pub fn take_events(buf: &mut Vec<u8>) -> Vec<String> {
    let mut names = Vec::new();
    loop {
        let text = String::from_utf8_lossy(buf).replace("\r\n", "\n");
        let Some(end) = text.find("\n\n") else {
            return names;
        };
        let block = &text[..end];
        let mut name = None;
        let mut has_data = false;
        for line in block.lines() {
            if let Some(n) = line.strip_prefix("event:") {
                name = Some(n.trim().to_owned());
            } else if line.starts_with("data:") {
                has_data = true;
            }
        }
        if has_data {
            names.push(name.unwrap_or_else(|| "message".into()));
        }
        *buf = text.as_bytes()[end + 2..].to_vec();
    }
}

fn decode<T: DeserializeOwned>(t: &str) -> Result<T, Failure> {
    serde_json::from_str(t).map_err(|e| Failure {
        status: 0,
        message: format!("the server's answer was not what this page expects: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::take_events;

    #[test]
    fn server_sent_events_are_split_on_blank_lines() {
        let mut buf = b"event: notify\ndata: {\"a\":1}\n\n: keep-alive\n\nevent: voice\r\ndata: {}\r\n\r\ndata: x\n\nevent: par".to_vec();
        assert_eq!(take_events(&mut buf), ["notify", "voice", "message"]);
        assert_eq!(buf, b"event: par");
        buf.extend(b"tial\ndata: 1\n\n");
        assert_eq!(take_events(&mut buf), ["partial"]);
        assert!(buf.is_empty());
    }
}
