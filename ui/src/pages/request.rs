//! One logged request whole: what was sent and answered, its verdict under today's catalog,
//! what to fix ("Create deployment …" on a 1102), and its replays — a refused request is
//! replayed from here once fixed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use txstate_core::admin::{LogEntry, RequestPage};
use txstate_core::{validate, Api, Code, Options};

use crate::api::Failure;
use crate::app::{encode, Ctx, Page};
use crate::browser;
use crate::widgets::{problem, ready, verdict_banner, when};

/// A link to another page of the app.
fn link(ctx: Ctx, page: Page, text: String) -> impl IntoView {
    let href = page.hash();
    view! {
        <a href=href on:click=move |ev| {
            ev.prevent_default();
            ctx.go(page.clone());
        }>{text}</a>
    }
}

/// The `deploymentId` a logged notify body names, if it parses.
pub fn deployment_of(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    Some(v.get("deploymentId")?.as_str()?.trim().to_owned()).filter(|d| !d.is_empty())
}

/// Why a logged request cannot be replayed, if it cannot (the server says the same, 409).
fn not_replayable(e: &LogEntry) -> Option<&'static str> {
    if e.api_key_id.is_none() {
        Some("it named no API user: there is no one to replay it as")
    } else if e.body_truncated {
        Some("only the first 8 KiB of its body was kept")
    } else if e.body.is_empty() && e.code == Some(Code::RequestFailed.number()) {
        Some("its body was never read whole")
    } else {
        None
    }
}

#[component]
pub fn Request(id: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let data = RwSignal::new(None::<Result<LogEntry, Failure>>);
    let wanted = id.clone();
    ctx.load(move |c| async move { c.request(&wanted).await }, data);
    view! {
        <section class="tx-page" aria-labelledby="req-title">
            <p><a href="#/requests">"← Request log"</a></p>
            <h1 id="req-title">"Request " <span class="tx-id">{id}</span></h1>
            {move || match ready(data.get()) {
                Err(waiting) => waiting,
                Ok(e) => detail(ctx, e),
            }}
        </section>
    }
}

/// "Replay", its outcome, and the replays so far.
#[component]
fn Replays(entry: LogEntry) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let id = entry.transaction_id.clone();
    let outcome = RwSignal::new(None::<Result<LogEntry, Failure>>);
    let busy = RwSignal::new(false);
    // The replays so far: read once here and again after each replay (a plain task and a
    // signal: lighter than a resource in the module).
    let replays = RwSignal::new(None::<RequestPage>);
    let list_query = StoredValue::new(format!("replayOf={}&limit=20", encode(&id)));
    let load = move || {
        spawn_local(async move {
            let page = ctx.client().requests(&list_query.get_value()).await;
            replays.set(page.ok());
        });
    };
    load();
    let why_not = not_replayable(&entry);
    let replay = move |_| {
        let id = id.clone();
        busy.set(true);
        spawn_local(async move {
            let r = ctx.client().replay(&id).await;
            outcome.set(Some(r));
            busy.set(false);
            load();
        });
    };
    let answered = |e: &LogEntry| {
        format!(
            "HTTP {}{}",
            e.status,
            e.code.map(|c| format!(" / {c}")).unwrap_or_default()
        )
    };
    view! {
        <h2>"Replay"</h2>
        <p class="tx-muted">
            "Sends this body again through today's rules, as its API user (not throttled). Fix the catalog or the user first; the replay is logged as a new request."
        </p>
        {match why_not {
            Some(why) => view! { <p role="note">"This request cannot be replayed: " {why} "."</p> }.into_any(),
            None => view! {
                <button type="button" data-testid="replay" disabled=move || busy.get() on:click=replay>"Replay this request"</button>
            }.into_any(),
        }}
        {move || outcome.get().map(|r| match r {
            Ok(e) => {
                let (ok, text) = (e.status < 400, answered(&e));
                let page = Page::Request(e.transaction_id.clone());
                view! {
                    <p class=if ok { "tx-ok" } else { "tx-error" } role="status" data-testid="replay-outcome">
                        {if ok { "Passed: " } else { "Refused again: " }}{text}" · "
                        {link(ctx, page, e.transaction_id.clone())}
                    </p>
                }.into_any()
            }
            Err(e) => problem(&e),
        })}
        {move || replays.get().filter(|p| p.total > 0).map(|p| view! {
            <h3>{format!("Replays ({})", p.total)}</h3>
            <ul data-testid="replays">
                {p.items.into_iter().map(|e| {
                    let text = format!("{} · {}", when(Some(e.at_ms)), answered(&e));
                    view! { <li>{link(ctx, Page::Request(e.transaction_id.clone()), e.transaction_id.clone())}" · "{text}</li> }
                }).collect_view()}
            </ul>
        })}
    }
}

