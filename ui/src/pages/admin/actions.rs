//! External Actions: their response type, alert threshold and success / failure lists; an
//! action still mapped by deployments is deleted after moving them to another.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use txstate_core::{Action, Deployment, ResponseDef};

use super::{delete_confirmed, form_error, outcome_view, wire, Outcome};
use crate::app::{encode, Ctx};
use crate::widgets::{area_field, head, select_field, text_field};

/// Reads response definitions written one per line as `code = description` (or, as people
/// also write them, `code: description`). A code is one word: a line whose code would hold a
/// space is refused rather than stored as a code nobody sends.
pub fn parse_responses(text: &str) -> Result<Vec<ResponseDef>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let (code, desc) = l
                .split_once('=')
                .or_else(|| l.split_once(':'))
                .unwrap_or((l, ""));
            let code = code.trim();
            if code.is_empty() || code.contains(char::is_whitespace) {
                return Err(format!(
                    "line {} (\"{}\"): write `code = description`, the code one word",
                    i + 1,
                    l.trim()
                ));
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

/// An action's form, as typed.
#[derive(Clone, Copy)]
struct Form {
    editing: RwSignal<Option<String>>,
    name: RwSignal<String>,
    rtype: RwSignal<String>,
    threshold: RwSignal<String>,
    success: RwSignal<String>,
    failure: RwSignal<String>,
}

impl Form {
    fn new() -> Form {
        Form {
            editing: RwSignal::new(None),
            name: RwSignal::new(String::new()),
            rtype: RwSignal::new("async".to_owned()),
            threshold: RwSignal::new(String::new()),
            success: RwSignal::new(String::new()),
            failure: RwSignal::new(String::new()),
        }
    }

    /// Fills the form with `a` (to edit it), or empties it (`None`: a new action).
    fn fill(self, a: Option<&Action>) {
        self.editing.set(a.map(|a| a.id.clone()));
        self.name.set(a.map(|a| a.name.clone()).unwrap_or_default());
        self.rtype
            .set(a.map_or_else(|| "async".to_owned(), |a| wire(&a.response_type)));
        self.threshold.set(
            a.and_then(|a| a.alert_threshold_percent)
                .map(|t| t.to_string())
                .unwrap_or_default(),
        );
        self.success.set(
            a.map(|a| format_responses(&a.success_responses))
                .unwrap_or_default(),
        );
        self.failure.set(
            a.map(|a| format_responses(&a.failure_responses))
                .unwrap_or_default(),
        );
    }

    /// The admin API's body, or what is wrong with the form.
    fn body(self) -> Result<Value, String> {
        let t = self.threshold.get_untracked();
        let threshold: Option<f64> = match t.trim() {
            "" => None,
            t => Some(
                t.parse()
                    .map_err(|_| "alert threshold: a percentage, like 20".to_owned())?,
            ),
        };
        let rt = self.rtype.get_untracked();
        Ok(json!({
            "name": self.name.get_untracked(),
            "responseType": if rt.is_empty() { Value::Null } else { Value::String(rt) },
            "alertThresholdPercent": threshold,
            "successResponses": parse_responses(&self.success.get_untracked()).map_err(|e| format!("success responses, {e}"))?,
            "failureResponses": parse_responses(&self.failure.get_untracked()).map_err(|e| format!("failure responses, {e}"))?,
        }))
    }
}

#[component]
pub fn Actions() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let outcome: Outcome = RwSignal::new(None);
    let form = Form::new();
    // An action to delete that deployments still map: (action id, where to move them).
    let moving = RwSignal::new(None::<(String, String)>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = match form.body() {
            Ok(b) => b,
            Err(m) => return form_error(outcome, m),
        };
        let target = form.editing.get_untracked();
        spawn_local(async move {
            let r = ctx.client().save_action(target.as_deref(), &body).await;
            if r.is_ok() {
                form.fill(None);
            }
            outcome.set(Some(
                r.map(|a| format!("Saved action {} ({}).", a.name, a.id)),
            ));
            ctx.reload_catalog();
        });
    };
    let users_of = move |id: &str| -> Vec<Deployment> {
        ctx.catalog
            .get()
            .deployments
            .into_iter()
            .filter(|d| d.action_id.as_deref() == Some(id))
            .collect()
    };
    let remove = move |id: String| {
        if users_of(&id).is_empty() {
            delete_confirmed(
                ctx,
                outcome,
                format!("Delete action {id}?"),
                format!("/actions/{}", encode(&id)),
                format!("Deleted action {id}."),
                move || ctx.reload_catalog(),
            );
        } else {
            moving.set(Some((id, String::new())));
        }
    };
    let move_and_delete = move |_| {
        let Some((id, to)) = moving.get_untracked() else {
            return;
        };
        let deps = users_of(&id);
        spawn_local(async move {
            let client = ctx.client();
            for d in &deps {
                let body = json!({"name": d.name, "channel": d.channel, "type": d.kind,
                    "status": d.status, "actionId": if to.is_empty() { Value::Null } else { Value::String(to.clone()) }});
                if let Err(e) = client.save_deployment(Some(&d.id), &body).await {
                    outcome.set(Some(Err(e)));
                    ctx.reload_catalog();
                    return;
                }
            }
            let r = client.delete(&format!("/actions/{}", encode(&id))).await;
            outcome.set(Some(r.map(|()| {
                format!(
                    "Moved {} deployment(s) and deleted action {id}.",
                    deps.len()
                )
            })));
            moving.set(None);
            ctx.reload_catalog();
        });
    };
    view! {
        <section aria-labelledby="actions-title" class="tx-card">
            <h2 id="actions-title">"External Actions"</h2>
            {outcome_view(outcome)}
            {move || moving.get().map(|(id, to)| {
                let deps = users_of(&id);
                let names = deps.iter().map(|d| format!("{} ({})", d.name, d.id)).collect::<Vec<_>>().join(", ");
                let others: Vec<Action> = ctx.catalog.get().actions.into_iter().filter(|a| a.id != id).collect();
                view! {
                    <div class="tx-secret" role="region" aria-label="Move deployments before deleting">
                        <p>"Action " <span class="tx-id">{id.clone()}</span> " is mapped by " {names} ". Move them to:"</p>
                        <label for="tx-action-move">"Map them to"</label>
                        <select id="tx-action-move" prop:value=to on:change=move |ev| moving.update(|m| if let Some(m) = m { m.1 = event_target_value(&ev) })>
                            <option value="">"— no action (their notifications get 1102) —"</option>
                            {others.into_iter().map(|a| view! { <option value=a.id.clone()>{a.name.clone()}</option> }).collect_view()}
                        </select>
                        <button type="button" on:click=move_and_delete>"Move and delete"</button>
                        <button type="button" on:click=move |_| moving.set(None)>"Cancel"</button>
                    </div>
                }
            })}
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
                                                <button type="button" on:click=move |_| form.fill(Some(&a2))>"Edit"</button>
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
                <h3>{move || form.editing.get().map_or_else(|| "New action".to_owned(), |id| format!("Edit action {id}"))}</h3>
                {text_field("tx-action-name", "Name", form.name)}
                {select_field("tx-action-type", "Response type", vec![
                    ("async".into(), "asynchronous (takes notifications)".into()),
                    ("sync".into(), "synchronous".into()),
                    (String::new(), "not set".into()),
                ], form.rtype)}
                {text_field("tx-action-threshold", "Alert if more than this % fail within an hour", form.threshold)}
                {area_field("tx-action-success", "Success responses (one per line: code = description)", form.success)}
                {area_field("tx-action-failure", "Failure responses (one per line: code = description)", form.failure)}
                <div>
                    <button type="submit">"Save action"</button>
                    <Show when=move || form.editing.get().is_some()>
                        <button type="button" on:click=move |_| form.fill(None)>"Cancel"</button>
                    </Show>
                </div>
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
        let colon = parse_responses("500: Upstream down").unwrap();
        assert_eq!(
            (colon[0].code.as_str(), colon[0].description.as_str()),
            ("500", "Upstream down")
        );
        assert!(parse_responses("500 Upstream down")
            .unwrap_err()
            .contains("one word"));
    }
}
