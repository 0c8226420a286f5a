//! Voice: calls by drop code (named), call state and call source, the answered rate and call
//! durations, for all calls, each voice deployment, and the calls no deployment registered.

use leptos::prelude::*;
use txstate_core::voice_stats::{NamedCount, VoiceDashboard};

use crate::app::Ctx;
use crate::widgets::{pct, ready};

/// A duration bucket's label: `5–15 s`, `600 s +`.
pub fn bucket_label(from_s: u64, to_s: Option<u64>) -> String {
    match to_s {
        Some(to) => format!("{from_s}–{to} s"),
        None => format!("{from_s} s +"),
    }
}

#[component]
pub fn Voice() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let data = LocalResource::new(move || {
        ctx.changes.track();
        let client = ctx.client();
        async move { client.voice_dashboard().await }
    });
    view! {
        <section class="tx-page" aria-labelledby="voice-title">
            <h1 id="voice-title">"Voice calls"</h1>
            {move || match ready(data.get()) {
                Err(waiting) => waiting,
                Ok(v) => view! {
                    {figures("All calls", &v.total)}
                    {v.deployments.iter().map(|d| figures(&format!("{} ({})", d.name, d.deployment_id), &d.figures)).collect_view()}
                    {(v.unassigned.calls > 0).then(|| figures("Unassigned (transaction-id not registered under a deployment)", &v.unassigned))}
                }
                    .into_any(),
            }}
        </section>
    }
}

fn figures(title: &str, f: &VoiceDashboard) -> AnyView {
    let avg = format!("{:.1} s", f.average_duration_ms as f64 / 1000.0);
    let buckets: Vec<NamedCount> = f
        .duration_buckets
        .iter()
        .map(|b| NamedCount {
            value: bucket_label(b.from_s, b.to_s),
            name: String::new(),
            count: b.count,
            percent: txstate_core::report::percent(b.count, f.calls),
        })
        .collect();
    view! {
        <section class="tx-card" data-testid="voice-figures">
            <h2>{title.to_owned()}</h2>
            <dl class="tx-figures">
                <div><dt>"Calls"</dt><dd>{f.calls}</dd></div>
                <div><dt>"Answered"</dt><dd>{f.answered} " (" {pct(f.answered_rate)} ")"</dd></div>
                <div><dt>"Average duration"</dt><dd>{avg}</dd></div>
                <div><dt>"Average attempts"</dt><dd>{format!("{:.2}", f.average_attempts)}</dd></div>
            </dl>
            <div class="tx-grid">
                {counts("By drop code", &f.by_drop_code)}
                {counts("By call state", &f.by_call_state)}
                {counts("By call source", &f.by_call_source)}
                {counts("Durations", &buckets)}
            </div>
        </section>
    }
    .into_any()
}

fn counts(title: &str, rows: &[NamedCount]) -> AnyView {
    view! {
        <table class="tx-table">
            <caption>{title.to_owned()}</caption>
            <tbody>
                {rows
                    .iter()
                    .map(|r| {
                        let label = if r.name.is_empty() { r.value.clone() } else { format!("{} {}", r.value, r.name) };
                        view! {
                            <tr>
                                <th scope="row">{label}</th>
                                <td class="tx-num">{r.count}</td>
                                <td class="tx-num">{pct(r.percent)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    #[test]
    fn bucket_labels() {
        assert_eq!(super::bucket_label(5, Some(15)), "5–15 s");
        assert_eq!(super::bucket_label(600, None), "600 s +");
    }
}
