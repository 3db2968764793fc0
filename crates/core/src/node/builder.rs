//! Starting the node, in named phases: restore the channel monitors, wire the chain, restore the
//! channel manager (or make one), wire the peers. Each phase is one short function; the result is a
//! [`Parts`] that [`super::lightning_node::LightningNode`] runs.

use std::cell::RefCell;
use std::io::Cursor;
use std::rc::Rc;

use bitcoin::{BlockHash, Network};
use lightning::chain::chainmonitor::ChainMonitor as LdkChainMonitor;
use lightning::chain::channelmonitor::ChannelMonitor;
use lightning::chain::BestBlock;
use lightning::ln::channelmanager::{ChainParameters, ChannelManagerReadArgs};
use lightning::ln::peer_handler::{IgnoringMessageHandler, MessageHandler};
use lightning::onion_message::messenger::OnionMessenger as LdkOnionMessenger;
use lightning::routing::gossip::{NetworkGraph, P2PGossipSync as LdkP2PGossipSync};
use lightning::routing::router::DefaultRouter;
use lightning::routing::scoring::{ProbabilisticScorer, ProbabilisticScoringDecayParameters, ProbabilisticScoringFeeParameters};
use lightning::sign::{EntropySource, InMemorySigner, KeysManager, NodeSigner};
use lightning::util::config::UserConfig;
use lightning::util::logger::Logger as _;
use lightning::util::persist::{
    KVStore, CHANNEL_MANAGER_PERSISTENCE_KEY, CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE, CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
    NETWORK_GRAPH_PERSISTENCE_KEY, NETWORK_GRAPH_PERSISTENCE_PRIMARY_NAMESPACE, NETWORK_GRAPH_PERSISTENCE_SECONDARY_NAMESPACE,
    OUTPUT_SWEEPER_PERSISTENCE_KEY, OUTPUT_SWEEPER_PERSISTENCE_PRIMARY_NAMESPACE, OUTPUT_SWEEPER_PERSISTENCE_SECONDARY_NAMESPACE,
    SCORER_PERSISTENCE_KEY, SCORER_PERSISTENCE_PRIMARY_NAMESPACE, SCORER_PERSISTENCE_SECONDARY_NAMESPACE,
};
use lightning::util::ser::ReadableArgs;
use lightning_liquidity::lsps2::client::LSPS2ClientConfig;
use lightning_liquidity::LiquidityClientConfig;

use super::broadcast::Broadcaster;
use super::bump::OnchainCoins;
use super::chain_sync::ChainSync;
use super::channel_checks::{ChannelChecks, CheckedChannelHandler};
use super::error::{NodeError, StorageFault};
use super::fees::FeeEstimates;
use super::ldk_store::LdkStore;
use super::logger::NodeLogger;
use super::payment_code_handlers::{PaymentCodeOffers, PaymentCodeReleases};
use super::platform::{LspClock, Platform};
use super::signer::WalletSigner;
use super::types::{
    BumpHandler, ChainMonitor, ChainMonitors, ChannelManager, CheckedChannels, Graph, LiquidityManager, MessageRouter, MonitorPersister,
    OnionMessenger, P2PGossipSync, PeerManager, Router, ScorerCell, Sweeper,
};
use crate::record_names::LDK_NAMESPACE_KIND;

/// How many monitor updates are written as deltas before the whole monitor is written again.
const MAX_PENDING_MONITOR_UPDATES: u64 = 100;

/// The node's LDK objects, wired.
pub struct Parts<P: Platform> {
    pub keys: Rc<KeysManager>,
    pub logger: Rc<NodeLogger>,
    pub store: Rc<LdkStore<P::Store>>,
    pub fees: Rc<FeeEstimates>,
    pub broadcaster: Rc<Broadcaster>,
    pub chain_sync: Rc<ChainSync>,
    pub chain_monitor: Rc<ChainMonitor<P::Store>>,
    pub channel_manager: Rc<ChannelManager<P::Store>>,
    pub graph: Rc<Graph>,
    pub scorer: Rc<ScorerCell>,
    /// The router the channel manager pays with; also asked for fee estimates before a payment.
    pub router: Rc<Router>,
    pub gossip: Rc<P2PGossipSync>,
    pub onion_messenger: Rc<OnionMessenger<P::Store>>,
    pub peer_manager: Rc<PeerManager<P::Store, <P::Connector as super::net::Connector>::Socket>>,
    /// The LSP client (LSPS2): its messages go through the peer manager.
    pub liquidity: Rc<LiquidityManager<P::Store>>,
    pub sweeper: Rc<Sweeper<P::Store>>,
    pub bump: BumpHandler<P::Store>,
    /// Channels whose state may be old, held until their peer says ([`super::channel_checks`]).
    pub checks: Rc<ChannelChecks<P::Store>>,
}

