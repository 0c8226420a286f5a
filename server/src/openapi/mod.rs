//! `GET /openapi.json` (OpenAPI 3.1) and `GET /postman.json` (Postman collection v2.1), both
//! generated from the server's own types and tables, so neither can drift from the server:
//!
//! - paths and methods: [`txstate_core::Api`], the token endpoint and the admin route table;
//! - statuses, codes and examples: [`outcomes`], rendered by the server's own error type under
//!   the configured status profile, from the shared fixtures and core's verdict;
//! - schemas: derived from the Rust types (schemars); the two request bodies are the JSON
//!   Schemas of `schemas/`, which core's tests hold to every fixture.
//!
//! Public, like the contract they restate.

pub mod admin;
pub mod outcomes;
mod postman;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use schemars::generate::SchemaSettings;
use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};
use tokio::sync::OnceCell;
use txstate_core::{Api, StatusProfile};

use crate::error::{AdminFailure, FailureBody};
use crate::http::partner::SuccessBody;
use crate::http::token::TokenBody;
use crate::state::AppState;
use admin::{Answer, SchemaFn};
use outcomes::{Endpoint, Outcome};

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/openapi.json";
/// Where the Postman collection is served.
pub const POSTMAN_PATH: &str = "/postman.json";

const NOTIFY_SCHEMA: &str = include_str!("../../../schemas/notify.schema.json");
const VOICE_SCHEMA: &str = include_str!("../../../schemas/voice.schema.json");

/// The two documents for one status profile.
#[derive(Debug)]
pub struct Documents {
    /// OpenAPI 3.1.
    pub openapi: Value,
    /// Postman v2.1, with `{{baseUrl}}` defaulting to `http://localhost:8080`.
    pub postman: Value,
}

/// Builds both documents.
pub async fn documents(profile: StatusProfile) -> Documents {
    let outcomes = outcomes::outcomes(profile).await;
    let openapi = openapi(profile, &outcomes);
    let postman = postman::collection(&outcomes, &openapi);
    Documents { openapi, postman }
}

/// Built once per process and profile.
async fn cached(profile: StatusProfile) -> &'static Documents {
    static WEBEX: OnceCell<Documents> = OnceCell::const_new();
    static HTTP: OnceCell<Documents> = OnceCell::const_new();
    let cell = match profile {
        StatusProfile::Webex => &WEBEX,
        StatusProfile::Http => &HTTP,
    };
    cell.get_or_init(|| documents(profile)).await
}

/// `GET /openapi.json`
pub async fn serve_openapi(State(s): State<Arc<AppState>>) -> Response {
    let docs = cached(s.config.status_profile).await;
    (
        [(header::CACHE_CONTROL, "no-cache")],
        axum::Json(&docs.openapi),
    )
        .into_response()
}

/// `GET /postman.json`: a download, its `baseUrl` the address it was fetched from.
pub async fn serve_postman(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let docs = cached(s.config.status_profile).await;
    let mut collection = docs.postman.clone();
    if let Some(base) = base_url(&headers) {
        postman::set_variable(&mut collection, "baseUrl", &base);
    }
    (
        [
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"txstate.postman_collection.json\"",
            ),
        ],
        axum::Json(collection),
    )
        .into_response()
}

/// `http(s)://host` of the request, from `Host` (and `X-Forwarded-Proto` behind a proxy),
/// when both look like what they claim to be.
fn base_url(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let host_ok = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b));
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    host_ok.then(|| format!("{scheme}://{host}"))
}

/// A partner endpoint's operation id and tag.
fn naming(endpoint: Endpoint) -> (&'static str, &'static str, &'static str) {
    match endpoint {
        Endpoint::Partner(Api::Notify) => (
            "notifyTransactionState",
            "API 1: External Action notifications",
            "Report what happened to an External Action transaction: 531 (success) or 532 (failure).",
        ),
        Endpoint::Partner(Api::Voice) => (
            "updateVoiceCampaignTransaction",
            "API 2: voice call updates",
            "Report how a voice call ended: its times, state, source and drop code.",
        ),
        Endpoint::Token => (
            "issueAccessToken",
            "Access tokens (legacy flow)",
            "Exchange a secret key (as the bearer) for a short-lived access token, then use the token as the bearer of the two APIs.",
        ),
    }
}

