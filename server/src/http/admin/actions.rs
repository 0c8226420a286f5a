//! `/admin/api/actions`: External Actions.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use txstate_core::{Action, ResponseDef, ResponseType};

use super::{AdminJson, AdminPath};
use crate::error::ApiError;
use crate::state::AppState;

/// An action as the admin API takes it: `id` optional on create.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionInput {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    target_system: String,
    #[serde(default)]
    action_type: String,
    #[serde(default)]
    response_type: Option<ResponseType>,
    #[serde(default)]
    max_tps: Option<u32>,
    #[serde(default)]
    alert_threshold_percent: Option<f64>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    success_responses: Vec<ResponseDef>,
    #[serde(default)]
    failure_responses: Vec<ResponseDef>,
}

impl ActionInput {
    fn into_action(self, id: String) -> Result<Action, ApiError> {
        if self.name.trim().is_empty() {
            return Err(ApiError::BadRequest("name must not be empty".into()));
        }
        if let Some(t) = self.alert_threshold_percent {
            if !(0.0..=100.0).contains(&t) {
                return Err(ApiError::BadRequest(format!(
                    "alertThresholdPercent must be between 0 and 100, not {t}"
                )));
            }
        }
        if self.max_tps == Some(0) {
            return Err(ApiError::BadRequest(
                "maxTps must be at least 1 (or null for no limit)".into(),
            ));
        }
        for (list, name) in [
            (&self.success_responses, "successResponses"),
            (&self.failure_responses, "failureResponses"),
        ] {
            let mut seen = HashSet::new();
            for r in list {
                if r.code.trim().is_empty() {
                    return Err(ApiError::BadRequest(format!(
                        "{name}: a code must not be empty"
                    )));
                }
                if !seen.insert(r.code.as_str()) {
                    return Err(ApiError::BadRequest(format!(
                        "{name}: code \"{}\" is listed twice",
                        r.code
                    )));
                }
            }
        }
        Ok(Action {
            id,
            name: self.name,
            target_system: self.target_system,
            action_type: self.action_type,
            response_type: self.response_type,
            max_tps: self.max_tps,
            alert_threshold_percent: self.alert_threshold_percent,
            description: self.description,
            success_responses: self.success_responses,
            failure_responses: self.failure_responses,
        })
    }
}

pub async fn list(State(s): State<Arc<AppState>>) -> Json<Vec<Action>> {
    Json(s.catalog().actions.clone())
}

pub async fn one(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
) -> Result<Json<Action>, ApiError> {
    s.catalog()
        .action(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no action \"{id}\"")))
}

pub async fn create(
    State(s): State<Arc<AppState>>,
    AdminJson(input): AdminJson<ActionInput>,
) -> Result<(StatusCode, Json<Action>), ApiError> {
    let id = match input.id.clone() {
        Some(id) if id.trim().is_empty() || id.len() > 128 => {
            return Err(ApiError::BadRequest(
                "id must be 1 to 128 characters".into(),
            ))
        }
        Some(id) => id,
        None => format!("act_{}", uuid::Uuid::new_v4().simple()),
    };
    if s.catalog().action(&id).is_some() {
        return Err(ApiError::Conflict(format!(
            "action \"{id}\" exists: PUT /admin/api/actions/{id} replaces it"
        )));
    }
    let action = input.into_action(id)?;
    s.store
        .put_action(action.clone())
        .await
        .map_err(ApiError::internal)?;
    s.reload_catalog().await?;
    Ok((StatusCode::CREATED, Json(action)))
}

pub async fn replace(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
    AdminJson(input): AdminJson<ActionInput>,
) -> Result<Json<Action>, ApiError> {
    if input.id.as_deref().is_some_and(|b| b != id) {
        return Err(ApiError::BadRequest(
            "the body's id differs from the path's".into(),
        ));
    }
    if s.catalog().action(&id).is_none() {
        return Err(ApiError::NotFound(format!("no action \"{id}\"")));
    }
    let action = input.into_action(id)?;
    s.store
        .put_action(action.clone())
        .await
        .map_err(ApiError::internal)?;
    s.reload_catalog().await?;
    Ok(Json(action))
}

pub async fn remove(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
) -> Result<StatusCode, ApiError> {
    let users: Vec<String> = s
        .catalog()
        .deployments
        .iter()
        .filter(|d| d.action_id.as_deref() == Some(id.as_str()))
        .map(|d| d.id.clone())
        .collect();
    if !users.is_empty() {
        return Err(ApiError::Conflict(format!(
            "action \"{id}\" is mapped to deployments {}: map them elsewhere first",
            users.join(", ")
        )));
    }
    if !s
        .store
        .delete_action(id.clone())
        .await
        .map_err(ApiError::internal)?
    {
        return Err(ApiError::NotFound(format!("no action \"{id}\"")));
    }
    s.reload_catalog().await?;
    Ok(StatusCode::NO_CONTENT)
}
