//! Response summary: the Action Deployment Response Summary of one deployment, NOT SPECIFIED
//! rows included, with a CSV download (the server's CSV, formula cells defused).

use leptos::prelude::*;
use leptos::task::spawn_local;
use txstate_core::Channel;

use crate::app::{Ctx, Page};
use crate::browser;
use crate::widgets::{head, pct, problem, ready};

#[component]
pub fn Report(id: Option<String>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let chosen = id.clone();
    let selected_id = id.clone().unwrap_or_default();
    let deployments = move || {
        ctx.catalog
            .get()
            .deployments
            .into_iter()
            .filter(|d| d.channel == Channel::ExternalAction)
            .collect::<Vec<_>>()
    };
    let pick = move |ev| {
        let v = event_target_value(&ev);
        ctx.go(Page::Report((!v.is_empty()).then_some(v)));
    };
    view! {
        <section class="tx-page" aria-labelledby="report-title">
            <h1 id="report-title">"Action Deployment Response Summary"</h1>
            <label>
                "Deployment "
                <select id="tx-report-deployment" on:change=pick prop:value=selected_id>
                    <option value="">"— choose —"</option>
                    {move || {
                        deployments()
                            .into_iter()
                            .map(|d| {
                                let label = format!("{} ({})", d.name, d.id);
                                let selected = Some(&d.id) == chosen.as_ref();
                                view! { <option value=d.id.clone() selected=selected>{label}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
            {id.map(|id| view! { <Summary id=id /> })}
        </section>
    }
}

#[component]
fn Summary(id: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let dep = id.clone();
    let data = LocalResource::new(move || {
        ctx.changes.track();
        let (client, dep) = (ctx.client(), dep.clone());
        async move { client.report(&dep).await }
    });
    let error = RwSignal::new(None);
    let download = move |_| {
        let (client, id) = (ctx.client(), id.clone());
        spawn_local(async move {
            match client.report_csv(&id).await {
                Ok(csv) => {
                    error.set(None);
                    browser::download(&format!("report-{id}.csv"), "text/csv", &csv);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <button type="button" id="tx-report-csv" on:click=download>"Download CSV"</button>
        {move || error.get().map(|e| problem(&e))}
        {move || match ready(data.get()) {
            Err(waiting) => waiting,
            Ok(rows) => view! {
                <div class="tx-scroll">
                <table class="tx-table" data-testid="report">
                    {head(&["Response state", "Response code", "Description", "#Count", "#Percent"])}
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <tr>
                                        <td>{r.response_state.as_str()}</td>
                                        <td>{r.response_code.clone().unwrap_or_default()}</td>
                                        <td>{r.response_description.clone()}</td>
                                        <td class="tx-num">{r.count}</td>
                                        <td class="tx-num">{pct(r.percent)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
                </div>
            }
                .into_any(),
        }}
    }
}
