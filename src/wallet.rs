//! The wallet handle the UI holds: the IndexedDB store, this tab's lock on the wallet, and the vault
//! while it is unlocked. Locking drops the vault, which wipes its keys from memory.

use std::cell::RefCell;
use std::rc::Rc;

use blixtra_core::{RecoveryPhrase, Vault, VaultError};

use crate::browser::web_lock::{LockError, WALLET_LOCK};
use crate::browser::{IdbStore, WebLock};
use crate::session::Phase;

/// The IndexedDB database that holds the wallet.
pub const DATABASE: &str = "blixtra";

#[derive(Clone)]
pub struct Wallet {
    inner: Rc<Inner>,
}

struct Inner {
    store: IdbStore,
    vault: RefCell<Option<Vault<IdbStore>>>,
    /// Held for the life of the page: the browser releases it when the tab closes.
    _tab_lock: WebLock,
}

/// What opening the wallet found.
pub enum Opening {
    Ready(Wallet, Phase),
    OtherTab,
    Unavailable(String),
}

impl Wallet {
    /// Takes the tab lock, then opens storage. Nothing is read or written without the lock.
    pub async fn open() -> Opening {
        let tab_lock = match WebLock::try_acquire(WALLET_LOCK).await {
            Ok(Some(lock)) => lock,
            Ok(None) => return Opening::OtherTab,
            Err(e @ (LockError::Unsupported | LockError::Refused(_))) => return Opening::Unavailable(e.to_string()),
        };
        let store = match IdbStore::open(DATABASE).await {
            Ok(store) => store,
            Err(e) => return Opening::Unavailable(e.to_string()),
        };
        let phase = match Vault::exists(&store).await {
            Ok(true) => Phase::Locked,
            Ok(false) => Phase::NoWallet,
            Err(e) => return Opening::Unavailable(e.to_string()),
        };
        Opening::Ready(Wallet { inner: Rc::new(Inner { store, vault: RefCell::new(None), _tab_lock: tab_lock }) }, phase)
    }

    /// Creates the vault and leaves it unlocked.
    pub async fn create(&self, phrase: &RecoveryPhrase, passphrase: &str) -> Result<(), VaultError> {
        let vault = Vault::create(self.inner.store.clone(), phrase, passphrase).await?;
        *self.inner.vault.borrow_mut() = Some(vault);
        Ok(())
    }

    pub async fn unlock(&self, passphrase: &str) -> Result<(), VaultError> {
        let vault = Vault::unlock(self.inner.store.clone(), passphrase).await?;
        *self.inner.vault.borrow_mut() = Some(vault);
        Ok(())
    }

    pub fn lock(&self) {
        self.inner.vault.borrow_mut().take();
    }

    /// Locks, then deletes every record of the wallet.
    pub async fn wipe(&self) -> Result<(), VaultError> {
        self.lock();
        Vault::wipe(&self.inner.store).await
    }

    /// Returns the number of words of the recovery phrase, if unlocked.
    pub async fn phrase_word_count(&self) -> Option<usize> {
        // Take the vault out of the cell for the await: a RefCell borrow must not be held across one.
        let vault = self.inner.vault.borrow_mut().take()?;
        let count = vault.recovery_phrase().await.ok().map(|p| p.words().len());
        let mut slot = self.inner.vault.borrow_mut();
        if slot.is_none() {
            *slot = Some(vault);
        }
        count
    }
}
