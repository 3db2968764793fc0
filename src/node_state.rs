//! What the pages know of the node: its phase, status, balances, channels and payments, as last
//! answered or announced. A plain type, updated from the protocol's answers and events and tested
//! natively; the app keeps one in a signal.

use blixtra_core::node::backups::BackupReminder;
use blixtra_core::node::channel_checks::CheckedChannel;
use blixtra_core::node::channel_recovery::RecoveryProgress;
use blixtra_core::node::error::{ChainFault, PaymentFailure, StorageFault};
use blixtra_core::node::events::{ChannelCloseReason, InboundDecision, NodeEvent};
use blixtra_core::node::payment::{PaymentDirection, PaymentStatus};
use blixtra_host::protocol::BalancesView;
use blixtra_host::protocol::{ChannelView, PaymentView, StatusView};

/// Where the node is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NodePhase {
    /// Not running: the wallet is locked, or not made yet.
    #[default]
    Stopped,
    Starting,
    Running,
    /// It did not start or it failed; the sentence says why.
    Failed(String),
}

/// Something that went wrong in the background, to be told in the UI's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    PaymentFailed(PaymentFailure),
    ChannelClosed(ChannelCloseReason),
    /// A channel a peer opened was refused, or taken on trust without the coins to bump its close.
    InboundChannel {
        funding_sat: u64,
        decision: InboundDecision,
    },
    /// Already a sentence (a failed refresh, described where it failed).
    Said(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeState {
    pub phase: NodePhase,
    pub node_id: Option<String>,
    pub height: Option<u32>,
    pub peers_known: usize,
    pub peers_connected: usize,
    /// `None` until the node answered once.
    pub balances: Option<BalancesView>,
    pub channels: Vec<ChannelView>,
    /// Newest first.
    pub payments: Vec<PaymentView>,
    /// The last thing that went wrong in the background (a closed channel's reason, a failed sync).
    pub last_problem: Option<Problem>,
    /// Blocks the wallet may stay closed and still punish a peer's old state; `None` without channels.
    pub closed_safely_blocks: Option<u32>,
    /// Blocks mined while the wallet was closed, found when the node started.
    pub away_blocks: u32,
    /// Why the last chain sync failed, until one succeeds.
    pub chain_fault: Option<ChainFault>,
    /// Why the node cannot store its channel state now (new payments are refused until it can).
    pub storage_failing: Option<StorageFault>,
    /// What was paid to the payment code while the wallet was closed, claimed since it opened.
    pub received_while_away_msat: u64,
    /// A restored wallet's search for its lost channels' funds, while it runs or once it found some.
    pub channel_recovery: Option<RecoveryProgress>,
    /// Channels restored from a backup and waiting for their peer's word, or found old.
    pub channel_checks: Vec<CheckedChannel>,
    /// Why the person should export a backup file now.
    pub backup_reminder: Option<BackupReminder>,
}

/// The wallet was closed for long enough that its channels were, or nearly were, at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwayWarning {
    /// Closed for more than half the time its channels allow.
    Near { away_blocks: u32, allowed_blocks: u32 },
    /// Closed for longer than they allow.
    TooLong { away_blocks: u32, allowed_blocks: u32 },
}

impl NodeState {
    pub fn set_status(&mut self, status: StatusView) {
        self.node_id = Some(status.node_id);
        self.height = Some(status.height);
        self.peers_known = status.peers_known;
        self.peers_connected = status.peers_connected;
        self.closed_safely_blocks = status.closed_safely_blocks;
        self.away_blocks = status.away_blocks;
        self.chain_fault = status.chain_fault;
        self.channel_recovery = status.channel_recovery;
        self.channel_checks = status.channel_checks;
        self.backup_reminder = status.backup_reminder;
    }

    /// Whether to warn that the wallet stayed closed too long, or nearly.
    pub fn away_warning(&self) -> Option<AwayWarning> {
        let (away_blocks, allowed_blocks) = (self.away_blocks, self.closed_safely_blocks?);
        if away_blocks >= allowed_blocks {
            Some(AwayWarning::TooLong { away_blocks, allowed_blocks })
        } else if away_blocks.saturating_mul(2) >= allowed_blocks {
            Some(AwayWarning::Near { away_blocks, allowed_blocks })
        } else {
            None
        }
    }

