//! The running Lightning node: what it holds, and what it says about itself (id, status, balances,
//! metrics). Its work is split by topic, each an `impl` of its own: starting and stopping
//! ([`super::lifecycle`]), the chain ([`super::chain`]), peers ([`super::peers`]), channels
//! ([`super::channels`]), LDK's events ([`super::events`]); payments go through one handler per
//! kind, handed out by [`LightningNode::bolt11`], [`LightningNode::keysend`], `LightningNode::jit`
//! (in [`super::payment::jit`]) and [`LightningNode::onchain`]; the LSP client is [`super::liquidity`].

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::time::Duration;

use bitcoin::secp256k1::PublicKey;
use bitcoin::{Amount, Network};
use esplora_client::AsyncClient;
use futures::channel::oneshot;
use futures::future::{LocalBoxFuture, Shared};
use futures::lock::Mutex as AsyncMutex;
use lightning::ln::channel_state::ChannelDetails;

use super::builder::Parts;
use super::chain_source::ChainServers;
use super::error::{ChainFault, NodeError, StorageFault};
use super::events::Subscribers;
use super::ldk_store::KindWrites;
use super::lsp_requests::LspRequests;
use super::net::PeerUri;
use super::onchain::{FeeCap, OnchainWallet};
use super::payment::bolt11::Bolt11Payments;
use super::payment::keysend::KeysendPayments;
use super::payment::onchain::OnchainPayments;
use super::payment::{PaymentRecord, Payments};
use super::platform::Platform;
use crate::store::sealed::StoreWrites;

/// What the wallet sets.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub network: Network,
    pub esplora_url: String,
    /// A second Esplora server that must agree on confirmations and spends, and also gets every
    /// broadcast (optional).
    pub second_esplora_url: Option<String>,
    /// The largest channel this wallet opens (the founding document: Lightning is for everyday sums).
    pub max_channel: Amount,
    /// The most fee an on-chain transaction the wallet signs may pay.
    pub onchain_fee_cap: FeeCap,
    /// Peers whose channels the wallet takes without the on-chain coins to bump their force close.
    pub trusted_peers: Vec<PublicKey>,
    /// The Lightning Service Provider that sells this wallet just-in-time channels (LSPS2), if any.
    /// The node stays connected to it, and uses its channels before they confirm: it trusts the LSP
    /// not to double-spend its own funding.
    pub lsp: Option<PeerUri>,
    /// The address of the server that gives payers the wallet's static invoice while the wallet is
    /// closed and keeps their notes for it (an async payments server, on the devnet hub): the node
    /// asks it for the paths to it over which the payment code is set up.
    pub payment_code_server: Option<String>,
}

/// Where the node stands, for the wallet's status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// The chain height LDK has seen.
    pub height: u32,
    /// Peers the node keeps connections to, and how many of them are connected now.
    pub peers_known: usize,
    pub peers_connected: usize,
    /// Why the last chain sync failed, until one succeeds: a server that fails a check is named here,
    /// and its answers are not used.
    pub chain_fault: Option<ChainFault>,
}

/// The balances a person sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balances {
    pub onchain_confirmed: Amount,
    pub onchain_pending: Amount,
    /// What the wallet could spend over its channels (ours, less the reserves).
    pub lightning_msat: u64,
    /// What the channels keep of ours as their reserve: the wallet's, but spendable only when they
    /// close (each channel holds back about 1% of its size, at least 1,000 sats).
    pub lightning_reserve_msat: u64,
}

/// A dial to a peer under way, which a second caller joins instead of dialling again.
pub(super) type Dial = Shared<LocalBoxFuture<'static, Result<(), NodeError>>>;

pub struct LightningNode<P: Platform> {
    pub(super) platform: P,
    pub(super) config: NodeConfig,
    pub(super) parts: Parts<P>,
    /// The chain servers: the primary every read goes to, the optional witness.
    pub(super) chain: ChainServers<AsyncClient<P::Sleeper>>,
    pub(super) onchain: Rc<AsyncMutex<OnchainWallet<P::Store>>>,
    pub(super) payments: Payments<P::Store>,
    pub(super) subscribers: Subscribers,
    /// Peers to stay connected to (those we have channels with or asked for).
    pub(super) peers: RefCell<HashMap<PublicKey, PeerUri>>,
    /// At most one dial per peer: the reconnect loop and an explicit connect share it.
    pub(super) dials: RefCell<HashMap<PublicKey, Dial>>,
    pub(super) stopping: Cell<bool>,
    /// Whether the wallet was last told that LDK's writes fail.
    pub(super) storage_failing: Cell<bool>,
    /// Blocks mined while the wallet was closed (see [`super::closed_safely`]).
    pub(super) away_blocks: super::closed_safely::AwayBlocks,
    /// Why the last chain sync failed, if it did (see [`NodeStatus::chain_fault`]).
    pub(super) chain_fault: RefCell<Option<ChainFault>>,
    /// The tip the on-chain wallet last synced to.
    pub(super) onchain_tip: RefCell<Option<bitcoin::BlockHash>>,
    /// One chain sync at a time (the chain loop's and the wallet's own).
    pub(super) sync_lock: AsyncMutex<()>,
    /// Complete when the background tasks have ended.
    pub(super) task_ends: RefCell<Vec<oneshot::Receiver<()>>>,
    /// Fired by `stop`, so that sleeping tasks wake at once instead of at the end of their sleep.
    pub(super) stop_trigger: RefCell<Option<oneshot::Sender<()>>>,
    pub(super) stop_signal: Shared<oneshot::Receiver<()>>,
    /// Requests to the LSP waiting for its answer.
    pub(super) lsp_requests: LspRequests,
    /// When the node started (the platform's clock), to tell payments held while it was closed.
    pub(super) started_at: Duration,
    /// Whether this start handed LDK the paths to the payment code's server.
    pub(super) payment_code_set_up: Cell<bool>,
    /// Looking for the funds of channels a restored wallet had (see [`super::channel_recovery`]).
    pub(super) recovery: super::channel_recovery::ChannelRecovery<P::Store>,
    /// Why the person should export a backup file now ([`super::backups`]).
    pub(super) backup_reminder: Cell<Option<super::backups::BackupReminder>>,
}

