//! Debian's Chromium driven through Debian's chromedriver: the driver on a free loopback port, one
//! headless session with the flags of the workspace's `webdriver.json` (the ones `wasm-pack test` uses)
//! and a fresh profile directory, so IndexedDB starts empty and lasts across reloads.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use thirtyfour::prelude::*;
use thirtyfour::{ChromeCapabilities, LoggingPrefsLogLevel};

use crate::{free_loopback_port, Error, Result};

/// Chromium's flags, shared with the wasm-pack browser tests.
const WEBDRIVER_JSON: &str = include_str!("../../../webdriver.json");

/// Where the browser and its driver are, and how long each WebDriver request may take.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    pub chromedriver: PathBuf,
    /// Overrides `webdriver.json`'s binary.
    pub chromium: Option<PathBuf>,
    /// The window size the session starts with.
    pub window: (u32, u32),
    /// Bounds each WebDriver call, so a hung browser fails the run instead of stalling it.
    pub request_timeout: Duration,
    /// Bounds chromedriver's start.
    pub start_within: Duration,
    /// Flags beyond `webdriver.json`'s (an unpacked extension to load, say).
    pub extra_args: Vec<String>,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        BrowserOptions {
            chromedriver: PathBuf::from("/usr/bin/chromedriver"),
            chromium: None,
            window: (1280, 900),
            request_timeout: Duration::from_secs(60),
            start_within: Duration::from_secs(30),
            extra_args: Vec::new(),
        }
    }
}

/// A running chromedriver. Dropping it kills its process group: the driver and any Chromium it
/// started, even when the session was not quit (a failed or panicking test).
pub struct Chromedriver {
    child: Child,
    /// Its base URL, e.g. `http://127.0.0.1:41235`.
    pub url: String,
}

impl Chromedriver {
    /// Starts `program` on a free loopback port and returns once it says it is ready.
    pub async fn start(program: &Path, within: Duration) -> Result<Self> {
        let port = free_loopback_port()?;
        let child = Command::new(program)
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".to_owned(), "--log-level=WARNING".to_owned()])
            // Its own process group, so that drop can stop Chromium with it.
            .process_group(0)
            .stdout(Stdio::null())
            .spawn()
            .map_err(Error::io(format!("starting {}", program.display())))?;
        let driver = Chromedriver { child, url: format!("http://127.0.0.1:{port}") };
        driver.wait_until_ready(within).await?;
        Ok(driver)
    }

    async fn wait_until_ready(&self, within: Duration) -> Result<()> {
        let status_url = format!("{}/status", self.url);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| Error::Unexpected { what: "an HTTP client".into(), detail: e.to_string() })?;
        let deadline = Instant::now() + within;
        let mut last_error = None;
        while Instant::now() < deadline {
            match client.get(&status_url).send().await {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) => last_error = Some(format!("status {}", response.status())),
                Err(e) => last_error = Some(e.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(Error::Timeout { what: format!("chromedriver at {status_url}"), after: within, last_error })
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The group's id is the driver's pid (`process_group(0)`); `kill` reaches Chromium too.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One Chromium session with its own profile; [`Browser::quit`] ends it, drop kills it.
pub struct Browser {
    pub driver: WebDriver,
    // Dropped after the driver: the profile is deleted once Chromium is gone.
    _chromedriver: Chromedriver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session with a fresh profile.
    pub async fn start(options: &BrowserOptions) -> Result<Self> {
        let profile = tempfile::Builder::new().prefix("blixtra-e2e-profile-").tempdir().map_err(Error::io("creating a browser profile directory"))?;
        let chromedriver = Chromedriver::start(&options.chromedriver, options.start_within).await?;
        let capabilities = capabilities(options, profile.path())?;
        let driver = WebDriver::builder(chromedriver.url.clone(), capabilities)
            .request_timeout(options.request_timeout)
            .await
            .map_err(Error::webdriver("starting a Chromium session"))?;
        Ok(Browser { driver, _chromedriver: chromedriver, _profile: profile })
    }

    /// Returns the page's console lines since the last call (what a failed run prints).
    pub async fn console(&self) -> Result<Vec<String>> {
        let entries = self.driver.browser_log().await.map_err(Error::webdriver("reading the browser's console"))?;
        Ok(entries.into_iter().map(|entry| format!("{} {}", entry.level, entry.message)).collect())
    }

    /// Ends the session (Chromium exits), then chromedriver.
    pub async fn quit(self) -> Result<()> {
        let Browser { driver, _chromedriver, _profile } = self;
        driver.quit().await.map_err(Error::webdriver("ending the Chromium session"))
    }
}

/// Returns Chrome's capabilities: `webdriver.json`'s binary and flags, a window size and the profile.
fn capabilities(options: &BrowserOptions, profile: &Path) -> Result<ChromeCapabilities> {
    let (binary, flags) = webdriver_json_flags()?;
    let mut caps = DesiredCapabilities::chrome();
    let binary = options.chromium.as_ref().map_or(binary, |path| path.display().to_string());
    let extra = [format!("--window-size={},{}", options.window.0, options.window.1), format!("--user-data-dir={}", profile.display())];
    let set = |caps: &mut ChromeCapabilities| -> WebDriverResult<()> {
        caps.set_binary(&binary)?;
        // The page's console, for the report of a failed run (`Browser::console`).
        caps.set_browser_log_level(LoggingPrefsLogLevel::All)?;
        for flag in flags.iter().chain(&extra).chain(&options.extra_args) {
            caps.add_arg(flag)?;
        }
        Ok(())
    };
    set(&mut caps).map_err(Error::webdriver("setting Chromium's capabilities"))?;
    Ok(caps)
}

/// Returns the Chromium binary and flags that `webdriver.json` names.
fn webdriver_json_flags() -> Result<(String, Vec<String>)> {
    let unexpected = |detail: &str| Error::Unexpected { what: "webdriver.json".into(), detail: detail.to_owned() };
    let json: serde_json::Value = serde_json::from_str(WEBDRIVER_JSON).map_err(|e| unexpected(&e.to_string()))?;
    let options = &json["goog:chromeOptions"];
    let binary = options["binary"].as_str().ok_or_else(|| unexpected("no goog:chromeOptions.binary"))?;
    let flags = options["args"].as_array().ok_or_else(|| unexpected("no goog:chromeOptions.args"))?;
    let flags =
        flags.iter().map(|f| f.as_str().map(str::to_owned).ok_or_else(|| unexpected("a flag that is not a string"))).collect::<Result<_>>()?;
    Ok((binary.to_owned(), flags))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wasm_pack_flags_are_read_from_webdriver_json() {
        let (binary, flags) = webdriver_json_flags().expect("webdriver.json parses");
        assert_eq!(binary, "/usr/bin/chromium");
        assert!(flags.iter().any(|f| f == "--headless=new"), "{flags:?}");
        assert!(flags.iter().any(|f| f == "--no-first-run"), "{flags:?}");
    }
}
