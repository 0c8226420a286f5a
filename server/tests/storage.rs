//! The storage suite: every test runs on SQLite and on a real PostgreSQL (a fresh database
//! each), through the one `Store` trait the server speaks to, and expects the same answers.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::backends::Backend;
use serde_json::json;
use txstate_core::{Api, Normalized, Options, ResponseState};
use txstate_server::store::{
    ApiUser, Credentials, Event, EventKind, LogEntry, LogQuery, NotifyOutcome, NotifyWrite,
    RateLimit, Store, VoiceOutcome, VoiceWrite,
};

const HOUR: i64 = 3_600_000;
/// Noon, 2024-11-23 (UTC), in epoch ms: an hour boundary plus a half.
const NOW: i64 = 1_732_363_200_000 + HOUR / 2;

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let b = super::Backend::sqlite().await;
                super::$name(&b).await;
                b.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(b) = super::Backend::postgres().await else { return };
                super::$name(&b).await;
                b.finish().await;
            }
        }
    )*};
}

on_both!(
    catalog_round_trips,
    api_users_tokens_and_settings,
    notifications_count_once_and_flips_move_the_counts,
    voice_updates_stale_repeat_and_figures,
    request_log_filters_pages_and_purges,
    throttle_admits_a_burst_then_the_rate,
    concurrent_bursts_get_exactly_the_window,
    reopening_keeps_everything,
    concurrent_writers_keep_counts_equal_to_a_recount,
    generated_histories_get_the_outcomes_core_decides,
);

fn notify(
    dep: &str,
    r: &str,
    state: &str,
    code: Option<&str>,
    at_ms: i64,
    id: &str,
) -> NotifyWrite {
    let mut body = json!({"responseState": state, "refTransId": r, "deploymentId": dep});
    if let Some(c) = code {
        body["additionalInfo"] =
            json!(json!({"responseCode": c, "responseDesc": "desc"}).to_string());
    }
    let bytes = body.to_string().into_bytes();
    let verdict = txstate_core::validate(Api::Notify, &bytes, &Options::default());
    assert!(verdict.ok, "{body}");
    match verdict.normalized.map(Normalized::into_owned) {
        Some(Normalized::Notify(payload)) => NotifyWrite {
            payload,
            transaction_id: id.to_owned(),
            at_ms,
        },
        _ => panic!("a notify payload"),
    }
}

fn voice(tid: &str, end: &str, drop_code: &str, id: &str) -> VoiceWrite {
    let body = json!({"transaction-id": tid, "call-starttime": "2024-11-23 08:00:50.000",
        "call-endtime": end, "call-source": "3", "trombone-starttime": "2024-11-23 08:00:50.000",
        "trombone-endtime": end, "call-state": "6", "drop-code": drop_code});
    let bytes = body.to_string().into_bytes();
    let verdict = txstate_core::validate(Api::Voice, &bytes, &Options::default());
    assert!(verdict.ok, "{body}: {:?}", verdict.errors);
    let call_end_ms = txstate_core::time::DateTime::parse_voice(end)
        .map(|(d, _)| d.epoch_ms())
        .expect("call-endtime");
    match verdict.normalized.map(Normalized::into_owned) {
        Some(Normalized::Voice(payload)) => VoiceWrite {
            payload,
            call_end_ms,
            transaction_id: id.to_owned(),
            at_ms: NOW,
        },
        _ => panic!("a voice payload"),
    }
}

async fn demo_catalog(s: &dyn Store) {
    let catalog = common::demo_catalog();
    for a in catalog.actions {
        s.put_action(a).await.expect("action");
    }
    for (i, d) in catalog.deployments.into_iter().enumerate() {
        s.put_deployment(d, i as i64).await.expect("deployment");
    }
}

/// A catalog as stores list it: actions by id, deployments in the order they were added.
fn sorted(mut c: txstate_core::Catalog) -> txstate_core::Catalog {
    c.actions.sort_by(|a, b| a.id.cmp(&b.id));
    c
}

