//! The payment code's onion message handlers: the channel manager's BOLT12 and async payments
//! handling, changed where a wallet that was closed must wait for its channels before it answers
//! (see [`super::payment::payment_code`] for the payment code itself). Generic over the manager, so
//! that the node's types can name them without this module naming the node's types.

use std::cell::RefCell;
use std::ops::Deref;
use std::rc::Rc;

use lightning::blinded_path::message::{AsyncPaymentsContext, OffersContext};
use lightning::ln::channelmanager::AChannelManager;
use lightning::log_info;
use lightning::onion_message::async_payments::{
    AsyncPaymentsMessage, AsyncPaymentsMessageHandler, HeldHtlcAvailable, OfferPaths, OfferPathsRequest, ReleaseHeldHtlc, ServeStaticInvoice,
    StaticInvoicePersisted,
};
use lightning::onion_message::messenger::{MessageSendInstructions, Responder, ResponseInstruction};
use lightning::onion_message::offers::{OffersMessage, OffersMessageHandler};
use lightning::util::logger::Logger as _;

use super::logger::NodeLogger;

/// The channel manager's BOLT12 handling, but silent where it would answer an invoice request with
/// an error. The wallet's only offers are its payment codes, whose payers hold the static invoice:
/// opening, the wallet gets the requests its server kept for it before its channels are back (LDK
/// answers "missing paths"), and a payer that holds its payment gives up on that error before it
/// reads the wallet's "release it" that follows. Unanswered, the payer pays as the static invoice
/// says.
pub struct PaymentCodeOffers<CM: Deref<Target: AChannelManager>> {
    manager: CM,
    logger: Rc<NodeLogger>,
}

impl<CM: Deref<Target: AChannelManager>> PaymentCodeOffers<CM> {
    pub fn new(manager: CM, logger: Rc<NodeLogger>) -> Self {
        Self { manager, logger }
    }
}

impl<CM: Deref<Target: AChannelManager>> OffersMessageHandler for PaymentCodeOffers<CM> {
    fn handle_message(
        &self,
        message: OffersMessage,
        context: Option<OffersContext>,
        responder: Option<Responder>,
    ) -> Option<(OffersMessage, ResponseInstruction)> {
        let request = matches!(message, OffersMessage::InvoiceRequest(_));
        let answer = self.manager.get_cm().handle_message(message, context, responder);
        match answer {
            Some((OffersMessage::InvoiceError(error), _)) if request => {
                log_info!(self.logger, "an invoice request is left to its static invoice ({error})");
                None
            }
            answer => answer,
        }
    }

    fn release_pending_messages(&self) -> Vec<(OffersMessage, MessageSendInstructions)> {
        OffersMessageHandler::release_pending_messages(self.manager.get_cm())
    }
}

/// The most notes of held payments kept while the channels come back; more are dropped (their
/// payers wait on, up to a week), as are these if the wallet closes before its channels are back.
const MAX_WAITING_RELEASES: usize = 64;

/// The channel manager's async payments handling, but a payment held for the wallet is asked for
/// only once a channel can carry it. Opening, the wallet reads the server's notes ("a payment is
/// held for you") before its channels are re-established; asked at once, the payer sends the
/// payment into a channel its last hop cannot use yet, the payment fails, and the payer gives up.
pub struct PaymentCodeReleases<CM: Deref<Target: AChannelManager>> {
    manager: CM,
    waiting: RefCell<Vec<(HeldHtlcAvailable, AsyncPaymentsContext, Option<Responder>)>>,
}

impl<CM: Deref<Target: AChannelManager>> PaymentCodeReleases<CM> {
    pub fn new(manager: CM) -> Self {
        Self { manager, waiting: RefCell::default() }
    }

    fn channels_ready(&self) -> bool {
        !self.manager.get_cm().list_usable_channels().is_empty()
    }
}

impl<CM: Deref<Target: AChannelManager>> AsyncPaymentsMessageHandler for PaymentCodeReleases<CM> {
    fn handle_offer_paths_request(
        &self,
        message: OfferPathsRequest,
        context: AsyncPaymentsContext,
        responder: Option<Responder>,
    ) -> Option<(OfferPaths, ResponseInstruction)> {
        self.manager.get_cm().handle_offer_paths_request(message, context, responder)
    }

    fn handle_offer_paths(
        &self,
        message: OfferPaths,
        context: AsyncPaymentsContext,
        responder: Option<Responder>,
    ) -> Option<(ServeStaticInvoice, ResponseInstruction)> {
        self.manager.get_cm().handle_offer_paths(message, context, responder)
    }

    fn handle_serve_static_invoice(&self, message: ServeStaticInvoice, context: AsyncPaymentsContext, responder: Option<Responder>) {
        self.manager.get_cm().handle_serve_static_invoice(message, context, responder)
    }

    fn handle_static_invoice_persisted(&self, message: StaticInvoicePersisted, context: AsyncPaymentsContext) {
        self.manager.get_cm().handle_static_invoice_persisted(message, context)
    }

    fn handle_held_htlc_available(
        &self,
        message: HeldHtlcAvailable,
        context: AsyncPaymentsContext,
        responder: Option<Responder>,
    ) -> Option<(ReleaseHeldHtlc, ResponseInstruction)> {
        if self.channels_ready() {
            return self.manager.get_cm().handle_held_htlc_available(message, context, responder);
        }
        let mut waiting = self.waiting.borrow_mut();
        if waiting.len() < MAX_WAITING_RELEASES {
            waiting.push((message, context, responder));
        }
        None
    }

    fn handle_release_held_htlc(&self, message: ReleaseHeldHtlc, context: AsyncPaymentsContext) {
        self.manager.get_cm().handle_release_held_htlc(message, context)
    }

    fn release_pending_messages(&self) -> Vec<(AsyncPaymentsMessage, MessageSendInstructions)> {
        let mut messages = AsyncPaymentsMessageHandler::release_pending_messages(self.manager.get_cm());
        if !self.waiting.borrow().is_empty() && self.channels_ready() {
            for (message, context, responder) in self.waiting.take() {
                if let Some((release, instruction)) = self.manager.get_cm().handle_held_htlc_available(message, context, responder) {
                    messages.push((AsyncPaymentsMessage::ReleaseHeldHtlc(release), instruction.into_instructions()));
                }
            }
        }
        messages
    }
}
