//! Read-only admin views: the catalog, the dashboards, the Action Deployment Response Summary
//! (JSON and CSV), the request log and the events stream.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::stream::Stream;
use futures_util::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use txstate_core::admin::{RequestPage, ServerInfo, VoiceDashboardView, VoiceDeploymentFigures};
use txstate_core::csv::cell;
use txstate_core::report::{response_summary, SummaryRow};
use txstate_core::voice_stats::VoiceStats;
use txstate_core::Catalog;

use super::{AdminPath, AdminQuery};
use crate::error::ApiError;
use crate::state::{now_ms, AppState};
use crate::store::{DashboardRow, LogEntry, LogQuery};

/// `GET /admin/api/info`: what a client needs to give the server's own verdict locally.
pub async fn info(State(s): State<Arc<AppState>>) -> Json<ServerInfo> {
    Json(ServerInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        status_profile: s.config.status_profile,
        body_limit: s.config.body_limit,
    })
}

/// `GET /admin/api/catalog`: exactly the shape the wasm validator takes as its catalog.
pub async fn catalog(State(s): State<Arc<AppState>>) -> Json<Catalog> {
    Json(s.catalog().as_ref().clone())
}

pub async fn dashboard(
    State(s): State<Arc<AppState>>,
) -> Result<Json<Vec<DashboardRow>>, ApiError> {
    Ok(Json(
        s.store
            .dashboard(now_ms())
            .await
            .map_err(ApiError::internal)?,
    ))
}

async fn summary(s: &AppState, id: &str) -> Result<Vec<SummaryRow>, ApiError> {
    let catalog = s.catalog();
    let d = catalog
        .deployment(id)
        .ok_or_else(|| ApiError::NotFound(format!("no deployment \"{id}\"")))?;
    let counts = s
        .store
        .outcome_counts(id.to_owned())
        .await
        .map_err(ApiError::internal)?;
    Ok(response_summary(catalog.action_of(d), counts))
}

/// `GET .../report`: JSON, or CSV when asked with `Accept: text/csv`.
pub async fn report(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rows = summary(&s, &id).await?;
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"));
    Ok(if wants_csv {
        csv(&id, &rows)
    } else {
        Json(rows).into_response()
    })
}

pub async fn report_csv(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
) -> Result<Response, ApiError> {
    Ok(csv(&id, &summary(&s, &id).await?))
}

fn csv(id: &str, rows: &[SummaryRow]) -> Response {
    let mut out = String::from("responseState,responseCode,responseDescription,count,percent\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{}\r\n",
            r.response_state.as_str(),
            cell(r.response_code.as_deref().unwrap_or("")),
            cell(&r.response_description),
            r.count,
            r.percent
        ));
    }
    let name: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"report-{name}.csv\""),
            ),
        ],
        out,
    )
        .into_response()
}

/// `GET /admin/api/voice/dashboard`: per deployment, the unassigned calls, and all.
pub async fn voice_dashboard(
    State(s): State<Arc<AppState>>,
) -> Result<Json<VoiceDashboardView>, ApiError> {
    let stats = s.store.voice_stats().await.map_err(ApiError::internal)?;
    let catalog = s.catalog();
    let mut total = VoiceStats::default();
    let mut deployments = Vec::new();
    let mut unassigned = VoiceStats::default();
    for (dep, st) in &stats {
        total.merge(st);
        match dep {
            Some(id) => {
                let name = catalog
                    .deployment(id)
                    .map(|d| d.name.clone())
                    .unwrap_or_default();
                deployments.push(VoiceDeploymentFigures {
                    deployment_id: id.clone(),
                    name,
                    figures: st.dashboard(),
                });
            }
            None => unassigned.merge(st),
        }
    }
    Ok(Json(VoiceDashboardView {
        total: total.dashboard(),
        unassigned: unassigned.dashboard(),
        deployments,
    }))
}

pub async fn requests(
    State(s): State<Arc<AppState>>,
    AdminQuery(q): AdminQuery<LogQuery>,
) -> Result<Json<RequestPage>, ApiError> {
    s.store.flush().await.map_err(ApiError::internal)?;
    let (items, total) = s.store.requests(q).await.map_err(ApiError::internal)?;
    Ok(Json(RequestPage { total, items }))
}

pub async fn request(
    State(s): State<Arc<AppState>>,
    AdminPath(id): AdminPath<String>,
) -> Result<Json<LogEntry>, ApiError> {
    s.store.flush().await.map_err(ApiError::internal)?;
    s.store
        .request(id.clone())
        .await
        .map_err(ApiError::internal)?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no request \"{id}\" in the log")))
}

/// `GET /admin/api/events`: a server-sent event whenever counts change.
pub async fn events(
    State(s): State<Arc<AppState>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    // The stream ends when shutdown begins, or graceful shutdown would wait for it forever.
    let mut shutdown = s.shutdown.subscribe();
    let stopping = async move {
        let _ = shutdown.wait_for(|stopping| *stopping).await;
    };
    let stream = BroadcastStream::new(s.events.subscribe())
        .filter_map(|e| async move {
            let e = e.ok()?;
            SseEvent::default()
                .event(e.kind.name())
                .json_data(&e)
                .ok()
                .map(Ok)
        })
        .take_until(stopping);
    Sse::new(stream).keep_alive(KeepAlive::default())
}
