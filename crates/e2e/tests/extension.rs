//! The browser extension in headless Chromium, against a running devnet: the unpacked build loaded
//! with `--load-extension`, its wallet page opened as the toolbar popup opens it. The same wallet as
//! the web app's, under the extension's content security policy: created, funded from the faucet, a
//! channel opened to hub, shop paid; then paid by shop while the popup is closed (the node runs in
//! the offscreen document), opened again unlocked, locked, and unlocked again.
//!
//! Needs `BLIXTRA_E2E_EXTENSION` (the unpacked Chromium build, `target/extension/chromium` after
//! `cargo xtask extension`, built with the same `BLIXTRA_DEVNET_URL`) and `BLIXTRA_DEVNET_URL`;
//! `cargo xtask test` sets both. Screenshots at the popup's width go to
//! `target/e2e/screenshots/extension/`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use blixtra_e2e::browser::{Browser, BrowserOptions};
use blixtra_e2e::devnet::DevnetControl;
use blixtra_e2e::extension::UnpackedExtension;
use blixtra_e2e::steps::{self, unexpected};
use blixtra_e2e::ui::{ScreenshotOptions, Ui, Waits};
use blixtra_e2e::{Error, Result};

const PASSPHRASE: &str = "correct horse battery staple";
/// The popup's width (`body.popup` in www/style.css).
const POPUP_WIDTH: u32 = 360;
const NETWORK_WAIT: Duration = Duration::from_secs(120);
const DEADLINE: Duration = Duration::from_secs(600);

fn required_env(name: &'static str, hint: &'static str) -> Result<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or(Error::MissingEnv { name, hint })
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_extensions_wallet_is_created_funded_opens_a_channel_and_pays() {
    if let Err(e) = run().await {
        panic!("{e}");
    }
}

async fn run() -> Result<()> {
    let build =
        required_env("BLIXTRA_E2E_EXTENSION", "set it to the unpacked Chromium build, e.g. target/extension/chromium after `cargo xtask extension`")?;
    let devnet_url = required_env("BLIXTRA_DEVNET_URL", "set it to the running devnet's base URL the extension was built with")?;
    let devnet = DevnetControl::new(&devnet_url)?;
    devnet.check().await?;
    let extension = UnpackedExtension::with_test_key(&workspace_root().join(build))?;
    let chromedriver = std::env::var_os("BLIXTRA_E2E_CHROMEDRIVER").map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from);
    let window = (POPUP_WIDTH, 600);
    let options = BrowserOptions { chromedriver, window, extra_args: extension.flags(), ..BrowserOptions::default() };
    let browser = Browser::start(&options).await?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let screenshots = ScreenshotOptions { dir: target.join("e2e/screenshots/extension"), sizes: vec![window], max_height: 2000 };
    let ui = Ui::new(browser.driver.clone(), &extension.url(), Waits::default(), screenshots, window);
    let outcome = match tokio::time::timeout(DEADLINE, scenario(&ui, &devnet)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Error::Timeout { what: "the extension's scenario to finish".into(), after: DEADLINE, last_error: None }),
    };
    if outcome.is_err() {
        if let Ok(text) = ui.page_text().await {
            eprintln!("the page when it failed:\n{text}");
        }
        if let Ok(lines) = browser.console().await {
            lines.iter().for_each(|line| eprintln!("console: {line}"));
        }
        let _ = ui.screenshot_all_widths("failure").await;
    }
    drop(ui);
    let quit = browser.quit().await;
    outcome.and(quit)
}

async fn scenario(ui: &Ui, devnet: &DevnetControl) -> Result<()> {
    // The toolbar button opens `wallet.html?popup` (the manifest's `default_popup`).
    ui.open("/wallet.html?popup").await?;
    ui.wait_for_path("/").await?;
    ui.element("[data-testid=start-create]").await?;
    popup_fits(ui).await?;
    ui.screenshot_all_widths("welcome").await?;
    restoring_warns_of_channels_run_twice(ui).await?;
    steps::create_wallet(ui, PASSPHRASE).await?;
    ui.wait_for_path("/home").await?;
    popup_fits(ui).await?;
    steps::fund_from_faucet(ui, NETWORK_WAIT).await?;
    steps::open_channel_to_hub(ui, devnet, NETWORK_WAIT).await?;
    let invoice = devnet.shop_invoice(21_000_000, "coffee through the extension").await?;
    ui.click("[data-testid=nav-send]").await?;
    steps::pay_invoice(ui, &invoice, NETWORK_WAIT).await?;
    paid_while_the_popup_is_closed(ui, devnet).await?;
    locked_in_one_page_is_locked_for_all(ui).await
}

