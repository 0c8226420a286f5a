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

/// Per embedded file, the CSP sources of its inline scripts (empty for non-HTML), computed once.
fn script_hashes() -> &'static [String] {
    static HASHES: OnceLock<Vec<String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| inline_script_hashes(&String::from_utf8_lossy(a.bytes)).join(" "))
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

/// Standard base64 (for CSP hashes).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ABC[(n >> shift & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The CSP hashes of a page's inline scripts (trunk's loader is one).
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains("src=") {
            out.push(format!(
                "'sha256-{}'",
                base64(&Sha256::digest(&body.as_bytes()[..close]))
            ));
        }
        rest = &body[close..];
    }
    out
}

/// The Content-Security-Policy of a UI page: its own scripts (and its inline loader, by the
/// CSP hashes of its inline scripts), its own wasm, styles, images and API, nothing else;
/// framing as configured.
pub fn csp(hashes: &str, frame_ancestors: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' {hashes}; style-src 'self'; \
         img-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; \
         form-action 'self'; frame-ancestors {frame_ancestors}"
    )
}

/// Serves embedded file `i`.
pub fn serve(i: usize, method: &Method, headers: &HeaderMap, frame_ancestors: &str) -> Response {
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
    if a.mime.starts_with("text/html") {
        if let Ok(v) = HeaderValue::from_str(&csp(&script_hashes()[i], frame_ancestors)) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
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
pub fn answer(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    frame_ancestors: &str,
) -> Option<Response> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    match find(uri.path()) {
        Some(i) => Some(serve(i, method, headers, frame_ancestors)),
        None if uri.path() == "/" => Some(
            (
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
                    ),
                ],
                NOT_BUILT,
            )
                .into_response(),
        ),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(raw.as_bytes()), enc);
        }
    }

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = r#"<script src="/a.js"></script><script type="module">alert(1)</script>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(
            hashes,
            [format!("'sha256-{}'", base64(&Sha256::digest(b"alert(1)")))]
        );
        let policy = csp(&hashes.join(" "), "'self' https://portal.example");
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
            "{policy}"
        );
        assert!(
            policy.ends_with("frame-ancestors 'self' https://portal.example"),
            "{policy}"
        );
    }
}
