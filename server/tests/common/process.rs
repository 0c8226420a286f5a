//! The server binary as a child process, for tests and benchmarks that need several servers
//! (`#[path]`-included by the benchmarks).

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A server process (killed when dropped) and its address.
pub struct ServerProcess {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    _child: Child,
}

impl ServerProcess {
    /// Starts `binary` with `env` (plus an ephemeral port); returns once it says where it
    /// serves.
    pub async fn start(binary: &str, env: &[(&str, &str)]) -> ServerProcess {
        let mut child = Command::new(binary)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .env("TXSTATE_BIND", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the server binary");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let base = loop {
            let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
                .await
                .expect("the server starts within 60 s")
                .expect("read its output")
                .expect("it prints where it serves before exiting");
            if let Some(at) = line.find("serving at http://") {
                let rest = &line[at + "serving at ".len()..];
                break rest[..rest.find("/ ").expect("url")].to_owned();
            }
        };
        // Keep reading, or the pipe fills and the server blocks on its log.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        ServerProcess {
            base,
            _child: child,
        }
    }
}
