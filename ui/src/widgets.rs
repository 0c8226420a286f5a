//! View pieces more than one page uses: times, failures, the verdict banner, a bar chart.

use leptos::prelude::*;
use txstate_core::time::DateTime;
use txstate_core::Verdict;

use crate::api::Failure;

/// An epoch-ms time as `yyyy-MM-dd HH:mm:ss` UTC (the contract's format), or "—".
pub fn when(ms: Option<i64>) -> String {
    ms.and_then(DateTime::from_epoch_ms)
        .map_or_else(|| "—".to_owned(), |d| format!("{} UTC", d.format_seconds()))
}

/// A percentage with one decimal.
pub fn pct(p: f64) -> String {
    format!("{p:.1} %")
}

/// A table head: one column per name; a name starting with `#` is a number column (right
/// aligned, the `#` dropped); an empty name is the row-actions column, named for screen readers.
pub fn head(columns: &'static [&'static str]) -> AnyView {
    view! {
        <thead>
            <tr>
                {columns
                    .iter()
                    .map(|c| match (c.strip_prefix('#'), c.is_empty()) {
                        (Some(n), _) => view! { <th scope="col" class="tx-num">{n}</th> }.into_any(),
                        (None, true) => view! { <th scope="col"><span class="tx-sr">"Actions"</span></th> }.into_any(),
                        (None, false) => view! { <th scope="col">{*c}</th> }.into_any(),
                    })
                    .collect_view()}
            </tr>
        </thead>
    }
    .into_any()
}

/// A failed load, said plainly.
pub fn problem(f: &Failure) -> AnyView {
    let text = f.to_string();
    view! { <p class="tx-error" role="alert">{text}</p> }.into_any()
}

/// "Loading…" for a resource not yet answered.
pub fn loading() -> AnyView {
    view! { <p class="tx-muted" role="status">"Loading…"</p> }.into_any()
}

/// The verdict as the server would answer it: code, HTTP status, description.
pub fn verdict_banner(v: &Verdict<'_>) -> AnyView {
    let code = v
        .code
        .map_or_else(|| "—".to_owned(), |c| c.number().to_string());
    let class = if v.ok {
        "tx-banner tx-ok"
    } else {
        "tx-banner tx-bad"
    };
    let status = v.http_status;
    let description = v.description.to_string();
    let head = if v.ok {
        "Would be accepted"
    } else {
        "Would be refused"
    };
    view! {
        <div class=class role="status" aria-live="polite" data-testid="verdict">
            <strong>{head}</strong>
            " · HTTP "<span data-testid="verdict-status">{status}</span>
            " · code "<span data-testid="verdict-code">{code}</span>
            <div class="tx-desc">{description}</div>
        </div>
    }
    .into_any()
}

/// Successes and failures per bucket as stacked SVG bars, with a text alternative.
pub fn bars(title: &str, series: &[(String, u64, u64)]) -> AnyView {
    let max = series
        .iter()
        .map(|(_, s, f)| s + f)
        .max()
        .unwrap_or(0)
        .max(1);
    let n = series.len().max(1);
    let (w, h) = (480.0_f64, 120.0_f64);
    let bw = w / n as f64;
    let total_s: u64 = series.iter().map(|(_, s, _)| s).sum();
    let total_f: u64 = series.iter().map(|(_, _, f)| f).sum();
    let label = format!(
        "{title}: {total_s} successes and {total_f} failures over {} buckets",
        series.len()
    );
    let rects = series
        .iter()
        .enumerate()
        .map(|(i, (name, s, f))| {
            let x = i as f64 * bw;
            let hs = h * *s as f64 / max as f64;
            let hf = h * *f as f64 / max as f64;
            let tip = format!("{name}: {s} success, {f} failure");
            view! {
                <g>
                    <title>{tip}</title>
                    <rect class="tx-bar-ok" x=x + 1.0 y=h - hs width=(bw - 2.0).max(1.0) height=hs></rect>
                    <rect class="tx-bar-bad" x=x + 1.0 y=h - hs - hf width=(bw - 2.0).max(1.0) height=hf></rect>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="tx-chart">
            <svg viewBox=format!("0 0 {w} {h}") role="img" aria-label=label.clone() preserveAspectRatio="none">
                {rects}
            </svg>
            <figcaption>{label}</figcaption>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_in_the_contracts_format() {
        assert_eq!(when(Some(1_605_176_995_001)), "2020-11-12 10:29:55 UTC");
        assert_eq!(when(None), "—");
        assert_eq!(pct(12.345), "12.3 %");
    }
}
