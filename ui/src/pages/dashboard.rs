//! Dashboard: per deployment successes, failures, pending, the last hour's failure rate against
//! the action's alert threshold, and a chart of the last 24 hours; live from the events stream.

use leptos::prelude::*;
use txstate_core::admin::DashboardRow;

use crate::app::{Ctx, Page};
use crate::browser;
use crate::widgets::{bars, head, loading, pct, problem, when};

/// The last 24 hours (oldest first) of every row summed: `(label, success, failure)`, hours
/// without notifications included as zero.
pub fn last_day(rows: &[DashboardRow], now_ms: i64) -> Vec<(String, u64, u64)> {
    let now_hour = now_ms.div_euclid(3_600_000);
    (now_hour - 23..=now_hour)
        .map(|h| {
            let (s, f) = rows
                .iter()
                .flat_map(|r| r.hourly.iter())
                .filter(|(hour, _, _)| *hour == h)
                .fold((0, 0), |(s, f), (_, rs, rf)| (s + rs, f + rf));
            (format!("{:02}:00 UTC", h.rem_euclid(24)), s, f)
        })
        .collect()
}

#[component]
pub fn Dashboard() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let data = LocalResource::new(move || {
        ctx.changes.track();
        let client = ctx.client();
        async move { client.get::<Vec<DashboardRow>>("/dashboard").await }
    });
    view! {
        <section class="tx-page" aria-labelledby="dash-title">
            <h1 id="dash-title">"Dashboard"</h1>
            <p class="tx-muted">"External Action deployments. Updates live as notifications arrive."</p>
            {move || match data.get() {
                None => loading(),
                Some(Err(e)) => problem(&e),
                Some(Ok(rows)) if rows.is_empty() => view! {
                    <p>"No External Action deployments yet: create one under Admin."</p>
                }
                    .into_any(),
                Some(Ok(rows)) => {
                    let series = last_day(&rows, browser::epoch_ms());
                    view! {
                        {bars("Last 24 hours, all deployments", &series)}
                        <div class="tx-scroll">
                            <table class="tx-table" data-testid="dashboard">
                                {head(&["Deployment", "#Success", "#Failure", "#Pending", "#Failure rate, last hour", "#Alert above", "Last update"])}
                                <tbody>
                                    {rows.into_iter().map(|r| row(ctx, r)).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

fn row(ctx: Ctx, r: DashboardRow) -> impl IntoView {
    let id = r.deployment_id.clone();
    let threshold = r
        .alert_threshold_percent
        .map_or_else(|| "—".to_owned(), pct);
    let rate = pct(r.failure_rate_last_hour);
    let alerting = r.alerting;
    view! {
        <tr class:tx-alerting=alerting data-deployment=r.deployment_id.clone()>
            <th scope="row">
                <a href=Page::Report(Some(id.clone())).hash() on:click=move |ev| {
                    ev.prevent_default();
                    ctx.go(Page::Report(Some(id.clone())));
                }>{r.name.clone()}</a>
                <div class="tx-muted tx-id">{r.deployment_id.clone()}</div>
            </th>
            <td class="tx-num" data-testid="success">{r.success}</td>
            <td class="tx-num" data-testid="failure">{r.failure}</td>
            <td class="tx-num">{r.pending}</td>
            <td class="tx-num">
                {rate}
                {alerting.then(|| view! { <span class="tx-flag" role="img" aria-label="alerting">" ⚑ alert"</span> })}
            </td>
            <td class="tx-num">{threshold}</td>
            <td>{when(r.last_notified_at)}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(hourly: Vec<(i64, u64, u64)>) -> DashboardRow {
        DashboardRow {
            deployment_id: "D".into(),
            name: "d".into(),
            success: 0,
            failure: 0,
            last_notified_at: None,
            failure_rate_last_hour: 0.0,
            alert_threshold_percent: None,
            alerting: false,
            pending: 0,
            hourly,
        }
    }

    #[test]
    fn the_last_day_sums_rows_and_fills_empty_hours() {
        let now = 100 * 3_600_000 + 5;
        let rows = [
            row(vec![(100, 2, 1), (90, 1, 0), (70, 9, 9)]),
            row(vec![(100, 1, 0)]),
        ];
        let s = last_day(&rows, now);
        assert_eq!(s.len(), 24);
        assert_eq!(s[23], ("04:00 UTC".to_owned(), 3, 1));
        assert_eq!(s[13], ("18:00 UTC".to_owned(), 1, 0));
        assert_eq!(
            s.iter().map(|(_, a, b)| a + b).sum::<u64>(),
            5,
            "hour 70 is older than a day"
        );
    }
}
