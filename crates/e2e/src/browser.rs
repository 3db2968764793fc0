//! Debian's Chromium driven through Debian's chromedriver, or Debian's Firefox ESR through geckodriver:
//! the driver on a free loopback port, one headless session with the binary and flags of the
//! workspace's `webdriver.json` (the ones `wasm-pack test` uses) and a fresh profile, so IndexedDB
//! starts empty and lasts across reloads.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use thirtyfour::common::capabilities::firefox::FirefoxPreferences;
use thirtyfour::prelude::*;
use thirtyfour::{Capabilities, ChromeCapabilities, FirefoxCapabilities, LoggingPrefsLogLevel};

use crate::{free_loopback_port, Error, Result};

/// Chromium's flags, shared with the wasm-pack browser tests.
const WEBDRIVER_JSON: &str = include_str!("../../../webdriver.json");

/// The browsers the tests drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserKind {
    Chromium,
    Firefox,
}

impl BrowserKind {
    pub fn name(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "chromium",
            BrowserKind::Firefox => "firefox",
        }
    }
}

/// Where the browser and its driver are, and how long each WebDriver request may take.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    pub kind: BrowserKind,
    pub chromedriver: PathBuf,
    pub geckodriver: PathBuf,
    /// Overrides `webdriver.json`'s binary.
    pub chromium: Option<PathBuf>,
    /// The window size the session starts with.
    pub window: (u32, u32),
    /// Bounds each WebDriver call, so a hung browser fails the run instead of stalling it.
    pub request_timeout: Duration,
    /// Bounds chromedriver's start.
    pub start_within: Duration,
    /// Chromium's flags beyond `webdriver.json`'s (an unpacked extension to load, say).
    pub extra_args: Vec<String>,
    /// Firefox's preferences beyond the driver's own (the extension's fixed internal id, say).
    pub firefox_prefs: Vec<(String, serde_json::Value)>,
    /// The driver's flags beyond the port's and the log's (geckodriver's `--allow-system-access`, say).
    pub driver_args: Vec<String>,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        BrowserOptions {
            kind: BrowserKind::Chromium,
            chromedriver: PathBuf::from("/usr/bin/chromedriver"),
            // Installed by `cargo xtask setup` under ~/.cargo/bin.
            geckodriver: PathBuf::from("geckodriver"),
            chromium: None,
            window: (1280, 900),
            request_timeout: Duration::from_secs(60),
            start_within: Duration::from_secs(30),
            extra_args: Vec::new(),
            firefox_prefs: Vec::new(),
            driver_args: Vec::new(),
        }
    }
}

/// A running chromedriver or geckodriver. Dropping it kills its process group: the driver and any
/// browser it started, even when the session was not quit (a failed or panicking test).
pub struct DriverProcess {
    child: Child,
    /// Its base URL, e.g. `http://127.0.0.1:41235`.
    pub url: String,
}

