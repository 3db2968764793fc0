//! Payments: the history ([`PaymentStore`], records by id and kind), the steps every kind shares
//! ([`Payments`]: record before sending, settle or fail as LDK reports, reconcile after a restart),
//! and one handler per kind, each handed out by the node: [`bolt11::Bolt11Payments`],
//! [`keysend::KeysendPayments`], [`jit::JitPayments`] (receiving through a new channel from an LSP),
//! [`payment_code::PaymentCodes`] (being paid while the wallet is closed) and
//! [`onchain::OnchainPayments`] (paying BOLT12 offers and LNURL find their room here). What every Lightning send checks first (storage, room in the
//! channels) and how a fee is estimated are here too.

pub mod bolt11;
pub mod jit;
pub mod keysend;
pub mod onchain;
pub mod payment_code;
pub mod record;
pub mod store;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::oneshot;
use lightning::events::PaymentPurpose;
use lightning::ln::channel_state::ChannelDetails;
use lightning::ln::channelmanager::PaymentId;
use lightning::routing::router::{InFlightHtlcs, RouteParameters, Router as _};
use lightning::types::payment::{PaymentHash, PaymentPreimage};

pub use self::record::{PaymentDirection, PaymentKind, PaymentRecord, PaymentStatus};
pub use self::store::PaymentStore;
use super::error::{NodeError, PaymentFailure};
use super::ldk_store::LdkStore;
use super::types::{ChannelManager, Router};
use crate::store::sealed::SealedStore;
use crate::store::KvStore;

/// Payment attempts over different routes before a payment counts as failed.
pub(crate) const PAYMENT_ATTEMPTS: u32 = 3;

/// What the sender of a payment waits for: the settled record, or why it failed.
pub type Outcome = Result<PaymentRecord, NodeError>;

/// The history and the senders waiting for LDK's verdict on their payments.
pub struct Payments<S> {
    store: PaymentStore<S>,
    /// Outgoing payments under way, by id, with everyone waiting for their outcome: the first sender
    /// and whoever asked to pay the same id meanwhile. An id is here from the first `begin_send`
    /// (before it awaits anything) until LDK's verdict, so a second send of it never reaches LDK.
    waiters: RefCell<HashMap<PaymentId, Vec<oneshot::Sender<Outcome>>>>,
}

/// A settled outgoing payment whose senders still wait: told only once the settlement is durable.
pub struct Settled {
    pub record: PaymentRecord,
    pub waiters: Vec<oneshot::Sender<Outcome>>,
}

/// What `begin_send` found.
pub enum SendStart {
    /// The payment is this caller's to send; the receiver resolves with its outcome.
    New(OwnSend),
    /// The same payment is already under way: wait for its outcome, send nothing.
    Joined(oneshot::Receiver<Outcome>),
}

/// A send this caller owns: its outcome, and the record it replaced (a failed earlier attempt), to
/// put back if LDK refuses the send as a duplicate.
pub struct OwnSend {
    pub outcome: oneshot::Receiver<Outcome>,
    pub replaced: Option<Box<PaymentRecord>>,
}

impl<S: KvStore> Payments<S> {
    pub async fn open(sealed: Rc<SealedStore<S>>) -> Result<Self, NodeError> {
        Ok(Self { store: PaymentStore::open(sealed).await?, waiters: RefCell::new(HashMap::new()) })
    }

    /// Every payment, newest first.
    pub async fn all(&self) -> Result<Vec<PaymentRecord>, NodeError> {
        self.store.all().await
    }

    /// Records an outgoing payment before it is sent, so that a reload in between finds it (and LDK's
    /// own record says how it ended). A payment of the same id already under way is joined instead;
    /// one that was paid, or is pending from before a restart, is refused.
    pub async fn begin_send(&self, record: PaymentRecord) -> Result<SendStart, NodeError> {
        let (sender, outcome) = oneshot::channel();
        // Claimed before the first await: a second caller in between joins this one.
        match self.waiters.borrow_mut().entry(record.id) {
            std::collections::hash_map::Entry::Occupied(mut under_way) => {
                under_way.get_mut().push(sender);
                return Ok(SendStart::Joined(outcome));
            }
            std::collections::hash_map::Entry::Vacant(free) => {
                free.insert(vec![sender]);
            }
        }
        match self.record_unless_paid(&record).await {
            Ok(replaced) => Ok(SendStart::New(OwnSend { outcome, replaced: replaced.map(Box::new) })),
            Err(refused) => {
                // Whoever joined meanwhile hears the same refusal.
                self.tell(&record.id, Err(refused.clone()));
                Err(refused)
            }
        }
    }

    /// Records `record` unless its id was paid or is being paid; returns the record it replaced.
    async fn record_unless_paid(&self, record: &PaymentRecord) -> Result<Option<PaymentRecord>, NodeError> {
        let previous = self.store.get(&record.id).await?;
        if let Some(previous) = &previous {
            if previous.direction == PaymentDirection::Outbound && previous.status != PaymentStatus::Failed {
                return Err(NodeError::AlreadyPaid(previous.status));
            }
        }
        self.store.upsert(record).await?;
        Ok(previous)
    }

