//! The Blixtra devnet: a local Lightning network for the wallet's demo and end-to-end tests. A regtest
//! chain whose blocks Bitcoin Core's own kernel validates and connects (crate `bitcoinkernel`), mined
//! and indexed by this crate and served over the Esplora API; two LDK Node peers, hub and shop, with a
//! channel between them (and on request a third, the anchor, for benchmarks); a control API; and the
//! WebSocket proxy (crate `blixtra-proxy`) in-process.

pub mod bench;
pub mod bring_up;
pub mod chain;
pub mod control;
pub mod esplora;
pub mod events;
pub mod faucet;
pub mod index;
pub mod mempool;
pub mod miner;
pub mod peer_api;
pub mod peers;
pub mod regtest;
