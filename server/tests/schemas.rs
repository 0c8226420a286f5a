//! The JSON Schemas are served as the very files the npm package ships.

mod common;

use common::TestServer;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schemas_are_served_as_shipped() {
    let s = TestServer::start().await;
    for name in ["notify.schema.json", "voice.schema.json"] {
        let res = s
            .http
            .get(s.url(&format!("/schemas/{name}")))
            .send()
            .await
            .expect("schema");
        assert_eq!(res.status(), 200, "{name}");
        assert_eq!(res.headers()["content-type"], "application/schema+json");
        let served = res.text().await.expect("text");
        let file =
            std::fs::read_to_string(common::root().join("schemas").join(name)).expect("file");
        assert_eq!(served, file, "{name}");
        let v: Value = serde_json::from_str(&served).expect("json");
        assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    }
    let res = s
        .http
        .get(s.url("/schemas/other.json"))
        .send()
        .await
        .expect("schema");
    assert_eq!(res.status(), 404);
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["error"], "not_found");
    s.stop().await;
}
