//! Turns callback-style browser events (IndexedDB requests and transactions) into futures.
//!
//! Each helper builds a JS `Promise` whose executor installs the event handlers, so the handler closures
//! are owned by the JS side and freed after they run once (`Closure::once_into_js`).

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbRequest, IdbTransaction};

/// Returns a new pending promise and the function that resolves it.
pub fn pending_promise() -> (Promise, Function) {
    let mut resolve_fn = None;
    let promise = Promise::new(&mut |resolve, _reject| resolve_fn = Some(resolve));
    (promise, resolve_fn.expect("the Promise executor runs synchronously"))
}

/// Waits for an IndexedDB request; returns its `result`, or its `error` as the rejection.
pub async fn request_done(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        let done = request.clone();
        request.set_onsuccess(Some(
            Closure::once_into_js(move |_: JsValue| {
                let _ = resolve.call1(&JsValue::NULL, &done.result().unwrap_or(JsValue::UNDEFINED));
            })
            .unchecked_ref(),
        ));
        let failed = request.clone();
        request.set_onerror(Some(
            Closure::once_into_js(move |_: JsValue| {
                let _ = reject.call1(&JsValue::NULL, &failed.error().ok().flatten().map(JsValue::from).unwrap_or(JsValue::NULL));
            })
            .unchecked_ref(),
        ));
    });
    JsFuture::from(promise).await
}

/// Waits for an IndexedDB transaction to finish: `Ok` once `complete` fired (the data is durable),
/// `Err` with the transaction's error once it aborted.
pub async fn transaction_done(transaction: &IdbTransaction) -> Result<(), JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        transaction.set_oncomplete(Some(
            Closure::once_into_js(move |_: JsValue| {
                let _ = resolve.call0(&JsValue::NULL);
            })
            .unchecked_ref(),
        ));
        let failed = transaction.clone();
        transaction.set_onabort(Some(
            Closure::once_into_js(move |_: JsValue| {
                let _ = reject.call1(&JsValue::NULL, &failed.error().map(JsValue::from).unwrap_or(JsValue::NULL));
            })
            .unchecked_ref(),
        ));
    });
    JsFuture::from(promise).await.map(|_| ())
}
