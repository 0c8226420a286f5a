//! Dashboard: per deployment successes, failures, pending, the last hour's failure rate against
//! the action's alert threshold, and a chart of the last 24 hours; live from the events stream.

use leptos::prelude::*;
use txstate_core::admin::DashboardRow;

use crate::app::{Ctx, Page};
use crate::browser;
use crate::widgets::{self, bars, pct, ready, when};

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
            (hour_label(h), s, f)
        })
        .collect()
}

/// An hour (hours since the epoch) as `HH:MM` in the shown zone, the zone named.
fn hour_label(hour: i64) -> String {
    let ms = hour * 3_600_000;
    let offset = if widgets::utc() {
        0
    } else {
        browser::local_offset_minutes(ms)
    };
    let minute = (hour * 60 + offset).rem_euclid(24 * 60);
    format!(
        "{:02}:{:02} {}",
        minute / 60,
        minute % 60,
        widgets::zone(offset)
    )
}

/// A column the table sorts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Name,
    Success,
    Failure,
    Pending,
    Rate,
    Updated,
}

/// The columns: what sorts them, their header, whether numeric.
const COLUMNS: [(Col, &str, bool); 6] = [
    (Col::Name, "Deployment", false),
    (Col::Success, "Success", true),
    (Col::Failure, "Failure", true),
    (Col::Pending, "Pending", true),
    (Col::Rate, "Failure rate, last hour", true),
    (Col::Updated, "Last update", false),
];

/// How `a` and `b` compare under `col`, ascending or not (name breaks ties).
fn order_of(a: &DashboardRow, b: &DashboardRow, col: Col, ascending: bool) -> std::cmp::Ordering {
    let o = match col {
        Col::Name => a
            .name
            .to_ascii_lowercase()
            .cmp(&b.name.to_ascii_lowercase()),
        Col::Success => a.success.cmp(&b.success),
        Col::Failure => a.failure.cmp(&b.failure),
        Col::Pending => a.pending.cmp(&b.pending),
        Col::Rate => a
            .failure_rate_last_hour
            .total_cmp(&b.failure_rate_last_hour),
        Col::Updated => a.last_notified_at.cmp(&b.last_notified_at),
    };
    let o = if ascending { o } else { o.reverse() };
    o.then_with(|| a.name.cmp(&b.name))
}

/// Sorts `rows` by `col` (stable). An insertion sort by hand: a dashboard has tens of rows, and
/// one more instance of the standard library's sort costs ~4 KB of a module at its size budget.
fn sort(rows: &mut [DashboardRow], col: Col, ascending: bool) {
    for i in 1..rows.len() {
        let mut j = i;
        while j > 0 && order_of(&rows[j], &rows[j - 1], col, ascending).is_lt() {
            rows.swap(j, j - 1);
            j -= 1;
        }
    }
}

#[component]
pub fn Dashboard() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let order = RwSignal::new((Col::Name, true));
    let header = move || {
        view! {
            <thead>
                <tr>
                    {COLUMNS.iter().map(|&(col, name, num)| {
                        let sort_state = move || {
                            let (c, asc) = order.get();
                            if c != col { "none" } else if asc { "ascending" } else { "descending" }
                        };
                        let arrow = move || match sort_state() { "ascending" => " ▲", "descending" => " ▼", _ => "" };
                        view! {
                            <th scope="col" class=if num { "tx-num" } else { "" } aria-sort=sort_state>
                                <button type="button" class="tx-sort" on:click=move |_| order.update(|(c, asc)| {
                                    if *c == col { *asc = !*asc } else { *c = col; *asc = !num }
                                })>{name}{arrow}</button>
                            </th>
                        }
                    }).collect_view()}
                    <th scope="col" class="tx-num">"Alert above"</th>
                </tr>
            </thead>
        }
    };
    let data = LocalResource::new(move || {
        ctx.changes.track();
        let client = ctx.client();
        async move { client.dashboard().await }
    });
    view! {
        <section class="tx-page" aria-labelledby="dash-title">
            <h1 id="dash-title">"Dashboard"</h1>
            <p class="tx-muted">
                "External Action deployments. Updates live as notifications arrive. A deployment alerts when more than its action's threshold of the notifications of the last 60 minutes failed; there is no minimum sample, so a single failed notification in a quiet hour alerts (a deployment failing completely at low volume is what staff most need to see)."
            </p>
            {move || match ready(data.get()) {
                Err(waiting) => waiting,
                Ok(rows) if rows.is_empty() => view! {
                    <p>"No External Action deployments yet: create one under Admin."</p>
                }
                    .into_any(),
                Ok(mut rows) => {
                    let series = last_day(&rows, browser::epoch_ms());
                    let (col, asc) = order.get();
                    sort(&mut rows, col, asc);
                    view! {
                        {bars("Last 24 hours, all deployments", &series)}
                        <div class="tx-scroll">
                            <table class="tx-table" data-testid="dashboard">
                                {header}
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
            <td>{when(r.last_notified_at)}</td>
            <td class="tx-num">{threshold}</td>
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

    #[test]
    fn rows_sort_by_any_column_both_ways() {
        let mut a = row(vec![]);
        a.name = "Alpha".into();
        a.failure = 5;
        let mut b = row(vec![]);
        b.name = "beta".into();
        b.failure = 1;
        let mut rows = vec![b.clone(), a.clone()];
        sort(&mut rows, Col::Name, true);
        assert_eq!(rows[0].name, "Alpha");
        sort(&mut rows, Col::Failure, true);
        assert_eq!(rows[0].name, "beta");
        sort(&mut rows, Col::Failure, false);
        assert_eq!(rows[0].name, "Alpha");
        // Stable, and ties broken by name, over more rows than two.
        let mut many: Vec<DashboardRow> = ["d", "b", "c", "a"]
            .iter()
            .map(|n| {
                let mut r = row(vec![]);
                r.name = (*n).into();
                r
            })
            .collect();
        sort(&mut many, Col::Success, true);
        let names: Vec<&str> = many.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
    }
}
