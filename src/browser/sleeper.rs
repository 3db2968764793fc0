//! Waiting in the browser between esplora-client's retries: its default sleeper is tokio's, which does
//! not run in a page or worker. `Send` does not matter here: a timer future lives on one thread.

use std::time::Duration;

use blixtra_core::node::chain_sync::ChainError;
use blixtra_core::node::esplora_client::{AsyncClient, Builder, Sleeper};
use gloo_timers::future::TimeoutFuture;

/// Sleeps on the browser's `setTimeout`.
#[derive(Debug, Clone, Copy)]
pub struct GlooSleeper;

impl Sleeper for GlooSleeper {
    type Sleep = TimeoutFuture;

    fn sleep(duration: Duration) -> Self::Sleep {
        TimeoutFuture::new(u32::try_from(duration.as_millis()).unwrap_or(u32::MAX))
    }
}

/// How often esplora-client retries a request the server answered 429, 500 or 503.
const RETRIES: usize = 3;

/// Returns an Esplora client for the browser on `base_url` (e.g. `http://127.0.0.1:3002`).
pub fn esplora(base_url: &str) -> Result<AsyncClient<GlooSleeper>, ChainError> {
    Ok(Builder::new(base_url).max_retries(RETRIES).build_async_with_sleeper::<GlooSleeper>()?)
}
