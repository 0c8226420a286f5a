//! Every documented outcome of the partner endpoints and the token endpoint: the request that
//! provokes it and the answer the server gives, rendered by the server's own code. The OpenAPI
//! examples and the Postman requests are both made from this one list.
//!
//! Validation outcomes come from the shared fixtures (`fixtures/`), answered by core's verdict
//! against the demo catalog; the others (authentication, method, throttle, internal error,
//! stale voice update) from the server's error type and bodies.

use axum::body::to_bytes;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use txstate_core::fixture::Fixture;
use txstate_core::{Api, Catalog, Code, Options, StatusProfile};

use crate::error::ApiError;
use crate::http::partner::{stale, success};
use crate::http::token::TOKEN_PATH;

/// An endpoint a partner calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// One of the two APIs.
    Partner(Api),
    /// The access-token endpoint (legacy flow).
    Token,
}

impl Endpoint {
    /// The three, in the order the documents list them.
    pub const ALL: [Endpoint; 3] = [
        Endpoint::Partner(Api::Notify),
        Endpoint::Partner(Api::Voice),
        Endpoint::Token,
    ];

    /// Its path.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Partner(api) => api.path(),
            Endpoint::Token => TOKEN_PATH,
        }
    }

    /// The method it takes.
    pub fn method(self) -> &'static str {
        match self {
            Endpoint::Partner(api) => api.method(),
            Endpoint::Token => "POST",
        }
    }
}

/// The credentials a request presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// The API user's secret key.
    Key,
    /// An access token from the token endpoint.
    AccessToken,
    /// No `authorization` header.
    Missing,
    /// A bearer value that is neither a key nor a live token.
    Unknown,
}

/// The bearer value of [`Auth::Unknown`].
pub const UNKNOWN_BEARER: &str = "not-a-key-and-not-a-live-token";

/// One documented outcome.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Where.
    pub endpoint: Endpoint,
    /// A stable key (`1101`, `success`, ...), unique per endpoint.
    pub key: String,
    /// What it shows, one line.
    pub summary: String,
    /// The request's method.
    pub method: &'static str,
    /// The request's credentials.
    pub auth: Auth,
    /// The request's body, if any.
    pub body: Option<Value>,
    /// The HTTP status answered.
    pub status: u16,
    /// The in-body code answered (`None`: a processed voice update, or the token).
    pub code: Option<u16>,
    /// Response headers a client relies on (`allow`, `retry-after`).
    pub headers: Vec<(String, String)>,
    /// The response body.
    pub response: Value,
    /// Whether a client can provoke it on demand against the demo data (a throttle or an
    /// internal error cannot be ordered; they are documented, not in the collection).
    pub on_demand: bool,
}

/// The fixtures the examples are made of: one per validation outcome of each API.
const EXAMPLES: [&str; 11] = [
    include_str!("../../../fixtures/notify/001-contract-example.json"),
    include_str!("../../../fixtures/notify/023-missing-response-state.json"),
    include_str!("../../../fixtures/notify/089-deployment-unknown.json"),
    include_str!("../../../fixtures/notify/094-action-without-type.json"),
    include_str!("../../../fixtures/notify/095-action-sync.json"),
    include_str!("../../../fixtures/notify/096-deployment-event.json"),
    include_str!("../../../fixtures/notify/037-response-state-533.json"),
    include_str!("../../../fixtures/notify/074-additional-info-not-json.json"),
    include_str!("../../../fixtures/voice/001-contract-example.json"),
    include_str!("../../../fixtures/voice/027-drop-code-unknown.json"),
    include_str!("../../../fixtures/voice/005-missing-transaction-id.json"),
];

const DEMO_CATALOG: &str = include_str!("../../../fixtures/catalogs/demo.json");

/// The operation id shown in success examples.
const EXAMPLE_ID: &str = "NTS_1763900000000000001";

/// Every outcome, grouped by endpoint in [`Endpoint::ALL`] order; within one, the success
/// first (the stale voice update needs the stored one before it).
pub async fn outcomes(profile: StatusProfile) -> Vec<Outcome> {
    let catalog: Catalog = serde_json::from_str(DEMO_CATALOG).unwrap_or_default();
    let mut out = Vec::new();
    for endpoint in Endpoint::ALL {
        match endpoint {
            Endpoint::Partner(api) => {
                for text in EXAMPLES {
                    let Ok(f) = serde_json::from_str::<Fixture>(text) else {
                        continue;
                    };
                    if f.api == api {
                        out.push(validation(api, &f, &catalog, profile).await);
                    }
                }
                if api == Api::Voice {
                    out.push(stale_update(&out).await);
                }
            }
            Endpoint::Token => out.push(token_issued().await),
        }
        out.extend(transport(endpoint).await);
    }
    out
}

