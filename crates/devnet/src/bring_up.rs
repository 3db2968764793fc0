//! From bare nodes to a network a wallet can pay through: fund hub and shop from the faucet, open an
//! announced channel hub→shop with half of it pushed to shop (so shop can pay too), confirm it deep
//! enough to be announced, and prove the route by paying shop from hub.
//!
//! With an anchor (`--anchor`), the same block funds it, and it opens an unannounced channel to hub
//! as a wallet does; the devnet is ready once the anchor has learnt hub→shop from hub's gossip and
//! paid shop through it.
//!
//! Idempotent across restarts with a data directory: funding and each channel happen only when its
//! opener has no channel to its counterparty yet.

use std::sync::Arc;

use bitcoin::secp256k1::PublicKey;
use bitcoin::{Amount, Txid};
use ldk_node::lightning::routing::gossip::NodeId;
use ldk_node::lightning_invoice::{Bolt11InvoiceDescription, Description};

use crate::bench;
use crate::esplora::SharedRegtest;
use crate::faucet::{self, faucet_script, FaucetError};
use crate::peers::{socket_address, Peer, PeerError, PeerSet};

/// Hub's on-chain float: enough for many wallet channels and their anchor reserves.
pub const HUB_FUNDS: Amount = Amount::from_sat(20_000_000);
/// Shop's on-chain float: shop only accepts channels, but anchor channels want a fee reserve.
pub const SHOP_FUNDS: Amount = Amount::from_sat(1_000_000);
/// The hub→shop channel, and what hub pushes to shop when opening it.
pub const HUB_SHOP_CHANNEL_SAT: u64 = 5_000_000;
pub const HUB_SHOP_PUSH_MSAT: u64 = 2_000_000_000;
/// The anchor's on-chain float: its channel, the channel's fee reserve, and the funding fee.
pub const ANCHOR_FUNDS: Amount = Amount::from_sat(2_000_000);
/// The anchor→hub channel, the size of a wallet's.
pub const ANCHOR_HUB_CHANNEL_SAT: u64 = 1_000_000;
/// Announcement needs six confirmations; it is also the depth LDK asks of a new channel by default.
const ANNOUNCEMENT_DEPTH: u32 = 6;
/// What the readiness check pays shop: small, but a real two-party payment.
const READINESS_PAYMENT_MSAT: u64 = 1_000_000;

/// How long one step may take before the devnet gives up, in seconds.
const STEP_SECONDS: u64 = 30;

fn other(e: impl std::fmt::Display) -> PeerError {
    PeerError::Other(e.to_string())
}

/// Mines `blocks` to the faucet and waits until every peer has synced to the new tip.
pub async fn mine_and_sync(regtest: &SharedRegtest, peers: &PeerSet, blocks: u32) -> Result<(), PeerError> {
    let tip = {
        let mut regtest = regtest.lock().map_err(other)?;
        regtest.mine(blocks, &faucet_script()).map_err(other)?;
        regtest.index().tip_hash()
    };
    peers.wait_synced(tip, regtest, STEP_SECONDS).await
}

/// A channel bring-up makes: who opens it to whom, its size, whether it is announced, and the
/// floats the faucet sends first.
struct ChannelPlan {
    opener: Arc<Peer>,
    counterparty: Arc<Peer>,
    amount_sat: u64,
    push_msat: Option<u64>,
    announced: bool,
    floats: Vec<(Arc<Peer>, Amount)>,
}

impl ChannelPlan {
    fn exists(&self) -> bool {
        let counterparty = self.counterparty.node.node_id();
        self.opener.node.list_channels().iter().any(|c| c.counterparty_node_id == counterparty)
    }
}

