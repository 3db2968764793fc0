//! `WebLock`: an exclusive lock across every tab of this origin (the Web Locks API), so that only one
//! tab at a time runs the wallet. The browser releases it by itself when the holding tab closes or
//! crashes, which no flag in storage could do.
//!
//! `Send`: not; it holds JS functions.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, DomException, LockManager, LockMode, LockOptions};

use super::js_future::pending_promise;

/// The lock that guards the wallet: the vault and, later, the node.
pub const WALLET_LOCK: &str = "blixtra-wallet";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    #[error("this browser does not support the Web Locks API, which Blixtra needs to keep two tabs from running one wallet")]
    Unsupported,
    #[error("the browser refused the tab lock: {0}")]
    Refused(String),
}

/// A held lock; dropping it releases the lock (the browser frees it a moment later).
pub struct WebLock {
    release: Function,
    /// The browser's request promise: it settles once the lock is actually freed.
    freed: Promise,
}

impl WebLock {
    /// Takes the lock `name` if no tab holds it; returns `None` at once if one does.
    pub async fn try_acquire(name: &str) -> Result<Option<WebLock>, LockError> {
        Self::request(name, Wait::No).await
    }

    /// Takes the lock `name`, waiting in the browser's queue for the tab that holds it to let go:
    /// for at most `within` (then `None`), or for as long as it takes with `None`. A reloaded tab's
    /// lock is freed a moment after the old page goes, so a new page waits a little before it says
    /// another tab holds the wallet.
    pub async fn acquire(name: &str, within: Option<std::time::Duration>) -> Result<Option<WebLock>, LockError> {
        match within {
            Some(within) => Self::request(name, Wait::Within(within)).await,
            None => Self::request(name, Wait::Forever).await,
        }
    }

    async fn request(name: &str, wait: Wait) -> Result<Option<WebLock>, LockError> {
        let locks = lock_manager().ok_or(LockError::Unsupported)?;
        let (granted, report_granted) = pending_promise();
        let (held, release) = pending_promise();
        // The browser holds the lock until the promise this callback returns settles: `held`, which
        // settles only when `release` is called.
        let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
            let got_it = !lock.is_null();
            let _ = report_granted.call1(&JsValue::NULL, &JsValue::from_bool(got_it));
            if got_it {
                held.into()
            } else {
                Promise::resolve(&JsValue::UNDEFINED).into()
            }
        });
        let options = LockOptions::new();
        options.set_mode(LockMode::Exclusive);
        match wait {
            Wait::No => options.set_if_available(true),
            // The browser takes the request out of its queue when the signal fires.
            Wait::Within(within) => options.set_signal(&AbortSignal::timeout_with_u32(within.as_millis().min(u32::MAX as u128) as u32)),
            Wait::Forever => {}
        }
        let request = locks.request_with_options(name, &options, callback.unchecked_ref());
        // `granted` settles when the callback runs; `request` settles only after release, but rejects
        // at once if the browser refuses the request or its wait ran out (and then never calls the
        // callback).
        let first = Promise::race(&js_sys::Array::of2(&granted, &request));
        let got_it = match JsFuture::from(first).await {
            Ok(got_it) => got_it.as_bool().unwrap_or(false),
            Err(e) if matches!(wait, Wait::Within(_)) && is_timeout(&e) => false,
            Err(e) => return Err(LockError::Refused(format!("{e:?}"))),
        };
        Ok(got_it.then_some(WebLock { release, freed: request.unchecked_into() }))
    }

    /// Releases the lock and waits until the browser has freed it, so another request can take it.
    pub async fn release(self) {
        let freed = self.freed.clone();
        drop(self);
        let _ = JsFuture::from(freed).await;
    }
}

impl Drop for WebLock {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::NULL);
    }
}

/// How long a request waits for the lock.
#[derive(Clone, Copy)]
enum Wait {
    No,
    Within(std::time::Duration),
    Forever,
}

/// Whether a rejected request ran out of time (`AbortSignal.timeout` rejects with a `TimeoutError`).
fn is_timeout(error: &JsValue) -> bool {
    error.dyn_ref::<DomException>().is_some_and(|e| e.name() == "TimeoutError" || e.name() == "AbortError")
}

fn lock_manager() -> Option<LockManager> {
    let navigator = Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok()?;
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    locks.dyn_into().ok()
}
