//! Being paid while the wallet is closed: LDK's async payments, with the wallet as the often-offline
//! recipient. A server that is always online (on the devnet, hub) keeps a static invoice for each of
//! the wallet's payment codes (BOLT12 offers): a payer asking a code while the wallet is closed gets
//! that invoice from the server, holds its payment, and leaves a note for the wallet ("a payment is
//! held for you") that the server keeps. When the wallet opens, the server hands it the note, the
//! wallet asks the payer for the payment, and it arrives as any BOLT12 payment does: the events claim
//! it. (A payer that is itself often offline asks its next hop to hold the payment instead.)
//!
//! LDK builds the codes with the server over onion messages once it has paths to the server; how a
//! recipient gets those paths LDK leaves to the two (no Lightning message asks for them yet), so the
//! node asks the server's HTTP address, a setting, with its node id as the name it is kept under.
//! The codes LDK built live in the channel manager, so paths asked again at the next start do not
//! replace a code the person already handed out.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use bitcoin::hex::FromHex as _;
use lightning::blinded_path::message::BlindedMessagePath;
use lightning::blinded_path::message::{AsyncPaymentsContext, OffersContext};
use lightning::events::PaymentPurpose;
use lightning::offers::offer::Offer;
use lightning::onion_message::async_payments::{
    AsyncPaymentsMessage, AsyncPaymentsMessageHandler, HeldHtlcAvailable, OfferPaths, OfferPathsRequest, ReleaseHeldHtlc, ServeStaticInvoice,
    StaticInvoicePersisted,
};
use lightning::onion_message::messenger::{MessageSendInstructions, Responder, ResponseInstruction};
use lightning::onion_message::offers::{OffersMessage, OffersMessageHandler};
use lightning::util::logger::Logger as _;
use lightning::util::ser::Readable;
use lightning::{log_info, log_warn};
use serde::Deserialize;

use crate::node::error::{NodeError, PaymentCodeFault};
use crate::node::lightning_node::LightningNode;
use crate::node::logger::NodeLogger;
use crate::node::platform::Platform;
use crate::node::types::ChannelManager;
use crate::store::KvStore;

/// How long the server has to answer.
const SERVER_ANSWER_TIMEOUT: Duration = Duration::from_secs(15);
/// The largest answer read: paths to a server are a few hundred bytes.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// How long an LDK payer keeps its payment to a closed wallet's static invoice waiting for the
/// wallet to ask for it: a week (LDK 0.2.7's `ASYNC_PAYMENT_TIMEOUT_RELATIVE_EXPIRY`, private to it),
/// if the payer stays online; then it gives up and keeps its money. Meanwhile the server keeps the
/// payer's note for the wallet (LDK Node keeps at most 30 per wallet, in memory).
pub const PAYER_WAITS_UP_TO: Duration = Duration::from_secs(7 * 24 * 3600);

/// How soon after the wallet opens a payment to its payment code counts as one sent while it was
/// closed: hub releases a held payment seconds after the wallet connects, and one paid later found
/// the wallet open.
pub const AWAY_WINDOW: Duration = Duration::from_secs(120);

/// Whether a payment claimed `since_start` after the node started was paid to the payment code
/// while the wallet was closed. The wallet's only offers are its payment codes.
pub fn received_while_away(purpose: &PaymentPurpose, since_start: Duration) -> bool {
    matches!(purpose, PaymentPurpose::Bolt12OfferPayment { .. }) && since_start <= AWAY_WINDOW
}

/// The payment code handler, from [`LightningNode::payment_code`].
pub struct PaymentCodes<'a, P: Platform> {
    node: &'a Rc<LightningNode<P>>,
}

impl<P: Platform> LightningNode<P> {
    /// Returns the handler of the payment code that works while the wallet is closed.
    pub fn payment_code(self: &Rc<Self>) -> PaymentCodes<'_, P> {
        PaymentCodes { node: self }
    }
}

/// What the server answers: its paths, in LDK's encoding of `Vec<BlindedMessagePath>`, in hex.
#[derive(Deserialize)]
struct ServerAnswer {
    paths: String,
}

