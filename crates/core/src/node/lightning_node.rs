//! The running Lightning node: started from the vault's keys and sealed store, it keeps its chain view
//! current, talks to peers through the platform's connector, and carries out what the wallet asks
//! (open and close channels, pay and create invoices). LDK's events are handled in [`super::events`].

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::str::FromStr;
use std::time::Duration;

use bitcoin::hashes::Hash as _;
use bitcoin::hex::{DisplayHex, FromHex};
use bitcoin::secp256k1::PublicKey;
use bitcoin::{Amount, FeeRate, Network, Txid};
use esplora_client::AsyncClient;
use futures::channel::{mpsc, oneshot};
use futures::future::{FutureExt, Shared};
use futures::lock::Mutex as AsyncMutex;
use lightning::chain::BestBlock;
use lightning::ln::channel_state::ChannelDetails;
use lightning::ln::channelmanager::{Bolt11InvoiceParameters, PaymentId, RecentPaymentDetails, Retry};
use lightning::ln::peer_handler::SocketDescriptor;
use lightning::routing::router::{InFlightHtlcs, PaymentParameters, RouteParameters, RouteParametersConfig, Router as _};
use lightning::sign::EntropySource;
use lightning::types::payment::PaymentHash;
use lightning::util::logger::Logger as _;
use lightning_invoice::{Bolt11Invoice, Bolt11InvoiceDescription, Description};

use super::builder::{self, BuildInputs, Parts};
use super::bump::OnchainCoins;
use super::chain_sync::ChainSource;
use super::keys::NodeKeys;
use super::ldk_store::LdkStore;
use super::logger::NodeLogger;
use super::net::{drive_connection, Connector};
use super::onchain::{parse_address, OnchainWallet, SendAmount};
use super::payments::{PaymentDirection, PaymentRecord, PaymentStatus, PaymentStore};
use super::platform::Platform;
use super::signer::WalletSigner;
use super::NodeError;
use crate::keys::PEERS_NAMESPACE;
use crate::store::sealed::SealedStore;

/// How long a peer connection may take to finish LDK's handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Payment attempts over different routes before a payment counts as failed.
const PAYMENT_ATTEMPTS: u32 = 3;
/// Waits between reconnection attempts to a known peer, after 1, 2, 3 and more failures.
const RECONNECT_BACKOFF: [Duration; 4] = [Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(5), Duration::from_secs(15)];

/// What the wallet sets.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub network: Network,
    pub esplora_url: String,
    /// The largest channel this wallet opens (the founding document: Lightning is for everyday sums).
    pub max_channel: Amount,
}

/// A peer's address as a person writes it: `node_id@host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerUri {
    pub node_id: PublicKey,
    pub host: String,
    pub port: u16,
}

impl std::fmt::Display for PeerUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}@[{}]:{}", self.node_id, self.host, self.port)
        } else {
            write!(f, "{}@{}:{}", self.node_id, self.host, self.port)
        }
    }
}

impl FromStr for PeerUri {
    type Err = NodeError;

    fn from_str(text: &str) -> Result<Self, NodeError> {
        let invalid = |why: &str| NodeError::InvalidPeer(format!("{why}: expected node_id@host:port"));
        let (id, address) = text.trim().split_once('@').ok_or_else(|| invalid("no '@'"))?;
        let node_id = PublicKey::from_str(id).map_err(|_| invalid("the node id is not a public key"))?;
        let (host, port) = address.rsplit_once(':').ok_or_else(|| invalid("no port"))?;
        let port = port.parse().map_err(|_| invalid("the port is not a number"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(invalid("no host"));
        }
        Ok(PeerUri { node_id, host: host.to_owned(), port })
    }
}

/// What the node tells the wallet as it happens.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum NodeEvent {
    PeerConnected { node_id: PublicKey },
    PeerDisconnected { node_id: PublicKey, reason: String },
    ChannelPending { channel_id: String },
    ChannelReady { channel_id: String },
    ChannelClosed { channel_id: String, reason: String },
    PaymentReceived { payment_hash: String, amount_msat: u64 },
    PaymentSent { payment_hash: String, fee_paid_msat: u64 },
    PaymentFailed { payment_hash: String, reason: String },
    Synced { height: u32 },
}

/// Where the node stands, for the wallet's status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeStatus {
    /// The chain height LDK has seen.
    pub height: u32,
    /// Peers the node keeps connections to, and how many of them are connected now.
    pub peers_known: usize,
    pub peers_connected: usize,
}

