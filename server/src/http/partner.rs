//! The two partner endpoints (contract: API 1 and API 2), one pipeline in the contract's check
//! order: method → authentication → throttle → body → fields → deployment rules. The verdict
//! is core's; the server adds only what needs stored state (idempotency, stale updates).

use std::sync::Arc;
use std::time::Instant;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use serde_json::{json, Value};
use txstate_core::time::DateTime;
use txstate_core::{Api, Code, Normalized, Options, Warning};

use crate::auth;
use crate::error::{ApiError, WireFieldError};
use crate::http::client::ClientAddr;
use crate::http::InBodyCode;
use crate::listener::Linger;
use crate::state::{now_ms, AppState, EventKind};
use crate::store::{LogEntry, LogLine, NotifyOutcome, NotifyWrite, VoiceOutcome, VoiceWrite};

/// `POST /campaignapi/resources/v3/notifytransactionstate`
pub const NOTIFY_PATH: &str = Api::Notify.path();
/// `PATCH /campaignapi/resources/v3/voicecampaigntransactions`
pub const VOICE_PATH: &str = Api::Voice.path();

/// The request log keeps this much of a body.
const LOG_BODY_BYTES: usize = 8 * 1024;

/// Any method on the notify path.
pub async fn notify(State(s): State<Arc<AppState>>, req: Request) -> Response {
    handle(s, Api::Notify, req).await
}

/// Any method on the voice path.
pub async fn voice(State(s): State<Arc<AppState>>, req: Request) -> Response {
    handle(s, Api::Voice, req).await
}

/// Request headers for the log, as a JSON object, credentials redacted: in the order they
/// came, a header sent more than once as its values joined by ", " (RFC 9110, 5.3). Written
/// straight to the text the log stores (callgrind: a map of `String`s, a lookup per name and
/// a lossy decoding per value cost ~1,300 instructions a header).
pub fn logged_headers(headers: &HeaderMap) -> String {
    use axum::http::HeaderValue;
    use serde::ser::SerializeMap;
    use std::borrow::Cow;

    fn secret(name: &str) -> bool {
        matches!(name, "authorization" | "cookie" | "proxy-authorization")
    }

    /// A credential's value: its scheme alone (`Bearer [redacted]`), and only when it is one
    /// (letters, then the credentials); a cookie or anything else: nothing of it.
    fn text(name: &str, value: &HeaderValue) -> Cow<'static, str> {
        if secret(name) {
            let scheme = value
                .to_str()
                .ok()
                .filter(|_| name != "cookie")
                .and_then(|v| v.trim().split_once(' '))
                .map(|(scheme, _)| scheme)
                .filter(|s| {
                    !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphabetic())
                });
            return match scheme {
                Some(scheme) => Cow::Owned([scheme, " [redacted]"].concat()),
                None => Cow::Borrowed("[redacted]"),
            };
        }
        Cow::Owned(String::from_utf8_lossy(value.as_bytes()).into_owned())
    }

    struct Logged<'h>(&'h HeaderMap);
    impl serde::Serialize for Logged<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(None)?;
            // One name's values come one after another.
            let mut pairs = self.0.iter().peekable();
            while let Some((name, value)) = pairs.next() {
                let name = name.as_str();
                let repeated = pairs.peek().is_some_and(|(next, _)| next.as_str() == name);
                if !repeated {
                    // Most values are visible ASCII: borrowed as they are.
                    match value.to_str() {
                        Ok(v) if !secret(name) => {
                            map.serialize_entry(name, v)?;
                        }
                        _ => map.serialize_entry(name, &text(name, value))?,
                    }
                    continue;
                }
                let mut joined = text(name, value).into_owned();
                while let Some((_, more)) = pairs.next_if(|(next, _)| next.as_str() == name) {
                    joined.push_str(", ");
                    joined.push_str(&text(name, more));
                }
                map.serialize_entry(name, &joined)?;
            }
            map.end()
        }
    }
    let mut out = Vec::with_capacity(512);
    match serde_json::to_writer(&mut out, &Logged(headers)) {
        // serde_json writes UTF-8 only.
        Ok(()) => String::from_utf8(out).unwrap_or_else(|_| "{}".to_owned()),
        Err(_) => "{}".to_owned(),
    }
}

