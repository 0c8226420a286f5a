//! Who gets in: the authentication matrix, grants, disabled users, access tokens, throttling,
//! methods, and the admin token on every admin route. Rejected requests are in the request log.

mod common;

use common::{notification, TestServer, ADMIN, NOTIFY, TOKEN, VOICE};
use serde_json::{json, Value};

const DEP: &str = "API_1605176965390000881";

fn body() -> Value {
    notification(DEP, "CC02_1605176995001254571", "531", None)
}

async fn code_of(s: &TestServer, bearer: Option<&str>, path: &str) -> (u16, u64) {
    let method = if path == NOTIFY { "POST" } else { "PATCH" };
    let (status, _, v) = s
        .call(method, path, bearer, body().to_string().as_bytes())
        .await;
    (status, v["code"].as_u64().unwrap_or(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authentication_matrix() {
    let s = TestServer::start().await;
    let (id, key1) = s.user(&["notify"], None).await;
    // No header, another scheme: 430. Unknown bearer: 498.
    assert_eq!(code_of(&s, None, NOTIFY).await, (401, 430));
    let (status, _, v) = s.call("POST", NOTIFY, None, b"{}").await;
    assert_eq!((status, v["code"].as_u64()), (401, Some(430)));
    let res = s
        .http
        .post(s.url(NOTIFY))
        .header("authorization", format!("Basic {key1}"))
        .body(body().to_string())
        .send()
        .await
        .expect("call");
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(res.json::<Value>().await.expect("json")["code"], 430);
    assert_eq!(code_of(&s, Some("not-a-key"), NOTIFY).await, (401, 498));
    // Key 1 works; the API not granted gets 430.
    assert_eq!(code_of(&s, Some(&key1), NOTIFY).await, (200, 1100));
    assert_eq!(code_of(&s, Some(&key1), VOICE).await, (401, 430));
    // Key 2 works beside key 1; deleting key 1 promotes key 2, and key 1 is then unknown.
    let (st, v) = s
        .admin("POST", &format!("/api-users/{id}/secret-keys"), None)
        .await;
    assert_eq!(st, 201, "{v}");
    let key2 = v["secretKey2"].as_str().expect("key 2").to_owned();
    assert_eq!(code_of(&s, Some(&key2), NOTIFY).await.0, 200);
    assert_eq!(code_of(&s, Some(&key1), NOTIFY).await.0, 200);
    let (st, v) = s
        .admin("POST", &format!("/api-users/{id}/secret-keys"), None)
        .await;
    assert_eq!(st, 409, "a third key is refused: {v}");
    let (st, v) = s
        .admin("DELETE", &format!("/api-users/{id}/secret-keys/1"), None)
        .await;
    assert_eq!((st, v["secretKeys"].clone()), (200, json!([1])));
    assert_eq!(code_of(&s, Some(&key1), NOTIFY).await, (401, 498));
    assert_eq!(code_of(&s, Some(&key2), NOTIFY).await.0, 200);
    // A disabled user gets 430; enabled again, it is back.
    let (st, _) = s
        .admin(
            "PATCH",
            &format!("/api-users/{id}"),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(code_of(&s, Some(&key2), NOTIFY).await, (401, 430));
    s.admin(
        "PATCH",
        &format!("/api-users/{id}"),
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(code_of(&s, Some(&key2), NOTIFY).await.0, 200);
    // A deleted user's keys are unknown.
    let (st, _) = s.admin("DELETE", &format!("/api-users/{id}"), None).await;
    assert_eq!(st, 204);
    assert_eq!(code_of(&s, Some(&key2), NOTIFY).await, (401, 498));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_tokens_work_until_they_expire() {
    let s = TestServer::start().await;
    let (_, key) = s.user(&["notify", "voice"], None).await;
    let (st, _, v) = s.call("POST", TOKEN, Some(&key), b"").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3600);
    let token = v["access_token"].as_str().expect("token").to_owned();
    assert_eq!(code_of(&s, Some(&token), NOTIFY).await, (200, 1100));
    // A token does not buy a token; an unknown secret neither.
    assert_eq!(s.call("POST", TOKEN, Some(&token), b"").await.0, 401);
    assert_eq!(s.call("GET", TOKEN, Some(&key), b"").await.0, 405);
    s.stop().await;

    // With a lifetime of zero seconds every token is born expired: 498.
    let s = TestServer::start_with(|c| c.token_lifetime = 0).await;
    let (_, key) = s.user(&["notify"], None).await;
    let (_, _, v) = s.call("POST", TOKEN, Some(&key), b"").await;
    let token = v["access_token"].as_str().expect("token").to_owned();
    assert_eq!(code_of(&s, Some(&token), NOTIFY).await, (401, 498));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_past_the_limit_gets_429_then_recovers() {
    let s = TestServer::start().await;
    // 3 per minute: a burst of 3, then one every 20 s, so timing on a slow machine cannot
    // let a fourth through.
    let (id, key) = s.user(&["notify"], Some((3, 60))).await;
    for _ in 0..3 {
        assert_eq!(code_of(&s, Some(&key), NOTIFY).await.0, 200);
    }
    let (st, headers, v) = s
        .call("POST", NOTIFY, Some(&key), body().to_string().as_bytes())
        .await;
    assert_eq!((st, v["code"].as_u64()), (429, Some(429)));
    let retry: u64 = headers
        .get("retry-after")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse().ok())
        .expect("Retry-After");
    assert!((1..=20).contains(&retry), "Retry-After {retry}");
    // Another user is not throttled by this one.
    let (_, other) = s.user(&["notify"], Some((3, 60))).await;
    assert_eq!(code_of(&s, Some(&other), NOTIFY).await.0, 200);
    // Recovery with time is proven with an injected clock (throttle.rs); here, without waiting:
    // raising the limit lifts the throttle at once.
    let (st, _) = s
        .admin(
            "PATCH",
            &format!("/api-users/{id}"),
            Some(json!({"rateLimit": {"requests": 1000, "perSeconds": 1}})),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(code_of(&s, Some(&key), NOTIFY).await.0, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_other_method_gets_405_with_allow() {
    let s = TestServer::start().await;
    for (path, allowed) in [(NOTIFY, "POST"), (VOICE, "PATCH")] {
        for method in ["GET", "PUT", "DELETE", "PATCH", "POST", "OPTIONS", "HEAD"] {
            if method == allowed {
                continue;
            }
            let (st, headers, v) = s.call(method, path, None, b"{}").await;
            assert_eq!(st, 405, "{method} {path}");
            assert_eq!(
                headers.get("allow").and_then(|h| h.to_str().ok()),
                Some(allowed),
                "{method} {path}"
            );
            if method != "HEAD" {
                assert_eq!(v["code"], 405, "{method} {path}");
            }
        }
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_route_refuses_a_request_without_the_admin_token() {
    let s = TestServer::start().await;
    let routes = txstate_server::http::admin::routes();
    assert!(routes.len() >= 26, "the table the router is built from");
    for (i, (method, template, _)) in routes.iter().enumerate() {
        // Sample values for the path's parameters.
        let path = template.replace("{id}", "x").replace("{slot}", "1");
        // Each route from its own loopback address: three failures stay under the number after
        // which an address is made to wait (tested in doors.rs).
        let client = reqwest::Client::builder()
            .local_address(std::net::IpAddr::from([127, 0, 1, i as u8 + 1]))
            .build()
            .expect("client");
        for bearer in [None, Some("wrong-token-0123456789"), Some("")] {
            let m = reqwest::Method::from_bytes(method.as_str().as_bytes()).expect("method");
            let mut r = client
                .request(m, s.url(&format!("/admin/api{path}")))
                .json(&json!({}));
            if let Some(b) = bearer {
                r = r.header("authorization", format!("Bearer {b}"));
            }
            let res = r.send().await.expect("call");
            assert_eq!(
                res.status().as_u16(),
                401,
                "{method} {path} with {bearer:?}"
            );
            let v: Value = res.json().await.expect("json error body");
            assert_eq!(v["error"], "unauthorized");
        }
    }
    // And every route of the table exists: with the token, no method is refused as unknown.
    for (method, template, _) in &routes {
        let path = template.replace("{id}", "x").replace("{slot}", "1");
        let m = reqwest::Method::from_bytes(method.as_str().as_bytes()).expect("method");
        if path == "/events" {
            continue; // a stream: it answers 200 and stays open
        }
        let res = s
            .http
            .request(m, s.url(&format!("/admin/api{path}")))
            .bearer_auth(ADMIN)
            .json(&json!({}))
            .send()
            .await
            .expect("call");
        assert_ne!(res.status().as_u16(), 405, "{method} {path} is not routed");
        assert_ne!(
            res.status().as_u16(),
            401,
            "{method} {path} refuses the admin token"
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_log_holds_rejected_requests_with_the_secret_redacted() {
    let s = TestServer::start().await;
    let (id, key) = s.user(&["notify"], None).await;
    let (_, _, v) = s
        .call("POST", NOTIFY, Some("unknown-key-abcdef"), b"{}")
        .await;
    assert_eq!(v["code"], 498);
    let (st, v) = s
        .notify(
            &key,
            &json!({"responseState": "531", "refTransId": "R-log-1"}),
        )
        .await;
    assert_eq!((st, v["code"].as_u64()), (500, Some(1101)));
    let (_, v) = s
        .notify(&key, &notification(DEP, "R-log-2", "532", Some("403")))
        .await;
    let accepted = v["transaction-id"].as_str().expect("id").to_owned();

    let (st, page) = s
        .admin("GET", "/requests?endpoint=notify&limit=10", None)
        .await;
    assert_eq!(st, 200);
    let items = page["items"].as_array().expect("items");
    let codes: Vec<u64> = items
        .iter()
        .map(|i| i["code"].as_u64().unwrap_or(0))
        .collect();
    assert!(
        codes.contains(&498) && codes.contains(&1101) && codes.contains(&1100),
        "{codes:?}"
    );
    let unauthenticated = items.iter().find(|i| i["code"] == 498).expect("the 498");
    assert_eq!(
        unauthenticated["headers"]["authorization"],
        "Bearer [redacted]"
    );
    assert!(
        !page.to_string().contains("unknown-key-abcdef"),
        "a presented secret reached the log"
    );
    assert!(
        !page.to_string().contains(&key),
        "a secret key reached the log"
    );
    let rejected = items.iter().find(|i| i["code"] == 1101).expect("the 1101");
    assert_eq!(rejected["apiKeyId"], Value::String(id));
    assert_eq!(rejected["status"], 500);
    assert!(rejected["body"]
        .as_str()
        .is_some_and(|b| b.contains("R-log-1")));

    // Found by its transaction-id, and by text in its body.
    let (st, one) = s.admin("GET", &format!("/requests/{accepted}"), None).await;
    assert_eq!(
        (st, one["response"]["transaction-id"].clone()),
        (200, Value::String(accepted.clone()))
    );
    let (_, found) = s.admin("GET", "/requests?q=R-log-2", None).await;
    assert_eq!(found["total"], 1);
    // The x-request-id the server answered with finds the request.
    let res = s
        .http
        .post(s.url(NOTIFY))
        .bearer_auth(&key)
        .header("x-request-id", "partner-trace-42")
        .json(&notification(DEP, "R-log-3", "531", None))
        .send()
        .await
        .expect("notify");
    assert_eq!(res.headers()["x-request-id"], "partner-trace-42");
    let (_, found) = s
        .admin("GET", "/requests?requestId=partner-trace-42", None)
        .await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["requestId"], "partner-trace-42");
    let generated = s
        .http
        .post(s.url(NOTIFY))
        .bearer_auth(&key)
        .json(&notification(DEP, "R-log-4", "531", None))
        .send()
        .await
        .expect("notify");
    let made = generated.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let (_, found) = s
        .admin("GET", &format!("/requests?requestId={made}"), None)
        .await;
    assert_eq!(found["total"], 1, "a generated id too: {found}");
    let (_, by_code) = s.admin("GET", "/requests?code=1101", None).await;
    assert_eq!(by_code["total"], 1);
    let (st, _) = s
        .admin("GET", "/requests/NTS_0000000000000000000", None)
        .await;
    assert_eq!(st, 404);
    let _ = ADMIN;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_says_how_to_authenticate() {
    let s = TestServer::start().await;
    let (_, headers, _) = s.call("POST", NOTIFY, None, b"{}").await;
    assert_eq!(headers["www-authenticate"], r#"Bearer realm="txstate""#);
    let (_, headers, _) = s.call("POST", NOTIFY, Some("not-a-key"), b"{}").await;
    assert_eq!(
        headers["www-authenticate"],
        r#"Bearer realm="txstate", error="invalid_token""#
    );
    let res = s
        .http
        .get(s.url("/admin/api/info"))
        .send()
        .await
        .expect("admin");
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        r#"Bearer realm="txstate""#
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_keep_their_body_and_their_api_user_in_the_log() {
    let s = TestServer::start().await;
    let (voice_only, voice_key) = s.user(&["voice"], None).await;
    let (_, slow_key) = s.user(&["notify"], Some((1, 3600))).await;
    let find = |items: &Vec<Value>, code: u64| {
        items
            .iter()
            .find(|i| i["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no {code} in {items:#?}"))
    };
    // 498: nobody known; 430: a real user calling an API not granted; 429: throttled.
    s.notify("unknown-key-0123", &notification(DEP, "R-401", "531", None))
        .await;
    s.notify(&voice_key, &notification(DEP, "R-430", "531", None))
        .await;
    assert_eq!(
        s.notify(&slow_key, &notification(DEP, "R-ok", "531", None))
            .await
            .0,
        200
    );
    let (st, _) = s
        .notify(&slow_key, &notification(DEP, "R-429", "531", None))
        .await;
    assert_eq!(st, 429);
    let (_, page) = s.admin("GET", "/requests?limit=10", None).await;
    let items = page["items"].as_array().expect("items").clone();
    let unknown = find(&items, 498);
    assert!(unknown["body"].as_str().expect("body").contains("R-401"));
    assert_eq!(unknown["apiKeyId"], Value::Null);
    let not_granted = find(&items, 430);
    assert!(not_granted["body"]
        .as_str()
        .expect("body")
        .contains("R-430"));
    assert_eq!(not_granted["apiKeyId"], Value::String(voice_only));
    let throttled = find(&items, 429);
    assert!(throttled["body"].as_str().expect("body").contains("R-429"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_success_carries_warnings_only_when_validation_had_some() {
    let s = TestServer::start().await;
    let (_, key) = s.user(&["notify", "voice"], None).await;
    let (st, plain) = s
        .notify(&key, &notification(DEP, "R-plain", "531", None))
        .await;
    assert_eq!(st, 200);
    let keys: Vec<&String> = plain.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        ["code", "description", "transaction-id"],
        "exactly the platform's body: {plain}"
    );
    // A number where a string is documented, and a near-miss field name beside the right one.
    let (st, warned) = s
        .notify(
            &key,
            &json!({"responseState": 531, "refTransId": "R-warned", "deploymentId": DEP, "deploymentID": DEP}),
        )
        .await;
    assert_eq!((st, warned["code"].as_u64()), (200, Some(1100)));
    let fields: Vec<&str> = warned["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["field"].as_str().expect("field"))
        .collect();
    assert!(
        fields.contains(&"responseState") && fields.contains(&"deploymentID"),
        "{warned}"
    );
    assert!(warned["warnings"][0]["message"].as_str().is_some());
    // Voice: a time without milliseconds is accepted with a warning.
    let (st, voice) = s
        .voice(
            &key,
            &json!({"transaction-id": "VOC_1409040058211000001", "call-starttime": "2014-08-26 08:00:58",
                "call-endtime": "2014-08-26 08:00:59.200", "call-source": "1", "call-state": "5", "drop-code": "2005"}),
        )
        .await;
    assert_eq!(st, 200, "{voice}");
    assert!(voice["transaction-id"].is_string());
    assert_eq!(voice["warnings"][0]["field"], "call-starttime", "{voice}");
    // The request log keeps the answer as sent, warnings included.
    let id = warned["transaction-id"].as_str().expect("id");
    let (_, logged) = s.admin("GET", &format!("/requests/{id}"), None).await;
    assert_eq!(logged["response"]["warnings"], warned["warnings"]);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_partner_path_answers_in_the_partner_shape() {
    let s = TestServer::start().await;
    let (_, key) = s.user(&["notify"], None).await;
    for path in [
        "/campaignapi/resources/v3/notifytransactionstat",
        "/campaignapi/resources/v2/notifytransactionstate",
        "/campaignapi/",
    ] {
        let (status, _, v) = s.call("POST", path, Some(&key), b"{}").await;
        assert_eq!(
            (status, v["code"].as_u64()),
            (404, Some(404)),
            "{path}: {v}"
        );
        assert_eq!(
            v["description"],
            txstate_core::Code::NoSuchPath.description(),
            "{path}"
        );
    }
    // Elsewhere, the admin shape as before.
    let (status, _, v) = s.call("GET", "/admin/api/no-such-thing", None, b"").await;
    assert_eq!(
        (status, v["error"].as_str()),
        (404, Some("not_found")),
        "{v}"
    );
    s.stop().await;
}

/// A key the database has and this server's cache not yet (another server on the same
/// database has just made it) works at once, on the token endpoint and the partner ones; a key
/// the database does not have is still refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_made_elsewhere_works_before_the_cache_hears_of_it() {
    let s = TestServer::start().await;
    let secret = "k".repeat(64);
    let hash = {
        use sha2::{Digest, Sha256};
        Sha256::digest(secret.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    // Written behind the server's back: no admin call, so no cache reload.
    let db = rusqlite::Connection::open(s.db_path()).expect("open");
    db.busy_timeout(std::time::Duration::from_secs(5))
        .expect("busy timeout");
    db.execute(
        "INSERT INTO api_users (api_key_id, name, grants, rate_requests, rate_per_seconds, enabled, key1_hash, created_at)
         VALUES ('made-elsewhere', 'elsewhere', '[\"notify\"]', 100, 1, 1, ?1, 0)",
        [&hash],
    )
    .expect("insert");
    // The token endpoint first (the partner endpoints would reload the cache): the key buys a
    // token at once, and the token works.
    let (st, _, v) = s.call("POST", TOKEN, Some(&secret), b"").await;
    assert_eq!(st, 200, "{v}");
    let token = v["access_token"].as_str().expect("token").to_owned();
    assert_eq!(code_of(&s, Some(&token), NOTIFY).await, (200, 1100));
    assert_eq!(code_of(&s, Some(&secret), NOTIFY).await, (200, 1100));
    assert_eq!(code_of(&s, Some(&secret), VOICE).await, (401, 430));
    assert_eq!(code_of(&s, Some(&"j".repeat(64)), NOTIFY).await, (401, 498));
}
