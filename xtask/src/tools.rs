//! Installing what the tasks need, each step skipped when the tool already answers with the
//! right version (README: the project installs what it needs).

use std::path::Path;
use std::process::Command;

use crate::{cargo, output, root, step, Result};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The rustup target for wasm32.
pub fn wasm_target() -> Result {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    let mut c = Command::new("rustup");
    c.args(["target", "add", WASM_TARGET]);
    step("install the wasm32 target", c)
}

/// The version of a crate in Cargo.lock.
pub fn locked_version(name: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let needle = format!("name = \"{name}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .ok_or_else(|| format!("{name} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..].find('"').ok_or("Cargo.lock is malformed")?;
    Ok(lock[start..start + end].to_owned())
}

/// wasm-bindgen's CLI of exactly the version in Cargo.lock (a different one refuses the
/// module). Installed without `--locked`: its lock file pins a crate the registry lacks.
pub fn wasm_bindgen() -> Result {
    let want = locked_version("wasm-bindgen")?;
    let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(want.as_str()) {
        return Ok(());
    }
    let mut c = cargo();
    c.args(["install", "wasm-bindgen-cli", "--version", &want]);
    step(&format!("install wasm-bindgen-cli {want}"), c)
}

/// The npm dev tools of package-lock.json (wasm-opt from binaryen, playwright-core,
/// typescript, ajv), installed again only when the lock file changed.
pub fn npm() -> Result {
    let lock = root().join("package-lock.json");
    let stamp = root().join("node_modules/.txstate-lock.json");
    let wanted = std::fs::read(&lock).map_err(|e| format!("package-lock.json: {e}"))?;
    if std::fs::read(&stamp).ok().as_deref() == Some(wanted.as_slice()) {
        return Ok(());
    }
    let mut c = Command::new("npm");
    c.args(["ci", "--no-audit", "--no-fund"])
        .current_dir(root());
    step("install the npm dev tools", c)?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("{}: {e}", stamp.display()))
}

/// Debian's Chromium, for the browser tests (never a browser downloaded by a test tool).
pub fn chromium() -> Result {
    debian(crate::CHROMIUM, "chromium", "the browser tests")
}

/// Debian's wrk, the load generator of the server benchmark.
pub fn wrk() -> Result {
    debian("/usr/bin/wrk", "wrk", "the server benchmark")
}

/// A Debian package, installed unless `binary` is already there.
fn debian(binary: &str, package: &str, needed_by: &str) -> Result {
    if Path::new(binary).exists() {
        return Ok(());
    }
    let why = |e: String| {
        format!("{e}\n{package} is needed for {needed_by}: install Debian's `{package}` package")
    };
    let mut update = Command::new("apt-get");
    update.arg("update");
    step("apt-get update", update).map_err(why)?;
    let mut c = Command::new("apt-get");
    c.args(["install", "-y", "--no-install-recommends", package])
        .env("DEBIAN_FRONTEND", "noninteractive");
    step(&format!("install {package}"), c).map_err(why)
}

/// schemathesis's version (PyPI), for the OpenAPI test.
const SCHEMATHESIS: &str = "4.32.5";

/// schemathesis in its own virtual environment under `target/tools/` (never the system's
/// Python packages); returns its `st` command.
pub fn schemathesis() -> Result<std::path::PathBuf> {
    let venv = root().join("target/tools/schemathesis");
    let st = venv.join("bin/st");
    let have = output(&st.to_string_lossy(), &["--version"]).unwrap_or_default();
    if have.trim().ends_with(&format!("version {SCHEMATHESIS}")) {
        return Ok(st);
    }
    let mut c = Command::new("python3");
    c.args(["-m", "venv", "--clear"]).arg(&venv);
    step("create a Python environment for schemathesis", c)?;
    let mut c = Command::new(venv.join("bin/pip"));
    c.args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("schemathesis=={SCHEMATHESIS}"),
    ]);
    step(&format!("install schemathesis {SCHEMATHESIS} (PyPI)"), c)?;
    Ok(st)
}