const DEP: &str = "API_1605176965390000881";

async fn catalog_round_trips(b: &Backend) {
    let s = &*b.store;
    demo_catalog(s).await;
    let expected = sorted(common::demo_catalog());
    assert_eq!(s.catalog().await.expect("catalog"), expected);
    let first = expected.actions[0].id.clone();
    assert!(s.delete_action(first.clone()).await.expect("delete"));
    assert!(!s.delete_action(first).await.expect("delete again"));
    assert_eq!(
        s.catalog().await.expect("catalog").actions.len(),
        expected.actions.len() - 1
    );
    assert!(s.delete_deployment(DEP.into()).await.expect("delete"));
    assert!(!s
        .catalog()
        .await
        .expect("catalog")
        .deployments
        .iter()
        .any(|d| d.id == DEP));
}

fn user(id: &str, created_at: i64) -> Credentials {
    Credentials {
        user: ApiUser {
            api_key_id: id.into(),
            name: "partner \"A\" — ünïcode".into(),
            grants: vec!["notify".into(), "voice".into()],
            rate_limit: RateLimit {
                requests: 100,
                per_seconds: 60,
            },
            enabled: true,
            secret_keys: vec![1],
            created_at,
        },
        key_hashes: [Some("hash-1".into()), None],
    }
}

async fn api_users_tokens_and_settings(b: &Backend) {
    let s = &*b.store;
    s.put_api_user(user("u1", 1)).await.expect("user");
    let mut u2 = user("u2", 2);
    u2.user.enabled = false;
    u2.user.secret_keys = vec![1, 2];
    u2.key_hashes = [Some("hash-u2-1".into()), Some("hash-2".into())];
    s.put_api_user(u2).await.expect("user");
    let all = s.credentials().await.expect("credentials");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].user.name, "partner \"A\" — ünïcode");
    assert_eq!(all[0].user.rate_limit.per_seconds, 60);
    assert_eq!(all[1].user.secret_keys, vec![1, 2]);
    assert!(!all[1].user.enabled);
    assert_eq!(all[1].key_hashes[1].as_deref(), Some("hash-2"));

    s.put_token("th".into(), "u1".into(), NOW)
        .await
        .expect("token");
    assert_eq!(
        s.bearer("th".into()).await.expect("token"),
        Some(("u1".into(), Some(NOW)))
    );
    assert_eq!(s.bearer("other".into()).await.expect("token"), None);
    // Secret keys are bearers too, never expiring (a key made on another server).
    for (hash, user) in [("hash-1", "u1"), ("hash-u2-1", "u2"), ("hash-2", "u2")] {
        assert_eq!(
            s.bearer(hash.into()).await.expect("key"),
            Some((user.into(), None)),
            "{hash}"
        );
    }
    // Deleting the user takes its tokens and keys with it.
    assert!(s.delete_api_user("u1".into()).await.expect("delete"));
    assert_eq!(s.bearer("th".into()).await.expect("token"), None);
    assert_eq!(s.bearer("hash-1".into()).await.expect("key"), None);
    assert!(!s.delete_api_user("u1".into()).await.expect("delete again"));

    assert_eq!(s.setting("k".into()).await.expect("setting"), None);
    s.put_setting("k".into(), "v1".into()).await.expect("put");
    s.put_setting("k".into(), "v2".into()).await.expect("put");
    assert_eq!(
        s.setting("k".into()).await.expect("setting").as_deref(),
        Some("v2")
    );
}

