//! What the OpenAPI document says of each admin route (the route table itself is
//! [`crate::http::admin::routes`]; a test holds the two to each other).

use axum::http::Method;
use schemars::{Schema, SchemaGenerator};
use txstate_core::admin::{
    ApiUser, CreatedApiUser, DashboardRow, LogEntry, LogQuery, NewSecretKey, Registered,
    ReplaySummary, RequestPage, ServerInfo, VoiceDashboardView,
};
use txstate_core::report::SummaryRow;
use txstate_core::{Action, Catalog, Deployment};

use crate::http::admin::{ActionInput, DeploymentInput, UserInput};

/// A schema, made by the generator (so named types land in `components`).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// What a route answers when it succeeds.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    /// JSON of this schema, with this status.
    Json(u16, SchemaFn),
    /// 204, no body.
    Empty,
    /// The report as CSV.
    Csv,
    /// Server-sent events, until the client leaves.
    Events,
}

/// One admin operation.
#[derive(Debug)]
pub struct AdminOp {
    /// Method.
    pub method: Method,
    /// Path under `/admin/api`.
    pub path: &'static str,
    /// `operationId`.
    pub id: &'static str,
    /// Tag (the resource).
    pub tag: &'static str,
    /// One line.
    pub summary: &'static str,
    /// The JSON body it takes.
    pub body: Option<SchemaFn>,
    /// The query it takes (an object schema; each property a parameter).
    pub query: Option<SchemaFn>,
    /// What it answers.
    pub answer: Answer,
    /// Refusals besides 401 and 429 (every admin route has those): 400, 404, 409.
    pub refusals: &'static [u16],
}

#[allow(clippy::too_many_arguments)]
fn op(
    method: Method,
    path: &'static str,
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    body: Option<SchemaFn>,
    answer: Answer,
    refusals: &'static [u16],
) -> AdminOp {
    AdminOp {
        method,
        path,
        id,
        tag,
        summary,
        body,
        query: None,
        answer,
        refusals,
    }
}

