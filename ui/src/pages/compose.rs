//! Compose & test: a form of every field kept in step with the raw JSON, validated by core on
//! every edit against the server's catalog, sent with an API key, compared with the server.

use leptos::prelude::*;
use leptos::task::spawn_local;
use txstate_core::{validate, Api, Options, Verdict};

use super::compose_fields::{field_row, other_findings};
use crate::api::{Failure, PartnerAnswer};
use crate::app::{Ctx, Sent};
use crate::browser;
use crate::curl;
use crate::form::Object;
use crate::templates::TEMPLATES;
use crate::widgets::{head, verdict_banner, when};

/// Whether the server's answer equals the local verdict, and if not, why.
pub fn agreement(local: &Verdict<'_>, status: u16, code: Option<u16>) -> Result<(), String> {
    let local_code = local.code.map(|c| c.number());
    if local.http_status == status && local_code == code {
        return Ok(());
    }
    let said = |s: u16, c: Option<u16>| match c {
        Some(c) => format!("{s}/{c}"),
        None => format!("{s}"),
    };
    let why = match code {
        Some(1010) => " 1010 depends on what the server has stored (an older update of this call): only the server can give it.",
        Some(401 | 430 | 498 | 429) => " Authentication and throttling happen before validation.",
        _ if status == 413 || status >= 500 && code.is_none() => " The server could not read the request.",
        _ => " The catalog may have changed since this page loaded it.",
    };
    Err(format!(
        "The server answered {}, the local verdict was {}.{why}",
        said(status, code),
        said(local.http_status, local_code)
    ))
}

#[component]
pub fn Compose() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let api = ctx.draft_api;
    let raw = ctx.draft;
    let verdict = Memo::new(move |_| {
        let body = raw.get();
        let catalog = ctx.catalog.read();
        let opts = Options {
            catalog: Some(&catalog),
            now_ms: Some(browser::epoch_ms()),
            profile: ctx.info.read().status_profile,
        };
        validate(api.get(), body.as_bytes(), &opts).into_owned()
    });
    let answer = RwSignal::new(None::<(Result<PartnerAnswer, Failure>, Verdict<'static>)>);
    let curl_text = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    // The template last picked, shown by its select until the API changes.
    let chosen = RwSignal::new(String::new());
    let pick_template = move |ev| {
        let name = event_target_value(&ev);
        if let Some(t) = TEMPLATES.iter().find(|t| t.name == name) {
            api.set(t.api);
            raw.set(t.body.to_owned());
        }
        chosen.set(name);
    };
    let send = move |_| {
        let key = ctx.api_key.get_untracked().trim().to_owned();
        let (a, body, local) = (
            api.get_untracked(),
            raw.get_untracked(),
            verdict.get_untracked(),
        );
        if key.is_empty() {
            answer.set(Some((
                Err(Failure {
                    status: 0,
                    message: "Paste an API secret key to send (Admin → API users creates one)."
                        .into(),
                }),
                local,
            )));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let r = ctx.client().partner(a, &key, &body).await;
            if let Ok(ans) = &r {
                let agreed = agreement(&local, ans.status, ans.code).is_ok();
                ctx.history.update(|h| {
                    h.insert(
                        0,
                        Sent {
                            api: a,
                            body: body.clone(),
                            status: ans.status,
                            code: ans.code,
                            agreed,
                            at_ms: browser::epoch_ms(),
                        },
                    );
                });
            }
            answer.set(Some((r, local)));
            busy.set(false);
        });
    };
    let copy_curl = move |_| {
        let cmd = curl::command(
            &ctx.client().origin(),
            api.get_untracked(),
            &raw.get_untracked(),
        );
        curl_text.set(Some(cmd.clone()));
        spawn_local(async move {
            browser::copy(&cmd).await;
        });
    };

    view! {
        <section class="tx-page" aria-labelledby="compose-title">
            <h1 id="compose-title">"Compose & test"</h1>
            <div class="tx-toolbar">
                <label>
                    "API "
                    <select
                        id="tx-api"
                        on:change=move |ev| {
                            let a = if event_target_value(&ev) == "voice" { Api::Voice } else { Api::Notify };
                            if a != api.get_untracked() {
                                api.set(a);
                                chosen.set(String::new());
                                raw.set(crate::templates::first(a).body.to_owned());
                            }
                        }
                        prop:value=move || api.get().name()
                    >
                        <option value="notify">"Notify transaction state (POST)"</option>
                        <option value="voice">"Voice transaction status (PATCH)"</option>
                    </select>
                </label>
                <label>
                    "Template "
                    <select id="tx-template" on:change=pick_template prop:value=move || chosen.get()>
                        <option value="">"— the contract's examples —"</option>
                        {TEMPLATES
                            .iter()
                            .map(|t| view! { <option value=t.name>{t.name}</option> })
                            .collect_view()}
                    </select>
                </label>
            </div>
            {move || verdict_banner(&verdict.get())}
            <div class="tx-compose">
                <fieldset class="tx-form">
                    <legend>"Fields"</legend>
                    {move || Object::parse(&raw.get()).is_err().then(|| view! {
                        <p class="tx-field-warning" role="note" data-testid="fields-locked">
                            "The raw JSON is not an object this form can read, so the fields are locked: fix it in the raw editor."
                        </p>
                    })}
                    {move || {
                        txstate_core::fields::table(api.get())
                            .iter()
                            .map(|spec| field_row(*spec, raw, verdict))
                            .collect_view()
                    }}
                    <datalist id="tx-deployments">
                        {move || {
                            ctx.catalog
                                .get()
                                .deployments
                                .into_iter()
                                .map(|d| view! { <option value=d.id.clone()>{d.name.clone()}</option> })
                                .collect_view()
                        }}
                    </datalist>
                </fieldset>
                <div class="tx-raw">
                    <label for="tx-raw">"Raw JSON body"</label>
                    <textarea
                        id="tx-raw"
                        spellcheck="false"
                        rows="18"
                        prop:value=move || raw.get()
                        on:input=move |ev| raw.set(event_target_value(&ev))
                    ></textarea>
                    {move || other_findings(&verdict.get(), api.get())}
                </div>
            </div>
            <div class="tx-send">
                <label for="tx-key">"API secret key (kept in memory only)"</label>
                <input
                    id="tx-key"
                    type="password"
                    autocomplete="off"
                    prop:value=move || ctx.api_key.get()
                    on:input=move |ev| ctx.api_key.set(event_target_value(&ev))
                />
                <button type="button" id="tx-send" on:click=send disabled=move || busy.get()>
                    "Send to the server"
                </button>
                <button type="button" on:click=copy_curl>"Copy as curl"</button>
            </div>
            {move || curl_text.get().map(|c| view! {
                <p class="tx-muted">"Copied (the key is read from $TXSTATE_KEY):"</p>
                <pre class="tx-code" data-testid="curl">{c}</pre>
            })}
            {move || answer.get().map(|(r, local)| answer_view(r, &local))}
            <History />
        </section>
    }
}

