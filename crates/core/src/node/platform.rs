//! What the node needs from the platform it runs on, in one trait: the browser implements it with
//! IndexedDB, WebSockets to the proxy, `fetch` and `setTimeout`; native tests with memory and pipes.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::net::Connector;
use super::spawn::TaskSpawner;
use crate::store::KvStore;

pub trait Platform: 'static {
    type Store: KvStore + 'static;
    type Connector: Connector + 'static;
    /// esplora-client's waits between retries. bdk_esplora asks for `Send` here (see the browser's).
    type Sleeper: esplora_client::Sleeper<Sleep = Self::Sleep> + Clone + Send + Sync;
    type Sleep: Future<Output = ()> + Send;

    /// Returns the wall-clock time since the Unix epoch (`std::time` panics in wasm32).
    fn now(&self) -> Duration;

    /// The same clock as [`Platform::now`], as a function a part of the node can keep (the LSP
    /// client's time provider).
    fn clock(&self) -> fn() -> Duration;

    /// Returns a future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()>>>;

    /// Returns the executor for background tasks.
    fn spawner(&self) -> TaskSpawner;

    fn connector(&self) -> &Self::Connector;
}

/// The platform's wall clock ([`Platform::clock`]) as `lightning-liquidity` asks for one: its own
/// reads `std::time`, which panics in wasm32.
pub struct LspClock(pub fn() -> Duration);

impl lightning_liquidity::utils::time::TimeProvider for LspClock {
    fn duration_since_epoch(&self) -> Duration {
        (self.0)()
    }
}
