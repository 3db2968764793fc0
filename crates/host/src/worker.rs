//! The node's Web Worker: JSON messages of the UI protocol in through `onmessage`, out through
//! `postMessage`; everything else is `NodeHost`'s. A worker binary's `main` calls [`run`] (the app's
//! is `src/bin/node_worker.rs`, which Trunk builds beside the app).
//!
//! The page that spawned the worker is its first connection. In the extension, that page is the
//! node host (`extension/shared/node_host.js`: Chromium's offscreen document, Firefox's background
//! page), which speaks no protocol itself: it hands the
//! worker one `MessagePort` per extension page that connects, and each port is a connection of its
//! own.

use std::rc::Rc;

use crate::browser::platform::console_problem;
use crate::node_host::{ConnectionId, NodeHost};
use crate::protocol::{FromNode, ToNode, PROTOCOL_VERSION};
use blixtra_core::node::logger::Level;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, MessagePort};

/// Makes this Web Worker the node's: answers the UI protocol from a [`NodeHost`] for as long as the
/// worker lives, and says hello first.
pub fn run() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let outbox = scope.clone();
    let host = Rc::new(NodeHost::new(move |message: FromNode| match serde_json::to_string(&message) {
        Ok(text) => {
            let _ = outbox.post_message(&text.into());
        }
        Err(e) => console_problem(Level::Error, &format!("a node message could not be encoded: {e}")),
    }));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Ok(port) = event.ports().get(0).dyn_into::<MessagePort>() {
            // The node host says whose port it is: a page of the wallet's, or a website's
            // (by the origin the browser gave its content script, never one the page claims).
            match event.data().as_string().as_deref().and_then(|label| label.strip_prefix(WEBSITE_LABEL)) {
                Some(origin) => serve_website_port(&host, port, origin.to_owned()),
                None => serve_port(&host, port),
            }
            return;
        }
        handle_text(&host, NodeHost::FIRST, event.data().as_string());
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker does.
    on_message.forget();
    // The page's messages sent before this handler existed were dropped by the browser: the page
    // waits for this hello before it sends anything.
    if let Ok(text) = serde_json::to_string(&FromNode::Hello { version: PROTOCOL_VERSION, running: None }) {
        let _ = scope.post_message(&text.into());
    }
}

/// How `extension/shared/node_host.js` labels a website's port: this, then the site's origin.
const WEBSITE_LABEL: &str = "website ";

/// Serves a website's WebLN calls on `port` (`website_host.rs`): its requests in, only their answers
/// out. A website's port is no connection of the protocol: it hears no event and sends no command.
fn serve_website_port(host: &Rc<NodeHost>, port: MessagePort, origin: String) {
    let (host, outbox) = (host.clone(), port.clone());
    let origin = Rc::new(origin);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(text) = event.data().as_string() else { return };
        let (host, outbox, origin) = (host.clone(), outbox.clone(), origin.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let reply = host.website_call(&origin, &text).await;
            let _ = outbox.post_message(&reply.into());
        });
    });
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // It lives as long as the port: a few bytes per website page that used WebLN.
    on_message.forget();
}

/// Makes `port` a connection of its own: its messages in, the host's answers and events out.
fn serve_port(host: &Rc<NodeHost>, port: MessagePort) {
    let outbox = port.clone();
    let id = host.connect(move |message| post(&outbox, &message));
    let host = host.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| handle_text(&host, id, event.data().as_string()));
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // It lives as long as the port, which the page's `Detach` ends; a few bytes per popup opened.
    on_message.forget();
}

fn handle_text(host: &Rc<NodeHost>, from: ConnectionId, text: Option<String>) {
    // A start carries the passphrase: its text is wiped once parsed (the parsed start wipes its own).
    let Some(text) = text.map(zeroize::Zeroizing::new) else { return };
    match serde_json::from_str::<ToNode>(&text) {
        Ok(message) => {
            let host = host.clone();
            wasm_bindgen_futures::spawn_local(async move { host.handle_from(from, message).await });
        }
        Err(e) => console_problem(Level::Error, &format!("not a message of the node protocol: {e}")),
    }
}

fn post(port: &MessagePort, message: &FromNode) {
    match serde_json::to_string(message) {
        Ok(text) => {
            let _ = port.post_message(&text.into());
        }
        Err(e) => console_problem(Level::Error, &format!("a node message could not be encoded: {e}")),
    }
}
