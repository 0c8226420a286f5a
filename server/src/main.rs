//! `txstate-server`: see `--help` for every setting.

use clap::Parser;
use txstate_server::config::Command;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = match txstate_server::Config::parse().read_files() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("txstate-server: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Kept to the end: dropping it writes the log lines still buffered.
    let _log = txstate_server::logging::init(config.log_format);
    let result = match config.command.clone() {
        None | Some(Command::Serve) => txstate_server::serve(config).await,
        Some(Command::Migrate) => txstate_server::migrate(&config).await,
        Some(Command::Healthcheck { url }) => {
            txstate_server::healthcheck(&config, url.as_deref()).await
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// mimalloc, not glibc's malloc: a request's strings are allocated on a runtime worker and
/// freed on the store's writer thread, and glibc then locks the workers' arenas and
/// consolidates its free lists on the writer (perf: ~5 % of the server's CPU). With mimalloc
/// the server takes 25 µs of CPU a notification instead of 30 (`docs/benchmarks.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
