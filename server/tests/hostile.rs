//! Hostile requests against the live server (issue: hardening): each gets a documented status
//! and code, the server stays healthy, and nothing is stored that should not be. Raw TCP where
//! the transport is the point (huge, slow, or malformed requests).

mod common;

use std::time::{Duration, Instant};

use common::{notification, until, TestServer, NOTIFY, VOICE};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DEP: &str = "API_1605176965390000881";

/// Stored notifications and calls: what hostile input must not add to.
fn stored(s: &TestServer) -> (i64, i64) {
    let db = s.db();
    let n = db
        .query_row("SELECT count(*) FROM notifications", [], |r| r.get(0))
        .expect("count");
    let c = db
        .query_row("SELECT count(*) FROM voice_calls", [], |r| r.get(0))
        .expect("count");
    (n, c)
}

async fn healthy(s: &TestServer, secret: &str) {
    let res = s.http.get(s.url("/healthz")).send().await.expect("healthz");
    assert_eq!(res.status().as_u16(), 200);
    let (status, v) = s
        .notify(
            secret,
            &notification(DEP, &format!("OK_{}", rand_id()), "531", None),
        )
        .await;
    assert_eq!((status, v["code"].as_u64()), (200, Some(1100)), "{v}");
}

fn rand_id() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos()
}

