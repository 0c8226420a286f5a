//! Request log: every call of the two endpoints, searched and filtered (time range, endpoint,
//! code, status, API user, ids in the body), paged; one request whole; "open in composer".

use leptos::prelude::*;
use txstate_core::admin::{LogEntry, RequestPage};
use txstate_core::time::DateTime;
use txstate_core::{validate, Api, Options};

use crate::app::{encode, Ctx, Page};
use crate::browser;
use crate::widgets::{head, loading, problem, verdict_banner, when};

/// Rows per page.
const PAGE: u32 = 50;

/// The log page's filter, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// From, `yyyy-MM-dd HH:mm:ss` UTC.
    pub from: String,
    /// To, same format.
    pub to: String,
    /// `notify`, `voice` or "".
    pub endpoint: String,
    /// In-body code.
    pub code: String,
    /// HTTP status.
    pub status: String,
    /// API Key ID.
    pub api_key_id: String,
    /// Text in the body or the operation id.
    pub q: String,
}

impl Filter {
    /// The query string for `GET /admin/api/requests`, or what is wrong with the filter.
    pub fn query(&self, offset: u32) -> Result<String, String> {
        let mut parts = vec![format!("limit={PAGE}"), format!("offset={offset}")];
        for (name, text) in [("from", &self.from), ("to", &self.to)] {
            let t = text.trim();
            if t.is_empty() {
                continue;
            }
            let d = DateTime::parse_plain(t)
                .or_else(|| DateTime::parse_rfc3339_utc(t))
                .ok_or_else(|| format!("{name}: write the time as yyyy-MM-dd HH:mm:ss (UTC)"))?;
            parts.push(format!("{name}={}", d.epoch_ms()));
        }
        for (name, text) in [("code", &self.code), ("status", &self.status)] {
            let t = text.trim();
            if !t.is_empty() {
                let n: u16 = t
                    .parse()
                    .map_err(|_| format!("{name}: a number, like 1101"))?;
                parts.push(format!("{name}={n}"));
            }
        }
        for (name, text) in [
            ("endpoint", &self.endpoint),
            ("apiKeyId", &self.api_key_id),
            ("q", &self.q),
        ] {
            let t = text.trim();
            if !t.is_empty() {
                parts.push(format!("{name}={}", encode(t)));
            }
        }
        Ok(parts.join("&"))
    }
}

fn text_input(
    id: &'static str,
    label: &'static str,
    placeholder: &'static str,
    sig: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input id=id type="text" placeholder=placeholder prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev)) />
    }
}

