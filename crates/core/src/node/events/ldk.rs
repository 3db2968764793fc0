//! LDK's events, one line each in [`LightningNode::handle_event`], each handled by an `on_*` method;
//! payments' are recorded by the history's shared steps ([`crate::node::payment::Payments`]).
//! A handler that could not store what it must returns `ReplayEvent`: LDK hands the event over
//! again instead of losing it.

use std::rc::Rc;
use std::time::Duration;

use bitcoin::secp256k1::PublicKey;
use bitcoin::{Amount, ScriptBuf};
use futures::channel::oneshot;
use lightning::events::bump_transaction::BumpTransactionEvent;
use lightning::events::{ClosureReason, Event, FundingInfo, PaymentFailureReason, PaymentPurpose, ReplayEvent};
use lightning::ln::channelmanager::PaymentId;
use lightning::ln::msgs::SocketAddress;
use lightning::ln::types::ChannelId;
use lightning::sign::SpendableOutputDescriptor;
use lightning::types::payment::{PaymentHash, PaymentPreimage};
use lightning::util::config::{ChannelConfigOverrides, ChannelConfigUpdate, ChannelHandshakeConfigUpdate};
use lightning::util::logger::Logger as _;
use lightning::util::persist::{
    CHANNEL_MANAGER_PERSISTENCE_KEY, CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE, CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
};
use lightning::{log_error, log_info, log_warn};

use super::{ChannelCloseReason, InboundDecision, NodeEvent};
use crate::node::backups::BackupReminder;
use crate::node::error::{NodeError, PaymentFailure, StorageFault};
use crate::node::lightning_node::LightningNode;
use crate::node::net::PeerUri;
use crate::node::payment::jit::fee_taken_is_agreed;
use crate::node::payment::payment_code::received_while_away;
use crate::node::payment::record::hex;
use crate::node::payment::{Outcome, PaymentKind, PaymentRecord, SentPayment};
use crate::node::platform::Platform;

/// How long a settled payment's report waits for the channel manager's next write.
const MANAGER_WRITE_WAIT: Duration = Duration::from_secs(60);
/// On-chain coins kept per anchor channel to bump its force close: LDK Node's default.
const ANCHOR_RESERVE: Amount = Amount::from_sat(25_000);

impl<P: Platform> LightningNode<P> {
    pub(in crate::node) async fn handle_event(self: &Rc<Self>, event: Event) -> Result<(), ReplayEvent> {
        match event {
            Event::FundingGenerationReady { temporary_channel_id, counterparty_node_id, channel_value_satoshis, output_script, user_channel_id } => {
                let value = Amount::from_sat(channel_value_satoshis);
                self.on_funding_generation_ready(temporary_channel_id, counterparty_node_id, user_channel_id, value, output_script).await
            }
            Event::OpenChannelRequest { temporary_channel_id, counterparty_node_id, funding_satoshis, .. } => {
                self.on_open_channel_request(&temporary_channel_id, &counterparty_node_id, funding_satoshis).await
            }
            Event::ChannelPending { channel_id, .. } => self.on_channel_state(NodeEvent::ChannelPending { channel_id: channel_id.to_string() }),
            Event::ChannelReady { channel_id, .. } => {
                self.remind_to_back_up(BackupReminder::ChannelOpened).await.map_err(|_| ReplayEvent())?;
                self.on_channel_state(NodeEvent::ChannelReady { channel_id: channel_id.to_string() })
            }
            Event::ChannelClosed { channel_id, reason, user_channel_id, channel_funding_txo, .. } => {
                // A channel closed before its funding was signed takes nothing.
                self.onchain.lock().await.release_promise(user_channel_id);
                if channel_funding_txo.is_some() {
                    self.remind_to_back_up(BackupReminder::ChannelClosed).await.map_err(|_| ReplayEvent())?;
                }
                self.on_channel_closed(channel_id, &reason)
            }
            Event::PaymentClaimable { payment_hash, purpose, amount_msat, counterparty_skimmed_fee_msat, .. } => {
                self.on_payment_claimable(payment_hash, &purpose, amount_msat, counterparty_skimmed_fee_msat).await
            }
            Event::PaymentClaimed { payment_hash, amount_msat, purpose, htlcs, .. } => {
                let skimmed_msat = htlcs.iter().map(|htlc| htlc.counterparty_skimmed_fee_msat).sum();
                self.on_payment_claimed(payment_hash, amount_msat, skimmed_msat, &purpose).await
            }
            Event::PaymentSent { payment_id, payment_preimage, payment_hash, fee_paid_msat, amount_msat, .. } => {
                self.on_payment_sent(payment_id, payment_hash, payment_preimage, amount_msat, fee_paid_msat).await
            }
            Event::PaymentFailed { payment_id, payment_hash, reason } => self.on_payment_failed(payment_id, payment_hash, reason).await,
            Event::SpendableOutputs { outputs, channel_id } => self.on_spendable_outputs(outputs, channel_id).await,
            Event::ConnectionNeeded { node_id, addresses } => self.on_connection_needed(node_id, &addresses),
            Event::BumpTransaction(event) => self.on_bump_transaction(&event).await,
            Event::DiscardFunding { channel_id, funding_info } => self.on_discard_funding(channel_id, funding_info).await,
            // Routing and probing results feed the scorer (the background processor does that);
            // forwarding, interception, splicing and BOLT12 server roles are not this wallet's.
            _ => Ok(()),
        }
    }