/// Sends `head` (and `body`) on a fresh connection and reads until the server answers a whole
/// response head. Returns (status, raw text read).
async fn raw(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> (u16, String, TcpStream) {
    let mut conn = TcpStream::connect(addr).await.expect("connect");
    conn.write_all(head.as_bytes()).await.expect("head");
    conn.write_all(body).await.expect("body");
    let (status, text) = read_response(&mut conn).await;
    (status, text, conn)
}

async fn read_response(conn: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    // A guard against a hang, not a wait for timing: the answer is expected at once.
    let deadline = Duration::from_secs(20);
    loop {
        let n = tokio::time::timeout(deadline, conn.read(&mut chunk))
            .await
            .expect("the server answers")
            .expect("read");
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// Whether the server closed the connection (EOF) rather than keeping it.
async fn closed(conn: &mut TcpStream) -> bool {
    let mut b = [0u8; 64];
    matches!(
        tokio::time::timeout(Duration::from_secs(20), conn.read(&mut b)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_get_documented_codes_and_store_nothing() {
    let s = TestServer::start().await;
    let (_, secret) = s.user(&["notify", "voice"], None).await;
    let before = stored(&s);
    let over = {
        let mut b = br#"{"responseState":"531","refTransId":"R","deploymentId":"API_1605176965390000881","pad":""#.to_vec();
        b.resize(65_536 - 1, b'x');
        b.extend_from_slice(b"\"}");
        b
    };
    assert_eq!(over.len(), 65_537, "one byte over the limit");
    let digits = "9".repeat(400);
    let cases: Vec<(&str, Vec<u8>, u16, u64, &str)> = vec![
        ("empty body", b"".to_vec(), 499, 499, "body"),
        ("one byte over the limit", over, 499, 499, "body"),
        (
            "invalid UTF-8",
            b"{\"responseState\":\"531\",\"refTransId\":\"\xff\xfe\",\"deploymentId\":\"API_1605176965390000881\"}".to_vec(),
            499,
            499,
            "body",
        ),
        (
            "a raw NUL byte in a string",
            b"{\"responseState\":\"531\",\"refTransId\":\"a\x00b\",\"deploymentId\":\"API_1605176965390000881\"}".to_vec(),
            499,
            499,
            "body",
        ),
        (
            "an escaped NUL in an id",
            br#"{"responseState":"531","refTransId":"a\u0000b","deploymentId":"API_1605176965390000881"}"#.to_vec(),
            499,
            499,
            "refTransId",
        ),
        (
            "a 400-digit number",
            format!(r#"{{"responseState":{digits},"refTransId":"R","deploymentId":"{DEP}"}}"#).into_bytes(),
            500,
            1108,
            "responseState",
        ),
        (
            "duplicate keys",
            format!(r#"{{"responseState":"531","refTransId":"R","responseState":"532","deploymentId":"{DEP}"}}"#).into_bytes(),
            499,
            499,
            "body",
        ),
    ];
    for (what, body, status, code, field) in cases {
        let (st, headers, v) = s.call("POST", NOTIFY, Some(&secret), &body).await;
        if what == "one byte over the limit" {
            // Answered unread and closed after a lingering read: the client must not pool
            // the connection (its next request would be lost in the lingering close).
            assert_eq!(headers["connection"], "close", "{what}");
        }
        assert_eq!(
            (st, v["code"].as_u64()),
            (status, Some(code)),
            "{what}: {v}"
        );
        assert_eq!(v["errors"][0]["field"], field, "{what}: {v}");
        assert!(
            v["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{what}"
        );
    }
    // The voice endpoint reads bodies the same way: garbage is 1001.
    let (st, _, v) = s.call("PATCH", VOICE, Some(&secret), b"\xff{").await;
    assert_eq!((st, v["code"].as_u64()), (500, Some(1001)), "{v}");
    assert_eq!(stored(&s), before, "nothing refused was stored");
    healthy(&s, &secret).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_json_is_refused_without_a_stack_overflow() {
    let s = TestServer::start().await;
    let (_, secret) = s.user(&["notify", "voice"], None).await;
    let nested = |depth: usize| {
        format!(
            r#"{{"responseState":"531","refTransId":"R","deploymentId":"{DEP}","additionalInfo":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    // 100,000 deep is 200 KB: over the contract's 64 KiB, refused by size.
    let (st, _, v) = s
        .call("POST", NOTIFY, Some(&secret), nested(100_000).as_bytes())
        .await;
    assert_eq!(
        (st, v["code"].as_u64(), &v["errors"][0]["field"]),
        (499, Some(499), &json!("body")),
        "{v}"
    );
    // As deep as fits the limit: read to the end (no recursion), then refused for its type.
    let (st, _, v) = s
        .call("POST", NOTIFY, Some(&secret), nested(32_700).as_bytes())
        .await;
    assert_eq!(
        (st, v["code"].as_u64(), &v["errors"][0]["field"]),
        (499, Some(499), &json!("additionalInfo")),
        "{v}"
    );
    let objects = format!(
        r#"{{"transaction-id":{}1{}}}"#,
        "{\"a\":".repeat(10_000),
        "}".repeat(10_000)
    );
    // Voice checks presence first (contract order): the nested id is read, then 1002.
    let (st, _, v) = s
        .call("PATCH", VOICE, Some(&secret), objects.as_bytes())
        .await;
    assert_eq!((st, v["code"].as_u64()), (500, Some(1002)), "{v}");
    assert!(
        v["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|e| e["field"] == "transaction-id" && e["code"] == 1001),
        "{v}"
    );
    healthy(&s, &secret).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10_mb_body_is_refused_without_being_read() {
    let s = TestServer::start().await;
    let (_, secret) = s.user(&["notify"], None).await;
    let before = stored(&s);
    // Declared 10 MB: refused from the header, after 64 KiB of it were sent and the rest never.
    let head = format!(
        "POST {NOTIFY} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {secret}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        10 * 1024 * 1024
    );
    let (status, text, mut conn) = raw(s.running.addr, &head, &[b' '; 65_536]).await;
    assert_eq!(status, 499, "{text}");
    assert!(
        text.contains("\"code\":499") && text.contains("more than 65536 bytes"),
        "{text}"
    );
    assert!(closed(&mut conn).await, "the unread connection is closed");
    // Chunked, no length declared: refused once it passes the limit, the end never sent.
    let head = format!(
        "POST {NOTIFY} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {secret}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    let mut chunks = Vec::new();
    for _ in 0..3 {
        chunks.extend_from_slice(format!("{:x}\r\n", 40_000).as_bytes());
        chunks.extend_from_slice(&[b' '; 40_000]);
        chunks.extend_from_slice(b"\r\n");
    }
    let (status, text, mut conn) = raw(s.running.addr, &head, &chunks).await;
    assert_eq!(status, 499, "{text}");
    assert!(closed(&mut conn).await);
    assert_eq!(stored(&s), before);
    healthy(&s, &secret).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_one_byte_at_a_time_is_timed_out_and_the_connection_freed() {
    let s = TestServer::start_with(|c| c.body_timeout_ms = 300).await;
    let (_, secret) = s.user(&["notify"], None).await;
    let head = format!(
        "POST {NOTIFY} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {secret}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n"
    );
    let started = Instant::now();
    // One byte, then nothing: the server must not wait for the other 99.
    let (status, text, mut conn) = raw(s.running.addr, &head, b"{").await;
    assert_eq!(status, 499, "{text}");
    assert!(text.contains("did not arrive within 300 ms"), "{text}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(closed(&mut conn).await, "the connection is freed");
    healthy(&s, &secret).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_header_sections_are_refused_by_the_http_layer() {
    let s = TestServer::start().await;
    let (_, secret) = s.user(&["notify"], None).await;
    let mut many = format!("POST {NOTIFY} HTTP/1.1\r\nhost: x\r\n");
    for i in 0..10_000 {
        many.push_str(&format!("x-h{i}: v\r\n"));
    }
    many.push_str("content-length: 0\r\n\r\n");
    let (status, text, _) = raw(s.running.addr, &many, b"").await;
    assert_eq!(status, 431, "10,000 headers: {text}");
    let head = format!(
        "POST {NOTIFY} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\ncontent-length: 0\r\n\r\n",
        "a".repeat(1 << 20)
    );
    let (status, text, _) = raw(s.running.addr, &head, b"").await;
    assert_eq!(status, 431, "a 1 MB bearer: {text}");
    healthy(&s, &secret).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_and_script_looking_text_is_stored_and_returned_verbatim() {
    let s = TestServer::start().await;
    let (_, secret) = s.user(&["notify", "voice"], None).await;
    let sql = "x'); DROP TABLE notifications; --";
    let script = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let formula = "=HYPERLINK(\"http://evil.example\",\"click\")";
    let body = json!({
        "responseState": "532",
        "refTransId": sql,
        "deploymentId": DEP,
        "additionalInfo": json!({"responseCode": formula, "responseDesc": script}).to_string(),
    });
    let (st, v) = s.notify(&secret, &body).await;
    assert_eq!(st, 200, "{v}");
    let id = v["transaction-id"].as_str().expect("id").to_owned();
    // The database holds the exact text, and the table is still there.
    let (r, code): (String, Option<String>) = s
        .db()
        .query_row(
            "SELECT ref_trans_id, response_code FROM notifications WHERE ref_trans_id = ?1",
            [sql],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("stored");
    assert_eq!((r.as_str(), code.as_deref()), (sql, Some(formula)));
    // The request log returns the body byte for byte.
    let (st, entry) = s.admin("GET", &format!("/requests/{id}"), None).await;
    assert_eq!(st, 200);
    assert_eq!(entry["body"].as_str(), Some(body.to_string().as_str()));
    // The report shows the code as sent (JSON), and defused in CSV.
    let (_, rows) = s
        .admin("GET", &format!("/deployments/{DEP}/report"), None)
        .await;
    assert!(
        rows.as_array()
            .expect("rows")
            .iter()
            .any(|r| r["responseCode"] == formula),
        "{rows}"
    );
    let csv = s
        .http
        .get(s.url(&format!("/admin/api/deployments/{DEP}/report.csv")))
        .bearer_auth(common::ADMIN)
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\""),
        "{csv}"
    );
    // A voice tag of markup is kept as is too.
    let call = json!({"transaction-id": "VOC_HOSTILE", "call-starttime": "2024-01-01 10:00:00.000",
        "call-endtime": "2024-01-01 10:00:10.000", "call-source": "1", "call-state": "5",
        "drop-code": "2005", "voice-tag": script});
    let (st, v) = s.voice(&secret, &call).await;
    assert_eq!(st, 200, "{v}");
    let tag: String = s
        .db()
        .query_row(
            "SELECT payload FROM voice_calls WHERE transaction_id = 'VOC_HOSTILE'",
            [],
            |row| row.get(0),
        )
        .expect("stored call");
    let stored: Value = serde_json::from_str(&tag).expect("payload is JSON");
    assert_eq!(stored["voice-tag"], script);
    healthy(&s, &secret).await;
    s.stop().await;
}

/// A partner that sends a whole notification and goes away before the answer (a client
/// timeout, a crash, a load balancer's reset) still has it processed to the end: stored, and
/// in the request log with its answer, as if it had waited. Nothing it sent is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_that_leaves_before_the_answer_still_has_its_request_stored_and_logged() {
    let s = TestServer::start().await;
    let (_, secret) = s.user(&["notify"], None).await;
    for (i, how) in ["shuts its sending side", "closes the connection"]
        .iter()
        .enumerate()
    {
        let ref_id = format!("LEFT_{i}_{}", rand_id());
        let body = notification(DEP, &ref_id, "531", None).to_string();
        let head = format!(
            "POST {NOTIFY} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {secret}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let mut conn = TcpStream::connect(s.running.addr).await.expect("connect");
        conn.write_all(head.as_bytes()).await.expect("head");
        conn.write_all(body.as_bytes()).await.expect("body");
        if i == 0 {
            // Half-closed: it can still read the answer.
            conn.shutdown().await.expect("shutdown");
            let (status, text) = read_response(&mut conn).await;
            assert_eq!(status, 200, "{how}: {text}");
        } else {
            drop(conn);
        }
        // The server finishes on its own time: wait for the log line (bounded), then check.
        let line = || {
            s.db()
                .query_row(
                    "SELECT status, code, response FROM request_log WHERE body LIKE ?1",
                    [format!("%{ref_id}%")],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    },
                )
                .ok()
        };
        until(&format!("{how}: the log line of {ref_id}"), || {
            let found = line().is_some();
            async move { found }
        })
        .await;
        let logged = line().expect("the log line");
        assert_eq!((logged.0, logged.1), (200, 1100), "{how}: {logged:?}");
        let stored: String = s
            .db()
            .query_row(
                "SELECT transaction_id FROM notifications WHERE ref_trans_id = ?1",
                [&ref_id],
                |r| r.get(0),
            )
            .expect("the notification is stored");
        assert!(logged.2.contains(&stored), "{how}: {logged:?} vs {stored}");
    }
    healthy(&s, &secret).await;
    s.stop().await;
}
