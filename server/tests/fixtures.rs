//! Every shared fixture through the real server gives core's code, HTTP status and error
//! fields, and — on success, where the server's conditions are the fixture's (the demo
//! catalog, no clock of the fixture's own) — core's warnings.

mod common;

use std::path::PathBuf;

use common::{root, TestServer, NOTIFY, VOICE};
use serde_json::Value;
use txstate_core::fixture::Fixture;
use txstate_core::StatusProfile;

fn fixtures() -> Vec<(String, Fixture)> {
    let mut out = Vec::new();
    for api in ["notify", "voice"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures").join(api))
            .expect("fixtures")
            .map(|e| e.expect("entry").path())
            .collect();
        paths.sort();
        for p in paths {
            let f: Fixture =
                serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("fixture");
            out.push((
                format!(
                    "{api}/{}",
                    p.file_name().unwrap_or_default().to_string_lossy()
                ),
                f,
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_gets_cores_verdict_from_the_server() {
    let webex = TestServer::start().await;
    let http = TestServer::start_with(|c| c.status_profile = StatusProfile::Http).await;
    let mut secrets = Vec::new();
    for s in [&webex, &http] {
        secrets.push(s.user(&["notify", "voice"], None).await.1);
    }
    let all = fixtures();
    assert!(all.len() >= 100);
    let mut failures = Vec::new();
    for (name, f) in &all {
        let (server, secret) = if f.profile == Some(StatusProfile::Http) {
            (&http, &secrets[1])
        } else {
            (&webex, &secrets[0])
        };
        // Voice fixtures share transaction ids: each starts from no stored call, as in core.
        server
            .db()
            .execute("DELETE FROM voice_calls", [])
            .expect("reset calls");
        let (method, path) = if f.api == txstate_core::Api::Notify {
            ("POST", NOTIFY)
        } else {
            ("PATCH", VOICE)
        };
        let (status, _, body) = server
            .call(method, path, Some(secret), f.body.as_bytes())
            .await;
        let code = body
            .get("code")
            .and_then(Value::as_u64)
            .and_then(|c| txstate_core::Code::from_number(c as u16));
        let fields: Vec<&str> = body
            .get("errors")
            .and_then(Value::as_array)
            .map(|e| e.iter().filter_map(|x| x["field"].as_str()).collect())
            .unwrap_or_default();
        // The server validates with the demo catalog and its own clock, so a fixture without a
        // clock of its own is compared — but for the "in the future" warning, which only a
        // clock can give (core without one does not look).
        let same_conditions = f.catalog.as_deref() == Some("demo") && f.now.is_none();
        let warnings: Option<Vec<&str>> = (status == 200 && same_conditions).then(|| {
            body.get("warnings")
                .and_then(Value::as_array)
                .map(|w| {
                    w.iter()
                        .filter(|x| {
                            !x["message"]
                                .as_str()
                                .is_some_and(|m| m.ends_with("is in the future"))
                        })
                        .filter_map(|x| x["field"].as_str())
                        .collect()
                })
                .unwrap_or_default()
        });
        if let Err(why) = f.expect.check(code, status, &fields, warnings.as_deref()) {
            failures.push(format!("{name}: {why}\n    body: {body}"));
        }
        if status == 200 {
            let id = body["transaction-id"].as_str().unwrap_or_default();
            assert!(
                txstate_core::ids::is_platform_id(id),
                "{name}: transaction-id {id}"
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    webex.stop().await;
    http.stop().await;
}
