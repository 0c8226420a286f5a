//! Batch validate: a dropped or chosen file (JSON array, NDJSON, CSV) validated in the browser
//! in chunks, the page responsive, with a progress bar, a summary by code, the failing rows and
//! the results as a CSV download.

use leptos::prelude::*;
use leptos::task::spawn_local;
use txstate_core::{Api, Options};

use crate::app::Ctx;
use crate::batch::{self, RowResult, Summary, CHUNK};
use crate::browser;
use crate::widgets::problem;

/// Failing rows listed on the page (the CSV has all).
const SHOWN: usize = 100;

#[component]
pub fn Batch() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let choice = RwSignal::new(String::from("auto"));
    let progress = RwSignal::new(None::<(usize, usize)>);
    let results = RwSignal::new(None::<(String, Api, Vec<RowResult>)>);
    let error = RwSignal::new(None::<String>);
    let input = NodeRef::<leptos::html::Input>::new();
    let running = RwSignal::new(false);

    let start = move |file: web_sys::File| {
        if running.get_untracked() {
            return;
        }
        running.set(true);
        error.set(None);
        results.set(None);
        spawn_local(async move {
            let outcome = async {
                let text = browser::read_file(&file).await?;
                let b = batch::read(&text)?;
                let api = match choice.get_untracked().as_str() {
                    "notify" => Api::Notify,
                    "voice" => Api::Voice,
                    _ => b
                        .api
                        .ok_or("the file's rows name no field of either API: choose the API")?,
                };
                let total = b.rows.len();
                let catalog = ctx.catalog.get_untracked();
                let profile = ctx.info.get_untracked().status_profile;
                let mut out = Vec::with_capacity(total);
                for chunk in b.rows.chunks(CHUNK) {
                    let opts = Options {
                        catalog: Some(&catalog),
                        now_ms: Some(browser::epoch_ms()),
                        profile,
                    };
                    out.extend(batch::check(api, chunk, &opts));
                    progress.set(Some((out.len(), total)));
                    // Let the browser paint and handle input between chunks.
                    browser::sleep(0).await;
                }
                let label = format!("{} · {} · {} rows", file.name(), b.format.label(), total);
                Ok::<_, String>((label, api, out))
            }
            .await;
            match outcome {
                Ok(r) => results.set(Some(r)),
                Err(e) => error.set(Some(e)),
            }
            running.set(false);
        });
    };
    let on_pick = move |_| {
        if let Some(f) = input.get().and_then(|i| i.files()).and_then(|l| l.get(0)) {
            start(f);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(f) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|l| l.get(0))
        {
            start(f);
        }
    };
    let download = move |_| {
        if let Some((label, _, r)) = results.get_untracked() {
            let name = label.split(" · ").next().unwrap_or("batch");
            browser::download(
                &format!("{name}.results.csv"),
                "text/csv",
                &batch::results_csv(&r),
            );
        }
    };
    view! {
        <section class="tx-page" aria-labelledby="batch-title">
            <h1 id="batch-title">"Batch validate"</h1>
            <p>
                "A JSON array, NDJSON (one payload per line) or CSV whose header names the contract's fields. "
                "Validated here in the browser with the server's catalog; nothing is sent."
            </p>
            <label>
                "API "
                <select id="tx-batch-api" on:change=move |ev| choice.set(event_target_value(&ev))>
                    <option value="auto">"from the file"</option>
                    <option value="notify">"notify"</option>
                    <option value="voice">"voice"</option>
                </select>
            </label>
            <div class="tx-drop" on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
                <label for="tx-batch-file">"Drop a file here, or choose one: "</label>
                <input id="tx-batch-file" type="file" accept=".json,.ndjson,.jsonl,.csv,.txt,application/json,text/csv" node_ref=input on:change=on_pick />
            </div>
            {move || progress.get().map(|(done, total)| view! {
                <label class="tx-progress">
                    {format!("Validated {done} of {total}")}
                    <progress data-testid="batch-progress" max=total.max(1) value=done></progress>
                </label>
            })}
            {move || error.get().map(|e| problem(&crate::api::Failure { status: 0, message: e }))}
            {move || results.get().map(|(label, api, r)| {
                let s = batch::summarize(&r);
                view! {
                    <h2>{label} " as " {api.name()}</h2>
                    {summary_view(&s)}
                    <button type="button" id="tx-batch-csv" on:click=download>"Download the results (CSV)"</button>
                    {failing(&r)}
                }
            })}
        </section>
    }
}

fn summary_view(s: &Summary) -> AnyView {
    let head = format!(
        "{} rows: {} would be accepted, {} refused",
        s.total,
        s.ok,
        s.total - s.ok
    );
    view! {
        <p data-testid="batch-summary">{head}</p>
        <table class="tx-table">
            <thead><tr><th scope="col">"Code"</th><th scope="col">"Meaning"</th><th scope="col" class="tx-num">"Rows"</th></tr></thead>
            <tbody>
                {s.by_code.iter().map(|(c, d, n)| view! {
                    <tr><th scope="row">{c.clone()}</th><td>{d.clone()}</td><td class="tx-num">{*n}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn failing(r: &[RowResult]) -> AnyView {
    let bad: Vec<&RowResult> = r.iter().filter(|r| !r.ok).collect();
    if bad.is_empty() {
        return ().into_any();
    }
    let note = if bad.len() > SHOWN {
        format!(
            "The first {SHOWN} of {} failing rows (the CSV has all):",
            bad.len()
        )
    } else {
        "Failing rows:".to_owned()
    };
    view! {
        <h3>{note}</h3>
        <div class="tx-scroll">
            <table class="tx-table" data-testid="batch-failing">
                <thead><tr><th scope="col">"Line"</th><th scope="col">"Code"</th><th scope="col">"Field"</th><th scope="col">"Problem"</th></tr></thead>
                <tbody>
                    {bad.into_iter().take(SHOWN).map(|r| view! {
                        <tr>
                            <td class="tx-num">{r.line}</td>
                            <td>{batch::code_label(r.code)}</td>
                            <td>{r.field.clone()}</td>
                            <td>{r.message.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
