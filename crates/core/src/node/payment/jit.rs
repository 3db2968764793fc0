//! Receiving through a just-in-time channel (LSPS2): when the wallet's channels have too little room
//! to receive an amount, the LSP of its settings opens a channel for the payment and keeps a fee
//! from it. The person sees that fee before the invoice exists ([`JitPayments::quote`]); the invoice
//! is made only on terms at most that dear ([`JitPayments::receive`], which asks the LSP again and
//! refuses a dearer price); and when it is paid, the wallet claims it only if the LSP kept at most
//! the agreed fee ([`fee_taken_is_agreed`], checked in the event handler).

use std::rc::Rc;
use std::time::Duration;

use bitcoin::hashes::{sha256, Hash as _};
use bitcoin::secp256k1::PublicKey;
use lightning::ln::channelmanager::MIN_FINAL_CLTV_EXPIRY_DELTA;
use lightning::routing::gossip::RoutingFees;
use lightning::routing::router::{RouteHint, RouteHintHop};
use lightning::sign::{NodeSigner, Recipient};
use lightning_invoice::{Bolt11Invoice, Currency, Description, InvoiceBuilder};
use lightning_liquidity::lsps2::msgs::LSPS2OpeningFeeParams;
use lightning_liquidity::lsps2::utils::compute_opening_fee;
use serde::{Deserialize, Serialize};

use super::{storage_writes, PaymentDirection, PaymentKind, PaymentRecord};
use crate::node::builder::OUR_TO_SELF_DELAY;
use crate::node::error::{InvoiceProblem, LspFault, NodeError};
use crate::node::lightning_node::LightningNode;
use crate::node::platform::Platform;

/// An offer on the LSP's menu is taken only if it stays valid at least this long: the channel is
/// bought right after the person agrees.
const MIN_OFFER_VALIDITY: Duration = Duration::from_secs(60);
/// LSPS2 asks the payee for two blocks more than usual at the last hop, for the LSP's open.
const JIT_MIN_FINAL_CLTV_EXPIRY_DELTA: u16 = MIN_FINAL_CLTV_EXPIRY_DELTA + 2;

/// What receiving `amount_msat` through a new channel from the LSP costs: the cheapest offer on its
/// menu for that amount, and the amounts that menu allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JitQuote {
    pub lsp: PublicKey,
    pub amount_msat: u64,
    /// What the LSP keeps of the payment for opening the channel.
    pub fee_msat: u64,
    /// The smallest and largest payment the LSP opens a channel for.
    pub min_payment_msat: u64,
    pub max_payment_msat: u64,
    /// When the LSP stops honouring this price, in seconds since the Unix epoch.
    pub valid_until_secs: u64,
}

/// How a payment of some amount would reach the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "plan", rename_all = "snake_case")]
pub enum ReceivePlan {
    /// The channels have room for it (`inbound_msat` in all).
    Direct { inbound_msat: u64 },
    /// It needs a new channel from the LSP, at this price.
    NewChannel(JitQuote),
}

/// The just-in-time channel handler (see [`LightningNode::jit`]). It
/// holds the node itself: buying a channel talks to the LSP, which needs its connection and the
/// liquidity manager's answers.
pub struct JitPayments<'a, P: Platform> {
    pub(crate) node: &'a Rc<LightningNode<P>>,
}

impl<P: Platform> LightningNode<P> {
    /// Returns the just-in-time channel handler: receive an amount the channels have no room for,
    /// through a new channel from the LSP.
    pub fn jit(self: &Rc<Self>) -> JitPayments<'_, P> {
        JitPayments { node: self }
    }
}

