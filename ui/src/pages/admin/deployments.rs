//! Deployments: created with a given id (prefilled from a refused request's 1102) or a
//! generated one, every field edited in place, and transaction ids registered under one
//! (pasted or from a file, thousands at a time).

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};
use txstate_core::{Channel, Deployment, DeploymentStatus, DeploymentType};

use super::{delete_confirmed, form_error, outcome_view, Outcome};
use crate::app::{encode, Ctx};
use crate::browser;
use crate::widgets::{area_field, head, same, select_field, text_field};

/// Ids sent in one registration request (the server takes up to 100,000).
const CHUNK: usize = 10_000;

/// The transaction ids in pasted text or a file: separated by line breaks, commas, semicolons
/// or spaces, quotes around them dropped, each once, in their order.
pub fn parse_ids(text: &str) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .map(|t| t.trim_matches(|c| c == '"' || c == '\''))
        .filter(|t| !t.is_empty() && seen.insert(*t))
        .map(str::to_owned)
        .collect()
}

/// A deployment's form, as typed.
#[derive(Clone, Copy)]
struct Form {
    /// The deployment being edited (`None`: a new one).
    editing: RwSignal<Option<String>>,
    id: RwSignal<String>,
    name: RwSignal<String>,
    channel: RwSignal<String>,
    kind: RwSignal<String>,
    status: RwSignal<String>,
    action: RwSignal<String>,
}

impl Form {
    fn new() -> Form {
        let f = Form {
            editing: RwSignal::new(None),
            id: RwSignal::new(String::new()),
            name: RwSignal::new(String::new()),
            channel: RwSignal::new(String::new()),
            kind: RwSignal::new(String::new()),
            status: RwSignal::new(String::new()),
            action: RwSignal::new(String::new()),
        };
        f.blank("");
        f
    }

    /// Fills the form to edit `d`.
    fn edit(self, d: &Deployment) {
        self.editing.set(Some(d.id.clone()));
        self.id.set(d.id.clone());
        self.name.set(d.name.clone());
        self.channel.set(d.channel.name().to_owned());
        self.kind.set(d.kind.name().to_owned());
        self.status.set(d.status.name().to_owned());
        self.action.set(d.action_id.clone().unwrap_or_default());
    }

    /// Empties the form for a new deployment, with `id` when given.
    fn blank(self, id: &str) {
        self.editing.set(None);
        self.id.set(id.to_owned());
        self.name.set(String::new());
        self.channel.set(Channel::ExternalAction.name().to_owned());
        self.kind.set(DeploymentType::Onetime.name().to_owned());
        self.status
            .set(DeploymentStatus::default().name().to_owned());
        self.action.set(String::new());
    }

    fn body(self) -> Value {
        let (id, a) = (self.id.get_untracked(), self.action.get_untracked());
        let mut b = json!({
            "name": self.name.get_untracked(),
            "channel": self.channel.get_untracked(),
            "type": self.kind.get_untracked(),
            "status": self.status.get_untracked(),
            "actionId": if a.is_empty() { Value::Null } else { Value::String(a) },
        });
        if self.editing.get_untracked().is_none() && !id.trim().is_empty() {
            b["id"] = Value::String(id.trim().to_owned());
        }
        b
    }
}

