//! The Blixtra devnet: a local regtest chain whose blocks Bitcoin Core's own kernel validates and
//! connects (crate `bitcoinkernel`), mined by this crate, for the wallet's demo and end-to-end tests.
//!
//! Built so far: the chain, the miner, the Esplora index and the mempool. The Esplora HTTP API, the
//! control API and the LDK Node peers are still to come (see ARCHITECTURE.md).

pub mod chain;
pub mod index;
pub mod mempool;
pub mod miner;
pub mod regtest;
