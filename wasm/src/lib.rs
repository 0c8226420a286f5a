//! txstate-wasm: the core validator as a JavaScript package (wasm-bindgen). It only converts
//! between JS values and core types. The bindings are not written yet; the crate exists so that
//! the workspace has its final shape and CI checks that core builds for wasm32 through it.

pub use txstate_core::{validate, Verdict};
