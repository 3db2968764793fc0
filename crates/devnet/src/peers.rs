//! The devnet's Lightning peers: LDK Node instances ("hub", "shop" and, with `--anchor`, "anchor") on
//! loopback, reading the devnet's own Esplora API. They are real nodes with real channels: a wallet
//! opens a channel to hub and pays shop through it; the anchor does the same natively, so a benchmark
//! can set the wallet's payment latency beside a native node's.
//!
//! Chain sync is driven from here, not by LDK Node's timers (minimum 10 s): whenever the devnet's tip
//! changes, every peer syncs at once, and [`PeerSet::synced`] says up to which tip they have seen, so
//! the control API can answer "mined" only once the peers know.

use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bitcoin::secp256k1::PublicKey;
use bitcoin::{BlockHash, Network};
use ldk_node::config::{AsyncPaymentsRole, Config, EsploraSyncConfig};
use ldk_node::lightning::ln::msgs::SocketAddress;
use ldk_node::liquidity::LSPS2ServiceConfig;
use ldk_node::payment::{PaymentDetails, PaymentDirection, PaymentKind, PaymentStatus};
use ldk_node::{Builder, ChannelDetails, Node};
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::esplora::SharedRegtest;
use crate::events::{outcome_channel, PaymentOutcome};

/// What went wrong starting or driving a peer. LDK Node's errors are kept as its own words.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("{peer}: cannot be built: {source}")]
    Build { peer: &'static str, source: ldk_node::BuildError },
    #[error("{peer}: {action} failed: {source}")]
    Node { peer: &'static str, action: &'static str, source: ldk_node::NodeError },
    #[error("{peer}: {what} did not happen within {seconds} s")]
    Timeout { peer: &'static str, what: String, seconds: u64 },
    #[error("{peer}: payment failed")]
    PaymentFailed { peer: &'static str },
    #[error("{0}")]
    Other(String),
}

/// How hub charges for just-in-time channels (LSPS2, bLIP-52), which LDK Node 0.7 serves (alpha).
/// A wallet without a channel gets an invoice through hub; the first payment opens the channel and
/// pays its fee: 1% of the amount, at least 2,000 sats, for payments of 10,000 sats to 0.1 BTC.
pub fn hub_lsps2_config() -> LSPS2ServiceConfig {
    LSPS2ServiceConfig {
        require_token: None,
        advertise_service: false,
        channel_opening_fee_ppm: 10_000,
        channel_over_provisioning_ppm: 100_000,
        min_channel_opening_fee_msat: 2_000_000,
        min_channel_lifetime: 144,
        max_client_to_self_delay: 2016,
        min_payment_size_msat: 10_000_000,
        max_payment_size_msat: 10_000_000_000,
        client_trusts_lsp: false,
    }
}

/// What a peer does for others beyond routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerRole {
    /// hub: sells just-in-time channels (LSPS2), and is its wallets' async payments server: it
    /// answers payers with a closed wallet's static invoice, and keeps their messages for the wallet
    /// ("a payment is waiting for you") until it connects.
    Provider,
    /// shop and anchor. Paying a closed wallet's static invoice, shop holds its payment itself
    /// until the wallet asks for it: it is always online. (Asking hub to hold it, LDK Node's async
    /// payments client role, fails in LDK 0.2.7 when hub is also the wallet's peer: hub refuses a
    /// forward to an offline peer's channel before it would hold it.)
    Plain,
}

/// One peer: its name, where it listens, and the node.
pub struct Peer {
    pub name: &'static str,
    pub listen: SocketAddr,
    pub node: Arc<Node>,
    /// Where [`crate::events::pump`] publishes how the node's outgoing payments end.
    pub outcomes: broadcast::Sender<PaymentOutcome>,
}

impl Peer {
    /// Builds (does not start) a node that keeps its state in `storage_dir` and reads the chain from
    /// `esplora_url`. Blocking: call it off the async workers.
    pub fn build(name: &'static str, listen: SocketAddr, storage_dir: &Path, esplora_url: &str, role: PeerRole) -> Result<Peer, PeerError> {
        let config = Config {
            storage_dir_path: storage_dir.to_string_lossy().into_owned(),
            network: Network::Regtest,
            // The regtest chain moves only when told to; a day-long probe of a stale channel helps nobody.
            ..Config::default()
        };
        let mut builder = Builder::from_config(config);
        // No background sync: `PeerSet::follow_tip` syncs on every new tip instead.
        builder.set_chain_source_esplora(esplora_url.to_owned(), Some(EsploraSyncConfig { background_sync_config: None }));
        builder.set_listening_addresses(vec![socket_address(listen)]).map_err(|source| PeerError::Build { peer: name, source })?;
        // An alias and a listening address let a node announce channels and forward.
        builder.set_node_alias(name.to_owned()).map_err(|source| PeerError::Build { peer: name, source })?;
        let build_error = |source| PeerError::Build { peer: name, source };
        match role {
            PeerRole::Provider => {
                builder.set_liquidity_provider_lsps2(hub_lsps2_config());
                builder.set_async_payments_role(Some(AsyncPaymentsRole::Server)).map_err(build_error)?;
            }
            PeerRole::Plain => {}
        }
        let node = builder.build().map_err(|source| PeerError::Build { peer: name, source })?;
        Ok(Peer { name, listen, node: Arc::new(node), outcomes: outcome_channel() })
    }

    /// Starts the node: it listens, reconnects to its channel peers, and reads the chain. Blocking.
    pub fn start(&self) -> Result<(), PeerError> {
        self.node.start().map_err(|source| PeerError::Node { peer: self.name, action: "start", source })
    }

    /// `node_id@host:port`, as a wallet writes it to open a channel.
    pub fn uri(&self) -> String {
        format!("{}@{}", self.node.node_id(), self.listen)
    }

    pub fn sync(&self) -> Result<(), PeerError> {
        self.node.sync_wallets().map_err(|source| PeerError::Node { peer: self.name, action: "chain sync", source })
    }

    pub fn new_address(&self) -> Result<bitcoin::Address, PeerError> {
        self.node.onchain_payment().new_address().map_err(|source| PeerError::Node { peer: self.name, action: "new address", source })
    }

    pub fn info(&self) -> PeerInfo {
        let balances = self.node.list_balances();
        PeerInfo {
            name: self.name,
            node_id: self.node.node_id().to_string(),
            uri: self.uri(),
            onchain_total_sat: balances.total_onchain_balance_sats,
            onchain_spendable_sat: balances.spendable_onchain_balance_sats,
            anchor_reserve_sat: balances.total_anchor_channels_reserve_sats,
            lightning_sat: balances.total_lightning_balance_sats,
            channels: self.node.list_channels().iter().map(ChannelInfo::from).collect(),
            peers: self.node.list_peers().iter().filter(|p| p.is_connected).map(|p| p.node_id.to_string()).collect(),
        }
    }

    /// Waits until `ready` holds for this node, checking every 100 ms.
    pub async fn wait_for(&self, what: &str, seconds: u64, ready: impl Fn(&Node) -> bool) -> Result<(), PeerError> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
        while !ready(&self.node) {
            if tokio::time::Instant::now() >= deadline {
                return Err(PeerError::Timeout { peer: self.name, what: what.to_owned(), seconds });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// Waits until an outgoing or incoming payment is settled one way or the other.
    pub async fn wait_for_payment(&self, id: &ldk_node::lightning::ln::channelmanager::PaymentId, seconds: u64) -> Result<PaymentDetails, PeerError> {
        self.wait_for("the payment to settle", seconds, |node| node.payment(id).is_some_and(|p| p.status != PaymentStatus::Pending)).await?;
        self.node.payment(id).ok_or_else(|| PeerError::Other(format!("{}: payment vanished", self.name)))
    }
}

pub fn socket_address(address: SocketAddr) -> SocketAddress {
    match address {
        SocketAddr::V4(v4) => SocketAddress::TcpIpV4 { addr: v4.ip().octets(), port: v4.port() },
        SocketAddr::V6(v6) => SocketAddress::TcpIpV6 { addr: v6.ip().octets(), port: v6.port() },
    }
}

/// Parses `node_id@host:port` (host an IP address or `localhost`).
pub fn parse_node_uri(uri: &str) -> Result<(PublicKey, SocketAddress), String> {
    let (id, address) = uri.split_once('@').ok_or("expected node_id@host:port")?;
    let id = PublicKey::from_str(id).map_err(|_| "the node id is not a public key in hex")?;
    let address = SocketAddress::from_str(address).map_err(|_| "the address is not host:port")?;
    Ok((id, address))
}

#[derive(Debug, Serialize)]
pub struct PeerInfo {
    pub name: &'static str,
    pub node_id: String,
    pub uri: String,
    pub onchain_total_sat: u64,
    pub onchain_spendable_sat: u64,
    pub anchor_reserve_sat: u64,
    pub lightning_sat: u64,
    pub channels: Vec<ChannelInfo>,
    /// Connected peers' node ids.
    pub peers: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ChannelInfo {
    pub channel_id: String,
    /// The id to close it by, in decimal.
    pub user_channel_id: String,
    pub counterparty_node_id: String,
    pub funding_txid: Option<String>,
    pub short_channel_id: Option<u64>,
    pub value_sat: u64,
    pub outbound_msat: u64,
    pub inbound_msat: u64,
    pub confirmations: Option<u32>,
    pub is_outbound: bool,
    pub is_channel_ready: bool,
    pub is_usable: bool,
    pub is_announced: bool,
    /// The blocks this node must wait for its own funds after it force-closes: what the other side asked.
    pub force_close_spend_delay: Option<u16>,
}

impl From<&ChannelDetails> for ChannelInfo {
    fn from(channel: &ChannelDetails) -> Self {
        ChannelInfo {
            channel_id: channel.channel_id.to_string(),
            user_channel_id: channel.user_channel_id.0.to_string(),
            counterparty_node_id: channel.counterparty_node_id.to_string(),
            funding_txid: channel.funding_txo.map(|o| o.txid.to_string()),
            short_channel_id: channel.short_channel_id,
            value_sat: channel.channel_value_sats,
            outbound_msat: channel.outbound_capacity_msat,
            inbound_msat: channel.inbound_capacity_msat,
            confirmations: channel.confirmations,
            is_outbound: channel.is_outbound,
            is_channel_ready: channel.is_channel_ready,
            is_usable: channel.is_usable,
            is_announced: channel.is_announced,
            force_close_spend_delay: channel.force_close_spend_delay,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PaymentInfo {
    pub id: String,
    /// "bolt11", "bolt11_jit", "spontaneous", "onchain", …
    pub kind: &'static str,
    pub direction: &'static str,
    pub status: &'static str,
    pub amount_msat: Option<u64>,
    pub fee_paid_msat: Option<u64>,
    pub payment_hash: Option<String>,
    pub preimage: Option<String>,
    pub updated_at: u64,
}

impl From<&PaymentDetails> for PaymentInfo {
    fn from(payment: &PaymentDetails) -> Self {
        let (kind, hash, preimage) = match &payment.kind {
            PaymentKind::Bolt11 { hash, preimage, .. } => ("bolt11", Some(hash.to_string()), preimage.map(|p| p.to_string())),
            PaymentKind::Bolt11Jit { hash, preimage, .. } => ("bolt11_jit", Some(hash.to_string()), preimage.map(|p| p.to_string())),
            PaymentKind::Spontaneous { hash, preimage } => ("spontaneous", Some(hash.to_string()), preimage.map(|p| p.to_string())),
            PaymentKind::Onchain { .. } => ("onchain", None, None),
            PaymentKind::Bolt12Offer { hash, preimage, .. } | PaymentKind::Bolt12Refund { hash, preimage, .. } => {
                ("bolt12", hash.map(|h| h.to_string()), preimage.map(|p| p.to_string()))
            }
        };
        PaymentInfo {
            id: hex::encode(payment.id.0),
            kind,
            direction: match payment.direction {
                PaymentDirection::Inbound => "inbound",
                PaymentDirection::Outbound => "outbound",
            },
            status: match payment.status {
                PaymentStatus::Pending => "pending",
                PaymentStatus::Succeeded => "succeeded",
                PaymentStatus::Failed => "failed",
            },
            amount_msat: payment.amount_msat,
            fee_paid_msat: payment.fee_paid_msat,
            payment_hash: hash,
            preimage,
            updated_at: payment.latest_update_timestamp,
        }
    }
}

/// The running peers, and the tip they have all synced to.
pub struct PeerSet {
    pub peers: Vec<Arc<Peer>>,
    synced: watch::Sender<Option<BlockHash>>,
}

pub type SharedPeers = Arc<PeerSet>;

impl PeerSet {
    pub fn new(peers: Vec<Peer>) -> SharedPeers {
        Arc::new(PeerSet { peers: peers.into_iter().map(Arc::new).collect(), synced: watch::Sender::new(None) })
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Peer>> {
        self.peers.iter().find(|p| p.name == name)
    }

    /// Returns the peers' names in start order, as a person reads them: "hub, shop" or "hub, shop, anchor".
    pub fn names(&self) -> String {
        self.peers.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
    }

    /// Syncs every peer to the current chain. Blocking.
    pub fn sync_all(&self) -> Result<(), PeerError> {
        self.peers.iter().try_for_each(|peer| peer.sync())
    }

    /// Waits until every peer has synced to `tip` (or a later one).
    pub async fn wait_synced(&self, tip: BlockHash, regtest: &SharedRegtest, seconds: u64) -> Result<(), PeerError> {
        let mut synced = self.synced.subscribe();
        let wait = synced.wait_for(|synced| {
            let Some(synced) = *synced else { return false };
            // A synced tip above `tip` on the same chain also counts.
            synced == tip
                || regtest.lock().is_ok_and(|r| match (r.index().block(&tip), r.index().block(&synced)) {
                    (Some((wanted, _)), Some((reached, _))) => reached >= wanted,
                    _ => false,
                })
        });
        let reached = matches!(tokio::time::timeout(Duration::from_secs(seconds), wait).await, Ok(Ok(_)));
        if reached {
            Ok(())
        } else {
            Err(PeerError::Timeout { peer: "peers", what: format!("sync to {tip}"), seconds })
        }
    }

    /// Runs for ever: whenever the devnet's tip changes, syncs every peer, then publishes the tip.
    /// A failed sync is retried at the next poll.
    pub async fn follow_tip(self: Arc<Self>, regtest: SharedRegtest) {
        loop {
            let tip = regtest.lock().ok().map(|r| r.index().tip_hash());
            if tip.is_some() && tip != *self.synced.borrow() {
                let peers = self.clone();
                match tokio::task::spawn_blocking(move || peers.sync_all()).await {
                    Ok(Ok(())) => {
                        self.synced.send_replace(tip);
                    }
                    Ok(Err(e)) => eprintln!("devnet: {e}"),
                    Err(e) => eprintln!("devnet: peer sync panicked: {e}"),
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Stops every node (blocking): their channels and keys stay in their storage.
    pub fn stop_all(&self) {
        for peer in &self.peers {
            if let Err(e) = peer.node.stop() {
                eprintln!("devnet: {}: stop failed: {e}", peer.name);
            }
        }
    }
}
