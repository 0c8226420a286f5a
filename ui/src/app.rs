//! The app's shell: shared state (one [`Ctx`] per mounted app), the pages and their
//! addresses, log in / log out, the navigation, and the live events feed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use txstate_core::{Api, Catalog};

use crate::api::{Client, ServerInfo};
use crate::browser;
use crate::pages;

/// Where the admin token is kept for the browser session.
const TOKEN_KEY: &str = "txstate.adminToken";
/// Where the choice of UTC over local time is kept for the browser session.
const UTC_KEY: &str = "txstate.utc";

/// A page and what it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    /// Compose & test.
    Compose,
    /// Counts per deployment, live.
    Dashboard,
    /// The response summary of one deployment (or the choice of one).
    Report(Option<String>),
    /// Voice calls.
    Voice,
    /// The request log, with its filter and page (`q=…&code=…&offset=…`).
    Requests(String),
    /// One logged request.
    Request(String),
    /// Actions, deployments, API users; with a deployment id: that deployment in its form
    /// (edited, or offered for creation with that id).
    Admin(Option<String>),
    /// Validate a file of payloads.
    Batch,
}

/// The navigation: (address, label).
pub const NAV: &[(&str, &str)] = &[
    ("compose", "Compose & test"),
    ("dashboard", "Dashboard"),
    ("report", "Response summary"),
    ("voice", "Voice"),
    ("requests", "Request log"),
    ("admin", "Admin"),
    ("batch", "Batch validate"),
];

impl Page {
    /// Reads `#/name[/arg]` (or a bare page name, as `mount`'s `page` option).
    pub fn parse(s: &str) -> Page {
        let s = s.trim_start_matches('#').trim_start_matches('/');
        let (s, query) = s.split_once('?').unwrap_or((s, ""));
        let (name, arg) = match s.split_once('/') {
            Some((n, a)) => (n, Some(decode(a))),
            None => (s, None),
        };
        match (name, arg) {
            ("dashboard", _) => Page::Dashboard,
            ("report", a) => Page::Report(a.filter(|a| !a.is_empty())),
            ("voice", _) => Page::Voice,
            ("requests", Some(id)) if !id.is_empty() => Page::Request(id),
            ("requests", _) => Page::Requests(query.to_owned()),
            ("admin", a) => Page::Admin(
                a.and_then(|a| a.strip_prefix("deployment/").map(str::to_owned))
                    .filter(|id| !id.is_empty()),
            ),
            ("batch", _) => Page::Batch,
            _ => Page::Compose,
        }
    }

    /// The page's address.
    pub fn hash(&self) -> String {
        match self {
            Page::Report(Some(id)) => format!("#/report/{}", encode(id)),
            Page::Request(id) => format!("#/requests/{}", encode(id)),
            Page::Requests(q) if !q.is_empty() => format!("#/requests?{q}"),
            Page::Admin(Some(id)) => format!("#/admin/deployment/{}", encode(id)),
            other => format!("#/{}", other.nav()),
        }
    }

    /// The navigation entry it belongs to.
    pub fn nav(&self) -> &'static str {
        match self {
            Page::Compose => "compose",
            Page::Dashboard => "dashboard",
            Page::Report(_) => "report",
            Page::Voice => "voice",
            Page::Requests(_) | Page::Request(_) => "requests",
            Page::Admin(_) => "admin",
            Page::Batch => "batch",
        }
    }
}

pub(crate) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One send from the composer, for the session history.
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    /// Which API.
    pub api: Api,
    /// The body sent.
    pub body: String,
    /// HTTP status answered.
    pub status: u16,
    /// The code answered.
    pub code: Option<u16>,
    /// Whether it matched the local verdict.
    pub agreed: bool,
    /// When (browser clock, epoch ms).
    pub at_ms: i64,
}

/// The state one mounted app shares between its pages.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    /// The server and admin token; `None` until logged in.
    pub client: RwSignal<Option<Client>>,
    /// What the server said about itself.
    pub info: RwSignal<ServerInfo>,
    /// The server's catalog, for local validation.
    pub catalog: RwSignal<Catalog>,
    /// The page shown.
    pub page: RwSignal<Page>,
    /// One page only, no navigation (an embedded page).
    pub single: bool,
    /// Bumped whenever the server reports a change (events stream).
    pub changes: RwSignal<u64>,
    /// Whether the events stream is connected.
    pub live: RwSignal<bool>,
    /// The composer's API (kept while visiting other pages).
    pub draft_api: RwSignal<Api>,
    /// The composer's raw JSON (kept while visiting other pages; "open in composer" sets it).
    pub draft: RwSignal<String>,
    /// What the composer sent in this session.
    pub history: RwSignal<Vec<Sent>>,
    /// The API key for sending: in memory only, never stored.
    pub api_key: RwSignal<String>,
    /// Base URL of the server ("": this page's).
    pub base: StoredValue<String>,
}

impl Ctx {
    /// The client, or a clear failure when logged out.
    pub fn client(&self) -> Client {
        self.client
            .get_untracked()
            .unwrap_or_else(|| Client::new(&self.base.get_value(), ""))
    }

