//! The admin API (`shared/spec/ADMIN.md`): JSON under `/admin/api/`, every route behind the
//! admin token. One file per resource.

mod actions;
mod api_users;
mod deployments;
mod replay;
mod views;

pub use actions::ActionInput;
pub use api_users::UserInput;
pub use deployments::DeploymentInput;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::{Extension, Router};
use serde::de::DeserializeOwned;

use crate::auth;
use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::state::{now_ms, AppState};

/// One admin route: method, path (under `/admin/api`), handler.
pub type Route = (Method, &'static str, MethodRouter<Arc<AppState>>);

/// Every admin route. The router is built from this table, and the test that checks every
/// route refuses a request without the admin token enumerates the same table.
pub fn routes() -> Vec<Route> {
    vec![
        (Method::GET, "/actions", get(actions::list)),
        (Method::POST, "/actions", post(actions::create)),
        (Method::GET, "/actions/{id}", get(actions::one)),
        (Method::PUT, "/actions/{id}", put(actions::replace)),
        (Method::DELETE, "/actions/{id}", delete(actions::remove)),
        (Method::GET, "/deployments", get(deployments::list)),
        (Method::POST, "/deployments", post(deployments::create)),
        (Method::GET, "/deployments/{id}", get(deployments::one)),
        (Method::PUT, "/deployments/{id}", put(deployments::replace)),
        (
            Method::DELETE,
            "/deployments/{id}",
            delete(deployments::remove),
        ),
        (
            Method::POST,
            "/deployments/{id}/transactions",
            post(deployments::register_transactions),
        ),
        (Method::GET, "/deployments/{id}/report", get(views::report)),
        (
            Method::GET,
            "/deployments/{id}/report.csv",
            get(views::report_csv),
        ),
        (Method::GET, "/api-users", get(api_users::list)),
        (Method::POST, "/api-users", post(api_users::create)),
        (Method::GET, "/api-users/{id}", get(api_users::one)),
        (Method::PATCH, "/api-users/{id}", patch(api_users::update)),
        (Method::DELETE, "/api-users/{id}", delete(api_users::remove)),
        (
            Method::POST,
            "/api-users/{id}/secret-keys",
            post(api_users::add_key),
        ),
        (
            Method::DELETE,
            "/api-users/{id}/secret-keys/{slot}",
            delete(api_users::remove_key),
        ),
        (Method::GET, "/info", get(views::info)),
        (Method::GET, "/catalog", get(views::catalog)),
        (Method::GET, "/dashboard", get(views::dashboard)),
        (Method::GET, "/voice/dashboard", get(views::voice_dashboard)),
        (Method::GET, "/requests", get(views::requests)),
        (Method::GET, "/requests/{id}", get(views::request)),
        (Method::POST, "/requests/replay", post(replay::matching)),
        (Method::POST, "/requests/{id}/replay", post(replay::one)),
        (Method::GET, "/events", get(views::events)),
    ]
}

/// The admin router (without the `/admin/api` prefix), from [`routes`].
pub fn router() -> Router<Arc<AppState>> {
    let mut by_path: Vec<(&'static str, MethodRouter<Arc<AppState>>)> = Vec::new();
    for (_, path, handler) in routes() {
        match by_path.iter_mut().find(|(p, _)| *p == path) {
            Some((_, methods)) => *methods = std::mem::take(methods).merge(handler),
            None => by_path.push((path, handler)),
        }
    }
    by_path
        .into_iter()
        .fold(Router::new(), |r, (path, methods)| r.route(path, methods))
}

/// Refuses any admin request without the admin token. An address that keeps sending wrong
/// tokens is made to wait between attempts ([`crate::http::doors::AdminGuard`]).
pub async fn require_token(
    State(s): State<Arc<AppState>>,
    Extension(client): Extension<ClientAddr>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let ip = client.key();
    let now = now_ms();
    let wait = s.admin_guard.must_wait(ip, now);
    if wait > 0 {
        return Err(ApiError::AdminSlowDown {
            retry_after_s: (wait as u64).div_ceil(1000),
        });
    }
    let header = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match auth::bearer(header) {
        Some(token) if auth::same(&auth::hash(token), &s.admin_token_hash) => {
            s.admin_guard.succeeded(ip);
            Ok(next.run(req).await)
        }
        _ => {
            s.admin_guard.failed(ip, now);
            tracing::warn!(client = %client, "admin request refused: missing or wrong admin token");
            Err(ApiError::AdminUnauthorized)
        }
    }
}

/// A JSON body that answers malformed input in our error shape, naming unknown fields.
#[derive(Debug)]
pub struct AdminJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AdminJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("cannot read the body: {e}")))?;
        serde_json::from_slice(&bytes)
            .map(AdminJson)
            .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
    }
}

/// Path parameters that answer a malformed value in our error shape (not axum's plain text).
#[derive(Debug)]
pub struct AdminPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for AdminPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| AdminPath(v))
            .map_err(|e| ApiError::BadRequest(format!("invalid path: {}", e.body_text())))
    }
}

/// A query string that answers a malformed or unknown parameter in our error shape.
#[derive(Debug)]
pub struct AdminQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AdminQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| AdminQuery(v))
            .map_err(|e| ApiError::BadRequest(format!("invalid query: {}", e.body_text())))
    }
}
