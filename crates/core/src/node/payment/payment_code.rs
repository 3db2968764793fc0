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

use std::rc::Rc;
use std::time::Duration;

use bitcoin::hex::FromHex as _;
use lightning::blinded_path::message::BlindedMessagePath;
use lightning::events::PaymentPurpose;
use lightning::offers::offer::Offer;
use lightning::util::logger::Logger as _;
use lightning::util::ser::Readable;
use lightning::{log_info, log_warn};
use serde::Deserialize;

use crate::node::error::{NodeError, PaymentCodeFault};
use crate::node::lightning_node::LightningNode;
use crate::node::platform::Platform;

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
