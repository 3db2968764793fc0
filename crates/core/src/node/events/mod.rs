//! What the node tells the wallet as it happens ([`NodeEvent`]), and who hears it ([`Subscribers`]).
//! The events come from LDK's, handled in [`ldk`], and from the node's own peers and chain sync.
//! Plain data: they cross the UI protocol as JSON (ids as hex).

mod ldk;

use std::cell::RefCell;

use bitcoin::secp256k1::PublicKey;
use futures::channel::mpsc;
use lightning::events::ClosureReason;
use serde::{Deserialize, Serialize};

use super::error::{PaymentFailure, StorageFault};

/// What the node tells the wallet as it happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum NodeEvent {
    PeerConnected {
        node_id: PublicKey,
    },
    PeerDisconnected {
        node_id: PublicKey,
        reason: String,
    },
    ChannelPending {
        channel_id: String,
    },
    ChannelReady {
        channel_id: String,
    },
    ChannelClosed {
        channel_id: String,
        reason: ChannelCloseReason,
    },
    /// `payment_id` names the payment in the history; `payment_hash` is the one its invoice carries.
    PaymentReceived {
        payment_id: String,
        payment_hash: String,
        amount_msat: u64,
        /// Paid to the payment code while the wallet was closed, and claimed as it opened.
        #[serde(default)]
        while_away: bool,
    },
    PaymentSent {
        payment_id: String,
        payment_hash: String,
        fee_paid_msat: u64,
    },
    PaymentFailed {
        payment_id: String,
        payment_hash: Option<String>,
        reason: PaymentFailure,
    },
    Synced {
        height: u32,
    },
    /// LDK's writes started failing (`Some`: why; new payments are refused meanwhile) or work again.
    Storage {
        failing: Option<StorageFault>,
    },
    /// A peer asked to open a channel to this wallet; what the wallet did about it.
    InboundChannel {
        peer: PublicKey,
        funding_sat: u64,
        decision: InboundDecision,
    },
}

/// Whether a channel a peer opens to the wallet is taken. An anchor channel commits the wallet to
/// paying the fee of its own force close from its on-chain coins: without them, a force close by the
/// peer at the wrong moment could not be bumped, and an HTLC in it could be lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum InboundDecision {
    /// Taken: the wallet holds the coins to bump a force close of every channel it has.
    Accepted,
    /// Taken without those coins, because the person trusts the peer not to force-close badly.
    AcceptedTrusted { reserve_sat: u64, available_sat: u64 },
    /// Taken from the LSP of the settings, which opens it for a payment (a just-in-time channel):
    /// used before it confirms.
    AcceptedFromLsp,
    /// Refused: not a peer the wallet chose to connect to.
    RefusedUnknownPeer,
    /// Refused: too few on-chain coins to bump a force close.
    RefusedNoReserve { reserve_sat: u64, available_sat: u64 },
}

/// Why a channel closed, as a person needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelCloseReason {
    #[error("closed cooperatively")]
    Cooperative,
    #[error("force-closed by this wallet")]
    ForceClosedByUs,
    #[error("force-closed by the peer")]
    ForceClosedByPeer,
    /// A commitment transaction confirmed on chain (ours or the peer's).
    #[error("a commitment transaction confirmed")]
    CommitmentConfirmed,
    /// The channel never got its funding (timed out, refused, or the wallet could not pay it).
    #[error("the channel was never funded")]
    NotFunded,
    /// The peer went before the channel was funded.
    #[error("the peer disconnected before the channel was funded")]
    PeerLeftBeforeFunding,
    /// Payments in it timed out and had to be settled on chain.
    #[error("payments in it timed out")]
    PaymentsTimedOut,
    #[error("the peer's fee rate was too low")]
    PeerFeeRateTooLow,
    /// The stored channel manager was older than the channel's monitor.
    #[error("the stored channel state was outdated")]
    OutdatedState,
    #[error("a protocol error")]
    ProtocolError,
}

impl From<&ClosureReason> for ChannelCloseReason {
    fn from(reason: &ClosureReason) -> Self {
        use ClosureReason as R;
        match reason {
            R::CounterpartyForceClosed { .. } => ChannelCloseReason::ForceClosedByPeer,
            R::HolderForceClosed { .. } => ChannelCloseReason::ForceClosedByUs,
            R::LegacyCooperativeClosure | R::CounterpartyInitiatedCooperativeClosure | R::LocallyInitiatedCooperativeClosure => {
                ChannelCloseReason::Cooperative
            }
            R::CommitmentTxConfirmed => ChannelCloseReason::CommitmentConfirmed,
            R::FundingTimedOut | R::FundingBatchClosure | R::CounterpartyCoopClosedUnfundedChannel | R::LocallyCoopClosedUnfundedChannel => {
                ChannelCloseReason::NotFunded
            }
            R::DisconnectedPeer => ChannelCloseReason::PeerLeftBeforeFunding,
            R::HTLCsTimedOut { .. } => ChannelCloseReason::PaymentsTimedOut,
            R::PeerFeerateTooLow { .. } => ChannelCloseReason::PeerFeeRateTooLow,
            R::OutdatedChannelManager => ChannelCloseReason::OutdatedState,
            R::ProcessingError { .. } => ChannelCloseReason::ProtocolError,
        }
    }
}

/// Who hears the node's events: every stream handed out by `subscribe` that is still open.
#[derive(Default)]
pub struct Subscribers(RefCell<Vec<mpsc::UnboundedSender<NodeEvent>>>);

impl Subscribers {
    /// Returns a stream of what happens from now on.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<NodeEvent> {
        let (sender, receiver) = mpsc::unbounded();
        self.0.borrow_mut().push(sender);
        receiver
    }

    pub fn notify(&self, event: NodeEvent) {
        self.0.borrow_mut().retain(|s| s.unbounded_send(event.clone()).is_ok());
    }
}
