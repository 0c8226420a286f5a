//! The admin API as support staff and operators use it.

mod common;

use common::{notification, TestServer};
use futures_util::StreamExt;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_and_deployments_are_validated() {
    let s = TestServer::start().await;
    let (st, a) = s.admin("POST", "/actions", Some(json!({"name": "Refund", "responseType": "async",
        "successResponses": [{"code": "OK", "description": "Refunded"}], "failureResponses": [{"code": "E1", "description": "No funds"}]}))).await;
    assert_eq!(st, 201, "{a}");
    let action = a["id"].as_str().expect("generated id").to_owned();
    for (body, why) in [
        (json!({"name": ""}), "empty name"),
        (
            json!({"name": "x", "alertThresholdPercent": 120}),
            "threshold over 100",
        ),
        (
            json!({"name": "x", "successResponses": [{"code": "1", "description": "a"}, {"code": "1", "description": "b"}]}),
            "code twice",
        ),
        (
            json!({"name": "x", "responseType": "maybe"}),
            "unknown response type",
        ),
        (json!({"name": "x", "colour": "red"}), "unknown field"),
    ] {
        let (st, v) = s.admin("POST", "/actions", Some(body)).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (400, Some("bad_request")),
            "{why}: {v}"
        );
    }
    let res = s
        .http
        .post(s.url("/admin/api/actions"))
        .bearer_auth(common::ADMIN)
        .body("{not json")
        .send()
        .await
        .expect("call");
    assert_eq!(res.status().as_u16(), 400);
    assert!(
        res.json::<Value>().await.expect("our error shape")["message"]
            .as_str()
            .is_some_and(|m| m.contains("invalid JSON"))
    );

    // A deployment gets an id in the platform's shape with its channel's prefix.
    let (st, d) = s.admin("POST", "/deployments", Some(json!({"name": "Refunds", "channel": "external-action", "type": "recurring", "actionId": action}))).await;
    assert_eq!(st, 201, "{d}");
    let dep = d["id"].as_str().expect("id").to_owned();
    assert!(
        dep.starts_with("API_") && txstate_core::ids::is_platform_id(&dep),
        "{dep}"
    );
    let (st, v) = s.admin("POST", "/deployments", Some(json!({"name": "x", "channel": "external-action", "type": "onetime", "actionId": "nope"}))).await;
    assert_eq!(st, 400, "{v}");
    let (st, _) = s
        .admin(
            "POST",
            "/deployments",
            Some(json!({"id": dep, "name": "again", "channel": "sms", "type": "onetime"})),
        )
        .await;
    assert_eq!(st, 409);
    // An action that deployments map cannot be deleted; the catalog is the wasm catalog shape.
    let (st, v) = s.admin("DELETE", &format!("/actions/{action}"), None).await;
    assert_eq!(st, 409, "{v}");
    let (_, catalog) = s.admin("GET", "/catalog", None).await;
    let catalog: txstate_core::Catalog =
        serde_json::from_value(catalog).expect("core reads the catalog");
    assert!(catalog.deployment(&dep).is_some());

    // Replacing the deployment's type changes the verdict at once (the catalog cache reloads).
    let (_, key) = s.user(&["notify"], None).await;
    assert_eq!(
        s.notify(&key, &notification(&dep, "R1", "531", Some("OK")))
            .await
            .0,
        200
    );
    let (st, _) = s.admin("PUT", &format!("/deployments/{dep}"), Some(json!({"name": "Refunds", "channel": "external-action", "type": "event", "actionId": action}))).await;
    assert_eq!(st, 200);
    let (st, v) = s.notify(&key, &notification(&dep, "R2", "531", None)).await;
    assert_eq!((st, v["code"].as_u64()), (500, Some(1105)));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_and_its_csv() {
    let s = TestServer::start().await;
    let (_, key) = s.user(&["notify"], None).await;
    let dep = "API_1605176965390000881";
    for (i, (state, code)) in [
        ("531", Some("200")),
        ("531", Some("200")),
        ("532", Some("403")),
        ("532", Some("=1+1")),
        ("531", None),
    ]
    .iter()
    .enumerate()
    {
        let (st, v) = s
            .notify(&key, &notification(dep, &format!("REP-{i}"), state, *code))
            .await;
        assert_eq!(st, 200, "{v}");
    }
    let (_, rows) = s
        .admin("GET", &format!("/deployments/{dep}/report"), None)
        .await;
    let rows = rows.as_array().expect("rows").clone();
    let find = |code: Value| {
        rows.iter()
            .find(|r| r["responseCode"] == code)
            .cloned()
            .expect("row")
    };
    assert_eq!(find(json!("200"))["responseDescription"], "Card issued");
    assert_eq!(find(json!("200"))["count"], 2);
    assert_eq!(find(json!("=1+1"))["responseDescription"], "NOT SPECIFIED");
    assert_eq!(find(Value::Null)["responseDescription"], "NOT SPECIFIED");
    let res = s
        .http
        .get(s.url(&format!("/admin/api/deployments/{dep}/report.csv")))
        .bearer_auth(common::ADMIN)
        .send()
        .await
        .expect("csv");
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/csv"));
    let csv = res.text().await.expect("text");
    assert!(
        csv.starts_with("responseState,responseCode,responseDescription,count,percent\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains("531,\"200\",\"Card issued\",2,40\r\n"),
        "{csv}"
    );
    assert!(csv.contains("\"'=1+1\""), "formula defused: {csv}");
    // The same with Accept: text/csv; an unknown deployment is 404.
    let res = s
        .http
        .get(s.url(&format!("/admin/api/deployments/{dep}/report")))
        .bearer_auth(common::ADMIN)
        .header("accept", "text/csv")
        .send()
        .await
        .expect("csv");
    assert_eq!(res.text().await.expect("text"), csv);
    assert_eq!(
        s.admin("GET", "/deployments/API_0000000000000000000/report", None)
            .await
            .0,
        404
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voice_calls_count_under_their_registered_deployment() {
    let s = TestServer::start().await;
    let (_, key) = s.user(&["voice"], None).await;
    let dep = "VOC_1673354051193000122";
    let (st, v) = s
        .admin(
            "POST",
            &format!("/deployments/{dep}/transactions"),
            Some(json!(["CALL-1", "CALL-2"])),
        )
        .await;
    assert_eq!((st, v["registered"].as_u64()), (200, Some(2)));
    let (st, _) = s
        .admin(
            "POST",
            &format!("/deployments/{dep}/transactions"),
            Some(json!(["", "x"])),
        )
        .await;
    assert_eq!(st, 400);
    let call = |id: &str, end: &str, drop: &str, state: &str| {
        json!({"transaction-id": id, "call-starttime": "2014-08-26 08:00:00.000",
        "call-endtime": end, "call-source": "2", "call-state": state, "drop-code": drop})
    };
    for (id, end, drop, state) in [
        ("CALL-1", "2014-08-26 08:00:30.000", "2005", "5"),
        ("CALL-2", "2014-08-26 08:00:10.000", "1002", "2"),
        ("LOOSE-1", "2014-08-26 08:01:00.000", "2005", "5"),
    ] {
        assert_eq!(
            s.voice(&key, &call(id, end, drop, state)).await.0,
            200,
            "{id}"
        );
    }
    // A newer update of CALL-2 replaces it; an older one is a stale retry; the same is a repeat.
    let (_, first) = s
        .voice(
            &key,
            &call("CALL-2", "2014-08-26 08:00:40.000", "2005", "5"),
        )
        .await;
    let (st, stale) = s
        .voice(
            &key,
            &call("CALL-2", "2014-08-26 08:00:20.000", "1002", "2"),
        )
        .await;
    assert_eq!((st, stale["code"].as_u64()), (200, Some(1010)));
    let (_, again) = s
        .voice(
            &key,
            &call("CALL-2", "2014-08-26 08:00:40.000", "2005", "5"),
        )
        .await;
    assert_eq!(again["transaction-id"], first["transaction-id"]);

    let (_, v) = s.admin("GET", "/voice/dashboard", None).await;
    let registered = v["deployments"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["deploymentId"] == dep))
        .expect("deployment row");
    assert_eq!(registered["figures"]["calls"], 2);
    assert_eq!(
        registered["figures"]["answered"], 2,
        "CALL-2 now answered: the old record was counted out"
    );
    assert_eq!(registered["figures"]["averageDurationMs"], 35_000);
    assert_eq!(v["unassigned"]["calls"], 1);
    assert_eq!(v["total"]["calls"], 3);
    assert_eq!(
        v["total"]["byDropCode"][0]["name"],
        "Success, call completed"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_hear_of_new_counts_and_operators_see_metrics() {
    let s = TestServer::start().await;
    let (_, key) = s.user(&["notify"], None).await;
    let res = s
        .http
        .get(s.url("/admin/api/events"))
        .bearer_auth(common::ADMIN)
        .send()
        .await
        .expect("events");
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut stream = res.bytes_stream();
    assert_eq!(
        s.notify(
            &key,
            &notification("API_1605176965390000881", "EV-1", "531", None)
        )
        .await
        .0,
        200
    );
    let mut seen = String::new();
    while !seen.contains("\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
            .await
            .expect("an event in time")
            .expect("a chunk")
            .expect("bytes");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        seen.contains("event: notify") && seen.contains("API_1605176965390000881"),
        "{seen}"
    );

    let metrics = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics
            .contains("txstate_requests_total{endpoint=\"notify\",status=\"200\",code=\"1100\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("txstate_write_batch_size_count"));
    assert_eq!(
        s.http
            .get(s.url("/healthz"))
            .send()
            .await
            .expect("healthz")
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        s.http
            .get(s.url("/readyz"))
            .send()
            .await
            .expect("readyz")
            .status()
            .as_u16(),
        200
    );
    let res = s.http.get(s.url("/nowhere")).send().await.expect("404");
    assert_eq!(res.status().as_u16(), 404);
    s.stop().await;
}

/// The URL the run command prints answers the UI (embedded at build time when `dist/` was
/// built first, as `cargo xtask run` and `cargo xtask test` do), or a page saying how to build it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_is_served_from_the_binary() {
    use txstate_server::http::ui;
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../dist/index.html")
        .exists();
    assert_eq!(
        ui::embedded(),
        built,
        "the binary embeds dist/ as it was at build time"
    );
    let s = TestServer::start().await;
    let res = s.http.get(s.url("/")).send().await.expect("home");
    assert_eq!(res.status().as_u16(), 200);
    if !built {
        assert!(res
            .text()
            .await
            .expect("html")
            .contains("built without the web UI"));
        s.stop().await;
        return;
    }
    let etag = res.headers()["etag"].to_str().expect("ascii").to_owned();
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res
        .text()
        .await
        .expect("html")
        .contains("id=\"txstate-app\""));
    // Revalidation: the same ETag answers 304 with no body.
    let res = s
        .http
        .get(s.url("/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("304");
    assert_eq!(res.status().as_u16(), 304);
    // The wasm module, gzip when asked, identical once decompressed by the client.
    for path in [
        "/txstate-ui_bg.wasm",
        "/txstate-ui.js",
        "/style.css",
        "/embed.html",
    ] {
        let i = ui::find(path).unwrap_or_else(|| panic!("{path} is embedded"));
        let raw = s.http.get(s.url(path)).send().await.expect("asset");
        assert_eq!(raw.status().as_u16(), 200, "{path}");
        assert_eq!(raw.headers()["content-type"], ui::ASSETS[i].mime, "{path}");
        assert!(raw.headers().get("content-encoding").is_none());
        assert_eq!(
            raw.bytes().await.expect("bytes").as_ref(),
            ui::ASSETS[i].bytes
        );
        let gz = s
            .http
            .get(s.url(path))
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .expect("gzip");
        assert_eq!(gz.headers()["content-encoding"], "gzip", "{path}");
        let body = gz.bytes().await.expect("bytes");
        assert_eq!(body.as_ref(), ui::ASSETS[i].gzip);
        assert!(body.len() < ui::ASSETS[i].bytes.len(), "{path} compresses");
    }
    assert_eq!(
        ui::ASSETS[ui::find("/txstate-ui_bg.wasm").expect("wasm")].mime,
        "application/wasm"
    );
    // A write to a UI path is not served the file.
    let res = s.http.post(s.url("/")).send().await.expect("post");
    assert_eq!(res.status().as_u16(), 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_log_is_purged_past_its_retention() {
    let s = TestServer::start().await;
    assert_eq!(s.call("POST", common::NOTIFY, None, b"{}").await.0, 401);
    s.running.state.store.flush().await.expect("flush");
    let store = &s.running.state.store;
    assert_eq!(
        store.purge_requests(0).await.expect("purge"),
        0,
        "nothing is older than 1970"
    );
    assert_eq!(store.purge_requests(i64::MAX).await.expect("purge"), 1);
    let (_, page) = s.admin("GET", "/requests", None).await;
    assert_eq!(page["total"], 0);
    s.stop().await;
}

/// Regression: graceful shutdown waited forever for an open events stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_is_not_held_by_an_open_event_stream() {
    let s = TestServer::start().await;
    let res = s
        .http
        .get(s.url("/admin/api/events"))
        .bearer_auth(common::ADMIN)
        .send()
        .await
        .expect("events");
    let mut stream = res.bytes_stream();
    let started = std::time::Instant::now();
    s.stop().await;
    assert!(
        started.elapsed() < txstate_server::DRAIN_DEADLINE,
        "stop waited for the deadline"
    );
    // The client sees its stream end.
    while let Some(chunk) = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next())
        .await
        .expect("the stream ends")
    {
        if chunk.is_err() {
            break;
        }
    }
}