async fn notifications_count_once_and_flips_move_the_counts(b: &Backend) {
    let s = &*b.store;
    demo_catalog(s).await;
    let r = "CC02_1605176995001254571";
    let first = s
        .record_notification(notify(DEP, r, "531", None, NOW - HOUR, "NTS_1"))
        .await
        .expect("write");
    assert_eq!(first, NotifyOutcome::New);
    let again = s
        .record_notification(notify(DEP, r, "531", None, NOW, "NTS_2"))
        .await
        .expect("write");
    assert_eq!(again, NotifyOutcome::Repeat("NTS_1".into()));
    let flip = s
        .record_notification(notify(DEP, r, "532", Some("403"), NOW, "NTS_3"))
        .await
        .expect("write");
    assert_eq!(flip, NotifyOutcome::Replaced);
    let same_failure = s
        .record_notification(notify(DEP, r, "532", Some("403"), NOW, "NTS_4"))
        .await
        .expect("write");
    assert_eq!(same_failure, NotifyOutcome::Repeat("NTS_3".into()));
    s.record_notification(notify(DEP, "CC02_2", "532", Some("500"), NOW, "NTS_5"))
        .await
        .expect("write");
    s.record_notification(notify(DEP, "CC02_3", "531", None, NOW, "NTS_6"))
        .await
        .expect("write");

    let mut counts: Vec<_> = s
        .outcome_counts(DEP.into())
        .await
        .expect("counts")
        .into_iter()
        .map(|c| (c.response_state, c.response_code, c.count))
        .collect();
    counts.sort_by(|a, b| (a.0.as_str(), &a.1).cmp(&(b.0.as_str(), &b.1)));
    assert_eq!(
        counts,
        vec![
            (ResponseState::Success, None, 1),
            (ResponseState::Failure, Some("403".into()), 1),
            (ResponseState::Failure, Some("500".into()), 1),
        ]
    );
    let dash = s.dashboard(NOW).await.expect("dashboard");
    let row = dash.iter().find(|d| d.deployment_id == DEP).expect("row");
    assert_eq!((row.success, row.failure), (1, 2));
    assert_eq!(row.last_notified_at, Some(NOW));
    let hour = NOW.div_euclid(HOUR);
    // The flip took the success out of the hour before and put a failure in this one.
    assert_eq!(row.hourly, vec![(hour - 1, 0, 0), (hour, 1, 2)]);
    // Registered ids without a notification are pending.
    assert_eq!(
        s.register_transactions(DEP.into(), vec![r.into(), "CC02_9".into()])
            .await
            .expect("register"),
        2
    );
    let dash = s.dashboard(NOW).await.expect("dashboard");
    let row = dash.iter().find(|d| d.deployment_id == DEP).expect("row");
    assert_eq!(row.pending, 1);
    assert_eq!(b.recount().await.values().sum::<i64>(), 3);
}

