//! The accept loop: hyper's HTTP/1 server per connection, with what `axum::serve` cannot be
//! told (it exposes no hyper builder):
//!
//! - a **header-read timeout** (`TXSTATE_HEADER_TIMEOUT_MS`): a client that trickles its
//!   headers is cut off; it also bounds how long an idle keep-alive connection is kept;
//! - a **lingering close**: when a request is answered without reading its body (an oversized
//!   body's 499), the server stops writing, then reads and discards what the client still
//!   sends — for a bounded time and size — before it closes. Closing a socket with unread data
//!   makes the kernel send a reset, and a client that writes its whole body before reading
//!   (Python's `http.client`, many SDKs) would then see a broken pipe instead of the answer.
//!   nginx does the same (`lingering_close`);
//! - **graceful shutdown**: idle connections close, in-flight requests finish.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::Service;

/// The longest a lingering close keeps reading.
pub const LINGER_TIME: Duration = Duration::from_secs(30);
/// A lingering close ends when the client sends nothing for this long.
pub const LINGER_IDLE: Duration = Duration::from_secs(5);
/// The most a lingering close reads and discards.
pub const LINGER_BYTES: usize = 64 * 1024 * 1024;

/// A request's way to ask for a lingering close of its connection (in its extensions): set
/// when a handler answers without reading the body.
#[derive(Clone, Debug, Default)]
pub struct Linger(Arc<AtomicBool>);

impl Linger {
    /// Asks for a lingering close once this answer is sent.
    pub fn request(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn requested(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Serves `app` on `listener` until `stop` turns `true`; then stops accepting, lets in-flight
/// requests finish and returns when every connection has closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let (closing, closing_rx) = watch::channel(false);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(
                        stream,
                        peer,
                        app.clone(),
                        header_timeout,
                        closing_rx.clone(),
                    ));
                }
                Err(e) => {
                    // Out of file descriptors, most often: give the others time to close.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
        }
    }
    drop(listener);
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    mut closing: watch::Receiver<bool>,
) {
    let linger = Linger::default();
    let service = {
        let linger = linger.clone();
        hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req.extensions_mut().insert(linger.clone());
            let mut app = app.clone();
            let linger = linger.clone();
            Box::pin(async move {
                let mut res = app.call(req).await?;
                if linger.requested() {
                    // Said to the client too: a client that pooled this connection would send
                    // its next request into the lingering close and lose it.
                    res.headers_mut().insert(
                        axum::http::header::CONNECTION,
                        axum::http::HeaderValue::from_static("close"),
                    );
                }
                Ok(res)
            })
                as Pin<Box<dyn std::future::Future<Output = Result<_, Infallible>> + Send>>
        })
    };
    let mut conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        // A client that closes its sending side (or the whole connection) after a whole
        // request still has it processed to the end, stored and logged: hyper otherwise
        // reads ahead for the end of the connection while the handler runs and drops the
        // handler when it finds it (a request stored without its log line, a half-closed
        // client without its answer). That read also made hyper take a new 8 KB buffer for
        // every request, the old one still shared with the request (callgrind: -1.3 %
        // instructions a notification). An event stream to a client that left is found at
        // its next keep-alive write.
        .half_close(true)
        .serve_connection(TokioIo::new(stream), service);
    let mut shutting_down = false;
    let served = loop {
        tokio::select! {
            r = std::future::poll_fn(|cx| conn.poll_without_shutdown(cx)) => break r,
            _ = async { let _ = closing.wait_for(|c| *c).await; }, if !shutting_down => {
                Pin::new(&mut conn).graceful_shutdown();
                shutting_down = true;
            }
        }
    };
    if let Err(e) = &served {
        // Header timeouts, clients that went away, malformed requests: routine.
        tracing::debug!(error = %e, client = %peer, "connection ended");
    }
    let mut io = conn.into_parts().io.into_inner();
    // The answer was sent whatever hyper then made of the unread body: closing now, with the
    // client's bytes unread, would reset the connection and could destroy the answer.
    if linger.requested() {
        lingering_close(&mut io).await;
    } else {
        let _ = io.shutdown().await;
    }
}

/// Stops sending, then reads and discards what the client still sends until it closes, goes
/// quiet for [`LINGER_IDLE`], or passes [`LINGER_TIME`] or [`LINGER_BYTES`].
async fn lingering_close(io: &mut TcpStream) {
    let _ = io.shutdown().await;
    let deadline = tokio::time::Instant::now() + LINGER_TIME;
    let mut buf = vec![0u8; 64 * 1024];
    let mut discarded = 0usize;
    loop {
        let until = deadline.min(tokio::time::Instant::now() + LINGER_IDLE);
        match tokio::time::timeout_at(until, io.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                discarded += n;
                if discarded > LINGER_BYTES {
                    break;
                }
            }
            _ => break,
        }
    }
}
