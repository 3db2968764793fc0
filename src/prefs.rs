//! UI preferences kept in localStorage. **Warning:** only what says nothing about the wallet may live
//! here (localStorage is not encrypted); anything else goes in the vault's sealed store.

use gloo_storage::{LocalStorage, Storage};

use crate::session::AutoLock;

const AUTO_LOCK_MINUTES: &str = "blixtra.auto_lock_minutes";

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
