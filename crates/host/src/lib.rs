//! Blixtra's node host in the browser, without any UI: the typed protocol between a UI and the node
//! ([`protocol`]), the node's end of it ([`node_host::NodeHost`], run in a Web Worker by [`worker::run`]),
//! a UI's end ([`node_client::NodeClient`]), and the browser seams the node runs on ([`browser`]).
//! The Leptos app is one UI on top; the browser extension's node host (Chromium's offscreen
//! document, Firefox's background page) is another host of the same worker.

pub mod browser;
mod connection;
pub mod node_client;
pub mod node_host;
pub mod protocol;
pub mod webln;
mod website_host;
mod website_state;
pub mod worker;