    /// Marks failed a payment that LDK refused to send (nothing left the wallet), and tells whoever
    /// joined it.
    pub async fn fail_unsent(&self, id: &PaymentId, failure: PaymentFailure, now: Duration) -> Result<(), NodeError> {
        self.tell(id, Err(NodeError::PaymentFailed(failure)));
        self.store.update(id, |r| fail(r, now)).await?;
        Ok(())
    }

    /// Waits for the outcome of a send this caller owns, given what LDK said when handed it: taken
    /// (its events decide), refused as a duplicate (see [`Self::undo_duplicate`]), or refused before
    /// anything left the wallet (recorded failed).
    pub async fn outcome_of_send(&self, id: &PaymentId, own: OwnSend, handed: Result<(), PaymentFailure>, now: Duration) -> Outcome {
        match handed {
            Ok(()) => own.outcome.await.map_err(|_| NodeError::Stopped)?,
            // LDK still holds an earlier attempt of this id: the history gets back what it held.
            Err(PaymentFailure::LastAttemptUnsettled) => Err(self.undo_duplicate(id, own.replaced, now).await?),
            Err(failure) => {
                self.fail_unsent(id, failure, now).await?;
                Err(NodeError::PaymentFailed(failure))
            }
        }
    }

    /// Takes back a send that LDK refused as a duplicate: it still holds an earlier attempt of this
    /// id (one that failed moments ago stays in its memory for a few minutes). The history gets back
    /// what it held before this send, or, with nothing before, the attempt as failed: nothing was
    /// sent. Whoever joined hears the same.
    pub async fn undo_duplicate(&self, id: &PaymentId, replaced: Option<Box<PaymentRecord>>, now: Duration) -> Result<NodeError, NodeError> {
        let refused = NodeError::PaymentFailed(PaymentFailure::LastAttemptUnsettled);
        self.tell(id, Err(refused.clone()));
        match replaced {
            Some(previous) => self.store.upsert(&previous).await?,
            None => {
                self.store.update(id, |r| fail(r, now)).await?;
            }
        }
        Ok(refused)
    }

    /// Sends `outcome` to everyone waiting for `id`, and forgets them.
    fn tell(&self, id: &PaymentId, outcome: Outcome) {
        let waiters = self.waiters.borrow_mut().remove(id).unwrap_or_default();
        for waiter in waiters {
            let _ = waiter.send(outcome.clone());
        }
    }

    /// Records an invoice handed out, before anyone can pay it.
    pub async fn record_inbound(&self, record: &PaymentRecord) -> Result<(), NodeError> {
        self.store.upsert(record).await
    }

    /// Records an outgoing payment LDK reports sent. A record is always written before sending; one
    /// missing (a damaged store) is made anew as BOLT11.
    pub async fn on_sent(&self, sent: SentPayment, now: Duration) -> Result<Settled, NodeError> {
        let kind = PaymentKind::Bolt11 { hash: sent.hash, preimage: None, secret: None };
        let mut record =
            self.store.get(&sent.id).await?.unwrap_or_else(|| PaymentRecord::new(sent.id, kind, PaymentDirection::Outbound, sent.amount_msat, now));
        record.kind.settle(sent.hash, Some(sent.preimage));
        record.status = PaymentStatus::Succeeded;
        record.fee_paid_msat = sent.fee_paid_msat;
        record.amount_msat = sent.amount_msat.or(record.amount_msat);
        record.updated_at_secs = now.as_secs();
        self.store.upsert(&record).await?;
        let waiters = self.waiters.borrow_mut().remove(&sent.id).unwrap_or_default();
        Ok(Settled { record, waiters })
    }

    /// Returns the record of a payment, if the history holds it.
    pub async fn get(&self, id: &PaymentId) -> Result<Option<PaymentRecord>, NodeError> {
        self.store.get(id).await
    }

    /// Records an outgoing payment LDK gave up on, and tells its sender. A failure for an id the
    /// history does not hold changes nothing.
    pub async fn on_failed(&self, id: &PaymentId, failure: PaymentFailure, now: Duration) -> Result<Option<PaymentRecord>, NodeError> {
        let record = self.store.update(id, |r| fail(r, now)).await?;
        self.tell(id, Err(NodeError::PaymentFailed(failure)));
        Ok(record)
    }

    /// Records a payment the wallet claimed, of which the last hop kept `skimmed_msat` (an LSP's
    /// fee for a just-in-time channel). One the history does not hold (a keysend, or a damaged
    /// store) is made anew, of the kind its purpose says.
    pub async fn on_claimed(
        &self,
        hash: PaymentHash,
        amount_msat: u64,
        skimmed_msat: u64,
        purpose: &PaymentPurpose,
        received_while_away: bool,
        now: Duration,
    ) -> Result<PaymentRecord, NodeError> {
        let id = PaymentRecord::id_of_hash(hash);
        let preimage = purpose.preimage();
        let mut record =
            self.store.get(&id).await?.unwrap_or_else(|| PaymentRecord::new(id, kind_of_claim(hash, purpose), PaymentDirection::Inbound, None, now));
        record.kind.settle(hash, preimage);
        if let PaymentKind::Jit { opening_fee_msat, .. } = &mut record.kind {
            *opening_fee_msat = Some(skimmed_msat);
            record.fee_paid_msat = Some(skimmed_msat);
        }
        record.status = PaymentStatus::Succeeded;
        record.amount_msat = Some(amount_msat);
        record.received_while_away |= received_while_away;
        record.updated_at_secs = now.as_secs();
        self.store.upsert(&record).await?;
        Ok(record)
    }