/// The balances a person sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balances {
    pub onchain_confirmed: Amount,
    pub onchain_pending: Amount,
    /// What the wallet could spend over its channels (ours, less the reserves).
    pub lightning_msat: u64,
}

pub struct LightningNode<P: Platform> {
    pub(super) platform: P,
    pub(super) config: NodeConfig,
    pub(super) parts: Parts<P>,
    pub(super) esplora: AsyncClient<P::Sleeper>,
    pub(super) onchain: Rc<AsyncMutex<OnchainWallet<P::Store>>>,
    pub(super) payments: PaymentStore<P::Store>,
    pub(super) subscribers: RefCell<Vec<mpsc::UnboundedSender<NodeEvent>>>,
    /// Outgoing payments waiting for LDK's verdict.
    pub(super) pending_sends: RefCell<HashMap<PaymentId, oneshot::Sender<Result<PaymentRecord, NodeError>>>>,
    /// Peers to stay connected to (those we have channels with or asked for).
    pub(super) peers: RefCell<HashMap<PublicKey, PeerUri>>,
    pub(super) stopping: Cell<bool>,
    /// The tip the on-chain wallet last synced to.
    onchain_tip: RefCell<Option<bitcoin::BlockHash>>,
    /// One chain sync at a time (the chain loop's and the wallet's own).
    sync_lock: AsyncMutex<()>,
    /// Complete when the background tasks have ended.
    task_ends: RefCell<Vec<oneshot::Receiver<()>>>,
    /// Fired by `stop`, so that sleeping tasks wake at once instead of at the end of their sleep.
    stop_trigger: RefCell<Option<oneshot::Sender<()>>>,
    stop_signal: Shared<oneshot::Receiver<()>>,
}

impl<P: Platform> LightningNode<P> {
    /// Starts the node: restores its state from `sealed`, catches up with the chain, and starts its
    /// background tasks. Fails, changing nothing, if the store or the chain server fails.
    pub async fn start(
        platform: P,
        keys: &NodeKeys,
        sealed: Rc<SealedStore<P::Store>>,
        config: NodeConfig,
        logger: NodeLogger,
    ) -> Result<Rc<Self>, NodeError> {
        let esplora = esplora_client::Builder::new(&config.esplora_url)
            .max_retries(3)
            .build_async_with_sleeper::<P::Sleeper>()
            .map_err(|e| NodeError::Chain(e.to_string()))?;
        let tip = current_tip(&esplora).await?;
        let keys_manager = Rc::new(keys.keys_manager(platform.now()));
        let mut onchain = OnchainWallet::open(keys, config.network, sealed.clone()).await?;
        let funds_back_to = onchain.close_address().await?;
        let signer = Rc::new(
            WalletSigner::new(keys_manager.clone(), funds_back_to.script_pubkey())
                .map_err(|_| NodeError::Onchain("the wallet's address cannot receive a channel's funds".to_owned()))?,
        );
        let store = Rc::new(LdkStore::new(sealed.clone()));
        let onchain = Rc::new(AsyncMutex::new(onchain));
        let coins = Rc::new(OnchainCoins::new(onchain.clone()));
        let inputs =
            BuildInputs { platform: &platform, keys: keys_manager, signer, coins, logger: Rc::new(logger), store, network: config.network, tip };
        let parts = builder::build(inputs).await?;
        let payments = PaymentStore::open(sealed).await?;
        let (stop_trigger, stop_signal) = oneshot::channel();
        let node = Rc::new(Self {
            platform,
            config,
            parts,
            esplora,
            onchain,
            payments,
            subscribers: RefCell::new(Vec::new()),
            pending_sends: RefCell::new(HashMap::new()),
            peers: RefCell::new(HashMap::new()),
            stopping: Cell::new(false),
            onchain_tip: RefCell::new(None),
            sync_lock: AsyncMutex::new(()),
            task_ends: RefCell::new(Vec::new()),
            stop_trigger: RefCell::new(Some(stop_trigger)),
            stop_signal: stop_signal.shared(),
        });
        node.load_peers().await?;
        node.reconcile_payments().await?;
        // Fee estimates and the chain before anything talks to peers: a channel manager behind the
        // chain would act on old news.
        let _ = node.parts.fees.refresh(&node.esplora).await;
        node.sync_chain().await?;
        *node.task_ends.borrow_mut() = super::tasks::start(&node);
        Ok(node)
    }