impl<P: Platform> LightningNode<P> {
    pub fn node_id(&self) -> PublicKey {
        self.parts.channel_manager.get_our_node_id()
    }

    pub fn network(&self) -> Network {
        self.config.network
    }

    /// Returns the BOLT11 handler: check, pay and make invoices.
    pub fn bolt11(&self) -> Bolt11Payments<'_, P> {
        Bolt11Payments {
            manager: &self.parts.channel_manager,
            router: &self.parts.router,
            payments: &self.payments,
            store: &self.parts.store,
            network: self.config.network,
            platform: &self.platform,
        }
    }

    /// Returns the keysend handler: check and pay a node without an invoice.
    pub fn keysend(&self) -> KeysendPayments<'_, P> {
        KeysendPayments {
            manager: &self.parts.channel_manager,
            router: &self.parts.router,
            keys: &self.parts.keys,
            payments: &self.payments,
            store: &self.parts.store,
            logger: &self.parts.logger,
            platform: &self.platform,
        }
    }

    /// Tells the wallet when LDK's writes start failing and when they work again.
    pub(super) fn report_storage(&self) {
        let failure = self.parts.store.write_failure().map(StorageFault::from);
        if failure.is_some() != self.storage_failing.get() {
            self.storage_failing.set(failure.is_some());
            self.subscribers.notify(super::events::NodeEvent::Storage { failing: failure });
        }
    }

    /// Returns the on-chain handler: addresses and sends.
    pub fn onchain(&self) -> OnchainPayments<'_, P> {
        OnchainPayments { wallet: &self.onchain, chain: &self.chain, network: self.config.network, platform: &self.platform }
    }

    /// Returns a stream of what happens from now on.
    pub fn subscribe(&self) -> futures::channel::mpsc::UnboundedReceiver<super::events::NodeEvent> {
        self.subscribers.subscribe()
    }

    /// Returns where the node stands: chain height and peers (the LSP of the settings among them).
    pub fn status(&self) -> NodeStatus {
        let mut peers: Vec<PublicKey> = self.peers.borrow().keys().copied().collect();
        if let Some(lsp) = self.config.lsp.as_ref().filter(|lsp| !peers.contains(&lsp.node_id)) {
            peers.push(lsp.node_id);
        }
        NodeStatus {
            height: self.parts.channel_manager.current_best_block().height,
            peers_known: peers.len(),
            peers_connected: peers.iter().filter(|id| self.is_connected(id)).count(),
            chain_fault: self.chain_fault.borrow().clone(),
        }
    }

    pub async fn balances(&self) -> Balances {
        let onchain = self.onchain.lock().await.balance();
        let ready: Vec<ChannelDetails> = self.channels().into_iter().filter(|c| c.is_channel_ready).collect();
        let lightning_msat = ready.iter().map(|c| c.outbound_capacity_msat).sum();
        // A reserve counts once the wallet's side is above it; LDK says no more (a new inbound
        // channel's side holds nothing, and one spent down to its reserve shows none here either).
        let lightning_reserve_msat =
            ready.iter().filter(|c| c.outbound_capacity_msat > 0).map(|c| c.unspendable_punishment_reserve.unwrap_or(0) * 1000).sum();
        Balances {
            onchain_confirmed: onchain.confirmed,
            onchain_pending: onchain.trusted_pending + onchain.untrusted_pending,
            lightning_msat,
            lightning_reserve_msat,
        }
    }

    pub fn channels(&self) -> Vec<ChannelDetails> {
        self.parts.channel_manager.list_channels()
    }

    /// Every payment of every kind, newest first.
    pub async fn payments(&self) -> Result<Vec<PaymentRecord>, NodeError> {
        self.payments.all().await
    }

    /// Returns what the node has committed to its store since the vault was opened.
    pub fn store_writes(&self) -> StoreWrites {
        self.parts.store.sealed().writes()
    }

    /// Returns LDK's writes committed since start, by kind (see `LdkStore::written_by_kind`).
    pub fn ldk_writes(&self) -> BTreeMap<String, KindWrites> {
        self.parts.store.written_by_kind()
    }

    /// How many channels of the network the node knows: routes beyond its own channels need them.
    pub fn known_network_channels(&self) -> usize {
        self.parts.graph.read_only().channels().len()
    }

    pub fn is_connected(&self, node_id: &PublicKey) -> bool {
        self.parts.peer_manager.peer_by_node_id(node_id).is_some()
    }
}
