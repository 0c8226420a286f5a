//! The server binary as a child process, for tests and benchmarks that need several servers
//! (`#[path]`-included by the benchmarks).
#![allow(dead_code)]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A server process (killed when dropped), its address and what it printed.
pub struct ServerProcess {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Every line it printed on stdout (its log), so far.
    pub lines: Arc<Mutex<Vec<String>>>,
    child: Child,
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
        let mut out = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let base = loop {
            let line = tokio::time::timeout(Duration::from_secs(60), out.next_line())
                .await
                .expect("the server starts within 60 s")
                .expect("read its output")
                .expect("it prints where it serves before exiting");
            let found = line.find("serving at http://").map(|at| {
                let rest = &line[at + "serving at ".len()..];
                rest[..rest.find("/ ").expect("url")].to_owned()
            });
            lines.lock().expect("lines").push(line);
            if let Some(base) = found {
                break base;
            }
        };
        // Keep reading, or the pipe fills and the server blocks on its log.
        let kept = lines.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = out.next_line().await {
                kept.lock().expect("lines").push(line);
            }
        });
        ServerProcess { base, lines, child }
    }

    /// Sends SIGTERM (a graceful stop).
    pub fn terminate(&self) {
        let pid = self.child.id().expect("running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success(), "SIGTERM to {pid}");
    }

    /// Waits for the process to exit; its exit status.
    pub async fn exited(&mut self, within: Duration) -> std::process::ExitStatus {
        tokio::time::timeout(within, self.child.wait())
            .await
            .expect("the server exits in time")
            .expect("wait for the server")
    }

    /// What it printed so far, one string.
    pub fn output(&self) -> String {
        self.lines.lock().expect("lines").join("\n")
    }
}
