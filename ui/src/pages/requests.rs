//! Request log: every call of the two endpoints, searched and filtered (time range, endpoint,
//! code, status, API user, ids in the body, refused / still to fix), paged; every request
//! still to fix that the filter matches replayed at once.

use leptos::prelude::*;
use leptos::task::spawn_local;
use txstate_core::admin::{LogEntry, ReplaySummary};
use txstate_core::time::DateTime;

use crate::api::Failure;
use crate::app::{encode, Ctx, Page};
use crate::widgets::{head, problem, ready, select_field, when};

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
    /// `refused`, `unresolved` (refused and not fixed by a replay yet) or "" (all).
    pub only: String,
}

impl Filter {
    /// The query string for `GET /admin/api/requests`, or what is wrong with the filter.
    pub fn query(&self, offset: u32) -> Result<String, String> {
        let mut parts = vec![format!("limit={PAGE}"), format!("offset={offset}")];
        parts.extend(self.params()?);
        Ok(parts.join("&"))
    }

    /// The filter and page as the page's address keeps them (`#/requests?…`): the fields as
    /// typed, so a shared link shows the same form.
    pub fn address(&self, offset: u32) -> String {
        let mut parts = Vec::new();
        for (name, v) in self.fields() {
            if !v.trim().is_empty() {
                parts.push(format!("{name}={}", encode(v.trim())));
            }
        }
        if offset > 0 {
            parts.push(format!("offset={offset}"));
        }
        parts.join("&")
    }

    /// Reads [`Filter::address`]: the filter and the offset (unknown names are ignored).
    pub fn from_address(query: &str) -> (Filter, u32) {
        let (mut f, mut offset) = (Filter::default(), 0);
        for (name, value) in query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(n, v)| (n, crate::app::decode(v)))
        {
            match name {
                "q" => f.q = value,
                "from" => f.from = value,
                "to" => f.to = value,
                "endpoint" => f.endpoint = value,
                "code" => f.code = value,
                "status" => f.status = value,
                "apiKeyId" => f.api_key_id = value,
                "only" => f.only = value,
                "offset" => offset = value.parse().unwrap_or(0),
                _ => {}
            }
        }
        (f, offset)
    }

    fn fields(&self) -> [(&'static str, &String); 8] {
        [
            ("q", &self.q),
            ("from", &self.from),
            ("to", &self.to),
            ("endpoint", &self.endpoint),
            ("code", &self.code),
            ("status", &self.status),
            ("apiKeyId", &self.api_key_id),
            ("only", &self.only),
        ]
    }

    /// The filter's parameters (no paging): what a bulk replay takes too.
    pub fn params(&self) -> Result<Vec<String>, String> {
        let mut parts = Vec::new();
        match self.only.as_str() {
            "refused" => parts.push("refused=true".to_owned()),
            "unresolved" => parts.push("unresolved=true".to_owned()),
            _ => {}
        }
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
        Ok(parts)
    }
}

fn text_input(
    id: &'static str,
    label: &'static str,
    placeholder: &'static str,
    sig: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="tx-field">
            <label for=id>{label}</label>
            <input id=id type="text" placeholder=placeholder prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev)) />
        </div>
    }
}