    /// Keeps the history newest first (by creation, then by last change).
    pub fn set_payments(&mut self, mut payments: Vec<PaymentView>) {
        payments.sort_by(|a, b| b.created_at_secs.cmp(&a.created_at_secs).then(b.updated_at_secs.cmp(&a.updated_at_secs)));
        self.payments = payments;
    }

    /// Takes in an event. Returns whether the status, balances, channels and payments should be
    /// asked for again: always, except for a sync whose height did not move (every 2 s when idle).
    pub fn apply_event(&mut self, event: &NodeEvent) -> bool {
        match event {
            NodeEvent::Synced { height } => {
                let moved = self.height != Some(*height);
                self.height = Some(*height);
                moved
            }
            // The counts come with the status asked for next.
            NodeEvent::PeerConnected { .. } | NodeEvent::PeerDisconnected { .. } => true,
            NodeEvent::ChannelClosed { reason, .. } => {
                self.last_problem = Some(Problem::ChannelClosed(*reason));
                true
            }
            NodeEvent::Storage { failing } => {
                self.storage_failing = failing.clone();
                false
            }
            NodeEvent::InboundChannel { funding_sat, decision, .. } => {
                // A channel taken as any other, or bought from the provider, is no problem.
                if !matches!(decision, InboundDecision::Accepted | InboundDecision::AcceptedFromLsp) {
                    self.last_problem = Some(Problem::InboundChannel { funding_sat: *funding_sat, decision: *decision });
                }
                true
            }
            NodeEvent::PaymentFailed { reason, .. } => {
                self.last_problem = Some(Problem::PaymentFailed(*reason));
                true
            }
            NodeEvent::PaymentReceived { amount_msat, while_away, .. } => {
                if *while_away {
                    self.received_while_away_msat += amount_msat;
                }
                true
            }
            NodeEvent::ChannelPending { .. } | NodeEvent::ChannelReady { .. } | NodeEvent::PaymentSent { .. } => true,
        }
    }

    /// Tells whether the wallet received the payment with `payment_id` (hex).
    pub fn was_received(&self, payment_id: &str) -> bool {
        self.payments.iter().any(|p| p.id == payment_id && p.direction == PaymentDirection::Inbound && p.status == PaymentStatus::Succeeded)
    }

    /// Returns the payments worth showing as activity: sent ones, and received ones that arrived
    /// (an invoice nobody paid is not activity).
    pub fn activity(&self) -> impl Iterator<Item = &PaymentView> {
        self.payments.iter().filter(|p| p.direction == PaymentDirection::Outbound || p.status == PaymentStatus::Succeeded)
    }
}

/// Tells whether the balance is past the amount above which the wallet suggests keeping savings
/// elsewhere (the founding document: Lightning is for everyday amounts). `threshold_sat` 0: never.
pub fn balance_is_high(total_sat: u64, threshold_sat: u64) -> bool {
    threshold_sat > 0 && total_sat > threshold_sat
}

#[cfg(test)]
mod tests {
    use super::*;

    use blixtra_host::protocol::PaymentKindView;

    fn payment(id: &str, direction: PaymentDirection, status: PaymentStatus, created: u64) -> PaymentView {
        PaymentView {
            id: id.into(),
            kind: PaymentKindView::Bolt11,
            direction,
            status,
            payment_hash: Some(id.into()),
            preimage: None,
            txid: None,
            amount_msat: Some(1_000),
            fee_paid_msat: None,
            payee: None,
            description: None,
            created_at_secs: created,
            updated_at_secs: created,
            received_while_away: false,
        }
    }

    #[test]
    fn payments_received_while_away_add_up_for_the_home_page() {
        let mut state = NodeState::default();
        let received = |amount_msat, while_away| NodeEvent::PaymentReceived {
            payment_id: "ab".repeat(32),
            payment_hash: "ab".repeat(32),
            amount_msat,
            while_away,
        };
        assert!(state.apply_event(&received(20_000_000, true)));
        state.apply_event(&received(5_000_000, false));
        state.apply_event(&received(1_000_000, true));
        assert_eq!(state.received_while_away_msat, 21_000_000, "the one paid while open is not counted");
    }

