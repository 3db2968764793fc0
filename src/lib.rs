//! Blixtra, the browser app: the Leptos UI and the browser seams it stands on. The wallet's logic lives
//! in `blixtra-core`; this crate connects it to a browser and to people.

#[macro_use]
pub mod i18n;
pub mod app;
pub mod browser;
mod components;
pub mod devnet_link;
pub mod error_text;
pub mod node_client;
pub mod node_host;
pub mod node_session;
pub mod node_state;
mod pages;
pub mod prefs;
pub mod session;
pub mod settings;
pub mod wallet;
