//! The node's channels: opening one to a peer, funded from the on-chain wallet, and closing one,
//! addressed by LDK's [`ChannelId`].

use std::rc::Rc;
use std::time::Duration;

use bitcoin::{Amount, FeeRate};
use lightning::ln::channel_state::ChannelShutdownState;
use lightning::ln::types::ChannelId;
use lightning::sign::EntropySource;
use lightning::util::errors::APIError;
use lightning::util::logger::Logger as _;

use super::error::{msat, NodeError, Refusal};
use super::lightning_node::LightningNode;
use super::net::PeerUri;
use super::platform::Platform;

/// Funding transactions aim to confirm within about an hour.
const FUNDING_TARGET_BLOCKS: u16 = 6;
/// How long a cooperative close is retried while the channel is momentarily busy.
const COOPERATIVE_CLOSE_WAIT: Duration = Duration::from_secs(15);
/// How often it is retried meanwhile.
const CLOSE_RETRY: Duration = Duration::from_millis(250);

impl<P: Platform> LightningNode<P> {
    /// Opens a channel of `amount` to `peer`, funded from the on-chain wallet. Returns the channel's
    /// temporary id; `NodeEvent::ChannelPending` follows once the funding is broadcast.
    pub async fn open_channel(self: &Rc<Self>, peer: &PeerUri, amount: Amount) -> Result<ChannelId, NodeError> {
        if let Some(failure) = self.parts.store.write_failure() {
            return Err(failure.into());
        }
        if amount > self.config.max_channel {
            return Err(NodeError::ChannelTooLarge { requested: amount, max: self.config.max_channel });
        }
        let available = self.onchain.lock().await.spendable();
        if amount > available {
            return Err(NodeError::InsufficientFunds { needed_msat: msat(amount), available_msat: msat(available) });
        }
        self.connect(peer).await?;
        // Checked again and promised under the wallet's lock: of two opens (or an open and a send)
        // that the one coin cannot both pay for, the second is refused here, not after the peer agreed.
        let mut onchain = self.onchain.lock().await;
        // The funding's fee, against the person's cap, before any peer hears of the channel.
        onchain.funding_fee(amount, self.funding_fee_rate())?;
        let user_channel_id = self.new_user_channel_id();
        onchain.promise(user_channel_id, amount)?;
        let opened = self.parts.channel_manager.create_channel(peer.node_id, amount.to_sat(), 0, user_channel_id, None, None);
        let temporary_id = opened.map_err(|e| {
            onchain.release_promise(user_channel_id);
            self.refused(&e)
        })?;
        drop(onchain);
        self.record_channel_terms(user_channel_id).await;
        Ok(temporary_id)
    }

    /// Closes a channel: cooperatively (funds back after the closing transaction confirms), or by
    /// force (our commitment on chain, funds back after the delay the channel set).
    ///
    /// LDK refuses to begin a cooperative close while the peer is reconnecting, while a channel
    /// update is still being stored (our monitor writes are asynchronous) or while an HTLC is still
    /// settling: all of which last moments after a payment or a reload. A person who presses "close"
    /// then means it, so the close is retried for a few seconds before the refusal is reported.
    pub async fn close_channel(&self, channel_id: &ChannelId, force: bool) -> Result<(), NodeError> {
        let channel = self
            .channels()
            .into_iter()
            .find(|c| c.channel_id == *channel_id)
            .ok_or_else(|| NodeError::UnknownChannel { channel_id: channel_id.to_string() })?;
        let manager = &self.parts.channel_manager;
        let counterparty = channel.counterparty.node_id;
        if force {
            if !self.parts.checks.may_act_on(channel_id) {
                return Err(NodeError::Refused(Refusal::ChannelStateUnconfirmed));
            }
            let reason = "closed by the wallet's owner".to_owned();
            return manager.force_close_broadcasting_latest_txn(channel_id, &counterparty, reason).map_err(|e| self.refused(&e));
        }
        let mut waited = Duration::ZERO;
        loop {
            let error = match manager.close_channel(channel_id, &counterparty) {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            let passing =
                matches!(error, APIError::ChannelUnavailable { .. } | APIError::APIMisuseError { .. }) && self.not_shutting_down(channel_id);
            if !passing || waited >= COOPERATIVE_CLOSE_WAIT || self.sleep_unless_stopped(CLOSE_RETRY).await {
                return Err(self.refused(&error));
            }
            waited += CLOSE_RETRY;
        }
    }

    /// Whether the channel is open and neither side has begun to close it.
    fn not_shutting_down(&self, channel_id: &ChannelId) -> bool {
        self.channels().iter().any(|c| c.channel_id == *channel_id && c.channel_shutdown_state == Some(ChannelShutdownState::NotShuttingDown))
    }

    /// What funding a channel of `amount` would pay in fees now (within the cap, or the cap's
    /// refusal), before the person opens it. Nothing changes.
    pub async fn channel_funding_fee(&self, amount: Amount) -> Result<Amount, NodeError> {
        Ok(self.onchain.lock().await.funding_fee(amount, self.funding_fee_rate())?)
    }

    /// The fee rate a channel's funding pays: the estimate for confirmation within six blocks.
    pub(super) fn funding_fee_rate(&self) -> FeeRate {
        FeeRate::from_sat_per_vb(self.parts.fees.sat_per_vb(FUNDING_TARGET_BLOCKS).ceil() as u64).unwrap_or(FeeRate::BROADCAST_MIN)
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
