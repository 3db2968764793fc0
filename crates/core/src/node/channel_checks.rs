//! Channels whose stored state may be old, and what the node does with them.
//!
//! A channel's state is only safe to act on if it is the latest: broadcasting a commitment the peer
//! has since seen revoked lets the peer take the whole channel. A wallet restored from a backup file
//! ([`crate::backup`]) may hold such a state (a payment made after the file), and so may a copy of
//! the wallet that ran while another copy moved its channels on.
//!
//! **What LDK 0.2 does.** When a peer reconnects, it sends `channel_reestablish` with the number of
//! our commitment it expects next and the secret of the last one we revoked. If that number shows
//! we have revoked the commitment our stored state holds as current, LDK's `Channel::channel_reestablish`
//! *panics* ("We have fallen behind…"): in the browser that aborts the node's worker, at every
//! reconnect. It broadcasts nothing first, but the wallet can never run. (Its other panic on an old
//! state, in `peer_storage_retrieval`, needs the peer-storage blobs LDK sends only when built with
//! `cfg(peer_storage)`; this build does not send them.) The peer itself, reading our old numbers in
//! our `channel_reestablish`, only warns, and waits.
//!
//! **What the node does instead** ([`CheckedChannelHandler`]): it reads the peer's
//! `channel_reestablish` before LDK does, and compares the peer's number with the one LDK sent in
//! ours (the commitment we expect next: one past the one our state holds as current), as LDK is
//! about to. When ours is old, the message does not reach LDK; the node asks the peer to close the
//! channel with an `error` (the peer then broadcasts its latest commitment, whose output to the
//! wallet pays to a key from the seed: the channel's monitor or the restore's watch,
//! [`super::channel_recovery`], sweeps it), and the broadcaster drops every transaction spending the
//! channel's funding, so no old commitment of ours ever leaves the wallet. After a backup's restore,
//! every channel starts *unconfirmed*: its funding is held the same way until its peer's
//! `channel_reestablish` shows the state is the latest, and one that closes before that stays held.
//! What is held is sealed ([`crate::record_names::CHANNEL_CHECKS_KEY`]).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ops::Deref;
use std::rc::Rc;

use bitcoin::secp256k1::PublicKey;
use bitcoin::OutPoint;
use lightning::chain::channelmonitor::ChannelMonitor;
use lightning::ln::msgs::{self, BaseMessageHandler, ChannelMessageHandler, ErrorAction, MessageSendEvent};
use lightning::ln::types::ChannelId;
use lightning::log_warn;
use lightning::sign::ecdsa::EcdsaChannelSigner;
use lightning::types::features::{InitFeatures, NodeFeatures};
use lightning::util::logger::Logger as _;
use serde::{Deserialize, Serialize};

use super::broadcast::Broadcaster;
use super::error::NodeError;
use super::logger::NodeLogger;
use crate::record_names::{CHANNEL_CHECKS_KEY, FROM_BACKUP_KEY, RECOVERY_NAMESPACE};
use crate::store::sealed::{SealedError, SealedStore};
use crate::store::KvStore;

/// What the peer is told when the wallet's state of a channel is old.
const CLOSE_REQUEST: &str = "this wallet's state of the channel is older than yours: please close it with your latest commitment";

/// A channel the node may not act on, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckState {
    /// Restored from a backup; its peer has not yet shown whether this state is the latest.
    Unconfirmed,
    /// Its peer showed that a later state exists: the peer was asked to close it with that state.
    Old,
    /// Closed while unconfirmed (the peer closed it, say, having seen our old numbers first): the
    /// state may be old, so it stays unpublished.
    ClosedUnconfirmed,
}

/// One channel held by the checks, as the person is told of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedChannel {
    #[serde(with = "super::payment::record::hex32")]
    pub channel_id: ChannelId,
    pub counterparty: PublicKey,
    pub funding: OutPoint,
    pub state: CheckState,
}

/// The checks' sealed record.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    channels: Vec<CheckedChannel>,
}

/// The channels held, shared by the message handler, the broadcaster's hold and the node.
pub struct ChannelChecks<S> {
    sealed: Rc<SealedStore<S>>,
    held: RefCell<BTreeMap<ChannelId, CheckedChannel>>,
    /// Whether `held` changed since it was last written.
    changed: Cell<bool>,
    broadcaster: Rc<Broadcaster>,
    logger: Rc<NodeLogger>,
    /// `error` messages for peers, waiting for the peer manager.
    to_send: RefCell<Vec<MessageSendEvent>>,
    /// The manager's messages taken early, to read our `channel_reestablish`es, in their order.
    taken: RefCell<Vec<MessageSendEvent>>,
    /// The commitment number each channel's last `channel_reestablish` of ours said we expect next.
    our_next: RefCell<BTreeMap<ChannelId, u64>>,
}

