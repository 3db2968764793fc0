//! The browser seams: one small file per browser API the wallet uses, each the only place that API is
//! named. Everything here is single-threaded: browser objects are not `Send`, and neither are the
//! futures that hold them (the core's traits do not ask for `Send`).

pub mod extension_host;
pub mod idb_store;
pub mod js_future;
pub mod platform;
pub mod sleeper;
pub mod storage_persistence;
pub mod timing;
pub mod web_lock;
pub mod ws_socket;

pub use idb_store::IdbStore;
pub use web_lock::WebLock;

/// Returns milliseconds since the Unix epoch from the JS clock (`std::time` panics on wasm32).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
