//! On-chain payments: a fresh address to be paid at, and a send from the on-chain wallet to a pasted
//! address. Holds only what it needs of the node: the on-chain wallet, the chain server, the network
//! and the clock.

use bitcoin::{Address, Amount, FeeRate, Network, Txid};
use esplora_client::AsyncClient;
use futures::lock::Mutex as AsyncMutex;

use crate::node::chain_source::{ChainServers, ChainSource};
use crate::node::error::{ChainFault, NodeError};
use crate::node::onchain::{parse_address, OnchainWallet, SendAmount};
use crate::node::platform::Platform;

/// The on-chain handler (see [`crate::node::lightning_node::LightningNode::onchain`]).
pub struct OnchainPayments<'a, P: Platform> {
    pub(crate) wallet: &'a AsyncMutex<OnchainWallet<P::Store>>,
    /// Where a payment is broadcast: every chain server.
    pub(crate) chain: &'a ChainServers<AsyncClient<P::Sleeper>>,
    pub(crate) network: Network,
    pub(crate) platform: &'a P,
}

impl<P: Platform> OnchainPayments<'_, P> {
    /// Returns a fresh address of the wallet, stored as handed out before it is returned.
    pub async fn new_address(&self) -> Result<Address, NodeError> {
        Ok(self.wallet.lock().await.receive_address().await?)
    }

    /// What sending to a pasted address at `fee_rate` would pay in fees (within the cap, or the
    /// cap's refusal), before the person confirms. Nothing changes.
    pub async fn fee(&self, address: &str, amount: SendAmount, fee_rate: FeeRate) -> Result<Amount, NodeError> {
        let to = parse_address(address, self.network)?;
        Ok(self.wallet.lock().await.payment_fee(&to, amount, fee_rate)?)
    }

    /// Sends to a pasted address at `fee_rate`; returns the transaction id once the chain server has
    /// taken it. Nothing changes if it refuses.
    pub async fn send(&self, address: &str, amount: SendAmount, fee_rate: FeeRate) -> Result<Txid, NodeError> {
        let to = parse_address(address, self.network)?;
        let mut wallet = self.wallet.lock().await;
        let signed = wallet.sign_payment(&to, amount, fee_rate)?;
        if let Err(e) = ChainSource::broadcast(self.chain, &signed.tx).await {
            wallet.abandon(&signed.tx);
            return Err(NodeError::Chain(ChainFault::Refused { reason: e.to_string() }));
        }
        wallet.record_broadcast(&signed.tx, self.platform.now()).await?;
        Ok(signed.tx.compute_txid())
    }
}
