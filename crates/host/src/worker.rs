//! The node's Web Worker: JSON messages of the UI protocol in through `onmessage`, out through
//! `postMessage`; everything else is `NodeHost`'s. A worker binary's `main` calls [`run`] (the app's
//! is `src/bin/node_worker.rs`, which Trunk builds beside the app).

use std::rc::Rc;

use crate::node_host::NodeHost;
use crate::protocol::{FromNode, ToNode, PROTOCOL_VERSION};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

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
        Err(e) => web_sys::console::error_1(&format!("a node message could not be encoded: {e}").into()),
    }));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(text) = event.data().as_string() else { return };
        match serde_json::from_str::<ToNode>(&text) {
            Ok(message) => {
                let host = host.clone();
                wasm_bindgen_futures::spawn_local(async move { host.handle(message).await });
            }
            Err(e) => web_sys::console::error_1(&format!("not a message of the node protocol: {e}").into()),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker does.
    on_message.forget();
    // The page's messages sent before this handler existed were dropped by the browser: the page
    // waits for this hello before it sends anything.
    if let Ok(text) = serde_json::to_string(&FromNode::Hello { version: PROTOCOL_VERSION }) {
        let _ = scope.post_message(&text.into());
    }
}
