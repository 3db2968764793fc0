//! What the node refuses or fails at, as data: each variant says what happened and carries what a
//! person needs to know (amounts, networks, which record), never a library's `Debug` text. The UI
//! turns each into a sentence in its language; `Display` is the English one, for logs and tests.
//! Everything here crosses the UI protocol as JSON.

use bitcoin::{Amount, Network};
use lightning::events::PaymentFailureReason;
use lightning::ln::channelmanager::{Bolt11PaymentError, RetryableSendFailure};
use lightning::util::errors::APIError;
use serde::{Deserialize, Serialize};

use super::chain_source::{ChainError, ChainProblem, HeaderProblem};
use super::onchain::OnchainError;
use super::payment::record::PaymentStatus;
use crate::store::sealed::SealedError;
use crate::store::StoreError;

/// What the node refuses or fails at, each with what a person needs to know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "error", content = "detail", rename_all = "snake_case")]
pub enum NodeError {
    #[error("the wallet's storage failed: {0}")]
    Storage(StorageFault),
    #[error("the chain server failed: {0}")]
    Chain(ChainFault),
    #[error("{0}")]
    Onchain(OnchainFault),
    #[error("not a valid peer address ({0}): expected node_id@host:port")]
    InvalidPeer(PeerAddressProblem),
    #[error("{node_id} could not be reached: {failure}")]
    PeerUnreachable { node_id: String, failure: PeerFailure },
    #[error("not a valid Lightning invoice: {0}")]
    InvalidInvoice(InvoiceProblem),
    #[error("the invoice is for {invoice}, this wallet is on {wallet}")]
    WrongNetwork { invoice: Network, wallet: Network },
    #[error("the invoice has expired")]
    InvoiceExpired,
    #[error("the invoice has no amount: enter one")]
    AmountNeeded,
    /// A payment of nothing (a keysend names its amount itself).
    #[error("the amount must be more than zero")]
    ZeroAmount,
    #[error("the destination is not a node id (66 hex digits of a public key)")]
    InvalidDestination,
    /// A keysend to this wallet's own node: it would move nothing, and LDK finds no route to itself.
    #[error("the destination is this wallet's own node")]
    PayingSelf,
    #[error("{0}")]
    InvalidCustomRecord(CustomRecordProblem),
    #[error("not enough funds: {needed_msat} msat needed, {available_msat} msat available")]
    InsufficientFunds { needed_msat: u64, available_msat: u64 },
    #[error("this invoice was already paid or is being paid ({0})")]
    AlreadyPaid(PaymentStatus),
    #[error("the payment failed: {0}")]
    PaymentFailed(PaymentFailure),
    #[error("a channel of {requested} is above this wallet's maximum of {max}")]
    ChannelTooLarge { requested: Amount, max: Amount },
    #[error("there is no channel {channel_id}")]
    UnknownChannel { channel_id: String },
    #[error("Lightning refused: {0}")]
    Refused(Refusal),
    #[error("the node has stopped")]
    Stopped,
    /// A caller the node does not take this command from (a website, by its origin).
    #[error("{origin} may not ask this of the wallet")]
    NotPermitted { origin: String },
    /// A website's prompt that was answered already, or that expired.
    #[error("the website's question was answered already or has expired")]
    PromptGone,
    #[error("“{origin}” is not a website's address (https://… or http://…)")]
    NotAWebsite { origin: String },
    /// Buying a channel from the Lightning Service Provider failed.
    #[error("the channel provider: {0}")]
    Lsp(LspFault),
    /// The payment code that works while the wallet is closed is not there.
    #[error("the payment code: {0}")]
    PaymentCode(PaymentCodeFault),
}

impl From<LspFault> for NodeError {
    fn from(fault: LspFault) -> Self {
        NodeError::Lsp(fault)
    }
}

/// Why there is no payment code (a BOLT12 offer whose static invoice a server gives payers while the
/// wallet is closed; see [`crate::node::payment::payment_code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum PaymentCodeFault {
    /// No server for it is set in the settings.
    #[error("no server for it is set in the settings")]
    NotSet,
    #[error("its server could not be reached ({detail})")]
    ServerUnreachable { detail: String },
    /// The server answered with an error (its HTTP status and first words).
    #[error("its server refused ({detail})")]
    Refused { detail: String },
    /// The server answered something that is not a set of paths to it.
    #[error("its server's answer is not valid ({detail})")]
    BadAnswer { detail: String },
    /// Set up with the server but not ready yet: the wallet needs a usable channel, and the server
    /// must have stored the wallet's static invoice (a few seconds once both are online).
    #[error("it is being set up with its server, which needs a usable channel")]
    NotReady,
}

