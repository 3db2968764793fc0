//! The Blixtra devnet: a local regtest chain whose blocks Bitcoin Core's own kernel validates and
//! connects (crate `bitcoinkernel`), mined by this crate, for the wallet's demo and end-to-end tests.
//!
//! Built so far: the chain, the miner, the index, the mempool and the Esplora HTTP API. The control
//! API, the one command that starts the devnet, and the LDK Node peers are still to come.

pub mod chain;
pub mod control;
pub mod esplora;
pub mod faucet;
pub mod index;
pub mod mempool;
pub mod miner;
pub mod regtest;