impl<P: Platform> JitPayments<'_, P> {
    /// Says how `amount_msat` would be received: directly if the channels have room for it, else
    /// through a new channel at the LSP's price now (asked of the LSP, which must be set).
    pub async fn plan(&self, amount_msat: u64) -> Result<ReceivePlan, NodeError> {
        let inbound_msat = self.inbound_msat();
        if amount_msat <= inbound_msat || self.node.config.lsp.is_none() {
            return Ok(ReceivePlan::Direct { inbound_msat });
        }
        Ok(ReceivePlan::NewChannel(self.quote(amount_msat).await?))
    }

    /// What the ready channels can receive in all (an invoice's payment may be split among them).
    pub fn inbound_msat(&self) -> u64 {
        self.node.channels().iter().filter(|c| c.is_channel_ready).map(|c| c.inbound_capacity_msat).sum()
    }

    /// The LSP's price now for receiving `amount_msat` through a new channel.
    pub async fn quote(&self, amount_msat: u64) -> Result<JitQuote, NodeError> {
        let (lsp, menu) = self.node.lsp_fee_menu().await?;
        Ok(choose_offer(lsp, &menu, amount_msat, self.node.platform.now())?.0)
    }

    /// Makes an invoice for `amount_msat` paid through a new channel from the LSP, and records it.
    /// The LSP is asked for its price again: if it is above `agreed_fee_msat` (what the person saw
    /// and accepted) nothing is bought and the new price is the error, to be shown and agreed anew.
    pub async fn receive(
        &self,
        amount_msat: u64,
        description: &str,
        expiry: Duration,
        agreed_fee_msat: u64,
    ) -> Result<(Bolt11Invoice, JitQuote), NodeError> {
        let parts = &self.node.parts;
        storage_writes(&parts.store)?;
        Description::new(description.to_owned()).map_err(|_| NodeError::InvalidInvoice(InvoiceProblem::Description))?;
        let (lsp, menu) = self.node.lsp_fee_menu().await?;
        let (quote, params) = choose_offer(lsp, &menu, amount_msat, self.node.platform.now())?;
        if quote.fee_msat > agreed_fee_msat {
            return Err(NodeError::Lsp(LspFault::FeeChanged { agreed_msat: agreed_fee_msat, asked_msat: quote.fee_msat }));
        }
        let route = self.node.lsp_buy(lsp, amount_msat, params).await?;
        let expiry_secs = u32::try_from(expiry.as_secs()).unwrap_or(u32::MAX);
        let cannot_make = || NodeError::InvalidInvoice(InvoiceProblem::CannotMake);
        let (hash, secret) = parts
            .channel_manager
            .create_inbound_payment(Some(amount_msat), expiry_secs, Some(JIT_MIN_FINAL_CLTV_EXPIRY_DELTA))
            .map_err(|()| cannot_make())?;
        // The last hop is the LSP's channel to be: the short channel id it intercepts, free of fees
        // (its fee is taken from the payment instead, as agreed).
        let hint = RouteHint(vec![RouteHintHop {
            src_node_id: lsp,
            short_channel_id: route.intercept_scid,
            fees: RoutingFees { base_msat: 0, proportional_millionths: 0 },
            cltv_expiry_delta: u16::try_from(route.cltv_expiry_delta)
                .map_err(|_| NodeError::Lsp(LspFault::BadAnswer { detail: "CLTV delta".to_owned() }))?,
            htlc_minimum_msat: None,
            htlc_maximum_msat: None,
        }]);
        let raw = InvoiceBuilder::new(Currency::from(self.node.config.network))
            .description(description.to_owned())
            .payment_hash(sha256::Hash::from_byte_array(hash.0))
            .payment_secret(secret)
            .duration_since_epoch(self.node.platform.now())
            .min_final_cltv_expiry_delta(u64::from(JIT_MIN_FINAL_CLTV_EXPIRY_DELTA))
            .expiry_time(expiry)
            .private_route(hint)
            .amount_milli_satoshis(amount_msat)
            .basic_mpp()
            .build_raw()
            .map_err(|_| cannot_make())?;
        let signature = parts.keys.sign_invoice(&raw, Recipient::Node).map_err(|()| cannot_make())?;
        let signed = raw.sign(|_| Ok::<_, ()>(signature)).map_err(|()| cannot_make())?;
        let invoice = Bolt11Invoice::from_signed(signed).map_err(|_| cannot_make())?;
        let kind = PaymentKind::Jit { hash, preimage: None, secret: Some(secret), opening_fee_msat: None, agreed_fee_msat: Some(quote.fee_msat) };
        let mut record =
            PaymentRecord::new(PaymentRecord::id_of_hash(hash), kind, PaymentDirection::Inbound, Some(amount_msat), self.node.platform.now());
        record.description = super::bolt11::invoice_description(&invoice);
        self.node.payments.record_inbound(&record).await?;
        Ok((invoice, quote))
    }
}