/// The verdict of a fixture's body, as the server answers it.
async fn validation(api: Api, f: &Fixture, catalog: &Catalog, profile: StatusProfile) -> Outcome {
    let opts = Options {
        catalog: Some(catalog),
        now_ms: None,
        profile,
    };
    let verdict = txstate_core::validate(api, f.body.as_bytes(), &opts);
    let (response, key, summary) = if verdict.ok {
        let code = (api == Api::Notify).then_some(Code::Notified);
        let body = success(code, EXAMPLE_ID, &[]);
        let summary = match code {
            Some(c) => format!("{} {}", c.number(), c.description()),
            None => "Processed: the call's state is stored".to_owned(),
        };
        (Json(body).into_response(), "success".to_owned(), summary)
    } else {
        let code = verdict.code.unwrap_or(Code::InternalError);
        let summary = format!("{} {}", code.number(), f.description);
        let key = code.number().to_string();
        (
            ApiError::from_verdict(&verdict).into_response(),
            key,
            summary,
        )
    };
    let mut o = rendered(Endpoint::Partner(api), key, summary, response, true).await;
    o.body = serde_json::from_str(&f.body).ok();
    o
}

/// The stale retry of the voice success: the same call with an earlier `call-endtime`.
async fn stale_update(so_far: &[Outcome]) -> Outcome {
    let mut body = so_far
        .iter()
        .find(|o| o.endpoint == Endpoint::Partner(Api::Voice) && o.key == "success")
        .and_then(|o| o.body.clone())
        .unwrap_or(Value::Null);
    if let Some(start) = body.get("call-starttime").cloned() {
        body["call-endtime"] = start;
    }
    let code = Code::NotProcessed;
    let summary = format!(
        "{} {}: a retry older than the stored update (send after the success)",
        code.number(),
        code.description()
    );
    let mut o = rendered(
        Endpoint::Partner(Api::Voice),
        code.number().to_string(),
        summary,
        Json(stale()).into_response(),
        true,
    )
    .await;
    o.body = Some(body);
    o
}

/// The token endpoint's success.
async fn token_issued() -> Outcome {
    let body = serde_json::json!({
        "access_token": "3f1c0b6a9d2e4f5a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a",
        "token_type": "Bearer",
        "expires_in": 3600,
    });
    rendered(
        Endpoint::Token,
        "success".into(),
        "An access token for the secret key: use it as the bearer until it expires".into(),
        Json(body).into_response(),
        true,
    )
    .await
}

/// What every endpoint answers before it reads a body: credentials, method, throttle, and
/// the internal error.
async fn transport(endpoint: Endpoint) -> Vec<Outcome> {
    let cases: Vec<(Auth, &'static str, ApiError, bool, &str)> = vec![
        (
            Auth::Missing,
            endpoint.method(),
            ApiError::Unauthorized(Code::AuthorizationFailed),
            true,
            "without credentials (or with a key not granted this API, or a disabled user)",
        ),
        (
            Auth::Unknown,
            endpoint.method(),
            ApiError::Unauthorized(Code::InvalidToken),
            true,
            "an unknown key, or an expired access token",
        ),
        (
            Auth::Key,
            "GET",
            ApiError::MethodNotAllowed(endpoint.method()),
            true,
            "any other method",
        ),
        (
            Auth::Key,
            endpoint.method(),
            ApiError::Throttled { retry_after_s: 1 },
            false,
            "the API user's rate limit is spent: wait retry-after seconds",
        ),
        (
            Auth::Key,
            endpoint.method(),
            // Rendered like `Internal` (whose rendering logs the detail as an error).
            ApiError::Rejected {
                status: 500,
                code: Code::InternalError,
                description: Code::InternalError.description().to_owned(),
                errors: vec![],
            },
            false,
            "the server could not complete the request (nothing was stored): retry",
        ),
    ];
    let mut out = Vec::new();
    for (auth, method, error, on_demand, why) in cases {
        if endpoint == Endpoint::Token && matches!(error, ApiError::Throttled { .. }) {
            continue;
        }
        let code = error.code().unwrap_or(Code::InternalError);
        let summary = format!("{} {}: {why}", code.number(), code.description());
        let mut o = rendered(
            endpoint,
            code.number().to_string(),
            summary,
            error.into_response(),
            on_demand,
        )
        .await;
        o.auth = auth;
        o.method = method;
        out.push(o);
    }
    out
}

/// An outcome from a response the server's own code rendered.
async fn rendered(
    endpoint: Endpoint,
    key: String,
    summary: String,
    response: Response,
    on_demand: bool,
) -> Outcome {
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let response: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let code = response
        .get("code")
        .and_then(Value::as_u64)
        .map(|c| c as u16);
    let headers = ["allow", "retry-after"]
        .into_iter()
        .filter_map(|h| {
            let v = parts.headers.get(h)?.to_str().ok()?;
            Some((h.to_owned(), v.to_owned()))
        })
        .collect();
    Outcome {
        endpoint,
        key,
        summary,
        method: endpoint.method(),
        auth: Auth::Key,
        body: None,
        status: parts.status.as_u16(),
        code,
        headers,
        response,
        on_demand,
    }
}
