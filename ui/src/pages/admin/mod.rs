//! Admin: API users, External Actions and deployments, one file each; what they share is here
//! (the outcome line, the confirmed delete, a value's wire name).

mod actions;
mod deployments;
mod users;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::Failure;
use crate::app::Ctx;
use crate::browser;
use crate::widgets::problem;

/// The outcome of an admin change, for the page.
pub(crate) type Outcome = RwSignal<Option<Result<String, Failure>>>;

/// A failure of the form itself (nothing was sent).
pub(crate) fn form_error(outcome: Outcome, message: String) {
    outcome.set(Some(Err(Failure { status: 0, message })));
}

/// Asks `question`; if confirmed, deletes `path`, says `done` (or what failed), then `after`.
pub(crate) fn delete_confirmed(
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

pub(crate) fn outcome_view(o: Outcome) -> impl IntoView {
    move || {
        o.get().map(|r| match r {
            Ok(m) => view! { <p class="tx-ok" role="status">{m}</p> }.into_any(),
            Err(e) => problem(&e),
        })
    }
}

/// A value's wire name (`running`, `async`, ...).
pub(crate) fn wire(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The admin page; `deployment` opens that deployment in the deployment form (to edit it, or
/// to create it with that id when it does not exist: "Create deployment" on a 1102).
#[component]
pub fn Admin(deployment: Option<String>) -> impl IntoView {
    view! {
        <section class="tx-page" aria-labelledby="admin-title">
            <h1 id="admin-title">"Admin"</h1>
            <deployments::Deployments open=deployment />
            <actions::Actions />
            <users::ApiUsers />
        </section>
    }
}