/// The popup closes; the node runs on in the offscreen document, so shop can pay the wallet's
/// invoice with no page of it open. Opened again, the popup is unlocked and shows the payment.
async fn paid_while_the_popup_is_closed(ui: &Ui, devnet: &DevnetControl) -> Result<()> {
    ui.click("[data-testid=nav-receive]").await?;
    ui.fill("#receive-amount", "5000").await?;
    ui.click("[data-testid=create-invoice]").await?;
    let element = ui.element("[data-testid=invoice]").await?;
    let shown = element.text().await.map_err(Error::webdriver("reading the invoice"))?;
    let shown = if shown.trim().is_empty() {
        element.prop("value").await.map_err(Error::webdriver("reading the invoice"))?.unwrap_or_default()
    } else {
        shown
    };
    let invoice = shown.trim().trim_start_matches("lightning:").to_owned();
    close_the_popup(ui).await?;
    let paid = devnet.shop_pays(&invoice).await?;
    if paid["status"] != "succeeded" {
        return Err(unexpected("shop's payment to the closed popup's wallet", &paid.to_string()));
    }
    ui.open("/wallet.html?popup").await?;
    ui.wait_for_path("/home").await?;
    ui.element_within("[data-testid=activity] li.payment.in[data-status=succeeded]", NETWORK_WAIT).await?;
    ui.screenshot_all_widths("paid-while-closed").await
}

/// Locking stops the node for every page: the next popup asks for the passphrase.
async fn locked_in_one_page_is_locked_for_all(ui: &Ui) -> Result<()> {
    ui.click("[data-testid=nav-home]").await?;
    ui.click("[data-testid=lock]").await?;
    ui.wait_for_path("/unlock").await?;
    close_the_popup(ui).await?;
    ui.open("/wallet.html?popup").await?;
    ui.wait_for_path("/unlock").await?;
    ui.fill("#passphrase", PASSPHRASE).await?;
    ui.click("[data-testid=unlock]").await?;
    ui.wait_for_path("/home").await?;
    let running = |shown: &str| shown.chars().any(|c| c.is_ascii_digit());
    ui.wait_for_text("[data-testid=lightning-balance]", "the node running again", NETWORK_WAIT, running).await?;
    Ok(())
}

/// The restore page says that a wallet whose channels run elsewhere must not be restored here too.
async fn restoring_warns_of_channels_run_twice(ui: &Ui) -> Result<()> {
    ui.click("[data-testid=start-import]").await?;
    ui.wait_for_path("/import").await?;
    ui.wait_for_text("[data-testid=restore-warning]", "the warning of channels run twice", ui.waits.element, |shown| {
        shown.contains("the Blixtra extension")
    })
    .await?;
    popup_fits(ui).await?;
    ui.screenshot_all_widths("restore").await?;
    ui.open("/wallet.html?popup").await?;
    ui.wait_for_path("/").await
}

/// The page is laid out at the popup's width, and nothing on it is wider.
async fn popup_fits(ui: &Ui) -> Result<()> {
    // The right edge of the widest element, not the document's scroll width: a headless window is
    // never narrower than Chromium's least window width (about 500 px), so the document is as wide.
    let script = "const right = Math.max(0, ...Array.from(document.body.querySelectorAll('*'), e => e.getBoundingClientRect().right)); \
                  return [document.body.classList.contains('popup'), document.body.getBoundingClientRect().width, right];";
    let answer = ui.driver.execute(script, Vec::new()).await.map_err(Error::webdriver("measuring the popup"))?;
    let (popup, body, widest): (bool, f64, f64) = answer.convert().map_err(Error::webdriver("reading the popup's measures"))?;
    if popup && body == f64::from(POPUP_WIDTH) && widest <= f64::from(POPUP_WIDTH) {
        Ok(())
    } else {
        Err(unexpected("the popup's layout", &format!("popup class: {popup}, body {body} px wide, content to {widest} px")))
    }
}

/// Closes the wallet page's tab, as a popup closes, and goes on in a new empty tab.
async fn close_the_popup(ui: &Ui) -> Result<()> {
    let closing = Error::webdriver("closing the wallet's tab");
    let blank = ui.driver.new_tab().await.map_err(Error::webdriver("opening a tab"))?;
    ui.driver.close_window().await.map_err(closing)?;
    ui.driver.switch_to_window(blank).await.map_err(Error::webdriver("going to the new tab"))
}
