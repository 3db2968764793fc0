//! LDK's generic types spelled out once for this node: everything else names `Rc<ChannelManager>`
//! and friends. Upgrading LDK touches this file first.
//!
//! LDK takes any `Deref`: without `lightning/std` nothing needs to be `Send`, so the node's parts are
//! shared with `Rc`, and the store (`Rc` inside) and chain pieces (`RefCell` inside) fit as they are.

use std::cell::{Ref, RefCell, RefMut};
use std::rc::Rc;

use lightning::chain::chainmonitor;
use lightning::chain::channelmonitor::ChannelMonitor;
use lightning::ln::peer_handler::IgnoringMessageHandler;
use lightning::routing::gossip;
use lightning::routing::router::DefaultRouter;
use lightning::routing::scoring::{LockableScore, ProbabilisticScorer, ProbabilisticScoringFeeParameters};
use lightning::sign::{InMemorySigner, KeysManager};
use lightning::util::ser::{Writeable, Writer};

use super::broadcast::Broadcaster;
use super::bump::OnchainCoins;
use super::chain_sync::ChainSync;
use super::channel_checks::{CheckedChannelHandler, MonitorSource};
use super::fees::FeeEstimates;
use super::ldk_store::LdkStore;
use super::logger::NodeLogger;
use super::payment_code_handlers::{PaymentCodeOffers, PaymentCodeReleases};
use super::platform::LspClock;
use super::signer::WalletSigner;
use super::spawn::TaskSpawner;

pub type Logger = NodeLogger;
pub type Graph = gossip::NetworkGraph<Rc<Logger>>;
pub type Scorer = ProbabilisticScorer<Rc<Graph>, Rc<Logger>>;

pub type MonitorPersister<S> = lightning::util::persist::MonitorUpdatingPersisterAsync<
    Rc<LdkStore<S>>,
    TaskSpawner,
    Rc<Logger>,
    Rc<KeysManager>,
    Rc<WalletSigner>,
    Rc<Broadcaster>,
    Rc<FeeEstimates>,
>;
pub type ChainMonitorPersister<S> =
    chainmonitor::AsyncPersister<Rc<LdkStore<S>>, TaskSpawner, Rc<Logger>, Rc<KeysManager>, Rc<WalletSigner>, Rc<Broadcaster>, Rc<FeeEstimates>>;
pub type ChainMonitor<S> = chainmonitor::ChainMonitor<
    InMemorySigner,
    Rc<ChainSync>,
    Rc<Broadcaster>,
    Rc<FeeEstimates>,
    Rc<Logger>,
    ChainMonitorPersister<S>,
    Rc<KeysManager>,
>;

pub type Router = DefaultRouter<Rc<Graph>, Rc<Logger>, Rc<KeysManager>, Rc<ScorerCell>, ProbabilisticScoringFeeParameters, Scorer>;
pub type MessageRouter = lightning::onion_message::messenger::DefaultMessageRouter<Rc<Graph>, Rc<Logger>, Rc<KeysManager>>;

pub type ChannelManager<S> = lightning::ln::channelmanager::ChannelManager<
    Rc<ChainMonitor<S>>,
    Rc<Broadcaster>,
    Rc<KeysManager>,
    Rc<KeysManager>,
    Rc<WalletSigner>,
    Rc<FeeEstimates>,
    Rc<Router>,
    Rc<MessageRouter>,
    Rc<Logger>,
>;

pub type OnionMessenger<S> = lightning::onion_message::messenger::OnionMessenger<
    Rc<KeysManager>,
    Rc<KeysManager>,
    Rc<Logger>,
    Rc<ChannelManager<S>>,
    Rc<MessageRouter>,
    Rc<PaymentCodeOffers<Rc<ChannelManager<S>>>>,
    Rc<PaymentCodeReleases<Rc<ChannelManager<S>>>>,
    IgnoringMessageHandler,
    IgnoringMessageHandler,
>;

/// Gossip is learned from peers (the devnet's hub announces its channels); no UTXO lookup: a light
/// wallet trusts announcements it only uses to find routes.
pub type P2PGossipSync = gossip::P2PGossipSync<Rc<Graph>, Rc<dyn lightning::routing::utxo::UtxoLookup>, Rc<Logger>>;

/// Spends what closed channels left us into the on-chain wallet, when it matures.
pub type Sweeper<S> = lightning::util::sweep::OutputSweeper<
    Rc<Broadcaster>,
    Rc<OnchainCoins<S>>,
    Rc<FeeEstimates>,
    Rc<ChainSync>,
    Rc<LdkStore<S>>,
    Rc<Logger>,
    Rc<KeysManager>,
>;

/// Pays a force close's fee with a child transaction from the on-chain wallet's coins.
pub type BumpHandler<S> = lightning::events::bump_transaction::BumpTransactionEventHandler<
    Rc<Broadcaster>,
    Rc<lightning::events::bump_transaction::Wallet<Rc<OnchainCoins<S>>, Rc<Logger>>>,
    Rc<WalletSigner>,
    Rc<Logger>,
>;

/// The client of an LSP's just-in-time channels (LSPS2), speaking over Lightning's custom messages.
pub type LiquidityManager<S> = lightning_liquidity::LiquidityManager<
    Rc<KeysManager>,
    Rc<KeysManager>,
    Rc<ChannelManager<S>>,
    Rc<ChainSync>,
    Rc<LdkStore<S>>,
    Rc<LspClock>,
    Rc<Broadcaster>,
>;

/// The chain monitor, as where the channel checks find a channel's monitor.
pub struct ChainMonitors<S: crate::KvStore + 'static>(pub Rc<ChainMonitor<S>>);

impl<S: crate::KvStore + 'static> MonitorSource for ChainMonitors<S> {
    type Signer = InMemorySigner;
    fn with_monitor<R>(&self, channel_id: lightning::ln::types::ChannelId, f: impl FnOnce(Option<&ChannelMonitor<InMemorySigner>>) -> R) -> R {
        match self.0.get_monitor(channel_id) {
            Ok(monitor) => f(Some(&monitor)),
            Err(()) => f(None),
        }
    }
}

/// The channel manager behind the channel checks, as the peer manager's channel handler.
pub type CheckedChannels<S> = CheckedChannelHandler<Rc<ChannelManager<S>>, S, ChainMonitors<S>>;

pub type PeerManager<S, D> = lightning::ln::peer_handler::PeerManager<
    D,
    Rc<CheckedChannels<S>>,
    Rc<P2PGossipSync>,
    Rc<OnionMessenger<S>>,
    Rc<Logger>,
    Rc<LiquidityManager<S>>,
    Rc<KeysManager>,
    Rc<ChainMonitor<S>>,
>;

/// The scorer behind a `RefCell`, persistable: LDK's own lock-and-write wrappers need `std` or are
/// for its C bindings, and a `RefCell` alone is not `Writeable`.
pub struct ScorerCell(pub RefCell<Scorer>);

impl<'a> LockableScore<'a> for ScorerCell {
    type ScoreUpdate = Scorer;
    type ScoreLookUp = Scorer;
    type WriteLocked = RefMut<'a, Scorer>;
    type ReadLocked = Ref<'a, Scorer>;

    fn read_lock(&'a self) -> Self::ReadLocked {
        self.0.borrow()
    }
    fn write_lock(&'a self) -> Self::WriteLocked {
        self.0.borrow_mut()
    }
}

impl Writeable for ScorerCell {
    fn write<W: Writer>(&self, writer: &mut W) -> Result<(), lightning::io::Error> {
        self.0.borrow().write(writer)
    }
}
