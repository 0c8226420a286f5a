//! txstate-ui: the Leptos web app for support staff. Not written yet; the crate exists so that
//! the workspace has its final shape.

pub use txstate_core::lists;