/// What the builder needs besides the platform.
pub struct BuildInputs<'a, P: Platform> {
    pub platform: &'a P,
    pub keys: Rc<KeysManager>,
    pub signer: Rc<WalletSigner>,
    /// The on-chain wallet, for fee bumps and sweeps.
    pub coins: Rc<OnchainCoins<P::Store>>,
    pub logger: Rc<NodeLogger>,
    pub store: Rc<LdkStore<P::Store>>,
    /// The sealed store under `store`, for the node's own records.
    pub sealed: Rc<crate::SealedStore<P::Store>>,
    pub network: Network,
    /// The chain tip a new channel manager starts at (a new wallet has no history before it).
    pub tip: BestBlock,
}

pub type Monitors = Vec<(BlockHash, ChannelMonitor<InMemorySigner>)>;

/// The channel settings: anchor outputs, unannounced channels, inbound channels accepted by hand.
pub fn user_config() -> UserConfig {
    let mut config = UserConfig::default();
    config.channel_handshake_config.negotiate_anchors_zero_fee_htlc_tx = true;
    config.channel_handshake_config.announce_for_forwarding = false;
    config.channel_handshake_limits.force_announced_channel_preference = false;
    // Anchor channels need on-chain funds to bump a force close: we decide which inbound ones to take.
    config.manually_accept_inbound_channels = true;
    // A peer that broadcasts an old state must wait this long before it can take the funds, and the
    // wallet must be opened within it to punish that: 2016 blocks (two weeks), not LDK's default of
    // 144 (a day), as a browser wallet stays closed for days. It is the most LDK peers accept.
    config.channel_handshake_config.our_to_self_delay = OUR_TO_SELF_DELAY;
    // Paying a closed wallet's static invoice, the wallet's own payment waits at its next hop (if
    // that peer can hold it) rather than in this tab, which may close before the payee opens.
    config.hold_outbound_htlcs_at_next_hop = true;
    config
}

/// The delay the wallet asks of its peers' own funds after they force-close (see [`user_config`]).
pub const OUR_TO_SELF_DELAY: u16 = 2016;

