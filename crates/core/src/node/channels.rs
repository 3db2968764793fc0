//! The node's channels: opening one to a peer, funded from the on-chain wallet, and closing one,
//! addressed by LDK's [`ChannelId`].

use std::rc::Rc;

use bitcoin::Amount;
use lightning::ln::types::ChannelId;
use lightning::sign::EntropySource;
use lightning::util::errors::APIError;
use lightning::util::logger::Logger as _;

use super::error::{msat, NodeError, Refusal};
use super::lightning_node::LightningNode;
use super::net::PeerUri;
use super::platform::Platform;

impl<P: Platform> LightningNode<P> {
    /// Opens a channel of `amount` to `peer`, funded from the on-chain wallet. Returns the channel's
    /// temporary id; `NodeEvent::ChannelPending` follows once the funding is broadcast.
    pub async fn open_channel(self: &Rc<Self>, peer: &PeerUri, amount: Amount) -> Result<ChannelId, NodeError> {
        if amount > self.config.max_channel {
            return Err(NodeError::ChannelTooLarge { requested: amount, max: self.config.max_channel });
        }
        let available = self.onchain.lock().await.balance().trusted_spendable();
        if amount > available {
            return Err(NodeError::InsufficientFunds { needed_msat: msat(amount), available_msat: msat(available) });
        }
        self.connect(peer).await?;
        let user_channel_id = self.new_user_channel_id();
        self.parts.channel_manager.create_channel(peer.node_id, amount.to_sat(), 0, user_channel_id, None, None).map_err(|e| self.refused(&e))
    }

    /// Closes a channel: cooperatively (funds back after the closing transaction confirms), or by
    /// force (our commitment on chain, funds back after the delay the channel set).
    pub fn close_channel(&self, channel_id: &ChannelId, force: bool) -> Result<(), NodeError> {
        let channel = self
            .channels()
            .into_iter()
            .find(|c| c.channel_id == *channel_id)
            .ok_or_else(|| NodeError::UnknownChannel { channel_id: channel_id.to_string() })?;
        let manager = &self.parts.channel_manager;
        let result = if force {
            manager.force_close_broadcasting_latest_txn(&channel.channel_id, &channel.counterparty.node_id, "closed by the wallet's owner".to_owned())
        } else {
            manager.close_channel(&channel.channel_id, &channel.counterparty.node_id)
        };
        result.map_err(|e| self.refused(&e))
    }

    /// Returns a random id for a new channel, ours to recognise it by.
    pub(super) fn new_user_channel_id(&self) -> u128 {
        u128::from_be_bytes(self.parts.keys.get_secure_random_bytes()[..16].try_into().expect("16 of 32 bytes"))
    }

    /// Turns LDK's refusal into the node's, logging LDK's own words (they are not for a person).
    fn refused(&self, error: &APIError) -> NodeError {
        let (refusal, words) = Refusal::from_api(error);
        lightning::log_info!(self.parts.logger, "LDK refused: {words}");
        NodeError::Refused(refusal)
    }
}