/// Generated histories: twelve transactions whose outcomes change back and forth, sent in
/// groups that arrive together (and so are written in batches), one group after the other.
/// Every answer is the step core's `stateful::notify` takes when the history is replayed in
/// order, and the counts end where the replay ends. On PostgreSQL this holds the SQL of
/// `txstate_notify_batch()` to core's rule. (A group names each transaction at most once: two
/// reports of one transaction in flight at the same time are a race on any server.)
async fn generated_histories_get_the_outcomes_core_decides(b: &Backend) {
    use txstate_core::stateful::{self, NotifyStep};
    let s = &*b.store;
    demo_catalog(s).await;
    const OUTCOMES: [(&str, Option<&str>); 4] = [
        ("531", None),
        ("532", Some("403")),
        ("532", Some("500")),
        ("531", Some("200")),
    ];
    // xorshift64: the same history on every run and both databases.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    // What the replay has stored per transaction: outcome, code, the operation id answered.
    let mut stored: BTreeMap<String, (&str, &str, String)> = BTreeMap::new();
    let mut sent = 0;
    let mut steps = BTreeMap::<String, u32>::new();
    while sent < 600 {
        let mut refs: Vec<String> = (0..12).map(|k| format!("GEN_{k}")).collect();
        let size = 1 + next(12) as usize;
        let mut writes = Vec::new();
        let mut expected = Vec::new();
        for _ in 0..size {
            let r = refs.swap_remove(next(refs.len() as u64) as usize);
            let (state, code) = OUTCOMES[next(4) as usize];
            let id = format!("NTS_GEN_{sent}");
            sent += 1;
            let before = stored.get(&r).map(|(s, c, _)| (*s, *c));
            let step = stateful::notify(before, state, code.unwrap_or(""));
            expected.push(match step {
                NotifyStep::New => NotifyOutcome::New,
                NotifyStep::Replace => NotifyOutcome::Replaced,
                NotifyStep::Repeat => NotifyOutcome::Repeat(stored[&r].2.clone()),
            });
            *steps.entry(format!("{step:?}")).or_default() += 1;
            if step != NotifyStep::Repeat {
                stored.insert(r.clone(), (state, code.unwrap_or(""), id.clone()));
            }
            writes.push(s.record_notification(notify(DEP, &r, state, code, NOW, &id)));
        }
        let got: Vec<NotifyOutcome> = futures_util::future::join_all(writes)
            .await
            .into_iter()
            .map(|o| o.expect("write"))
            .collect();
        assert_eq!(got, expected, "after {sent} notifications");
    }
    // Each transaction was new once; repeats and replacements came many times.
    assert_eq!(steps.get("New"), Some(&12), "{steps:?}");
    assert!(steps["Repeat"] > 50 && steps["Replace"] > 50, "{steps:?}");
    let mut want = BTreeMap::<(String, Option<String>), u64>::new();
    for (state, code, _) in stored.values() {
        let code = (!code.is_empty()).then(|| (*code).to_owned());
        *want.entry(((*state).to_owned(), code)).or_default() += 1;
    }
    let got: BTreeMap<(String, Option<String>), u64> = s
        .outcome_counts(DEP.into())
        .await
        .expect("counts")
        .into_iter()
        .map(|c| {
            (
                (c.response_state.as_str().to_owned(), c.response_code),
                c.count,
            )
        })
        .collect();
    assert_eq!(got, want);
    let dash = s.dashboard(NOW).await.expect("dashboard");
    let row = dash.iter().find(|d| d.deployment_id == DEP).expect("row");
    let successes = stored.values().filter(|(s, _, _)| *s == "531").count() as u64;
    assert_eq!((row.success, row.failure), (successes, 12 - successes));
}

async fn voice_updates_stale_repeat_and_figures(b: &Backend) {
    let s = &*b.store;
    demo_catalog(s).await;
    let voice_dep = common::demo_catalog()
        .deployments
        .iter()
        .find(|d| d.channel == txstate_core::Channel::Voice)
        .map(|d| d.id.clone())
        .expect("a voice deployment");
    let tid = "VOC_1409040058211000001";
    assert_eq!(
        s.register_transactions(voice_dep.clone(), vec![tid.into()])
            .await
            .expect("register"),
        1
    );
    assert_eq!(
        s.register_transactions(voice_dep.clone(), vec![tid.into()])
            .await
            .expect("register again"),
        0
    );
    let w = |end: &str, code: &str, id: &str| voice(tid, end, code, id);
    assert_eq!(
        s.record_voice(w("2024-11-23 08:00:59.200", "2005", "VTS_1"))
            .await
            .expect("voice"),
        VoiceOutcome::Stored
    );
    assert_eq!(
        s.record_voice(w("2024-11-23 08:00:59.200", "2005", "VTS_2"))
            .await
            .expect("voice"),
        VoiceOutcome::Repeat("VTS_1".into())
    );
    assert_eq!(
        s.record_voice(w("2024-11-23 08:00:58.000", "2001", "VTS_3"))
            .await
            .expect("voice"),
        VoiceOutcome::Stale
    );
    assert_eq!(
        s.record_voice(w("2024-11-23 08:01:30.000", "2001", "VTS_4"))
            .await
            .expect("voice"),
        VoiceOutcome::Stored
    );
    s.record_voice(voice("VOC_2", "2024-11-23 08:00:59.200", "2005", "VTS_5"))
        .await
        .expect("voice");
    let rows: BTreeMap<Option<String>, serde_json::Value> = s
        .voice_stats()
        .await
        .expect("stats")
        .into_iter()
        .map(|(d, st)| (d, serde_json::to_value(st.dashboard()).expect("json")))
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let calls = |d: &Option<String>| rows[d]["calls"].as_u64();
    // One call under the deployment (its update replaced, not added), one unassigned.
    assert_eq!(calls(&Some(voice_dep)), Some(1), "{rows:?}");
    assert_eq!(calls(&None), Some(1), "{rows:?}");
}

