//! The JavaScript package (`wasm/pkg/`, npm name `txstate-validator`): build it, pack it, and
//! test the packed tarball as a partner would use it — installed from the file into a fresh
//! Node project, then run under `node --test` (fixtures, native parity, TypeScript, Chromium).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, root, step, tools, Result, Totals};

/// Builds the package into `wasm/pkg/` and packs it. Returns the tarball's path.
pub fn package() -> Result<PathBuf> {
    tools::wasm_target()?;
    tools::wasm_bindgen()?;
    tools::npm()?;
    let root = root();
    let mut c = cargo();
    c.args([
        "build",
        "--locked",
        "-p",
        "txstate-wasm",
        "--lib",
        "--target",
        tools::WASM_TARGET,
        "--profile",
        "wasm-pkg",
    ]);
    step("build the validator for wasm32", c)?;
    let wasm = root
        .join("target")
        .join(tools::WASM_TARGET)
        .join("wasm-pkg/txstate_wasm.wasm");
    let pkg = root.join("wasm/pkg");
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg).map_err(|e| format!("{}: {e}", pkg.display()))?;
    }
    for target in ["nodejs", "web"] {
        let dir = pkg.join(if target == "nodejs" { "node" } else { "web" });
        let mut c = Command::new("wasm-bindgen");
        c.arg(&wasm)
            .arg("--out-dir")
            .arg(&dir)
            .args(["--target", target, "--no-typescript"]);
        step(&format!("wasm-bindgen --target {target}"), c)?;
        // wasm-opt from the npm package binaryen (never Debian's: see TOOLCHAIN.md).
        let module = dir.join("txstate_wasm_bg.wasm");
        let mut c = Command::new(root.join("node_modules/.bin/wasm-opt"));
        c.arg(&module).arg("-o").arg(&module).args([
            "-O3",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
        ]);
        step(&format!("wasm-opt the {target} module"), c)?;
    }
    let js = root.join("wasm/js");
    let api = read(&js.join("api.js"))?;
    // One copy of the wrapper (api.js) spliced into each entry where its marker stands.
    for (entry, to) in [("node.js", "node/index.js"), ("web.js", "web/index.js")] {
        let shell = read(&js.join("entries").join(entry))?;
        if !shell.contains(API_MARKER) {
            return Err(format!("wasm/js/entries/{entry} has no {API_MARKER} line"));
        }
        write(&pkg.join(to), &shell.replace(API_MARKER, api.trim_end()))?;
    }
    copy(&js.join("entries/index.mjs"), &pkg.join("index.mjs"))?;
    // The web build is an ES module: its folder says so to Node and TypeScript.
    copy(
        &js.join("entries/web-package.json"),
        &pkg.join("web/package.json"),
    )?;
    copy(&js.join("package.json"), &pkg.join("package.json"))?;
    copy(&js.join("README.md"), &pkg.join("README.md"))?;
    copy(&root.join("LICENSE"), &pkg.join("LICENSE"))?;
    copy(
        &js.join("bin/txstate-validate.mjs"),
        &pkg.join("bin/txstate-validate.mjs"),
    )?;
    // One declaration file, under the name each resolution mode reads: `.d.ts` beside the
    // CommonJS entries, `.d.mts` for `import`, `web/index.d.ts` for TypeScript's old `node10`
    // resolution of `txstate-validator/web` (through `typesVersions`).
    for to in ["txstate.d.ts", "txstate.d.mts", "web/index.d.ts"] {
        copy(&js.join("txstate.d.ts"), &pkg.join(to))?;
    }
    for schema in ["notify.schema.json", "voice.schema.json"] {
        copy(
            &root.join("schemas").join(schema),
            &pkg.join("schemas").join(schema),
        )?;
    }
    let dest = root.join("target/npm");
    std::fs::create_dir_all(&dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    let mut c = Command::new("npm");
    c.args(["pack", "--pack-destination"])
        .arg(&dest)
        .current_dir(&pkg);
    step("npm pack", c)?;
    let version = package_version(&js.join("package.json"))?;
    let tarball = dest.join(format!("txstate-validator-{version}.tgz"));
    report_sizes(&pkg);
    Ok(tarball)
}

/// The line of an entry that the wrapper replaces.
const API_MARKER: &str = "/* @txstate-api */";

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Creates the folder `path` goes in.
fn make_parent(path: &Path) -> Result {
    match path.parent() {
        Some(dir) => std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display())),
        None => Ok(()),
    }
}

fn write(path: &Path, text: &str) -> Result {
    make_parent(path)?;
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result {
    make_parent(to)?;
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("{} -> {}: {e}", from.display(), to.display()))
}

fn package_version(package_json: &Path) -> Result<String> {
    let text = std::fs::read_to_string(package_json)
        .map_err(|e| format!("{}: {e}", package_json.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", package_json.display()))?;
    let version = v["version"]
        .as_str()
        .ok_or("package.json has no version")?
        .to_owned();
    let crate_version = env!("CARGO_PKG_VERSION");
    if version != crate_version {
        return Err(format!("wasm/js/package.json has version {version}, the workspace {crate_version}: make them equal"));
    }
    Ok(version)
}

/// Prints the module's size raw and gzipped (the budget is 150 KB gzipped).
fn report_sizes(pkg: &Path) {
    let module = pkg.join("web/txstate_wasm_bg.wasm");
    let raw = std::fs::metadata(&module).map(|m| m.len()).unwrap_or(0);
    let gz = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(&module)
        .output()
        .map(|o| o.stdout.len())
        .unwrap_or(0);
    eprintln!("   txstate_wasm_bg.wasm: {raw} bytes raw, {gz} bytes gzipped");
}

/// Installs the tarball into a fresh Node project and runs the package tests there.
pub fn test_package(tarball: &Path) -> Result<Totals> {
    tools::chromium()?;
    let project = root().join("target/npm/consumer");
    if project.exists() {
        std::fs::remove_dir_all(&project).map_err(|e| format!("{}: {e}", project.display()))?;
    }
    std::fs::create_dir_all(&project).map_err(|e| format!("{}: {e}", project.display()))?;
    std::fs::write(
        project.join("package.json"),
        "{\"name\": \"consumer\", \"private\": true, \"type\": \"module\"}\n",
    )
    .map_err(|e| e.to_string())?;
    let mut c = Command::new("npm");
    c.args(["install", "--offline", "--no-audit", "--no-fund"])
        .arg(tarball)
        .current_dir(&project);
    step("install the tarball into a fresh project (offline)", c)?;
    let tests = root().join("wasm/tests");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&tests).map_err(|e| format!("{}: {e}", tests.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        copy(&path, &project.join(&name))?;
        if name.ends_with(".test.mjs") {
            files.push(name);
        }
    }
    files.sort();
    let mut c = Command::new("node");
    c.args(["--test", "--test-reporter=spec"])
        .args(&files)
        .current_dir(&project)
        .env("TXSTATE_ROOT", root())
        .env("TXSTATE_TARBALL", tarball)
        .env(
            "TXSTATE_XTASK",
            std::env::current_exe().map_err(|e| e.to_string())?,
        )
        .env("CHROMIUM", crate::CHROMIUM);
    crate::counted_step("package tests (node --test)", c)
}
