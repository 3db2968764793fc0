//! Blixtra, the browser app: the Leptos UI. The wallet's logic lives in `blixtra-core`, the node's host
//! and the browser seams in `blixtra-host`; this crate puts them in front of people.

#[macro_use]
pub mod i18n;
pub mod app;
mod components;
pub mod context;
pub mod devnet_link;
pub mod error_text;
pub mod node_session;
pub mod node_state;
mod pages;
pub mod prefs;
pub mod qr_scan;
pub mod session;
pub mod settings;
pub mod wallet;