async fn handle(s: Arc<AppState>, api: Api, req: Request) -> Response {
    let started = Instant::now();
    let at_ms = now_ms();
    let transaction_id = s.new_id(if api == Api::Notify { "NTS" } else { "VTS" }, at_ms);
    let client = req.extensions().get::<ClientAddr>().map(ClientAddr::text);
    let headers = logged_headers(req.headers());
    let mut log = LogEntry {
        transaction_id,
        at_ms,
        endpoint: api.name().to_owned(),
        method: req.method().as_str().to_owned(),
        client,
        request_id: req
            .headers()
            .get(&crate::http::REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ..LogEntry::default()
    };
    let result = process(&s, api, at_ms, req, &mut log).await;
    let (mut response, answered) = answer(result, &mut log).await;
    let latency = started.elapsed();
    log.latency_us = latency.as_micros() as u64;
    if let Some(code) = log.code {
        response.extensions_mut().insert(InBodyCode(code));
    }
    s.metrics
        .observe_request(api.name(), log.status, log.code.unwrap_or(0), latency);
    // Queued now (before the response leaves), committed with the next batch; most often
    // nothing is left to wait for, and only then is a task spawned to report it.
    let mut logged = s.store.log_request(LogLine::new(log, headers, answered));
    match (&mut logged).now_or_never() {
        Some(Ok(())) => {}
        Some(Err(e)) => tracing::warn!(error = %e, "could not write the request log"),
        None => {
            tokio::spawn(async move {
                if let Err(e) = logged.await {
                    tracing::warn!(error = %e, "could not write the request log");
                }
            });
        }
    }
    response
}

/// A success answer (HTTP 200, a stale voice retry's 1010 included), its JSON body
/// serialized once: the response and the request log share it.
#[derive(Debug)]
pub(crate) struct Answered {
    /// The in-body code, if any.
    pub code: Option<Code>,
    /// The body.
    pub body: String,
}

impl Answered {
    fn new(code: Option<Code>, body: &impl serde::Serialize) -> Self {
        Answered {
            code,
            body: serde_json::to_string(body).unwrap_or_else(|_| "null".to_owned()),
        }
    }
}

/// The pipeline's result as the HTTP answer, its status and in-body code written into the
/// log entry; also the answer's body, for the log.
pub(crate) async fn answer(
    result: Result<Answered, ApiError>,
    log: &mut LogEntry,
) -> (Response, String) {
    let (response, body) = match result {
        Ok(a) => {
            log.code = a.code.map(Code::number);
            let json = [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )];
            let response = (StatusCode::OK, json, a.body.clone()).into_response();
            (response, a.body)
        }
        Err(e) => {
            log.code = e.code().map(Code::number);
            // The error's body is in memory: read it for the log, keep its headers.
            let (parts, body) = e.into_response().into_parts();
            let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            (Response::from_parts(parts, Body::from(bytes)), text)
        }
    };
    log.status = response.status().as_u16();
    (response, body)
}

/// The method `api` takes, or the 405 every other method gets.
pub(crate) fn check_method(api: Api, method: &Method) -> Result<(), ApiError> {
    if *method == api.method() {
        Ok(())
    } else {
        Err(ApiError::MethodNotAllowed(api.method()))
    }
}

/// The pipeline. Fills the log's user and body as it learns them.
async fn process(
    s: &AppState,
    api: Api,
    at_ms: i64,
    req: Request,
    log: &mut LogEntry,
) -> Result<Answered, ApiError> {
    check_method(api, req.method())?;
    let (who, allowed) = authenticate(s, req.headers(), api, at_ms).await;
    // A refused key that names an API user (430: not granted, disabled) still says whose.
    log.api_key_id = who.clone();
    let admitted = match (who, allowed) {
        (Some(user), Ok(rate)) => {
            let now_us = (at_ms.max(0) as u64) * 1000;
            s.store
                .admit(user, rate, now_us)
                .await
                .map_err(ApiError::internal)?
                .map_err(|retry_after_s| ApiError::Throttled { retry_after_s })
        }
        (_, Err(e)) => Err(e),
        (None, Ok(_)) => Err(ApiError::internal("an API user without an id")),
    };

    let linger = req.extensions().get::<Linger>().cloned();
    let read = read_body(
        req.into_body(),
        s.config.body_limit,
        api,
        s,
        linger.as_ref(),
    )
    .await;
    // Refused requests keep their body too: staff need to see what a refused partner sent.
    if let Ok(bytes) = &read {
        log.body_truncated = bytes.len() > LOG_BODY_BYTES;
        log.body = lossy(&bytes[..bytes.len().min(LOG_BODY_BYTES)]);
    }
    admitted?;
    let bytes = read?;

    accept(s, api, &log.transaction_id, at_ms, &bytes).await
}

