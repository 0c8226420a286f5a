//! `GET /schemas/{notify,voice}.schema.json`: the JSON Schemas (draft 2020-12) of the two
//! request bodies, the same files the npm package ships (`schemas/` at the repository root,
//! held to every shared fixture by core's tests). Public, like the contract they restate.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Where the schemas are served.
pub const PATH: &str = "/schemas/{name}";

const NOTIFY: &str = include_str!("../../../schemas/notify.schema.json");
const VOICE: &str = include_str!("../../../schemas/voice.schema.json");

/// One schema by file name.
pub async fn schema(Path(name): Path<String>) -> Response {
    let text = match name.as_str() {
        "notify.schema.json" => NOTIFY,
        "voice.schema.json" => VOICE,
        _ => {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({"error": "not_found",
                    "message": "schemas: notify.schema.json, voice.schema.json"})),
            )
                .into_response()
        }
    };
    (
        [
            (header::CONTENT_TYPE, "application/schema+json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        text,
    )
        .into_response()
}
