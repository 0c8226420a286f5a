//! The composer's form: one row per field of the contract (label, control, meaning, the
//! findings about it), the additionalInfo key-value editor, and findings about fields the
//! form does not show.

use leptos::prelude::*;
use txstate_core::fields::{self, Field, Kind, Need, NotifyField, TimeFormat};
use txstate_core::time::DateTime;
use txstate_core::{Api, Verdict};

use crate::browser;
use crate::form::{self, Object};

/// One field: label, control, meaning, and the findings about it.
pub(super) fn field_row(
    spec: Field,
    raw: RwSignal<String>,
    verdict: Memo<Verdict<'static>>,
) -> AnyView {
    let id = format!("tx-f-{}", spec.name);
    let obj = Memo::new(move |_| Object::parse(&raw.get()));
    let value = move || {
        obj.with(|o| {
            o.as_ref()
                .map(|o| form::display(o.get(spec.name)))
                .unwrap_or_default()
        })
    };
    let set = move |v: String| {
        if let Ok(new) = form::edit(&raw.get_untracked(), spec.name, &v) {
            raw.set(new);
        }
    };
    let disabled = move || obj.with(Result::is_err);
    let required = match spec.need {
        Need::Mandatory => " (required)",
        Need::WhenTrombone => " (required when call-source is 3)",
        Need::Optional => "",
    };
    let findings = move || {
        let v = verdict.get();
        let errors: Vec<String> = v
            .errors
            .iter()
            .filter(|e| about(&e.field, spec.name))
            .map(|e| format!("{} {}", e.code.number(), e.message))
            .collect();
        let warnings: Vec<String> = v
            .warnings
            .iter()
            .filter(|w| about(&w.field, spec.name))
            .map(|w| w.message.to_string())
            .collect();
        view! {
            {errors.into_iter().map(|e| view! { <p class="tx-field-error" role="alert">{e}</p> }).collect_view()}
            {warnings.into_iter().map(|w| view! { <p class="tx-field-warning">"⚠ " {w}</p> }).collect_view()}
        }
    };
    let control = match spec.kind {
        Kind::Id | Kind::Text(_) | Kind::Digits(_) | Kind::Whole => view! {
            <input
                id=id.clone()
                type="text"
                list=(spec.name == NotifyField::DeploymentId.name()).then_some("tx-deployments")
                prop:value=value
                disabled=disabled
                on:input=move |ev| set(event_target_value(&ev))
            />
        }
        .into_any(),
        Kind::List(list) | Kind::ListAnyCase(list) => view! {
            <select id=id.clone() prop:value=value disabled=disabled on:change=move |ev| set(event_target_value(&ev))>
                <option value="">"— not set —"</option>
                {list
                    .iter()
                    .map(|(v, meaning)| view! { <option value=*v>{format!("{v} — {meaning}")}</option> })
                    .collect_view()}
            </select>
        }
        .into_any(),
        Kind::Time(format) => {
            let millis = format == TimeFormat::Millis;
            let format = format.pattern();
            let now = move |_| {
                if let Some(d) = DateTime::from_epoch_ms(browser::epoch_ms()) {
                    set(if millis { d.format_millis() } else { d.format_seconds() });
                }
            };
            view! {
                <span class="tx-inline">
                    <input
                        id=id.clone()
                        type="text"
                        placeholder=format
                        prop:value=value
                        disabled=disabled
                        on:input=move |ev| set(event_target_value(&ev))
                    />
                    <button type="button" on:click=now aria-label=format!("{}: now (UTC)", spec.name)>"now"</button>
                </span>
            }
            .into_any()
        }
        Kind::JsonObject(_) => kv_editor(raw, obj),
    };
    view! {
        <div class="tx-field">
            <label for=id>{spec.name}<span class="tx-muted">{required}</span></label>
            {control}
            <small class="tx-help">{spec.help}</small>
            {findings}
        </div>
    }
    .into_any()
}