/// What went wrong buying a just-in-time channel from the Lightning Service Provider (LSPS2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum LspFault {
    /// No provider is set in the settings.
    #[error("none is set in the settings")]
    NotSet,
    #[error("it could not be reached: {failure}")]
    Unreachable { failure: PeerFailure },
    #[error("it did not answer within {secs} s")]
    NoAnswer { secs: u64 },
    /// It answered with an error of its own (LSPS's code and message).
    #[error("it refused: {message} ({code})")]
    Refused { code: i32, message: String },
    /// Every offer on its menu has expired (or soon will).
    #[error("it offers no price that is still valid")]
    NoValidOffer,
    #[error("it opens channels for payments from {min_msat} to {max_msat} msat only")]
    AmountOutOfRange { min_msat: u64, max_msat: u64 },
    #[error("its fee of {fee_msat} msat would take all of the {amount_msat} msat")]
    FeeAboveAmount { fee_msat: u64, amount_msat: u64 },
    /// Its price rose since the person agreed to one: nothing was bought.
    /// It lets a client make it wait at most `max_blocks` after a force close of its own, less than
    /// the wallet asks of every peer (`ours`, so that a closed browser has time to punish a cheat).
    #[error("it allows the wallet to ask for at most {max_blocks} blocks after a force close, not {ours}")]
    DelayTooShort { max_blocks: u32, ours: u32 },
    #[error("its fee is now {asked_msat} msat, not the {agreed_msat} msat agreed")]
    FeeChanged { agreed_msat: u64, asked_msat: u64 },
    #[error("its answer is not valid ({detail})")]
    BadAnswer { detail: String },
}

/// What went wrong with the wallet's storage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum StorageFault {
    /// The browser's storage cannot be opened (private mode, blocked by a setting).
    #[error("storage is unavailable: {reason}")]
    Unavailable { reason: String },
    #[error("storage is full")]
    QuotaExceeded,
    /// The backing store failed; `message` is the store's own (a browser's `DOMException`).
    #[error("{operation} failed: {message}")]
    Backend { operation: String, message: String },
    /// A sealed record of this kind does not open: changed or damaged outside the wallet.
    #[error("a stored {kind} record failed its integrity check")]
    Integrity { kind: String },
    /// A record opened but its contents are not what this version of the wallet writes.
    #[error("a stored {kind} record cannot be read")]
    Unreadable { kind: String },
    /// Channel monitors are stored without the channel manager that goes with them.
    #[error("{monitors} channel monitors are stored but no channel manager: restore from a backup of the whole wallet")]
    ManagerMissing { monitors: usize },
    /// The stored channel manager does not go with its monitors; nothing was changed.
    #[error("the stored channel manager cannot be used with its channel monitors; nothing was changed")]
    ManagerStale,
}

/// What went wrong with the chain server (Esplora).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum ChainFault {
    /// No answer: the server is down, the address is wrong, or the network is.
    #[error("no answer ({detail})")]
    Unreachable { detail: String },
    /// The server answered with an HTTP error status.
    #[error("it answered HTTP {status}")]
    Status { status: u16 },
    /// The server answered, but not with what Esplora sends.
    #[error("its answer is not valid ({detail})")]
    BadAnswer { detail: String },
    /// The server says the chain is not what the node's headers say.
    #[error("its chain does not match what the wallet checked ({detail})")]
    Inconsistent { detail: String },
    /// The server sent a header no miner made: its answers are not used.
    #[error("it sent a forged block header ({problem})")]
    ForgedHeader { problem: HeaderProblem },
    /// The server's headers do not make a chain the wallet may follow: its answers are not used.
    #[error("its chain is refused ({problem})")]
    ChainRefused { problem: ChainProblem },
    /// The two chain servers disagree on whether a transaction (or a spend of a channel's output) is
    /// confirmed: one of them hides it or made it up. It is not used until they agree.
    #[error("the two chain servers disagree on transaction {txid}")]
    ServersDisagree { txid: String },
    /// The second chain server failed as `fault` says: what the first one confirms waits for it.
    #[error("the second chain server: {cause}")]
    SecondServer { cause: Box<ChainFault> },
    /// The first chain server is this many blocks behind the second: it may be hiding blocks.
    #[error("the first chain server is {blocks} blocks behind the second")]
    FirstServerBehind { blocks: u32 },
    /// The second chain server is this many blocks behind the first: what it has not seen waits.
    #[error("the second chain server is {blocks} blocks behind")]
    SecondServerBehind { blocks: u32 },
    /// The server refused a transaction of the wallet's.
    #[error("it refused the transaction ({reason})")]
    Refused { reason: String },
    #[error("the server address cannot be used ({detail})")]
    BadUrl { detail: String },
}