/// The cheapest offer on the LSP's `menu` for `amount_msat` that stays valid a while after `now`,
/// as a quote, with the terms to buy it on. Refuses, saying why: a menu with nothing valid, an
/// amount no offer takes (with the range the menu does take), a fee that would eat the payment.
pub fn choose_offer(
    lsp: PublicKey,
    menu: &[LSPS2OpeningFeeParams],
    amount_msat: u64,
    now: Duration,
) -> Result<(JitQuote, LSPS2OpeningFeeParams), LspFault> {
    let valid_until = |offer: &LSPS2OpeningFeeParams| u64::try_from(offer.valid_until.0.timestamp()).unwrap_or(0);
    let valid: Vec<&LSPS2OpeningFeeParams> = menu.iter().filter(|offer| valid_until(offer) >= (now + MIN_OFFER_VALIDITY).as_secs()).collect();
    if valid.is_empty() {
        return Err(LspFault::NoValidOffer);
    }
    // The wallet asks the LSP to wait OUR_TO_SELF_DELAY blocks after a force close of its own; an
    // offer that allows less would fail when the LSP opens the channel, the payment with it.
    let ours = u32::from(OUR_TO_SELF_DELAY);
    let valid: Vec<&LSPS2OpeningFeeParams> = valid.into_iter().filter(|offer| offer.max_client_to_self_delay >= ours).collect();
    if valid.is_empty() {
        let max_blocks = menu.iter().map(|o| o.max_client_to_self_delay).max().unwrap_or(0);
        return Err(LspFault::DelayTooShort { max_blocks, ours });
    }
    let cheapest = valid
        .iter()
        .filter(|offer| (offer.min_payment_size_msat..=offer.max_payment_size_msat).contains(&amount_msat))
        .filter_map(|offer| compute_opening_fee(amount_msat, offer.min_fee_msat, u64::from(offer.proportional)).map(|fee| (fee, *offer)))
        .min_by_key(|(fee, _)| *fee);
    let Some((fee_msat, offer)) = cheapest else {
        let min_msat = valid.iter().map(|o| o.min_payment_size_msat).min().unwrap_or(0);
        let max_msat = valid.iter().map(|o| o.max_payment_size_msat).max().unwrap_or(0);
        return Err(LspFault::AmountOutOfRange { min_msat, max_msat });
    };
    if fee_msat >= amount_msat {
        return Err(LspFault::FeeAboveAmount { fee_msat, amount_msat });
    }
    let quote = JitQuote {
        lsp,
        amount_msat,
        fee_msat,
        min_payment_msat: offer.min_payment_size_msat,
        max_payment_msat: offer.max_payment_size_msat,
        valid_until_secs: valid_until(offer),
    };
    Ok((quote, offer.clone()))
}

/// Whether a payment whose last hop kept `skimmed_msat` may be claimed: only one of ours through a
/// just-in-time channel, and only if it kept no more than the fee agreed for it. Any other payment
/// arrives whole.
pub fn fee_taken_is_agreed(record: Option<&PaymentRecord>, skimmed_msat: u64) -> bool {
    if skimmed_msat == 0 {
        return true;
    }
    match record.map(|r| &r.kind) {
        Some(PaymentKind::Jit { agreed_fee_msat: Some(agreed), .. }) => skimmed_msat <= *agreed,
        _ => false,
    }
}
