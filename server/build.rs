//! Embeds the web UI (trunk's `dist/`, or `$TXSTATE_UI_DIST`) into the server binary, each file
//! also gzip-compressed, so one binary serves the whole product. Without a built UI the table
//! is empty and `/` shows a page saying how to build it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=TXSTATE_UI_DIST");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dist = env::var_os("TXSTATE_UI_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../dist"));
    // An absent path would make cargo rerun this script (and rebuild the server) every time.
    let _ = fs::create_dir_all(&dist);
    println!("cargo:rerun-if-changed={}", dist.display());
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    let mut found = Vec::new();
    files(&dist, &mut found);
    found.sort();
    let mut table = String::from("&[\n");
    for (i, path) in found.iter().enumerate() {
        let Ok(bytes) = fs::read(path) else { continue };
        let rel = path.strip_prefix(&dist).expect("under dist");
        let url = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
        let gz = out_dir.join(format!("ui-{i}.gz"));
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&bytes).expect("in memory");
        fs::write(&gz, enc.finish().expect("in memory")).expect("OUT_DIR is writable");
        let abs = fs::canonicalize(path).expect("exists");
        table.push_str(&format!(
            "    Asset {{ path: {url:?}, mime: {:?}, bytes: include_bytes!({:?}), gzip: include_bytes!({:?}) }},\n",
            mime(path),
            abs.to_string_lossy(),
            gz.to_string_lossy(),
        ));
    }
    table.push(']');
    fs::write(out_dir.join("ui_assets.rs"), table).expect("OUT_DIR is writable");
}
