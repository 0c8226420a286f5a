//! txstate-ui: the web UI's entry point, built by trunk from `index.html`. The UI is not
//! written yet (a later issue): `index.html` shows a static note meanwhile.

use wasm_bindgen::prelude::wasm_bindgen;

/// The UI's version, for the page and for support (also what makes this a wasm-bindgen
/// module, which trunk requires).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

fn main() {}
