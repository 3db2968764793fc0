//! The typed protocol between the wallet's UI and its node: commands in, answers and events out, all
//! plain data (no LDK type crosses), serialisable so the node can live in a Web Worker and speak
//! through `postMessage`. [`answer`] carries out one command on a running node.
//!
//! Versioned: both sides say [`PROTOCOL_VERSION`] first (`Hello`) and refuse a mismatch, as a page
//! and a worker from different deployments must not talk.

use std::rc::Rc;
use std::time::Duration;

use bitcoin::hashes::Hash as _;
use bitcoin::{Amount, FeeRate};
use lightning::ln::channel_state::ChannelDetails;
use lightning::types::payment::PaymentHash;
use serde::{Deserialize, Serialize};

use super::lightning_node::{hash_hex, invoice_description, LightningNode, NodeEvent, PeerUri};
use super::onchain::SendAmount;
use super::payments::PaymentRecord;
use super::platform::Platform;
use super::NodeError;
use crate::store::sealed::StoreWrites;

/// Changes whenever a message changes shape.
pub const PROTOCOL_VERSION: u16 = 3;

/// What the UI sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ToNode {
    Hello {
        version: u16,
    },
    /// Opens the wallet's database, unlocks its vault and starts the node. The passphrase crosses
    /// only in memory (`postMessage` within the tab) and is dropped once the vault is open.
    Start(StartNode),
    Request {
        id: u64,
        command: Command,
    },
    Stop,
}

/// What starting the node needs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartNode {
    pub database: String,
    pub passphrase: String,
    pub network: bitcoin::Network,
    pub esplora_url: String,
    pub proxy_url_template: String,
    pub max_channel_sat: u64,
}

/// Wipes the passphrase from memory when the message is dropped (the vault keeps only its own key).
impl Drop for StartNode {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.passphrase);
    }
}

/// Never prints the passphrase.
impl std::fmt::Debug for StartNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartNode")
            .field("database", &self.database)
            .field("network", &self.network)
            .field("esplora_url", &self.esplora_url)
            .finish_non_exhaustive()
    }
}

/// What the node sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FromNode {
    Hello {
        version: u16,
    },
    Started {
        node_id: String,
    },
    /// The node did not start (wrong passphrase, storage or chain server failing, another version).
    StartFailed {
        error: String,
    },
    /// The answer to request `id`.
    Reply {
        id: u64,
        result: Result<Answer, NodeError>,
    },
    Event {
        event: NodeEvent,
    },
    Stopped,
}

/// One thing the UI asks of the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    Sync,
    Status,
    Balances,
    NewAddress,
    Channels,
    OpenChannel {
        peer: String,
        amount_sat: u64,
    },
    CloseChannel {
        channel_id: String,
        force: bool,
    },
    CreateInvoice {
        amount_msat: Option<u64>,
        description: String,
        expiry_secs: u64,
    },
    /// Checks an invoice without paying it (what the send page shows before confirming).
    CheckInvoice {
        invoice: String,
        amount_msat: Option<u64>,
    },
    PayInvoice {
        invoice: String,
        amount_msat: Option<u64>,
        max_fee_msat: u64,
    },
    /// `amount_sat` `None` sends everything.
    SendOnchain {
        address: String,
        amount_sat: Option<u64>,
        sat_per_vb: u64,
    },
    Payments,
    /// What the node measures about itself (see [`NodeMetrics`]).
    Metrics,
}

/// The node's answer to a [`Command`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    /// `new_tip`: this sync found a block the node had not seen.
    Synced {
        height: u32,
        new_tip: bool,
    },
    Status {
        node_id: String,
        height: u32,
        peers_known: usize,
        peers_connected: usize,
    },
    Balances {
        onchain_confirmed_sat: u64,
        onchain_pending_sat: u64,
        lightning_msat: u64,
    },
    Address {
        address: String,
    },
    Channels {
        channels: Vec<ChannelView>,
    },
    ChannelOpening {
        channel_id: String,
    },
    Closing,
    /// `payment_hash` (hex) names the payment in events and the history.
    Invoice {
        invoice: String,
        payment_hash: String,
    },
    /// `estimated_fee_msat`: the routing fee of a route found now, if one was (needs an amount).
    InvoiceDetails {
        amount_msat: Option<u64>,
        description: Option<String>,
        payee: Option<String>,
        expires_at_secs: u64,
        estimated_fee_msat: Option<u64>,
    },
    Payment {
        payment: PaymentRecord,
    },
    Sent {
        txid: String,
    },
    Payments {
        payments: Vec<PaymentRecord>,
    },
    Metrics(NodeMetrics),
}

/// What the node measures about itself: what the benchmark (`cargo xtask bench`) reads, and what a
/// diagnostics view could show. Nothing here is secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeMetrics {
    /// Everything committed to the wallet's store since its vault was opened.
    pub store: StoreWrites,
    /// LDK's share of it: its values' bytes by kind (`manager`, `monitors`, `monitor_updates`, …).
    pub ldk_bytes: std::collections::BTreeMap<String, u64>,
    /// How many writes (removals included) those were, by the same kinds: bytes over writes is a
    /// kind's mean size, which shows whether a kind is written often or is large.
    #[serde(default)]
    pub ldk_writes: std::collections::BTreeMap<String, u64>,
    /// The host's figures, which the platform-neutral node cannot know: the memory it runs in (in the
    /// browser, the worker's wasm linear memory) and how its start went.
    pub memory_bytes: Option<u64>,
    /// The passphrase's key derivation and the vault's opening, in ms.
    pub vault_unlock_ms: Option<u64>,
    /// From the vault open to the node running (restore, first chain sync, tasks), in ms.
    pub node_start_ms: Option<u64>,
}

