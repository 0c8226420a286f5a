//! One file per page; [`show`] picks the page for an address.

mod admin;
mod batch;
mod compose;
mod compose_fields;
mod dashboard;
mod report;
mod request;
mod requests;
mod voice;

use leptos::prelude::*;

use crate::app::Page;

/// The view of `page`.
pub fn show(page: Page) -> AnyView {
    match page {
        Page::Compose => view! { <compose::Compose /> }.into_any(),
        Page::Dashboard => view! { <dashboard::Dashboard /> }.into_any(),
        Page::Report(id) => view! { <report::Report id=id /> }.into_any(),
        Page::Voice => view! { <voice::Voice /> }.into_any(),
        Page::Requests(query) => view! { <requests::Requests query=query /> }.into_any(),
        Page::Request(id) => view! { <request::Request id=id /> }.into_any(),
        Page::Admin(deployment) => view! { <admin::Admin deployment=deployment /> }.into_any(),
        Page::Batch => view! { <batch::Batch /> }.into_any(),
    }
}