fn detail(ctx: Ctx, e: LogEntry) -> AnyView {
    let api = Api::parse(&e.endpoint);
    let recorded = !e.body.is_empty();
    let local = api.filter(|_| recorded).map(|a| {
        let catalog = ctx.catalog.get_untracked();
        let opts = Options {
            catalog: Some(&catalog),
            now_ms: Some(browser::epoch_ms()),
            profile: ctx.info.get_untracked().status_profile,
        };
        verdict_banner(&validate(a, e.body.as_bytes(), &opts))
    });
    // A 1102 names a deployment staff can create (or map) right here.
    let fix = (e.code == Some(Code::NoActionMapped.number()))
        .then(|| deployment_of(&e.body))
        .flatten()
        .map(|dep| {
            let exists = ctx
                .catalog
                .get_untracked()
                .deployments
                .iter()
                .any(|d| d.id == dep);
            let text = if exists {
                format!("Map an action to deployment {dep}")
            } else {
                format!("Create deployment {dep}")
            };
            view! { <p class="tx-fix" data-testid="fix">{link(ctx, Page::Admin(Some(dep)), text)}</p> }
        });
    let replay_of = e.replay_of.clone().map(|o| {
        view! { <p role="note">"A replay by staff of " {link(ctx, Page::Request(o.clone()), o)} "."</p> }
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
    let shown_body = if recorded {
        crate::widgets::pretty(&e.body).unwrap_or_else(|| e.body.clone())
    } else {
        String::new()
    };
    let body = e.body.clone();
    let open = move |_| {
        if let Some(a) = api {
            ctx.compose(a, body.clone());
        }
    };
    let refused = e.status >= 400 && e.replay_of.is_none();
    let entry = e.clone();
    view! {
        {replay_of}
        <dl class="tx-figures">
            <div><dt>"When"</dt><dd>{when(Some(e.at_ms))}</dd></div>
            <div><dt>"Endpoint"</dt><dd>{format!("{} {}", e.method, e.endpoint)}</dd></div>
            <div><dt>"Answered"</dt><dd data-testid="answered">{format!("HTTP {}{}", e.status, e.code.map(|c| format!(" / {c}")).unwrap_or_default())}</dd></div>
            <div><dt>"API user"</dt><dd>{e.api_key_id.clone().unwrap_or_else(|| "— (not authenticated)".into())}</dd></div>
            <div><dt>"Client"</dt><dd>{e.client.clone().unwrap_or_default()}</dd></div>
            <div><dt>"Latency"</dt><dd>{format!("{:.2} ms", e.latency_us as f64 / 1000.0)}</dd></div>
        </dl>
        {fix}
        <h2>"Body" {e.body_truncated.then_some(" (first 8 KiB)")}</h2>
        {if recorded {
            view! { <pre class="tx-code" data-testid="request-body">{shown_body}</pre> }.into_any()
        } else {
            view! { <p data-testid="request-body">"No body was recorded: the request had none, or it was not read (see the answer)."</p> }.into_any()
        }}
        <button type="button" on:click=open disabled=api.is_none() || !recorded>"Open in composer"</button>
        <h2>"Server's answer"</h2>
        <pre class="tx-code">{response}</pre>
        <h2>"Verdict of this body today"</h2>
        {local.unwrap_or_else(|| view! { <p>"Nothing to validate."</p> }.into_any())}
        {refused.then(|| view! { <Replays entry=entry /> })}
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
    use super::deployment_of;

    #[test]
    fn the_deployment_a_body_names() {
        assert_eq!(
            deployment_of(r#"{"deploymentId":" API_1 ","refTransId":"x"}"#).as_deref(),
            Some("API_1")
        );
        assert_eq!(deployment_of(r#"{"deploymentId":""}"#), None);
        assert_eq!(deployment_of("not json"), None);
    }
}