impl<P: Platform> PaymentCodes<'_, P> {
    /// The wallet's payment code: a BOLT12 offer payers can pay while the wallet is closed. Sets
    /// the code up with its server first if this start has not yet.
    pub async fn offer(&self) -> Result<Offer, NodeError> {
        if !self.node.payment_code_set_up.get() {
            self.set_up().await.map_err(NodeError::PaymentCode)?;
        }
        self.node.parts.channel_manager.get_async_receive_offer().map_err(|()| NodeError::PaymentCode(PaymentCodeFault::NotReady))
    }

    /// Asks the server for paths to it and hands them to LDK, which builds the codes with the
    /// server as soon as a peer is connected to carry the messages.
    pub(in crate::node) async fn set_up(&self) -> Result<(), PaymentCodeFault> {
        let url = self.node.config.payment_code_server.clone().ok_or(PaymentCodeFault::NotSet)?;
        let answer = self.ask_server(&url).await?;
        let paths = paths_from_answer(&answer)?;
        self.node
            .parts
            .channel_manager
            .set_paths_to_static_invoice_server(paths)
            .map_err(|()| PaymentCodeFault::BadAnswer { detail: "LDK refused the paths".to_owned() })?;
        self.node.payment_code_set_up.set(true);
        log_info!(self.node.parts.logger, "the payment code is being set up with its server");
        Ok(())
    }

    async fn ask_server(&self, url: &str) -> Result<Vec<u8>, PaymentCodeFault> {
        let body = serde_json::json!({ "recipient": self.node.node_id().to_string() }).to_string();
        let request = async {
            let unreachable = |e: reqwest::Error| PaymentCodeFault::ServerUnreachable { detail: e.to_string() };
            let response =
                reqwest::Client::new().post(url).header("content-type", "application/json").body(body).send().await.map_err(unreachable)?;
            let status = response.status();
            let bytes = response.bytes().await.map_err(unreachable)?;
            if !status.is_success() {
                let said = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
                return Err(PaymentCodeFault::Refused { detail: format!("{status}: {said}") });
            }
            Ok(bytes.to_vec())
        };
        let timeout = self.node.platform.sleep(SERVER_ANSWER_TIMEOUT);
        match futures::future::select(Box::pin(request), timeout).await {
            futures::future::Either::Left((answer, _)) => answer.inspect_err(|e| log_warn!(self.node.parts.logger, "payment code server: {e}")),
            futures::future::Either::Right(_) => {
                Err(PaymentCodeFault::ServerUnreachable { detail: format!("no answer within {} s", SERVER_ANSWER_TIMEOUT.as_secs()) })
            }
        }
    }
}

/// Reads the server's answer: `{"paths": "<hex>"}`, at least one path.
pub fn paths_from_answer(answer: &[u8]) -> Result<Vec<BlindedMessagePath>, PaymentCodeFault> {
    let bad = |detail: String| PaymentCodeFault::BadAnswer { detail };
    if answer.len() > MAX_ANSWER_BYTES {
        return Err(bad(format!("{} bytes", answer.len())));
    }
    let answer: ServerAnswer = serde_json::from_slice(answer).map_err(|e| bad(e.to_string()))?;
    let bytes = Vec::<u8>::from_hex(answer.paths.trim()).map_err(|e| bad(format!("paths: {e}")))?;
    let mut reader = &bytes[..];
    let paths: Vec<BlindedMessagePath> = Readable::read(&mut reader).map_err(|e| bad(format!("paths: {e:?}")))?;
    if !reader.is_empty() {
        return Err(bad(format!("{} bytes after the paths", reader.len())));
    }
    if paths.is_empty() {
        return Err(bad("no paths".to_owned()));
    }
    Ok(paths)
}

/// The channel manager's BOLT12 handling, but silent where it would answer an invoice request with
/// an error. The wallet's only offers are its payment codes, whose payers hold the static invoice:
/// opening, the wallet gets the requests its server kept for it before its channels are back (LDK
/// answers "missing paths"), and a payer that holds its payment gives up on that error before it
/// reads the wallet's "release it" that follows. Unanswered, the payer pays as the static invoice
/// says.
pub struct PaymentCodeOffers<S: KvStore + 'static> {
    manager: Rc<ChannelManager<S>>,
    logger: Rc<NodeLogger>,
}

impl<S: KvStore + 'static> PaymentCodeOffers<S> {
    pub fn new(manager: Rc<ChannelManager<S>>, logger: Rc<NodeLogger>) -> Self {
        Self { manager, logger }
    }
}