    /// Shows `page` (and records it in the address, unless embedded).
    pub fn go(&self, page: Page) {
        if !self.single {
            if let Some(w) = web_sys::window() {
                let _ = w.location().set_hash(&page.hash());
            }
        }
        self.page.set(page);
        self.announce();
    }

    /// Moves keyboard focus to the new page's heading once it is drawn, so a screen reader
    /// announces it and Tab continues from there (not in an embedded page: the host owns focus).
    fn announce(&self) {
        if !self.single {
            spawn_local(async {
                browser::sleep(0).await;
                browser::focus("#tx-main h1");
            });
        }
    }

    /// Opens `body` in the composer.
    pub fn compose(&self, api: Api, body: String) {
        self.draft_api.set(api);
        self.draft.set(body);
        self.go(Page::Compose);
    }

    /// Runs `fetch` with the client and writes its answer into `into` (a plain task and a
    /// signal: far less code in the module than a resource per page).
    pub fn load<T, F>(
        &self,
        fetch: impl FnOnce(Client) -> F + 'static,
        into: RwSignal<Option<Result<T, crate::api::Failure>>>,
    ) where
        F: std::future::Future<Output = Result<T, crate::api::Failure>> + 'static,
        T: Send + Sync + 'static,
    {
        let client = self.client();
        spawn_local(async move { into.set(Some(fetch(client).await)) });
    }

    /// Reloads the catalog (after an admin change, or a `catalog` event).
    pub fn reload_catalog(&self) {
        let ctx = *self;
        spawn_local(async move {
            if let Ok(c) = ctx.client().catalog().await {
                ctx.catalog.set(c);
            }
        });
    }

    fn log_in(&self, client: Client, info: ServerInfo) {
        if !self.single {
            browser::session_set(TOKEN_KEY, Some(&client.token));
        }
        self.info.set(info);
        self.client.set(Some(client));
        self.announce();
        self.reload_catalog();
        self.follow_events();
    }

    /// Forgets the token and the API key.
    pub fn log_out(&self) {
        browser::session_set(TOKEN_KEY, None);
        self.api_key.set(String::new());
        self.client.set(None);
    }

    /// Reads the events stream while logged in, reconnecting after a pause when it drops.
    /// Changes are coalesced: pages refetch at most a few times a second under load.
    fn follow_events(&self) {
        let ctx = *self;
        spawn_local(async move {
            let seen = std::rc::Rc::new(std::cell::Cell::new(0u64));
            let scheduled = std::rc::Rc::new(std::cell::Cell::new(false));
            while let Some(client) = ctx.client.get_untracked() {
                let Ok(abort) = web_sys::AbortController::new() else {
                    return;
                };
                ctx.live.set(true);
                let (seen2, scheduled2) = (seen.clone(), scheduled.clone());
                let result = client
                    .events(&abort.signal(), move |kind| {
                        if kind == "catalog" {
                            ctx.reload_catalog();
                        }
                        seen2.set(seen2.get() + 1);
                        if !scheduled2.replace(true) {
                            let (seen3, scheduled3) = (seen2.clone(), scheduled2.clone());
                            spawn_local(async move {
                                browser::sleep(250).await;
                                scheduled3.set(false);
                                ctx.changes.set(seen3.get());
                            });
                        }
                    })
                    .await;
                ctx.live.set(false);
                if ctx.client.get_untracked().as_ref() != Some(&client) {
                    return;
                }
                // Dropped (server restart, network): try again shortly.
                browser::sleep(if result.is_ok() { 1_000 } else { 3_000 }).await;
            }
        });
    }
}

/// Options of an app: where the server is, the admin token if the host has one, and the page
/// to show alone (embedding).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Base URL of the server ("": the page's origin).
    pub base_url: String,
    /// The admin token (embedding); otherwise the session's or the login form's.
    pub token: Option<String>,
    /// Show only this page, without navigation.
    pub page: Option<String>,
}

