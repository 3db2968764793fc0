//! Timed payments from one peer to another: the latency a native LDK Node sees, to set beside the
//! browser wallet's measured in the same run.
//!
//! Each payment's time runs from just before the payer's `send` to the instant the payer's
//! `PaymentSuccessful` event arrived ([`crate::events`] stamps it), so neither polling nor the payee's
//! invoice is in it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ldk_node::lightning::ln::channelmanager::PaymentId;
use ldk_node::lightning_invoice::{Bolt11InvoiceDescription, Description};
use ldk_node::NodeError;
use tokio::sync::broadcast;

use crate::events::{PaymentOutcome, Settled};
use crate::peers::Peer;

/// How long one payment may take to succeed or fail. LDK Node stops retrying after 10 s, so an
/// outcome comes well before this.
pub const PAYMENT_WAIT: Duration = Duration::from_secs(60);
/// How long the payee's invoices stay valid: longer than any run.
const INVOICE_EXPIRY_SECS: u32 = 3600;

/// What a run measured, one entry per payment in order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchReport {
    pub latencies_ms: Vec<f64>,
    pub fees_msat: Vec<u64>,
}

/// Which payment of a run went wrong: its place and its hash.
#[derive(Debug, Clone)]
pub struct PaymentRef {
    pub number: u32,
    pub count: u32,
    pub payment_hash: String,
}

impl std::fmt::Display for PaymentRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "payment {} of {} (hash {})", self.number, self.count, self.payment_hash)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{payee}: cannot create invoice {number} of {count}: {source}")]
    Invoice { payee: &'static str, number: u32, count: u32, source: NodeError },
    #[error("{payer}: {payment} could not be sent: {source}")]
    Send { payer: &'static str, payment: PaymentRef, source: NodeError },
    #[error("{payer}: {payment} failed: {reason}")]
    Failed { payer: &'static str, payment: PaymentRef, reason: String },
    #[error("{payer}: {payment} did not succeed or fail within {} s", PAYMENT_WAIT.as_secs())]
    Timeout { payer: &'static str, payment: PaymentRef },
    #[error("{payer}: {what}")]
    Internal { payer: &'static str, what: String },
}

/// Pays `payee` `count` times `amount_msat` from `payer`, one payment after the other, each to a
/// fresh invoice; stops at the first payment that fails.
///
/// Needs [`crate::events::pump`] running for `payer`.
pub async fn pay_sequentially(payer: &Arc<Peer>, payee: &Arc<Peer>, count: u32, amount_msat: u64) -> Result<BenchReport, BenchError> {
    let run = Run { payer, payee, count, amount_msat };
    // Subscribed before the first send, so no outcome can come before anyone listens.
    let mut outcomes = payer.outcomes.subscribe();
    let mut report = BenchReport { latencies_ms: Vec::new(), fees_msat: Vec::new() };
    for number in 1..=count {
        let (latency, fee_msat) = run.timed_payment(number, &mut outcomes).await?;
        report.latencies_ms.push(latency.as_secs_f64() * 1000.0);
        report.fees_msat.push(fee_msat);
    }
    Ok(report)
}

/// One run's fixed terms.
struct Run<'a> {
    payer: &'a Arc<Peer>,
    payee: &'a Arc<Peer>,
    count: u32,
    amount_msat: u64,
}

impl Run<'_> {
    /// Makes an invoice (untimed), pays it and waits for its outcome; returns the time from the send
    /// to the success event, and the fee paid.
    async fn timed_payment(&self, number: u32, outcomes: &mut broadcast::Receiver<PaymentOutcome>) -> Result<(Duration, u64), BenchError> {
        let Run { payer, payee, count, amount_msat } = *self;
        let internal = |what: String| BenchError::Internal { payer: payer.name, what };
        let receiver = payee.clone();
        let invoice = tokio::task::spawn_blocking(move || {
            let description =
                Bolt11InvoiceDescription::Direct(Description::new("devnet benchmark".to_owned()).expect("a short description is valid"));
            receiver.node.bolt11_payment().receive(amount_msat, &description, INVOICE_EXPIRY_SECS)
        })
        .await
        .map_err(|e| internal(e.to_string()))?
        .map_err(|source| BenchError::Invoice { payee: payee.name, number, count, source })?;
        let payment = PaymentRef { number, count, payment_hash: invoice.payment_hash().to_string() };

        let sender = payer.clone();
        // The clock starts inside the blocking task, so waiting for a blocking thread is not counted.
        let (sent_at, sent) = tokio::task::spawn_blocking(move || {
            let sent_at = Instant::now();
            (sent_at, sender.node.bolt11_payment().send(&invoice, None))
        })
        .await
        .map_err(|e| internal(e.to_string()))?;
        let id = sent.map_err(|source| BenchError::Send { payer: payer.name, payment: payment.clone(), source })?;

        let outcome = match tokio::time::timeout(PAYMENT_WAIT, outcome_of(id, outcomes)).await {
            Ok(Some(outcome)) => outcome,
            Ok(None) => return Err(internal("the node's event pump stopped".to_owned())),
            Err(_) => return Err(BenchError::Timeout { payer: payer.name, payment }),
        };
        match outcome.settled {
            // LDK leaves the fee out only for payments recorded before its version 0.0.103.
            Settled::Paid { fee_paid_msat } => Ok((outcome.arrived.saturating_duration_since(sent_at), fee_paid_msat.unwrap_or(0))),
            Settled::Failed { reason } => {
                let reason = reason.map_or_else(|| "no reason given".to_owned(), |r| format!("{r:?}"));
                Err(BenchError::Failed { payer: payer.name, payment, reason })
            }
        }
    }
}

/// Waits for the outcome of payment `id`, skipping the others; `None` once the channel is closed.
async fn outcome_of(id: PaymentId, outcomes: &mut broadcast::Receiver<PaymentOutcome>) -> Option<PaymentOutcome> {
    loop {
        match outcomes.recv().await {
            Ok(outcome) if outcome.id == id => return Some(outcome),
            Ok(_) => {}
            // Outcomes missed while lagging were others' (this run waits for one at a time); if
            // this payment's was among them, the timeout says so.
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    }
}