/// A body read whole, through validation (core's verdict, against the cached catalog) and the
/// stored-state rules to its durable write: what a partner's request and a staff replay share.
pub(crate) async fn accept(
    s: &AppState,
    api: Api,
    transaction_id: &str,
    at_ms: i64,
    bytes: &[u8],
) -> Result<Answered, ApiError> {
    let catalog = s.catalog();
    let opts = Options {
        catalog: Some(&catalog),
        now_ms: Some(at_ms),
        profile: s.config.status_profile,
    };
    let verdict = txstate_core::validate(api, bytes, &opts);
    if !verdict.ok {
        return Err(ApiError::from_verdict(&verdict));
    }
    let warnings: Vec<WireWarning> = verdict.warnings.iter().map(WireWarning::from).collect();
    match verdict.normalized.map(Normalized::into_owned) {
        Some(Normalized::Notify(payload)) => {
            let deployment_id = payload.deployment_id.to_string();
            let w = NotifyWrite {
                payload,
                transaction_id: transaction_id.to_owned(),
                at_ms,
            };
            let outcome = s
                .store
                .record_notification(w)
                .await
                .map_err(ApiError::internal)?;
            let id = match outcome {
                NotifyOutcome::Repeat(first) => first,
                NotifyOutcome::New | NotifyOutcome::Replaced => {
                    s.announce(EventKind::Notify, Some(deployment_id));
                    transaction_id.to_owned()
                }
            };
            let code = Some(Code::Notified);
            Ok(Answered::new(code, &success(code, &id, &warnings)))
        }
        Some(Normalized::Voice(payload)) => {
            let call_end_ms = DateTime::parse_voice(&payload.call_endtime)
                .map(|(d, _)| d.epoch_ms())
                .unwrap_or(0);
            let w = VoiceWrite {
                payload,
                call_end_ms,
                transaction_id: transaction_id.to_owned(),
                at_ms,
            };
            match s.store.record_voice(w).await.map_err(ApiError::internal)? {
                VoiceOutcome::Stored => {
                    s.announce(EventKind::Voice, None);
                    Ok(Answered::new(
                        None,
                        &success(None, transaction_id, &warnings),
                    ))
                }
                VoiceOutcome::Repeat(first) => {
                    Ok(Answered::new(None, &success(None, &first, &warnings)))
                }
                VoiceOutcome::Stale => Ok(Answered::new(Some(Code::NotProcessed), &stale())),
            }
        }
        None => Err(ApiError::internal("a valid verdict without a payload")),
    }
}

/// A success body: `{code, description, transaction-id}` for a notification, only the
/// `transaction-id` for a processed voice update.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct SuccessBody<'a> {
    /// 1100 (notifications only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// The code's description (notifications only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    /// The operation id: the first one's, when the same report is sent again.
    #[serde(rename = "transaction-id")]
    pub transaction_id: &'a str,
    /// What validation noticed without refusing (absent when nothing: the body is then exactly
    /// the platform's).
    // `default` tells schemars the field is optional (the OpenAPI document says so).
    #[serde(default, skip_serializing_if = "<[_]>::is_empty")]
    pub warnings: &'a [WireWarning],
}

/// A warning as the partner endpoints send it (contract: "Warnings").
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct WireWarning {
    /// The field it is about.
    pub field: String,
    /// What was noticed.
    pub message: String,
}

impl From<&Warning<'_>> for WireWarning {
    fn from(w: &Warning<'_>) -> Self {
        WireWarning {
            field: w.field.to_string(),
            message: w.message.to_string(),
        }
    }
}

/// The answer to a voice update older than the stored one: 200 with 1010, nothing changed.
pub(crate) fn stale() -> Value {
    let code = Code::NotProcessed;
    json!({"code": code.number(), "description": code.description(), "errors": [{
        "field": "call-endtime", "code": code.number(),
        "message": "call-endtime is older than the stored update of this call: a stale retry, nothing changed"
    }]})
}

/// A success body: `{code, description, transaction-id}`, or only the id (processed voice),
/// with `warnings` when there are any.
pub(crate) fn success<'a>(
    code: Option<Code>,
    id: &'a str,
    warnings: &'a [WireWarning],
) -> SuccessBody<'a> {
    SuccessBody {
        code: code.map(Code::number),
        description: code.map(Code::description),
        transaction_id: id,
        warnings,
    }
}

/// Text as sent, or its lossy UTF-8 when it is not UTF-8 (checking first is much faster than
/// a lossy decoding of valid text).
fn lossy(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Who is calling and whether they may call `api` (contract: "Authentication"): the API user
/// the bearer names, when it names one (also when refused: a disabled user, an API not
/// granted, an expired token), and its rate limit or the refusal.
async fn authenticate(
    s: &AppState,
    headers: &HeaderMap,
    api: Api,
    at_ms: i64,
) -> (Option<String>, Result<crate::store::RateLimit, ApiError>) {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(secret) = auth::bearer(header) else {
        return (None, Err(ApiError::Unauthorized(Code::AuthorizationFailed)));
    };
    let decide = |user: &crate::store::ApiUser| {
        let rate = permits(user, api).map(|()| user.rate_limit);
        (Some(user.api_key_id.clone()), rate)
    };
    let digest = auth::digest(secret);
    let keys = s.keys();
    if let Some(c) = keys.by_key_digest(&digest) {
        return decide(&c.user);
    }
    let (keys, (id, expires)) = match s.uncached_bearer(&digest, at_ms).await {
        Ok(Some(found)) => found,
        Ok(None) => return (None, Err(ApiError::Unauthorized(Code::InvalidToken))),
        Err(e) => return (None, Err(ApiError::internal(e))),
    };
    match keys.user(&id) {
        Some(c) if expires.is_none_or(|e| e > at_ms) => decide(&c.user),
        _ => (Some(id), Err(ApiError::Unauthorized(Code::InvalidToken))),
    }
}

/// Whether `user` may call `api` now: enabled and granted it, or 430.
pub(crate) fn permits(user: &crate::store::ApiUser, api: Api) -> Result<(), ApiError> {
    if user.enabled && user.grants.iter().any(|g| g == api.name()) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized(Code::AuthorizationFailed))
    }
}

