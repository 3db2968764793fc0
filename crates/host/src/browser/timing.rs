//! The browser's high-resolution clock and User Timing marks, in a page or a worker. The marks name the
//! wallet's start-up milestones (`blixtra:…`): DevTools' performance panel shows them, and the
//! benchmark (`cargo xtask bench`) reads them back. They carry names only, never data.

use wasm_bindgen::JsCast;

fn performance() -> Option<web_sys::Performance> {
    // `window.performance` and a worker's `self.performance` are the same interface.
    js_sys::Reflect::get(&js_sys::global(), &"performance".into()).ok()?.dyn_into().ok()
}

/// Milliseconds since this page or worker began, with sub-millisecond resolution where the browser
/// gives it.
pub fn elapsed_ms() -> f64 {
    performance().map_or_else(js_sys::Date::now, |p| p.now())
}

/// Records the milestone `name` (e.g. `blixtra:vault-unlocked`) at the current time.
pub fn mark(name: &str) {
    if let Some(performance) = performance() {
        let _ = performance.mark(name);
    }
}

/// The bytes of this module's WebAssembly linear memory (it only grows).
pub fn wasm_memory_bytes() -> u64 {
    wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>().buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as u64
}