impl From<&esplora_client::Error> for ChainFault {
    fn from(error: &esplora_client::Error) -> Self {
        use esplora_client::Error as E;
        match error {
            E::HttpResponse { status, .. } => ChainFault::Status { status: *status },
            E::Reqwest(e) => ChainFault::Unreachable { detail: without_debug(&e.to_string()) },
            E::Parsing(e) => ChainFault::BadAnswer { detail: e.to_string() },
            E::BitcoinEncoding(e) => ChainFault::BadAnswer { detail: e.to_string() },
            E::HexToArray(e) => ChainFault::BadAnswer { detail: e.to_string() },
            E::HexToBytes(e) => ChainFault::BadAnswer { detail: e.to_string() },
            E::TransactionNotFound(txid) => ChainFault::Inconsistent { detail: format!("transaction {txid} not found") },
            E::HeaderHeightNotFound(height) => ChainFault::Inconsistent { detail: format!("no block at height {height}") },
            E::HeaderHashNotFound(hash) => ChainFault::Inconsistent { detail: format!("no block {hash}") },
            E::InvalidHttpHeaderName(name) | E::InvalidHttpHeaderValue(name) => ChainFault::BadUrl { detail: name.clone() },
            E::StatusCode(_) | E::InvalidResponse => ChainFault::BadAnswer { detail: "an unreadable HTTP answer".to_owned() },
        }
    }
}

impl From<ChainError> for ChainFault {
    fn from(error: ChainError) -> Self {
        match error {
            ChainError::Unreachable(detail) => ChainFault::Unreachable { detail },
            ChainError::Http { status, .. } => ChainFault::Status { status },
            ChainError::Malformed(detail) => ChainFault::BadAnswer { detail },
            ChainError::Inconsistent(detail) => ChainFault::Inconsistent { detail },
            ChainError::ForgedHeader { problem, .. } => ChainFault::ForgedHeader { problem },
            ChainError::ChainRefused(problem) => ChainFault::ChainRefused { problem },
        }
    }
}

impl From<esplora_client::Error> for NodeError {
    fn from(error: esplora_client::Error) -> Self {
        NodeError::Chain(ChainFault::from(&error))
    }
}

/// Keeps the first line of a transport error's text: some add their internal state after it.
fn without_debug(text: &str) -> String {
    text.lines().next().unwrap_or(text).to_owned()
}

/// What the on-chain wallet refused or failed at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum OnchainFault {
    #[error("not a bitcoin address ({detail})")]
    InvalidAddress { detail: String },
    #[error("the address is for {found}, this wallet is on {expected}")]
    WrongNetwork { expected: Network, found: String },
    #[error("the amount is below the dust limit: too small to send on chain")]
    Dust,
    #[error("{sat_per_vb} sat/vB is not a usable fee rate")]
    FeeRate { sat_per_vb: u64 },
    #[error("the transaction cannot be built ({detail})")]
    Build { detail: String },
    /// The stored on-chain wallet is damaged or belongs to other keys.
    #[error("the stored on-chain wallet cannot be used ({detail})")]
    Stored { detail: String },
    #[error("the wallet's address cannot receive a channel's funds")]
    CloseAddress,
    /// The fee is above the person's cap for what the transaction moves.
    #[error("the fee of {fee_sat} sats is above the cap of {cap_sat} sats")]
    FeeAboveCap { fee_sat: u64, cap_sat: u64 },
}