/// The OpenAPI 3.1 document.
fn openapi(profile: StatusProfile, outcomes: &[Outcome]) -> Value {
    let mut gen = SchemaGenerator::new(
        SchemaSettings::draft2020_12().with(|s| s.definitions_path = "/components/schemas".into()),
    );
    let failure = gen.subschema_for::<FailureBody<'static>>().to_value();
    let success = gen.subschema_for::<SuccessBody<'static>>().to_value();
    let token = gen.subschema_for::<TokenBody>().to_value();
    let admin_failure = gen.subschema_for::<AdminFailure<'static>>().to_value();

    let mut paths = Map::new();
    for endpoint in Endpoint::ALL {
        let mine: Vec<&Outcome> = outcomes.iter().filter(|o| o.endpoint == endpoint).collect();
        let ok_schema = match endpoint {
            Endpoint::Partner(Api::Notify) => success.clone(),
            Endpoint::Partner(Api::Voice) => json!({"anyOf": [success, failure]}),
            Endpoint::Token => token.clone(),
        };
        let (id, tag, summary) = naming(endpoint);
        let mut operation = json!({
            "operationId": id,
            "tags": [tag],
            "summary": summary,
            "description": codes_description(&mine),
            "security": [{"partnerKey": []}],
            "responses": responses(&mine, &ok_schema, &failure),
        });
        if let Endpoint::Partner(api) = endpoint {
            let schema = match api {
                Api::Notify => "#/components/schemas/NotifyRequest",
                Api::Voice => "#/components/schemas/VoiceRequest",
            };
            let examples: Map<String, Value> = mine
                .iter()
                .filter(|o| o.body.is_some() && o.method == endpoint.method())
                .map(|o| {
                    (
                        o.key.clone(),
                        json!({"summary": o.summary, "value": o.body}),
                    )
                })
                .collect();
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": {"$ref": schema}, "examples": examples}},
            });
        }
        paths.insert(
            endpoint.path().to_owned(),
            json!({ endpoint.method().to_lowercase(): operation }),
        );
    }
    for op in admin::operations() {
        let path = format!("/admin/api{}", op.path);
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[op.method.as_str().to_lowercase()] = admin_operation(&op, &mut gen, &admin_failure);
    }
    public_operations(&mut paths);

    let mut schemas = gen.take_definitions(true);
    schemas.insert("NotifyRequest".into(), request_schema(NOTIFY_SCHEMA));
    schemas.insert("VoiceRequest".into(), request_schema(VOICE_SCHEMA));
    let profile_note = match profile {
        StatusProfile::Webex => "This server runs the `webex` status profile (the platform's own tables): validation codes travel with HTTP 500, 499 with HTTP 499.",
        StatusProfile::Http => "This server runs the `http` status profile: validation codes travel with HTTP 400 or 422.",
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "txstate: transaction-state APIs",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("Partners report asynchronously what happened to transactions a campaign platform started: an External Action succeeded (531) or failed (532), or a voice call ended. Every answer carries an in-body `code`; the HTTP status it travels with depends on the server's status profile. {profile_note} The request bodies' JSON Schemas are also served at `/schemas/notify.schema.json` and `/schemas/voice.schema.json`; rules a schema cannot express (the deployment catalog, dates) are checked by the server and by the npm package `txstate-validator`, which gives the same verdict."),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "/", "description": "this server"}],
        "tags": tags(),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "partnerKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API user's secret key (created in the admin API, shown once), or an access token from `POST /campaignapi/resources/v3/accesstoken`. Missing, or not granted this API: 401 with 430; unknown or expired: 401 with 498.",
                },
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The admin token (`TXSTATE_ADMIN_TOKEN`, or the one printed at first start).",
                },
            },
        },
    })
}