fn line(
    id: &str,
    at_ms: i64,
    endpoint: &str,
    status: u16,
    code: Option<u16>,
    body: &str,
) -> LogEntry {
    LogEntry {
        transaction_id: id.into(),
        at_ms,
        api_key_id: Some("u1".into()),
        endpoint: endpoint.into(),
        method: "POST".into(),
        status,
        code,
        latency_us: 1234,
        client: Some("127.0.0.1:5555".into()),
        body: body.into(),
        body_truncated: false,
        headers: json!({"authorization": "Bearer [redacted]"}),
        response: json!({"code": code}),
        request_id: Some(format!("req-{id}")),
        replay_of: None,
    }
}

async fn request_log_filters_pages_and_purges(b: &Backend) {
    let s = &*b.store;
    for i in 0..30i64 {
        let (endpoint, status, code) = if i % 3 == 0 {
            ("voice", 200, None)
        } else if i % 3 == 1 {
            ("notify", 200, Some(1100))
        } else {
            ("notify", 500, Some(1101))
        };
        s.log_request(
            line(
                &format!("NTS_{i:04}"),
                NOW + i,
                endpoint,
                status,
                code,
                &format!("{{\"n\":{i},\"t\":\"50%_off\"}}"),
            )
            .into(),
        )
        .await
        .expect("queued");
    }
    s.log_request(line("NTS_nul", NOW - HOUR, "notify", 499, Some(499), "a\0b").into())
        .await
        .expect("queued");
    s.flush().await.expect("flush");
    // A line already written comes again (the same transaction id) beside a new one: it is
    // kept once, and the new line is written with it (PostgreSQL's COPY refuses the batch,
    // its insert then skips the line it has).
    s.log_request(
        line(
            "NTS_0003",
            NOW + 3,
            "voice",
            200,
            None,
            "{\"n\":3,\"t\":\"50%_off\"}",
        )
        .into(),
    )
    .await
    .expect("queued");
    s.log_request(line("NTS_late", NOW + 5, "notify", 200, Some(1100), "{}").into())
        .await
        .expect("queued");
    s.flush().await.expect("flush");

    let q = |f: fn(&mut LogQuery)| {
        let mut q = LogQuery::default();
        f(&mut q);
        q
    };
    let (rows, total) = s.requests(LogQuery::default()).await.expect("page");
    assert_eq!(total, 32);
    assert!(s.request("NTS_late".into()).await.expect("one").is_some());
    assert_eq!(rows[0].transaction_id, "NTS_0029", "newest first");
    assert_eq!(
        rows[0].headers,
        json!({"authorization": "Bearer [redacted]"})
    );
    let (_, total) = s
        .requests(q(|q| q.endpoint = Some("voice".into())))
        .await
        .expect("page");
    assert_eq!(total, 10);
    let (_, total) = s.requests(q(|q| q.code = Some(1101))).await.expect("page");
    assert_eq!(total, 10);
    let (_, total) = s.requests(q(|q| q.status = Some(500))).await.expect("page");
    assert_eq!(total, 10);
    let (rows, total) = s
        .requests(q(|q| {
            q.from = Some(NOW + 10);
            q.to = Some(NOW + 20);
            q.limit = Some(3);
            q.offset = Some(3);
        }))
        .await
        .expect("page");
    assert_eq!(total, 10);
    let ids: Vec<_> = rows.iter().map(|r| r.transaction_id.as_str()).collect();
    assert_eq!(ids, ["NTS_0016", "NTS_0015", "NTS_0014"]);
    // Search text is literal: `%` and `_` are not wildcards.
    let (_, total) = s
        .requests(q(|q| q.q = Some("50%_off".into())))
        .await
        .expect("page");
    assert_eq!(total, 30);
    let (_, total) = s
        .requests(q(|q| q.q = Some("50%xoff".into())))
        .await
        .expect("page");
    assert_eq!(total, 0);
    let (_, total) = s
        .requests(q(|q| q.q = Some("NTS_00".into())))
        .await
        .expect("page");
    assert_eq!(total, 30);

    let one = s
        .request("NTS_0001".into())
        .await
        .expect("one")
        .expect("found");
    assert_eq!(
        (one.status, one.code, one.latency_us),
        (200, Some(1100), 1234)
    );
    assert_eq!(one.body, "{\"n\":1,\"t\":\"50%_off\"}");
    assert_eq!(one.request_id.as_deref(), Some("req-NTS_0001"));
    // Found by the request id it was answered with, exactly.
    let (rows, total) = s
        .requests(q(|q| q.request_id = Some("req-NTS_0001".into())))
        .await
        .expect("page");
    assert_eq!((total, rows[0].transaction_id.as_str()), (1, "NTS_0001"));
    let (_, total) = s
        .requests(q(|q| q.request_id = Some("req-NTS_000".into())))
        .await
        .expect("page");
    assert_eq!(total, 0, "exact, not a prefix");
    // Refused, and still to fix: a replay that passed resolves its original; a refused replay
    // neither resolves it nor counts as a request to fix.
    let total_of = |f: fn(&mut LogQuery)| {
        let query = q(f);
        async move { s.requests(query).await.expect("page").1 }
    };
    let refused = total_of(|q| q.refused = Some(true)).await;
    let answered = total_of(|q| q.refused = Some(false)).await;
    assert!(refused >= 10, "{refused}");
    assert_eq!(refused + answered, total_of(|_| {}).await);
    assert_eq!(total_of(|q| q.unresolved = Some(true)).await, refused);
    let (refused_rows, _) = s
        .requests(q(|q| q.refused = Some(true)))
        .await
        .expect("page");
    let original = refused_rows[0].transaction_id.clone();
    let mut failed_again = line("NTS_r1", NOW, "notify", 500, Some(1102), "{}");
    failed_again.replay_of = Some(original.clone());
    let mut passed = line("NTS_r2", NOW, "notify", 200, Some(1100), "{}");
    passed.replay_of = Some(original.clone());
    s.log_request(failed_again.into()).await.expect("log");
    s.flush().await.expect("flush");
    assert_eq!(total_of(|q| q.unresolved = Some(true)).await, refused);
    s.log_request(passed.into()).await.expect("log");
    s.flush().await.expect("flush");
    assert_eq!(total_of(|q| q.unresolved = Some(true)).await, refused - 1);
    let (replays, n) = s
        .requests(LogQuery {
            replay_of: Some(original.clone()),
            ..LogQuery::default()
        })
        .await
        .expect("page");
    assert_eq!(n, 2);
    assert!(replays.iter().all(|r| r.replay_of.is_some()));
    // PostgreSQL text cannot hold U+0000: the log's copy shows U+FFFD there.
    let nul = s
        .request("NTS_nul".into())
        .await
        .expect("one")
        .expect("found");
    let shown = if b.is_postgres() {
        "a\u{FFFD}b"
    } else {
        "a\0b"
    };
    assert_eq!(nul.body, shown);
    assert!(s.request("nope".into()).await.expect("one").is_none());

    assert_eq!(s.purge_requests(NOW).await.expect("purge"), 1);
    assert_eq!(
        s.requests(LogQuery::default()).await.expect("page").1,
        33,
        "31 lines and 2 replays"
    );
}

