//! The anchor of the server benchmark (`server/benches/wrk/compare.sh`): axum's hello-world on
//! the same runtime as the server, so the ratio is to the cheapest answer axum can give.
//!   cargo run --release --example hello -- 127.0.0.1:3000

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    // Every method and path: the benchmark sends the notify request here too.
    let app = axum::Router::new().fallback(|| async { "Hello, World!" });
    let listener = tokio::net::TcpListener::bind(bind).await?;
    axum::serve(listener, app).await
}
