//! The HTTP surface: `app(state) -> Router`. One file per resource.

pub mod admin;
pub mod client;
pub mod doors;
pub mod ops;
pub mod partner;
pub mod schemas;
pub mod token;
pub mod ui;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::json;
use tower::util::MapRequestLayer;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::http::client::ClientAddr;
use crate::openapi;
use crate::state::AppState;

/// The request id header: the caller's, when it is a sensible id, or a new one.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The in-body code a partner endpoint answered (a response extension, for the access log).
#[derive(Clone, Copy, Debug)]
pub struct InBodyCode(pub u16);

/// The whole application.
pub fn app(state: Arc<AppState>) -> Router {
    let admin = admin::router()
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            admin::require_token,
        ))
        // Admin JSON and CSV can be large (request log pages, reports); event streams and
        // small bodies are left alone by the default predicate.
        .layer(CompressionLayer::new());
    Router::new()
        .route(partner::NOTIFY_PATH, any(partner::notify))
        .route(partner::VOICE_PATH, any(partner::voice))
        .route(token::TOKEN_PATH, any(token::issue))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route(schemas::PATH, get(schemas::schema))
        .route(openapi::OPENAPI_PATH, get(openapi::serve_openapi))
        .route(openapi::POSTMAN_PATH, get(openapi::serve_postman))
        .nest("/admin/api", admin)
        .fallback(not_found)
        // One `layer` call for the whole stack: axum boxes each route once per call, and
        // every box is cloned on every request (seven calls cost ~10 µs of CPU a request).
        // Outermost first: a request id, who the client is, the span and access log that
        // carry both, then the headers every answer gets.
        .layer(
            ServiceBuilder::new()
                .layer(MapRequestLayer::new(drop_unusable_request_id))
                .layer(SetRequestIdLayer::new(REQUEST_ID, NewRequestId))
                .layer(client::layer(&state.config))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_request(())
                        .on_response(access_log)
                        .on_failure(()),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                ))
                .option_layer(cors(&state.config.cors_origins)),
        )
        .with_state(state)
}

/// CORS for the allowed origins (exact scheme, host and port; `*` for any), or none at all:
/// with no origins browsers keep other sites out.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    // An unset TXSTATE_CORS_ORIGINS reads as one empty origin.
    let origins: Vec<&String> = origins.iter().filter(|o| !o.trim().is_empty()).collect();
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o.as_str() == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                REQUEST_ID,
            ])
            .expose_headers([header::RETRY_AFTER, REQUEST_ID])
            .max_age(Duration::from_secs(600)),
    )
}

/// New request ids: 32 hex digits, the time in ms (48 bits) then 80 random bits (from the
/// thread's generator: no system call). Time first, so ids sort by when they were made and
/// the request log's index of them grows at its end instead of at a random page per request.
#[derive(Clone, Copy, Debug)]
struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let ms = crate::state::now_ms().max(0) as u128 & ((1 << 48) - 1);
        let id = crate::auth::hex(&(ms << 80 | rand::random::<u128>() >> 48).to_be_bytes());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// A caller's `x-request-id` is kept only when it is a sensible id (at most 64 letters,
/// digits, `-` and `_`): it goes into every log line of the request.
fn drop_unusable_request_id(mut req: Request) -> Request {
    let usable = req.headers().get(&REQUEST_ID).is_none_or(|v| {
        v.len() <= 64
            && v.as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
    });
    if !usable {
        req.headers_mut().remove(&REQUEST_ID);
    }
    req
}

/// The span of a request: its id, method, path (never the query) and client. The fields are
/// looked up only when the span is enabled (`RUST_LOG=warn` leaves it off).
fn request_span(req: &axum::http::Request<axum::body::Body>) -> Span {
    /// The client's address, or nothing.
    struct Client<'a>(Option<&'a ClientAddr>);
    impl std::fmt::Display for Client<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.0.map_or(Ok(()), |c| c.fmt(f))
        }
    }
    tracing::info_span!(
        "request",
        request_id = %req
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
        method = %req.method(),
        path = %req.uri().path(),
        client = %Client(req.extensions().get::<ClientAddr>()),
    )
}

/// The access log line of a request: status, in-body code (partner endpoints) and latency;
/// the span adds id, method, path and client.
fn access_log(res: &Response, latency: Duration, _span: &Span) {
    let code = res.extensions().get::<InBodyCode>().map(|c| c.0);
    tracing::info!(
        target: crate::logging::ACCESS,
        status = res.status().as_u16(),
        code,
        latency_ms = latency.as_micros() as f64 / 1000.0,
        "answered"
    );
}

/// The prefix of the partner APIs' paths (contract: "Common to both APIs").
const PARTNER_PREFIX: &str = "/campaignapi/";

/// The UI's files, or a 404: in the partner shape under the APIs' prefix (a partner with a
/// wrong path reads `code` like on every other answer), in the admin shape elsewhere.
async fn not_found(
    State(s): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if uri.path().starts_with(PARTNER_PREFIX) {
        return crate::error::ApiError::NoSuchPath.into_response();
    }
    if let Some(r) = ui::answer(&method, &uri, &headers, &s.config.frame_ancestors) {
        return r;
    }
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "not_found", "message": "no such route"})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_cors_origins_setting_adds_no_cors_layer() {
        // clap reads the empty default as one empty origin.
        assert!(cors(&[String::new()]).is_none());
        assert!(cors(&[]).is_none());
        assert!(cors(&["https://portal.example".to_owned()]).is_some());
    }

    #[test]
    fn new_request_ids_start_with_the_time_they_were_made() {
        let req = axum::http::Request::new(());
        let before = crate::state::now_ms();
        let ids: Vec<String> = (0..100)
            .map(|_| {
                let id = NewRequestId.make_request_id(&req).expect("an id");
                id.header_value().to_str().expect("ascii").to_owned()
            })
            .collect();
        let after = crate::state::now_ms();
        for id in &ids {
            assert_eq!(id.len(), 32, "{id}");
            let ms = i64::from_str_radix(&id[..12], 16).expect("hex");
            assert!(
                (before..=after).contains(&ms),
                "{id}: {ms} not in {before}..={after}"
            );
        }
        let distinct: std::collections::BTreeSet<&str> = ids.iter().map(|i| &i[12..]).collect();
        assert_eq!(distinct.len(), ids.len(), "the random part repeats");
    }

    #[test]
    fn unusable_request_ids_are_dropped() {
        let long = "x".repeat(65);
        for (id, kept) in [
            ("trace-me_0001", true),
            ("with space", false),
            (long.as_str(), false),
            ("ünïcode", false),
        ] {
            let req = axum::http::Request::builder()
                .header(
                    &REQUEST_ID,
                    HeaderValue::from_bytes(id.as_bytes()).expect("value"),
                )
                .body(axum::body::Body::empty())
                .expect("request");
            let req = drop_unusable_request_id(req);
            assert_eq!(req.headers().contains_key(&REQUEST_ID), kept, "{id}");
        }
    }
}