    pub fn node_id(&self) -> PublicKey {
        self.parts.channel_manager.get_our_node_id()
    }

    pub fn network(&self) -> Network {
        self.config.network
    }

    /// Returns a stream of what happens from now on.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<NodeEvent> {
        let (sender, receiver) = mpsc::unbounded();
        self.subscribers.borrow_mut().push(sender);
        receiver
    }

    pub(super) fn notify(&self, event: NodeEvent) {
        self.subscribers.borrow_mut().retain(|s| s.unbounded_send(event.clone()).is_ok());
    }

    /// Brings LDK and the on-chain wallet up to the chain server's best chain, then posts what waits
    /// to be broadcast.
    pub async fn sync_chain(&self) -> Result<u32, NodeError> {
        let _one_at_a_time = self.sync_lock.lock().await;
        // What waits to be broadcast goes first: LDK watches its own transactions as soon as it makes them.
        self.flush_broadcasts().await?;
        let confirmables: [&dyn lightning::chain::Confirm; 3] = [&*self.parts.channel_manager, &*self.parts.chain_monitor, &*self.parts.sweeper];
        let report = self.parts.chain_sync.sync(&self.esplora, &confirmables).await.map_err(|e| NodeError::Chain(e.to_string()))?;
        // The on-chain wallet asks about its addresses only when a block came (or never did yet).
        if self.onchain_tip.borrow().as_ref() != Some(&report.tip) {
            self.onchain.lock().await.sync(&self.esplora, self.platform.now()).await?;
            *self.onchain_tip.borrow_mut() = Some(report.tip);
            // A new block may have matured what a closed channel left us: sweep it now rather than at
            // the background processor's next 30-second round.
            let _ = self.parts.sweeper.regenerate_and_broadcast_spend_if_necessary().await;
        }
        self.flush_broadcasts().await?;
        let height = report.height;
        self.notify(NodeEvent::Synced { height });
        Ok(height)
    }

    /// Posts LDK's and the wallet's transactions; what the server took is recorded by the on-chain
    /// wallet if it touches it.
    pub(super) async fn flush_broadcasts(&self) -> Result<(), NodeError> {
        let (sent, report) = self.parts.broadcaster.flush_collecting(&self.esplora).await;
        let mut onchain = self.onchain.lock().await;
        for tx in sent {
            onchain.record_broadcast(&tx, self.platform.now()).await?;
        }
        for (txid, reason) in report.refused {
            lightning::log_error!(self.parts.logger, "the chain server refused transaction {txid}: {reason}");
        }
        Ok(())
    }

    /// Connects to a peer (and keeps reconnecting while the node runs). Returns once LDK's handshake
    /// is done.
    pub async fn connect(self: &Rc<Self>, peer: &PeerUri) -> Result<(), NodeError> {
        self.remember_peer(peer).await?;
        if self.is_connected(&peer.node_id) {
            return Ok(());
        }
        let (mut socket, events) =
            self.platform.connector().connect(&peer.host, peer.port).await.map_err(|e| NodeError::PeerUnreachable(e.to_string()))?;
        let first_bytes = self
            .parts
            .peer_manager
            .new_outbound_connection(peer.node_id, socket.clone(), None)
            .map_err(|_| NodeError::PeerUnreachable(format!("{} refused the connection", peer.node_id)))?;
        socket.send_data(&first_bytes, true);
        // The proxy accepts before it reaches the peer: an unreachable one shows as an early close.
        let closed: Rc<RefCell<Option<String>>> = Rc::default();
        let (node, node_id, closed_by_task) = (self.clone(), peer.node_id, closed.clone());
        self.platform.spawner().spawn_local(async move {
            let reason = drive_connection(&*node.parts.peer_manager, socket, events).await;
            *closed_by_task.borrow_mut() = Some(reason.to_string());
            node.notify(NodeEvent::PeerDisconnected { node_id, reason: reason.to_string() });
        });
        self.await_handshake(&peer.node_id, &closed).await?;
        self.notify(NodeEvent::PeerConnected { node_id: peer.node_id });
        Ok(())
    }

    /// Waits until LDK lists the peer, or the connection closes. LDK raises no event for a finished
    /// handshake, so this looks every few milliseconds, within [`HANDSHAKE_TIMEOUT`].
    async fn await_handshake(&self, node_id: &PublicKey, closed: &RefCell<Option<String>>) -> Result<(), NodeError> {
        let step = Duration::from_millis(20);
        let mut waited = Duration::ZERO;
        while waited < HANDSHAKE_TIMEOUT {
            if self.is_connected(node_id) {
                return Ok(());
            }
            if let Some(reason) = closed.borrow().clone() {
                return Err(NodeError::PeerUnreachable(format!("{node_id}: {reason}")));
            }
            self.platform.sleep(step).await;
            waited += step;
        }
        Err(NodeError::PeerUnreachable(format!("{node_id} did not complete the handshake within {HANDSHAKE_TIMEOUT:?}")))
    }

    /// Returns a random id for a new channel, ours to recognise it by.
    pub(super) fn new_user_channel_id(&self) -> u128 {
        u128::from_be_bytes(self.parts.keys.get_secure_random_bytes()[..16].try_into().expect("16 of 32 bytes"))
    }

    pub fn is_connected(&self, node_id: &PublicKey) -> bool {
        self.parts.peer_manager.peer_by_node_id(node_id).is_some()
    }

    /// Opens a channel of `amount` to `peer`, funded from the on-chain wallet. Returns the channel's
    /// temporary id; [`NodeEvent::ChannelPending`] follows once the funding is broadcast.
    pub async fn open_channel(self: &Rc<Self>, peer: &PeerUri, amount: Amount) -> Result<String, NodeError> {
        if amount > self.config.max_channel {
            return Err(NodeError::ChannelTooLarge { requested: amount, max: self.config.max_channel });
        }
        let available = self.onchain.lock().await.balance().trusted_spendable();
        if amount > available {
            return Err(NodeError::InsufficientFunds { needed_msat: amount.to_sat() * 1000, available_msat: available.to_sat() * 1000 });
        }
        self.connect(peer).await?;
        let user_channel_id = self.new_user_channel_id();
        let channel_id = self
            .parts
            .channel_manager
            .create_channel(peer.node_id, amount.to_sat(), 0, user_channel_id, None, None)
            .map_err(|e| NodeError::Refused(format!("{e:?}")))?;
        Ok(channel_id.to_string())
    }

    /// Closes a channel: cooperatively (funds back after the closing transaction confirms), or by
    /// force (our commitment on chain, funds back after the delay the channel set).
    pub fn close_channel(&self, channel_id: &str, force: bool) -> Result<(), NodeError> {
        let channel = self
            .channels()
            .into_iter()
            .find(|c| c.channel_id.to_string() == channel_id)
            .ok_or_else(|| NodeError::UnknownChannel(channel_id.to_owned()))?;
        let manager = &self.parts.channel_manager;
        let result = if force {
            manager.force_close_broadcasting_latest_txn(&channel.channel_id, &channel.counterparty.node_id, "closed by the wallet's owner".to_owned())
        } else {
            manager.close_channel(&channel.channel_id, &channel.counterparty.node_id)
        };
        result.map_err(|e| NodeError::Refused(format!("{e:?}")))
    }

    pub fn channels(&self) -> Vec<ChannelDetails> {
        self.parts.channel_manager.list_channels()
    }

    pub async fn balances(&self) -> Balances {
        let onchain = self.onchain.lock().await.balance();
        let lightning_msat = self.channels().iter().filter(|c| c.is_channel_ready).map(|c| c.outbound_capacity_msat).sum();
        Balances { onchain_confirmed: onchain.confirmed, onchain_pending: onchain.trusted_pending + onchain.untrusted_pending, lightning_msat }
    }

    /// Returns a fresh on-chain address of the wallet.
    pub async fn onchain_address(&self) -> Result<bitcoin::Address, NodeError> {
        Ok(self.onchain.lock().await.receive_address().await?)
    }

    /// Sends on chain from the wallet to a pasted address, at `fee_rate`; returns the transaction id
    /// once the chain server has taken it. Nothing changes if it refuses.
    pub async fn send_onchain(&self, address: &str, amount: SendAmount, fee_rate: FeeRate) -> Result<Txid, NodeError> {
        let to = parse_address(address, self.config.network)?;
        let mut onchain = self.onchain.lock().await;
        let signed = onchain.sign_payment(&to, amount, fee_rate)?;
        if let Err(e) = ChainSource::broadcast(&self.esplora, &signed.tx).await {
            onchain.abandon(&signed.tx);
            return Err(NodeError::Chain(e.to_string()));
        }
        onchain.record_broadcast(&signed.tx, self.platform.now()).await?;
        Ok(signed.tx.compute_txid())
    }

    /// Makes a BOLT11 invoice. `amount_msat` `None` lets the payer choose.
    pub async fn create_invoice(&self, amount_msat: Option<u64>, description: &str, expiry: Duration) -> Result<Bolt11Invoice, NodeError> {
        let description =
            Description::new(description.to_owned()).map_err(|e| NodeError::InvalidInvoice(format!("the description cannot be used: {e}")))?;
        let params = Bolt11InvoiceParameters {
            amount_msats: amount_msat,
            description: Bolt11InvoiceDescription::Direct(description),
            invoice_expiry_delta_secs: Some(expiry.as_secs().min(u64::from(u32::MAX)) as u32),
            ..Default::default()
        };
        let invoice = self
            .parts
            .channel_manager
            .create_bolt11_invoice(params)
            .map_err(|e| NodeError::InvalidInvoice(format!("cannot make the invoice: {e:?}")))?;
        let record = PaymentRecord::new(
            PaymentDirection::Inbound,
            hash_hex(&PaymentHash(invoice.payment_hash().to_byte_array())),
            amount_msat,
            self.platform.now(),
        );
        self.payments.upsert(record).await?;
        Ok(invoice)
    }

    /// Pays a BOLT11 invoice and waits for the outcome. `amount_msat` is for invoices without one;
    /// `max_fee_msat` caps the routing fees. Checks the invoice before anything is sent.
    pub async fn pay_invoice(&self, text: &str, amount_msat: Option<u64>, max_fee_msat: u64) -> Result<PaymentRecord, NodeError> {
        let invoice = self.check_invoice(text, amount_msat)?;
        let amount = invoice.amount_milli_satoshis().or(amount_msat).ok_or(NodeError::AmountNeeded)?;
        let spendable: u64 = self.parts.channel_manager.list_usable_channels().iter().map(|c| c.next_outbound_htlc_limit_msat).sum();
        if amount > spendable {
            return Err(NodeError::InsufficientFunds { needed_msat: amount, available_msat: spendable });
        }
        let payment_hash = PaymentHash(invoice.payment_hash().to_byte_array());
        let payment_id = PaymentId(payment_hash.0);
        if let Some(previous) = self.payments.get(&hash_hex(&payment_hash)).await? {
            if previous.direction == PaymentDirection::Outbound && previous.status != PaymentStatus::Failed {
                return Err(NodeError::AlreadyPaid(previous.status));
            }
        }
        let mut record = PaymentRecord::new(PaymentDirection::Outbound, hash_hex(&payment_hash), Some(amount), self.platform.now());
        record.description = invoice_description(&invoice);
        // Recorded before it is sent: a reload in between finds it and LDK's own record says how it ended.
        self.payments.upsert(record).await?;
        let (sender, outcome) = oneshot::channel();
        self.pending_sends.borrow_mut().insert(payment_id, sender);
        let route = RouteParametersConfig { max_total_routing_fee_msat: Some(max_fee_msat), ..RouteParametersConfig::default() };
        let given = if invoice.amount_milli_satoshis().is_some() { None } else { Some(amount) };
        if let Err(e) = self.parts.channel_manager.pay_for_bolt11_invoice(&invoice, payment_id, given, route, Retry::Attempts(PAYMENT_ATTEMPTS)) {
            self.pending_sends.borrow_mut().remove(&payment_id);
            self.payments.update(&hash_hex(&payment_hash), |r| r.status = PaymentStatus::Failed).await?;
            return Err(NodeError::PaymentFailed(format!("{e:?}")));
        }
        outcome.await.map_err(|_| NodeError::Stopped)?
    }

    /// Returns the routing fee the node expects to pay for `amount_msat` to the invoice's payee, from
    /// a route found now; `None` when no route is known yet (the payment itself searches again).
    pub fn estimate_fee_msat(&self, invoice: &Bolt11Invoice, amount_msat: u64) -> Option<u64> {
        let params = RouteParameters::from_payment_params_and_value(PaymentParameters::from_bolt11_invoice(invoice), amount_msat);
        let first_hops = self.parts.channel_manager.list_usable_channels();
        let first_hops: Vec<&ChannelDetails> = first_hops.iter().collect();
        let route = self.parts.router.find_route(&self.node_id(), &params, Some(&first_hops), InFlightHtlcs::new()).ok()?;
        Some(route.get_total_fees())
    }

    /// Returns where the node stands: chain height and peers.
    /// Returns what the node has committed to its store since the vault was opened.
    pub fn store_writes(&self) -> crate::store::sealed::StoreWrites {
        self.parts.store.sealed().writes()
    }

    /// Returns LDK's writes committed since start, by kind (see `LdkStore::written_by_kind`).
    pub fn ldk_writes(&self) -> std::collections::BTreeMap<String, super::ldk_store::KindWrites> {
        self.parts.store.written_by_kind()
    }

    pub fn status(&self) -> NodeStatus {
        let peers = self.peers.borrow();
        NodeStatus {
            height: self.parts.channel_manager.current_best_block().height,
            peers_known: peers.len(),
            peers_connected: peers.keys().filter(|id| self.is_connected(id)).count(),
        }
    }

    /// Parses and checks an invoice for this node (see [`check_invoice`]).
    pub fn check_invoice(&self, text: &str, amount_msat: Option<u64>) -> Result<Bolt11Invoice, NodeError> {
        check_invoice(text, self.config.network, self.platform.now(), amount_msat)
    }

    pub async fn payments(&self) -> Result<Vec<PaymentRecord>, NodeError> {
        self.payments.all().await
    }

    /// Stops the node and returns once its tasks have ended: LDK's background processor writes the
    /// channel manager, graph and scorer on its way out. Another node may use the store after.
    pub async fn stop(&self) {
        self.stopping.set(true);
        if let Some(trigger) = self.stop_trigger.borrow_mut().take() {
            let _ = trigger.send(());
        }
        self.parts.peer_manager.disconnect_all_peers();
        // Payments in flight are LDK's to finish after a restart; whoever waits here is told now.
        for (_, waiter) in self.pending_sends.borrow_mut().drain() {
            let _ = waiter.send(Err(NodeError::Stopped));
        }
        let ends = std::mem::take(&mut *self.task_ends.borrow_mut());
        for end in ends {
            let _ = end.await;
        }
    }

    /// Sleeps for `duration`, or less if the node stops meanwhile; returns whether it is stopping.
    pub(super) async fn sleep_unless_stopped(&self, duration: Duration) -> bool {
        let sleep = self.platform.sleep(duration);
        futures::future::select(sleep, self.stop_signal.clone()).await;
        self.stopping.get()
    }

    /// How many channels of the network the node knows: routes beyond its own channels need them.
    pub fn known_network_channels(&self) -> usize {
        self.parts.graph.read_only().channels().len()
    }

    /// Marks failed the outgoing payments the wallet recorded but LDK never sent (a reload came
    /// between the record and the send): nothing left the wallet, and they may be paid again. One
    /// LDK knows is left to its events (sent, failed, or replayed after the restart).
    async fn reconcile_payments(&self) -> Result<(), NodeError> {
        let known: Vec<PaymentId> = self.parts.channel_manager.list_recent_payments().iter().map(recent_payment_id).collect();
        let now = self.platform.now().as_secs();
        for record in self.payments.all().await? {
            let id = payment_id_of(&record.payment_hash);
            if record.direction == PaymentDirection::Outbound && record.status == PaymentStatus::Pending && id.is_some_and(|id| !known.contains(&id))
            {
                self.payments
                    .update(&record.payment_hash, |r| {
                        r.status = PaymentStatus::Failed;
                        r.updated_at_secs = now;
                    })
                    .await?;
            }
        }
        Ok(())
    }

    /// Reads the peers to stay connected to.
    async fn load_peers(&self) -> Result<(), NodeError> {
        let sealed = self.parts.store.sealed();
        for key in sealed.list(PEERS_NAMESPACE, "").await.map_err(|e| NodeError::Storage(e.to_string()))? {
            let Some(uri) = sealed.get(PEERS_NAMESPACE, &key).await.map_err(|e| NodeError::Storage(e.to_string()))? else { continue };
            let peer: PeerUri = std::str::from_utf8(&uri).map_err(|_| NodeError::Storage("a stored peer address is not text".to_owned()))?.parse()?;
            self.peers.borrow_mut().insert(peer.node_id, peer);
        }
        Ok(())
    }

    /// Remembers a peer to reconnect to after a restart (stored before the first connection).
    async fn remember_peer(&self, peer: &PeerUri) -> Result<(), NodeError> {
        if self.peers.borrow().get(&peer.node_id) == Some(peer) {
            return Ok(());
        }
        self.parts
            .store
            .sealed()
            .put(PEERS_NAMESPACE, &peer.node_id.to_string(), peer.to_string().as_bytes())
            .await
            .map_err(|e| NodeError::Storage(e.to_string()))?;
        self.peers.borrow_mut().insert(peer.node_id, peer.clone());
        Ok(())
    }

    /// Reconnects to every known peer that is not connected, with backoff per peer.
    pub(super) async fn reconnect_peers(self: &Rc<Self>, attempts: &mut HashMap<PublicKey, (usize, Duration)>) {
        let now = self.platform.now();
        let wanted: Vec<PeerUri> = self.peers.borrow().values().cloned().collect();
        for peer in wanted {
            if self.is_connected(&peer.node_id) {
                attempts.remove(&peer.node_id);
                continue;
            }
            let (failures, not_before) = attempts.get(&peer.node_id).copied().unwrap_or((0, Duration::ZERO));
            if now < not_before {
                continue;
            }
            if let Err(e) = self.connect(&peer).await {
                let wait = RECONNECT_BACKOFF[failures.min(RECONNECT_BACKOFF.len() - 1)];
                attempts.insert(peer.node_id, (failures + 1, self.platform.now() + wait));
                lightning::log_warn!(self.parts.logger, "cannot reach peer {}: {e}; next try in {wait:?}", peer.node_id);
            }
        }
    }
}

