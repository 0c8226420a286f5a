//! The legacy flow (contract: "Authentication"): a secret key is exchanged for a short-lived
//! access token, which is then the bearer; an expired one gets 401/498.
//! Decision: `POST /campaignapi/resources/v3/accesstoken` with the secret key as bearer.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::Json;
use txstate_core::Code;

use crate::auth;
use crate::error::ApiError;
use crate::state::{now_ms, AppState};

/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/campaignapi/resources/v3/accesstoken";

pub async fn issue(
    State(s): State<Arc<AppState>>,
    method: Method,
    headers: HeaderMap,
) -> Result<Json<TokenBody>, ApiError> {
    if method != Method::POST {
        return Err(ApiError::MethodNotAllowed("POST"));
    }
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let secret = auth::bearer(header).ok_or(ApiError::Unauthorized(Code::AuthorizationFailed))?;
    let digest = auth::digest(secret);
    let mut keys = s.keys();
    if keys.by_key_digest(&digest).is_none() {
        // A key another server has just made: the database knows it before this cache does.
        let found = s.uncached_bearer(&digest, now_ms()).await;
        if let Some((fresh, _)) = found.map_err(ApiError::internal)? {
            keys = fresh;
        }
    }
    // Only a secret key buys a token: a token cannot renew itself.
    let creds = keys
        .by_key_digest(&digest)
        .ok_or(ApiError::Unauthorized(Code::InvalidToken))?;
    if !creds.user.enabled {
        return Err(ApiError::Unauthorized(Code::AuthorizationFailed));
    }
    let token = auth::new_secret();
    let lifetime = s.config.token_lifetime;
    let expires_at = now_ms() + (lifetime as i64) * 1000;
    s.store
        .put_token(
            auth::hash(&token),
            creds.user.api_key_id.clone(),
            expires_at,
        )
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(TokenBody {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: lifetime,
    }))
}

/// The token endpoint's answer.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct TokenBody {
    /// The bearer value for the two endpoints until it expires.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}