pub async fn bring_up(regtest: &SharedRegtest, peers: &PeerSet) -> Result<(), PeerError> {
    let hub = peers.get("hub").ok_or_else(|| other("no hub"))?.clone();
    let shop = peers.get("shop").ok_or_else(|| other("no shop"))?.clone();
    let anchor = peers.get("anchor").cloned();
    let mut plans = vec![ChannelPlan {
        opener: hub.clone(),
        counterparty: shop.clone(),
        amount_sat: HUB_SHOP_CHANNEL_SAT,
        push_msat: Some(HUB_SHOP_PUSH_MSAT),
        announced: true,
        floats: vec![(hub.clone(), HUB_FUNDS), (shop.clone(), SHOP_FUNDS)],
    }];
    if let Some(anchor) = &anchor {
        let floats = vec![(anchor.clone(), ANCHOR_FUNDS)];
        plans.push(ChannelPlan {
            opener: anchor.clone(),
            counterparty: hub.clone(),
            amount_sat: ANCHOR_HUB_CHANNEL_SAT,
            push_msat: None,
            announced: false,
            floats,
        });
    }

    // New channels are funded in one block and confirmed together: the anchor adds no blocks.
    let (new, existing): (Vec<_>, Vec<_>) = plans.into_iter().partition(|plan| !plan.exists());
    if !new.is_empty() {
        let floats: Vec<(Arc<Peer>, Amount)> = new.iter().flat_map(|plan| plan.floats.iter().cloned()).collect();
        fund(regtest, peers, &floats).await?;
        for plan in &new {
            let funding = open_channel(plan).await?;
            wait_in_mempool(regtest, plan.opener.name, funding).await?;
        }
        mine_and_sync(regtest, peers, ANNOUNCEMENT_DEPTH).await?;
    }
    for plan in &existing {
        reconnect(plan).await?;
    }
    let shop_id = shop.node.node_id();
    hub.wait_for("the channel to shop to be usable", STEP_SECONDS, |node| {
        node.list_channels().iter().any(|c| c.counterparty_node_id == shop_id && c.is_usable)
    })
    .await?;
    shop.wait_for("the channel from hub to be usable", STEP_SECONDS, |node| node.list_channels().iter().any(|c| c.is_usable)).await?;
    prove_route(&hub, &shop).await?;
    match &anchor {
        Some(anchor) => anchor_ready(anchor, &hub, &shop).await,
        None => Ok(()),
    }
}

/// Opens the planned channel and waits until its funding transaction is made; returns its txid.
async fn open_channel(plan: &ChannelPlan) -> Result<Txid, PeerError> {
    let (opener, counterparty) = (plan.opener.clone(), plan.counterparty.node.node_id());
    let address = socket_address(plan.counterparty.listen);
    let (amount_sat, push_msat, announced) = (plan.amount_sat, plan.push_msat, plan.announced);
    tokio::task::spawn_blocking(move || {
        if announced {
            opener.node.open_announced_channel(counterparty, address, amount_sat, push_msat, None)
        } else {
            opener.node.open_channel(counterparty, address, amount_sat, push_msat, None)
        }
    })
    .await
    .map_err(other)?
    .map_err(|source| PeerError::Node { peer: plan.opener.name, action: "opening a channel", source })?;
    // The funding transaction is broadcast once the counterparty has signed for it.
    plan.opener.wait_for("the channel's funding transaction", STEP_SECONDS, |node| funding_txid(node, counterparty).is_some()).await?;
    funding_txid(&plan.opener.node, counterparty).ok_or_else(|| other("funding vanished"))
}

fn funding_txid(node: &ldk_node::Node, counterparty: PublicKey) -> Option<Txid> {
    node.list_channels().iter().find(|c| c.counterparty_node_id == counterparty).and_then(|c| c.funding_txo).map(|o| o.txid)
}

/// After a restart: LDK Node retries its channel peers only on a slow timer, and the opener may have
/// tried before its counterparty was listening.
async fn reconnect(plan: &ChannelPlan) -> Result<(), PeerError> {
    let (connector, counterparty) = (plan.opener.clone(), plan.counterparty.node.node_id());
    let address = socket_address(plan.counterparty.listen);
    tokio::task::spawn_blocking(move || connector.node.connect(counterparty, address, true)).await.map_err(other)?.map_err(|source| PeerError::Node {
        peer: plan.opener.name,
        action: "reconnecting to its channel peer",
        source,
    })
}