/// Parses and checks a pasted invoice before anything is sent: its form (a `lightning:` prefix is
/// allowed), its network, its expiry at `now`, and that an amount is known.
pub fn check_invoice(text: &str, network: Network, now: Duration, amount_msat: Option<u64>) -> Result<Bolt11Invoice, NodeError> {
    let text = text.trim();
    let text = text.get(..10).filter(|p| p.eq_ignore_ascii_case("lightning:")).map_or(text, |_| &text[10..]);
    let invoice = Bolt11Invoice::from_str(text).map_err(|e| NodeError::InvalidInvoice(e.to_string()))?;
    if invoice.network() != network {
        return Err(NodeError::WrongNetwork { invoice: invoice.network(), wallet: network });
    }
    if invoice.would_expire(now) {
        return Err(NodeError::InvoiceExpired);
    }
    match (invoice.amount_milli_satoshis(), amount_msat) {
        (None, None | Some(0)) => Err(NodeError::AmountNeeded),
        _ => Ok(invoice),
    }
}

async fn current_tip<S: esplora_client::Sleeper>(esplora: &AsyncClient<S>) -> Result<BestBlock, NodeError> {
    let hash = esplora.get_tip_hash().await.map_err(|e| NodeError::Chain(e.to_string()))?;
    let height = esplora.get_height().await.map_err(|e| NodeError::Chain(e.to_string()))?;
    Ok(BestBlock::new(hash, height))
}

fn recent_payment_id(payment: &RecentPaymentDetails) -> PaymentId {
    match payment {
        RecentPaymentDetails::AwaitingInvoice { payment_id }
        | RecentPaymentDetails::Pending { payment_id, .. }
        | RecentPaymentDetails::Fulfilled { payment_id, .. }
        | RecentPaymentDetails::Abandoned { payment_id, .. } => *payment_id,
    }
}

/// The payment id this wallet uses for an outgoing payment: its payment hash (hex).
fn payment_id_of(hash_hex: &str) -> Option<PaymentId> {
    <[u8; 32]>::from_hex(hash_hex).ok().map(PaymentId)
}

pub(super) fn hash_hex(hash: &PaymentHash) -> String {
    hash.0.to_lower_hex_string()
}

/// The invoice's description, when it carries one (not only its hash).
pub(super) fn invoice_description(invoice: &Bolt11Invoice) -> Option<String> {
    match invoice.description() {
        lightning_invoice::Bolt11InvoiceDescriptionRef::Direct(d) => Some(d.to_string()),
        lightning_invoice::Bolt11InvoiceDescriptionRef::Hash(_) => None,
    }
}
