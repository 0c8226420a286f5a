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
