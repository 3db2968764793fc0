//! Blixtra, the browser app: the Leptos UI and the browser seams it stands on.

pub mod browser;
