//! View pieces more than one page uses: times, failures, the verdict banner, a bar chart.

use leptos::prelude::*;
use txstate_core::time::DateTime;
use txstate_core::Verdict;

use crate::api::Failure;

thread_local! {
    /// Whether times are shown in UTC rather than the viewer's local time (the header's toggle).
    static UTC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Shows times in UTC (`true`) or the viewer's local time.
pub fn set_utc(on: bool) {
    UTC.with(|u| u.set(on));
}

/// Whether times are shown in UTC.
pub fn utc() -> bool {
    UTC.with(std::cell::Cell::get)
}

/// A zone's name from its offset in minutes: `UTC`, `UTC+1`, `UTC-3:30`.
pub fn zone(offset_minutes: i64) -> String {
    if offset_minutes == 0 {
        return "UTC".to_owned();
    }
    let (sign, m) = if offset_minutes < 0 {
        ('-', -offset_minutes)
    } else {
        ('+', offset_minutes)
    };
    match m % 60 {
        0 => format!("UTC{sign}{}", m / 60),
        r => format!("UTC{sign}{}:{r:02}", m / 60),
    }
}

/// An epoch-ms time as `yyyy-MM-dd HH:mm:ss` (the contract's format) in the viewer's local
/// time or UTC (the header's toggle), its zone named, or "—".
pub fn when(ms: Option<i64>) -> String {
    let Some(ms) = ms else {
        return "—".to_owned();
    };
    let offset = if utc() {
        0
    } else {
        crate::browser::local_offset_minutes(ms)
    };
    DateTime::from_epoch_ms(ms + offset * 60_000).map_or_else(
        || "—".to_owned(),
        |d| format!("{} {}", d.format_seconds(), zone(offset)),
    )
}

/// A percentage with one decimal.
pub fn pct(p: f64) -> String {
    format!("{p:.1} %")
}

/// A table head: one column per name; a name starting with `#` is a number column (right
/// aligned, the `#` dropped); one starting with `~` is hidden on narrow screens (its cells
/// carry `tx-wide`); an empty name is the row-actions column, named for screen readers.
pub fn head(columns: &'static [&'static str]) -> AnyView {
    view! {
        <thead>
            <tr>
                {columns
                    .iter()
                    .map(|c| {
                        let (wide, c) = c.strip_prefix('~').map_or((false, *c), |n| (true, n));
                        let (num, name) = c.strip_prefix('#').map_or((false, c), |n| (true, n));
                        let class = match (num, wide) {
                            (true, true) => "tx-num tx-wide",
                            (true, false) => "tx-num",
                            (false, true) => "tx-wide",
                            (false, false) => "",
                        };
                        if name.is_empty() {
                            view! { <th scope="col"><span class="tx-sr">"Actions"</span></th> }.into_any()
                        } else {
                            view! { <th scope="col" class=class>{name}</th> }.into_any()
                        }
                    })
                    .collect_view()}
            </tr>
        </thead>
    }
    .into_any()
}

/// A labelled text input bound to `sig` (one shared shape for every form: it keeps the
/// module small, each distinct view costing its own code).
pub fn text_field(id: &'static str, label: &'static str, sig: RwSignal<String>) -> AnyView {
    view! {
        <label for=id>{label}</label>
        <input id=id prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev)) />
    }
    .into_any()
}

/// A labelled textarea bound to `sig`.
pub fn area_field(id: &'static str, label: &'static str, sig: RwSignal<String>) -> AnyView {
    view! {
        <label for=id>{label}</label>
        <textarea id=id rows="3" prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))></textarea>
    }
    .into_any()
}

/// A labelled select of `(value, text)` options bound to `sig`.
pub fn select_field(
    id: &'static str,
    label: &'static str,
    options: Vec<(String, String)>,
    sig: RwSignal<String>,
) -> AnyView {
    view! {
        <label for=id>{label}</label>
        <select id=id prop:value=move || sig.get() on:change=move |ev| sig.set(event_target_value(&ev))>
            {options.into_iter().map(|(v, t)| view! { <option value=v>{t}</option> }).collect_view()}
        </select>
    }
    .into_any()
}

/// Options whose value is also their text.
pub fn same(values: impl IntoIterator<Item = &'static str>) -> Vec<(String, String)> {
    values
        .into_iter()
        .map(|v| (v.to_owned(), v.to_owned()))
        .collect()
}