/// Wires every part, reading what the store holds.
pub async fn build<P: Platform>(inputs: BuildInputs<'_, P>) -> Result<Parts<P>, NodeError> {
    let (fees, broadcaster, chain_sync) =
        (Rc::new(FeeEstimates::new(inputs.network)), Rc::new(Broadcaster::new()), Rc::new(ChainSync::new(inputs.network)));
    let persister = monitor_persister(&inputs, &fees, &broadcaster);
    let monitors = persister.read_all_channel_monitors_with_updates().await.map_err(|e| unreadable(LDK_NAMESPACE_KIND, &e))?;
    // Before anything can broadcast: the manager's read and the monitors' first blocks may.
    let held: Vec<_> = monitors.iter().map(|(_, monitor)| monitor).collect();
    let checks = Rc::new(ChannelChecks::open(inputs.sealed.clone(), &held, broadcaster.clone(), inputs.logger.clone()).await?);
    let chain_monitor = Rc::new(LdkChainMonitor::new_async_beta(
        Some(chain_sync.clone()),
        broadcaster.clone(),
        inputs.logger.clone(),
        fees.clone(),
        persister,
        inputs.keys.clone(),
        inputs.keys.get_peer_storage_key(),
    ));
    let (graph, scorer) = restore_graph_and_scorer(&inputs).await?;
    let router = Rc::new(DefaultRouter::new(
        graph.clone(),
        inputs.logger.clone(),
        inputs.keys.clone(),
        scorer.clone(),
        ProbabilisticScoringFeeParameters::default(),
    ));
    let message_router = Rc::new(MessageRouter::new(graph.clone(), inputs.keys.clone()));
    let wiring = ManagerWiring {
        chain_monitor: &chain_monitor,
        broadcaster: &broadcaster,
        fees: &fees,
        router: router.clone(),
        message_router: message_router.clone(),
    };
    let channel_manager = restore_channel_manager(&inputs, &wiring, &monitors).await?;
    watch_monitors(&chain_monitor, monitors)?;
    let gossip = Rc::new(LdkP2PGossipSync::new(graph.clone(), None::<Rc<dyn lightning::routing::utxo::UtxoLookup>>, inputs.logger.clone()));
    let onion_messenger = Rc::new(LdkOnionMessenger::new(
        inputs.keys.clone(),
        inputs.keys.clone(),
        inputs.logger.clone(),
        channel_manager.clone(),
        message_router,
        Rc::new(PaymentCodeOffers::new(channel_manager.clone(), inputs.logger.clone())),
        // Async payments: leaving static invoices with their server, asking for held payments.
        Rc::new(PaymentCodeReleases::new(channel_manager.clone())),
        IgnoringMessageHandler {},
        IgnoringMessageHandler {},
    ));
    let liquidity = restore_liquidity(&inputs, &channel_manager, &broadcaster).await?;
    let checked = Rc::new(CheckedChannelHandler::new(channel_manager.clone(), checks.clone(), ChainMonitors(chain_monitor.clone())));
    let peer_manager = wire_peers(&inputs, checked, &gossip, &onion_messenger, &chain_monitor, &liquidity);
    let sweeper = restore_sweeper(&inputs, &fees, &broadcaster, &chain_sync).await?;
    let coin_selection = Rc::new(lightning::events::bump_transaction::Wallet::new(inputs.coins.clone(), inputs.logger.clone()));
    let bump = BumpHandler::new(broadcaster.clone(), coin_selection, inputs.signer.clone(), inputs.logger.clone());
    Ok(Parts {
        keys: inputs.keys,
        logger: inputs.logger,
        store: inputs.store,
        fees,
        broadcaster,
        chain_sync,
        chain_monitor,
        channel_manager,
        graph,
        scorer,
        router,
        gossip,
        onion_messenger,
        peer_manager,
        liquidity,
        sweeper,
        bump,
        checks,
    })
}

fn monitor_persister<P: Platform>(inputs: &BuildInputs<'_, P>, fees: &Rc<FeeEstimates>, broadcaster: &Rc<Broadcaster>) -> MonitorPersister<P::Store> {
    MonitorPersister::new(
        inputs.store.clone(),
        inputs.platform.spawner(),
        inputs.logger.clone(),
        MAX_PENDING_MONITOR_UPDATES,
        inputs.keys.clone(),
        inputs.signer.clone(),
        broadcaster.clone(),
        fees.clone(),
    )
}

/// Reads `key` of LDK's, or `None` if it was never written.
async fn read_ldk<S: crate::KvStore + 'static>(store: &LdkStore<S>, primary: &str, secondary: &str, key: &str) -> Result<Option<Vec<u8>>, NodeError> {
    match KVStore::read(store, primary, secondary, key).await {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == lightning::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(unreadable(primary, &e)),
    }
}

