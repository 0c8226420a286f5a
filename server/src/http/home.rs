//! `GET /`: until the web UI is served here, a page that tells a newcomer where things are.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>txstate</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}code{background:#f1f3f5;padding:.1rem .3rem;border-radius:3px}li{margin:.3rem 0}</style>
</head><body>
<h1>txstate is running</h1>
<p>The transaction-state APIs of the campaign platform. The web UI for support staff is not built yet; everything below works today.</p>
<h2>Partners</h2>
<ul>
<li><code>POST /campaignapi/resources/v3/notifytransactionstate</code> — External Action outcomes (531/532)</li>
<li><code>PATCH /campaignapi/resources/v3/voicecampaigntransactions</code> — voice call outcomes</li>
<li><code>POST /campaignapi/resources/v3/accesstoken</code> — exchange a secret key for an access token</li>
</ul>
<p>All with <code>authorization: Bearer &lt;secret key or access token&gt;</code>.</p>
<h2>Support staff and operators</h2>
<ul>
<li>The admin API under <code>/admin/api/</code> (dashboard, report, request log, API users, actions, deployments), with <code>authorization: Bearer &lt;admin token&gt;</code>: see the README.</li>
<li><a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>, <a href="/metrics">/metrics</a></li>
</ul>
</body></html>
"#;

pub async fn page() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE)
}
