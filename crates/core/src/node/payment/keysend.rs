//! Keysend: paying a node without an invoice, with custom records (TLVs) for the payee. The wallet
//! picks the preimage from the node's entropy, records the payment under its hash, and sends it
//! once; LDK's events settle or fail it, as for an invoice. Holds only what it needs of the node:
//! the channel manager, the router, the keys (for entropy), the history, the log and the clock.

use bitcoin::secp256k1::PublicKey;
use lightning::ln::channelmanager::{RecipientOnionFields, Retry};
use lightning::routing::router::{PaymentParameters, RouteParameters};
use lightning::sign::{EntropySource as _, KeysManager};
use lightning::types::payment::{PaymentHash, PaymentPreimage};
use lightning::util::logger::Logger as _;

use super::{
    route_fee_msat, storage_writes, within_spendable, PaymentDirection, PaymentKind, PaymentPaths, PaymentRecord, PaymentStatus, Payments, SendStart,
    PAYMENT_ATTEMPTS,
};
use crate::node::error::{CustomRecordProblem, NodeError, PaymentFailure};
use crate::node::ldk_store::LdkStore;
use crate::node::logger::NodeLogger;
use crate::node::platform::Platform;
use crate::node::types::{ChannelManager, Router};

/// The final hop's CLTV delta a keysend asks for (the payee named none), as LDK Node does.
const FINAL_CLTV_EXPIRY_DELTA: u32 = 144;

/// The first custom record type: those below are the protocol's own (BOLT 4).
pub const FIRST_CUSTOM_RECORD_TYPE: u64 = 1 << 16;
/// The record type that carries a keysend's preimage (bLIP 3): the wallet's to set.
pub const KEYSEND_RECORD_TYPE: u64 = 5_482_373_484;
/// The record type of async payments' invoice requests, which LDK also refuses.
pub const ASYNC_PAYMENTS_RECORD_TYPE: u64 = 77_777;
/// The most custom records one payment carries.
pub const MAX_CUSTOM_RECORDS: usize = 16;
/// The most bytes the records' values take together. They travel in the payment's onion, 1,300
/// bytes for every hop's instructions together, and each record's type and length add up to 12
/// bytes more (about 160 for 16 records of large types). LDK bounds a route's length by the room
/// the records leave (a payment with no room for a route fails as `RouteTooLong`): the more the
/// records take, the fewer hops a route may have.
pub const MAX_CUSTOM_RECORDS_BYTES: usize = 800;

/// A payment without an invoice: to which node, how much, and what records go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keysend {
    pub destination: PublicKey,
    pub amount_msat: u64,
    /// Custom records for the payee, `(type, value)`, in any order (see [`check_custom_records`]).
    pub custom_records: Vec<(u64, Vec<u8>)>,
    /// `None`: the node picks the preimage from its entropy. A caller that must know the payment's
    /// hash before it is sent picks it (see [`KeysendPayments::fresh_preimage`]); one used before is
    /// refused as paid or being paid.
    pub preimage: Option<PaymentPreimage>,
}

/// The keysend handler (see [`crate::node::lightning_node::LightningNode::keysend`]).
pub struct KeysendPayments<'a, P: Platform> {
    pub(crate) manager: &'a ChannelManager<P::Store>,
    pub(crate) router: &'a Router,
    pub(crate) keys: &'a KeysManager,
    pub(crate) payments: &'a Payments<P::Store>,
    pub(crate) store: &'a LdkStore<P::Store>,
    pub(crate) logger: &'a NodeLogger,
    pub(crate) platform: &'a P,
}

