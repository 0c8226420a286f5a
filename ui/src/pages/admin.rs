//! Admin: External Actions (with their success and failure lists), deployments, and API users
//! (a new secret is shown once, with a copy button; a second key; grants; limits; disable).

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::{json, Value};
use txstate_core::admin::ApiUser;
use txstate_core::{Action, Channel, Deployment, ResponseDef};

use crate::api::Failure;
use crate::app::{encode, Ctx};
use crate::browser;
use crate::widgets::{head, loading, problem, when};

/// Reads response definitions written one per line as `code = description`.
pub fn parse_responses(text: &str) -> Result<Vec<ResponseDef>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let (code, desc) = l.split_once('=').unwrap_or((l, ""));
            let code = code.trim();
            if code.is_empty() {
                return Err(format!("line {}: write `code = description`", i + 1));
            }
            Ok(ResponseDef {
                code: code.to_owned(),
                description: desc.trim().to_owned(),
            })
        })
        .collect()
}

/// The lines [`parse_responses`] reads.
pub fn format_responses(defs: &[ResponseDef]) -> String {
    defs.iter()
        .map(|d| format!("{} = {}", d.code, d.description))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The outcome of an admin change, for the page.
type Outcome = RwSignal<Option<Result<String, Failure>>>;

/// Asks `question`; if confirmed, deletes `path`, says `done` (or what failed), then `after`.
fn delete_confirmed(
    ctx: Ctx,
    outcome: Outcome,
    question: String,
    path: String,
    done: String,
    after: impl FnOnce() + 'static,
) {
    if !browser::confirm(&question) {
        return;
    }
    spawn_local(async move {
        let r = ctx.client().delete(&path).await;
        outcome.set(Some(r.map(|()| done)));
        after();
    });
}

fn outcome_view(o: Outcome) -> impl IntoView {
    move || {
        o.get().map(|r| match r {
            Ok(m) => view! { <p class="tx-ok" role="status">{m}</p> }.into_any(),
            Err(e) => problem(&e),
        })
    }
}

#[component]
pub fn Admin() -> impl IntoView {
    view! {
        <section class="tx-page" aria-labelledby="admin-title">
            <h1 id="admin-title">"Admin"</h1>
            <ApiUsers />
            <Actions />
            <Deployments />
        </section>
    }
}

#[component]
fn Actions() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let outcome: Outcome = RwSignal::new(None);
    let editing = RwSignal::new(None::<String>);
    let (name, rtype, threshold, success, failure) = (
        RwSignal::new(String::new()),
        RwSignal::new("async".to_owned()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let edit = move |a: Action| {
        editing.set(Some(a.id.clone()));
        name.set(a.name.clone());
        rtype.set(
            serde_json::to_value(a.response_type)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        );
        threshold.set(
            a.alert_threshold_percent
                .map(|t| t.to_string())
                .unwrap_or_default(),
        );
        success.set(format_responses(&a.success_responses));
        failure.set(format_responses(&a.failure_responses));
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = (|| -> Result<Value, String> {
            let t = threshold.get_untracked();
            let threshold: Option<f64> = match t.trim() {
                "" => None,
                t => Some(
                    t.parse()
                        .map_err(|_| "alert threshold: a percentage, like 20".to_owned())?,
                ),
            };
            let rt = rtype.get_untracked();
            Ok(json!({
                "name": name.get_untracked(),
                "responseType": if rt.is_empty() { Value::Null } else { Value::String(rt) },
                "alertThresholdPercent": threshold,
                "successResponses": parse_responses(&success.get_untracked()).map_err(|e| format!("success responses, {e}"))?,
                "failureResponses": parse_responses(&failure.get_untracked()).map_err(|e| format!("failure responses, {e}"))?,
            }))
        })();
        let body = match body {
            Ok(b) => b,
            Err(m) => {
                return outcome.set(Some(Err(Failure {
                    status: 0,
                    message: m,
                })))
            }
        };
        let target = editing.get_untracked();
        spawn_local(async move {
            let client = ctx.client();
            let r = match &target {
                Some(id) => {
                    client
                        .send::<_, Action>("PUT", &format!("/actions/{}", encode(id)), &body)
                        .await
                }
                None => client.send::<_, Action>("POST", "/actions", &body).await,
            };
            outcome.set(Some(
                r.map(|a| format!("Saved action {} ({}).", a.name, a.id)),
            ));
            editing.set(None);
            ctx.reload_catalog();
        });
    };
    let remove = move |id: String| {
        delete_confirmed(
            ctx,
            outcome,
            format!("Delete action {id}?"),
            format!("/actions/{}", encode(&id)),
            format!("Deleted action {id}."),
            move || ctx.reload_catalog(),
        );
    };
    view! {
        <section aria-labelledby="actions-title" class="tx-card">
            <h2 id="actions-title">"External Actions"</h2>
            {outcome_view(outcome)}
            <div class="tx-scroll">
                <table class="tx-table">
                    {head(&["Action", "Response type", "Alert above", "Success responses", "Failure responses", ""])}
                    <tbody>
                        {move || {
                            ctx.catalog
                                .get()
                                .actions
                                .into_iter()
                                .map(|a| {
                                    let (a2, id) = (a.clone(), a.id.clone());
                                    let rt = a.response_type.map_or("not set", |r| if matches!(r, txstate_core::ResponseType::Async) { "async" } else { "sync" });
                                    view! {
                                        <tr>
                                            <th scope="row">{a.name.clone()}<div class="tx-muted tx-id">{a.id.clone()}</div></th>
                                            <td>{rt}</td>
                                            <td>{a.alert_threshold_percent.map(|t| format!("{t} %")).unwrap_or_default()}</td>
                                            <td><pre class="tx-pre">{format_responses(&a.success_responses)}</pre></td>
                                            <td><pre class="tx-pre">{format_responses(&a.failure_responses)}</pre></td>
                                            <td class="tx-actions">
                                                <button type="button" on:click=move |_| edit(a2.clone())>"Edit"</button>
                                                <button type="button" on:click=move |_| remove(id.clone())>"Delete"</button>
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </div>
            <form class="tx-form-grid" on:submit=save>
                <h3>{move || if editing.get().is_some() { "Edit the action" } else { "New action" }}</h3>
                <label for="tx-action-name">"Name"</label>
                <input id="tx-action-name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="tx-action-type">"Response type"</label>
                <select id="tx-action-type" prop:value=move || rtype.get() on:change=move |ev| rtype.set(event_target_value(&ev))>
                    <option value="async">"asynchronous (takes notifications)"</option>
                    <option value="sync">"synchronous"</option>
                    <option value="">"not set"</option>
                </select>
                <label for="tx-action-threshold">"Alert if more than this % fail within an hour"</label>
                <input id="tx-action-threshold" inputmode="decimal" prop:value=move || threshold.get() on:input=move |ev| threshold.set(event_target_value(&ev)) />
                <label for="tx-action-success">"Success responses (one per line: code = description)"</label>
                <textarea id="tx-action-success" rows="3" prop:value=move || success.get() on:input=move |ev| success.set(event_target_value(&ev))></textarea>
                <label for="tx-action-failure">"Failure responses (one per line: code = description)"</label>
                <textarea id="tx-action-failure" rows="3" prop:value=move || failure.get() on:input=move |ev| failure.set(event_target_value(&ev))></textarea>
                <div>
                    <button type="submit">"Save action"</button>
                    <Show when=move || editing.get().is_some()>
                        <button type="button" on:click=move |_| editing.set(None)>"Cancel"</button>
                    </Show>
                </div>
            </form>
        </section>
    }
}

#[component]
fn Deployments() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let outcome: Outcome = RwSignal::new(None);
    let (name, channel, kind, action) = (
        RwSignal::new(String::new()),
        RwSignal::new("external-action".to_owned()),
        RwSignal::new("onetime".to_owned()),
        RwSignal::new(String::new()),
    );
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let a = action.get_untracked();
        let body = json!({
            "name": name.get_untracked(),
            "channel": channel.get_untracked(),
            "type": kind.get_untracked(),
            "actionId": if a.is_empty() { Value::Null } else { Value::String(a) },
        });
        spawn_local(async move {
            let r = ctx
                .client()
                .send::<_, Deployment>("POST", "/deployments", &body)
                .await;
            outcome.set(Some(
                r.map(|d| format!("Created deployment {} ({}).", d.name, d.id)),
            ));
            ctx.reload_catalog();
        });
    };
    let remove = move |id: String| {
        delete_confirmed(
            ctx,
            outcome,
            format!("Delete deployment {id}? Notifications naming it will get 1102."),
            format!("/deployments/{}", encode(&id)),
            format!("Deleted deployment {id}."),
            move || ctx.reload_catalog(),
        );
    };
    view! {
        <section aria-labelledby="deployments-title" class="tx-card">
            <h2 id="deployments-title">"Deployments"</h2>
            {outcome_view(outcome)}
            <div class="tx-scroll">
                <table class="tx-table">
                    {head(&["Deployment", "Channel", "Type", "Status", "Action", ""])}
                    <tbody>
                        {move || {
                            ctx.catalog
                                .get()
                                .deployments
                                .into_iter()
                                .map(|d| {
                                    let id = d.id.clone();
                                    view! {
                                        <tr>
                                            <th scope="row">{d.name.clone()}<div class="tx-muted tx-id">{d.id.clone()}</div></th>
                                            <td>{d.channel.name()}</td>
                                            <td>{d.kind.name()}</td>
                                            <td>{wire(&d.status)}</td>
                                            <td class="tx-id">{d.action_id.clone().unwrap_or_default()}</td>
                                            <td class="tx-actions">
                                                <button type="button" on:click=move |_| remove(id.clone())>"Delete"</button>
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </div>
            <form class="tx-form-grid" on:submit=create>
                <h3>"New deployment"</h3>
                <label for="tx-dep-name">"Name"</label>
                <input id="tx-dep-name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="tx-dep-channel">"Channel"</label>
                <select id="tx-dep-channel" prop:value=move || channel.get() on:change=move |ev| channel.set(event_target_value(&ev))>
                    {Channel::ALL.iter().map(|c| view! { <option value=c.name()>{c.name()}</option> }).collect_view()}
                </select>
                <label for="tx-dep-type">"Type"</label>
                <select id="tx-dep-type" prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
                    {["onetime", "recurring", "instant", "event", "api"].iter().map(|k| view! { <option value=*k>{*k}</option> }).collect_view()}
                </select>
                <label for="tx-dep-action">"External Action"</label>
                <select id="tx-dep-action" prop:value=move || action.get() on:change=move |ev| action.set(event_target_value(&ev))>
                    <option value="">"— none —"</option>
                    {move || ctx.catalog.get().actions.into_iter().map(|a| view! { <option value=a.id.clone()>{a.name.clone()}</option> }).collect_view()}
                </select>
                <div><button type="submit">"Create deployment"</button></div>
            </form>
        </section>
    }
}

/// A value's wire name (`running`, ...).
fn wire(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A secret the server returns once.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewSecret {
    api_key_id: String,
    #[serde(default)]
    secret_key1: Option<String>,
    #[serde(default)]
    secret_key2: Option<String>,
}

impl NewSecret {
    fn key(&self) -> Option<String> {
        self.secret_key1
            .clone()
            .or_else(|| self.secret_key2.clone())
    }
}

#[component]
fn ApiUsers() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let outcome: Outcome = RwSignal::new(None);
    let secret = RwSignal::new(None::<(String, String)>);
    let copied = RwSignal::new(false);
    let refresh = RwSignal::new(0u32);
    let users = LocalResource::new(move || {
        refresh.track();
        let client = ctx.client();
        async move { client.get::<Vec<ApiUser>>("/api-users").await }
    });
    let (name, notify, voice, requests, per) = (
        RwSignal::new(String::new()),
        RwSignal::new(true),
        RwSignal::new(true),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let show_secret = move |r: Result<Value, Failure>, what: &str| match r.and_then(|v| {
        serde_json::from_value::<NewSecret>(v).map_err(|e| Failure {
            status: 0,
            message: e.to_string(),
        })
    }) {
        Ok(s) => {
            copied.set(false);
            secret.set(s.key().map(|k| (s.api_key_id.clone(), k)));
            outcome.set(Some(Ok(format!(
                "{what} for {}: copy the secret now, it is not shown again.",
                s.api_key_id
            ))));
            refresh.update(|n| *n += 1);
        }
        Err(e) => outcome.set(Some(Err(e))),
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut grants = Vec::new();
        if notify.get_untracked() {
            grants.push("notify");
        }
        if voice.get_untracked() {
            grants.push("voice");
        }
        let mut body = json!({"name": name.get_untracked(), "grants": grants});
        let (r, p) = (requests.get_untracked(), per.get_untracked());
        if !r.trim().is_empty() || !p.trim().is_empty() {
            match (r.trim().parse::<u32>(), p.trim().parse::<u32>()) {
                (Ok(r), Ok(p)) => body["rateLimit"] = json!({"requests": r, "perSeconds": p}),
                _ => {
                    return outcome.set(Some(Err(Failure {
                        status: 0,
                        message: "rate limit: two whole numbers, requests per seconds".into(),
                    })))
                }
            }
        }
        spawn_local(async move {
            let r = ctx
                .client()
                .send::<_, Value>("POST", "/api-users", &body)
                .await;
            show_secret(r, "Created");
        });
    };
    let patch = move |id: String, body: Value, done: &'static str| {
        spawn_local(async move {
            let r = ctx
                .client()
                .send::<_, ApiUser>("PATCH", &format!("/api-users/{}", encode(&id)), &body)
                .await;
            outcome.set(Some(r.map(|u| format!("{done}: {}.", u.name))));
            refresh.update(|n| *n += 1);
        });
    };
    let add_key = move |id: String| {
        spawn_local(async move {
            let r = ctx
                .client()
                .send::<_, Value>(
                    "POST",
                    &format!("/api-users/{}/secret-keys", encode(&id)),
                    &json!({}),
                )
                .await;
            show_secret(r, "Second key");
        });
    };
    let drop_key1 = move |id: String| {
        delete_confirmed(
            ctx,
            outcome,
            "Delete key 1? Partners still using it get 401 at once; key 2 becomes key 1.".into(),
            format!("/api-users/{}/secret-keys/1", encode(&id)),
            "Key 1 deleted; key 2 is now key 1.".into(),
            move || refresh.update(|n| *n += 1),
        );
    };
    let remove = move |id: String| {
        delete_confirmed(
            ctx,
            outcome,
            format!("Delete API user {id}? Its keys stop working at once."),
            format!("/api-users/{}", encode(&id)),
            format!("Deleted API user {id}."),
            move || refresh.update(|n| *n += 1),
        );
    };
    view! {
        <section aria-labelledby="users-title" class="tx-card">
            <h2 id="users-title">"API users"</h2>
            {outcome_view(outcome)}
            {move || secret.get().map(|(id, key)| {
                let (k1, k2) = (key.clone(), key.clone());
                view! {
                    <div class="tx-secret" role="region" aria-label="New secret key">
                        <p>"Secret key for " <span class="tx-id">{id}</span> " (shown once):"</p>
                        <code data-testid="secret">{key}</code>
                        <button type="button" on:click=move |_| {
                            let k = k1.clone();
                            spawn_local(async move { copied.set(browser::copy(&k).await) });
                        }>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
                        <button type="button" on:click=move |_| ctx.api_key.set(k2.clone())>"Use in the composer"</button>
                        <button type="button" on:click=move |_| secret.set(None)>"Done"</button>
                    </div>
                }
            })}
            {move || match users.get() {
                None => loading(),
                Some(Err(e)) => problem(&e),
                Some(Ok(list)) => view! {
                    <div class="tx-scroll">
                        <table class="tx-table" data-testid="api-users">
                            {head(&["User", "Grants", "Rate limit", "Keys", "Created", ""])}
                            <tbody>
                                {list.into_iter().map(|u| {
                                    let (i1, i2, i3, i4) = (u.api_key_id.clone(), u.api_key_id.clone(), u.api_key_id.clone(), u.api_key_id.clone());
                                    let enabled = u.enabled;
                                    let keys = u.secret_keys.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", ");
                                    let two = u.secret_keys.len() >= 2;
                                    view! {
                                        <tr class:tx-disabled=!enabled>
                                            <th scope="row">{u.name.clone()}<div class="tx-muted tx-id">{u.api_key_id.clone()}</div></th>
                                            <td>{u.grants.join(", ")}</td>
                                            <td>{format!("{} per {} s", u.rate_limit.requests, u.rate_limit.per_seconds)}</td>
                                            <td>{keys}</td>
                                            <td>{when(Some(u.created_at))}</td>
                                            <td class="tx-actions">
                                                <button type="button" on:click=move |_| patch(i1.clone(), json!({"enabled": !enabled}), if enabled { "Disabled" } else { "Enabled" })>
                                                    {if enabled { "Disable" } else { "Enable" }}
                                                </button>
                                                <button type="button" disabled=two on:click=move |_| add_key(i2.clone())>"Add key 2"</button>
                                                <button type="button" disabled=!two on:click=move |_| drop_key1(i3.clone())>"Delete key 1"</button>
                                                <button type="button" on:click=move |_| remove(i4.clone())>"Delete"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any(),
            }}
            <form class="tx-form-grid" on:submit=create>
                <h3>"New API user"</h3>
                <label for="tx-user-name">"Name"</label>
                <input id="tx-user-name" required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <fieldset>
                    <legend>"APIs granted"</legend>
                    <label><input type="checkbox" prop:checked=move || notify.get() on:change=move |ev| notify.set(event_target_checked(&ev)) />" notify"</label>
                    <label><input type="checkbox" prop:checked=move || voice.get() on:change=move |ev| voice.set(event_target_checked(&ev)) />" voice"</label>
                </fieldset>
                <label for="tx-user-requests">"Rate limit: requests (blank: the server's default)"</label>
                <input id="tx-user-requests" inputmode="numeric" prop:value=move || requests.get() on:input=move |ev| requests.set(event_target_value(&ev)) />
                <label for="tx-user-per">"…per seconds"</label>
                <input id="tx-user-per" inputmode="numeric" prop:value=move || per.get() on:input=move |ev| per.set(event_target_value(&ev)) />
                <div><button type="submit">"Create API user"</button></div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_lists_round_trip_through_text() {
        let text = "403 = Bad token\n\n500=Server error = retry\n404";
        let defs = parse_responses(text).unwrap();
        assert_eq!(defs.len(), 3);
        assert_eq!(
            (defs[1].code.as_str(), defs[1].description.as_str()),
            ("500", "Server error = retry")
        );
        assert_eq!(defs[2].description, "");
        assert_eq!(parse_responses(&format_responses(&defs)).unwrap(), defs);
        assert!(parse_responses(" = no code")
            .unwrap_err()
            .starts_with("line 1"));
    }
}