/// `requests` per `per_seconds`, and the time the stores' throttles are asked at.
fn window(requests: u32, per_seconds: u32) -> (RateLimit, u64) {
    let limit = RateLimit {
        requests,
        per_seconds,
    };
    (limit, (NOW as u64) * 1000)
}

async fn throttle_admits_a_burst_then_the_rate(b: &Backend) {
    let s = &*b.store;
    let (limit, now_us) = window(3, 3600);
    for _ in 0..3 {
        assert_eq!(
            s.admit("u".into(), limit, now_us).await.expect("admit"),
            Ok(())
        );
    }
    let wait = s.admit("u".into(), limit, now_us).await.expect("admit");
    // One request per 1,200 s: the wait is just under that (a little time has passed).
    assert!(
        matches!(wait, Err(w) if (1190..=1200).contains(&w)),
        "{wait:?}"
    );
    assert_eq!(
        s.admit("other".into(), limit, now_us).await.expect("admit"),
        Ok(())
    );
    s.reset_throttle("u".into()).await.expect("reset");
    assert_eq!(
        s.admit("u".into(), limit, now_us).await.expect("admit"),
        Ok(())
    );
}

/// Requests that arrive together, burst after burst, get exactly the window: on PostgreSQL
/// the throttle takes admissions ahead for a user this far below its limit
/// (`store/postgres_ahead.rs`), and spends or hands back every one of them.
async fn concurrent_bursts_get_exactly_the_window(b: &Backend) {
    let s = &*b.store;
    // One more every 360 s: time cannot add one while the test runs.
    let (limit, now_us) = window(1000, 360_000);
    let mut admitted = 0;
    for burst in 0..5 {
        let answers = futures_util::future::join_all(
            (0..300).map(|_| s.admit("burst".into(), limit, now_us)),
        )
        .await;
        let passed = answers.iter().filter(|a| matches!(a, Ok(Ok(())))).count();
        let refused = answers
            .iter()
            .filter(|a| matches!(a, Ok(Err(w)) if *w >= 1))
            .count();
        assert_eq!(passed + refused, 300, "burst {burst}: {answers:?}");
        admitted += passed;
    }
    assert_eq!(admitted, 1000);
}

