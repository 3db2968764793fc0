//! Blixtra's end-to-end harness: the built app served on loopback ([`server`]), headless Chromium driven
//! through chromedriver ([`browser`]), waits and screenshots on top of WebDriver ([`ui`]), and the
//! devnet's control API ([`devnet`]), the UI flows a person goes through ([`steps`]). The test's
//! scenarios are `tests/wallet_ui.rs`; the benchmark ([`bench`], `cargo xtask bench`) runs on the same
//! pieces.

pub mod bench;
pub mod browser;
pub mod devnet;
pub mod extension;
pub mod server;
pub mod steps;
pub mod ui;
pub mod webln_site;

use std::time::Duration;

/// What went wrong in a run, named so that the failure says which step and what it waited for.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{name} is not set: {hint}")]
    MissingEnv { name: &'static str, hint: &'static str },
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("{what}: {source}")]
    WebDriver { what: String, source: Box<thirtyfour::error::WebDriverError> },
    #[error("timed out after {after:?} waiting for {what}{}", last_error.as_ref().map(|e| format!(" (last error: {e})")).unwrap_or_default())]
    Timeout { what: String, after: Duration, last_error: Option<String> },
    #[error("devnet {what}: {detail}")]
    Devnet { what: String, detail: String },
    #[error("{what} was not as expected: {detail}")]
    Unexpected { what: String, detail: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with what was being done.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }

    /// Wraps a WebDriver error with what was being done.
    pub fn webdriver(what: impl Into<String>) -> impl FnOnce(thirtyfour::error::WebDriverError) -> Error {
        let what = what.into();
        move |source| Error::WebDriver { what, source: Box::new(source) }
    }
}

/// Returns a loopback port nothing listens on now, for a process that must be told its port.
pub fn free_loopback_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(Error::io("finding a free loopback port"))?;
    Ok(listener.local_addr().map_err(Error::io("finding a free loopback port"))?.port())
}
