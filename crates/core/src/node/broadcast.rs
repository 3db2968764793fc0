//! Transactions LDK (and the on-chain wallet) want on the network, posted to Esplora.
//!
//! LDK hands transactions over synchronously (`BroadcasterInterface`); they wait in a queue that
//! [`Broadcaster::flush`] posts. A post that fails for want of a server (unreachable, 5xx, 429) is
//! kept for the next flush; one the server refuses (4xx: invalid, conflicting, already confirmed) is
//! dropped with the server's reason, as retrying would not change the answer. LDK itself
//! rebroadcasts what still matters on its timers.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

use bitcoin::{OutPoint, Transaction, Txid};
use lightning::chain::chaininterface::BroadcasterInterface;

use super::chain_source::{ChainError, ChainSource};

#[derive(Default)]
pub struct Broadcaster {
    queue: RefCell<Vec<Transaction>>,
    /// Channel fundings whose spends are dropped: channels whose state may be old
    /// ([`super::channel_checks`]).
    held: RefCell<BTreeSet<OutPoint>>,
    /// How many hand-overs were dropped for spending a held funding.
    held_back: Cell<u32>,
}

/// What one flush did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FlushReport {
    pub sent: Vec<Txid>,
    /// Kept for the next flush, with why.
    pub retry: Vec<(Txid, String)>,
    /// Refused by the server, with its reason.
    pub refused: Vec<(Txid, String)>,
}

impl Broadcaster {
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops, from now on, every hand-over with a transaction spending `funding` (the transactions
    /// LDK hands over together, a commitment and its fee-paying child, go or stay together), and what
    /// is queued already.
    pub fn hold_spends_of(&self, funding: OutPoint) {
        self.held.borrow_mut().insert(funding);
        let mut queue = self.queue.borrow_mut();
        let before = queue.len();
        queue.retain(|tx| !tx.input.iter().any(|input| input.previous_output == funding));
        self.held_back.set(self.held_back.get() + (before - queue.len()) as u32);
    }

    /// Lets spends of `funding` through again.
    pub fn release_spends_of(&self, funding: OutPoint) {
        self.held.borrow_mut().remove(&funding);
    }

    /// How many hand-overs (or queued transactions) were dropped for spending a held funding.
    pub fn held_back(&self) -> u32 {
        self.held_back.get()
    }

    pub fn pending(&self) -> usize {
        self.queue.borrow().len()
    }

    /// Posts every queued transaction, in the order given (a child after its parent).
    pub async fn flush<C: ChainSource>(&self, source: &C) -> FlushReport {
        self.flush_collecting(source).await.1
    }

    /// Like [`Self::flush`], and also returns the transactions the server took.
    pub async fn flush_collecting<C: ChainSource>(&self, source: &C) -> (Vec<Transaction>, FlushReport) {
        let queued = std::mem::take(&mut *self.queue.borrow_mut());
        let mut report = FlushReport::default();
        let (mut keep, mut taken) = (Vec::new(), Vec::new());
        for tx in queued {
            let txid = tx.compute_txid();
            match source.broadcast(&tx).await {
                Ok(()) => {
                    report.sent.push(txid);
                    taken.push(tx);
                }
                Err(error @ (ChainError::Unreachable(_) | ChainError::Http { status: 429 | 500..=599, .. })) => {
                    report.retry.push((txid, error.to_string()));
                    keep.push(tx);
                }
                Err(error) => report.refused.push((txid, error.to_string())),
            }
        }
        // Anything queued during the flush goes after what is kept, preserving order.
        let mut queue = self.queue.borrow_mut();
        keep.append(&mut queue);
        *queue = keep;
        (taken, report)
    }
}

impl BroadcasterInterface for Broadcaster {
    fn broadcast_transactions(&self, txs: &[&Transaction]) {
        let held = self.held.borrow();
        if txs.iter().any(|tx| tx.input.iter().any(|input| held.contains(&input.previous_output))) {
            self.held_back.set(self.held_back.get() + 1);
            return;
        }
        let mut queue = self.queue.borrow_mut();
        for tx in txs {
            let txid = tx.compute_txid();
            if !queue.iter().any(|queued| queued.compute_txid() == txid) {
                queue.push((*tx).clone());
            }
        }
    }
}