#[component]
pub fn Deployments(open: Option<String>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let outcome: Outcome = RwSignal::new(None);
    let form = Form::new();
    let form_ref = NodeRef::<html::Form>::new();
    let register = RwSignal::new(None::<String>);
    // A deployment asked for by address: edited when it exists (as the server says now: the
    // page's catalog may still be loading), else offered for creation with its id.
    if let Some(id) = open {
        form.blank(&id);
        spawn_local(async move {
            if let Ok(catalog) = ctx.client().catalog().await {
                if let Some(d) = catalog.deployments.iter().find(|d| d.id == id) {
                    form.edit(d);
                }
            }
            browser::sleep(0).await;
            if let Some(f) = form_ref.get_untracked() {
                f.scroll_into_view();
            }
        });
    }
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if form.name.get_untracked().trim().is_empty() {
            return form_error(outcome, "name: give the deployment a name".into());
        }
        let body = form.body();
        let target = form.editing.get_untracked();
        spawn_local(async move {
            let r = ctx.client().save_deployment(target.as_deref(), &body).await;
            if r.is_ok() {
                form.blank("");
            }
            let verb = if target.is_some() { "Saved" } else { "Created" };
            outcome.set(Some(
                r.map(|d| format!("{verb} deployment {} ({}).", d.name, d.id)),
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
                <table class="tx-table" data-testid="deployments">
                    {head(&["Deployment", "Channel", "Type", "Status", "Action", ""])}
                    <tbody>
                        {move || {
                            let catalog = ctx.catalog.get();
                            catalog
                                .deployments
                                .iter()
                                .map(|d| {
                                    let (d2, i1, i2) = (d.clone(), d.id.clone(), d.id.clone());
                                    let action = match d.action_id.as_deref() {
                                        None => "— none —".to_owned(),
                                        Some(a) => catalog
                                            .action(a)
                                            .map_or_else(|| format!("{a} (missing)"), |x| x.name.clone()),
                                    };
                                    view! {
                                        <tr>
                                            <th scope="row">{d.name.clone()}<div class="tx-muted tx-id">{d.id.clone()}</div></th>
                                            <td>{d.channel.name()}</td>
                                            <td>{d.kind.name()}</td>
                                            <td>{d.status.name()}</td>
                                            <td>{action}</td>
                                            <td class="tx-actions">
                                                <button type="button" on:click=move |_| {
                                                    form.edit(&d2);
                                                    if let Some(f) = form_ref.get_untracked() { f.scroll_into_view(); }
                                                }>"Edit"</button>
                                                <button type="button" on:click=move |_| register.set(Some(i1.clone()))>"Register ids"</button>
                                                <button type="button" on:click=move |_| remove(i2.clone())>"Delete"</button>
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </div>
            {move || register.get().map(|id| view! { <Register id=id close=register /> })}
            <form class="tx-form-grid" on:submit=save node_ref=form_ref>
                <h3>{move || form.editing.get().map_or_else(|| "New deployment".to_owned(), |id| format!("Edit deployment {id}"))}</h3>
                <label for="tx-dep-id">"Id (blank: generated in the platform's shape)"</label>
                <input id="tx-dep-id" class="tx-id" placeholder="API_1605176965390000881" prop:value=move || form.id.get()
                    readonly=move || form.editing.get().is_some()
                    on:input=move |ev| form.id.set(event_target_value(&ev)) />
                {text_field("tx-dep-name", "Name", form.name)}
                {select_field("tx-dep-channel", "Channel", same(Channel::ALL.map(Channel::name)), form.channel)}
                {select_field("tx-dep-type", "Type (notifications: onetime and recurring only)", same(DeploymentType::ALL.map(DeploymentType::name)), form.kind)}
                {select_field("tx-dep-status", "Status", same(DeploymentStatus::ALL.map(DeploymentStatus::name)), form.status)}
                <label for="tx-dep-action">"External Action"</label>
                <select id="tx-dep-action" prop:value=move || form.action.get() on:change=move |ev| form.action.set(event_target_value(&ev))>
                    <option value="">"— none (notifications get 1102) —"</option>
                    {move || {
                        let catalog = ctx.catalog.get();
                        let current = form.action.get_untracked();
                        let missing = (!current.is_empty() && catalog.action(&current).is_none())
                            .then(|| view! { <option value=current.clone()>{format!("{current} (missing: choose another)")}</option> });
                        view! {
                            {missing}
                            {catalog.actions.into_iter().map(|a| view! { <option value=a.id.clone()>{format!("{} ({})", a.name, a.id)}</option> }).collect_view()}
                        }
                    }}
                </select>
                <div>
                    <button type="submit">{move || if form.editing.get().is_some() { "Save deployment" } else { "Create deployment" }}</button>
                    <Show when=move || form.editing.get().is_some() || !form.id.get().is_empty()>
                        <button type="button" on:click=move |_| form.blank("")>"Cancel"</button>
                    </Show>
                </div>
            </form>
        </section>
    }
}

/// Registers transaction ids under deployment `id`, pasted or read from a file, in chunks.
#[component]
fn Register(id: String, close: RwSignal<Option<String>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let text = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let outcome: Outcome = RwSignal::new(None);
    let file = NodeRef::<html::Input>::new();
    let count = move || parse_ids(&text.get()).len();
    let dep = id.clone();
    let send = move |_| {
        let ids = parse_ids(&text.get_untracked());
        if ids.is_empty() {
            return form_error(
                outcome,
                "no transaction ids: paste them, or choose a file".into(),
            );
        }
        let dep = dep.clone();
        busy.set(true);
        spawn_local(async move {
            let client = ctx.client();
            let (mut received, mut registered) = (0u64, 0u64);
            for chunk in ids.chunks(CHUNK) {
                match client.register_transactions(&dep, chunk).await {
                    Ok(r) => {
                        received += r.received;
                        registered += r.registered;
                        outcome.set(Some(Ok(format!("Sent {received} of {}…", ids.len()))));
                    }
                    Err(e) => {
                        outcome.set(Some(Err(e)));
                        busy.set(false);
                        return;
                    }
                }
            }
            text.set(String::new());
            outcome.set(Some(Ok(format!(
                "Registered {registered} new transaction ids under {dep} ({received} sent, {} already registered). The dashboard counts those not yet notified as pending.",
                received - registered
            ))));
            busy.set(false);
        });
    };
    let pick = move |_| {
        if let Some(f) = file.get().and_then(|i| i.files()).and_then(|l| l.get(0)) {
            spawn_local(async move {
                match browser::read_file(&f).await {
                    Ok(t) => text.set(t),
                    Err(e) => form_error(outcome, e),
                }
            });
        }
    };
    view! {
        <div class="tx-secret" role="region" aria-label="Register transaction ids">
            <h3>"Register transaction ids under " <span class="tx-id">{id}</span></h3>
            {area_field("tx-reg-ids", "Transaction ids (one per line, or separated by commas or spaces)", text)}
            <label for="tx-reg-file">"…or a file of them: "</label>
            <input id="tx-reg-file" type="file" accept=".txt,.csv,text/plain,text/csv" node_ref=file on:change=pick />
            <p class="tx-muted" data-testid="register-count">{move || format!("{} distinct ids", count())}</p>
            <button type="button" disabled=move || busy.get() on:click=send>"Register"</button>
            <button type="button" on:click=move |_| close.set(None)>"Close"</button>
            {outcome_view(outcome)}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ids;

    #[test]
    fn ids_are_split_unquoted_and_kept_once() {
        assert_eq!(
            parse_ids("CC02_1\r\nCC02_2, \"CC02_3\";CC02_1\n\n 'CC02_4' CC02_5"),
            ["CC02_1", "CC02_2", "CC02_3", "CC02_4", "CC02_5"]
        );
        assert!(parse_ids(" ,\n;").is_empty());
    }
}