impl From<OnchainError> for NodeError {
    fn from(error: OnchainError) -> Self {
        match error {
            OnchainError::InsufficientFunds { needed, available } => {
                NodeError::InsufficientFunds { needed_msat: msat(needed), available_msat: msat(available) }
            }
            OnchainError::Store(e) => e.into(),
            OnchainError::Chain(detail) => NodeError::Chain(ChainFault::Unreachable { detail }),
            OnchainError::Corrupt(detail) | OnchainError::Mismatch(detail) => NodeError::Onchain(OnchainFault::Stored { detail }),
            OnchainError::InvalidAddress(detail) => NodeError::Onchain(OnchainFault::InvalidAddress { detail }),
            OnchainError::WrongNetwork { expected, found } => NodeError::Onchain(OnchainFault::WrongNetwork { expected, found }),
            OnchainError::Dust => NodeError::Onchain(OnchainFault::Dust),
            OnchainError::Build(detail) => NodeError::Onchain(OnchainFault::Build { detail }),
            OnchainError::FeeAboveCap { fee, cap } => NodeError::Onchain(OnchainFault::FeeAboveCap { fee_sat: fee.to_sat(), cap_sat: cap.to_sat() }),
        }
    }
}

/// Millisatoshis in `amount`, saturating (no amount of bitcoin reaches the limit, a hostile input might).
pub fn msat(amount: Amount) -> u64 {
    amount.to_sat().saturating_mul(1000)
}

impl From<SealedError> for NodeError {
    fn from(error: SealedError) -> Self {
        NodeError::Storage(error.into())
    }
}

impl From<SealedError> for StorageFault {
    fn from(error: SealedError) -> Self {
        match error {
            SealedError::Integrity { kind } => StorageFault::Integrity { kind },
            SealedError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for StorageFault {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable { reason } => StorageFault::Unavailable { reason },
            StoreError::QuotaExceeded => StorageFault::QuotaExceeded,
            StoreError::AlreadyExists { .. } => StorageFault::Backend { operation: "insert".to_owned(), message: "the record exists".to_owned() },
            StoreError::Backend { operation, message } => StorageFault::Backend { operation: operation.to_owned(), message },
        }
    }
}

/// What is wrong with a peer address as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerAddressProblem {
    #[error("no '@'")]
    NoAt,
    #[error("the node id is not a public key")]
    NodeId,
    #[error("no port")]
    NoPort,
    #[error("the port is not a number")]
    Port,
    #[error("no host")]
    NoHost,
}

/// Why a peer could not be reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "failure", rename_all = "snake_case")]
pub enum PeerFailure {
    /// The connection could not be opened (the proxy, or the network, refused).
    #[error("the connection failed ({detail})")]
    Connect { detail: String },
    /// LDK refused to start a connection to it (already connecting, or our own id).
    #[error("the connection was refused")]
    Refused,
    /// The connection closed before the handshake finished.
    #[error("the connection closed ({reason})")]
    Closed { reason: String },
    #[error("no handshake within {secs} s")]
    HandshakeTimeout { secs: u64 },
}

/// What is wrong with an invoice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum InvoiceProblem {
    /// Not readable as BOLT11; `detail` is the decoder's reason (checksum, length, …).
    #[error("{detail}")]
    Unreadable { detail: String },
    #[error("the description cannot be used")]
    Description,
    /// LDK could not make an invoice (no keys for it yet, an expiry out of range).
    #[error("the invoice cannot be made")]
    CannotMake,
}

/// What is wrong with the custom records (TLVs) a keysend would carry to its payee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum CustomRecordProblem {
    /// Types below 2^16 are the protocol's own (BOLT 4): only its fields go there.
    #[error("custom record type {record_type} is below 65536, the range reserved for the protocol")]
    Reserved { record_type: u64 },
    /// 5482373484 carries a keysend's preimage, which the wallet sets itself.
    #[error("custom record type 5482373484 is keysend's own: it carries the preimage, which the wallet sets")]
    KeysendPreimage,
    /// 77777 carries async payments' invoice requests (LDK refuses it).
    #[error("custom record type 77777 is taken by the protocol (async payments' invoice requests)")]
    AsyncPayments,
    #[error("custom record type {record_type} is given twice")]
    Duplicate { record_type: u64 },
    #[error("{count} custom records: at most {max} are sent with a payment")]
    TooMany { count: usize, max: usize },
    /// The records travel in the payment's onion, which has room for the whole route.
    #[error("the custom records' values are {bytes} bytes together: at most {max} fit in a payment")]
    TooLarge { bytes: usize, max: usize },
}

