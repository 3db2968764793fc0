//! The typed protocol between a UI and its node: commands in, answers and events out, all plain data
//! (no LDK type crosses), serialisable so the node can live in a Web Worker and speak through
//! `postMessage`.
//!
//! **Typed calls.** Each command is a struct of its own that names the type of its answer
//! ([`Call::Answer`]); the node carries it out with [`Run::run`], which returns exactly that type,
//! and a client asks with `call(PayInvoice { .. })` and gets a `PaymentView` back. No caller ever
//! handles an answer it did not ask for. Every request says who asks ([`Caller`]), so the node can
//! apply per-caller rules.
//!
//! Versioned: both sides say [`PROTOCOL_VERSION`] first (`Hello`) and refuse a mismatch, as a page
//! and a worker from different deployments must not talk.

use std::rc::Rc;
use std::time::Duration;

use bitcoin::hex::FromHex;
use bitcoin::{Amount, FeeRate};
use blixtra_core::node::backups::BackupReminder;
use blixtra_core::node::channel_checks::CheckedChannel;
use blixtra_core::node::channel_recovery::RecoveryProgress;
use blixtra_core::node::error::{ChainFault, NodeError, OnchainFault};
use blixtra_core::node::events::NodeEvent;
use blixtra_core::node::lightning_node::LightningNode;
use blixtra_core::node::net::PeerUri;
use blixtra_core::node::onchain::{FeeCap, SendAmount};
use blixtra_core::node::payment::bolt11::{invoice_description, payment_id, SendOptions};
pub use blixtra_core::node::payment::jit::{JitQuote, ReceivePlan};
use blixtra_core::node::payment::keysend::Keysend;
use blixtra_core::node::payment::payment_code::PAYER_WAITS_UP_TO;
use blixtra_core::node::payment::record::hex;
use blixtra_core::node::payment::{PaymentDirection, PaymentKind, PaymentRecord, PaymentStatus};
use blixtra_core::node::platform::Platform;
use blixtra_core::store::sealed::StoreWrites;
pub use blixtra_core::websites::Budget;
use blixtra_core::VaultError;
use lightning::bitcoin;
use lightning::ln::channel_state::ChannelDetails;
use lightning::ln::types::ChannelId;
use lightning::types::payment::PaymentPreimage;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Changes whenever a message changes shape.
pub const PROTOCOL_VERSION: u16 = 10;

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
        caller: Caller,
        command: Command,
    },
    Stop,
    /// The page at this end went away (the extension's popup closed): the host stops writing to it.
    /// The node runs on.
    Detach,
    /// The person used a page of the wallet (a key or a pointer press): the auto-lock's idle time
    /// starts again, with the page's current setting.
    Activity {
        auto_lock_after_secs: Option<u64>,
    },
}

/// Who asks: the wallet's own UI, or (through the browser extension) a website.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "caller", rename_all = "snake_case")]
pub enum Caller {
    App,
    /// A website, by its top-level origin (`https://example.com`).
    Website {
        origin: String,
    },
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
    /// The on-chain fee cap ([`blixtra_core::node::onchain::FeeCap`]); its default when not given.
    #[serde(default = "default_onchain_fee_percent")]
    pub onchain_fee_percent: u8,
    #[serde(default = "default_onchain_fee_floor_sat")]
    pub onchain_fee_floor_sat: u64,
    /// Peers whose channels are taken without the on-chain coins to bump a force close.
    #[serde(default)]
    pub trusted_peers: Vec<bitcoin::secp256k1::PublicKey>,
    /// A second Esplora server that must agree on confirmations and spends (optional).
    #[serde(default)]
    pub second_esplora_url: Option<String>,
    /// Lock (stop the node) after this long without the person using a page of the wallet
    /// (`ToNode::Activity`); never when `None`. In the extension no page may be open to time it.
    #[serde(default)]
    pub auto_lock_after_secs: Option<u64>,
    /// `node_id@host:port` of the Lightning Service Provider that sells just-in-time channels
    /// (LSPS2), or none.
    #[serde(default)]
    pub lsp: Option<String>,
    /// The HTTP address of the server that keeps the wallet's payment code working while it is
    /// closed (an async payments server), or none.
    #[serde(default)]
    pub payment_code_server: Option<String>,
}

fn default_onchain_fee_percent() -> u8 {
    FeeCap::DEFAULT.percent
}

