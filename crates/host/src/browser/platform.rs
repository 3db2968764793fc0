//! The node's platform in the browser: IndexedDB, WebSockets to the proxy, `fetch` (through
//! esplora-client), `setTimeout` and `spawn_local`. Nothing here is `Send`: one thread, one event loop.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use blixtra_core::node::logger::{Level, LogDetail, NodeLogger};
use blixtra_core::node::platform::Platform;
use blixtra_core::node::spawn::TaskSpawner;
use gloo_timers::future::TimeoutFuture;
use send_wrapper::SendWrapper;

use super::sleeper::GlooSleeper;
use super::ws_socket::WsConnector;
use super::IdbStore;

pub struct BrowserPlatform {
    connector: WsConnector,
}

impl BrowserPlatform {
    /// A platform whose peer connections go through the proxy at `proxy_template`
    /// (`ws(s)://HOST/v1/{host}/{port}`).
    pub fn new(proxy_template: &str) -> Self {
        Self { connector: WsConnector::new(proxy_template) }
    }
}

impl Platform for BrowserPlatform {
    type Store = IdbStore;
    type Connector = WsConnector;
    type Sleeper = GlooSleeper;
    type Sleep = SendWrapper<TimeoutFuture>;

    fn now(&self) -> Duration {
        Duration::from_millis(super::now_ms() as u64)
    }

    fn clock(&self) -> fn() -> Duration {
        || Duration::from_millis(super::now_ms() as u64)
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(TimeoutFuture::new(u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)))
    }

    fn spawner(&self) -> TaskSpawner {
        TaskSpawner::new(wasm_bindgen_futures::spawn_local)
    }

    fn connector(&self) -> &WsConnector {
        &self.connector
    }
}

/// LDK's log lines at `min_level` and above, to the browser console (warnings and errors as such);
/// in a release build without ids, amounts or addresses ([`LogDetail::of_this_build`]).
pub fn console_logger(min_level: Level) -> NodeLogger {
    NodeLogger::new(
        min_level,
        LogDetail::of_this_build(),
        Box::new(|level, line| match level {
            Level::Error => web_sys::console::error_1(&line.into()),
            Level::Warn => web_sys::console::warn_1(&line.into()),
            _ => web_sys::console::log_1(&line.into()),
        }),
    )
}

/// Writes the host's own error or warning to the console, redacted in a release build as the node's
/// lines are (a message that failed to parse may hold an invoice or an amount).
pub fn console_problem(level: Level, text: &str) {
    let text = match LogDetail::of_this_build() {
        LogDetail::Full => text.to_owned(),
        LogDetail::Redacted => blixtra_core::node::logger::redact(text),
    };
    match level {
        Level::Error => web_sys::console::error_1(&text.into()),
        _ => web_sys::console::warn_1(&text.into()),
    }
}