/// The network graph and the scorer: stored ones if readable, else new (both are caches that the
/// node relearns; a damaged one costs routing knowledge, not funds).
///
/// Memory: lightning 0.2's graph, new or read, reserves room for mainnet's whole graph (60,000
/// channels, 20,000 nodes) on every network. That is 151 MB of the worker's wasm memory, measured in
/// the browser: most of the 174 MB the benchmark reports just after start. It is allocated but
/// mostly never written (empty hash-table slots). Upstream fixed it in lightning 0.3
/// (rust-lightning #4306: mainnet only, and sized by the stored counts on read); 0.2 offers no way to
/// size it from outside.
async fn restore_graph_and_scorer<P: Platform>(inputs: &BuildInputs<'_, P>) -> Result<(Rc<Graph>, Rc<ScorerCell>), NodeError> {
    let logger = inputs.logger.clone();
    let stored_graph = read_ldk(
        &inputs.store,
        NETWORK_GRAPH_PERSISTENCE_PRIMARY_NAMESPACE,
        NETWORK_GRAPH_PERSISTENCE_SECONDARY_NAMESPACE,
        NETWORK_GRAPH_PERSISTENCE_KEY,
    )
    .await?;
    let graph = stored_graph
        .and_then(|bytes| NetworkGraph::read(&mut Cursor::new(bytes), logger.clone()).ok())
        .filter(|g: &Graph| g.get_chain_hash() == bitcoin::constants::ChainHash::using_genesis_block(inputs.network));
    let graph = Rc::new(graph.unwrap_or_else(|| NetworkGraph::new(inputs.network, logger.clone())));
    let stored_scorer =
        read_ldk(&inputs.store, SCORER_PERSISTENCE_PRIMARY_NAMESPACE, SCORER_PERSISTENCE_SECONDARY_NAMESPACE, SCORER_PERSISTENCE_KEY).await?;
    let decay = ProbabilisticScoringDecayParameters::default();
    let scorer = stored_scorer.and_then(|bytes| ProbabilisticScorer::read(&mut Cursor::new(bytes), (decay, graph.clone(), logger.clone())).ok());
    let scorer = scorer.unwrap_or_else(|| ProbabilisticScorer::new(decay, graph.clone(), logger));
    Ok((graph, Rc::new(ScorerCell(RefCell::new(scorer)))))
}

struct ManagerWiring<'a, S: crate::KvStore + 'static> {
    chain_monitor: &'a Rc<ChainMonitor<S>>,
    broadcaster: &'a Rc<Broadcaster>,
    fees: &'a Rc<FeeEstimates>,
    router: Rc<Router>,
    message_router: Rc<MessageRouter>,
}

/// The stored channel manager, checked against the monitors by LDK; or a new one for a new wallet.
///
/// A manager older than its monitors is LDK's to judge: where that could lose funds its read fails
/// (`DangerousValue`) and the node does not start, rather than drop a channel; otherwise LDK
/// force-closes the affected channels itself and says so in the log.
async fn restore_channel_manager<P: Platform>(
    inputs: &BuildInputs<'_, P>,
    wiring: &ManagerWiring<'_, P::Store>,
    monitors: &Monitors,
) -> Result<Rc<ChannelManager<P::Store>>, NodeError> {
    let stored = read_ldk(
        &inputs.store,
        CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE,
        CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
        CHANNEL_MANAGER_PERSISTENCE_KEY,
    )
    .await?;
    let Some(bytes) = stored else {
        if !monitors.is_empty() {
            return Err(NodeError::Storage(StorageFault::ManagerMissing { monitors: monitors.len() }));
        }
        let params = ChainParameters { network: inputs.network, best_block: inputs.tip };
        let now = inputs.platform.now().as_secs() as u32;
        return Ok(Rc::new(ChannelManager::new(
            wiring.fees.clone(),
            wiring.chain_monitor.clone(),
            wiring.broadcaster.clone(),
            wiring.router.clone(),
            wiring.message_router.clone(),
            inputs.logger.clone(),
            inputs.keys.clone(),
            inputs.keys.clone(),
            inputs.signer.clone(),
            user_config(),
            params,
            now,
        )));
    };
    let args = ChannelManagerReadArgs::new(
        inputs.keys.clone(),
        inputs.keys.clone(),
        inputs.signer.clone(),
        wiring.fees.clone(),
        wiring.chain_monitor.clone(),
        wiring.broadcaster.clone(),
        wiring.router.clone(),
        wiring.message_router.clone(),
        inputs.logger.clone(),
        user_config(),
        monitors.iter().map(|(_, monitor)| monitor).collect(),
    );
    let (_, manager) = <(BlockHash, ChannelManager<P::Store>)>::read(&mut Cursor::new(bytes), args).map_err(|e| {
        lightning::log_error!(inputs.logger, "the stored channel manager cannot be read with its monitors: {e:?}");
        NodeError::Storage(StorageFault::ManagerStale)
    })?;
    Ok(Rc::new(manager))
}

/// Hands the restored monitors to the chain monitor (after the manager has read them).
fn watch_monitors<S: crate::KvStore + 'static>(chain_monitor: &ChainMonitor<S>, monitors: Monitors) -> Result<(), NodeError> {
    for (_, monitor) in monitors {
        let channel_id = monitor.channel_id();
        chain_monitor
            .load_existing_monitor(channel_id, monitor)
            .map_err(|()| NodeError::Storage(StorageFault::Unreadable { kind: format!("channel monitor {channel_id}") }))?;
    }
    Ok(())
}