fn tags() -> Value {
    let mut tags: Vec<Value> = Endpoint::ALL
        .into_iter()
        .map(|e| {
            let (_, name, description) = naming(e);
            json!({"name": name, "description": description})
        })
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    for op in admin::operations() {
        if !seen.contains(&op.tag) {
            seen.push(op.tag);
            tags.push(json!({"name": op.tag}));
        }
    }
    tags.push(json!({"name": "Operations", "description": "Probes, metrics and these documents"}));
    Value::Array(tags)
}

/// "Codes: 1100 ..., 1101 ..." for an operation's description.
fn codes_description(outcomes: &[&Outcome]) -> String {
    let mut out = String::from(
        "Every answer, by HTTP status and in-body code (each has an example below):\n",
    );
    for o in outcomes {
        let code = o.code.map_or("—".to_owned(), |c| c.to_string());
        out.push_str(&format!(
            "\n- HTTP {} · code {code} · {}",
            o.status, o.summary
        ));
    }
    out
}

/// The responses object: one entry per status, an example per outcome.
fn responses(outcomes: &[&Outcome], ok_schema: &Value, failure: &Value) -> Value {
    let mut by_status: BTreeMap<u16, Vec<&Outcome>> = BTreeMap::new();
    for o in outcomes {
        by_status.entry(o.status).or_default().push(o);
    }
    let mut out = Map::new();
    for (status, list) in by_status {
        let schema = if status == 200 { ok_schema } else { failure };
        let description = list
            .iter()
            .map(|o| match o.code {
                Some(c) => format!("{c}: {}", o.summary),
                None => o.summary.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ");
        let examples: Map<String, Value> = list
            .iter()
            .map(|o| {
                (
                    o.key.clone(),
                    json!({"summary": o.summary, "value": o.response}),
                )
            })
            .collect();
        let mut headers = Map::new();
        for (name, _) in list.iter().flat_map(|o| &o.headers) {
            let description = match name.as_str() {
                "allow" => "The method the endpoint takes",
                _ => "Seconds to wait before the next request passes",
            };
            let schema = if name == "allow" {
                json!({"type": "string"})
            } else {
                json!({"type": "integer", "minimum": 1})
            };
            headers.insert(
                name.clone(),
                json!({"description": description, "schema": schema, "required": true}),
            );
        }
        let mut response = json!({
            "description": description,
            "content": {"application/json": {"schema": schema, "examples": examples}},
        });
        if !headers.is_empty() {
            response["headers"] = Value::Object(headers);
        }
        out.insert(status.to_string(), response);
    }
    Value::Object(out)
}

/// One admin operation.
fn admin_operation(op: &admin::AdminOp, gen: &mut SchemaGenerator, failure: &Value) -> Value {
    let mut parameters: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let schema = if name == "slot" {
                json!({"type": "integer", "enum": [1, 2]})
            } else {
                json!({"type": "string"})
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect();
    if let Some(query) = op.query {
        let schema = query(gen).to_value();
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, s) in props {
                let mut s = s.clone();
                let description = s
                    .as_object_mut()
                    .and_then(|m| m.remove("description"))
                    .unwrap_or(Value::Null);
                // A query value is never null: the parameter is left out instead.
                if let Some(t) = s.get("type").and_then(Value::as_array).cloned() {
                    let t: Vec<Value> = t.into_iter().filter(|v| v != "null").collect();
                    s["type"] = t.into_iter().next().unwrap_or(Value::Null);
                }
                parameters.push(json!({"name": name, "in": "query", "required": false,
                    "description": description, "schema": s}));
            }
        }
    }
    let error = |what: &str| json!({"description": what, "content": {"application/json": {"schema": failure}}});
    let mut responses = Map::new();
    let ok = |schema: SchemaFn, gen: &mut SchemaGenerator| json!({"description": "Done", "content": {"application/json": {"schema": schema(gen).to_value()}}});
    match op.answer {
        Answer::Json(status, schema) => {
            responses.insert(status.to_string(), ok(schema, gen));
        }
        Answer::Empty => {
            responses.insert("204".into(), json!({"description": "Deleted"}));
        }
        Answer::Csv => {
            responses.insert(
                "200".into(),
                json!({"description": "responseState, responseCode, responseDescription, count, percent; one row per outcome",
                    "content": {"text/csv": {"schema": {"type": "string"}}}}),
            );
        }
        Answer::Events => {
            responses.insert(
                "200".into(),
                json!({"description": "An event stream: `event: notify|voice|catalog`, `data: {\"kind\", \"deploymentId\"}`; a comment every 15 s keeps it open",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}}}),
            );
        }
    }
    if op.id == "deploymentReport" {
        responses["200"]["content"]["text/csv"] = json!({"schema": {"type": "string"}});
    }
    for status in op.refusals {
        let what = match status {
            400 => "The request is malformed: the message says how",
            404 => "No such resource",
            _ => "The request conflicts with what is stored: the message says what",
        };
        responses.insert(status.to_string(), error(what));
    }
    responses.insert("401".into(), error("The admin token is missing or wrong"));
    responses.insert(
        "429".into(),
        error("Too many wrong admin tokens from this address: wait retry-after seconds"),
    );
    let mut operation = json!({
        "operationId": op.id,
        "tags": [op.tag],
        "summary": op.summary,
        "security": [{"adminToken": []}],
        "responses": responses,
    });
    if !parameters.is_empty() {
        operation["parameters"] = Value::Array(parameters);
    }
    if let Some(body) = op.body {
        operation["requestBody"] = json!({"required": true,
            "content": {"application/json": {"schema": body(gen).to_value()}}});
    }
    operation
}

