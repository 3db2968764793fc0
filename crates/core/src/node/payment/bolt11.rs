//! BOLT11 invoices: check one before paying, estimate its fee, pay it and wait for the outcome, and
//! make invoices to be paid. Holds only what it needs of the node: the channel manager, the router,
//! the history, the network and the clock.

use std::str::FromStr;
use std::time::Duration;

use bitcoin::hashes::Hash as _;
use bitcoin::Network;
use lightning::ln::channelmanager::{Bolt11InvoiceParameters, PaymentId, Retry};
use lightning::routing::router::{PaymentParameters, RouteParameters, RouteParametersConfig};
use lightning::types::payment::{PaymentHash, PaymentSecret};
use lightning_invoice::{Bolt11Invoice, Bolt11InvoiceDescription, Description};

use super::{
    route_fee_msat, storage_writes, within_spendable, PaymentDirection, PaymentKind, PaymentPaths, PaymentRecord, Payments, SendStart,
    PAYMENT_ATTEMPTS,
};
use crate::node::error::{InvoiceProblem, NodeError, PaymentFailure};
use crate::node::ldk_store::LdkStore;
use crate::node::platform::Platform;
use crate::node::types::{ChannelManager, Router};

/// How to pay an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendOptions {
    /// For an invoice without an amount; ignored when the invoice has one.
    pub amount_msat: Option<u64>,
    /// The most the routing fees may add.
    pub max_fee_msat: u64,
}

/// The BOLT11 handler (see [`crate::node::lightning_node::LightningNode::bolt11`]).
pub struct Bolt11Payments<'a, P: Platform> {
    pub(crate) manager: &'a ChannelManager<P::Store>,
    pub(crate) router: &'a Router,
    pub(crate) payments: &'a Payments<P::Store>,
    pub(crate) store: &'a LdkStore<P::Store>,
    pub(crate) network: Network,
    pub(crate) platform: &'a P,
}

impl<P: Platform> Bolt11Payments<'_, P> {
    /// Parses and checks a pasted invoice for this wallet (see [`check_invoice`]).
    pub fn check(&self, text: &str, amount_msat: Option<u64>) -> Result<Bolt11Invoice, NodeError> {
        check_invoice(text, self.network, self.platform.now(), amount_msat)
    }

    /// Returns the routing fee the node expects to pay for `amount_msat` to the invoice's payee, from
    /// a route found now; `None` when no route is known yet (the payment itself searches again).
    pub fn estimate_fee_msat(&self, invoice: &Bolt11Invoice, amount_msat: u64) -> Option<u64> {
        let params = RouteParameters::from_payment_params_and_value(PaymentParameters::from_bolt11_invoice(invoice), amount_msat);
        route_fee_msat(self.manager, self.router, &params)
    }

    /// Pays an invoice and waits for the outcome. Checks the invoice and the channels' room before
    /// anything is recorded or sent.
    pub async fn send(&self, text: &str, options: SendOptions) -> Result<PaymentRecord, NodeError> {
        storage_writes(self.store)?;
        let invoice = self.check(text, options.amount_msat)?;
        let amount = invoice.amount_milli_satoshis().or(options.amount_msat).ok_or(NodeError::AmountNeeded)?;
        within_spendable(self.manager, amount, PaymentPaths::Split)?;
        let hash = PaymentHash(invoice.payment_hash().to_byte_array());
        let id = PaymentRecord::id_of_hash(hash);
        let kind = PaymentKind::Bolt11 { hash, preimage: None, secret: Some(PaymentSecret(invoice.payment_secret().0)) };
        let mut record = PaymentRecord::new(id, kind, PaymentDirection::Outbound, Some(amount), self.platform.now());
        record.description = invoice_description(&invoice);
        record.payee = Some(invoice.get_payee_pub_key());
        let own = match self.payments.begin_send(record).await? {
            SendStart::New(own) => own,
            // Paid by an earlier call still under way: its outcome is this one's, and nothing is sent twice.
            SendStart::Joined(outcome) => return outcome.await.map_err(|_| NodeError::Stopped)?,
        };
        let route = RouteParametersConfig { max_total_routing_fee_msat: Some(options.max_fee_msat), ..RouteParametersConfig::default() };
        let given = if invoice.amount_milli_satoshis().is_some() { None } else { Some(amount) };
        let handed = self.manager.pay_for_bolt11_invoice(&invoice, id, given, route, Retry::Attempts(PAYMENT_ATTEMPTS)).map_err(PaymentFailure::from);
        self.payments.outcome_of_send(&id, own, handed, self.platform.now()).await
    }

    /// Makes an invoice and records it, before anyone can pay it. `amount_msat` `None` lets the payer
    /// choose.
    pub async fn receive(&self, amount_msat: Option<u64>, description: &str, expiry: Duration) -> Result<Bolt11Invoice, NodeError> {
        storage_writes(self.store)?;
        let description = Description::new(description.to_owned()).map_err(|_| NodeError::InvalidInvoice(InvoiceProblem::Description))?;
        let params = Bolt11InvoiceParameters {
            amount_msats: amount_msat,
            description: Bolt11InvoiceDescription::Direct(description),
            invoice_expiry_delta_secs: Some(u32::try_from(expiry.as_secs()).unwrap_or(u32::MAX)),
            ..Default::default()
        };
        let invoice = self.manager.create_bolt11_invoice(params).map_err(|_| NodeError::InvalidInvoice(InvoiceProblem::CannotMake))?;
        let hash = PaymentHash(invoice.payment_hash().to_byte_array());
        let kind = PaymentKind::Bolt11 { hash, preimage: None, secret: Some(PaymentSecret(invoice.payment_secret().0)) };
        let mut record = PaymentRecord::new(PaymentRecord::id_of_hash(hash), kind, PaymentDirection::Inbound, amount_msat, self.platform.now());
        record.description = invoice_description(&invoice);
        self.payments.record_inbound(&record).await?;
        Ok(invoice)
    }
}

/// The id this wallet pays an invoice under.
pub fn payment_id(invoice: &Bolt11Invoice) -> PaymentId {
    PaymentRecord::id_of_hash(PaymentHash(invoice.payment_hash().to_byte_array()))
}

/// Parses and checks a pasted invoice before anything is sent: its form (a `lightning:` prefix is
/// allowed), its network, its expiry at `now`, and that an amount is known.
pub fn check_invoice(text: &str, network: Network, now: Duration, amount_msat: Option<u64>) -> Result<Bolt11Invoice, NodeError> {
    let text = text.trim();
    let text = text.get(..10).filter(|p| p.eq_ignore_ascii_case("lightning:")).map_or(text, |_| &text[10..]);
    let invoice = Bolt11Invoice::from_str(text).map_err(|e| NodeError::InvalidInvoice(InvoiceProblem::Unreadable { detail: e.to_string() }))?;
    if invoice.network() != network {
        return Err(NodeError::WrongNetwork { invoice: invoice.network(), wallet: network });
    }
    if invoice.would_expire(now) {
        return Err(NodeError::InvoiceExpired);
    }
    match (invoice.amount_milli_satoshis(), amount_msat) {
        (None, None | Some(0)) => Err(NodeError::AmountNeeded),
        _ => Ok(invoice),
    }
}

/// The invoice's description, when it carries one (not only its hash).
pub fn invoice_description(invoice: &Bolt11Invoice) -> Option<String> {
    match invoice.description() {
        lightning_invoice::Bolt11InvoiceDescriptionRef::Direct(d) => Some(d.to_string()),
        lightning_invoice::Bolt11InvoiceDescriptionRef::Hash(_) => None,
    }
}
