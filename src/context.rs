//! What every page can reach ([`AppContext`]): the app's phase, settings, the node as last heard of,
//! and the wallet handle. Reactive handles only; what acts on the node lives in `node_session`.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::devnet_link::DevnetInfo;
use crate::node_state::NodeState;
use crate::session::{AutoLock, Phase};
use crate::settings::Settings;
use crate::wallet::Wallet;
use blixtra_host::browser::now_ms;
use blixtra_host::browser::storage_persistence::{self, Persistence};

/// What every page can reach. `Copy`: it holds only reactive handles.
#[derive(Clone, Copy)]
pub struct AppContext {
    pub phase: RwSignal<Phase>,
    pub auto_lock: RwSignal<AutoLock>,
    pub persistence: RwSignal<Option<Persistence>>,
    pub settings: RwSignal<Settings>,
    /// The node as last heard of (see `node_session`).
    pub node: RwSignal<NodeState>,
    /// The devnet's addresses, when the settings name one and it answered.
    pub devnet: RwSignal<Option<DevnetInfo>>,
    pub refresh_running: StoredValue<bool>,
    pub refresh_again: StoredValue<bool>,
    pub(crate) wallet: StoredValue<Option<Wallet>, LocalStorage>,
    pub(crate) last_activity_ms: StoredValue<f64>,
    /// What a website's `lightning:` link the person clicked asks to pay (the extension opens the
    /// wallet with it, `?send=`): shown on the Send page once the wallet is unlocked, then gone.
    pub linked_request: StoredValue<Option<String>>,
}

impl AppContext {
    /// Returns the wallet handle; `None` before start-up finished or when another tab holds it.
    pub fn wallet(&self) -> Option<Wallet> {
        self.wallet.get_value()
    }

    /// Asks for persistent storage and records the answer (settings shows it).
    pub fn request_persistence(&self) {
        let persistence = self.persistence;
        spawn_local(async move { persistence.set(Some(storage_persistence::request().await)) });
    }

    pub(crate) fn note_activity(&self) {
        let now = now_ms();
        self.last_activity_ms.set_value(now);
        // The node keeps its own idle lock (it runs on with no page open in the extension): it hears
        // of the person's activity at most every few seconds, not at every key.
        if now - LAST_NODE_PING_MS.get() >= NODE_PING_EVERY_MS {
            if let Some(node) = self.wallet().and_then(|wallet| wallet.node()) {
                LAST_NODE_PING_MS.set(now);
                node.note_activity(self.auto_lock.get_untracked().after_secs());
            }
        }
    }
}

pub fn use_app() -> AppContext {
    expect_context::<AppContext>()
}

/// How often, at most, the node hears that the person is using the page.
const NODE_PING_EVERY_MS: f64 = 5_000.0;

thread_local! {
    static LAST_NODE_PING_MS: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}