impl<S: KvStore> ChannelChecks<S> {
    /// Reads the checks; at the first start after a backup's restore, every channel of `monitors`
    /// starts unconfirmed, in the commit that takes the restore's mark away. Holds the funding of
    /// every channel held.
    pub async fn open<Signer: EcdsaChannelSigner>(
        sealed: Rc<SealedStore<S>>,
        monitors: &[&ChannelMonitor<Signer>],
        broadcaster: Rc<Broadcaster>,
        logger: Rc<NodeLogger>,
    ) -> Result<Self, NodeError> {
        let damaged = || NodeError::from(SealedError::Integrity { kind: RECOVERY_NAMESPACE.to_owned() });
        let stored = match sealed.get(RECOVERY_NAMESPACE, CHANNEL_CHECKS_KEY).await? {
            Some(json) => serde_json::from_slice::<Stored>(&json).map_err(|_| damaged())?,
            None => Stored::default(),
        };
        let checks = ChannelChecks {
            sealed,
            held: RefCell::new(stored.channels.into_iter().map(|c| (c.channel_id, c)).collect()),
            changed: Cell::new(false),
            broadcaster,
            logger,
            to_send: RefCell::default(),
            taken: RefCell::default(),
            our_next: RefCell::default(),
        };
        if checks.sealed.get(RECOVERY_NAMESPACE, FROM_BACKUP_KEY).await?.is_some() {
            for monitor in monitors {
                let channel = CheckedChannel {
                    channel_id: monitor.channel_id(),
                    counterparty: monitor.get_counterparty_node_id(),
                    funding: monitor.get_funding_txo().into_bitcoin_outpoint(),
                    state: CheckState::Unconfirmed,
                };
                checks.held.borrow_mut().insert(channel.channel_id, channel);
            }
            let json = checks.encode();
            let ops = vec![
                checks.sealed.put_op(RECOVERY_NAMESPACE, CHANNEL_CHECKS_KEY, &json),
                checks.sealed.delete_op(RECOVERY_NAMESPACE, FROM_BACKUP_KEY),
            ];
            checks.sealed.commit(ops).await?;
        }
        for channel in checks.held.borrow().values() {
            checks.broadcaster.hold_spends_of(channel.funding);
        }
        Ok(checks)
    }

    /// The channels held now.
    pub fn held(&self) -> Vec<CheckedChannel> {
        self.held.borrow().values().cloned().collect()
    }

    /// Whether the node may act on `channel_id` (force-close it, for one).
    pub fn may_act_on(&self, channel_id: &ChannelId) -> bool {
        !self.held.borrow().contains_key(channel_id)
    }

    /// Forgets the channels no longer `watched` by a monitor (closed and resolved: their funds are the
    /// sweeper's); until then the person is told why such a channel closed. An unconfirmed channel no
    /// longer `open` closed before its peer's word: its funding stays held. A funding stays held until
    /// the node stops, forgotten or not: spent, it cannot be spent again.
    pub fn forget_closed(&self, open: &[ChannelId], watched: &[ChannelId]) {
        let mut changed = false;
        self.held.borrow_mut().retain(|id, channel| {
            if channel.state == CheckState::Unconfirmed && !open.contains(id) {
                channel.state = CheckState::ClosedUnconfirmed;
                changed = true;
            }
            let keep = open.contains(id) || watched.contains(id);
            changed |= !keep;
            keep
        });
        if changed {
            self.changed.set(true);
        }
    }

