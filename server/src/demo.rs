//! Demo data for the README's run command: the fixtures' demo catalog (actions and deployments
//! that exercise every rule, with `API_1605176965390000881` as the contract's example), one API
//! user whose secret key is rotated and printed at every start, and some notifications and
//! calls so that a newcomer sees a living dashboard. Idempotent: only what is missing is added.

use txstate_core::{validate, Api, Catalog, Normalized, Options};

use crate::auth;
use crate::state::{now_ms, AppState};
use crate::store::{ApiUser, Credentials, NotifyWrite, RateLimit, VoiceWrite};

/// The demo API user's key id.
pub const DEMO_KEY_ID: &str = "00000000-0000-4000-8000-00000000d3e0";

const CATALOG: &str = include_str!("../../fixtures/catalogs/demo.json");

/// Loads what is missing; returns the demo user's new secret key.
pub async fn seed(s: &AppState) -> Result<String, String> {
    let demo: Catalog = serde_json::from_str(CATALOG).map_err(|e| format!("demo catalog: {e}"))?;
    let have = s.catalog();
    let now = now_ms();
    for a in demo.actions.iter().filter(|a| have.action(&a.id).is_none()) {
        s.store.put_action(a.clone()).await?;
    }
    for d in demo
        .deployments
        .iter()
        .filter(|d| have.deployment(&d.id).is_none())
    {
        s.store.put_deployment(d.clone(), now).await?;
    }
    s.reload_catalog().await.map_err(|e| format!("{e:?}"))?;

    let secret = auth::new_secret();
    let existing = s.keys().user(DEMO_KEY_ID).cloned();
    let user = existing.map(|c| c.user).unwrap_or(ApiUser {
        api_key_id: DEMO_KEY_ID.to_owned(),
        name: "Demo partner".to_owned(),
        grants: vec!["notify".into(), "voice".into()],
        rate_limit: RateLimit {
            requests: s.config.rate_requests,
            per_seconds: s.config.rate_per_seconds,
        },
        enabled: true,
        secret_keys: vec![1],
        created_at: now,
    });
    s.store
        .put_api_user(Credentials {
            user,
            key_hashes: [Some(auth::hash(&secret)), None],
        })
        .await?;
    s.reload_keys().await.map_err(|e| format!("{e:?}"))?;

    let rows = s.store.dashboard(now).await?;
    if rows.iter().all(|r| r.success + r.failure == 0) {
        notifications(s, now).await?;
        calls(s, now).await?;
    }
    Ok(secret)
}

/// Forty notifications over two deployments, spread over the last day.
async fn notifications(s: &AppState, now: i64) -> Result<(), String> {
    let catalog = s.catalog();
    let outcomes = [
        ("531", Some("200")),
        ("531", Some("201")),
        ("531", None),
        ("532", Some("403")),
        ("532", Some("500")),
        ("532", Some("999")),
    ];
    for i in 0..40i64 {
        let (state, code) = outcomes[(i % 6) as usize];
        let deployment = if i % 4 == 0 {
            "API_1605176965390000882"
        } else {
            "API_1605176965390000881"
        };
        let info = code.map(|c| serde_json::json!({"responseCode": c}).to_string());
        let body = serde_json::json!({
            "responseState": state,
            "refTransId": format!("CC02_{}{:06}", 1_605_176_995_001i64 + i, i),
            "deploymentId": deployment,
            "additionalInfo": info,
        })
        .to_string();
        let at = now - (40 - i) * 1_800_000;
        let v = validate(
            Api::Notify,
            body.as_bytes(),
            &Options {
                catalog: Some(&catalog),
                ..Options::default()
            },
        );
        if let Some(Normalized::Notify(p)) = v.normalized {
            let w = NotifyWrite {
                payload: p.into_owned(),
                transaction_id: s.new_id("NTS", at),
                at_ms: at,
            };
            s.store.record_notification(w).await?;
        }
    }
    Ok(())
}

/// Twenty-five calls: twenty registered under the demo voice deployment, five unassigned.
async fn calls(s: &AppState, now: i64) -> Result<(), String> {
    let ids: Vec<String> = (0..25)
        .map(|i| format!("VOC_{}{:06}", 1_673_354_051_193i64 + i, i))
        .collect();
    s.store
        .register_transactions("VOC_1673354051193000122".into(), ids[..20].to_vec())
        .await?;
    let drops = [
        ("2005", "5"),
        ("2005", "5"),
        ("1002", "2"),
        ("2002", "3"),
        ("2005", "6"),
        ("1005", "1"),
    ];
    for (i, id) in ids.iter().enumerate() {
        let (drop, state) = drops[i % drops.len()];
        let source = if state == "6" { "3" } else { "2" };
        let start = 1_700_000_000_000i64 + i as i64 * 97_000;
        let fmt = |ms: i64| {
            txstate_core::time::DateTime::from_epoch_ms(ms)
                .map(|d| d.format_millis())
                .unwrap_or_default()
        };
        let mut body = serde_json::json!({
            "transaction-id": id, "call-starttime": fmt(start), "call-endtime": fmt(start + 5_000 + (i as i64 * 13_000) % 240_000),
            "call-source": source, "call-state": state, "drop-code": drop, "times-attempted": (i % 3 + 1).to_string(),
        });
        if source == "3" {
            body["trombone-starttime"] = fmt(start).into();
            body["trombone-endtime"] = fmt(start + 4_000).into();
        }
        let text = body.to_string();
        let v = validate(Api::Voice, text.as_bytes(), &Options::default());
        if let Some(Normalized::Voice(p)) = v.normalized {
            let end = txstate_core::time::DateTime::parse_voice(&p.call_endtime)
                .map(|(d, _)| d.epoch_ms())
                .unwrap_or(0);
            let w = VoiceWrite {
                payload: p.into_owned(),
                call_end_ms: end,
                transaction_id: s.new_id("VTS", now),
                at_ms: now,
            };
            s.store.record_voice(w).await?;
        }
    }
    Ok(())
}