/// Why a payment failed, as LDK reports it, or why it was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentFailure {
    #[error("the recipient refused it")]
    RecipientRejected,
    #[error("every route tried failed")]
    RetriesExhausted,
    #[error("it expired before it could be completed")]
    Expired,
    #[error("no route to the recipient was found")]
    NoRoute,
    #[error("the recipient needs features this wallet lacks")]
    UnknownRequiredFeatures,
    #[error("it was abandoned")]
    Abandoned,
    #[error("the amount does not fit the invoice")]
    InvalidAmount,
    #[error("the route is too long for one payment")]
    RouteTooLong,
    /// An earlier attempt of this payment is still in LDK's memory (for a few minutes after it
    /// ended): the same payment cannot be sent again until then.
    #[error("its last attempt is still being settled: try again in a few minutes")]
    LastAttemptUnsettled,
    /// A payment to this wallet through a just-in-time channel from which the provider kept more
    /// than the fee agreed: refused, it goes back to the payer.
    #[error("the channel provider kept {taken_msat} msat of it, more than the {agreed_msat} msat agreed")]
    ProviderFeeAboveAgreed { agreed_msat: u64, taken_msat: u64 },
    #[error("an unexpected error")]
    Unexpected,
}

impl From<Option<PaymentFailureReason>> for PaymentFailure {
    fn from(reason: Option<PaymentFailureReason>) -> Self {
        use PaymentFailureReason as R;
        match reason {
            Some(R::RecipientRejected) => PaymentFailure::RecipientRejected,
            Some(R::UserAbandoned) => PaymentFailure::Abandoned,
            Some(R::RetriesExhausted) => PaymentFailure::RetriesExhausted,
            Some(R::PaymentExpired | R::InvoiceRequestExpired) => PaymentFailure::Expired,
            Some(R::RouteNotFound) => PaymentFailure::NoRoute,
            Some(R::UnknownRequiredFeatures) => PaymentFailure::UnknownRequiredFeatures,
            Some(R::UnexpectedError | R::InvoiceRequestRejected | R::BlindedPathCreationFailed) | None => PaymentFailure::Unexpected,
        }
    }
}

impl From<Bolt11PaymentError> for PaymentFailure {
    fn from(error: Bolt11PaymentError) -> Self {
        match error {
            Bolt11PaymentError::InvalidAmount => PaymentFailure::InvalidAmount,
            Bolt11PaymentError::SendingFailed(failure) => failure.into(),
        }
    }
}

impl From<RetryableSendFailure> for PaymentFailure {
    fn from(failure: RetryableSendFailure) -> Self {
        match failure {
            RetryableSendFailure::PaymentExpired => PaymentFailure::Expired,
            RetryableSendFailure::RouteNotFound => PaymentFailure::NoRoute,
            RetryableSendFailure::DuplicatePayment => PaymentFailure::LastAttemptUnsettled,
            RetryableSendFailure::OnionPacketSizeExceeded => PaymentFailure::RouteTooLong,
        }
    }
}

/// What LDK refused to do with a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    /// The request does not fit the channel's state (LDK's API misuse).
    #[error("the request does not fit the channel's state")]
    NotNow,
    #[error("the fee rate of {sat_per_kw} sat per 1000 weight is too high")]
    FeeRateTooHigh { sat_per_kw: u32 },
    #[error("the route cannot be used")]
    InvalidRoute,
    /// The channel or the peer is not available (not connected, closing, unknown).
    #[error("the channel or its peer is not available")]
    ChannelUnavailable,
    #[error("a channel update is still being stored")]
    UpdateInProgress,
    #[error("the peer cannot close to this wallet's address")]
    IncompatibleShutdownScript,
    /// The wallet's state of the channel may be old (restored from a backup) and its peer has not
    /// yet shown otherwise: broadcasting it could hand the peer the whole channel.
    #[error("this channel's state came from a backup and its peer has not yet confirmed it is the latest")]
    ChannelStateUnconfirmed,
}

impl Refusal {
    /// Returns the refusal for LDK's `error`, and LDK's own words for the log.
    pub fn from_api(error: &APIError) -> (Refusal, String) {
        let refusal = match error {
            APIError::APIMisuseError { .. } => Refusal::NotNow,
            APIError::FeeRateTooHigh { feerate, .. } => Refusal::FeeRateTooHigh { sat_per_kw: *feerate },
            APIError::InvalidRoute { .. } => Refusal::InvalidRoute,
            APIError::ChannelUnavailable { .. } => Refusal::ChannelUnavailable,
            APIError::MonitorUpdateInProgress => Refusal::UpdateInProgress,
            APIError::IncompatibleShutdownScript { .. } => Refusal::IncompatibleShutdownScript,
        };
        (refusal, format!("{error:?}"))
    }
}
