//! Alerts that leave the product. An External Action's "raise an alert if more than X % fail
//! within an hour" is watched here: every server keeps the gauge
//! `txstate_deployment_alerting{deployment_id}` of `/metrics` current, and when a deployment
//! crosses its action's threshold — or recovers — `TXSTATE_ALERT_WEBHOOK` receives one JSON
//! POST:
//!
//! ```json
//! {"event": "alerting", "deploymentId": "API_…", "deploymentName": "…", "actionId": "…",
//!  "actionName": "…", "failureRatePercent": 62.5, "thresholdPercent": 50.0,
//!  "windowMinutes": 60, "at": "2026-12-02T14:00:00.000Z"}
//! ```
//!
//! (`"event": "recovered"` when it falls back to or under the threshold.) Once per change of
//! state: the database arbitrates (`Store::claim_alert`), so with several servers only the
//! one whose write changed the recorded state sends, and a restart does not send again.
//! Deliveries are retried with backoff on a task of their own: ingestion never waits for them.
//!
//! Thresholds are checked after notifications arrive (at most once a second) and every
//! `TXSTATE_ALERT_CHECK_SECONDS`, since a failure rate also falls as the hour moves on.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;
use txstate_core::admin::DashboardRow;
use txstate_core::time::DateTime;

use crate::error::with_causes;
use crate::state::{now_ms, AppState};

/// The alert rule's window, minutes ("within an hour").
pub const WINDOW_MINUTES: u32 = 60;
/// Deliveries tried before giving up: 1 s, 2 s, 4 s, … apart.
pub const ATTEMPTS: u32 = 6;
/// Checks triggered by notifications are at least this far apart.
const COALESCE: Duration = Duration::from_secs(1);

/// What the webhook receives.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertEvent {
    /// `alerting` (crossed the threshold) or `recovered`.
    pub event: &'static str,
    /// The deployment.
    pub deployment_id: String,
    /// Its name.
    pub deployment_name: String,
    /// Its External Action.
    pub action_id: Option<String>,
    /// The action's name.
    pub action_name: Option<String>,
    /// Failures over the last hour, percent.
    pub failure_rate_percent: f64,
    /// The action's threshold, percent.
    pub threshold_percent: Option<f64>,
    /// The window the rate is over, minutes.
    pub window_minutes: u32,
    /// When the change was seen, RFC 3339 UTC.
    pub at: String,
}

/// Starts the watcher (it ends at shutdown).
pub fn spawn(state: Arc<AppState>) {
    tokio::spawn(watch(state));
}

async fn watch(state: Arc<AppState>) {
    let mut events = state.events.subscribe();
    let mut stopping = state.shutdown.subscribe();
    let every = Duration::from_secs(state.config.alert_check_seconds.max(1));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("txstate/", env!("CARGO_PKG_VERSION")))
        .build();
    let client = match (&state.config.alert_webhook, client) {
        (None, _) => None,
        (Some(url), Ok(c)) => Some((c, url.clone())),
        (Some(_), Err(e)) => {
            tracing::error!(error = %e, "cannot make the alert webhook's HTTP client: no alert will be sent");
            None
        }
    };
    let mut seen: HashMap<String, bool> = HashMap::new();
    loop {
        check(&state, &mut seen, client.as_ref()).await;
        let notified = tokio::select! {
            _ = tokio::time::sleep(every) => false,
            e = events.recv() => {
                if matches!(e, Err(RecvError::Closed)) {
                    return;
                }
                true
            }
            _ = stopping.wait_for(|s| *s) => return,
        };
        if notified {
            // Coalesce a burst of notifications into one check.
            tokio::select! {
                _ = tokio::time::sleep(COALESCE) => {}
                _ = stopping.wait_for(|s| *s) => return,
            }
            while events.try_recv().is_ok() {}
        }
    }
}

/// One look at every deployment: claims each change of state this server sees, sends the
/// webhook for the changes it claimed, and updates the gauges.
async fn check(
    state: &AppState,
    seen: &mut HashMap<String, bool>,
    client: Option<&(reqwest::Client, String)>,
) {
    let now = now_ms();
    let rows = match state.store.dashboard(now).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(error = %e, "cannot check the alert thresholds");
            return;
        }
    };
    for row in &rows {
        if seen.get(&row.deployment_id) != Some(&row.alerting) {
            match state
                .store
                .claim_alert(row.deployment_id.clone(), row.alerting, now)
                .await
            {
                Ok(claimed) => {
                    seen.insert(row.deployment_id.clone(), row.alerting);
                    if claimed {
                        announce(state, row, now, client);
                    }
                }
                // Not recorded as seen: the next check tries again.
                Err(e) => {
                    tracing::warn!(error = %e, deployment = %row.deployment_id, "cannot record an alert state")
                }
            }
        }
        // After the claim, so a gauge at 1 means this server has had its say.
        state.metrics.set_alerting(&row.deployment_id, row.alerting);
    }
    seen.retain(|id, _| {
        let kept = rows.iter().any(|r| &r.deployment_id == id);
        if !kept {
            state.metrics.forget_deployment(id);
        }
        kept
    });
}

fn announce(
    state: &AppState,
    row: &DashboardRow,
    now: i64,
    client: Option<&(reqwest::Client, String)>,
) {
    let catalog = state.catalog();
    let action = catalog
        .deployment(&row.deployment_id)
        .and_then(|d| catalog.action_of(d));
    let event = AlertEvent {
        event: if row.alerting {
            "alerting"
        } else {
            "recovered"
        },
        deployment_id: row.deployment_id.clone(),
        deployment_name: row.name.clone(),
        action_id: action.map(|a| a.id.clone()),
        action_name: action.map(|a| a.name.clone()),
        failure_rate_percent: row.failure_rate_last_hour,
        threshold_percent: row.alert_threshold_percent,
        window_minutes: WINDOW_MINUTES,
        at: DateTime::from_epoch_ms(now)
            .map(|d| format!("{}Z", d.format_millis().replacen(' ', "T", 1)))
            .unwrap_or_default(),
    };
    tracing::warn!(
        deployment = %event.deployment_id,
        failure_rate = event.failure_rate_percent,
        threshold = event.threshold_percent,
        "deployment {}",
        if row.alerting { "over its alert threshold" } else { "back under its alert threshold" }
    );
    if let Some((client, url)) = client {
        tokio::spawn(deliver(
            client.clone(),
            url.clone(),
            event,
            state.metrics.clone(),
        ));
    }
}

/// POSTs `event`, retrying with backoff until a 2xx or [`ATTEMPTS`] tries.
async fn deliver(
    client: reqwest::Client,
    url: String,
    event: AlertEvent,
    metrics: Arc<crate::metrics::Metrics>,
) {
    let mut wait = Duration::from_secs(1);
    for attempt in 1..=ATTEMPTS {
        let failure = match client.post(&url).json(&event).send().await {
            Ok(res) if res.status().is_success() => {
                metrics.observe_webhook(true);
                return;
            }
            Ok(res) => format!("answered {}", res.status()),
            // Without the URL: webhook URLs often carry a secret.
            // (reqwest's own message is only "error sending request": its causes say why.)
            Err(e) => with_causes(&e.without_url()),
        };
        tracing::warn!(attempt, deployment = %event.deployment_id, error = %failure, "the alert webhook failed");
        if attempt < ATTEMPTS {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }
    metrics.observe_webhook(false);
    tracing::error!(deployment = %event.deployment_id, event = event.event, "the alert webhook was given up after {ATTEMPTS} attempts");
}
