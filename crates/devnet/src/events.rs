//! Reads each peer's LDK Node events as they arrive and hands payment outcomes to whoever waits for
//! them, stamped with the instant they arrived.
//!
//! One reader per node, for two reasons. LDK Node keeps its event queue in its store and rewrites
//! the whole queue on every new event, so a queue nobody drains makes each payment slower than the
//! last: a benchmark of thousands of payments would measure that. And `next_event_async` keeps one
//! waker per node, so two readers would steal each other's wake-ups.

use std::sync::Arc;
use std::time::Instant;

use ldk_node::lightning::events::PaymentFailureReason;
use ldk_node::lightning::ln::channelmanager::PaymentId;
use ldk_node::{Event, Node};
use tokio::sync::broadcast;

/// How many outcomes a slow waiter may fall behind before it misses some; sequential payments
/// leave at most one or two in flight.
pub const OUTCOME_BUFFER: usize = 256;

/// How an outgoing payment ended, as the payer's event said.
#[derive(Debug, Clone)]
pub struct PaymentOutcome {
    pub id: PaymentId,
    /// When the pump read the event: the end of the payment as the payer sees it.
    pub arrived: Instant,
    pub settled: Settled,
}

#[derive(Debug, Clone)]
pub enum Settled {
    Paid { fee_paid_msat: Option<u64> },
    Failed { reason: Option<PaymentFailureReason> },
}

impl PaymentOutcome {
    /// Returns the outcome an event reports, if it is a payment's success or failure.
    pub fn from_event(event: &Event, arrived: Instant) -> Option<PaymentOutcome> {
        match event {
            Event::PaymentSuccessful { payment_id: Some(id), fee_paid_msat, .. } => {
                Some(PaymentOutcome { id: *id, arrived, settled: Settled::Paid { fee_paid_msat: *fee_paid_msat } })
            }
            Event::PaymentFailed { payment_id: Some(id), reason, .. } => {
                Some(PaymentOutcome { id: *id, arrived, settled: Settled::Failed { reason: *reason } })
            }
            _ => None,
        }
    }
}

/// Runs for ever: reads the events of peer `name`'s `node`, publishes payment outcomes on
/// `outcomes`, and marks every event handled, the ones nobody waits for included.
pub async fn pump(name: &'static str, node: Arc<Node>, outcomes: broadcast::Sender<PaymentOutcome>) {
    loop {
        let event = node.next_event_async().await;
        // Stamped before anything else, so the time a waiter measures ends when the event arrived.
        let arrived = Instant::now();
        if let Some(outcome) = PaymentOutcome::from_event(&event, arrived) {
            // No receiver means nobody is waiting for it: nothing to do.
            let _ = outcomes.send(outcome);
        }
        // Marking it handled writes the queue to the node's store: off the async workers.
        let handled = node.clone();
        match tokio::task::spawn_blocking(move || handled.event_handled()).await {
            Ok(Ok(())) => {}
            // LDK Node drops the event from memory even when writing fails, so the loop moves on;
            // after a restart the node may deliver it again, which the waiters tolerate.
            Ok(Err(e)) => eprintln!("devnet: {name}: marking an event handled failed: {e}"),
            Err(e) => eprintln!("devnet: {name}: marking an event handled panicked: {e}"),
        }
    }
}

/// Creates the channel a peer publishes its payment outcomes on.
pub fn outcome_channel() -> broadcast::Sender<PaymentOutcome> {
    broadcast::Sender::new(OUTCOME_BUFFER)
}
