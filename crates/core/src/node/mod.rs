//! The Lightning light node's platform-neutral parts: keys, LDK's wiring and storage over the sealed
//! store, the chain over Esplora, the on-chain wallet, payments. The browser supplies the store,
//! sockets and timers (see [`platform::Platform`]).

pub mod broadcast;
pub mod builder;
pub mod bump;
pub mod chain_sync;
mod events;
pub mod fees;
pub mod keys;
pub mod ldk_store;
pub mod lightning_node;
pub mod logger;
pub mod net;
pub mod onchain;
pub mod payments;
pub mod platform;
pub mod protocol;
pub mod signer;
pub mod spawn;
mod tasks;
pub mod types;

// The wallet's Esplora client, for the browser seam to build with its own sleeper.
pub use esplora_client;

use bitcoin::{Amount, Network};

use self::onchain::OnchainError;
use self::payments::PaymentStatus;

/// What the node refuses or fails at, each with what a person needs to know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "error", content = "detail", rename_all = "snake_case")]
pub enum NodeError {
    #[error("the wallet's storage failed: {0}")]
    Storage(String),
    #[error("the chain server failed: {0}")]
    Chain(String),
    #[error("{0}")]
    Onchain(String),
    #[error("not a valid peer address ({0})")]
    InvalidPeer(String),
    #[error("{0}")]
    PeerUnreachable(String),
    #[error("not a valid Lightning invoice: {0}")]
    InvalidInvoice(String),
    #[error("the invoice is for {invoice}, this wallet is on {wallet}")]
    WrongNetwork { invoice: Network, wallet: Network },
    #[error("the invoice has expired")]
    InvoiceExpired,
    #[error("the invoice has no amount: enter one")]
    AmountNeeded,
    #[error("not enough funds: {needed_msat} msat needed, {available_msat} msat available")]
    InsufficientFunds { needed_msat: u64, available_msat: u64 },
    #[error("this invoice was already paid or is being paid ({0})")]
    AlreadyPaid(PaymentStatus),
    #[error("the payment failed: {0}")]
    PaymentFailed(String),
    #[error("a channel of {requested} is above this wallet's maximum of {max}")]
    ChannelTooLarge { requested: Amount, max: Amount },
    #[error("there is no channel {0}")]
    UnknownChannel(String),
    #[error("Lightning refused: {0}")]
    Refused(String),
    #[error("the node has stopped")]
    Stopped,
}

impl From<OnchainError> for NodeError {
    fn from(error: OnchainError) -> Self {
        match error {
            OnchainError::InsufficientFunds { needed, available } => {
                NodeError::InsufficientFunds { needed_msat: needed.to_sat() * 1000, available_msat: available.to_sat() * 1000 }
            }
            other => NodeError::Onchain(other.to_string()),
        }
    }
}
