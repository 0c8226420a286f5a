//! The admin API (`shared/spec/ADMIN.md`): JSON under `/admin/api/`, every route behind the
//! admin token. One file per resource.

mod actions;
mod api_users;
mod deployments;
mod views;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;

use crate::auth;
use crate::error::ApiError;
use crate::state::AppState;

/// The admin routes (without the `/admin/api` prefix). `ROUTES` lists them for the test that
/// checks every one refuses a request without the token.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/actions", get(actions::list).post(actions::create))
        .route(
            "/actions/{id}",
            get(actions::one)
                .put(actions::replace)
                .delete(actions::remove),
        )
        .route(
            "/deployments",
            get(deployments::list).post(deployments::create),
        )
        .route(
            "/deployments/{id}",
            get(deployments::one)
                .put(deployments::replace)
                .delete(deployments::remove),
        )
        .route(
            "/deployments/{id}/transactions",
            post(deployments::register_transactions),
        )
        .route("/deployments/{id}/report", get(views::report))
        .route("/deployments/{id}/report.csv", get(views::report_csv))
        .route("/api-users", get(api_users::list).post(api_users::create))
        .route(
            "/api-users/{id}",
            get(api_users::one)
                .patch(api_users::update)
                .delete(api_users::remove),
        )
        .route("/api-users/{id}/secret-keys", post(api_users::add_key))
        .route(
            "/api-users/{id}/secret-keys/{slot}",
            axum::routing::delete(api_users::remove_key),
        )
        .route("/catalog", get(views::catalog))
        .route("/dashboard", get(views::dashboard))
        .route("/voice/dashboard", get(views::voice_dashboard))
        .route("/requests", get(views::requests))
        .route("/requests/{id}", get(views::request))
        .route("/events", get(views::events))
}

/// Every admin route: (method, path with sample ids).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/actions"),
    ("POST", "/actions"),
    ("GET", "/actions/x"),
    ("PUT", "/actions/x"),
    ("DELETE", "/actions/x"),
    ("GET", "/deployments"),
    ("POST", "/deployments"),
    ("GET", "/deployments/x"),
    ("PUT", "/deployments/x"),
    ("DELETE", "/deployments/x"),
    ("POST", "/deployments/x/transactions"),
    ("GET", "/deployments/x/report"),
    ("GET", "/deployments/x/report.csv"),
    ("GET", "/api-users"),
    ("POST", "/api-users"),
    ("GET", "/api-users/x"),
    ("PATCH", "/api-users/x"),
    ("DELETE", "/api-users/x"),
    ("POST", "/api-users/x/secret-keys"),
    ("DELETE", "/api-users/x/secret-keys/1"),
    ("GET", "/catalog"),
    ("GET", "/dashboard"),
    ("GET", "/voice/dashboard"),
    ("GET", "/requests"),
    ("GET", "/requests/x"),
    ("GET", "/events"),
];

/// Refuses any admin request without the admin token.
pub async fn require_token(
    State(s): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let header = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match auth::bearer(header) {
        Some(token) if auth::same(&auth::hash(token), &s.admin_token_hash) => {
            Ok(next.run(req).await)
        }
        _ => Err(ApiError::AdminUnauthorized),
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
