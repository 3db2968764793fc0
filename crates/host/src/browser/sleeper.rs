//! Waiting in the browser between esplora-client's retries: its default sleeper is tokio's, which does
//! not run in a page or worker. A browser timer is not `Send`; bdk_esplora asks for one that is, so
//! it is wrapped in a `SendWrapper`, which would panic if it ever left its thread (wasm32 has one).

use std::time::Duration;

use blixtra_core::node::chain_source::ChainError;
use blixtra_core::node::esplora_client::{AsyncClient, Builder, Sleeper};
use gloo_timers::future::TimeoutFuture;
use send_wrapper::SendWrapper;

/// Sleeps on the browser's `setTimeout`.
#[derive(Debug, Clone, Copy)]
pub struct GlooSleeper;

impl Sleeper for GlooSleeper {
    type Sleep = SendWrapper<TimeoutFuture>;

    fn sleep(duration: Duration) -> Self::Sleep {
        SendWrapper::new(TimeoutFuture::new(u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)))
    }
}

/// How often esplora-client retries a request the server answered 429, 500 or 503.
const RETRIES: usize = 3;

/// Returns an Esplora client for the browser on `base_url` (e.g. `http://127.0.0.1:3002`).
pub fn esplora(base_url: &str) -> Result<AsyncClient<GlooSleeper>, ChainError> {
    Ok(Builder::new(base_url).max_retries(RETRIES).build_async_with_sleeper::<GlooSleeper>()?)
}