/// `text` indented two spaces a level, members in the order they were sent (a `Value` would
/// sort them), or `None` when it is not JSON. Hand-written: serde_json keeps member order only
/// with a crate-wide feature, and a transcoding crate costs the UI's size budget more than
/// these lines.
pub fn pretty(text: &str) -> Option<String> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    let (mut out, mut depth, mut in_string, mut escaped) = (String::new(), 0usize, false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // An empty object or array stays on its line.
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    out.push(chars.next().unwrap_or(' '));
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

/// A failed load, said plainly.
pub fn problem(f: &Failure) -> AnyView {
    let text = f.to_string();
    view! { <p class="tx-error" role="alert">{text}</p> }.into_any()
}

/// A load's state as its value, or the view that stands in for it: "Loading…" while it is
/// on the way, the failure said plainly when it failed. Every page shows both the same way.
pub fn ready<T>(state: Option<Result<T, Failure>>) -> Result<T, AnyView> {
    match state {
        None => Err(loading()),
        Some(Err(e)) => Err(problem(&e)),
        Some(Ok(v)) => Ok(v),
    }
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

/// Successes and failures per bucket as stacked SVG bars: a y axis (0 and the largest
/// bucket), x labels at the first, middle and last bucket, a legend, and a text alternative.
pub fn bars(title: &str, series: &[(String, u64, u64)]) -> AnyView {
    let max = series
        .iter()
        .map(|(_, s, f)| s + f)
        .max()
        .unwrap_or(0)
        .max(1);
    let n = series.len().max(1);
    // The plot sits right of the y labels and above the x labels.
    let (left, top, w, h) = (44.0_f64, 8.0_f64, 480.0_f64, 110.0_f64);
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
            let x = left + i as f64 * bw;
            let hs = h * *s as f64 / max as f64;
            let hf = h * *f as f64 / max as f64;
            let tip = format!("{name}: {s} success, {f} failure");
            view! {
                <g>
                    <title>{tip}</title>
                    <rect class="tx-bar-ok" x=x + 1.0 y=top + h - hs width=(bw - 2.0).max(1.0) height=hs></rect>
                    <rect class="tx-bar-bad" x=x + 1.0 y=top + h - hs - hf width=(bw - 2.0).max(1.0) height=hf></rect>
                </g>
            }
        })
        .collect_view();
    let ticks = [0, n / 2, n - 1]
        .into_iter()
        .filter_map(|i| series.get(i).map(|(name, _, _)| (i, name.clone())))
        .map(|(i, name)| {
            let x = left + (i as f64 + 0.5) * bw;
            view! { <text class="tx-axis" x=x y=top + h + 16.0 text-anchor="middle">{name}</text> }
        })
        .collect_view();
    view! {
        <figure class="tx-chart">
            <svg viewBox=format!("0 0 {} {}", left + w + 4.0, top + h + 22.0) role="img" aria-label=label.clone()>
                <line class="tx-axis-line" x1=left y1=top x2=left y2=top + h></line>
                <line class="tx-axis-line" x1=left y1=top + h x2=left + w y2=top + h></line>
                <text class="tx-axis" x=left - 6.0 y=top + 8.0 text-anchor="end">{max}</text>
                <text class="tx-axis" x=left - 6.0 y=top + h text-anchor="end">"0"</text>
                {ticks}
                {rects}
            </svg>
            <figcaption>
                <span class="tx-legend"><span class="tx-swatch tx-swatch-ok"></span>" success "</span>
                <span class="tx-legend"><span class="tx-swatch tx-swatch-bad"></span>" failure "</span>
                " · "{label}
            </figcaption>
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

    #[test]
    fn pretty_json_keeps_member_order_and_strings() {
        let text = r#"{"responseState":"531", "refTransId":"a,b:{\"c\"}","x":[],"y":{},"z":[1,{"k":null}]}"#;
        assert_eq!(
            pretty(text).unwrap(),
            "{\n  \"responseState\": \"531\",\n  \"refTransId\": \"a,b:{\\\"c\\\"}\",\n  \"x\": [],\n  \"y\": {},\n  \"z\": [\n    1,\n    {\n      \"k\": null\n    }\n  ]\n}"
        );
        assert_eq!(pretty("not json"), None);
        assert_eq!(pretty("7").as_deref(), Some("7"));
    }

    #[test]
    fn zones_are_named_by_their_offset() {
        assert_eq!(zone(0), "UTC");
        assert_eq!(zone(60), "UTC+1");
        assert_eq!(zone(-210), "UTC-3:30");
        assert_eq!(zone(345), "UTC+5:45");
    }
}