    /// Writes the checks if they changed since the last write.
    pub async fn write_if_changed(&self) -> Result<(), NodeError> {
        if !self.changed.get() {
            return Ok(());
        }
        self.changed.set(false);
        let json = self.encode();
        if let Err(e) = self.sealed.put(RECOVERY_NAMESPACE, CHANNEL_CHECKS_KEY, &json).await {
            self.changed.set(true);
            return Err(e.into());
        }
        Ok(())
    }

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(&Stored { channels: self.held() }).expect("the checks serialize")
    }

    /// Notes the numbers of our `channel_reestablish`es among the manager's `events`.
    fn note_ours(&self, events: &[MessageSendEvent]) {
        for event in events {
            if let MessageSendEvent::SendChannelReestablish { msg, .. } = event {
                self.our_next.borrow_mut().insert(msg.channel_id, msg.next_local_commitment_number);
            }
        }
    }

    /// Judges the peer's `channel_reestablish` against ours: whether LDK may have it. Records what
    /// it learned; `monitor` is the channel's, if we have one.
    fn judge<Signer: EcdsaChannelSigner>(
        &self,
        their_node_id: PublicKey,
        msg: &msgs::ChannelReestablish,
        monitor: Option<&ChannelMonitor<Signer>>,
    ) -> bool {
        let (Some(monitor), Some(our_next)) = (monitor, self.our_next.borrow().get(&msg.channel_id).copied()) else {
            // A channel we do not know (LDK answers that we lost it, and the peer closes it), or one
            // we sent nothing for: LDK's to handle.
            return true;
        };
        let held = self.held.borrow().get(&msg.channel_id).map(|c| c.state);
        // LDK's own test: the peer holds the secret of the commitment our state holds as current,
        // the one before the commitment we expect next.
        let old = msg.next_remote_commitment_number > 0 && msg.next_remote_commitment_number >= our_next;
        if matches!(held, Some(CheckState::Old | CheckState::ClosedUnconfirmed)) || old {
            if held.is_none() || held == Some(CheckState::Unconfirmed) {
                log_warn!(
                    self.logger,
                    "channel {} with {their_node_id}: the peer has a later state than ours (we expect commitment {our_next}, it expects {}); asking it to close",
                    msg.channel_id,
                    msg.next_remote_commitment_number
                );
                let channel = CheckedChannel {
                    channel_id: msg.channel_id,
                    counterparty: their_node_id,
                    funding: monitor.get_funding_txo().into_bitcoin_outpoint(),
                    state: CheckState::Old,
                };
                self.broadcaster.hold_spends_of(channel.funding);
                self.held.borrow_mut().insert(msg.channel_id, channel);
                self.changed.set(true);
            }
            self.to_send.borrow_mut().push(MessageSendEvent::HandleError {
                node_id: their_node_id,
                action: ErrorAction::SendErrorMessage { msg: msgs::ErrorMessage { channel_id: msg.channel_id, data: CLOSE_REQUEST.to_owned() } },
            });
            return false;
        }
        if let Some(channel) = self.held.borrow_mut().remove(&msg.channel_id) {
            // The peer knows no later state: ours is the latest, and LDK may broadcast it if it must.
            self.broadcaster.release_spends_of(channel.funding);
            self.changed.set(true);
        }
        true
    }
}

/// The channel manager as the peer manager's channel handler, with the peer's `channel_reestablish`
/// judged first (see the module docs). Everything else goes straight to the manager.
pub struct CheckedChannelHandler<CM, S, M> {
    manager: CM,
    checks: Rc<ChannelChecks<S>>,
    monitors: M,
}

/// Where the handler finds a channel's monitor: the chain monitor, named without its type here.
pub trait MonitorSource {
    type Signer: EcdsaChannelSigner;
    fn with_monitor<R>(&self, channel_id: ChannelId, f: impl FnOnce(Option<&ChannelMonitor<Self::Signer>>) -> R) -> R;
}

impl<CM, S, M> CheckedChannelHandler<CM, S, M> {
    pub fn new(manager: CM, checks: Rc<ChannelChecks<S>>, monitors: M) -> Self {
        Self { manager, checks, monitors }
    }
}

impl<CM: Deref<Target: ChannelMessageHandler>, S: KvStore, M: MonitorSource> BaseMessageHandler for CheckedChannelHandler<CM, S, M> {
    fn get_and_clear_pending_msg_events(&self) -> Vec<MessageSendEvent> {
        let mut events = std::mem::take(&mut *self.checks.taken.borrow_mut());
        let newer = self.manager.get_and_clear_pending_msg_events();
        self.checks.note_ours(&newer);
        events.extend(newer);
        events.append(&mut self.checks.to_send.borrow_mut());
        events
    }
    fn peer_disconnected(&self, their_node_id: PublicKey) {
        self.manager.peer_disconnected(their_node_id)
    }
    fn provided_node_features(&self) -> NodeFeatures {
        self.manager.provided_node_features()
    }
    fn provided_init_features(&self, their_node_id: PublicKey) -> InitFeatures {
        self.manager.provided_init_features(their_node_id)
    }
    fn peer_connected(&self, their_node_id: PublicKey, msg: &msgs::Init, inbound: bool) -> Result<(), ()> {
        let connected = self.manager.peer_connected(their_node_id, msg, inbound);
        // The manager has queued our `channel_reestablish`es; the peer's may already be in the same
        // read, so their numbers are read now, and the messages sent in their turn.
        let events = self.manager.get_and_clear_pending_msg_events();
        self.checks.note_ours(&events);
        self.checks.taken.borrow_mut().extend(events);
        connected
    }
}

