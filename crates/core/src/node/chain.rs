//! The node and the chain: catching LDK and the on-chain wallet up with the chain server's best
//! chain, and posting what waits to be broadcast.

use esplora_client::AsyncClient;
use lightning::chain::BestBlock;
use lightning::util::logger::Logger as _;

use super::error::{ChainFault, NodeError};
use super::events::NodeEvent;
use super::lightning_node::LightningNode;
use super::platform::Platform;

impl<P: Platform> LightningNode<P> {
    /// Brings LDK and the on-chain wallet up to the chain server's best chain, then posts what waits
    /// to be broadcast.
    pub async fn sync_chain(&self) -> Result<u32, NodeError> {
        let _one_at_a_time = self.sync_lock.lock().await;
        // What waits to be broadcast goes first: LDK watches its own transactions as soon as it makes them.
        self.flush_broadcasts().await?;
        let confirmables: [&dyn lightning::chain::Confirm; 3] = [&*self.parts.channel_manager, &*self.parts.chain_monitor, &*self.parts.sweeper];
        let synced = self.parts.chain_sync.sync_witnessed(&self.chain.primary, self.chain.witness.as_ref(), &confirmables).await;
        let report = match synced {
            Ok(report) => {
                // What the servers disagree on waits; the person is told which.
                *self.chain_fault.borrow_mut() = if let Some(txid) = report.disputed.first() {
                    Some(ChainFault::ServersDisagree { txid: txid.to_string() })
                } else if let Some(fault) = &report.witness_fault {
                    Some(ChainFault::SecondServer { cause: Box::new(ChainFault::from(fault.clone())) })
                } else if let Some(blocks) = report.primary_behind {
                    Some(ChainFault::FirstServerBehind { blocks })
                } else {
                    report.witness_behind.map(|blocks| ChainFault::SecondServerBehind { blocks })
                };
                report
            }
            Err(e) => {
                let fault = ChainFault::from(e);
                *self.chain_fault.borrow_mut() = Some(fault.clone());
                return Err(NodeError::Chain(fault));
            }
        };
        // The on-chain wallet asks about its addresses only when a block came (or never did yet).
        if self.onchain_tip.borrow().as_ref() != Some(&report.tip) {
            self.onchain.lock().await.sync(&self.chain.primary, self.platform.now()).await?;
            *self.onchain_tip.borrow_mut() = Some(report.tip);
            // A new block may have matured what a closed channel left us: sweep it now rather than at
            // the background processor's next 30-second round.
            let _ = self.parts.sweeper.regenerate_and_broadcast_spend_if_necessary().await;
        }
        self.flush_broadcasts().await?;
        let height = report.height;
        self.subscribers.notify(NodeEvent::Synced { height });
        Ok(height)
    }

    /// Posts LDK's and the wallet's transactions; what the server took is recorded by the on-chain
    /// wallet if it touches it.
    pub(super) async fn flush_broadcasts(&self) -> Result<(), NodeError> {
        let (sent, report) = self.parts.broadcaster.flush_collecting(&self.chain).await;
        let mut onchain = self.onchain.lock().await;
        for tx in sent {
            onchain.record_broadcast(&tx, self.platform.now()).await?;
        }
        for (txid, reason) in report.refused {
            lightning::log_error!(self.parts.logger, "the chain server refused transaction {txid}: {reason}");
        }
        Ok(())
    }
}

/// Asks the chain server for its best block: the height is that block's own, not the tip's a moment
/// later (the header chain starts from this pair and holds the server to it).
pub(super) async fn current_tip<S: esplora_client::Sleeper>(esplora: &AsyncClient<S>) -> Result<BestBlock, NodeError> {
    let hash = esplora.get_tip_hash().await?;
    let height = esplora
        .get_block_status(&hash)
        .await?
        .height
        .ok_or_else(|| NodeError::Chain(super::error::ChainFault::Inconsistent { detail: format!("its tip {hash} has no height") }))?;
    Ok(BestBlock::new(hash, height))
}
