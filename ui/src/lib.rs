//! txstate-ui: the Leptos web app for support staff, built with trunk from the root
//! `index.html` and served by the server at `/`. It validates with the same core the server
//! uses, so the verdict on the page is the server's.
//!
//! - [`app`]: the shell — shared state, pages and addresses, log in, navigation, live events.
//! - `pages`: one file per page (compose, dashboard, report, voice, requests, admin, batch).
//! - [`api`]: the typed client of the server.
//! - Logic the pages use, plain and tested natively: [`form`] (form ↔ JSON), [`batch`]
//!   (files of payloads), [`csv`], [`curl`], [`templates`].
//! - [`browser`]: storage, downloads, clipboard, timers; [`widgets`]: shared view pieces.
//!
//! JavaScript (exported by `main.rs`): [`mount`] embeds the app, or one page of it, in a host
//! page.

pub mod api;
pub mod app;
pub mod batch;
pub mod browser;
pub mod csv;
pub mod curl;
pub mod export;
pub mod form;
mod pages;
pub mod templates;
pub mod widgets;

use wasm_bindgen::{JsCast, JsValue};

/// The element `index.html` gives the full app.
pub const APP_ELEMENT: &str = "txstate-app";

/// Mounts the full app on `index.html`'s `#txstate-app`, if the page has one (a host page that
/// embeds the app calls [`mount`] instead).
pub fn start() {
    console_panics();
    let el = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(APP_ELEMENT))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(el) = el {
        el.set_inner_html("");
        mount_options(el, app::Options::default());
    }
}

fn console_panics() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&JsValue::from_str(&format!("txstate-ui: {info}")));
    }));
}

fn mount_options(el: web_sys::HtmlElement, options: app::Options) {
    leptos::mount::mount_to(el, move || {
        leptos::view! { <app::App options=options /> }
    })
    .forget();
}

fn string_option(options: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    let v = js_sys::Reflect::get(options, &JsValue::from_str(name))?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| {
        js_sys::TypeError::new(&format!("mount: option `{name}` must be a string")).into()
    })
}

/// Embeds the app in `element`: `mount(el, {baseUrl, token, page})`. `baseUrl` is the
/// txstate server (default: this page's origin); `token` the admin token (without it the app
/// asks); `page` shows one page alone (`compose`, `dashboard`, `report/<deploymentId>`,
/// `voice`, `requests`, `admin`, `batch`), without it the whole app with its navigation.
/// (Exported to JavaScript by `main.rs`.)
pub fn mount(element: web_sys::HtmlElement, options: JsValue) -> Result<(), JsValue> {
    let page = string_option(&options, "page")?;
    if let Some(p) = &page {
        let name = p.split('/').next().unwrap_or_default();
        if !app::NAV.iter().any(|(n, _)| *n == name) {
            let names: Vec<&str> = app::NAV.iter().map(|(n, _)| *n).collect();
            return Err(js_sys::RangeError::new(&format!(
                "mount: unknown page `{p}`; one of: {}",
                names.join(", ")
            ))
            .into());
        }
    }
    mount_options(
        element,
        app::Options {
            base_url: string_option(&options, "baseUrl")?.unwrap_or_default(),
            token: string_option(&options, "token")?,
            page,
        },
    );
    Ok(())
}