    /// Builds, signs and hands LDK the funding transaction from the on-chain wallet; LDK broadcasts
    /// it once the peer has signed the first commitment. If the wallet cannot pay, the channel is
    /// abandoned before anything reaches the chain.
    async fn on_funding_generation_ready(
        &self,
        temporary_channel_id: ChannelId,
        counterparty: PublicKey,
        user_channel_id: u128,
        value: Amount,
        script: ScriptBuf,
    ) -> Result<(), ReplayEvent> {
        let rate = self.funding_fee_rate();
        let mut onchain = self.onchain.lock().await;
        let signed = onchain.sign_funding(user_channel_id, script, value, rate);
        let manager = &self.parts.channel_manager;
        let outcome = match signed {
            Ok(signed) => manager.funding_transaction_generated(temporary_channel_id, counterparty, signed.tx.clone()).map_err(|e| {
                onchain.abandon(&signed.tx);
                format!("{e:?}")
            }),
            Err(e) => Err(e.to_string()),
        };
        drop(onchain);
        if let Err(why) = outcome {
            log_error!(self.parts.logger, "cannot fund channel {temporary_channel_id}: {why}");
            let _ = manager.force_close_broadcasting_latest_txn(&temporary_channel_id, &counterparty, "funding failed".to_owned());
            self.subscribers.notify(NodeEvent::ChannelClosed { channel_id: temporary_channel_id.to_string(), reason: ChannelCloseReason::NotFunded });
        }
        Ok(())
    }

