//! The extension's node host, as its pages reach it: the one node of the browser profile runs in
//! `extension/shared/node_host.js`, in Chromium's offscreen document (opened by the service worker,
//! `extension/chromium/background.js`) or in Firefox's background page (`extension/firefox/
//! background.js`), and each page talks to it through a `chrome.runtime` port carrying the same JSON
//! messages as a worker's `postMessage`.
//!
//! web-sys has no bindings for the `chrome.*` extension APIs; the few calls are made through
//! `js_sys::Reflect` here, the only place that names them.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// What the page asks the extension's background for: the node host, opened if it is not (Chromium's
/// offscreen document), or woken (Firefox's background page).
const OPEN_NODE_HOST: &str = "open-node-host";
/// The port's name, which the node host listens for.
const NODE_PORT: &str = "node";

/// Whether this page is one of the extension's, where the node lives in the node host (Chromium's
/// offscreen document, Firefox's background page): the extension's own `chrome.runtime` is there,
/// with its id. A web page has none (Chromium may give it a `chrome.runtime` without an id, for
/// messaging other extensions); the web app's page runs the node's worker itself.
pub fn node_host_available() -> bool {
    chrome_api(&["runtime", "id"]).is_some_and(|id| id.is_string()) && chrome_api(&["runtime", "connect"]).is_some()
}

/// The setting `extension/webln/links.js` reads, in the extension's storage: whether a click on a
/// website's `lightning:` link opens the wallet's Send page. It says nothing about the wallet.
const OPEN_LIGHTNING_LINKS: &str = "openLightningLinks";

/// Whether a click on a website's `lightning:` link opens the Send page (off unless turned on).
pub async fn lightning_links_open() -> Result<bool, String> {
    let local = chrome_api(&["storage", "local"]).ok_or("no chrome.storage.local")?;
    let answer: Promise = method(&local, "get")?.call1(&local, &OPEN_LIGHTNING_LINKS.into()).map_err(describe)?.dyn_into().map_err(describe)?;
    let stored = JsFuture::from(answer).await.map_err(describe)?;
    Ok(Reflect::get(&stored, &OPEN_LIGHTNING_LINKS.into()).is_ok_and(|value| value == JsValue::TRUE))
}

/// Turns the opening of websites' `lightning:` links in the Send page on or off.
pub async fn set_lightning_links_open(open: bool) -> Result<(), String> {
    let local = chrome_api(&["storage", "local"]).ok_or("no chrome.storage.local")?;
    let items = Object::new();
    Reflect::set(&items, &OPEN_LIGHTNING_LINKS.into(), &JsValue::from_bool(open)).map_err(describe)?;
    let answer: Promise = method(&local, "set")?.call1(&local, &items).map_err(describe)?.dyn_into().map_err(describe)?;
    JsFuture::from(answer).await.map(|_| ()).map_err(describe)
}

/// A `chrome.runtime.Port` to the node host.
pub struct HostPort {
    port: JsValue,
    _on_message: Closure<dyn FnMut(JsValue)>,
    _on_disconnect: Closure<dyn FnMut(JsValue)>,
}

impl HostPort {
    /// Has the extension's background open the node host, then connects to it.
    /// `on_message` hears each message (a JSON text); `on_disconnect` that the host went away.
    pub async fn open(on_message: impl Fn(String) + 'static, on_disconnect: impl Fn(String) + 'static) -> Result<HostPort, String> {
        let send_message = chrome_function(&["runtime", "sendMessage"])?;
        let runtime = chrome_api(&["runtime"]).ok_or("no chrome.runtime")?;
        let answer: Promise = send_message.call1(&runtime, &OPEN_NODE_HOST.into()).map_err(describe)?.dyn_into().map_err(describe)?;
        let answer = JsFuture::from(answer).await.map_err(describe)?;
        if answer != JsValue::TRUE {
            return Err(answer.as_string().unwrap_or_else(|| "the extension's background did not open the node's host".to_owned()));
        }
        let connect = chrome_function(&["runtime", "connect"])?;
        let options = Object::new();
        Reflect::set(&options, &"name".into(), &NODE_PORT.into()).map_err(describe)?;
        let port = connect.call1(&runtime, &options).map_err(describe)?;
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |message: JsValue| {
            if let Some(text) = message.as_string() {
                on_message(text);
            }
        });
        let on_disconnect = Closure::<dyn FnMut(JsValue)>::new(move |_port: JsValue| {
            on_disconnect("the extension's node host went away".to_owned());
        });
        add_listener(&port, "onMessage", on_message.as_ref())?;
        add_listener(&port, "onDisconnect", on_disconnect.as_ref())?;
        Ok(HostPort { port, _on_message: on_message, _on_disconnect: on_disconnect })
    }

    pub fn post(&self, text: &str) -> Result<(), String> {
        let post = method(&self.port, "postMessage")?;
        post.call1(&self.port, &text.into()).map(|_| ()).map_err(describe)
    }

    /// Closes the port; the node host tells the node this page has gone.
    pub fn disconnect(&self) {
        if let Ok(disconnect) = method(&self.port, "disconnect") {
            let _ = disconnect.call0(&self.port);
        }
    }
}

fn chrome_api(path: &[&str]) -> Option<JsValue> {
    let mut value = Reflect::get(&js_sys::global(), &"chrome".into()).ok()?;
    for name in path {
        if value.is_undefined() || value.is_null() {
            return None;
        }
        value = Reflect::get(&value, &(*name).into()).ok()?;
    }
    (!value.is_undefined() && !value.is_null()).then_some(value)
}

fn chrome_function(path: &[&str]) -> Result<Function, String> {
    chrome_api(path).and_then(|f| f.dyn_into().ok()).ok_or_else(|| format!("no chrome.{}", path.join(".")))
}

fn method(object: &JsValue, name: &str) -> Result<Function, String> {
    Reflect::get(object, &name.into()).ok().and_then(|f| f.dyn_into().ok()).ok_or_else(|| format!("no {name} to call"))
}

fn add_listener(port: &JsValue, event: &str, listener: &JsValue) -> Result<(), String> {
    let target = Reflect::get(port, &event.into()).map_err(describe)?;
    method(&target, "addListener")?.call1(&target, listener).map(|_| ()).map_err(describe)
}

fn describe(error: JsValue) -> String {
    error.dyn_ref::<js_sys::Error>().map_or_else(|| format!("{error:?}"), |e| String::from(e.message()))
}