    #[test]
    fn the_total_adds_chain_and_channels_in_whole_sats() {
        let balances = BalancesView { onchain_confirmed_sat: 1_000, onchain_pending_sat: 500, lightning_msat: 20_999, lightning_reserve_msat: 0 };
        assert_eq!(balances.total_sat(), 1_520);
        assert_eq!(balances.onchain_sat(), 1_500);
        // A channel's reserve is the wallet's too: it counts in the Lightning total.
        let with_reserve = BalancesView { lightning_msat: 47_000_000, lightning_reserve_msat: 1_000_000, ..balances };
        assert_eq!((with_reserve.lightning_owned_sat(), with_reserve.total_sat()), (48_000, 49_500));
    }

    #[test]
    fn payments_are_kept_newest_first_and_unpaid_invoices_are_not_activity() {
        let mut state = NodeState::default();
        state.set_payments(vec![
            payment("old", PaymentDirection::Outbound, PaymentStatus::Succeeded, 1),
            payment("unpaid", PaymentDirection::Inbound, PaymentStatus::Pending, 3),
            payment("new", PaymentDirection::Inbound, PaymentStatus::Succeeded, 2),
        ]);
        let hashes: Vec<&str> = state.activity().map(|p| p.id.as_str()).collect();
        assert_eq!(hashes, ["new", "old"]);
        assert!(state.was_received("new"));
        assert!(!state.was_received("unpaid"));
        assert!(!state.was_received("old"), "an outgoing payment is not a receipt");
    }

    #[test]
    fn a_sync_asks_for_a_refresh_only_when_the_height_moved() {
        let mut state = NodeState::default();
        assert!(state.apply_event(&NodeEvent::Synced { height: 101 }));
        assert!(!state.apply_event(&NodeEvent::Synced { height: 101 }));
        assert!(state.apply_event(&NodeEvent::Synced { height: 102 }));
        assert_eq!(state.height, Some(102));
    }

    #[test]
    fn a_failed_payment_or_closed_channel_is_told() {
        let mut state = NodeState::default();
        let failed = NodeEvent::PaymentFailed { payment_id: "i".into(), payment_hash: Some("h".into()), reason: PaymentFailure::NoRoute };
        assert!(state.apply_event(&failed));
        assert_eq!(state.last_problem, Some(Problem::PaymentFailed(PaymentFailure::NoRoute)));
        let closed = NodeEvent::ChannelClosed { channel_id: "c".into(), reason: ChannelCloseReason::ForceClosedByPeer };
        assert!(state.apply_event(&closed));
        assert_eq!(state.last_problem, Some(Problem::ChannelClosed(ChannelCloseReason::ForceClosedByPeer)));
    }

    #[test]
    fn the_high_balance_notice_respects_its_threshold() {
        assert!(!balance_is_high(1_000_000, 0));
        assert!(!balance_is_high(1_000_000, 1_000_000));
        assert!(balance_is_high(1_000_001, 1_000_000));
    }

    #[test]
    fn a_wallet_closed_for_half_its_channels_allowance_is_warned_and_past_it_more_so() {
        let status = |closed_safely_blocks, away_blocks| StatusView {
            node_id: "02ab".into(),
            height: 100,
            peers_known: 1,
            peers_connected: 1,
            closed_safely_blocks,
            away_blocks,
            chain_fault: None,
            channel_recovery: None,
            channel_checks: Vec::new(),
            backup_reminder: None,
        };
        let mut state = NodeState::default();
        state.set_status(status(None, 5_000));
        assert_eq!(state.away_warning(), None, "no channel, nothing at risk");
        state.set_status(status(Some(1_872), 935));
        assert_eq!(state.away_warning(), None);
        state.set_status(status(Some(1_872), 936));
        assert_eq!(state.away_warning(), Some(AwayWarning::Near { away_blocks: 936, allowed_blocks: 1_872 }));
        state.set_status(status(Some(1_872), 1_872));
        assert_eq!(state.away_warning(), Some(AwayWarning::TooLong { away_blocks: 1_872, allowed_blocks: 1_872 }));
    }
}