    /// Accepts a channel from a peer the wallet chose to know (hub, for inbound liquidity) when the
    /// on-chain wallet holds [`ANCHOR_RESERVE`] for it and every other channel, or when the person
    /// trusts the peer (`NodeConfig::trusted_peers`); refuses it otherwise. A channel from the LSP of
    /// the settings is the one it sells for a payment: taken at once, usable before it confirms, and
    /// open to payments it keeps its fee from (checked against what was agreed when one arrives).
    /// The wallet is told which.
    async fn on_open_channel_request(&self, temporary_channel_id: &ChannelId, counterparty: &PublicKey, funding_sat: u64) -> Result<(), ReplayEvent> {
        let manager = &self.parts.channel_manager;
        let known = self.peers.borrow().contains_key(counterparty);
        let from_lsp = self.config.lsp.as_ref().is_some_and(|lsp| lsp.node_id == *counterparty);
        let reserve = ANCHOR_RESERVE * (self.channels().len() as u64 + 1);
        let available = self.onchain.lock().await.spendable();
        let decision = if from_lsp {
            InboundDecision::AcceptedFromLsp
        } else if !known {
            InboundDecision::RefusedUnknownPeer
        } else if available >= reserve {
            InboundDecision::Accepted
        } else if self.config.trusted_peers.contains(counterparty) {
            InboundDecision::AcceptedTrusted { reserve_sat: reserve.to_sat(), available_sat: available.to_sat() }
        } else {
            InboundDecision::RefusedNoReserve { reserve_sat: reserve.to_sat(), available_sat: available.to_sat() }
        };
        log_info!(self.parts.logger, "a {funding_sat}-sat channel from {counterparty}: {decision:?}");
        if matches!(decision, InboundDecision::Accepted | InboundDecision::AcceptedTrusted { .. } | InboundDecision::AcceptedFromLsp) {
            let user_channel_id = self.new_user_channel_id();
            let accepted = if from_lsp {
                manager.accept_inbound_channel_from_trusted_peer_0conf(
                    temporary_channel_id,
                    counterparty,
                    user_channel_id,
                    Some(lsp_channel_config()),
                )
            } else {
                manager.accept_inbound_channel(temporary_channel_id, counterparty, user_channel_id, None)
            };
            match accepted {
                Ok(()) => self.record_channel_terms(user_channel_id).await,
                Err(e) => log_warn!(self.parts.logger, "could not accept a {funding_sat}-sat channel from {counterparty}: {e:?}"),
            }
        } else {
            let _ = manager.force_close_broadcasting_latest_txn(temporary_channel_id, counterparty, "channel refused".to_owned());
        }
        self.subscribers.notify(NodeEvent::InboundChannel { peer: *counterparty, funding_sat, decision });
        Ok(())
    }

    fn on_channel_state(&self, event: NodeEvent) -> Result<(), ReplayEvent> {
        self.subscribers.notify(event);
        Ok(())
    }

    fn on_channel_closed(&self, channel_id: ChannelId, reason: &ClosureReason) -> Result<(), ReplayEvent> {
        log_info!(self.parts.logger, "channel {channel_id} closed: {reason}");
        self.subscribers.notify(NodeEvent::ChannelClosed { channel_id: channel_id.to_string(), reason: ChannelCloseReason::from(reason) });
        Ok(())
    }

    /// Claims what pays an invoice of ours (LDK knows the preimage), whole, or less at most the fee
    /// agreed for a just-in-time channel (`skimmed_msat`: what the last hop kept); anything else is
    /// refused and goes back to the payer.
    async fn on_payment_claimable(
        &self,
        payment_hash: PaymentHash,
        purpose: &PaymentPurpose,
        amount_msat: u64,
        skimmed_msat: u64,
    ) -> Result<(), ReplayEvent> {
        let Some(preimage) = purpose.preimage() else {
            log_warn!(self.parts.logger, "a payment of {amount_msat} msat for an unknown invoice was refused");
            self.parts.channel_manager.fail_htlc_backwards(&payment_hash);
            return Ok(());
        };
        let id = PaymentRecord::id_of_hash(payment_hash);
        let record = if skimmed_msat > 0 { self.payments.get(&id).await.map_err(|e| self.replay(e))? } else { None };
        if fee_taken_is_agreed(record.as_ref(), skimmed_msat) {
            self.parts.channel_manager.claim_funds(preimage);
            return Ok(());
        }
        let agreed_msat = match record.as_ref().map(|r| &r.kind) {
            Some(PaymentKind::Jit { agreed_fee_msat, .. }) => agreed_fee_msat.unwrap_or(0),
            _ => 0,
        };
        log_warn!(
            self.parts.logger,
            "a payment of {amount_msat} msat was refused: its last hop kept {skimmed_msat} msat, {agreed_msat} msat were agreed"
        );
        self.parts.channel_manager.fail_htlc_backwards(&payment_hash);
        let reason = PaymentFailure::ProviderFeeAboveAgreed { agreed_msat, taken_msat: skimmed_msat };
        self.payments.on_failed(&id, reason, self.platform.now()).await.map_err(|e| self.replay(e))?;
        self.subscribers.notify(NodeEvent::PaymentFailed { payment_id: hex(&id), payment_hash: Some(hex(&payment_hash)), reason });
        Ok(())
    }

