//! The Lightning light node's platform-neutral parts: keys, LDK's storage over the sealed store.
//! The browser supplies the store, sockets and timers.

pub mod broadcast;
pub mod chain_sync;
pub mod fees;
pub mod keys;
pub mod ldk_store;
pub mod onchain;

// The wallet's Esplora client, for the browser seam to build with its own sleeper.
pub use esplora_client;