/// A channel as a person sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    pub channel_id: String,
    pub peer: String,
    pub capacity_sat: u64,
    pub can_send_msat: u64,
    pub can_receive_msat: u64,
    pub state: ChannelState,
    /// Confirmations of the funding so far, and how many the channel waits for.
    pub confirmations: Option<u32>,
    pub confirmations_required: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelState {
    /// Waiting for its funding to confirm.
    Opening,
    /// Ready, with the peer connected.
    Usable,
    /// Ready, but the peer is not connected now.
    Offline,
}

impl From<&ChannelDetails> for ChannelView {
    fn from(channel: &ChannelDetails) -> Self {
        let state = match (channel.is_channel_ready, channel.is_usable) {
            (false, _) => ChannelState::Opening,
            (true, true) => ChannelState::Usable,
            (true, false) => ChannelState::Offline,
        };
        ChannelView {
            channel_id: channel.channel_id.to_string(),
            peer: channel.counterparty.node_id.to_string(),
            capacity_sat: channel.channel_value_satoshis,
            can_send_msat: channel.outbound_capacity_msat,
            can_receive_msat: channel.inbound_capacity_msat,
            state,
            confirmations: channel.confirmations,
            confirmations_required: channel.confirmations_required,
        }
    }
}

/// Carries out `command` on `node`.
pub async fn answer<P: Platform>(node: &Rc<LightningNode<P>>, command: Command) -> Result<Answer, NodeError> {
    match command {
        Command::Sync => {
            let before = node.status().height;
            let height = node.sync_chain().await?;
            Ok(Answer::Synced { height, new_tip: height != before })
        }
        Command::Status => {
            let status = node.status();
            Ok(Answer::Status {
                node_id: node.node_id().to_string(),
                height: status.height,
                peers_known: status.peers_known,
                peers_connected: status.peers_connected,
            })
        }
        Command::Balances => {
            let balances = node.balances().await;
            Ok(Answer::Balances {
                onchain_confirmed_sat: balances.onchain_confirmed.to_sat(),
                onchain_pending_sat: balances.onchain_pending.to_sat(),
                lightning_msat: balances.lightning_msat,
            })
        }
        Command::NewAddress => Ok(Answer::Address { address: node.onchain_address().await?.to_string() }),
        Command::Channels => Ok(Answer::Channels { channels: node.channels().iter().map(ChannelView::from).collect() }),
        Command::OpenChannel { peer, amount_sat } => {
            Ok(Answer::ChannelOpening { channel_id: node.open_channel(&peer.parse::<PeerUri>()?, Amount::from_sat(amount_sat)).await? })
        }
        Command::CloseChannel { channel_id, force } => node.close_channel(&channel_id, force).map(|()| Answer::Closing),
        Command::CreateInvoice { amount_msat, description, expiry_secs } => {
            let invoice = node.create_invoice(amount_msat, &description, Duration::from_secs(expiry_secs)).await?;
            Ok(Answer::Invoice { payment_hash: hash_hex(&PaymentHash(invoice.payment_hash().to_byte_array())), invoice: invoice.to_string() })
        }
        Command::CheckInvoice { invoice, amount_msat } => {
            let invoice = node.check_invoice(&invoice, amount_msat)?;
            let description = invoice_description(&invoice);
            let expires_at_secs = invoice.expires_at().map_or(u64::MAX, |at| at.as_secs());
            let estimated_fee_msat = invoice.amount_milli_satoshis().or(amount_msat).and_then(|amount| node.estimate_fee_msat(&invoice, amount));
            Ok(Answer::InvoiceDetails {
                amount_msat: invoice.amount_milli_satoshis(),
                description,
                payee: invoice.payee_pub_key().map(ToString::to_string).or_else(|| Some(invoice.recover_payee_pub_key().to_string())),
                expires_at_secs,
                estimated_fee_msat,
            })
        }
        Command::PayInvoice { invoice, amount_msat, max_fee_msat } => {
            Ok(Answer::Payment { payment: node.pay_invoice(&invoice, amount_msat, max_fee_msat).await? })
        }
        Command::SendOnchain { address, amount_sat, sat_per_vb } => {
            let amount = amount_sat.map_or(SendAmount::All, |sat| SendAmount::Exactly(Amount::from_sat(sat)));
            let rate =
                FeeRate::from_sat_per_vb(sat_per_vb).ok_or_else(|| NodeError::Onchain(format!("{sat_per_vb} sat/vB is not a usable fee rate")))?;
            Ok(Answer::Sent { txid: node.send_onchain(&address, amount, rate).await?.to_string() })
        }
        Command::Payments => Ok(Answer::Payments { payments: node.payments().await? }),
        Command::Metrics => {
            let ldk = node.ldk_writes();
            let ldk_bytes = ldk.iter().map(|(kind, w)| (kind.clone(), w.bytes)).collect();
            let ldk_writes = ldk.iter().map(|(kind, w)| (kind.clone(), w.writes)).collect();
            Ok(Answer::Metrics(NodeMetrics { store: node.store_writes(), ldk_bytes, ldk_writes, ..NodeMetrics::default() }))
        }
    }
}