/// The whole app (or one page of it).
#[component]
pub fn App(options: Options) -> impl IntoView {
    let single = options.page.is_some();
    let initial = options
        .page
        .as_deref()
        .map(Page::parse)
        .or_else(|| {
            web_sys::window()
                .and_then(|w| w.location().hash().ok())
                .map(|h| Page::parse(&h))
        })
        .unwrap_or(Page::Compose);
    let ctx = Ctx {
        client: RwSignal::new(None),
        info: RwSignal::new(ServerInfo::default()),
        catalog: RwSignal::new(Catalog::default()),
        page: RwSignal::new(initial),
        single,
        changes: RwSignal::new(0),
        live: RwSignal::new(false),
        draft_api: RwSignal::new(Api::Notify),
        draft: RwSignal::new(crate::templates::first(Api::Notify).body.to_owned()),
        history: RwSignal::new(Vec::new()),
        api_key: RwSignal::new(String::new()),
        base: StoredValue::new(options.base_url.clone()),
    };
    provide_context(ctx);
    if !single {
        // Back and forward buttons, and links.
        let on_hash = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
            if let Some(h) = web_sys::window().and_then(|w| w.location().hash().ok()) {
                let p = Page::parse(&h);
                if ctx.page.get_untracked() != p {
                    ctx.page.set(p);
                    ctx.announce();
                }
            }
        });
        if let Some(w) = web_sys::window() {
            use wasm_bindgen::JsCast;
            let _ =
                w.add_event_listener_with_callback("hashchange", on_hash.as_ref().unchecked_ref());
        }
        on_hash.forget();
    }
    let token = options
        .token
        .clone()
        .or_else(|| (!single).then(|| browser::session_get(TOKEN_KEY)).flatten());
    let checking = RwSignal::new(token.is_some());
    if let Some(t) = token {
        let client = Client::new(&options.base_url, &t);
        spawn_local(async move {
            if let Ok(info) = client.info().await {
                ctx.log_in(client, info);
            } else {
                browser::session_set(TOKEN_KEY, None);
            }
            checking.set(false);
        });
    }
    crate::widgets::set_utc(browser::session_get(UTC_KEY).as_deref() == Some("1"));
    view! {
        <div class="tx-app" class:tx-single=single>
            {move || {
                if checking.get() {
                    view! { <p class="tx-muted" role="status">"Connecting…"</p> }.into_any()
                } else if ctx.client.with(Option::is_none) {
                    view! { <Login /> }.into_any()
                } else if single {
                    view! { <main class="tx-main">{move || pages::show(ctx.page.get())}</main> }.into_any()
                } else {
                    view! {
                        <button type="button" class="tx-skip" on:click=|_| browser::focus("#tx-main h1")>"Skip to the page"</button>
                        <Nav />
                        <main class="tx-main" id="tx-main">{move || pages::show(ctx.page.get())}</main>
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

#[component]
fn Nav() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let zone_changed = RwSignal::new(0u32);
    view! {
        <header class="tx-header">
            <a class="tx-brand" href="#/compose">"txstate"</a>
            <nav aria-label="Pages">
                <ul class="tx-nav">
                    {NAV
                        .iter()
                        .map(|(name, label)| {
                            view! {
                                <li>
                                    <a
                                        href=format!("#/{name}")
                                        aria-current=move || (ctx.page.get().nav() == *name).then_some("page")
                                    >
                                        {*label}
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
            <span class="tx-live" role="status" title="Live updates from the server">
                {move || if ctx.live.get() { "● live" } else { "○ offline" }}
            </span>
            <span class="tx-docs">
                <a
                    href=format!("{}/postman.json", ctx.base.get_value())
                    download="txstate.postman_collection.json"
                    title="Every request of both APIs with an example per outcome and tests: import it in Postman or run it with newman"
                >
                    "Postman collection"
                </a>
                <a href=format!("{}/openapi.json", ctx.base.get_value()) target="_blank" rel="noopener">
                    "OpenAPI"
                </a>
            </span>
            <button type="button" class="tx-link" data-testid="zone"
                title="Show times in your local time or in UTC"
                on:click=move |_| {
                    let on = !crate::widgets::utc();
                    crate::widgets::set_utc(on);
                    browser::session_set(UTC_KEY, Some(if on { "1" } else { "0" }));
                    zone_changed.update(|n| *n += 1);
                    ctx.page.set(ctx.page.get_untracked());
                }>
                {move || { zone_changed.track(); if crate::widgets::utc() { "Times: UTC" } else { "Times: local" } }}
            </button>
            <button type="button" class="tx-link" on:click=move |_| ctx.log_out()>
                "Log out"
            </button>
        </header>
    }
}

#[component]
fn Login() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let token = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let client = Client::new(&ctx.base.get_value(), token.get_untracked().trim());
        busy.set(true);
        spawn_local(async move {
            match client.info().await {
                Ok(info) => {
                    error.set(None);
                    ctx.log_in(client, info);
                }
                Err(e) if e.status == 401 => {
                    error.set(Some("That admin token is not this server's.".into()))
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="tx-login" on:submit=submit>
            <h1>"txstate"</h1>
            <p>"Support staff: log in with the server's admin token (kept for this browser tab only)."</p>
            <label for="tx-token">"Admin token"</label>
            <input
                id="tx-token"
                type="password"
                autocomplete="off"
                required
                prop:value=move || token.get()
                on:input=move |ev| token.set(event_target_value(&ev))
            />
            <button type="submit" disabled=move || busy.get()>"Log in"</button>
            {move || error.get().map(|e| view! { <p class="tx-error" role="alert">{e}</p> })}
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        for p in [
            Page::Compose,
            Page::Dashboard,
            Page::Report(None),
            Page::Report(Some("API_1605176965390000881".into())),
            Page::Voice,
            Page::Requests(String::new()),
            Page::Requests("code=1102&offset=50".into()),
            Page::Request("NTS_1/x y".into()),
            Page::Admin(None),
            Page::Admin(Some("API_1700000000000000777".into())),
            Page::Batch,
        ] {
            assert_eq!(Page::parse(&p.hash()), p, "{}", p.hash());
        }
        assert_eq!(Page::parse("dashboard"), Page::Dashboard);
        assert_eq!(Page::parse("#/nonsense"), Page::Compose);
        assert_eq!(Page::parse(""), Page::Compose);
    }
}