impl DriverProcess {
    /// Starts the driver of `kind` (`program`) on a free loopback port and returns once it says it is
    /// ready.
    pub async fn start(kind: BrowserKind, program: &Path, extra_args: &[String], within: Duration) -> Result<Self> {
        let port = free_loopback_port()?;
        let mut args = match kind {
            BrowserKind::Chromium => vec![format!("--port={port}"), "--allowed-ips=127.0.0.1".to_owned(), "--log-level=WARNING".to_owned()],
            BrowserKind::Firefox => vec![format!("--port={port}"), "--host=127.0.0.1".to_owned(), "--log=warn".to_owned()],
        };
        args.extend_from_slice(extra_args);
        let child = Command::new(program)
            .args(args)
            // Its own process group, so that drop can stop Chromium with it.
            .process_group(0)
            .stdout(Stdio::null())
            .spawn()
            .map_err(Error::io(format!("starting {}", program.display())))?;
        let driver = DriverProcess { child, url: format!("http://127.0.0.1:{port}") };
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
        Err(Error::Timeout { what: format!("the browser's driver at {status_url}"), after: within, last_error })
    }
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        // The group's id is the driver's pid (`process_group(0)`); `kill` reaches the browser too.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session with its own profile; [`Browser::quit`] ends it, drop kills it.
pub struct Browser {
    pub driver: WebDriver,
    pub kind: BrowserKind,
    // Dropped after the driver: the profile is deleted once the browser is gone.
    _driver_process: DriverProcess,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts the driver and a headless session with a fresh profile (Firefox: geckodriver makes
    /// one of its own in the temporary directory).
    pub async fn start(options: &BrowserOptions) -> Result<Self> {
        let profile = tempfile::Builder::new().prefix("blixtra-e2e-profile-").tempdir().map_err(Error::io("creating a browser profile directory"))?;
        let program = match options.kind {
            BrowserKind::Chromium => &options.chromedriver,
            BrowserKind::Firefox => &options.geckodriver,
        };
        let driver_process = DriverProcess::start(options.kind, program, &options.driver_args, options.start_within).await?;
        let capabilities: Capabilities = match options.kind {
            BrowserKind::Chromium => chromium_capabilities(options, profile.path())?.into(),
            BrowserKind::Firefox => firefox_capabilities(options)?.into(),
        };
        let what = format!("starting a {} session", options.kind.name());
        let driver = WebDriver::builder(driver_process.url.clone(), capabilities)
            .request_timeout(options.request_timeout)
            .await
            .map_err(Error::webdriver(what))?;
        if options.kind == BrowserKind::Firefox {
            // Firefox takes its size from the session, not from a flag.
            driver.set_window_rect(0, 0, options.window.0, options.window.1).await.map_err(Error::webdriver("sizing Firefox's window"))?;
        }
        Ok(Browser { driver, kind: options.kind, _driver_process: driver_process, _profile: profile })
    }

    /// Returns the page's console lines since the last call (what a failed run prints). Firefox's
    /// driver keeps no console log: there it is empty, and the test prints the page instead.
    pub async fn console(&self) -> Result<Vec<String>> {
        if self.kind == BrowserKind::Firefox {
            return Ok(Vec::new());
        }
        let entries = self.driver.browser_log().await.map_err(Error::webdriver("reading the browser's console"))?;
        Ok(entries.into_iter().map(|entry| format!("{} {}", entry.level, entry.message)).collect())
    }

    /// Ends the session (the browser exits), then its driver.
    pub async fn quit(self) -> Result<()> {
        let Browser { driver, _driver_process, _profile, .. } = self;
        driver.quit().await.map_err(Error::webdriver("ending the browser session"))
    }
}

/// Returns Chrome's capabilities: `webdriver.json`'s binary and flags, a window size and the profile.
fn chromium_capabilities(options: &BrowserOptions, profile: &Path) -> Result<ChromeCapabilities> {
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

/// Returns Firefox's capabilities: `webdriver.json`'s binary, headless, and the options' preferences.
fn firefox_capabilities(options: &BrowserOptions) -> Result<FirefoxCapabilities> {
    let binary = webdriver_json_firefox()?;
    let mut caps = DesiredCapabilities::firefox();
    let set = |caps: &mut FirefoxCapabilities| -> WebDriverResult<()> {
        caps.set_firefox_binary(&binary)?;
        caps.add_arg("-headless")?;
        let mut prefs = FirefoxPreferences::new();
        for (name, value) in &options.firefox_prefs {
            prefs.set(name, value.clone())?;
        }
        caps.set_preferences(prefs)
    };
    set(&mut caps).map_err(Error::webdriver("setting Firefox's capabilities"))?;
    Ok(caps)
}

/// Returns the Firefox binary that `webdriver.json` names (`wasm-pack test --firefox` reads it too).
fn webdriver_json_firefox() -> Result<String> {
    let unexpected = |detail: &str| Error::Unexpected { what: "webdriver.json".into(), detail: detail.to_owned() };
    let json: serde_json::Value = serde_json::from_str(WEBDRIVER_JSON).map_err(|e| unexpected(&e.to_string()))?;
    json["moz:firefoxOptions"]["binary"].as_str().map(str::to_owned).ok_or_else(|| unexpected("no moz:firefoxOptions.binary"))
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
        assert_eq!(webdriver_json_firefox().expect("a Firefox binary"), "/usr/lib/firefox-esr/firefox-esr");
    }
}