    async fn on_payment_claimed(
        self: &Rc<Self>,
        payment_hash: PaymentHash,
        amount_msat: u64,
        skimmed_msat: u64,
        purpose: &PaymentPurpose,
    ) -> Result<(), ReplayEvent> {
        let now = self.platform.now();
        let while_away = received_while_away(purpose, now.saturating_sub(self.started_at));
        let record = self.payments.on_claimed(payment_hash, amount_msat, skimmed_msat, purpose, while_away, now).await.map_err(|e| self.replay(e))?;
        let event = NodeEvent::PaymentReceived {
            payment_id: hex(&record.id),
            payment_hash: hex(&payment_hash),
            amount_msat,
            while_away: record.received_while_away,
        };
        self.report_once_manager_written(event, Vec::new(), None);
        Ok(())
    }

    async fn on_payment_sent(
        self: &Rc<Self>,
        payment_id: Option<PaymentId>,
        payment_hash: PaymentHash,
        preimage: PaymentPreimage,
        amount_msat: Option<u64>,
        fee_paid_msat: Option<u64>,
    ) -> Result<(), ReplayEvent> {
        // LDK gives every payment this wallet sends an id; one without is as old as LDK 0.0.103.
        let id = payment_id.unwrap_or(PaymentRecord::id_of_hash(payment_hash));
        let sent = SentPayment { id, hash: payment_hash, preimage, amount_msat, fee_paid_msat };
        let settled = self.payments.on_sent(sent, self.platform.now()).await.map_err(|e| self.replay(e))?;
        let event = NodeEvent::PaymentSent { payment_id: hex(&id), payment_hash: hex(&payment_hash), fee_paid_msat: fee_paid_msat.unwrap_or(0) };
        self.report_once_manager_written(event, settled.waiters, Some(settled.record));
        Ok(())
    }

    /// Tells the wallet of a settled payment only once the channel manager written after this event
    /// has committed: LDK persists it right after the handler returns, and a payment reported done
    /// must survive a reload. (Were that write lost, LDK would replay the event, and this handler is
    /// idempotent.) After a minute without a write, reports anyway: the payment itself is settled.
    fn report_once_manager_written(self: &Rc<Self>, event: NodeEvent, waiters: Vec<oneshot::Sender<Outcome>>, record: Option<PaymentRecord>) {
        let written = self.parts.store.next_write_committed(
            CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE,
            CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
            CHANNEL_MANAGER_PERSISTENCE_KEY,
        );
        let node = self.clone();
        self.platform.spawner().spawn_local(async move {
            futures::future::select(Box::pin(written), node.platform.sleep(MANAGER_WRITE_WAIT)).await;
            node.subscribers.notify(event);
            if let Some(record) = record {
                for waiter in waiters {
                    let _ = waiter.send(Ok(record.clone()));
                }
            }
        });
    }

    /// Records the failure under the payment's id (a BOLT12 payment may fail before it has a hash).
    async fn on_payment_failed(
        &self,
        payment_id: PaymentId,
        payment_hash: Option<PaymentHash>,
        reason: Option<PaymentFailureReason>,
    ) -> Result<(), ReplayEvent> {
        let failure = PaymentFailure::from(reason);
        log_info!(self.parts.logger, "payment {} failed: {reason:?}", hex(&payment_id));
        self.payments.on_failed(&payment_id, failure, self.platform.now()).await.map_err(|e| self.replay(e))?;
        self.subscribers.notify(NodeEvent::PaymentFailed {
            payment_id: hex(&payment_id),
            payment_hash: payment_hash.map(|h| hex(&h)),
            reason: failure,
        });
        Ok(())
    }

