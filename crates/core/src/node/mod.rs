//! The Lightning light node's platform-neutral parts: keys, LDK's wiring and storage over the sealed
//! store, the chain over Esplora, the on-chain wallet, payments. The browser supplies the store,
//! sockets and timers (see [`platform::Platform`]).

pub mod backups;
pub mod broadcast;
pub mod builder;
pub mod bump;
mod chain;
pub mod chain_source;
pub mod chain_sync;
pub mod channel_checks;
pub mod channel_recovery;
mod channels;
pub mod closed_safely;
pub mod error;
pub mod events;
pub mod fees;
pub mod header_chain;
pub mod key_derivation;
pub mod ldk_store;
mod lifecycle;
pub mod lightning_node;
pub mod liquidity;
pub mod logger;
pub mod lsp_requests;
pub mod net;
pub mod onchain;
pub mod payment;
pub mod payment_code_handlers;
mod peers;
pub mod platform;
pub mod signer;
pub mod signing;
pub mod spawn;
mod tasks;
pub mod types;

// The wallet's Esplora client, for the browser seam to build with its own sleeper.
pub use esplora_client;

pub use self::error::NodeError;