/// The additionalInfo editor: rows of key and value, written as the encoded string.
fn kv_editor(raw: RwSignal<String>, obj: Memo<Result<Object, form::NotAnObject>>) -> AnyView {
    let rows = Memo::new(move |_| {
        obj.with(|o| match o {
            Ok(o) => form::kv_rows(o.get("additionalInfo")),
            Err(e) => Err(e.to_string()),
        })
    });
    let write = move |new: Vec<(String, String)>| {
        if let Ok(r) = form::edit_kv(&raw.get_untracked(), &new) {
            raw.set(r);
        }
    };
    let current = move || rows.get_untracked().unwrap_or_default();
    let count = move || rows.with(|r| r.as_ref().map_or(0, Vec::len));
    let add = move |_| {
        let mut r = current();
        // The contract's two keys first; then a placeholder (a row without a key is not written).
        let key = ["responseCode", "responseDesc"]
            .into_iter()
            .find(|k| !r.iter().any(|(x, _)| x == k))
            .unwrap_or("key");
        r.push((key.to_owned(), String::new()));
        write(r);
    };
    view! {
        <div class="tx-kv" id="tx-f-additionalInfo">
            {move || match rows.get() {
                Err(text) => view! {
                    <p class="tx-field-warning">
                        "Not a JSON object, so it cannot be edited as rows: " {text}
                        " — edit it in the raw JSON."
                    </p>
                }
                    .into_any(),
                Ok(_) => ().into_any(),
            }}
            <For each=move || 0..count() key=|i| *i let:i>
                <div class="tx-kv-row">
                    <input
                        type="text"
                        aria-label=format!("additionalInfo key {}", i + 1)
                        prop:value=move || rows.with(|r| r.as_ref().ok().and_then(|r| r.get(i)).map(|r| r.0.clone()).unwrap_or_default())
                        on:change=move |ev| {
                            let mut r = current();
                            if let Some(row) = r.get_mut(i) {
                                row.0 = event_target_value(&ev);
                            }
                            write(r);
                        }
                    />
                    <input
                        type="text"
                        aria-label=format!("additionalInfo value {}", i + 1)
                        prop:value=move || rows.with(|r| r.as_ref().ok().and_then(|r| r.get(i)).map(|r| r.1.clone()).unwrap_or_default())
                        on:input=move |ev| {
                            let mut r = current();
                            if let Some(row) = r.get_mut(i) {
                                row.1 = event_target_value(&ev);
                            }
                            write(r);
                        }
                    />
                    <button
                        type="button"
                        aria-label=format!("remove additionalInfo row {}", i + 1)
                        on:click=move |_| {
                            let mut r = current();
                            if i < r.len() {
                                r.remove(i);
                            }
                            write(r);
                        }
                    >
                        "×"
                    </button>
                </div>
            </For>
            <button type="button" on:click=add disabled=move || rows.with(Result::is_err)>
                "Add a key"
            </button>
        </div>
    }
    .into_any()
}

/// Whether a finding's field (`additionalInfo.responseCode`) is about form field `name`.
fn about(field: &str, name: &str) -> bool {
    field
        .strip_prefix(name)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// Findings not about a field of the form: the body, unknown or near-miss names.
pub(super) fn other_findings(v: &Verdict<'_>, api: Api) -> AnyView {
    let known = |f: &str| fields::table(api).iter().any(|s| about(f, s.name));
    let errors: Vec<String> = v
        .errors
        .iter()
        .filter(|e| !known(&e.field))
        .map(|e| format!("{} {}: {}", e.code.number(), e.field, e.message))
        .collect();
    let warnings: Vec<String> = v
        .warnings
        .iter()
        .filter(|w| !known(&w.field))
        .map(|w| format!("{}: {}", w.field, w.message))
        .collect();
    view! {
        <ul class="tx-findings">
            {errors.into_iter().map(|e| view! { <li class="tx-field-error">{e}</li> }).collect_view()}
            {warnings.into_iter().map(|w| view! { <li class="tx-field-warning">"⚠ " {w}</li> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::about;

    #[test]
    fn findings_belong_to_their_field() {
        assert!(about("additionalInfo", "additionalInfo"));
        assert!(about("additionalInfo.responseCode", "additionalInfo"));
        assert!(!about("additionalInfoX", "additionalInfo"));
        assert!(!about("refTransID", "refTransId"));
    }
}
