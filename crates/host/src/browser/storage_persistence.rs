//! Persistent storage (`navigator.storage.persist()`): without it, a browser short of disk may evict the
//! wallet's IndexedDB, and with it the channel state.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::StorageManager;

/// What the browser said about keeping this site's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// The browser will not evict the wallet's data under storage pressure.
    Granted,
    /// The browser may evict it (it often grants only to installed or bookmarked sites).
    NotGranted,
    /// This browser has no StorageManager.
    Unsupported,
}

/// Asks the browser to keep this site's storage; returns its answer.
pub async fn request() -> Persistence {
    ask(|manager| manager.persist()).await
}

/// Returns whether storage is already persistent, without asking.
pub async fn current() -> Persistence {
    ask(|manager| manager.persisted()).await
}

async fn ask(call: impl Fn(&StorageManager) -> Result<js_sys::Promise, JsValue>) -> Persistence {
    let Some(manager) = storage_manager() else { return Persistence::Unsupported };
    let Ok(promise) = call(&manager) else { return Persistence::Unsupported };
    match JsFuture::from(promise).await.map(|v| v.as_bool()) {
        Ok(Some(true)) => Persistence::Granted,
        _ => Persistence::NotGranted,
    }
}

fn storage_manager() -> Option<StorageManager> {
    let navigator = Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok()?;
    Reflect::get(&navigator, &JsValue::from_str("storage")).ok()?.dyn_into().ok()
}
