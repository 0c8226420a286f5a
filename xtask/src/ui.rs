//! The web UI: install trunk (exact version, never a download from GitHub), build `dist/` with
//! it offline, report the shipped size, and run the end-to-end tests in headless Chromium.

use std::path::Path;
use std::process::Command;

use crate::{output, root, step, tools, Result, Totals};

/// trunk's version: 0.22 needs a newer rustc than this project's (shared/TOOLCHAIN.md).
const TRUNK: &str = "0.21.14";

/// trunk, installed by cargo when missing or of another version.
pub fn trunk() -> Result {
    let have = output("trunk", &["--version"]).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(TRUNK) {
        return Ok(());
    }
    let mut c = crate::cargo();
    c.args(["install", "trunk", "--version", TRUNK, "--locked"]);
    step(
        &format!("install trunk {TRUNK} (once; ~12 min on 2 cores)"),
        c,
    )
}

/// Builds `dist/` (the server embeds it when it is built next).
pub fn build() -> Result {
    tools::wasm_target()?;
    tools::wasm_bindgen()?;
    tools::npm()?;
    trunk()?;
    let root = root();
    let path = format!(
        "{}:{}",
        root.join("node_modules/.bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = Command::new("trunk");
    c.args(["build", "--release", "--offline", "--locked"])
        .current_dir(&root)
        .env("PATH", path)
        // trunk asks GitHub for its own latest version otherwise.
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .env("NO_COLOR", "true");
    step("build the web UI (trunk)", c)?;
    sizes(&root.join("dist"));
    Ok(())
}

/// Prints what a browser downloads: the wasm module and the JS glue, raw and gzipped.
fn sizes(dist: &Path) {
    let mut total = (0, 0);
    for name in [
        "txstate-ui_bg.wasm",
        "txstate-ui.js",
        "style.css",
        "index.html",
    ] {
        let p = dist.join(name);
        let raw = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        let gz = output(
            "sh",
            &["-c", &format!("gzip -9 -c '{}' | wc -c", p.display())],
        )
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(0);
        eprintln!("   {name}: {raw} bytes raw, {gz} bytes gzipped");
        total = (total.0 + raw, total.1 + gz);
    }
    eprintln!("   the UI ships {} bytes, {} gzipped", total.0, total.1);
}

/// The end-to-end tests against the server binary `server` (built with the UI embedded).
pub fn test(server: &Path) -> Result<Totals> {
    tools::chromium()?;
    tools::npm()?;
    let mut c = Command::new("node");
    c.args(["--test", "--test-reporter=spec", "ui/e2e/ui.test.mjs"])
        .current_dir(root())
        .env("TXSTATE_SERVER_BIN", server);
    crate::counted_step("UI end to end (headless Chromium)", c)
}
