//! `/openapi.json` and `/postman.json` over real HTTP: they cover every route, every code of
//! the code table under the server's status profile, and their examples are what core says.
//! (newman and schemathesis run them against a live server: `server/clients/`.)

mod common;

use common::TestServer;
use serde_json::Value;
use txstate_core::{Api, Code, Options, StatusProfile};
use txstate_server::http::admin::routes;

async fn documents(profile: StatusProfile) -> (Value, Value) {
    let server = TestServer::start_with(|c| c.status_profile = profile).await;
    let get = |path: &'static str| {
        let http = server.http.clone();
        let url = server.url(path);
        async move {
            let res = http.get(url).send().await.expect("answers");
            assert_eq!(res.status(), 200, "{path}");
            res.json::<Value>().await.expect("JSON")
        }
    };
    (get("/openapi.json").await, get("/postman.json").await)
}

/// Every `$ref` in `v`.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r);
            }
            m.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_admin_route_is_documented_and_nothing_else() {
    let (doc, _) = documents(StatusProfile::Webex).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = Vec::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        let Some(rest) = path.strip_prefix("/admin/api") else {
            continue;
        };
        for method in ops.as_object().expect("operations").keys() {
            documented.push(format!("{} {rest}", method.to_uppercase()));
        }
    }
    let mut served: Vec<String> = routes()
        .into_iter()
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    served.sort();
    documented.sort();
    assert_eq!(documented, served);
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/schemas/{name}",
        "/postman.json",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
}

#[tokio::test]
async fn every_reference_resolves() {
    let (doc, _) = documents(StatusProfile::Webex).await;
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 30, "the document uses its components");
    for r in all {
        let pointer = r.strip_prefix('#').expect("local reference");
        assert!(doc.pointer(pointer).is_some(), "{r} resolves");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["partnerKey"]["scheme"], "bearer");
    assert_eq!(schemes["adminToken"]["scheme"], "bearer");
}

/// For each API, every code of the table is an example under the status the profile gives it,
/// and every request example gets from core the code it is filed under.
async fn codes_are_documented(profile: StatusProfile) {
    let (doc, _) = documents(profile).await;
    let catalog = common::demo_catalog();
    for api in [Api::Notify, Api::Voice] {
        let op = &doc["paths"][api.path()][api.method().to_lowercase()];
        for code in Code::ALL
            .into_iter()
            .filter(|c| c.info().apis.contains(&api))
        {
            let status = code.http_status(profile).to_string();
            let examples = &op["responses"][&status]["content"]["application/json"]["examples"];
            let n = code.number().to_string();
            let key = if code == Code::Notified {
                "success"
            } else {
                &n
            };
            let example = &examples[key]["value"];
            assert_eq!(
                example["code"],
                code.number(),
                "{api:?}: code {n} is an example under HTTP {status}"
            );
        }
        let bodies = op["requestBody"]["content"]["application/json"]["examples"]
            .as_object()
            .expect("request examples");
        assert!(bodies.len() >= 3, "{api:?} has request examples");
        for (key, example) in bodies {
            if key == "1010" {
                continue; // valid; refused by the stored state, not by core
            }
            let body = example["value"].to_string();
            let opts = Options {
                catalog: Some(&catalog),
                now_ms: None,
                profile,
            };
            let v = txstate_core::validate(api, body.as_bytes(), &opts);
            let got = v.code.map_or("success".to_owned(), |c| {
                if c == Code::Notified {
                    "success".to_owned()
                } else {
                    c.number().to_string()
                }
            });
            assert_eq!(&got, key, "{api:?}: the request example filed under {key}");
        }
    }
}

#[tokio::test]
async fn every_code_is_documented_under_the_webex_profile() {
    codes_are_documented(StatusProfile::Webex).await;
}

#[tokio::test]
async fn every_code_is_documented_under_the_http_profile() {
    codes_are_documented(StatusProfile::Http).await;
}

#[tokio::test]
async fn the_collection_tests_every_request_on_status_and_code() {
    let (_, postman) = documents(StatusProfile::Webex).await;
    assert_eq!(
        postman["info"]["schema"],
        "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    );
    let vars: Vec<&str> = postman["variable"]
        .as_array()
        .expect("variables")
        .iter()
        .filter_map(|v| v["key"].as_str())
        .collect();
    for v in ["baseUrl", "apiKey", "adminToken"] {
        assert!(vars.contains(&v), "variable {v}");
    }
    let folders = postman["item"].as_array().expect("folders");
    let partner: Vec<&Value> = folders
        .iter()
        .take(3)
        .flat_map(|f| f["item"].as_array().expect("items"))
        .collect();
    for item in &partner {
        let script = item["event"][0]["script"]["exec"].to_string();
        assert!(
            script.contains("pm.response.to.have.status("),
            "{}",
            item["name"]
        );
        assert!(item["response"][0]["code"].is_u64(), "a saved example");
    }
    // Per API: success, the validation codes, 405, 430, 498 (and 1010 for voice); notify once
    // more with the access token the token request saves.
    let count = |path: &str| {
        partner
            .iter()
            .filter(|i| {
                i["request"]["url"]["raw"].as_str() == Some(&format!("{{{{baseUrl}}}}{path}"))
            })
            .count()
    };
    assert_eq!(count(Api::Notify.path()), 8 + 3 + 1);
    assert_eq!(count(Api::Voice.path()), 4 + 3);
}
