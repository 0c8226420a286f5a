//! The UI's entry point: trunk builds this binary from `index.html`. It mounts the app on
//! `#txstate-app` and exports `mount` and `version` to JavaScript for host pages.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

fn main() {
    txstate_ui::start();
}

/// `mount(element, {baseUrl, token, page})`: embeds the app, or one page of it.
#[wasm_bindgen]
pub fn mount(element: web_sys::HtmlElement, options: JsValue) -> Result<(), JsValue> {
    txstate_ui::mount(element, options)
}

/// The UI's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
