//! Staff replay refused requests from the log once the catalog or the API user is fixed: one
//! request, or every unresolved request a filter matches. Real HTTP, on SQLite and on
//! PostgreSQL (the unresolved filter is SQL both stores run).

mod common;

use common::backends::PgDatabase;
use common::{notification, TestServer, NOTIFY};
use serde_json::{json, Value};

/// A deployment id in the platform's shape that the demo catalog does not have.
const MISSING: &str = "API_1700000000000000777";
const MISSING_TOO: &str = "API_1700000000000000778";

async fn log(s: &TestServer, query: &str) -> (u64, Vec<Value>) {
    let (st, page) = s.admin("GET", &format!("/requests?{query}"), None).await;
    assert_eq!(st, 200, "{page}");
    (
        page["total"].as_u64().expect("total"),
        page["items"].as_array().expect("items").clone(),
    )
}

async fn replay(s: &TestServer, id: &str) -> (u16, Value) {
    s.admin("POST", &format!("/requests/{id}/replay"), None)
        .await
}

async fn replays_fix_what_staff_fixed(s: TestServer) {
    let (_, secret) = s.user(&["notify", "voice"], None).await;
    let (st, v) = s
        .notify(&secret, &notification(MISSING, "CC02_1", "531", None))
        .await;
    assert_eq!((st, v["code"].as_u64()), (500, Some(1102)), "{v}");
    let (n, items) = log(&s, "code=1102").await;
    assert_eq!(n, 1);
    let original = items[0]["transactionId"].as_str().expect("id").to_owned();
    assert_eq!(log(&s, "unresolved=true").await.0, 1);
    assert_eq!(log(&s, "refused=true").await.0, 1);
    assert_eq!(log(&s, "refused=false").await.0, 0);

    // Replayed before the fix: refused again, logged as a replay, the original still open.
    let (st, again) = replay(&s, &original).await;
    assert_eq!(st, 200, "{again}");
    assert_eq!(
        (again["status"].as_u64(), again["code"].as_u64()),
        (Some(500), Some(1102))
    );
    assert_eq!(again["replayOf"], json!(original));
    assert_ne!(again["transactionId"], json!(original));
    assert!(
        again["client"]
            .as_str()
            .unwrap_or("")
            .starts_with("replay by staff"),
        "{again}"
    );
    assert_eq!(log(&s, "unresolved=true").await.0, 1);

    // Staff create the deployment the partner named, then replay: it passes and counts.
    let (st, d) = s
        .admin(
            "POST",
            "/deployments",
            Some(json!({"id": MISSING, "name": "Found in the log",
            "channel": "external-action", "type": "onetime", "actionId": "act-card"})),
        )
        .await;
    assert_eq!(st, 201, "{d}");
    let (st, fixed) = replay(&s, &original).await;
    assert_eq!(st, 200, "{fixed}");
    assert_eq!(
        (fixed["status"].as_u64(), fixed["code"].as_u64()),
        (Some(200), Some(1100)),
        "{fixed}"
    );
    assert_eq!(fixed["response"]["transaction-id"], fixed["transactionId"]);
    let (_, dash) = s.admin("GET", "/dashboard", None).await;
    let row = dash
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["deploymentId"] == json!(MISSING))
        .expect("the new deployment's row")
        .clone();
    assert_eq!(row["success"], json!(1), "{row}");
    assert_eq!(log(&s, "unresolved=true").await.0, 0);
    let (n, replays) = log(&s, &format!("replayOf={original}")).await;
    assert_eq!(n, 2);
    assert!(replays.iter().all(|r| r["replayOf"] == json!(original)));
    // A second replay of a fixed notification is the contract's repeat: the first id again.
    let (_, repeat) = replay(&s, &original).await;
    assert_eq!(repeat["response"]["transaction-id"], fixed["transactionId"]);
    assert_eq!(s.admin("GET", "/dashboard", None).await.1, dash);

    // Bulk: three refusals for another missing deployment and one with no key at all.
    for i in 0..3 {
        let (st, _) = s
            .notify(
                &secret,
                &notification(MISSING_TOO, &format!("CC03_{i}"), "532", None),
            )
            .await;
        assert_eq!(st, 500);
    }
    let body = notification(MISSING_TOO, "CC03_nokey", "531", None).to_string();
    let (st, _, _) = s.call("POST", NOTIFY, None, body.as_bytes()).await;
    assert_eq!(st, 401);
    let (_, unauth) = log(&s, "status=401").await;
    let unauth_id = unauth[0]["transactionId"].as_str().expect("id").to_owned();
    let (st, why) = replay(&s, &unauth_id).await;
    assert_eq!(st, 409, "{why}");
    assert!(
        why["message"]
            .as_str()
            .unwrap_or("")
            .contains("no one to replay it as"),
        "{why}"
    );
    assert_eq!(replay(&s, "NTS_00000000000000000").await.0, 404);

    let (st, d) = s
        .admin(
            "POST",
            "/deployments",
            Some(json!({"id": MISSING_TOO, "name": "Second",
            "channel": "external-action", "type": "recurring", "actionId": "act-card"})),
        )
        .await;
    assert_eq!(st, 201, "{d}");
    let filter = format!("q={MISSING_TOO}");
    assert_eq!(log(&s, &format!("{filter}&unresolved=true")).await.0, 4);
    let (st, sum) = s
        .admin("POST", &format!("/requests/replay?{filter}"), None)
        .await;
    assert_eq!(st, 200, "{sum}");
    assert_eq!(
        sum,
        json!({"replayed": 3, "passed": 3, "refused": 0, "skipped": 1, "remaining": 0,
            "byCode": [{"code": 1100, "count": 3}]})
    );
    let (_, sum) = s
        .admin("POST", &format!("/requests/replay?{filter}"), None)
        .await;
    assert_eq!(
        (sum["replayed"].as_u64(), sum["skipped"].as_u64()),
        (Some(0), Some(1))
    );
    let (st, bad) = s.admin("POST", "/requests/replay?colour=red", None).await;
    assert_eq!(st, 400, "{bad}");

    // A user not granted notify gets 430; granted, the replay of that 430 passes.
    let (id, voice_only) = s.user(&["voice"], None).await;
    let (st, v) = s
        .notify(&voice_only, &notification(MISSING, "CC04_1", "531", None))
        .await;
    assert_eq!((st, v["code"].as_u64()), (401, Some(430)));
    let (_, refused) = log(&s, "code=430").await;
    let refused_id = refused[0]["transactionId"].as_str().expect("id").to_owned();
    let (_, still) = replay(&s, &refused_id).await;
    assert_eq!(still["code"], json!(430), "{still}");
    let (st, _) = s
        .admin(
            "PATCH",
            &format!("/api-users/{id}"),
            Some(json!({"grants": ["notify", "voice"]})),
        )
        .await;
    assert_eq!(st, 200);
    let (_, now) = replay(&s, &refused_id).await;
    assert_eq!(
        (now["status"].as_u64(), now["code"].as_u64()),
        (Some(200), Some(1100)),
        "{now}"
    );
    assert_eq!(now["apiKeyId"], json!(id));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_on_sqlite() {
    replays_fix_what_staff_fixed(TestServer::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_on_postgres() {
    let Some(pg) = PgDatabase::create().await else {
        return;
    };
    let url = pg.url.clone();
    replays_fix_what_staff_fixed(TestServer::start_with(|c| c.database_url = url).await).await;
    drop(pg);
}