/// The routes outside both APIs: probes, metrics, schemas, these documents.
fn public_operations(paths: &mut Map<String, Value>) {
    let status = json!({"type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"]});
    let json_doc = |id: &str, summary: &str| {
        json!({"get": {"operationId": id, "tags": ["Operations"], "summary": summary, "security": [],
            "responses": {"200": {"description": "The document", "content": {"application/json": {"schema": {"type": "object"}}}}}}})
    };
    paths.insert("/healthz".into(), json!({"get": {"operationId": "healthz", "tags": ["Operations"],
        "summary": "Liveness: the process answers", "security": [],
        "responses": {"200": {"description": "Alive", "content": {"application/json": {"schema": status}}}}}}));
    paths.insert("/readyz".into(), json!({"get": {"operationId": "readyz", "tags": ["Operations"],
        "summary": "Readiness: the database answers", "security": [],
        "responses": {
            "200": {"description": "Ready", "content": {"application/json": {"schema": status}}},
            "503": {"description": "The database does not answer, or the server is draining before it stops", "content": {"application/json": {"schema": status}}}}}}));
    paths.insert("/metrics".into(), json!({"get": {"operationId": "metrics", "tags": ["Operations"],
        "summary": "Prometheus metrics", "security": [],
        "responses": {"200": {"description": "OpenMetrics text format (Prometheus reads it)", "content": {"application/openmetrics-text": {"schema": {"type": "string"}}}}}}}));
    paths.insert("/schemas/{name}".into(), json!({"get": {"operationId": "requestSchema", "tags": ["Operations"],
        "summary": "A request body's JSON Schema (draft 2020-12)", "security": [],
        "parameters": [{"name": "name", "in": "path", "required": true,
            "schema": {"type": "string", "enum": ["notify.schema.json", "voice.schema.json"]}}],
        "responses": {
            "200": {"description": "The schema", "content": {"application/schema+json": {"schema": {"type": "object"}}}},
            "404": {"description": "No such schema", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AdminFailure"}}}}}}}));
    paths.insert(
        OPENAPI_PATH.into(),
        json_doc("openapi", "This OpenAPI 3.1 document"),
    );
    paths.insert(POSTMAN_PATH.into(), json_doc("postmanCollection", "A Postman v2.1 collection of both APIs: a request per documented outcome, each with tests"));
}

/// A request body schema of `schemas/`, as a component: its own `$schema` and `$id` dropped
/// (the document's dialect is 2020-12 already; an `$id` would move the base of references).
fn request_schema(text: &str) -> Value {
    let mut v: Value = serde_json::from_str(text).unwrap_or(Value::Bool(true));
    if let Some(m) = v.as_object_mut() {
        m.remove("$schema");
        m.remove("$id");
    }
    v
}
