//! What the pages know of the node: its phase, status, balances, channels and payments, as last
//! answered or announced. A plain type, updated from the protocol's answers and events and tested
//! natively; the app keeps one in a signal.

use blixtra_core::node::lightning_node::NodeEvent;
use blixtra_core::node::payments::{PaymentDirection, PaymentRecord, PaymentStatus};
use blixtra_core::node::protocol::{Answer, ChannelState, ChannelView};

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

/// Balances as the node last answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BalancesView {
    pub onchain_confirmed_sat: u64,
    pub onchain_pending_sat: u64,
    pub lightning_msat: u64,
}

impl BalancesView {
    /// Returns what the wallet holds, in whole sats: on chain (confirmed or not) and in channels.
    pub fn total_sat(&self) -> u64 {
        self.onchain_sat() + self.lightning_msat / 1000
    }

    pub fn onchain_sat(&self) -> u64 {
        self.onchain_confirmed_sat + self.onchain_pending_sat
    }
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
    pub payments: Vec<PaymentRecord>,
    /// The last thing that went wrong in the background (a closed channel's reason, a failed sync).
    pub last_problem: Option<String>,
}

impl NodeState {
    /// Takes in an answer that carries state (balances, channels, payments, status).
    pub fn apply_answer(&mut self, answer: Answer) {
        match answer {
            Answer::Balances { onchain_confirmed_sat, onchain_pending_sat, lightning_msat } => {
                self.balances = Some(BalancesView { onchain_confirmed_sat, onchain_pending_sat, lightning_msat })
            }
            Answer::Channels { channels } => self.channels = channels,
            Answer::Payments { mut payments } => {
                payments.sort_by(|a, b| b.created_at_secs.cmp(&a.created_at_secs).then(b.updated_at_secs.cmp(&a.updated_at_secs)));
                self.payments = payments;
            }
            Answer::Status { node_id, height, peers_known, peers_connected } => {
                self.node_id = Some(node_id);
                self.height = Some(height);
                self.peers_known = peers_known;
                self.peers_connected = peers_connected;
            }
            Answer::Synced { height, .. } => self.height = Some(height),
            _ => {}
        }
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
                self.last_problem = Some(reason.clone());
                true
            }
            NodeEvent::PaymentFailed { reason, .. } => {
                self.last_problem = Some(reason.clone());
                true
            }
            NodeEvent::ChannelPending { .. } | NodeEvent::ChannelReady { .. } | NodeEvent::PaymentReceived { .. } | NodeEvent::PaymentSent { .. } => {
                true
            }
        }
    }

    /// Tells whether the wallet received the payment with `payment_hash` (hex).
    pub fn was_received(&self, payment_hash: &str) -> bool {
        self.payments
            .iter()
            .any(|p| p.payment_hash == payment_hash && p.direction == PaymentDirection::Inbound && p.status == PaymentStatus::Succeeded)
    }

    /// Returns the payments worth showing as activity: sent ones, and received ones that arrived
    /// (an invoice nobody paid is not activity).
    pub fn activity(&self) -> impl Iterator<Item = &PaymentRecord> {
        self.payments.iter().filter(|p| p.direction == PaymentDirection::Outbound || p.status == PaymentStatus::Succeeded)
    }

    /// Tells whether some channel can pay now.
    pub fn can_pay(&self) -> bool {
        self.channels.iter().any(|c| c.state == ChannelState::Usable && c.can_send_msat > 0)
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

    fn payment(hash: &str, direction: PaymentDirection, status: PaymentStatus, created: u64) -> PaymentRecord {
        PaymentRecord {
            direction,
            status,
            payment_hash: hash.into(),
            amount_msat: Some(1_000),
            fee_paid_msat: None,
            preimage: None,
            description: None,
            created_at_secs: created,
            updated_at_secs: created,
        }
    }

    #[test]
    fn the_total_adds_chain_and_channels_in_whole_sats() {
        let balances = BalancesView { onchain_confirmed_sat: 1_000, onchain_pending_sat: 500, lightning_msat: 20_999 };
        assert_eq!(balances.total_sat(), 1_520);
        assert_eq!(balances.onchain_sat(), 1_500);
    }

    #[test]
    fn payments_are_kept_newest_first_and_unpaid_invoices_are_not_activity() {
        let mut state = NodeState::default();
        state.apply_answer(Answer::Payments {
            payments: vec![
                payment("old", PaymentDirection::Outbound, PaymentStatus::Succeeded, 1),
                payment("unpaid", PaymentDirection::Inbound, PaymentStatus::Pending, 3),
                payment("new", PaymentDirection::Inbound, PaymentStatus::Succeeded, 2),
            ],
        });
        let hashes: Vec<&str> = state.activity().map(|p| p.payment_hash.as_str()).collect();
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
        assert!(state.apply_event(&NodeEvent::PaymentFailed { payment_hash: "h".into(), reason: "no route".into() }));
        assert_eq!(state.last_problem.as_deref(), Some("no route"));
    }

    #[test]
    fn the_high_balance_notice_respects_its_threshold() {
        assert!(!balance_is_high(1_000_000, 0));
        assert!(!balance_is_high(1_000_000, 1_000_000));
        assert!(balance_is_high(1_000_001, 1_000_000));
    }
}
