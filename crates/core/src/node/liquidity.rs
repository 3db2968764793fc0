//! The node as a client of a Lightning Service Provider (LSP) that sells just-in-time channels
//! (LSPS2, bLIP-52), through `lightning-liquidity` built without `std`: asking the LSP for its fee
//! menu and buying a channel are requests over Lightning's custom messages, answered by events that
//! [`LightningNode::run_liquidity_events`] hands to whoever waits for them. What is bought with them
//! (an invoice through the LSP, the fee check when it is paid) is the JIT payment handler's
//! ([`super::payment::jit`]).

use std::rc::Rc;
use std::time::Duration;

use bitcoin::secp256k1::PublicKey;
use futures::channel::oneshot;
use lightning::util::logger::Logger as _;
use lightning::{log_info, log_warn};
use lightning_liquidity::events::LiquidityEvent;
use lightning_liquidity::lsps0::ser::LSPSResponseError;
use lightning_liquidity::lsps2::event::LSPS2ClientEvent;
use lightning_liquidity::lsps2::msgs::LSPS2OpeningFeeParams;

use super::error::{LspFault, NodeError};
use super::lightning_node::LightningNode;
use super::lsp_requests::{answer, JitRoute};
use super::net::PeerUri;
use super::platform::Platform;

/// How long the LSP has to answer a request.
const LSP_ANSWER_TIMEOUT: Duration = Duration::from_secs(15);

impl<P: Platform> LightningNode<P> {
    /// The LSP the wallet buys channels from, connected (dialled now if it is not).
    pub(in crate::node) async fn connected_lsp(self: &Rc<Self>) -> Result<PeerUri, NodeError> {
        let lsp = self.config.lsp.clone().ok_or(NodeError::Lsp(LspFault::NotSet))?;
        if !self.is_connected(&lsp.node_id) {
            self.connect_unremembered(&lsp).await.map_err(|e| match e {
                NodeError::PeerUnreachable { failure, .. } => NodeError::Lsp(LspFault::Unreachable { failure }),
                other => other,
            })?;
        }
        Ok(lsp)
    }

    /// Asks the LSP for its current menu of channel-opening fees.
    pub(in crate::node) async fn lsp_fee_menu(self: &Rc<Self>) -> Result<(PublicKey, Vec<LSPS2OpeningFeeParams>), NodeError> {
        let lsp = self.connected_lsp().await?.node_id;
        let client = self.parts.liquidity.lsps2_client_handler().ok_or(NodeError::Lsp(LspFault::NotSet))?;
        let (sender, answer) = oneshot::channel();
        // Registered before the request can be answered: the answer comes through the event loop.
        let id = client.request_opening_params(lsp, None);
        self.lsp_requests.menus.borrow_mut().insert(id.clone(), sender);
        let menu = self.lsp_answer(answer).await;
        self.lsp_requests.menus.borrow_mut().remove(&id);
        Ok((lsp, menu?))
    }

    /// Buys a channel on the terms of `params` for a payment of `amount_msat`: the LSP answers where
    /// to route it.
    pub(in crate::node) async fn lsp_buy(
        self: &Rc<Self>,
        lsp: PublicKey,
        amount_msat: u64,
        params: LSPS2OpeningFeeParams,
    ) -> Result<JitRoute, NodeError> {
        let client = self.parts.liquidity.lsps2_client_handler().ok_or(NodeError::Lsp(LspFault::NotSet))?;
        let (sender, answer) = oneshot::channel();
        let id = client
            .select_opening_params(lsp, Some(amount_msat), params)
            .map_err(|e| NodeError::Lsp(LspFault::BadAnswer { detail: format!("{e:?}") }))?;
        self.lsp_requests.buys.borrow_mut().insert(id.clone(), sender);
        let route = self.lsp_answer(answer).await;
        self.lsp_requests.buys.borrow_mut().remove(&id);
        route
    }

    /// Waits for an answer from the event loop, at most [`LSP_ANSWER_TIMEOUT`].
    async fn lsp_answer<T>(&self, answer: oneshot::Receiver<Result<T, LspFault>>) -> Result<T, NodeError> {
        let timeout = self.platform.sleep(LSP_ANSWER_TIMEOUT);
        match futures::future::select(answer, timeout).await {
            futures::future::Either::Left((Ok(answer), _)) => answer.map_err(NodeError::Lsp),
            futures::future::Either::Left((Err(_), _)) => Err(NodeError::Stopped),
            futures::future::Either::Right(_) => Err(NodeError::Lsp(LspFault::NoAnswer { secs: LSP_ANSWER_TIMEOUT.as_secs() })),
        }
    }

    /// Hands the liquidity manager's events to the requests that wait for them, until the node stops.
    pub(in crate::node) async fn run_liquidity_events(self: Rc<Self>) {
        while !self.stopping.get() {
            let next = self.parts.liquidity.next_event_async();
            let event = match futures::future::select(Box::pin(next), self.stop_signal.clone()).await {
                futures::future::Either::Left((event, _)) => event,
                futures::future::Either::Right(_) => break,
            };
            self.on_liquidity_event(event);
        }
    }

    fn on_liquidity_event(&self, event: LiquidityEvent) {
        let from_lsp = |peer: &PublicKey| self.config.lsp.as_ref().is_some_and(|lsp| lsp.node_id == *peer);
        match event {
            LiquidityEvent::LSPS2Client(LSPS2ClientEvent::OpeningParametersReady { request_id, counterparty_node_id, opening_fee_params_menu })
                if from_lsp(&counterparty_node_id) =>
            {
                log_info!(self.parts.logger, "the LSP offers {} ways to open a channel", opening_fee_params_menu.len());
                answer(&self.lsp_requests.menus, &request_id, Ok(opening_fee_params_menu));
            }
            LiquidityEvent::LSPS2Client(LSPS2ClientEvent::InvoiceParametersReady {
                request_id,
                counterparty_node_id,
                intercept_scid,
                cltv_expiry_delta,
                ..
            }) if from_lsp(&counterparty_node_id) => {
                answer(&self.lsp_requests.buys, &request_id, Ok(JitRoute { intercept_scid, cltv_expiry_delta }));
            }
            LiquidityEvent::LSPS2Client(LSPS2ClientEvent::GetInfoFailed { request_id, error, .. }) => {
                answer(&self.lsp_requests.menus, &request_id, Err(refused(error)));
            }
            LiquidityEvent::LSPS2Client(LSPS2ClientEvent::BuyRequestFailed { request_id, error, .. }) => {
                answer(&self.lsp_requests.buys, &request_id, Err(refused(error)));
            }
            other => log_warn!(self.parts.logger, "a liquidity event this wallet does not expect: {other:?}"),
        }
    }
}

fn refused(error: LSPSResponseError) -> LspFault {
    LspFault::Refused { code: error.code, message: error.message }
}