fn answer_view(r: Result<PartnerAnswer, Failure>, local: &Verdict<'_>) -> AnyView {
    match r {
        Err(f) => crate::widgets::problem(&f),
        Ok(a) => {
            let agreed = agreement(local, a.status, a.code);
            let (class, note) = match &agreed {
                Ok(()) => (
                    "tx-ok",
                    "The server's verdict equals the local one.".to_owned(),
                ),
                Err(why) => ("tx-bad", why.clone()),
            };
            let latency = format!("{:.1} ms", a.latency_ms);
            view! {
                <div class="tx-answer" data-testid="answer">
                    <h2>"Server answer"</h2>
                    <p>
                        "HTTP " <strong data-testid="answer-status">{a.status}</strong>
                        " · " {latency}
                    </p>
                    <pre class="tx-code" data-testid="answer-body">{a.body}</pre>
                    <p class=class data-testid="agreement">{note}</p>
                </div>
            }
            .into_any()
        }
    }
}

#[component]
fn History() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <Show when=move || ctx.history.with(|h| !h.is_empty())>
            <h2>"This session's sends"</h2>
            <table class="tx-table">
                {head(&["When", "API", "Answer", "Same as local", ""])}
                <tbody>
                    {move || {
                        ctx.history
                            .get()
                            .into_iter()
                            .map(|s| {
                                let answer = match s.code {
                                    Some(c) => format!("{}/{c}", s.status),
                                    None => s.status.to_string(),
                                };
                                let (a, body) = (s.api, s.body.clone());
                                view! {
                                    <tr>
                                        <td>{when(Some(s.at_ms))}</td>
                                        <td>{s.api.name()}</td>
                                        <td>{answer}</td>
                                        <td>{if s.agreed { "yes" } else { "no" }}</td>
                                        <td>
                                            <button type="button" on:click=move |_| ctx.compose(a, body.clone())>
                                                "Load"
                                            </button>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::agreement;
    use txstate_core::{validate, Api, Options};

    #[test]
    fn agreement_compares_status_and_code() {
        let v = validate(Api::Notify, b"{}", &Options::default());
        assert_eq!(agreement(&v, 500, Some(1101)), Ok(()));
        assert!(agreement(&v, 401, Some(430))
            .unwrap_err()
            .contains("Authentication"));
        let voice = validate(
            Api::Voice,
            br#"{"transaction-id":"V","call-starttime":"2014-08-26 08:00:58.211","call-endtime":"2014-08-26 08:00:59.200","call-source":"1","call-state":"5","drop-code":"2005"}"#,
            &Options::default(),
        );
        assert_eq!(agreement(&voice, 200, None), Ok(()));
        assert!(agreement(&voice, 200, Some(1010))
            .unwrap_err()
            .contains("only the server"));
    }
}