/// Why a body could not be read whole.
enum Unread {
    /// Longer than the limit.
    TooLarge,
    /// The client broke off, or sent garbage framing.
    Broken(String),
}

/// Reads the body up to the limit, within the body timeout. A body whose declared length is
/// over the limit is refused before any of it is read; a longer one as soon as it passes the
/// limit, with the verdict core gives an oversized body (and a lingering close asked for). A
/// body that does not arrive in time is refused with 499 (and, unread, the connection is
/// closed after the answer).
async fn read_body(
    mut body: Body,
    limit: usize,
    api: Api,
    s: &AppState,
    linger: Option<&Linger>,
) -> Result<axum::body::Bytes, ApiError> {
    use http_body_util::BodyExt;
    let read = async {
        if http_body::Body::size_hint(&body).lower() > limit as u64 {
            return Err(Unread::TooLarge);
        }
        let mut buf = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| Unread::Broken(e.to_string()))?;
            if let Ok(data) = frame.into_data() {
                if buf.len() + data.len() > limit {
                    return Err(Unread::TooLarge);
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok(axum::body::Bytes::from(buf))
    };
    let timeout = std::time::Duration::from_millis(s.config.body_timeout_ms);
    let failed = |message: String| {
        let code = Code::RequestFailed;
        ApiError::Rejected {
            status: code.http_status(s.config.status_profile),
            code,
            description: format!("{}: {message}", code.description()),
            errors: vec![WireFieldError {
                field: "body".into(),
                code: code.number(),
                message,
            }],
        }
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(b)) => Ok(b),
        Err(_) => Err(failed(format!(
            "the body did not arrive within {} ms",
            s.config.body_timeout_ms
        ))),
        Ok(Err(Unread::Broken(e))) => Err(failed(format!("the body could not be read: {e}"))),
        Ok(Err(Unread::TooLarge)) => {
            // Answered with the body unread: let the client finish sending it, so that it
            // reads this answer instead of a reset (listener.rs).
            if let Some(l) = linger {
                l.request();
            }
            let code = if api == Api::Notify {
                Code::RequestFailed
            } else {
                Code::InvalidInputJson
            };
            let message =
                format!("the body has more than {limit} bytes; at most {limit} are accepted");
            let description = if code == Code::RequestFailed {
                format!("{}: {message}", code.description())
            } else {
                code.description().to_owned()
            };
            Err(ApiError::Rejected {
                status: code.http_status(s.config.status_profile),
                code,
                description,
                errors: vec![WireFieldError {
                    field: "body".into(),
                    code: code.number(),
                    message,
                }],
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderName, HeaderValue};
    use serde_json::{json, Value};

    #[test]
    fn logged_headers_redact_join_and_keep_order() {
        let mut h = HeaderMap::new();
        let mut add = |name: &'static str, value: &[u8]| {
            h.append(
                HeaderName::from_static(name),
                HeaderValue::from_bytes(value).expect("value"),
            );
        };
        add("host", b"example.test");
        add("authorization", b"Bearer 0123456789abcdef");
        add("accept", b"text/plain");
        add("accept", b"application/json");
        add("cookie", b"session=s3cret; theme=dark");
        add("proxy-authorization", b"k3y-without-a-scheme");
        add("x-note", b"caf\xe9 \"quoted\"");
        let text = super::logged_headers(&h);
        let v: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            v,
            json!({
                "host": "example.test",
                "authorization": "Bearer [redacted]",
                "accept": "text/plain, application/json",
                "cookie": "[redacted]",
                "proxy-authorization": "[redacted]",
                "x-note": "caf\u{fffd} \"quoted\"",
            })
        );
        for secret in ["0123456789abcdef", "s3cret", "k3y"] {
            assert!(!text.contains(secret), "{text}");
        }
        let at = |name: &str| text.find(&format!("\"{name}\":")).expect(name);
        assert!(at("host") < at("authorization") && at("authorization") < at("accept"));
        assert!(at("accept") < at("cookie") && at("cookie") < at("x-note"));
    }
}
