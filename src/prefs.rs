//! UI preferences kept in localStorage. **Warning:** only what says nothing about the wallet may live
//! here (localStorage is not encrypted); anything else goes in the vault's sealed store.

use gloo_storage::{LocalStorage, Storage};

use crate::i18n::Lang;
use crate::session::AutoLock;

const AUTO_LOCK_MINUTES: &str = "blixtra.auto_lock_minutes";
const LANGUAGE: &str = "blixtra.language";

/// Returns the auto-lock setting (the default if none was saved or it cannot be read).
pub fn auto_lock() -> AutoLock {
    match LocalStorage::get::<Option<u32>>(AUTO_LOCK_MINUTES) {
        Ok(minutes) => AutoLock { minutes },
        Err(_) => AutoLock::DEFAULT,
    }
}

/// Saves the auto-lock setting; a failure (storage disabled) keeps the setting for this visit only.
pub fn set_auto_lock(auto_lock: AutoLock) {
    let _ = LocalStorage::set(AUTO_LOCK_MINUTES, auto_lock.minutes);
}

/// Returns the saved language, else the browser's first language the UI speaks, else English.
pub fn language() -> Lang {
    if let Some(lang) = LocalStorage::get::<String>(LANGUAGE).ok().and_then(|tag| Lang::from_tag(&tag)) {
        return lang;
    }
    let navigator = web_sys::window().map(|w| w.navigator());
    let wanted = navigator.map(|n| n.languages().iter().filter_map(|v| v.as_string()).collect::<Vec<_>>()).unwrap_or_default();
    wanted.iter().find_map(|tag| Lang::from_tag(tag)).unwrap_or(Lang::En)
}

/// Saves the language choice.
pub fn set_language(lang: Lang) {
    let _ = LocalStorage::set(LANGUAGE, lang.tag());
}