/// The output sweeper with what it was tracking, or a new one. Unlike the graph, its state is funds:
/// a stored one that cannot be read stops the start.
async fn restore_sweeper<P: Platform>(
    inputs: &BuildInputs<'_, P>,
    fees: &Rc<FeeEstimates>,
    broadcaster: &Rc<Broadcaster>,
    chain_sync: &Rc<ChainSync>,
) -> Result<Rc<Sweeper<P::Store>>, NodeError> {
    let stored = read_ldk(
        &inputs.store,
        OUTPUT_SWEEPER_PERSISTENCE_PRIMARY_NAMESPACE,
        OUTPUT_SWEEPER_PERSISTENCE_SECONDARY_NAMESPACE,
        OUTPUT_SWEEPER_PERSISTENCE_KEY,
    )
    .await?;
    let sweeper = match stored {
        Some(bytes) => {
            let args = (
                broadcaster.clone(),
                fees.clone(),
                Some(chain_sync.clone()),
                inputs.keys.clone(),
                inputs.coins.clone(),
                inputs.store.clone(),
                inputs.logger.clone(),
            );
            <(BestBlock, Sweeper<P::Store>)>::read(&mut Cursor::new(bytes), args)
                .map_err(|_| NodeError::Storage(StorageFault::Unreadable { kind: OUTPUT_SWEEPER_PERSISTENCE_PRIMARY_NAMESPACE.to_owned() }))?
                .1
        }
        None => Sweeper::new(
            inputs.tip,
            broadcaster.clone(),
            fees.clone(),
            Some(chain_sync.clone()),
            inputs.keys.clone(),
            inputs.coins.clone(),
            inputs.store.clone(),
            inputs.logger.clone(),
        ),
    };
    Ok(Rc::new(sweeper))
}

/// The LSP client (LSPS2 only), with the events it had stored. Its clock is the platform's: the one
/// `lightning-liquidity` has without `std` would read `std::time`.
async fn restore_liquidity<P: Platform>(
    inputs: &BuildInputs<'_, P>,
    channel_manager: &Rc<ChannelManager<P::Store>>,
    broadcaster: &Rc<Broadcaster>,
) -> Result<Rc<LiquidityManager<P::Store>>, NodeError> {
    let client = LiquidityClientConfig { lsps1_client_config: None, lsps2_client_config: Some(LSPS2ClientConfig {}), lsps5_client_config: None };
    let manager = LiquidityManager::new_with_custom_time_provider(
        inputs.keys.clone(),
        inputs.keys.clone(),
        channel_manager.clone(),
        broadcaster.clone(),
        None,
        None,
        inputs.store.clone(),
        None,
        Some(client),
        Rc::new(LspClock(inputs.platform.clock())),
    )
    .await
    .map_err(|e| unreadable("liquidity", &e))?;
    Ok(Rc::new(manager))
}

fn wire_peers<P: Platform>(
    inputs: &BuildInputs<'_, P>,
    channel_handler: Rc<CheckedChannels<P::Store>>,
    gossip: &Rc<P2PGossipSync>,
    onion_messenger: &Rc<OnionMessenger<P::Store>>,
    chain_monitor: &Rc<ChainMonitor<P::Store>>,
    liquidity: &Rc<LiquidityManager<P::Store>>,
) -> Rc<PeerManager<P::Store, <P::Connector as super::net::Connector>::Socket>> {
    let handler = MessageHandler {
        chan_handler: channel_handler,
        route_handler: gossip.clone(),
        onion_message_handler: onion_messenger.clone(),
        custom_message_handler: liquidity.clone(),
        send_only_message_handler: chain_monitor.clone(),
    };
    let now = inputs.platform.now().as_secs() as u32;
    Rc::new(PeerManager::new(handler, now, &inputs.keys.get_secure_random_bytes(), inputs.logger.clone(), inputs.keys.clone()))
}

/// A read of LDK's (`kind`: one of its namespaces) that the store failed; its words say how.
fn unreadable(kind: &str, error: &lightning::io::Error) -> NodeError {
    NodeError::Storage(StorageFault::Backend { operation: format!("reading {kind}"), message: error.to_string() })
}
