//! `/admin/api/api-users`: API users, their grants, limits and up to two secret keys
//! (contract: "Authentication"). A secret is returned once, when created; only its hash is kept.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use txstate_core::admin::{CreatedApiUser, NewSecretKey};

use super::{AdminJson, AdminPath};
use crate::auth;
use crate::error::ApiError;
use crate::state::{now_ms, AppState};
use crate::store::{ApiUser, Credentials, RateLimit};

const GRANTS: [&str; 2] = ["notify", "voice"];

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserInput {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    grants: Option<Vec<String>>,
    #[serde(default)]
    rate_limit: Option<RateLimit>,
    #[serde(default)]
    enabled: Option<bool>,
}

fn apply(user: &mut ApiUser, input: UserInput) -> Result<(), ApiError> {
    if let Some(name) = input.name {
        if name.trim().is_empty() {
            return Err(ApiError::BadRequest("name must not be empty".into()));
        }
        user.name = name;
    }
    if let Some(mut grants) = input.grants {
        if let Some(g) = grants.iter().find(|g| !GRANTS.contains(&g.as_str())) {
            return Err(ApiError::BadRequest(format!(
                "unknown grant \"{g}\": grants are \"notify\" and \"voice\""
            )));
        }
        grants.sort();
        grants.dedup();
        user.grants = grants;
    }
    if let Some(r) = input.rate_limit {
        if r.requests == 0 || r.per_seconds == 0 {
            return Err(ApiError::BadRequest(
                "rateLimit.requests and rateLimit.perSeconds must be at least 1".into(),
            ));
        }
        user.rate_limit = r;
    }
    if let Some(e) = input.enabled {
        user.enabled = e;
    }
    Ok(())
}

fn find(s: &AppState, id: &str) -> Result<Credentials, ApiError> {
    s.keys()
        .user(id)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("no API user \"{id}\"")))
}

fn with_slots(mut c: Credentials) -> Credentials {
    c.user.secret_keys = c
        .key_hashes
        .iter()
        .enumerate()
        .filter(|(_, h)| h.is_some())
        .map(|(i, _)| i as u8 + 1)
        .collect();
    c
}

async fn save(s: &AppState, c: Credentials) -> Result<ApiUser, ApiError> {
    let c = with_slots(c);
    s.store
        .put_api_user(c.clone())
        .await
        .map_err(ApiError::internal)?;
    s.reload_keys().await?;
    Ok(c.user)
}

pub async fn list(State(s): State<Arc<AppState>>) -> Result<Json<Vec<ApiUser>>, ApiError> {
    let all = s.store.credentials().await.map_err(ApiError::internal)?;
    Ok(Json(all.into_iter().map(|c| c.user).collect()))
}

pub async fn one(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
) -> Result<Json<ApiUser>, ApiError> {
    Ok(Json(find(&s, &id)?.user))
}

/// Creates a user and its first secret key, returned once as `secretKey1`.
pub async fn create(
    State(s): State<Arc<AppState>>,
    AdminJson(input): AdminJson<UserInput>,
) -> Result<(StatusCode, Json<CreatedApiUser>), ApiError> {
    if input.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(ApiError::BadRequest("name is required".into()));
    }
    let mut user = ApiUser {
        api_key_id: uuid::Uuid::new_v4().to_string(),
        name: String::new(),
        grants: GRANTS.iter().map(|g| (*g).to_owned()).collect(),
        rate_limit: RateLimit {
            requests: s.config.rate_requests,
            per_seconds: s.config.rate_per_seconds,
        },
        enabled: true,
        secret_keys: vec![],
        created_at: now_ms(),
    };
    apply(&mut user, input)?;
    let secret = auth::new_secret();
    let user = save(
        &s,
        Credentials {
            user,
            key_hashes: [Some(auth::hash(&secret)), None],
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiUser {
            user,
            secret_key1: secret,
        }),
    ))
}

pub async fn update(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
    AdminJson(input): AdminJson<UserInput>,
) -> Result<Json<ApiUser>, ApiError> {
    let mut c = find(&s, &id)?;
    let limit_changed = input.rate_limit.is_some_and(|r| r != c.user.rate_limit);
    apply(&mut c.user, input)?;
    let user = save(&s, c).await?;
    if limit_changed {
        s.store
            .reset_throttle(id)
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(Json(user))
}

pub async fn remove(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
) -> Result<StatusCode, ApiError> {
    if !s
        .store
        .delete_api_user(id.clone())
        .await
        .map_err(ApiError::internal)?
    {
        return Err(ApiError::NotFound(format!("no API user \"{id}\"")));
    }
    s.reload_keys().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates the second secret key (or the first, if the user has none), returned once.
pub async fn add_key(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
) -> Result<(StatusCode, Json<NewSecretKey>), ApiError> {
    let mut c = find(&s, &id)?;
    let slot = c.key_hashes.iter().position(Option::is_none).ok_or_else(|| {
        ApiError::Conflict("this user has two secret keys: delete one (DELETE .../secret-keys/1 promotes key 2) before adding another".into())
    })?;
    let secret = auth::new_secret();
    c.key_hashes[slot] = Some(auth::hash(&secret));
    let user = save(&s, c).await?;
    let (secret_key1, secret_key2) = if slot == 0 {
        (Some(secret), None)
    } else {
        (None, Some(secret))
    };
    Ok((
        StatusCode::CREATED,
        Json(NewSecretKey {
            api_key_id: user.api_key_id,
            slot: slot as u8 + 1,
            secret_key1,
            secret_key2,
        }),
    ))
}

/// Deletes secret key 1 or 2; deleting key 1 promotes key 2.
pub async fn remove_key(
    State(s): State<Arc<AppState>>,
    AdminPath((id, slot)): AdminPath<(String, u8)>,
) -> Result<Json<ApiUser>, ApiError> {
    let mut c = find(&s, &id)?;
    match slot {
        1 if c.key_hashes[0].is_some() => {
            c.key_hashes = [c.key_hashes[1].take(), None];
        }
        2 if c.key_hashes[1].is_some() => c.key_hashes[1] = None,
        1 | 2 => {
            return Err(ApiError::NotFound(format!(
                "API user \"{id}\" has no secret key {slot}"
            )))
        }
        _ => {
            return Err(ApiError::BadRequest(
                "secret keys are numbered 1 and 2".into(),
            ))
        }
    }
    Ok(Json(save(&s, c).await?))
}
