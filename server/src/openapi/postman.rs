//! The Postman collection (v2.1): a request per outcome a client can provoke, each with the
//! documented answer as its saved example and `pm.test` assertions on the status and the code;
//! a folder of the admin API's reads. Variables: `baseUrl`, `apiKey`, `adminToken`,
//! `accessToken` (set by the token request).

use serde_json::{json, Value};
use txstate_core::Api;

use super::outcomes::{Auth, Endpoint, Outcome, UNKNOWN_BEARER};

const SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

/// The collection.
pub fn collection(outcomes: &[Outcome], openapi: &Value) -> Value {
    let mut folders = Vec::new();
    for endpoint in Endpoint::ALL {
        let (_, name, description) = super::naming(endpoint);
        let mut items: Vec<Value> = outcomes
            .iter()
            .filter(|o| o.endpoint == endpoint && o.on_demand)
            .map(item)
            .collect();
        if endpoint == Endpoint::Token {
            items.extend(with_access_token(outcomes));
        }
        folders.push(json!({"name": name, "description": description, "item": items}));
    }
    folders.push(admin_reads(openapi));
    json!({
        "info": {
            "name": "txstate: transaction-state APIs",
            "description": "Every documented outcome of both APIs, with its example answer and tests on the HTTP status and the in-body code. Set `apiKey` to an API user's secret key (`cargo xtask run` prints the demo user's) and `adminToken` to the admin token; `baseUrl` is the server this collection was downloaded from. Run it in order: the stale voice update needs the update before it.",
            "version": env!("CARGO_PKG_VERSION"),
            "schema": SCHEMA,
        },
        "auth": bearer("{{apiKey}}"),
        "variable": [
            {"key": "baseUrl", "value": "http://localhost:8080", "type": "string"},
            {"key": "apiKey", "value": "", "type": "string"},
            {"key": "adminToken", "value": "", "type": "string"},
            {"key": "accessToken", "value": "", "type": "string"},
        ],
        "item": folders,
    })
}

/// Sets a collection variable's value.
pub fn set_variable(collection: &mut Value, key: &str, value: &str) {
    if let Some(vars) = collection.get_mut("variable").and_then(Value::as_array_mut) {
        for v in vars.iter_mut().filter(|v| v["key"] == key) {
            v["value"] = Value::String(value.to_owned());
        }
    }
}

fn bearer(token: &str) -> Value {
    json!({"type": "bearer", "bearer": [{"key": "token", "value": token, "type": "string"}]})
}

fn url(path: &str) -> Value {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    json!({"raw": format!("{{{{baseUrl}}}}{path}"), "host": ["{{baseUrl}}"], "path": segments})
}

fn request(o: &Outcome) -> Value {
    let auth = match o.auth {
        Auth::Key => bearer("{{apiKey}}"),
        Auth::AccessToken => bearer("{{accessToken}}"),
        Auth::Unknown => bearer(UNKNOWN_BEARER),
        Auth::Missing => json!({"type": "noauth"}),
    };
    let mut r = json!({
        "method": o.method,
        "auth": auth,
        "header": [],
        "url": url(o.endpoint.path()),
    });
    if let Some(body) = &o.body {
        r["header"] = json!([{"key": "Content-Type", "value": "application/json"}]);
        r["body"] = json!({
            "mode": "raw",
            "raw": serde_json::to_string_pretty(body).unwrap_or_default(),
            "options": {"raw": {"language": "json"}},
        });
    }
    r
}

/// `pm.test` lines for an outcome: the status, then the code (or its absence).
fn tests(o: &Outcome) -> Vec<String> {
    let mut lines = vec![format!(
        "pm.test(\"HTTP status is {0}\", function () {{ pm.response.to.have.status({0}); }});",
        o.status
    )];
    match o.code {
        Some(code) => lines.push(format!(
            "pm.test(\"code is {code}\", function () {{ pm.expect(pm.response.json().code).to.eql({code}); }});"
        )),
        None if o.endpoint == Endpoint::Token => lines.push(
            "pm.test(\"an access token is issued\", function () { const b = pm.response.json(); pm.expect(b.access_token).to.be.a('string').and.not.be.empty; pm.expect(b.token_type).to.eql('Bearer'); pm.collectionVariables.set('accessToken', b.access_token); });".into(),
        ),
        None => lines.push(
            "pm.test(\"no code, a transaction-id\", function () { const b = pm.response.json(); pm.expect(b).to.not.have.property('code'); pm.expect(b['transaction-id']).to.be.a('string').and.not.be.empty; });".into(),
        ),
    }
    if o.endpoint == Endpoint::Partner(Api::Notify) && o.code == Some(1100) {
        lines.push("pm.test(\"a transaction-id\", function () { pm.expect(pm.response.json()['transaction-id']).to.be.a('string').and.not.be.empty; });".into());
    }
    for (name, value) in &o.headers {
        if name == "allow" {
            lines.push(format!(
                "pm.test(\"allow names {value}\", function () {{ pm.expect(pm.response.headers.get('allow')).to.eql('{value}'); }});"
            ));
        }
    }
    lines
}

fn status_text(status: u16) -> &'static str {
    axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

fn item(o: &Outcome) -> Value {
    let request = request(o);
    json!({
        "name": o.summary,
        "request": request,
        "response": [{
            "name": o.summary,
            "originalRequest": request,
            "status": status_text(o.status),
            "code": o.status,
            "_postman_previewlanguage": "json",
            "header": [{"key": "Content-Type", "value": "application/json"}],
            "body": serde_json::to_string_pretty(&o.response).unwrap_or_default(),
        }],
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": tests(o)}}],
    })
}

/// The notification success again, authenticated with the token the token request saved.
fn with_access_token(outcomes: &[Outcome]) -> Option<Value> {
    let mut o = outcomes
        .iter()
        .find(|o| o.endpoint == Endpoint::Partner(Api::Notify) && o.key == "success")
        .cloned()?;
    o.auth = Auth::AccessToken;
    o.summary = format!("{} (with the access token)", o.summary);
    Some(item(&o))
}

/// The admin API's reads without path parameters, each tested for 200.
fn admin_reads(openapi: &Value) -> Value {
    let mut items = Vec::new();
    if let Some(paths) = openapi["paths"].as_object() {
        for (path, ops) in paths {
            let Some(get) = ops.get("get") else { continue };
            let streams = get["responses"]["200"]["content"]
                .get("text/event-stream")
                .is_some();
            if !path.starts_with("/admin/api/") || path.contains('{') || streams {
                continue;
            }
            items.push(json!({
                "name": get["summary"],
                "request": {"method": "GET", "header": [], "url": url(path)},
                "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": [
                    "pm.test(\"HTTP status is 200\", function () { pm.response.to.have.status(200); });",
                    "pm.test(\"a JSON answer\", function () { pm.response.to.be.json; });",
                ]}}],
            }));
        }
    }
    json!({
        "name": "Admin API (reads)",
        "description": "What support staff see: the catalog, dashboards, the request log. Every admin route is in /openapi.json.",
        "auth": bearer("{{adminToken}}"),
        "item": items,
    })
}