impl<P: Platform> KeysendPayments<'_, P> {
    /// Checks a keysend for this wallet (see [`check_keysend`]); returns its records as LDK takes them.
    pub fn check(&self, keysend: &Keysend) -> Result<Vec<(u64, Vec<u8>)>, NodeError> {
        check_keysend(keysend, self.manager.get_our_node_id())
    }

    /// Returns the routing fee the node expects to pay for `amount_msat` to `destination`, from a
    /// route found now within `max_fee_msat` (the cap the payment will have; LDK's default without);
    /// `None` when no such route is known yet (the payment itself searches again).
    pub fn estimate_fee_msat(&self, destination: PublicKey, amount_msat: u64, max_fee_msat: Option<u64>) -> Option<u64> {
        route_fee_msat(self.manager, self.router, &route_params(destination, amount_msat, max_fee_msat))
    }

    /// Returns a preimage from the node's entropy, for a caller that remembers a keysend's hash
    /// before sending it ([`Keysend::preimage`]).
    pub fn fresh_preimage(&self) -> PaymentPreimage {
        PaymentPreimage(self.keys.get_secure_random_bytes())
    }

    /// Pays `keysend` and waits for the outcome: the record, settled with its preimage, or why it
    /// failed. Everything is checked before anything is recorded or sent; each call is a payment of
    /// its own (a fresh preimage, so a fresh id). The amount must fit one channel: a keysend
    /// travels whole.
    pub async fn send(&self, keysend: Keysend, max_fee_msat: u64) -> Result<PaymentRecord, NodeError> {
        storage_writes(self.store)?;
        let records = self.check(&keysend)?;
        within_spendable(self.manager, keysend.amount_msat, PaymentPaths::Whole)?;
        // The checks above are LDK's own: a refusal here would be a change in LDK.
        let onion =
            RecipientOnionFields::spontaneous_empty().with_custom_tlvs(records).map_err(|()| NodeError::PaymentFailed(PaymentFailure::Unexpected))?;
        let preimage = keysend.preimage.unwrap_or_else(|| self.fresh_preimage());
        let hash = PaymentHash::from(preimage);
        let id = PaymentRecord::id_of_hash(hash);
        // The preimage is recorded once LDK reports the payment sent: until then it proves nothing.
        let kind = PaymentKind::Spontaneous { hash, preimage: None };
        let mut record = PaymentRecord::new(id, kind, PaymentDirection::Outbound, Some(keysend.amount_msat), self.platform.now());
        record.payee = Some(keysend.destination);
        let own = match self.payments.begin_send(record).await? {
            SendStart::New(own) => own,
            // Not for a fresh preimage: a caller's preimage already under way. That payment's outcome
            // is not this call's to report (it may be another amount, to another node).
            SendStart::Joined(_) => return Err(NodeError::AlreadyPaid(PaymentStatus::Pending)),
        };
        let params = route_params(keysend.destination, keysend.amount_msat, Some(max_fee_msat));
        let handed = match self.manager.send_spontaneous_payment(Some(preimage), onion, id, params, Retry::Attempts(PAYMENT_ATTEMPTS)) {
            Ok(sent) if sent == hash => Ok(()),
            // LDK took the payment under our id, so its events still decide the record (settled
            // under the hash they report); only the log would tell that LDK changed.
            Ok(sent) => {
                lightning::log_error!(self.logger, "keysend {hash} was sent by LDK under hash {sent}");
                Ok(())
            }
            Err(failure) => Err(PaymentFailure::from(failure)),
        };
        self.payments.outcome_of_send(&id, own, handed, self.platform.now()).await
    }
}

/// Returns the route a keysend asks for: single-path to `destination` (without a payment secret it
/// cannot be split), with at most `max_fee_msat` of fees (LDK's default without).
pub fn route_params(destination: PublicKey, amount_msat: u64, max_fee_msat: Option<u64>) -> RouteParameters {
    let payee = PaymentParameters::for_keysend(destination, FINAL_CLTV_EXPIRY_DELTA, false);
    let mut params = RouteParameters::from_payment_params_and_value(payee, amount_msat);
    if let Some(max) = max_fee_msat {
        params.max_total_routing_fee_msat = Some(max);
    }
    params
}

/// Checks a keysend before anything is sent: an amount, a destination other than `own` (this
/// wallet's node), and records LDK will send (see [`check_custom_records`]). Returns the records
/// sorted by type.
pub fn check_keysend(keysend: &Keysend, own: PublicKey) -> Result<Vec<(u64, Vec<u8>)>, NodeError> {
    if keysend.amount_msat == 0 {
        return Err(NodeError::ZeroAmount);
    }
    if keysend.destination == own {
        return Err(NodeError::PayingSelf);
    }
    check_custom_records(&keysend.custom_records).map_err(NodeError::InvalidCustomRecord)
}

/// Checks custom records as LDK's `RecipientOnionFields::with_custom_tlvs` will, so that each
/// refusal says what is wrong: types from 2^16 up, none of the two the protocol took (keysend's
/// preimage, async payments' invoice requests), each once; and at most [`MAX_CUSTOM_RECORDS`]
/// records of at most [`MAX_CUSTOM_RECORDS_BYTES`] together. Returns them sorted by type.
pub fn check_custom_records(records: &[(u64, Vec<u8>)]) -> Result<Vec<(u64, Vec<u8>)>, CustomRecordProblem> {
    if records.len() > MAX_CUSTOM_RECORDS {
        return Err(CustomRecordProblem::TooMany { count: records.len(), max: MAX_CUSTOM_RECORDS });
    }
    let bytes: usize = records.iter().map(|(_, value)| value.len()).sum();
    if bytes > MAX_CUSTOM_RECORDS_BYTES {
        return Err(CustomRecordProblem::TooLarge { bytes, max: MAX_CUSTOM_RECORDS_BYTES });
    }
    let mut sorted = records.to_vec();
    sorted.sort_by_key(|(record_type, _)| *record_type);
    for (n, (record_type, _)) in sorted.iter().enumerate() {
        match *record_type {
            t if t < FIRST_CUSTOM_RECORD_TYPE => return Err(CustomRecordProblem::Reserved { record_type: t }),
            KEYSEND_RECORD_TYPE => return Err(CustomRecordProblem::KeysendPreimage),
            ASYNC_PAYMENTS_RECORD_TYPE => return Err(CustomRecordProblem::AsyncPayments),
            t if n > 0 && sorted[n - 1].0 == t => return Err(CustomRecordProblem::Duplicate { record_type: t }),
            _ => {}
        }
    }
    Ok(sorted)
}
