//! Replays: staff re-run a refused request from the log through today's rules, once the
//! catalog or the API user is fixed. A replay goes through the partner pipeline after
//! authentication (method, the API user's enabled flag and grants, validation against the
//! cached catalog, the stored-state rules, the durable write) as the original API user, and is
//! logged as a new request naming the one it replays. It is not throttled: the partner's rate
//! limit guards the server from the partner, and a bulk replay is bounded per call instead
//! (`docs/decisions.md`, "Replays").

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::{Extension, Json};
use tokio::task::JoinSet;
use txstate_core::admin::{CodeCount, ReplaySummary};
use txstate_core::{Api, Code};

use super::{AdminPath, AdminQuery};
use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::http::partner::{accept, answer, check_method, permits};
use crate::state::{now_ms, AppState};
use crate::store::{LogEntry, LogLine, LogQuery};

/// A bulk replay takes at most this many requests per call.
pub const BULK_LIMIT: usize = 1_000;
/// Replays of one bulk call in flight at once (their writes share the writer's batches).
const IN_FLIGHT: usize = 32;

/// Why a logged request cannot be replayed (answered 409; nothing is logged).
fn not_replayable(original: &LogEntry) -> Option<String> {
    let id = &original.transaction_id;
    if Api::parse(&original.endpoint).is_none() {
        return Some(format!("request {id} was not sent to either API"));
    }
    if original.body_truncated {
        return Some(format!(
            "request {id}'s body was longer than the log keeps (8 KiB): only its start was recorded, so it cannot be sent again"
        ));
    }
    if original.body.is_empty() && original.code == Some(Code::RequestFailed.number()) {
        return Some(format!(
            "request {id}'s body was never read whole ({}), so there is nothing to send again",
            Code::RequestFailed.description()
        ));
    }
    if original.api_key_id.is_none() {
        return Some(format!(
            "request {id} named no API user (it was answered {}): there is no one to replay it as",
            original.status
        ));
    }
    None
}

/// Replays `original` now, as its API user; queues the replay's log line and returns it (the
/// caller flushes the log before answering).
async fn replay_one(
    s: &AppState,
    original: &LogEntry,
    client: String,
    request_id: Option<String>,
) -> Result<LogEntry, ApiError> {
    if let Some(why) = not_replayable(original) {
        return Err(ApiError::Conflict(why));
    }
    let (Some(api), Some(user_id)) = (
        Api::parse(&original.endpoint),
        original.api_key_id.as_deref(),
    ) else {
        return Err(ApiError::internal(
            "a replayable request without API or user",
        ));
    };
    let Some(user) = s.keys().user(user_id).map(|c| c.user.clone()) else {
        return Err(ApiError::Conflict(format!(
            "API user {user_id} no longer exists: there is no one to replay request {} as",
            original.transaction_id
        )));
    };
    let started = Instant::now();
    let at_ms = now_ms();
    let transaction_id = s.new_id(if api == Api::Notify { "NTS" } else { "VTS" }, at_ms);
    let mut log = LogEntry {
        transaction_id: transaction_id.clone(),
        at_ms,
        api_key_id: Some(user.api_key_id.clone()),
        endpoint: original.endpoint.clone(),
        method: original.method.clone(),
        client: Some(format!("replay by staff from {client}")),
        body: original.body.clone(),
        headers: original.headers.clone(),
        request_id,
        replay_of: Some(original.transaction_id.clone()),
        ..LogEntry::default()
    };
    let method = Method::from_bytes(original.method.as_bytes()).unwrap_or(Method::GET);
    let result = match check_method(api, &method).and_then(|()| permits(&user, api)) {
        Ok(()) => accept(s, api, &transaction_id, at_ms, original.body.as_bytes()).await,
        Err(e) => Err(e),
    };
    let (_, answered) = answer(result, &mut log).await;
    log.response = serde_json::from_str(&answered).unwrap_or(serde_json::Value::Null);
    log.latency_us = started.elapsed().as_micros() as u64;
    s.store
        .log_request(LogLine::from(log.clone()))
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(
        original = %original.transaction_id,
        replay = %log.transaction_id,
        status = log.status,
        code = log.code.unwrap_or(0),
        "request replayed by staff"
    );
    Ok(log)
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(&crate::http::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `POST /admin/api/requests/{id}/replay`: the replay's log entry.
pub async fn one(
    State(s): State<Arc<AppState>>,
    Extension(client): Extension<ClientAddr>,
    AdminPath(id): AdminPath<String>,
    headers: HeaderMap,
) -> Result<Json<LogEntry>, ApiError> {
    let original = s
        .store
        .request(id.clone())
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::NotFound(format!("no logged request \"{id}\"")))?;
    let replay = replay_one(&s, &original, client.to_string(), request_id(&headers)).await?;
    s.store.flush().await.map_err(ApiError::internal)?;
    Ok(Json(replay))
}

/// `POST /admin/api/requests/replay?<the log's filter>`: replays every unresolved request the
/// filter matches (refused, not a replay, not fixed by a replay yet), newest first, at most
/// [`BULK_LIMIT`] a call.
pub async fn matching(
    State(s): State<Arc<AppState>>,
    Extension(client): Extension<ClientAddr>,
    AdminQuery(mut q): AdminQuery<LogQuery>,
    headers: HeaderMap,
) -> Result<Json<ReplaySummary>, ApiError> {
    q.unresolved = Some(true);
    q.limit = Some(500);
    // The log as of now: every request answered (and replayed) before this call.
    s.store.flush().await.map_err(ApiError::internal)?;
    let mut originals = Vec::new();
    let mut matched = 0;
    let mut offset = 0u32;
    while originals.len() < BULK_LIMIT {
        q.offset = Some(offset);
        let (page, total) = s
            .store
            .requests(q.clone())
            .await
            .map_err(ApiError::internal)?;
        matched = total;
        if page.is_empty() {
            break;
        }
        offset += page.len() as u32;
        originals.extend(page);
    }
    originals.truncate(BULK_LIMIT);
    let (client, rid) = (client.to_string(), request_id(&headers));
    let mut summary = ReplaySummary::default();
    let mut by_code: BTreeMap<Option<u16>, u64> = BTreeMap::new();
    for chunk in originals.chunks(IN_FLIGHT) {
        let mut set = JoinSet::new();
        for original in chunk {
            let (s, client, rid, original) =
                (s.clone(), client.clone(), rid.clone(), original.clone());
            set.spawn(async move { replay_one(&s, &original, client, rid).await });
        }
        while let Some(done) = set.join_next().await {
            match done.map_err(ApiError::internal)? {
                Ok(log) => {
                    summary.replayed += 1;
                    if log.status < 400 {
                        summary.passed += 1;
                    } else {
                        summary.refused += 1;
                    }
                    *by_code.entry(log.code).or_default() += 1;
                }
                Err(ApiError::Conflict(_)) => summary.skipped += 1,
                Err(e) => return Err(e),
            }
        }
    }
    s.store.flush().await.map_err(ApiError::internal)?;
    summary.remaining = matched.saturating_sub(summary.replayed + summary.skipped);
    summary.by_code = by_code
        .into_iter()
        .map(|(code, count)| CodeCount { code, count })
        .collect();
    summary.by_code.sort_by_key(|c| std::cmp::Reverse(c.count));
    Ok(Json(summary))
}
