//! From two bare nodes to a network a wallet can pay through: fund hub and shop from the faucet, open
//! an announced channel hub→shop with half of it pushed to shop (so shop can pay too), confirm it deep
//! enough to be announced, and prove the route by paying shop from hub.
//!
//! Idempotent across restarts with a data directory: funding and the channel happen only when hub
//! has no channel to shop yet.

use std::sync::Arc;

use bitcoin::Amount;
use ldk_node::lightning_invoice::{Bolt11InvoiceDescription, Description};

use crate::esplora::SharedRegtest;
use crate::faucet::{self, faucet_script};
use crate::peers::{socket_address, Peer, PeerError, PeerSet};

/// Hub's on-chain float: enough for many wallet channels and their anchor reserves.
pub const HUB_FUNDS: Amount = Amount::from_sat(20_000_000);
/// Shop's on-chain float: shop only accepts channels, but anchor channels want a fee reserve.
pub const SHOP_FUNDS: Amount = Amount::from_sat(1_000_000);
/// The hub→shop channel, and what hub pushes to shop when opening it.
pub const HUB_SHOP_CHANNEL_SAT: u64 = 5_000_000;
pub const HUB_SHOP_PUSH_MSAT: u64 = 2_000_000_000;
/// Announcement needs six confirmations.
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

pub async fn bring_up(regtest: &SharedRegtest, peers: &PeerSet) -> Result<(), PeerError> {
    let hub = peers.get("hub").ok_or_else(|| other("no hub"))?.clone();
    let shop = peers.get("shop").ok_or_else(|| other("no shop"))?.clone();
    let shop_id = shop.node.node_id();

    if !hub.node.list_channels().iter().any(|c| c.counterparty_node_id == shop_id) {
        fund(regtest, peers, &[(&hub, HUB_FUNDS), (&shop, SHOP_FUNDS)]).await?;
        let opener = hub.clone();
        let shop_address = socket_address(shop.listen);
        tokio::task::spawn_blocking(move || opener.node.open_announced_channel(shop_id, shop_address, HUB_SHOP_CHANNEL_SAT, Some(HUB_SHOP_PUSH_MSAT), None))
            .await
            .map_err(other)?
            .map_err(|source| PeerError::Node { peer: "hub", action: "opening the channel to shop", source })?;
        // The funding transaction is broadcast once shop has signed for it.
        hub.wait_for("the channel's funding transaction", STEP_SECONDS, |node| node.list_channels().iter().any(|c| c.counterparty_node_id == shop_id && c.funding_txo.is_some()))
            .await?;
        let funding = hub.node.list_channels().iter().find(|c| c.counterparty_node_id == shop_id).and_then(|c| c.funding_txo).ok_or_else(|| other("funding vanished"))?;
        wait_in_mempool(regtest, funding.txid).await?;
        mine_and_sync(regtest, peers, ANNOUNCEMENT_DEPTH).await?;
    } else {
        // After a restart: LDK Node retries its channel peers only on a slow timer, and hub may
        // have tried before shop was listening.
        let connector = hub.clone();
        let shop_address = socket_address(shop.listen);
        tokio::task::spawn_blocking(move || connector.node.connect(shop_id, shop_address, true))
            .await
            .map_err(other)?
            .map_err(|source| PeerError::Node { peer: "hub", action: "reconnecting to shop", source })?;
    }
    hub.wait_for("the channel to shop to be usable", STEP_SECONDS, |node| node.list_channels().iter().any(|c| c.counterparty_node_id == shop_id && c.is_usable)).await?;
    shop.wait_for("the channel from hub to be usable", STEP_SECONDS, |node| node.list_channels().iter().any(|c| c.is_usable)).await?;
    prove_route(&hub, &shop).await
}

/// Sends each peer its float from the faucet in one block.
async fn fund(regtest: &SharedRegtest, peers: &PeerSet, floats: &[(&Arc<Peer>, Amount)]) -> Result<(), PeerError> {
    for (peer, amount) in floats {
        let address = peer.new_address()?;
        let mut regtest = regtest.lock().map_err(other)?;
        faucet::send(&mut regtest, &address.script_pubkey(), *amount).map_err(other)?;
    }
    mine_and_sync(regtest, peers, 1).await?;
    for (peer, amount) in floats {
        peer.wait_for("its funds", STEP_SECONDS, |node| node.list_balances().spendable_onchain_balance_sats >= amount.to_sat()).await?;
    }
    Ok(())
}

async fn wait_in_mempool(regtest: &SharedRegtest, txid: bitcoin::Txid) -> Result<(), PeerError> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(STEP_SECONDS);
    loop {
        {
            let regtest = regtest.lock().map_err(other)?;
            if regtest.mempool().get(&txid).is_some() || regtest.index().tx(&txid).is_some() {
                return Ok(());
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(PeerError::Timeout { peer: "hub", what: format!("broadcast of {txid}"), seconds: STEP_SECONDS });
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Hub pays shop a small invoice: the devnet is ready only when a payment crosses the channel.
async fn prove_route(hub: &Arc<Peer>, shop: &Arc<Peer>) -> Result<(), PeerError> {
    let description = Bolt11InvoiceDescription::Direct(Description::new("devnet readiness check".to_owned()).map_err(other)?);
    let invoice = shop
        .node
        .bolt11_payment()
        .receive(READINESS_PAYMENT_MSAT, &description, 600)
        .map_err(|source| PeerError::Node { peer: "shop", action: "creating an invoice", source })?;
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