async fn reopening_keeps_everything(b: &Backend) {
    demo_catalog(&*b.store).await;
    b.store
        .record_notification(notify(DEP, "CC02_1", "532", Some("403"), NOW, "NTS_1"))
        .await
        .expect("write");
    if !b.is_postgres() {
        b.store.close().await;
    }
    // Opening again runs no migration twice and finds everything.
    let again = b.open_again().await;
    assert_eq!(
        again.catalog().await.expect("catalog"),
        sorted(common::demo_catalog())
    );
    assert_eq!(
        again
            .record_notification(notify(DEP, "CC02_1", "532", Some("403"), NOW, "NTS_2"))
            .await
            .expect("write"),
        NotifyOutcome::Repeat("NTS_1".into())
    );
    again.close().await;
}

/// Four writers (on PostgreSQL: two stores, as two servers would be) report 200 transactions
/// 2,000 times with repeats and flips; the maintained counts equal a recount of the rows.
async fn concurrent_writers_keep_counts_equal_to_a_recount(b: &Backend) {
    demo_catalog(&*b.store).await;
    let other = if b.is_postgres() {
        Some(b.open_again().await)
    } else {
        None
    };
    let mut tasks = Vec::new();
    for w in 0..4u64 {
        let s: Arc<dyn Store> = match (&other, w % 2) {
            (Some(o), 1) => o.clone(),
            _ => b.store.clone(),
        };
        tasks.push(tokio::spawn(async move {
            let mut new = 0;
            for i in 0..500u64 {
                let n = (i * 7 + w * 13) % 200;
                let (state, code) = match (i + w) % 3 {
                    0 => ("531", None),
                    1 => ("532", Some("403")),
                    _ => ("532", Some("500")),
                };
                let dep = if n % 2 == 0 {
                    DEP
                } else {
                    "API_1605176965390000882"
                };
                let out = s
                    .record_notification(notify(
                        dep,
                        &format!("CC02_{n}"),
                        state,
                        code,
                        NOW,
                        &format!("NTS_{w}_{i}"),
                    ))
                    .await
                    .expect("write");
                if out == NotifyOutcome::New {
                    new += 1;
                }
            }
            new
        }));
    }
    let mut new = 0;
    for t in tasks {
        new += t.await.expect("writer");
    }
    assert_eq!(new, 200, "each transaction counted new exactly once");
    let recount = b.recount().await;
    let mut counted = BTreeMap::new();
    let mut totals = (0, 0);
    for dep in [DEP, "API_1605176965390000882"] {
        for c in b.store.outcome_counts(dep.into()).await.expect("counts") {
            counted.insert(
                (
                    dep.to_owned(),
                    c.response_state.as_str().to_owned(),
                    c.response_code.unwrap_or_default(),
                ),
                c.count as i64,
            );
        }
    }
    for row in b.store.dashboard(NOW).await.expect("dashboard") {
        totals.0 += row.success as i64;
        totals.1 += row.failure as i64;
    }
    assert_eq!(counted, recount);
    let recount_success: i64 = recount
        .iter()
        .filter(|((_, s, _), _)| s == "531")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(totals, (recount_success, 200 - recount_success));
    if let Some(o) = other {
        o.close().await;
    }
}

