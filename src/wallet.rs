//! The wallet handle the UI holds: the IndexedDB store, this tab's lock on the wallet, the vault
//! while it is unlocked, and the node's worker while it runs. Locking drops the vault, which wipes its
//! keys from memory, and stops the node.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use blixtra_core::backup::{BackupError, BackupFile};
use blixtra_core::{RecoveryPhrase, Vault, VaultError};
use blixtra_host::protocol::StartNode;
use futures::lock::Mutex as AsyncMutex;

use crate::session::Phase;
use blixtra_host::browser::web_lock::{LockError, WALLET_LOCK};
use blixtra_host::browser::{extension_host, IdbStore, WebLock};
use blixtra_host::node_client::{NodeCallError, NodeClient, NodeNotice};

/// The IndexedDB database that holds the wallet.
pub const DATABASE: &str = "blixtra";

#[derive(Clone)]
pub struct Wallet {
    inner: Rc<Inner>,
}

struct Inner {
    store: IdbStore,
    vault: RefCell<Option<Vault<IdbStore>>>,
    /// The running node's client, for requests.
    node: RefCell<Option<NodeClient>>,
    /// Held while a node starts or stops: a new node never opens the store before the last one
    /// finished writing its state on the way out.
    node_turn: AsyncMutex<()>,
    /// Held for the life of the page: the browser releases it when the tab closes. None in the
    /// extension, whose node host runs the one node and holds the lock for it.
    _tab_lock: Option<WebLock>,
}

/// What opening the wallet found.
pub enum Opening {
    Ready(Wallet, Phase),
    OtherTab,
    Unavailable(String),
}

impl Wallet {
    /// Takes the tab lock, waiting for it `within` (`None`: until the tab that holds it lets go), then
    /// opens storage. Nothing is read or written without the lock.
    pub async fn open(within: Option<Duration>) -> Opening {
        let tab_lock = if extension_host::node_host_available() {
            None
        } else {
            match WebLock::acquire(WALLET_LOCK, within).await {
                Ok(Some(lock)) => Some(lock),
                Ok(None) => return Opening::OtherTab,
                Err(e @ (LockError::Unsupported | LockError::Refused(_))) => return Opening::Unavailable(e.to_string()),
            }
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
        Opening::Ready(
            Wallet {
                inner: Rc::new(Inner {
                    store,
                    vault: RefCell::new(None),
                    node: RefCell::new(None),
                    node_turn: AsyncMutex::new(()),
                    _tab_lock: tab_lock,
                }),
            },
            phase,
        )
    }

    /// Creates the vault for a new phrase and leaves it unlocked.
    pub async fn create(&self, phrase: &RecoveryPhrase, passphrase: &str) -> Result<(), VaultError> {
        let vault = Vault::create(self.inner.store.clone(), phrase, passphrase).await?;
        *self.inner.vault.borrow_mut() = Some(vault);
        Ok(())
    }

    /// Creates the vault for a phrase made before (its node will look for the funds of the channels
    /// it had) and leaves it unlocked.
    pub async fn restore(&self, phrase: &RecoveryPhrase, passphrase: &str) -> Result<(), VaultError> {
        let vault = Vault::restore(self.inner.store.clone(), phrase, passphrase).await?;
        *self.inner.vault.borrow_mut() = Some(vault);
        Ok(())
    }

    /// Restores the wallet a backup file holds (unlocked with the passphrase it had then) and leaves
    /// it unlocked.
    pub async fn restore_backup(&self, file: BackupFile, passphrase: &str) -> Result<(), BackupError> {
        let vault = file.restore(self.inner.store.clone(), passphrase).await?;
        *self.inner.vault.borrow_mut() = Some(vault);
        Ok(())
    }

    pub async fn unlock(&self, passphrase: &str) -> Result<(), VaultError> {
        let vault = Vault::unlock(self.inner.store.clone(), passphrase).await?;
        *self.inner.vault.borrow_mut() = Some(vault);
        Ok(())
    }

    /// Drops the vault's keys now; the node stops in the background (see [`Wallet::stop_node`]).
    pub fn lock(&self) {
        self.inner.vault.borrow_mut().take();
        let wallet = self.clone();
        wasm_bindgen_futures::spawn_local(async move { wallet.stop_node().await });
    }

    /// Locks, stops the node, then deletes every record of the wallet.
    pub async fn wipe(&self) -> Result<(), VaultError> {
        self.lock();
        self.stop_node().await;
        Vault::wipe(&self.inner.store).await
    }

    /// Starts the node in its worker (which unlocks the vault with the passphrase on its own thread).
    /// Waits for a node stopping before. Returns the node id.
    pub async fn start_node(&self, start: StartNode, on_notice: impl Fn(NodeNotice) + 'static) -> Result<String, NodeCallError> {
        let _turn = self.inner.node_turn.lock().await;
        let old = self.inner.node.borrow_mut().take();
        if let Some(old) = old {
            old.stop().await;
        }
        let client =
            if extension_host::node_host_available() { NodeClient::connect_extension_host(on_notice).await? } else { NodeClient::spawn(on_notice)? };
        let node_id = client.start(start).await;
        match node_id {
            Ok(node_id) => {
                *self.inner.node.borrow_mut() = Some(client);
                Ok(node_id)
            }
            Err(e) => {
                client.stop().await;
                Err(e)
            }
        }
    }

    /// Stops the node, if one runs, and returns once it wrote its state.
    pub async fn stop_node(&self) {
        let _turn = self.inner.node_turn.lock().await;
        let client = self.inner.node.borrow_mut().take();
        if let Some(client) = client {
            client.stop().await;
            blixtra_host::browser::timing::mark("blixtra:node-stopped");
        }
    }

    /// In the extension, joins the node another page started, if it runs, and returns its id. The
    /// page is then unlocked without asking: the wallet is unlocked in the browser, not in a page.
    pub async fn join_running_node(&self, on_notice: impl Fn(NodeNotice) + 'static) -> Option<String> {
        if !extension_host::node_host_available() {
            return None;
        }
        let _turn = self.inner.node_turn.lock().await;
        let client = NodeClient::connect_extension_host(on_notice).await.ok()?;
        match client.hello().await {
            Ok(Some(node_id)) => {
                *self.inner.node.borrow_mut() = Some(client);
                Some(node_id)
            }
            _ => {
                client.close();
                None
            }
        }
    }

    /// Lets go of a node another page stopped, without asking it to stop again.
    pub fn forget_stopped_node(&self) {
        self.inner.vault.borrow_mut().take();
        if let Some(client) = self.inner.node.borrow_mut().take() {
            client.close();
        }
    }

    /// Returns the running node's client.
    pub fn node(&self) -> Option<NodeClient> {
        self.inner.node.borrow().clone()
    }

    /// The IndexedDB database's name, for the node's worker to open.
    pub fn database(&self) -> &'static str {
        DATABASE
    }
}