/// The request log, with the filter and page of its address (`query`).
#[component]
pub fn Requests(query: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (applied, off) = Filter::from_address(&query);
    let only = RwSignal::new(applied.only.clone());
    let replayed = RwSignal::new(None::<Result<ReplaySummary, Failure>>);
    let replaying = RwSignal::new(false);
    // API users by name, for the filter and the rows (a plain task and a signal).
    let users = RwSignal::new(Vec::<(String, String)>::new());
    spawn_local(async move {
        if let Ok(list) = ctx.client().api_users().await {
            users.set(list.into_iter().map(|u| (u.api_key_id, u.name)).collect());
        }
    });
    let (from, to, endpoint, code, status, user, q) = (
        RwSignal::new(applied.from.clone()),
        RwSignal::new(applied.to.clone()),
        RwSignal::new(applied.endpoint.clone()),
        RwSignal::new(applied.code.clone()),
        RwSignal::new(applied.status.clone()),
        RwSignal::new(applied.api_key_id.clone()),
        RwSignal::new(applied.q.clone()),
    );
    let applied = StoredValue::new(applied);
    let data = LocalResource::new(move || {
        ctx.changes.track();
        let (client, filter) = (ctx.client(), applied.get_value());
        async move {
            let qs = filter.query(off).map_err(|m| crate::api::Failure {
                status: 0,
                message: m,
            })?;
            client.requests(&qs).await
        }
    });
    let go = move |f: &Filter, offset: u32| ctx.go(Page::Requests(f.address(offset)));
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        go(
            &Filter {
                from: from.get_untracked(),
                to: to.get_untracked(),
                endpoint: endpoint.get_untracked(),
                code: code.get_untracked(),
                status: status.get_untracked(),
                api_key_id: user.get_untracked(),
                q: q.get_untracked(),
                only: only.get_untracked(),
            },
            0,
        );
    };
    let replay_all = move |_| {
        let params = match applied.get_value().params() {
            Ok(p) => p.join("&"),
            Err(m) => {
                return replayed.set(Some(Err(Failure {
                    status: 0,
                    message: m,
                })))
            }
        };
        replaying.set(true);
        spawn_local(async move {
            let r = ctx.client().replay_matching(&params).await;
            replayed.set(Some(r));
            replaying.set(false);
            ctx.changes.update(|n| *n += 1);
        });
    };
    let exporting = RwSignal::new(None::<Result<String, Failure>>);
    let export = move |ndjson: bool| {
        let f = applied.get_value();
        exporting.set(Some(Ok("Exporting…".into())));
        spawn_local(async move {
            let r = export_all(ctx, &f).await.map(|entries| {
                let (name, mime, text) = if ndjson {
                    (
                        "requests.ndjson",
                        "application/x-ndjson",
                        crate::export::ndjson(&entries),
                    )
                } else {
                    ("requests.csv", "text/csv", crate::export::csv(&entries))
                };
                crate::browser::download(name, mime, &text);
                format!("Exported {} requests.", entries.len())
            });
            exporting.set(Some(r));
        });
    };
    view! {
        <section class="tx-page" aria-labelledby="log-title">
            <h1 id="log-title">"Request log"</h1>
            <form class="tx-filters" on:submit=search role="search">
                {text_input("tx-log-q", "Find (refTransId, deploymentId, operation id…)", "CC02_…", q)}
                {text_input("tx-log-from", "From (UTC)", "yyyy-MM-dd HH:mm:ss", from)}
                {text_input("tx-log-to", "To (UTC)", "yyyy-MM-dd HH:mm:ss", to)}
                <div class="tx-field">
                {select_field("tx-log-endpoint", "Endpoint", vec![
                    (String::new(), "any".into()), ("notify".into(), "notify".into()), ("voice".into(), "voice".into()),
                ], endpoint)}
                </div>
                {text_input("tx-log-code", "Code", "1101", code)}
                {text_input("tx-log-status", "HTTP status", "500", status)}
                <div class="tx-field">
                <label for="tx-log-user">"API user"</label>
                <select id="tx-log-user" prop:value=move || { users.track(); user.get() } on:change=move |ev| user.set(event_target_value(&ev))>
                    <option value="">"any"</option>
                    {move || users.get().into_iter().map(|(id, name)| view! { <option value=id.clone()>{format!("{name} ({id})")}</option> }).collect_view()}
                </select>
                </div>
                <div class="tx-field">
                {select_field("tx-log-only", "Show", vec![
                    (String::new(), "every request".into()),
                    ("refused".into(), "refused requests".into()),
                    ("unresolved".into(), "refused, not yet fixed by a replay".into()),
                ], only)}
                </div>
                <button type="submit">"Search"</button>
            </form>
            <div class="tx-replay-all">
                <button type="button" data-testid="replay-all" disabled=move || replaying.get() on:click=replay_all>
                    "Replay every refused request this filter matches"
                </button>
                <span class="tx-muted">" (not yet fixed ones, newest first, up to 1,000 at a time, through today's rules)"</span>
                " "
                <button type="button" on:click=move |_| export(false)>"Export CSV"</button>
                <button type="button" on:click=move |_| export(true)>"Export NDJSON"</button>
                {move || exporting.get().map(|r| match r {
                    Ok(m) => view! { <span class="tx-muted" role="status">" "{m}</span> }.into_any(),
                    Err(e) => problem(&e),
                })}
                {move || replayed.get().map(|r| match r {
                    Ok(s) => {
                        let codes = s.by_code.iter().map(|c| format!("{} × {}", c.count, c.code.map_or_else(|| "no code".to_owned(), |c| c.to_string()))).collect::<Vec<_>>().join(", ");
                        view! {
                            <p class=if s.refused == 0 { "tx-ok" } else { "tx-error" } role="status" data-testid="replay-summary">
                                {format!("Replayed {}: {} now pass, {} refused again", s.replayed, s.passed, s.refused)}
                                {(!codes.is_empty()).then(|| format!(" ({codes})"))}
                                {(s.skipped > 0).then(|| format!("; {} cannot be replayed (no API user, or the body was not kept whole)", s.skipped))}
                                {(s.remaining > 0).then(|| format!("; {} more match: replay again", s.remaining))}
                                "."
                            </p>
                        }.into_any()
                    }
                    Err(e) => problem(&e),
                })}
            </div>
            {move || match ready(data.get()) {
                Err(waiting) => waiting,
                Ok(page) => {
                    let f = applied.get_value();
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
                                {head(&["~When", "Operation id", "#HTTP", "#Code", "~Endpoint", "~Ids in the body", "~First problem", "~API user", "~#Latency"])}
                                <tbody>
                                    {let names = users.get();
                                    page.items.into_iter().map(|e| log_row(ctx, e, &names)).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <nav class="tx-pager" aria-label="Pages of the log">
                            <button type="button" disabled=off == 0 on:click={let f = f.clone(); move |_| go(&f, off.saturating_sub(PAGE))}>"Newer"</button>
                            <span data-testid="log-shown">{shown}</span>
                            <button type="button" disabled=!more on:click=move |_| go(&f, off + PAGE)>"Older"</button>
                        </nav>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// Most requests one export holds.
const EXPORT_MAX: u32 = 50_000;

/// Every request the filter matches (newest first, at most [`EXPORT_MAX`]), page by page.
async fn export_all(ctx: Ctx, f: &Filter) -> Result<Vec<LogEntry>, Failure> {
    let params = f
        .params()
        .map_err(|m| Failure {
            status: 0,
            message: m,
        })?
        .join("&");
    let client = ctx.client();
    let mut out = Vec::new();
    loop {
        let qs = format!("limit=500&offset={}&{params}", out.len());
        let page = client.requests(&qs).await?;
        let done =
            page.items.is_empty() || out.len() as u64 + page.items.len() as u64 >= page.total;
        out.extend(page.items);
        if done || out.len() as u32 >= EXPORT_MAX {
            return Ok(out);
        }
    }
}

/// What a logged answer says went wrong first: its first error (`field: message`), else the
/// description of a refusal; nothing for an accepted request.
pub fn first_problem(response: &serde_json::Value) -> String {
    let first = response.get("errors").and_then(|e| e.get(0));
    match first {
        Some(e) => format!(
            "{}: {}",
            e.get("field").and_then(|f| f.as_str()).unwrap_or("body"),
            e.get("message").and_then(|m| m.as_str()).unwrap_or("")
        ),
        None if response.get("code").and_then(|c| c.as_u64()) != Some(1100) => response
            .get("description")
            .and_then(|d| d.as_str())
            .unwrap_or("")
            .to_owned(),
        None => String::new(),
    }
}

/// The ids staff look for in a logged body: `refTransId` / `deploymentId` (notify),
/// `transaction-id` (voice), as one line.
pub fn body_ids(body: &str) -> String {
    let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(body) else {
        return String::new();
    };
    ["refTransId", "deploymentId", "transaction-id"]
        .iter()
        .filter_map(|k| m.get(*k)?.as_str())
        .collect::<Vec<_>>()
        .join(" · ")
}

fn log_row(ctx: Ctx, e: LogEntry, names: &[(String, String)]) -> impl IntoView {
    let id = e.transaction_id.clone();
    let page = Page::Request(id.clone());
    let href = page.hash();
    let user = e
        .api_key_id
        .as_ref()
        .map(|u| {
            names
                .iter()
                .find(|(id, _)| id == u)
                .map_or_else(|| u.clone(), |(_, n)| n.clone())
        })
        .unwrap_or_default();
    view! {
        <tr class:tx-refused={e.status >= 400}>
            <td class="tx-wide">{when(Some(e.at_ms))}</td>
            <td>
                <div class="tx-narrow tx-muted">{when(Some(e.at_ms))}</div>
                <a class="tx-id" href=href on:click=move |ev| {
                    ev.prevent_default();
                    ctx.go(page.clone());
                }>{id}</a>
                {e.replay_of.is_some().then(|| view! { " " <span class="tx-badge">"replay"</span> })}
            </td>
            <td class="tx-num">{e.status}</td>
            <td class="tx-num">{e.code.map(|c| c.to_string()).unwrap_or_default()}</td>
            <td class="tx-wide">{e.endpoint.clone()}</td>
            <td class="tx-id tx-wide">{body_ids(&e.body)}</td>
            <td class="tx-wide">{first_problem(&e.response)}</td>
            <td class="tx-wide">{user}</td>
            <td class="tx-num tx-wide">{format!("{:.1} ms", e.latency_us as f64 / 1000.0)}</td>
        </tr>
    }
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
        assert_eq!(
            Filter {
                only: "unresolved".into(),
                code: "1102".into(),
                ..Filter::default()
            }
            .params()
            .unwrap(),
            ["unresolved=true", "code=1102"]
        );
        let f = Filter {
            q: "CC02 &x".into(),
            code: "1102".into(),
            only: "unresolved".into(),
            ..Filter::default()
        };
        assert_eq!(
            f.address(100),
            "q=CC02%20%26x&code=1102&only=unresolved&offset=100"
        );
        assert_eq!(Filter::from_address(&f.address(100)), (f.clone(), 100));
        assert_eq!(Filter::from_address(""), (Filter::default(), 0));
        assert_eq!(
            super::body_ids(
                r#"{"refTransId":"CC02_1","deploymentId":"API_1","responseState":"531"}"#
            ),
            "CC02_1 · API_1"
        );
        assert_eq!(super::body_ids("[1]"), "");
        let refused = serde_json::json!({"code": 1102, "description": "No actions", "errors": [
            {"field": "deploymentId", "code": 1102, "message": "deployment \"X\" is unknown"}]});
        assert_eq!(
            super::first_problem(&refused),
            "deploymentId: deployment \"X\" is unknown"
        );
        let throttled = serde_json::json!({"code": 429, "description": "Too many requests"});
        assert_eq!(super::first_problem(&throttled), "Too many requests");
        let ok = serde_json::json!({"code": 1100, "description": "ok", "transaction-id": "NTS_1"});
        assert_eq!(super::first_problem(&ok), "");
        assert_eq!(
            super::first_problem(&serde_json::json!({"transaction-id": "VTS_1"})),
            ""
        );
        assert!(Filter {
            status: "5xx".into(),
            ..Filter::default()
        }
        .query(0)
        .is_err());
    }
}
