//! `/admin/api/deployments`: deployments, and the transaction ids registered under them.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use txstate_core::admin::Registered;
use txstate_core::{Channel, Deployment, DeploymentStatus, DeploymentType};

use super::{AdminJson, AdminPath};
use crate::error::ApiError;
use crate::state::{now_ms, AppState};

/// Most transaction ids registered in one request.
const MAX_REGISTER: usize = 100_000;

/// A deployment as the admin API takes it: `id` optional on create (generated in the
/// platform's shape with the channel's prefix).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentInput {
    #[serde(default)]
    id: Option<String>,
    name: String,
    channel: Channel,
    #[serde(rename = "type")]
    kind: DeploymentType,
    #[serde(default)]
    status: DeploymentStatus,
    #[serde(default)]
    action_id: Option<String>,
}

fn check(s: &AppState, input: DeploymentInput, id: String) -> Result<Deployment, ApiError> {
    if input.name.trim().is_empty() {
        return Err(ApiError::BadRequest("name must not be empty".into()));
    }
    if let Some(a) = &input.action_id {
        if s.catalog().action(a).is_none() {
            return Err(ApiError::BadRequest(format!(
                "actionId \"{a}\" names no action"
            )));
        }
    }
    Ok(Deployment {
        id,
        name: input.name,
        channel: input.channel,
        kind: input.kind,
        status: input.status,
        action_id: input.action_id,
    })
}

pub async fn list(State(s): State<Arc<AppState>>) -> Json<Vec<Deployment>> {
    Json(s.catalog().deployments.clone())
}

pub async fn one(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
) -> Result<Json<Deployment>, ApiError> {
    s.catalog()
        .deployment(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no deployment \"{id}\"")))
}

pub async fn create(
    State(s): State<Arc<AppState>>,
    AdminJson(input): AdminJson<DeploymentInput>,
) -> Result<(StatusCode, Json<Deployment>), ApiError> {
    let at = now_ms();
    let id = match input.id.clone() {
        Some(id) if id.trim().is_empty() || id.len() > 128 || id.chars().any(char::is_control) => {
            return Err(ApiError::BadRequest(
                "id must be 1 to 128 characters, without control characters".into(),
            ))
        }
        Some(id) => id,
        None => s.new_id(input.channel.id_prefix(), at),
    };
    if s.catalog().deployment(&id).is_some() {
        return Err(ApiError::Conflict(format!(
            "deployment \"{id}\" exists: PUT /admin/api/deployments/{id} replaces it"
        )));
    }
    let d = check(&s, input, id)?;
    s.store
        .put_deployment(d.clone(), at)
        .await
        .map_err(ApiError::internal)?;
    s.reload_catalog().await?;
    Ok((StatusCode::CREATED, Json(d)))
}

pub async fn replace(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
    AdminJson(input): AdminJson<DeploymentInput>,
) -> Result<Json<Deployment>, ApiError> {
    if input.id.as_deref().is_some_and(|b| b != id) {
        return Err(ApiError::BadRequest(
            "the body's id differs from the path's".into(),
        ));
    }
    if s.catalog().deployment(&id).is_none() {
        return Err(ApiError::NotFound(format!("no deployment \"{id}\"")));
    }
    let d = check(&s, input, id)?;
    s.store
        .put_deployment(d.clone(), now_ms())
        .await
        .map_err(ApiError::internal)?;
    s.reload_catalog().await?;
    Ok(Json(d))
}

pub async fn remove(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
) -> Result<StatusCode, ApiError> {
    if !s
        .store
        .delete_deployment(id.clone())
        .await
        .map_err(ApiError::internal)?
    {
        return Err(ApiError::NotFound(format!("no deployment \"{id}\"")));
    }
    s.reload_catalog().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Registers transaction ids (a JSON array of strings) under a deployment.
pub async fn register_transactions(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
    AdminJson(ids): AdminJson<Vec<String>>,
) -> Result<Json<Registered>, ApiError> {
    if s.catalog().deployment(&id).is_none() {
        return Err(ApiError::NotFound(format!("no deployment \"{id}\"")));
    }
    if ids.len() > MAX_REGISTER {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_REGISTER} ids a request; got {}",
            ids.len()
        )));
    }
    if let Some((i, bad)) = ids.iter().enumerate().find(|(_, t)| {
        t.trim().is_empty() || t.chars().count() > 128 || t.chars().any(char::is_control)
    }) {
        return Err(ApiError::BadRequest(format!(
            "id {i} (\"{}\") must be 1 to 128 characters without control characters",
            bad.chars().take(40).collect::<String>()
        )));
    }
    let received = ids.len() as u64;
    let registered = s
        .store
        .register_transactions(id, ids)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Registered {
        received,
        registered,
    }))
}
