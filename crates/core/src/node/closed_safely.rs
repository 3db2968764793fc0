//! How long the wallet may stay closed. A peer that force-closes with an old state can take the
//! channel's funds unless the wallet, within the delay it asked of that peer (`our_to_self_delay`),
//! sees the transaction and claims them as a penalty. So a browser wallet has a deadline: the
//! shortest such delay among its channels, less a day to get the penalty confirmed.
//!
//! LDK does not report the delay a channel asked of the peer, so the wallet records it when it opens
//! or accepts a channel (`channel_terms`, in `crate::record_names`). A channel with no record (opened
//! before records were kept) is taken to have LDK's least, 144 blocks.

use std::cell::Cell;

use lightning::util::logger::Logger as _;

use super::builder::OUR_TO_SELF_DELAY;
use super::error::{NodeError, StorageFault};
use super::lightning_node::LightningNode;
use super::platform::Platform;
use crate::record_names::CHANNEL_TERMS_NAMESPACE;

/// What a penalty needs once the wallet is back: a day to see the old state and get the claim mined.
pub const PENALTY_MARGIN_BLOCKS: u32 = 144;
/// The delay LDK asks of peers at least: assumed for a channel with no record.
const LEAST_DELAY: u16 = 144;

/// How long the wallet may stay closed from now, and how long it was closed before this start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosedSafely {
    /// Blocks the wallet may stay closed and still claim a penalty on every channel: `None` without
    /// channels.
    pub blocks: Option<u32>,
    /// Blocks mined while the wallet was closed, as found when it last started.
    pub away_blocks: u32,
}

/// Blocks mined while the wallet was closed, counted at start (see `LightningNode::start`).
#[derive(Debug, Default)]
pub(super) struct AwayBlocks(Cell<u32>);

impl AwayBlocks {
    pub(super) fn set(&self, blocks: u32) {
        self.0.set(blocks);
    }
}

impl<P: Platform> LightningNode<P> {
    /// How long the wallet may stay closed, and how long it was.
    pub async fn closed_safely(&self) -> Result<ClosedSafely, NodeError> {
        let mut shortest: Option<u16> = None;
        for channel in self.channels() {
            let delay = self.recorded_delay(channel.user_channel_id).await?.unwrap_or(LEAST_DELAY);
            shortest = Some(shortest.map_or(delay, |s| s.min(delay)));
        }
        let blocks = shortest.map(|delay| u32::from(delay).saturating_sub(PENALTY_MARGIN_BLOCKS));
        Ok(ClosedSafely { blocks, away_blocks: self.away_blocks.0.get() })
    }

    /// Records the delay a channel this wallet opens or accepts asks of its peer.
    pub(super) async fn record_channel_terms(&self, user_channel_id: u128) {
        let sealed = self.parts.store.sealed();
        if let Err(e) = sealed.put(CHANNEL_TERMS_NAMESPACE, &format!("{user_channel_id:032x}"), &OUR_TO_SELF_DELAY.to_le_bytes()).await {
            // The channel then counts as having LDK's least delay: a deadline too early, never too late.
            lightning::log_warn!(self.parts.logger, "the terms of a new channel were not stored: {e}");
        }
    }

    async fn recorded_delay(&self, user_channel_id: u128) -> Result<Option<u16>, NodeError> {
        let Some(bytes) = self.parts.store.sealed().get(CHANNEL_TERMS_NAMESPACE, &format!("{user_channel_id:032x}")).await? else { return Ok(None) };
        let bytes: [u8; 2] =
            bytes[..].try_into().map_err(|_| NodeError::Storage(StorageFault::Unreadable { kind: CHANNEL_TERMS_NAMESPACE.to_owned() }))?;
        Ok(Some(u16::from_le_bytes(bytes)))
    }
}