/// Waits until the anchor's channel to hub is usable and the anchor knows hub's side of hub→shop
/// (shop's invoices carry no route hints: its channel is announced), then pays shop once through hub
/// with the benchmark's own timed payment, which also proves the event pump runs.
///
/// Only hub's direction is awaited, the one a payment to shop uses. Shop's own `channel_update` can
/// reach hub before hub's graph has the announcement, and is then not passed on: waiting for both
/// directions timed out in about one start in four.
async fn anchor_ready(anchor: &Arc<Peer>, hub: &Arc<Peer>, shop: &Arc<Peer>) -> Result<(), PeerError> {
    let hub_id = hub.node.node_id();
    anchor
        .wait_for("the channel to hub to be usable", STEP_SECONDS, |node| {
            node.list_channels().iter().any(|c| c.counterparty_node_id == hub_id && c.is_usable)
        })
        .await?;
    let shop_id = shop.node.node_id();
    let hub_shop = hub
        .node
        .list_channels()
        .iter()
        .find(|c| c.counterparty_node_id == shop_id && c.is_announced)
        .and_then(|c| c.short_channel_id)
        .ok_or_else(|| other("hub's announced channel to shop has no short channel id"))?;
    let hub_node = NodeId::from_pubkey(&hub_id);
    anchor
        .wait_for("hub's gossip about its channel to shop", STEP_SECONDS, |node| {
            node.network_graph()
                .channel(hub_shop)
                .is_some_and(|c| if c.node_one == hub_node { c.one_to_two.is_some() } else { c.two_to_one.is_some() })
        })
        .await?;
    bench::pay_sequentially(anchor, shop, 1, READINESS_PAYMENT_MSAT).await.map_err(other)?;
    Ok(())
}

/// Sends each peer its float from the faucet in one block.
async fn fund(regtest: &SharedRegtest, peers: &PeerSet, floats: &[(Arc<Peer>, Amount)]) -> Result<(), PeerError> {
    for (peer, amount) in floats {
        let script = peer.new_address()?.script_pubkey();
        let mut regtest = regtest.lock().map_err(other)?;
        match faucet::send(&mut regtest, &script, *amount) {
            // A fresh chain has two mature coinbases, one per float of hub and shop; each block
            // mined now matures one more, for the anchor's.
            Err(FaucetError::Empty { .. }) => {
                regtest.mine(1, &faucet_script()).map_err(other)?;
                faucet::send(&mut regtest, &script, *amount).map_err(other)?;
            }
            sent => {
                sent.map_err(other)?;
            }
        }
    }
    mine_and_sync(regtest, peers, 1).await?;
    for (peer, amount) in floats {
        peer.wait_for("its funds", STEP_SECONDS, |node| node.list_balances().spendable_onchain_balance_sats >= amount.to_sat()).await?;
    }
    Ok(())
}

async fn wait_in_mempool(regtest: &SharedRegtest, broadcaster: &'static str, txid: Txid) -> Result<(), PeerError> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(STEP_SECONDS);
    loop {
        {
            let regtest = regtest.lock().map_err(other)?;
            if regtest.mempool().get(&txid).is_some() || regtest.index().tx(&txid).is_some() {
                return Ok(());
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(PeerError::Timeout { peer: broadcaster, what: format!("broadcast of {txid}"), seconds: STEP_SECONDS });
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Hub pays shop a small invoice: the devnet is ready only when a payment crosses the channel.
async fn prove_route(hub: &Arc<Peer>, shop: &Arc<Peer>) -> Result<(), PeerError> {
    let description = Bolt11InvoiceDescription::Direct(Description::new("devnet readiness check".to_owned()).map_err(other)?);
    let invoice = shop.node.bolt11_payment().receive(READINESS_PAYMENT_MSAT, &description, 600).map_err(|source| PeerError::Node {
        peer: "shop",
        action: "creating an invoice",
        source,
    })?;
    let payer = hub.clone();
    let id = tokio::task::spawn_blocking(move || payer.node.bolt11_payment().send(&invoice, None))
        .await
        .map_err(other)?
        .map_err(|source| PeerError::Node { peer: "hub", action: "paying shop", source })?;
    let payment = hub.wait_for_payment(&id, STEP_SECONDS).await?;
    if payment.status != ldk_node::payment::PaymentStatus::Succeeded {
        return Err(PeerError::PaymentFailed { peer: "hub" });
    }
    Ok(())
}
