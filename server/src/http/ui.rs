//! The web UI, embedded in the binary at build time (`build.rs`): `/` is the app, the other
//! files by name, gzip when the client takes it, revalidated by ETag. A binary built without
//! the UI answers `/` with a page that says how to build it.

use std::sync::OnceLock;

use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// URL path, e.g. `/index.html`.
    pub path: &'static str,
    /// Content-Type.
    pub mime: &'static str,
    /// The file.
    pub bytes: &'static [u8],
    /// The file, gzip-compressed.
    pub gzip: &'static [u8],
}

/// Every embedded file (empty when the UI was not built before the server).
pub static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/ui_assets.rs"));

fn etags() -> &'static [String] {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let d = Sha256::digest(a.bytes);
                let hex: String = d[..12].iter().map(|b| format!("{b:02x}")).collect();
                format!("\"{hex}\"")
            })
            .collect()
    })
}

/// Whether this binary carries the UI.
pub fn embedded() -> bool {
    ASSETS.iter().any(|a| a.path == "/index.html")
}

/// The embedded file for a request path (`/` is `/index.html`).
pub fn find(path: &str) -> Option<usize> {
    let path = if path == "/" { "/index.html" } else { path };
    ASSETS.iter().position(|a| a.path == path)
}

/// Serves embedded file `i`.
pub fn serve(i: usize, method: &Method, headers: &HeaderMap) -> Response {
    let a = &ASSETS[i];
    let tag = &etags()[i];
    let mut res = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let gzip = headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
        let body: &'static [u8] = match (method == Method::HEAD, gzip) {
            (true, _) => &[],
            (false, true) => a.gzip,
            (false, false) => a.bytes,
        };
        let mut r = body.into_response();
        if gzip {
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        r
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    res
}

const NOT_BUILT: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>txstate</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}code{background:#f1f3f5;padding:.1rem .3rem;border-radius:3px}li{margin:.3rem 0}</style>
</head><body>
<h1>txstate is running</h1>
<p>This server binary was built without the web UI. <code>cargo xtask run</code> builds the UI first and then the server; by hand: <code>trunk build --release</code>, then build the server again.</p>
<h2>Partners</h2>
<ul>
<li><code>POST /campaignapi/resources/v3/notifytransactionstate</code> — External Action outcomes (531/532)</li>
<li><code>PATCH /campaignapi/resources/v3/voicecampaigntransactions</code> — voice call outcomes</li>
<li><code>POST /campaignapi/resources/v3/accesstoken</code> — exchange a secret key for an access token</li>
</ul>
<p>All with <code>authorization: Bearer &lt;secret key or access token&gt;</code>.</p>
<h2>Support staff and operators</h2>
<ul>
<li>The admin API under <code>/admin/api/</code>, with <code>authorization: Bearer &lt;admin token&gt;</code>: see the README.</li>
<li><a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>, <a href="/metrics">/metrics</a></li>
</ul>
</body></html>
"#;

/// `GET /` and the UI's files; `None` when the path is not the UI's.
pub fn answer(method: &Method, uri: &Uri, headers: &HeaderMap) -> Option<Response> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    match find(uri.path()) {
        Some(i) => Some(serve(i, method, headers)),
        None if uri.path() == "/" => Some(
            (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                NOT_BUILT,
            )
                .into_response(),
        ),
        None => None,
    }
}