    /// Marks failed the outgoing payments recorded but never handed to LDK (a reload came between
    /// the record and the send): nothing left the wallet, and they may be paid again. Those LDK
    /// knows (`known`) are left to its events.
    pub async fn reconcile(&self, known: &[PaymentId], now: Duration) -> Result<(), NodeError> {
        for record in self.store.all().await? {
            if record.direction == PaymentDirection::Outbound && record.status == PaymentStatus::Pending && !known.contains(&record.id) {
                self.store.update(&record.id, |r| fail(r, now)).await?;
            }
        }
        Ok(())
    }

    /// Tells every sender still waiting that the node stopped (LDK finishes their payments after a
    /// restart).
    pub fn stop_waiting(&self) {
        for (_, waiters) in self.waiters.borrow_mut().drain() {
            for waiter in waiters {
                let _ = waiter.send(Err(NodeError::Stopped));
            }
        }
    }
}

/// Refuses a new payment while the channel state cannot be stored: it could not be kept.
pub(crate) fn storage_writes<S: KvStore + 'static>(store: &LdkStore<S>) -> Result<(), NodeError> {
    store.write_failure().map_or(Ok(()), |failure| Err(failure.into()))
}

/// How a payment may travel through the wallet's channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentPaths {
    /// Split over several channels (an invoice's payment with a payment secret).
    Split,
    /// Whole through one channel (a keysend: without a payment secret it cannot be split).
    Whole,
}

/// Refuses an amount above what the usable channels can send now in one payment (see [`check_room`]).
pub(crate) fn within_spendable<S: KvStore + 'static>(manager: &ChannelManager<S>, amount_msat: u64, paths: PaymentPaths) -> Result<(), NodeError> {
    let limits: Vec<u64> = manager.list_usable_channels().iter().map(|c| c.next_outbound_htlc_limit_msat).collect();
    check_room(&limits, paths, amount_msat)
}

/// Refuses `amount_msat` above what channels with these `limits_msat` (each one's next outbound
/// HTLC limit) can send in one payment: all together when it may be split, the largest alone when
/// it travels whole. The refusal says what one payment could send (`available_msat`).
pub fn check_room(limits_msat: &[u64], paths: PaymentPaths, amount_msat: u64) -> Result<(), NodeError> {
    let available_msat = match paths {
        PaymentPaths::Split => limits_msat.iter().fold(0u64, |sum, limit| sum.saturating_add(*limit)),
        PaymentPaths::Whole => limits_msat.iter().copied().max().unwrap_or(0),
    };
    if amount_msat > available_msat {
        return Err(NodeError::InsufficientFunds { needed_msat: amount_msat, available_msat });
    }
    Ok(())
}

/// Returns the routing fee of a route the router finds now for `params`; `None` when it finds none
/// (the payment itself searches again).
pub(crate) fn route_fee_msat<S: KvStore + 'static>(manager: &ChannelManager<S>, router: &Router, params: &RouteParameters) -> Option<u64> {
    let first_hops = manager.list_usable_channels();
    let first_hops: Vec<&ChannelDetails> = first_hops.iter().collect();
    let payer = manager.get_our_node_id();
    let route = router.find_route(&payer, params, Some(&first_hops), InFlightHtlcs::new()).ok()?;
    Some(route.get_total_fees())
}

/// What LDK says of a payment it sent.
pub struct SentPayment {
    pub id: PaymentId,
    pub hash: PaymentHash,
    pub preimage: PaymentPreimage,
    pub amount_msat: Option<u64>,
    pub fee_paid_msat: Option<u64>,
}

fn fail(record: &mut PaymentRecord, now: Duration) {
    record.status = PaymentStatus::Failed;
    record.updated_at_secs = now.as_secs();
}

fn kind_of_claim(hash: PaymentHash, purpose: &PaymentPurpose) -> PaymentKind {
    let preimage = purpose.preimage();
    match purpose {
        PaymentPurpose::Bolt11InvoicePayment { payment_secret, .. } => PaymentKind::Bolt11 { hash, preimage, secret: Some(*payment_secret) },
        PaymentPurpose::Bolt12OfferPayment { payment_context, .. } => PaymentKind::Bolt12Offer {
            hash: Some(hash),
            preimage,
            offer_id: Some(payment_context.offer_id),
            payer_note: payment_context.invoice_request.payer_note_truncated.as_ref().map(|note| note.0.clone()),
        },
        PaymentPurpose::Bolt12RefundPayment { .. } => PaymentKind::Bolt12Refund { hash: Some(hash), preimage },
        PaymentPurpose::SpontaneousPayment(_) => PaymentKind::Spontaneous { hash, preimage },
    }
}