    /// Hands what a closed channel left us to the sweeper, which spends it into the on-chain wallet
    /// once it matures and persists what it tracks; if that write fails, LDK hands the event again.
    async fn on_spendable_outputs(&self, outputs: Vec<SpendableOutputDescriptor>, channel_id: Option<ChannelId>) -> Result<(), ReplayEvent> {
        self.parts.sweeper.track_spendable_outputs(outputs, channel_id, false, None).await.map_err(|()| {
            self.replay(NodeError::Storage(StorageFault::Backend {
                operation: "write".to_owned(),
                message: "the sweeper could not store the outputs to spend".to_owned(),
            }))
        })
    }

    /// LDK holds an onion message for a node the wallet is not connected to (a payer asked to
    /// release a payment held for the wallet's payment code, whose reply goes to the payer): dials
    /// it at the first address LDK knows, not remembered as a peer; the message leaves once the
    /// handshake is done. Known peers are the reconnect loop's (see `tasks`).
    fn on_connection_needed(self: &Rc<Self>, node_id: PublicKey, addresses: &[SocketAddress]) -> Result<(), ReplayEvent> {
        if self.peers.borrow().contains_key(&node_id) {
            return Ok(());
        }
        let Some(peer) = addresses.iter().find_map(|address| peer_at(node_id, address)) else {
            log_info!(self.parts.logger, "LDK wants a connection to {node_id}, whose address the wallet does not know");
            return Ok(());
        };
        let node = self.clone();
        self.platform.spawner().spawn_local(async move {
            if let Err(e) = node.connect_unremembered(&peer).await {
                log_warn!(node.parts.logger, "a message for {peer} waits: {e}");
            }
        });
        Ok(())
    }

    /// Pays a force close's (or an HTLC claim's) fee with the on-chain wallet's coins; LDK retries
    /// with a higher fee on later blocks if it does not confirm.
    async fn on_bump_transaction(&self, event: &BumpTransactionEvent) -> Result<(), ReplayEvent> {
        self.parts.bump.handle_event(event).await;
        Ok(())
    }

    /// A funding LDK will never broadcast: its inputs are free again.
    async fn on_discard_funding(&self, channel_id: ChannelId, funding: FundingInfo) -> Result<(), ReplayEvent> {
        log_info!(self.parts.logger, "the funding of channel {channel_id} was discarded; its inputs are free again");
        if let FundingInfo::Tx { transaction } = funding {
            self.onchain.lock().await.abandon(&transaction);
        }
        Ok(())
    }

    fn replay(&self, error: NodeError) -> ReplayEvent {
        log_error!(self.parts.logger, "an event will be handled again: {error}");
        ReplayEvent()
    }
}

/// How a channel from the LSP differs from others: payments through it may arrive short of the LSP's
/// fee (checked against the agreed fee before they are claimed), and one payment may fill all of it.
fn lsp_channel_config() -> ChannelConfigOverrides {
    ChannelConfigOverrides {
        handshake_overrides: Some(ChannelHandshakeConfigUpdate {
            max_inbound_htlc_value_in_flight_percent_of_channel: Some(100),
            ..Default::default()
        }),
        update_overrides: Some(ChannelConfigUpdate { accept_underpaying_htlcs: Some(true), ..Default::default() }),
    }
}

/// Where to dial `node_id` at `address`, if it is one the proxy can reach (not a Tor address).
fn peer_at(node_id: PublicKey, address: &SocketAddress) -> Option<PeerUri> {
    let (host, port) = match address {
        SocketAddress::TcpIpV4 { addr, port } => (std::net::Ipv4Addr::from(*addr).to_string(), *port),
        SocketAddress::TcpIpV6 { addr, port } => (std::net::Ipv6Addr::from(*addr).to_string(), *port),
        SocketAddress::Hostname { hostname, port } => (hostname.to_string(), *port),
        SocketAddress::OnionV2(_) | SocketAddress::OnionV3 { .. } => return None,
    };
    Some(PeerUri { node_id, host, port })
}