/// On PostgreSQL a change published by one server reaches the other, and not itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_changes_reach_the_other_servers() {
    let Some(b) = Backend::postgres().await else {
        return;
    };
    let other = b.open_again().await;
    // Both listen once open returned.
    let mut mine = b.store.subscribe();
    let mut theirs = other.subscribe();
    let event = Event {
        kind: EventKind::Notify,
        deployment_id: Some(DEP.into()),
    };
    b.store.publish(event.clone());
    assert_eq!(theirs.recv().await.expect("heard"), event);
    other.publish(Event {
        kind: EventKind::Catalog,
        deployment_id: None,
    });
    // The first change `mine` hears is the other's, not its own.
    assert_eq!(mine.recv().await.expect("heard").kind, EventKind::Catalog);
    assert!(mine.try_recv().is_err());
    other.close().await;
    b.finish().await;
}

/// A SQLite store closed gracefully leaves everything in the database file and an empty log:
/// an operator who copies the file alone after stopping the server copies everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_sqlite_store_leaves_everything_in_the_database_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("txstate.db");
    let store = txstate_server::store::SqliteStore::open(
        &db,
        256,
        Arc::new(txstate_server::metrics::Metrics::default()),
    )
    .expect("open");
    demo_catalog(&store).await;
    for i in 0..50 {
        let w = notify(
            DEP,
            &format!("CLOSE_{i}"),
            "531",
            None,
            NOW,
            &format!("NTS_C{i}"),
        );
        store.record_notification(w).await.expect("write");
    }
    // A read keeps a read-only connection open past the writer's: it cannot clean up the log.
    store.dashboard(NOW).await.expect("dashboard");
    store.close().await;
    let wal = std::fs::metadata(dir.path().join("txstate.db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "the write-ahead log is emptied at close");
    let copy = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&db, copy.path().join("copy.db")).expect("copy");
    let conn = rusqlite::Connection::open(copy.path().join("copy.db")).expect("open the copy");
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM notifications WHERE ref_trans_id LIKE 'CLOSE_%'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(n, 50);
}