impl<S: KvStore + 'static> OffersMessageHandler for PaymentCodeOffers<S> {
    fn handle_message(
        &self,
        message: OffersMessage,
        context: Option<OffersContext>,
        responder: Option<Responder>,
    ) -> Option<(OffersMessage, ResponseInstruction)> {
        let request = matches!(message, OffersMessage::InvoiceRequest(_));
        let answer = self.manager.handle_message(message, context, responder);
        match answer {
            Some((OffersMessage::InvoiceError(error), _)) if request => {
                log_info!(self.logger, "an invoice request is left to its static invoice ({error})");
                None
            }
            answer => answer,
        }
    }

    fn release_pending_messages(&self) -> Vec<(OffersMessage, MessageSendInstructions)> {
        OffersMessageHandler::release_pending_messages(&*self.manager)
    }
}

/// The most notes of held payments kept while the channels come back (more wait for the next start).
const MAX_WAITING_RELEASES: usize = 64;

/// The channel manager's async payments handling, but a payment held for the wallet is asked for
/// only once a channel can carry it. Opening, the wallet reads the server's notes ("a payment is
/// held for you") before its channels are re-established; asked at once, the payer sends the
/// payment into a channel its last hop cannot use yet, the payment fails, and the payer gives up.
pub struct PaymentCodeReleases<S: KvStore + 'static> {
    manager: Rc<ChannelManager<S>>,
    waiting: RefCell<Vec<(HeldHtlcAvailable, AsyncPaymentsContext, Option<Responder>)>>,
}

impl<S: KvStore + 'static> PaymentCodeReleases<S> {
    pub fn new(manager: Rc<ChannelManager<S>>) -> Self {
        Self { manager, waiting: RefCell::default() }
    }

    fn channels_ready(&self) -> bool {
        !self.manager.list_usable_channels().is_empty()
    }
}

impl<S: KvStore + 'static> AsyncPaymentsMessageHandler for PaymentCodeReleases<S> {
    fn handle_offer_paths_request(
        &self,
        message: OfferPathsRequest,
        context: AsyncPaymentsContext,
        responder: Option<Responder>,
    ) -> Option<(OfferPaths, ResponseInstruction)> {
        self.manager.handle_offer_paths_request(message, context, responder)
    }

    fn handle_offer_paths(
        &self,
        message: OfferPaths,
        context: AsyncPaymentsContext,
        responder: Option<Responder>,
    ) -> Option<(ServeStaticInvoice, ResponseInstruction)> {
        self.manager.handle_offer_paths(message, context, responder)
    }

    fn handle_serve_static_invoice(&self, message: ServeStaticInvoice, context: AsyncPaymentsContext, responder: Option<Responder>) {
        self.manager.handle_serve_static_invoice(message, context, responder)
    }

    fn handle_static_invoice_persisted(&self, message: StaticInvoicePersisted, context: AsyncPaymentsContext) {
        self.manager.handle_static_invoice_persisted(message, context)
    }

    fn handle_held_htlc_available(
        &self,
        message: HeldHtlcAvailable,
        context: AsyncPaymentsContext,
        responder: Option<Responder>,
    ) -> Option<(ReleaseHeldHtlc, ResponseInstruction)> {
        if self.channels_ready() {
            return self.manager.handle_held_htlc_available(message, context, responder);
        }
        let mut waiting = self.waiting.borrow_mut();
        if waiting.len() < MAX_WAITING_RELEASES {
            waiting.push((message, context, responder));
        }
        None
    }

    fn handle_release_held_htlc(&self, message: ReleaseHeldHtlc, context: AsyncPaymentsContext) {
        self.manager.handle_release_held_htlc(message, context)
    }

    fn release_pending_messages(&self) -> Vec<(AsyncPaymentsMessage, MessageSendInstructions)> {
        let mut messages = AsyncPaymentsMessageHandler::release_pending_messages(&*self.manager);
        if !self.waiting.borrow().is_empty() && self.channels_ready() {
            for (message, context, responder) in self.waiting.take() {
                if let Some((release, instruction)) = self.manager.handle_held_htlc_available(message, context, responder) {
                    messages.push((AsyncPaymentsMessage::ReleaseHeldHtlc(release), instruction.into_instructions()));
                }
            }
        }
        messages
    }
}