fn default_onchain_fee_floor_sat() -> u64 {
    FeeCap::DEFAULT.floor.to_sat()
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FromNode {
    Hello {
        version: u16,
        /// The node's id if it already runs: in the extension, every page shares the one node that
        /// another page started.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        running: Option<String>,
    },
    Started {
        node_id: String,
    },
    StartFailed {
        error: StartError,
    },
    /// The answer to request `id`: the JSON of its command's [`Call::Answer`].
    Reply {
        id: u64,
        result: Result<serde_json::Value, NodeError>,
    },
    Event {
        event: NodeEvent,
    },
    Stopped,
    /// To the page that spawned the worker (the extension's node host): open the prompt
    /// window for website prompt `id`.
    OpenPrompt {
        id: u64,
    },
    /// A website paid within the budget the person gave it, without a prompt: every page says so.
    WebsitePaid {
        origin: String,
        amount_sat: u64,
        fee_sat: u64,
    },
}

/// Why the node did not start, so that the UI can act on it (ask for the passphrase again, say the
/// storage or the chain server failed, reload for a new version).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "failure", rename_all = "snake_case")]
pub enum StartError {
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("there is no wallet in this browser")]
    NoWallet,
    /// The vault's storage failed or a record failed its check; the node's words say which.
    #[error("{0}")]
    Vault(NodeError),
    /// The node itself did not start (storage, chain server, stored channel state).
    #[error("{0}")]
    Node(NodeError),
    #[error("the page speaks protocol {page}, the node {node}")]
    Version { page: u16, node: u16 },
    #[error("the node is already running")]
    AlreadyRunning,
}

impl From<VaultError> for StartError {
    fn from(error: VaultError) -> Self {
        use blixtra_core::node::error::StorageFault;
        match error {
            VaultError::WrongPassphrase => StartError::WrongPassphrase,
            VaultError::NoVault => StartError::NoWallet,
            VaultError::Integrity { kind } => StartError::Vault(NodeError::Storage(StorageFault::Integrity { kind })),
            VaultError::Store(e) => StartError::Vault(NodeError::Storage(e.into())),
            // Neither happens on unlock; said as a storage fault rather than lost.
            VaultError::AlreadyExists | VaultError::PassphraseTooShort { .. } => {
                StartError::Vault(NodeError::Storage(StorageFault::Unreadable { kind: "vault".to_owned() }))
            }
        }
    }
}

/// One command, and the type of its answer.
pub trait Call: Into<Command> {
    type Answer: Serialize + DeserializeOwned;
}

/// How the node carries out a command.
#[allow(async_fn_in_trait)] // Single-threaded by design: nothing here is `Send`.
pub trait Run: Call {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<Self::Answer, NodeError>;
}

