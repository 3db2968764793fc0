//! The extension's figures, from its release build in Chromium: the size of each browser's package
//! (what a store serves), the node's start in the offscreen document when the document was closed
//! (a browser just started, or Chromium having closed it), and the time a website's `sendPayment`
//! takes to resolve when the payment fits the site's budget (no prompt: the wallet's own cost on top
//! of the payment's).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use super::page::{mark_after, wait_for_mark};
use super::stats::{round, Summary};
use crate::browser::{Browser, BrowserOptions};
use crate::devnet::DevnetControl;
use crate::extension::UnpackedExtension;
use crate::ui::{ScreenshotOptions, Ui, Waits};
use crate::webln_site::{answer_prompt, give_budget, outcome, site_call, Answer, WeblnSite};
use crate::{steps, Error, Result};

const PASSPHRASE: &str = "benchmark passphrase, not a secret";
const NETWORK_WAIT: Duration = Duration::from_secs(120);
/// Each website payment: 1 sat to shop, as a page paying for an article would.
const WEBSITE_PAYMENT_MSAT: u64 = 1_000;

/// Where the extension's build is and what the run needs besides.
pub struct ExtensionBench {
    /// `cargo xtask extension --release`'s folder: an unpacked build and a zip per browser.
    pub build: PathBuf,
    pub chromedriver: PathBuf,
    /// The npm `webln` package's browser build, which the test website loads.
    pub webln_js: PathBuf,
    /// Website payments to time.
    pub payments: usize,
}

/// Runs the extension's part of the benchmark.
pub async fn run(bench: &ExtensionBench, devnet: &DevnetControl) -> Result<Value> {
    let packages = package_sizes(&bench.build)?;
    let extension = UnpackedExtension::with_test_key(&bench.build.join("chromium"))?;
    let options = BrowserOptions { chromedriver: bench.chromedriver.clone(), extra_args: extension.flags(), ..BrowserOptions::default() };
    let browser = Browser::start(&options).await?;
    let outcome = in_session(bench, devnet, &browser, &extension.url()).await;
    if outcome.is_err() {
        if let Ok(lines) = browser.console().await {
            lines.iter().for_each(|line| eprintln!("console: {line}"));
        }
    }
    let _ = browser.quit().await;
    let mut figures = outcome?;
    figures["packages"] = packages;
    Ok(figures)
}

/// The size of each browser's zip.
fn package_sizes(build: &Path) -> Result<Value> {
    let size = |browser: &str| -> Result<u64> {
        let zip = build.join(format!("blixtra-{browser}.zip"));
        Ok(std::fs::metadata(&zip).map_err(Error::io(format!("reading the size of {}", zip.display())))?.len())
    };
    Ok(json!({ "chromium_zip_bytes": size("chromium")?, "firefox_zip_bytes": size("firefox")? }))
}

async fn in_session(bench: &ExtensionBench, devnet: &DevnetControl, browser: &Browser, base_url: &str) -> Result<Value> {
    // No screenshots: this is not the test.
    let screenshots = ScreenshotOptions { dir: std::env::temp_dir().join("blixtra-bench-no-screenshots"), sizes: Vec::new(), max_height: 0 };
    let ui = Ui::new(browser.driver.clone(), base_url, Waits::default(), screenshots, (1280, 900));
    ui.open("/wallet.html").await?;
    ui.element("[data-testid=start-create]").await?;
    steps::create_wallet(&ui, PASSPHRASE).await?;
    ui.wait_for_path("/home").await?;
    steps::fund_from_faucet(&ui, NETWORK_WAIT).await?;
    steps::open_channel_to_hub(&ui, devnet, NETWORK_WAIT).await?;
    let cold_start = cold_start(&ui).await?;
    let website = website_payments(&ui, devnet, bench).await?;
    Ok(json!({ "offscreen_cold_start": cold_start, "website_send_payment": website }))
}

/// Locks the wallet, closes the offscreen document (its worker goes with it), opens the wallet page
/// again (the service worker opens a new document) and unlocks: the time from the unlock to the
/// node running, and to hub connected.
async fn cold_start(ui: &Ui) -> Result<Value> {
    // The lock is on home; opening the channel left the channels page.
    ui.click("[data-testid=nav-home]").await?;
    ui.wait_for_path("/home").await?;
    ui.click("[data-testid=lock]").await?;
    ui.wait_for_path("/unlock").await?;
    let close = "return chrome.offscreen.closeDocument().then(() => chrome.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'] })).then((all) => all.length);";
    let open = ui.driver.execute(close, Vec::new()).await.map_err(Error::webdriver("closing the offscreen document"))?;
    if open.json().as_u64() != Some(0) {
        return Err(steps::unexpected("the offscreen documents after closing it", &open.json().to_string()));
    }
    ui.open("/wallet.html").await?;
    ui.wait_for_path("/unlock").await?;
    ui.fill("#passphrase", PASSPHRASE).await?;
    ui.click("[data-testid=unlock]").await?;
    ui.wait_for_path("/home").await?;
    let timings = wait_for_mark(&ui.driver, "blixtra:peer-connected", NETWORK_WAIT).await?;
    let unlock = mark_after(&timings, "blixtra:unlock-submitted", 0.0);
    let since_unlock = |name: &str| unlock.and_then(|u| mark_after(&timings, name, u).map(|t| round(t - u)));
    Ok(json!({ "node_started_ms": since_unlock("blixtra:node-started"), "peer_connected_ms": since_unlock("blixtra:peer-connected") }))
}

/// A website on loopback is allowed (in its prompt) and given a budget; then each `sendPayment` of a
/// shop invoice within it is timed in the page, from the call to its promise's resolution.
async fn website_payments(ui: &Ui, devnet: &DevnetControl, bench: &ExtensionBench) -> Result<Value> {
    let site = WeblnSite::serve(&bench.webln_js).await?;
    let driver = &ui.driver;
    let site_tab = driver.new_tab().await.map_err(Error::webdriver("opening the site's tab"))?;
    driver.switch_to_window(site_tab.clone()).await.map_err(Error::webdriver("going to the site's tab"))?;
    driver.goto(&site.url("127.0.0.1")).await.map_err(Error::webdriver("opening the test website"))?;
    let origin = site.url("127.0.0.1").trim_end_matches('/').to_owned();
    site_call(ui, "enable", "WebLN.requestProvider().then((p) => { window.provider = p; return true; })").await?;
    answer_prompt(ui, &site_tab, Answer::Allow, NETWORK_WAIT, |text| text.contains(&origin)).await?;
    outcome(ui, "enable", NETWORK_WAIT).await?;
    give_budget(ui, &origin, 100, 100_000, NETWORK_WAIT).await?;
    driver.switch_to_window(site_tab).await.map_err(Error::webdriver("going back to the site"))?;
    let mut latencies = Vec::new();
    for n in 0..bench.payments {
        let invoice = devnet.shop_invoice(WEBSITE_PAYMENT_MSAT, &format!("website payment {n}")).await?;
        let name = format!("pay{n}");
        let timed = format!("(() => {{ const began = performance.now(); return provider.sendPayment('{invoice}').then((r) => ({{ ms: performance.now() - began, preimage: r.preimage }})); }})()");
        site_call(ui, &name, &timed).await?;
        let settled = outcome(ui, &name, NETWORK_WAIT).await?;
        let ms = settled["ok"]["ms"].as_f64().ok_or_else(|| steps::unexpected("a website's sendPayment within its budget", &settled.to_string()))?;
        latencies.push(ms);
    }
    Ok(Summary::of(&latencies).map_or(Value::Null, Summary::to_json))
}