/// Each of the manager's handlers, passed on unchanged.
macro_rules! pass_on {
    ($($name:ident($msg:ty);)*) => {
        $(fn $name(&self, their_node_id: PublicKey, msg: $msg) {
            self.manager.$name(their_node_id, msg)
        })*
    };
}

impl<CM: Deref<Target: ChannelMessageHandler>, S: KvStore, M: MonitorSource> ChannelMessageHandler for CheckedChannelHandler<CM, S, M> {
    fn handle_channel_reestablish(&self, their_node_id: PublicKey, msg: &msgs::ChannelReestablish) {
        let may_pass = self.monitors.with_monitor(msg.channel_id, |monitor| self.checks.judge(their_node_id, msg, monitor));
        if may_pass {
            self.manager.handle_channel_reestablish(their_node_id, msg)
        }
    }

    pass_on! {
        handle_open_channel(&msgs::OpenChannel);
        handle_open_channel_v2(&msgs::OpenChannelV2);
        handle_accept_channel(&msgs::AcceptChannel);
        handle_accept_channel_v2(&msgs::AcceptChannelV2);
        handle_funding_created(&msgs::FundingCreated);
        handle_funding_signed(&msgs::FundingSigned);
        handle_channel_ready(&msgs::ChannelReady);
        handle_peer_storage(msgs::PeerStorage);
        handle_peer_storage_retrieval(msgs::PeerStorageRetrieval);
        handle_shutdown(&msgs::Shutdown);
        handle_closing_signed(&msgs::ClosingSigned);
        handle_stfu(&msgs::Stfu);
        handle_splice_init(&msgs::SpliceInit);
        handle_splice_ack(&msgs::SpliceAck);
        handle_splice_locked(&msgs::SpliceLocked);
        handle_tx_add_input(&msgs::TxAddInput);
        handle_tx_add_output(&msgs::TxAddOutput);
        handle_tx_remove_input(&msgs::TxRemoveInput);
        handle_tx_remove_output(&msgs::TxRemoveOutput);
        handle_tx_complete(&msgs::TxComplete);
        handle_tx_signatures(&msgs::TxSignatures);
        handle_tx_init_rbf(&msgs::TxInitRbf);
        handle_tx_ack_rbf(&msgs::TxAckRbf);
        handle_tx_abort(&msgs::TxAbort);
        handle_update_add_htlc(&msgs::UpdateAddHTLC);
        handle_update_fulfill_htlc(msgs::UpdateFulfillHTLC);
        handle_update_fail_htlc(&msgs::UpdateFailHTLC);
        handle_update_fail_malformed_htlc(&msgs::UpdateFailMalformedHTLC);
        handle_commitment_signed(&msgs::CommitmentSigned);
        handle_revoke_and_ack(&msgs::RevokeAndACK);
        handle_update_fee(&msgs::UpdateFee);
        handle_announcement_signatures(&msgs::AnnouncementSignatures);
        handle_channel_update(&msgs::ChannelUpdate);
        handle_error(&msgs::ErrorMessage);
    }

    fn handle_commitment_signed_batch(&self, their_node_id: PublicKey, channel_id: ChannelId, batch: Vec<msgs::CommitmentSigned>) {
        self.manager.handle_commitment_signed_batch(their_node_id, channel_id, batch)
    }

    fn get_chain_hashes(&self) -> Option<Vec<bitcoin::constants::ChainHash>> {
        self.manager.get_chain_hashes()
    }

    fn message_received(&self) {
        self.manager.message_received()
    }
}

impl<P: super::platform::Platform> super::lightning_node::LightningNode<P> {
    /// The channels the node may not act on yet, or whose peer showed their state to be old.
    pub fn channel_checks(&self) -> Vec<CheckedChannel> {
        self.parts.checks.held()
    }

    /// How many broadcasts were dropped for spending the funding of such a channel.
    pub fn broadcasts_held_back(&self) -> u32 {
        self.parts.broadcaster.held_back()
    }
}