#[component]
pub fn Requests() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (from, to, endpoint, code, status, user, q) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let applied = RwSignal::new(Filter::default());
    let offset = RwSignal::new(0u32);
    let data = LocalResource::new(move || {
        ctx.changes.track();
        let (client, filter, off) = (ctx.client(), applied.get(), offset.get());
        async move {
            let qs = filter.query(off).map_err(|m| crate::api::Failure {
                status: 0,
                message: m,
            })?;
            client.get::<RequestPage>(&format!("/requests?{qs}")).await
        }
    });
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        offset.set(0);
        applied.set(Filter {
            from: from.get_untracked(),
            to: to.get_untracked(),
            endpoint: endpoint.get_untracked(),
            code: code.get_untracked(),
            status: status.get_untracked(),
            api_key_id: user.get_untracked(),
            q: q.get_untracked(),
        });
    };
    view! {
        <section class="tx-page" aria-labelledby="log-title">
            <h1 id="log-title">"Request log"</h1>
            <form class="tx-filters" on:submit=search role="search">
                {text_input("tx-log-q", "Find (refTransId, deploymentId, operation id…)", "CC02_…", q)}
                {text_input("tx-log-from", "From (UTC)", "yyyy-MM-dd HH:mm:ss", from)}
                {text_input("tx-log-to", "To (UTC)", "yyyy-MM-dd HH:mm:ss", to)}
                <label for="tx-log-endpoint">"Endpoint"</label>
                <select id="tx-log-endpoint" on:change=move |ev| endpoint.set(event_target_value(&ev))>
                    <option value="">"any"</option>
                    <option value="notify">"notify"</option>
                    <option value="voice">"voice"</option>
                </select>
                {text_input("tx-log-code", "Code", "1101", code)}
                {text_input("tx-log-status", "HTTP status", "500", status)}
                {text_input("tx-log-user", "API Key ID", "", user)}
                <button type="submit">"Search"</button>
            </form>
            {move || match data.get() {
                None => loading(),
                Some(Err(e)) => problem(&e),
                Some(Ok(page)) => {
                    let off = offset.get_untracked();
                    let shown = format!(
                        "{}–{} of {}",
                        if page.items.is_empty() { 0 } else { off + 1 },
                        u64::from(off) + page.items.len() as u64,
                        page.total
                    );
                    let more = u64::from(off) + (page.items.len() as u64) < page.total;
                    view! {
                        <div class="tx-scroll">
                            <table class="tx-table" data-testid="requests">
                                {head(&["When", "Operation id", "Endpoint", "#HTTP", "#Code", "API user", "#Latency"])}
                                <tbody>
                                    {page.items.into_iter().map(|e| log_row(ctx, e)).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <nav class="tx-pager" aria-label="Pages of the log">
                            <button type="button" disabled=off == 0 on:click=move |_| offset.update(|o| *o = o.saturating_sub(PAGE))>"Newer"</button>
                            <span data-testid="log-shown">{shown}</span>
                            <button type="button" disabled=!more on:click=move |_| offset.update(|o| *o += PAGE)>"Older"</button>
                        </nav>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

fn log_row(ctx: Ctx, e: LogEntry) -> impl IntoView {
    let id = e.transaction_id.clone();
    let page = Page::Request(id.clone());
    let href = page.hash();
    view! {
        <tr>
            <td>{when(Some(e.at_ms))}</td>
            <td>
                <a href=href on:click=move |ev| {
                    ev.prevent_default();
                    ctx.go(page.clone());
                }>{id}</a>
            </td>
            <td>{e.endpoint.clone()}</td>
            <td class="tx-num">{e.status}</td>
            <td class="tx-num">{e.code.map(|c| c.to_string()).unwrap_or_default()}</td>
            <td class="tx-id">{e.api_key_id.clone().unwrap_or_default()}</td>
            <td class="tx-num">{format!("{:.1} ms", e.latency_us as f64 / 1000.0)}</td>
        </tr>
    }
}

#[component]
pub fn Request(id: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let path = format!("/requests/{}", encode(&id));
    let data = LocalResource::new(move || {
        let (client, p) = (ctx.client(), path.clone());
        async move { client.get::<LogEntry>(&p).await }
    });
    view! {
        <section class="tx-page" aria-labelledby="req-title">
            <p><a href="#/requests">"← Request log"</a></p>
            <h1 id="req-title">"Request " <span class="tx-id">{id}</span></h1>
            {move || match data.get() {
                None => loading(),
                Some(Err(e)) => problem(&e),
                Some(Ok(e)) => detail(ctx, e),
            }}
        </section>
    }
}

fn detail(ctx: Ctx, e: LogEntry) -> AnyView {
    let api = Api::parse(&e.endpoint);
    let local = api.map(|a| {
        let catalog = ctx.catalog.get_untracked();
        let opts = Options {
            catalog: Some(&catalog),
            now_ms: Some(browser::epoch_ms()),
            profile: ctx.info.get_untracked().status_profile,
        };
        verdict_banner(&validate(a, e.body.as_bytes(), &opts))
    });
    let headers: Vec<(String, String)> = e
        .headers
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let response = serde_json::to_string_pretty(&e.response).unwrap_or_default();
    let body = e.body.clone();
    let open = move |_| {
        if let Some(a) = api {
            ctx.compose(a, body.clone());
        }
    };
    view! {
        <dl class="tx-figures">
            <div><dt>"When"</dt><dd>{when(Some(e.at_ms))}</dd></div>
            <div><dt>"Endpoint"</dt><dd>{format!("{} {}", e.method, e.endpoint)}</dd></div>
            <div><dt>"Answered"</dt><dd>{format!("HTTP {}{}", e.status, e.code.map(|c| format!(" / {c}")).unwrap_or_default())}</dd></div>
            <div><dt>"API user"</dt><dd>{e.api_key_id.clone().unwrap_or_else(|| "— (not authenticated)".into())}</dd></div>
            <div><dt>"Client"</dt><dd>{e.client.clone().unwrap_or_default()}</dd></div>
            <div><dt>"Latency"</dt><dd>{format!("{:.2} ms", e.latency_us as f64 / 1000.0)}</dd></div>
        </dl>
        <h2>"Body" {e.body_truncated.then_some(" (first 8 KiB)")}</h2>
        <pre class="tx-code" data-testid="request-body">{e.body.clone()}</pre>
        <button type="button" on:click=open disabled=api.is_none()>"Open in composer"</button>
        <h2>"Server's answer"</h2>
        <pre class="tx-code">{response}</pre>
        <h2>"Verdict of this body today"</h2>
        {local}
        <h2>"Headers (secrets redacted)"</h2>
        <table class="tx-table">
            <tbody>
                {headers.into_iter().map(|(k, v)| view! { <tr><th scope="row">{k}</th><td>{v}</td></tr> }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::Filter;

    #[test]
    fn the_filter_becomes_a_query_string() {
        let f = Filter {
            from: "2020-11-12 10:29:55".into(),
            endpoint: "notify".into(),
            code: " 1101 ".into(),
            q: "CC02 &x".into(),
            ..Filter::default()
        };
        assert_eq!(
            f.query(50).unwrap(),
            "limit=50&offset=50&from=1605176995000&code=1101&endpoint=notify&q=CC02%20%26x"
        );
        assert!(Filter {
            to: "yesterday".into(),
            ..Filter::default()
        }
        .query(0)
        .unwrap_err()
        .starts_with("to:"));
        assert!(Filter {
            status: "5xx".into(),
            ..Filter::default()
        }
        .query(0)
        .is_err());
    }
}
