//! API users: a new secret is shown once, with a copy button; a second key for rotation;
//! grants, rate limit, name and enabled changed in place.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::{json, Value};
use txstate_core::admin::ApiUser;

use super::{delete_confirmed, form_error, outcome_view, Outcome};
use crate::api::Failure;
use crate::app::{encode, Ctx};
use crate::browser;
use crate::widgets::{head, ready, text_field, when};

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
pub fn ApiUsers() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let outcome: Outcome = RwSignal::new(None);
    let secret = RwSignal::new(None::<(String, String)>);
    let copied = RwSignal::new(false);
    let users = RwSignal::new(None::<Result<Vec<ApiUser>, Failure>>);
    let refresh = move || ctx.load(|c| async move { c.api_users().await }, users);
    refresh();
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
            refresh();
        }
        Err(e) => outcome.set(Some(Err(e))),
    };
    let editing = RwSignal::new(None::<String>);
    let fill = move |u: Option<&ApiUser>| {
        editing.set(u.map(|u| u.api_key_id.clone()));
        name.set(u.map(|u| u.name.clone()).unwrap_or_default());
        notify.set(u.is_none_or(|u| u.grants.iter().any(|g| g == "notify")));
        voice.set(u.is_none_or(|u| u.grants.iter().any(|g| g == "voice")));
        requests.set(
            u.map(|u| u.rate_limit.requests.to_string())
                .unwrap_or_default(),
        );
        per.set(
            u.map(|u| u.rate_limit.per_seconds.to_string())
                .unwrap_or_default(),
        );
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
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
                    return form_error(
                        outcome,
                        "rate limit: two whole numbers, requests per seconds".into(),
                    )
                }
            }
        }
        let target = editing.get_untracked();
        spawn_local(async move {
            let client = ctx.client();
            match target {
                Some(id) => {
                    let r = client.update_api_user(&id, &body).await;
                    if r.is_ok() {
                        fill(None);
                    }
                    outcome.set(Some(r.map(|u| {
                        format!(
                            "Saved {}: grants {}, {} requests per {} s.",
                            u.name,
                            if u.grants.is_empty() {
                                "none".to_owned()
                            } else {
                                u.grants.join(", ")
                            },
                            u.rate_limit.requests,
                            u.rate_limit.per_seconds
                        )
                    })));
                    refresh();
                }
                None => {
                    let r = client.create_api_user(&body).await;
                    if r.is_ok() {
                        fill(None);
                    }
                    show_secret(r, "Created");
                }
            }
        });
    };
    let patch = move |id: String, body: Value, done: &'static str| {
        spawn_local(async move {
            let r = ctx.client().update_api_user(&id, &body).await;
            outcome.set(Some(r.map(|u| format!("{done}: {}.", u.name))));
            refresh();
        });
    };
    let add_key = move |id: String| {
        spawn_local(async move {
            let r = ctx.client().add_secret_key(&id).await;
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
            refresh,
        );
    };
    let remove = move |id: String| {
        delete_confirmed(
            ctx,
            outcome,
            format!("Delete API user {id}? Its keys stop working at once."),
            format!("/api-users/{}", encode(&id)),
            format!("Deleted API user {id}."),
            refresh,
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
            {move || match ready(users.get()) {
                Err(waiting) => waiting,
                Ok(list) => view! {
                    <div class="tx-scroll">
                        <table class="tx-table" data-testid="api-users">
                            {head(&["User", "Grants", "Rate limit", "Keys", "Created", ""])}
                            <tbody>
                                {list.into_iter().map(|u| {
                                    let (i1, i2, i3, i4) = (u.api_key_id.clone(), u.api_key_id.clone(), u.api_key_id.clone(), u.api_key_id.clone());
                                    let u2 = u.clone();
                                    let enabled = u.enabled;
                                    let keys = u.secret_keys.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", ");
                                    let two = u.secret_keys.len() >= 2;
                                    view! {
                                        <tr class:tx-disabled=!enabled>
                                            <th scope="row">
                                                {u.name.clone()}
                                                {(!enabled).then(|| view! { " " <span class="tx-badge">"disabled"</span> })}
                                                <div class="tx-muted tx-id">{u.api_key_id.clone()}</div>
                                            </th>
                                            <td>{u.grants.join(", ")}</td>
                                            <td>{format!("{} per {} s", u.rate_limit.requests, u.rate_limit.per_seconds)}</td>
                                            <td>{keys}</td>
                                            <td>{when(Some(u.created_at))}</td>
                                            <td class="tx-actions">
                                                <button type="button" on:click=move |_| fill(Some(&u2))>"Edit"</button>
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
            <form class="tx-form-grid" on:submit=save>
                <h3>{move || editing.get().map_or_else(|| "New API user".to_owned(), |id| format!("Edit API user {id}"))}</h3>
                {text_field("tx-user-name", "Name", name)}
                <fieldset>
                    <legend>"APIs granted"</legend>
                    <label><input type="checkbox" prop:checked=move || notify.get() on:change=move |ev| notify.set(event_target_checked(&ev)) />" notify"</label>
                    <label><input type="checkbox" prop:checked=move || voice.get() on:change=move |ev| voice.set(event_target_checked(&ev)) />" voice"</label>
                </fieldset>
                {text_field("tx-user-requests", "Rate limit: requests (blank: the server's default)", requests)}
                {text_field("tx-user-per", "…per seconds", per)}
                <div>
                    <button type="submit">{move || if editing.get().is_some() { "Save API user" } else { "Create API user" }}</button>
                    <Show when=move || editing.get().is_some()>
                        <button type="button" on:click=move |_| fill(None)>"Cancel"</button>
                    </Show>
                </div>
            </form>
        </section>
    }
}