/// Every admin operation the document describes, one line each.
#[rustfmt::skip]
pub fn operations() -> Vec<AdminOp> {
    use Answer::{Csv, Empty, Events, Json};
    use Method as M;
    const ACTIONS: &str = "Admin: External Actions";
    const DEPLOYMENTS: &str = "Admin: deployments";
    const USERS: &str = "Admin: API users";
    const VIEWS: &str = "Admin: dashboards and reports";
    const LOG: &str = "Admin: request log";
    let action: SchemaFn = |g| g.subschema_for::<Action>();
    let action_in: SchemaFn = |g| g.subschema_for::<ActionInput>();
    let deployment: SchemaFn = |g| g.subschema_for::<Deployment>();
    let deployment_in: SchemaFn = |g| g.subschema_for::<DeploymentInput>();
    let user: SchemaFn = |g| g.subschema_for::<ApiUser>();
    let user_in: SchemaFn = |g| g.subschema_for::<UserInput>();
    let mut ops = vec![
        op(M::GET, "/actions", "listActions", ACTIONS, "Every External Action", None, Json(200, |g| g.subschema_for::<Vec<Action>>()), &[]),
        op(M::POST, "/actions", "createAction", ACTIONS, "Create an External Action (`id` generated when not given)", Some(action_in), Json(201, action), &[400, 409]),
        op(M::GET, "/actions/{id}", "getAction", ACTIONS, "One External Action", None, Json(200, action), &[404]),
        op(M::PUT, "/actions/{id}", "replaceAction", ACTIONS, "Replace an External Action", Some(action_in), Json(200, action), &[400, 404]),
        op(M::DELETE, "/actions/{id}", "deleteAction", ACTIONS, "Delete an External Action no deployment uses", None, Empty, &[404, 409]),
        op(M::GET, "/deployments", "listDeployments", DEPLOYMENTS, "Every deployment", None, Json(200, |g| g.subschema_for::<Vec<Deployment>>()), &[]),
        op(M::POST, "/deployments", "createDeployment", DEPLOYMENTS, "Create a deployment (`id` generated in the platform's shape when not given)", Some(deployment_in), Json(201, deployment), &[400, 409]),
        op(M::GET, "/deployments/{id}", "getDeployment", DEPLOYMENTS, "One deployment", None, Json(200, deployment), &[404]),
        op(M::PUT, "/deployments/{id}", "replaceDeployment", DEPLOYMENTS, "Replace a deployment", Some(deployment_in), Json(200, deployment), &[400, 404]),
        op(M::DELETE, "/deployments/{id}", "deleteDeployment", DEPLOYMENTS, "Delete a deployment", None, Empty, &[404]),
        op(M::POST, "/deployments/{id}/transactions", "registerTransactions", DEPLOYMENTS, "Register transaction ids under a deployment (a JSON array, up to 100,000)", Some(|g| g.subschema_for::<Vec<String>>()), Json(200, |g| g.subschema_for::<Registered>()), &[400, 404]),
        op(M::GET, "/deployments/{id}/report", "deploymentReport", VIEWS, "Action Deployment Response Summary (JSON; CSV with `Accept: text/csv`)", None, Json(200, |g| g.subschema_for::<Vec<SummaryRow>>()), &[404]),
        op(M::GET, "/deployments/{id}/report.csv", "deploymentReportCsv", VIEWS, "Action Deployment Response Summary as CSV", None, Csv, &[404]),
        op(M::GET, "/api-users", "listApiUsers", USERS, "Every API user (never a secret)", None, Json(200, |g| g.subschema_for::<Vec<ApiUser>>()), &[]),
        op(M::POST, "/api-users", "createApiUser", USERS, "Create an API user; its secret key 1 is returned once", Some(user_in), Json(201, |g| g.subschema_for::<CreatedApiUser>()), &[400]),
        op(M::GET, "/api-users/{id}", "getApiUser", USERS, "One API user", None, Json(200, user), &[404]),
        op(M::PATCH, "/api-users/{id}", "updateApiUser", USERS, "Change an API user's name, grants, rate limit or enabled flag", Some(user_in), Json(200, user), &[400, 404]),
        op(M::DELETE, "/api-users/{id}", "deleteApiUser", USERS, "Delete an API user and its keys", None, Empty, &[404]),
        op(M::POST, "/api-users/{id}/secret-keys", "addSecretKey", USERS, "Create the user's second secret key (returned once) for a rotation", None, Json(201, |g| g.subschema_for::<NewSecretKey>()), &[404, 409]),
        op(M::DELETE, "/api-users/{id}/secret-keys/{slot}", "deleteSecretKey", USERS, "Delete secret key 1 or 2 (deleting key 1 promotes key 2)", None, Json(200, user), &[400, 404]),
        op(M::GET, "/info", "serverInfo", VIEWS, "The server's version, status profile and body limit", None, Json(200, |g| g.subschema_for::<ServerInfo>()), &[]),
        op(M::GET, "/catalog", "catalog", VIEWS, "Deployments and actions, exactly as the wasm validator takes its catalog", None, Json(200, |g| g.subschema_for::<Catalog>()), &[]),
        op(M::GET, "/dashboard", "dashboard", VIEWS, "Per deployment: successes, failures, failure rate, alerting, pending, hourly", None, Json(200, |g| g.subschema_for::<Vec<DashboardRow>>()), &[]),
        op(M::GET, "/voice/dashboard", "voiceDashboard", VIEWS, "Voice calls by drop code, call state and source; answered rate; durations", None, Json(200, |g| g.subschema_for::<VoiceDashboardView>()), &[]),
        op(M::GET, "/requests", "requestLog", LOG, "The request log of both endpoints, filtered and paged, newest first", None, Json(200, |g| g.subschema_for::<RequestPage>()), &[400]),
        op(M::GET, "/requests/{id}", "request", LOG, "One logged request whole, by its operation id", None, Json(200, |g| g.subschema_for::<LogEntry>()), &[404]),
        op(M::POST, "/requests/{id}/replay", "replayRequest", LOG, "Replay one logged request through today's rules as its API user (not throttled); the replay is logged as a new request naming it in `replayOf`", None, Json(200, |g| g.subschema_for::<LogEntry>()), &[404, 409]),
        op(M::POST, "/requests/replay", "replayRequests", LOG, "Replay every unresolved request the log's filter matches (refused, not a replay, not fixed by one), newest first, at most 1,000 a call", None, Json(200, |g| g.subschema_for::<ReplaySummary>()), &[400]),
        op(M::GET, "/events", "events", VIEWS, "Server-sent events: one whenever counts change (`notify`, `voice`, `catalog`)", None, Events, &[]),
    ];
    for o in ops.iter_mut().filter(|o| matches!(o.id, "requestLog" | "replayRequests")) {
        o.query = Some(|g| g.root_schema_for::<LogQuery>());
    }
    ops
}
