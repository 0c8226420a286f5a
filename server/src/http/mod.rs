//! The HTTP surface: `app(state) -> Router`. One file per resource.

pub mod admin;
pub mod doors;
pub mod ops;
pub mod partner;
pub mod schemas;
pub mod token;
pub mod ui;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::json;
use tracing::Instrument;

use crate::openapi;
use crate::state::AppState;

/// The whole application.
pub fn app(state: Arc<AppState>) -> Router {
    let admin = admin::router().route_layer(middleware::from_fn_with_state(
        state.clone(),
        admin::require_token,
    ));
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
        .layer(middleware::from_fn_with_state(state.clone(), doors::cors))
        .layer(middleware::from_fn(doors::headers))
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

/// The UI's files, or our JSON 404.
async fn not_found(
    State(s): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = ui::answer(&method, &uri, &headers, &s.config.frame_ancestors) {
        return r;
    }
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "not_found", "message": "no such route"})),
    )
        .into_response()
}

/// Gives every request an id (the caller's `x-request-id`, or a new one), a tracing span that
/// carries it, and the same header on the response.
async fn request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let span =
        tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    let mut res = next.run(req).instrument(span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}