/// Declares the commands: each variant of [`Command`] wraps its struct, which is a [`Call`] with
/// its answer type; [`answer`] dispatches on them, so a command and its answer cannot part.
macro_rules! commands {
    (
        node { $($(#[$doc:meta])* $variant:ident($call:ident) -> $answer:ty;)* }
        host { $($(#[$host_doc:meta])* $host_variant:ident($host_call:ident) -> $host_answer:ty;)* }
    ) => {
        /// One thing a caller asks of the node (or of its host: see [`Command::for_host`]).
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "command", rename_all = "snake_case")]
        pub enum Command {
            $($(#[$doc])* $variant($call),)*
            $($(#[$host_doc])* $host_variant($host_call),)*
        }
        $(
            impl Call for $call {
                type Answer = $answer;
            }
            impl From<$call> for Command {
                fn from(call: $call) -> Self {
                    Command::$variant(call)
                }
            }
        )*
        $(
            impl Call for $host_call {
                type Answer = $host_answer;
            }
            impl From<$host_call> for Command {
                fn from(call: $host_call) -> Self {
                    Command::$host_variant(call)
                }
            }
        )*
        impl Command {
            /// Whether the host answers this itself (websites' prompts and permissions, which exist
            /// while the node is stopped too) rather than the node.
            pub fn for_host(&self) -> bool {
                match self {
                    $(Command::$host_variant(_) => true,)*
                    _ => false,
                }
            }
        }
        /// Carries out `command` on `node` for `caller`; the answer is its call's answer, as JSON.
        pub async fn answer<P: Platform>(node: &Rc<LightningNode<P>>, caller: &Caller, command: Command) -> Result<serde_json::Value, NodeError> {
            permit(caller, &command)?;
            match command {
                $(Command::$variant(call) => call.run(node).await.map(|answer| serde_json::to_value(answer).expect("answers are plain data")),)*
                // The host answers these before a node is asked (`NodeHost::handle_from`).
                $(Command::$host_variant(_) => Err(NodeError::Stopped),)*
            }
        }
    };
}

commands! {
    node {
    Sync(SyncChain) -> Synced;
    Status(Status) -> StatusView;
    Balances(Balances) -> BalancesView;
    NewAddress(NewAddress) -> String;
    Channels(Channels) -> Vec<ChannelView>;
    /// Answers the new channel's temporary id (hex).
    OpenChannel(OpenChannel) -> String;
    CloseChannel(CloseChannel) -> ();
    CreateInvoice(CreateInvoice) -> InvoiceView;
    /// How an amount would be received: directly, or through a new channel from the LSP at its
    /// price now (what the Receive page shows before an invoice exists).
    PlanReceive(PlanReceive) -> ReceivePlan;
    /// An invoice paid through a new channel from the LSP, at most at the fee the person agreed to.
    CreateJitInvoice(CreateJitInvoice) -> JitInvoiceView;
    /// The wallet's payment code (a BOLT12 offer) that payers can pay while it is closed.
    PaymentCode(PaymentCode) -> PaymentCodeView;
    /// Checks an invoice without paying it (what the send page shows before confirming).
    CheckInvoice(CheckInvoice) -> InvoiceDetails;
    PayInvoice(PayInvoice) -> PaymentView;
    /// Checks a payment without an invoice (keysend) without sending it: what a prompt shows first.
    CheckKeysend(CheckKeysend) -> KeysendDetails;
    /// Pays a node without an invoice (keysend), with custom records for the payee.
    PayKeysend(PayKeysend) -> PaymentView;
    /// Answers the transaction id.
    SendOnchain(SendOnchain) -> String;
    /// What a `SendOnchain` would pay in fees, in sats (refused as it would be, over the cap).
    OnchainSendFee(OnchainSendFee) -> u64;
    /// What funding a channel of this size would pay in fees now, in sats.
    ChannelFundingFee(ChannelFundingFee) -> u64;
    Payments(Payments) -> Vec<PaymentView>;
    /// What the node measures about itself (see [`NodeMetrics`]).
    Metrics(Metrics) -> NodeMetrics;
    /// The wallet's backup file as of now (takes the reminder to make one away).
    ExportBackup(ExportBackup) -> BackupFileView;
    /// Takes the reminder to export a backup away until the channels change again.
    DismissBackupReminder(DismissBackupReminder) -> ();
    }
    host {
    /// What a website's open prompt asks (the prompt window shows it; it is that window's to answer).
    PromptDetails(PromptDetails) -> PromptView;
    AnswerPrompt(AnswerPrompt) -> ();
    /// The websites the person answered, by origin (needs the wallet unlocked).
    Websites(Websites) -> Vec<WebsiteView>;
    /// Allows a site (with a budget, or none) or denies it.
    SetWebsite(SetWebsite) -> ();
    /// Forgets a site: its next `enable` asks again.
    ForgetWebsite(ForgetWebsite) -> ();
    }
}

/// The per-caller rules: the wallet's own UI may ask anything; a website (through WebLN, once the
/// person allowed it and a prompt or budget let it pay: `website_host.rs`) only what WebLN offers,
/// and never its own permissions.
pub fn permit(caller: &Caller, command: &Command) -> Result<(), NodeError> {
    match (caller, command) {
        (Caller::App, _) => Ok(()),
        (
            Caller::Website { .. },
            Command::Balances(_)
            | Command::CreateInvoice(_)
            | Command::CheckInvoice(_)
            | Command::PayInvoice(_)
            | Command::CheckKeysend(_)
            | Command::PayKeysend(_),
        ) => Ok(()),
        (Caller::Website { origin }, _) => Err(NodeError::NotPermitted { origin: origin.clone() }),
    }
}

macro_rules! no_fields {
    ($($(#[$doc:meta])* $name:ident),*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {}
    )*};
}
no_fields!(
    /// Syncs with the chain now.
    SyncChain,
    Status,
    Balances,
    /// A fresh on-chain address.
    NewAddress,
    Channels,
    /// The payment history, newest first.
    Payments,
    Metrics,
    Websites,
    /// The payment code that works while the wallet is closed.
    PaymentCode,
    ExportBackup,
    DismissBackupReminder
);

/// A backup file, to be saved by the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFileView {
    /// What the page names the file it saves.
    pub file_name: String,
    /// The file, in hex (a `postMessage` of JSON carries text).
    pub hex: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptDetails {
    pub id: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerPrompt {
    pub id: u64,
    pub allow: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetWebsite {
    pub origin: String,
    pub allowed: bool,
    pub budget: Option<Budget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgetWebsite {
    pub origin: String,
}

/// What a website asks the person, in the extension's prompt window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "question", rename_all = "snake_case")]
pub enum Question {
    /// The wallet is locked: unlock it to answer the site.
    Unlock,
    /// May the site use the wallet (see its node id, balance; ask for payments)?
    Enable,
    /// May the site pay this invoice, or (`keysend`) this node without an invoice?
    Pay {
        amount_sat: u64,
        description: Option<String>,
        payee: Option<String>,
        estimated_fee_sat: Option<u64>,
        max_fee_sat: u64,
        /// For a payment without an invoice (keysend) to node `payee`: the custom records sent with
        /// it, as the site wrote them (maybe none). `None` for an invoice.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keysend: Option<Vec<ShownRecord>>,
    },
    /// May the site have this message signed with the node's key? A signature proves to whoever
    /// holds it that this node said the message: a site may use one as a login, or as a promise.
    SignMessage { message: String },
}

/// A custom record a keysend carries, as a prompt shows it: its type, and its value as the site's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownRecord {
    pub record_type: u64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptView {
    /// The top-level site that asks.
    pub origin: String,
    pub question: Question,
}

/// A site as the settings list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebsiteView {
    pub origin: String,
    pub allowed: bool,
    pub budget: Option<Budget>,
    pub spent_today_sat: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenChannel {
    /// `node_id@host:port`.
    pub peer: String,
    pub amount_sat: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseChannel {
    /// The channel's id, hex.
    pub channel_id: String,
    pub force: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateInvoice {
    /// `None` lets the payer choose.
    pub amount_msat: Option<u64>,
    pub description: String,
    pub expiry_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanReceive {
    pub amount_msat: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateJitInvoice {
    pub amount_msat: u64,
    pub description: String,
    pub expiry_secs: u64,
    /// The LSP's fee the person saw and accepted (`ReceivePlan::NewChannel`): a dearer price now is
    /// refused (`LspFault::FeeChanged`), never paid.
    pub agreed_fee_msat: u64,
}

/// The payment code, and how long a payer's payment to it waits for the closed wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentCodeView {
    /// A BOLT12 offer (`lno1…`).
    pub offer: String,
    pub payer_waits_days: u64,
}

/// An invoice through a new channel, and the fee the LSP will keep of its payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JitInvoiceView {
    pub invoice: InvoiceView,
    pub quote: JitQuote,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInvoice {
    pub invoice: String,
    pub amount_msat: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayInvoice {
    pub invoice: String,
    /// For an invoice without an amount.
    pub amount_msat: Option<u64>,
    pub max_fee_msat: u64,
}

/// A payment without an invoice, to be checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckKeysend {
    /// The payee's node id, hex.
    pub destination: String,
    pub amount_msat: u64,
    /// `(type, value)`: types from 65536 up, each once.
    pub custom_records: Vec<(u64, Vec<u8>)>,
    /// The fee cap the payment will have (`PayKeysend::max_fee_msat`): the estimate is of a route
    /// within it, so that it is never above what the payment may pay. `None`: LDK's default cap.
    #[serde(default)]
    pub max_fee_msat: Option<u64>,
}

/// A checked keysend; `estimated_fee_msat`: the routing fee of a route found now, if one was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysendDetails {
    pub estimated_fee_msat: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayKeysend {
    /// The payee's node id, hex.
    pub destination: String,
    pub amount_msat: u64,
    /// `(type, value)`: types from 65536 up, each once.
    pub custom_records: Vec<(u64, Vec<u8>)>,
    pub max_fee_msat: u64,
    /// The preimage, for a caller that remembers the payment's hash before it is sent (fresh
    /// random bytes each time: one used before is refused); `None`: the node picks one.
    #[serde(default)]
    pub preimage: Option<[u8; 32]>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnchainSendFee {
    pub address: String,
    /// `None`: everything.
    pub amount_sat: Option<u64>,
    pub sat_per_vb: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelFundingFee {
    pub amount_sat: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendOnchain {
    pub address: String,
    /// `None` sends everything.
    pub amount_sat: Option<u64>,
    pub sat_per_vb: u64,
}

/// The answer to [`SyncChain`]; `new_tip`: this sync found a block the node had not seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synced {
    pub height: u32,
    pub new_tip: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    pub node_id: String,
    pub height: u32,
    pub peers_known: usize,
    pub peers_connected: usize,
    /// Blocks the wallet may stay closed from now and still punish a peer's old state (about ten
    /// minutes each); none without channels.
    pub closed_safely_blocks: Option<u32>,
    /// Blocks mined while the wallet was closed, found when the node started.
    pub away_blocks: u32,
    /// Why the last chain sync failed, until one succeeds (a server failing a check, or gone).
    #[serde(default)]
    pub chain_fault: Option<ChainFault>,
    /// A restored wallet looking for its lost channels' funds: what it has found so far.
    #[serde(default)]
    pub channel_recovery: Option<RecoveryProgress>,
    /// Channels restored from a backup and not yet confirmed by their peer, or found old.
    #[serde(default)]
    pub channel_checks: Vec<CheckedChannel>,
    /// Why the person should export a backup file now, if they should.
    #[serde(default)]
    pub backup_reminder: Option<BackupReminder>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalancesView {
    pub onchain_confirmed_sat: u64,
    pub onchain_pending_sat: u64,
    /// What the channels can send now.
    pub lightning_msat: u64,
    /// What the channels hold of the wallet's as their reserve, spendable once they close.
    #[serde(default)]
    pub lightning_reserve_msat: u64,
}

impl BalancesView {
    /// Returns what the wallet holds, in whole sats: on chain (confirmed or not) and in channels.
    pub fn total_sat(&self) -> u64 {
        self.onchain_sat() + self.lightning_owned_sat()
    }

    /// The wallet's side of its channels, reserves included, in whole sats.
    pub fn lightning_owned_sat(&self) -> u64 {
        (self.lightning_msat + self.lightning_reserve_msat) / 1000
    }

    pub fn onchain_sat(&self) -> u64 {
        self.onchain_confirmed_sat + self.onchain_pending_sat
    }
}

/// A new invoice; `payment_id` names its payment in the history, `payment_hash` in events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceView {
    pub invoice: String,
    pub payment_id: String,
    pub payment_hash: String,
}

/// A checked invoice; `estimated_fee_msat`: the routing fee of a route found now, if one was (needs
/// an amount).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDetails {
    pub amount_msat: Option<u64>,
    pub description: Option<String>,
    pub payee: Option<String>,
    /// Hex: what a website looks the payment up by.
    pub payment_hash: String,
    pub expires_at_secs: u64,
    pub estimated_fee_msat: Option<u64>,
}

/// What kind of payment, as the UI tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKindView {
    Bolt11,
    Bolt12Offer,
    Bolt12Refund,
    Spontaneous,
    Jit,
    Onchain,
}

/// A payment as a person sees it: ids and proofs as hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    pub id: String,
    pub kind: PaymentKindView,
    pub direction: PaymentDirection,
    pub status: PaymentStatus,
    pub payment_hash: Option<String>,
    /// The proof of a Lightning payment, once known.
    pub preimage: Option<String>,
    /// The transaction of an on-chain payment.
    pub txid: Option<String>,
    pub amount_msat: Option<u64>,
    pub fee_paid_msat: Option<u64>,
    pub payee: Option<String>,
    pub description: Option<String>,
    pub created_at_secs: u64,
    pub updated_at_secs: u64,
    /// Paid to the payment code while the wallet was closed.
    #[serde(default)]
    pub received_while_away: bool,
}

impl From<&PaymentRecord> for PaymentView {
    fn from(record: &PaymentRecord) -> Self {
        let kind = match &record.kind {
            PaymentKind::Bolt11 { .. } => PaymentKindView::Bolt11,
            PaymentKind::Bolt12Offer { .. } => PaymentKindView::Bolt12Offer,
            PaymentKind::Bolt12Refund { .. } => PaymentKindView::Bolt12Refund,
            PaymentKind::Spontaneous { .. } => PaymentKindView::Spontaneous,
            PaymentKind::Jit { .. } => PaymentKindView::Jit,
            PaymentKind::Onchain { .. } => PaymentKindView::Onchain,
        };
        let txid = match &record.kind {
            PaymentKind::Onchain { txid } => Some(txid.to_string()),
            _ => None,
        };
        PaymentView {
            id: hex(&record.id),
            kind,
            direction: record.direction,
            status: record.status,
            payment_hash: record.kind.hash().map(|h| hex(&h)),
            preimage: record.kind.preimage().map(|p| hex(&p)),
            txid,
            amount_msat: record.amount_msat,
            fee_paid_msat: record.fee_paid_msat,
            payee: record.payee.map(|p| p.to_string()),
            description: record.description.clone(),
            created_at_secs: record.created_at_secs,
            updated_at_secs: record.updated_at_secs,
            received_while_away: record.received_while_away,
        }
    }
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

impl Run for SyncChain {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<Synced, NodeError> {
        let before = node.status().height;
        let height = node.sync_chain().await?;
        Ok(Synced { height, new_tip: height != before })
    }
}

impl Run for Status {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<StatusView, NodeError> {
        let status = node.status();
        let closed_safely = node.closed_safely().await?;
        Ok(StatusView {
            node_id: node.node_id().to_string(),
            height: status.height,
            peers_known: status.peers_known,
            peers_connected: status.peers_connected,
            closed_safely_blocks: closed_safely.blocks,
            away_blocks: closed_safely.away_blocks,
            chain_fault: status.chain_fault,
            channel_recovery: node.channel_recovery(),
            channel_checks: node.channel_checks(),
            backup_reminder: node.backup_reminder(),
        })
    }
}

impl Run for Balances {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<BalancesView, NodeError> {
        let balances = node.balances().await;
        Ok(BalancesView {
            onchain_confirmed_sat: balances.onchain_confirmed.to_sat(),
            onchain_pending_sat: balances.onchain_pending.to_sat(),
            lightning_msat: balances.lightning_msat,
            lightning_reserve_msat: balances.lightning_reserve_msat,
        })
    }
}

impl Run for NewAddress {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<String, NodeError> {
        Ok(node.onchain().new_address().await?.to_string())
    }
}

impl Run for Channels {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<Vec<ChannelView>, NodeError> {
        Ok(node.channels().iter().map(ChannelView::from).collect())
    }
}

impl Run for OpenChannel {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<String, NodeError> {
        let peer: PeerUri = self.peer.parse().map_err(NodeError::InvalidPeer)?;
        Ok(node.open_channel(&peer, Amount::from_sat(self.amount_sat)).await?.to_string())
    }
}

impl Run for CloseChannel {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<(), NodeError> {
        let unknown = || NodeError::UnknownChannel { channel_id: self.channel_id.clone() };
        let id = ChannelId(<[u8; 32]>::from_hex(&self.channel_id).map_err(|_| unknown())?);
        node.close_channel(&id, self.force).await
    }
}

impl Run for CreateInvoice {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<InvoiceView, NodeError> {
        let invoice = node.bolt11().receive(self.amount_msat, &self.description, Duration::from_secs(self.expiry_secs)).await?;
        Ok(InvoiceView { invoice: invoice.to_string(), payment_id: hex(&payment_id(&invoice)), payment_hash: invoice.payment_hash().to_string() })
    }
}

impl Run for PlanReceive {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<ReceivePlan, NodeError> {
        node.jit().plan(self.amount_msat).await
    }
}

impl Run for CreateJitInvoice {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<JitInvoiceView, NodeError> {
        let expiry = Duration::from_secs(self.expiry_secs);
        let (invoice, quote) = node.jit().receive(self.amount_msat, &self.description, expiry, self.agreed_fee_msat).await?;
        let invoice =
            InvoiceView { invoice: invoice.to_string(), payment_id: hex(&payment_id(&invoice)), payment_hash: invoice.payment_hash().to_string() };
        Ok(JitInvoiceView { invoice, quote })
    }
}

impl Run for PaymentCode {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<PaymentCodeView, NodeError> {
        let offer = node.payment_code().offer().await?;
        Ok(PaymentCodeView { offer: offer.to_string(), payer_waits_days: PAYER_WAITS_UP_TO.as_secs() / 86_400 })
    }
}

impl Run for CheckInvoice {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<InvoiceDetails, NodeError> {
        let bolt11 = node.bolt11();
        let invoice = bolt11.check(&self.invoice, self.amount_msat)?;
        let estimated_fee_msat = invoice.amount_milli_satoshis().or(self.amount_msat).and_then(|amount| bolt11.estimate_fee_msat(&invoice, amount));
        Ok(InvoiceDetails {
            amount_msat: invoice.amount_milli_satoshis(),
            description: invoice_description(&invoice),
            payee: Some(invoice.get_payee_pub_key().to_string()),
            payment_hash: invoice.payment_hash().to_string(),
            expires_at_secs: invoice.expires_at().map_or(u64::MAX, |at| at.as_secs()),
            estimated_fee_msat,
        })
    }
}

impl Run for PayInvoice {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<PaymentView, NodeError> {
        let options = SendOptions { amount_msat: self.amount_msat, max_fee_msat: self.max_fee_msat };
        Ok(PaymentView::from(&node.bolt11().send(&self.invoice, options).await?))
    }
}

/// The keysend a command names, its destination read.
fn keysend(destination: &str, amount_msat: u64, custom_records: Vec<(u64, Vec<u8>)>, preimage: Option<[u8; 32]>) -> Result<Keysend, NodeError> {
    let destination = destination.trim().parse().map_err(|_| NodeError::InvalidDestination)?;
    Ok(Keysend { destination, amount_msat, custom_records, preimage: preimage.map(PaymentPreimage) })
}

impl Run for CheckKeysend {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<KeysendDetails, NodeError> {
        let keysend = keysend(&self.destination, self.amount_msat, self.custom_records, None)?;
        let handler = node.keysend();
        handler.check(&keysend)?;
        Ok(KeysendDetails { estimated_fee_msat: handler.estimate_fee_msat(keysend.destination, keysend.amount_msat, self.max_fee_msat) })
    }
}

impl Run for PayKeysend {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<PaymentView, NodeError> {
        let keysend = keysend(&self.destination, self.amount_msat, self.custom_records, self.preimage)?;
        Ok(PaymentView::from(&node.keysend().send(keysend, self.max_fee_msat).await?))
    }
}

impl Run for SendOnchain {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<String, NodeError> {
        let amount = self.amount_sat.map_or(SendAmount::All, |sat| SendAmount::Exactly(Amount::from_sat(sat)));
        let rate = FeeRate::from_sat_per_vb(self.sat_per_vb).ok_or(NodeError::Onchain(OnchainFault::FeeRate { sat_per_vb: self.sat_per_vb }))?;
        Ok(node.onchain().send(&self.address, amount, rate).await?.to_string())
    }
}

impl Run for OnchainSendFee {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<u64, NodeError> {
        let amount = self.amount_sat.map_or(SendAmount::All, |sat| SendAmount::Exactly(Amount::from_sat(sat)));
        let rate = FeeRate::from_sat_per_vb(self.sat_per_vb).ok_or(NodeError::Onchain(OnchainFault::FeeRate { sat_per_vb: self.sat_per_vb }))?;
        Ok(node.onchain().fee(&self.address, amount, rate).await?.to_sat())
    }
}

impl Run for ChannelFundingFee {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<u64, NodeError> {
        Ok(node.channel_funding_fee(Amount::from_sat(self.amount_sat)).await?.to_sat())
    }
}

impl Run for Payments {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<Vec<PaymentView>, NodeError> {
        Ok(node.payments().await?.iter().map(PaymentView::from).collect())
    }
}

impl Run for ExportBackup {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<BackupFileView, NodeError> {
        let file = node.backup_file().await?;
        let id = node.node_id().to_string();
        Ok(BackupFileView { file_name: format!("blixtra-{}.backup", &id[..12]), hex: bitcoin::hex::DisplayHex::to_lower_hex_string(&file[..]) })
    }
}

impl Run for DismissBackupReminder {
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<(), NodeError> {
        node.dismiss_backup_reminder().await
    }
}

impl Run for Metrics {
    /// The node's own figures; the host adds its own (memory, start timings).
    async fn run<P: Platform>(self, node: &Rc<LightningNode<P>>) -> Result<NodeMetrics, NodeError> {
        let ldk = node.ldk_writes();
        Ok(NodeMetrics {
            store: node.store_writes(),
            ldk_bytes: ldk.iter().map(|(kind, w)| (kind.clone(), w.bytes)).collect(),
            ldk_writes: ldk.iter().map(|(kind, w)| (kind.clone(), w.writes)).collect(),
            ..NodeMetrics::default()
        })
    }
}
