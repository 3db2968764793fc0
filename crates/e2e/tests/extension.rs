//! The browser extension in headless Chromium and in headless Firefox ESR, against a running devnet:
//! the unpacked build loaded with `--load-extension` (Chromium) or installed as a temporary add-on
//! (Firefox), its wallet page opened as the toolbar popup opens it. The same wallet as the web app's,
//! under the extension's content security policy: created, funded from the faucet, a channel opened
//! to hub, shop paid; then paid by shop while the popup is closed (the node runs in Chromium's
//! offscreen document, in Firefox's background page), websites pay through WebLN, opened again
//! unlocked, locked, and unlocked again.
//!
//! Needs `BLIXTRA_E2E_EXTENSION` (the unpacked builds' folder, `target/extension` after `cargo xtask
//! extension`, built with the same `BLIXTRA_DEVNET_URL`), `BLIXTRA_DEVNET_URL` and
//! `BLIXTRA_E2E_WEBLN_JS`; `cargo xtask test` sets them. Screenshots at the popup's width go to
//! `target/e2e/screenshots/extension/` and `extension-firefox/`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use blixtra_e2e::browser::{Browser, BrowserKind, BrowserOptions};
use blixtra_e2e::devnet::DevnetControl;
use blixtra_e2e::extension::{FirefoxExtension, UnpackedExtension};
use blixtra_e2e::steps::{self, unexpected};
use blixtra_e2e::ui::{amount_in, wait_until, ScreenshotOptions, Ui, Waits};
use blixtra_e2e::webln_site::{answer_prompt, give_budget, outcome, site_call, Answer, WeblnSite};
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

// One browser at a time: both share the devnet, and the machine may have two cores.
static ONE_BROWSER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_extensions_wallet_is_created_funded_opens_a_channel_and_pays() {
    if let Err(e) = run(BrowserKind::Chromium).await {
        panic!("{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_firefox_the_extensions_wallet_is_created_funded_opens_a_channel_and_pays() {
    if let Err(e) = run(BrowserKind::Firefox).await {
        panic!("{e}");
    }
}

async fn run(kind: BrowserKind) -> Result<()> {
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let builds = required_env("BLIXTRA_E2E_EXTENSION", "set it to the unpacked builds' folder, e.g. target/extension after `cargo xtask extension`")?;
    let build = workspace_root().join(builds).join(kind.name());
    let devnet_url = required_env("BLIXTRA_DEVNET_URL", "set it to the running devnet's base URL the extension was built with")?;
    let devnet = DevnetControl::new(&devnet_url)?;
    devnet.check().await?;
    let window = (POPUP_WIDTH, 600);
    let mut options = BrowserOptions { kind, window, ..BrowserOptions::default() };
    if let Some(chromedriver) = std::env::var_os("BLIXTRA_E2E_CHROMEDRIVER") {
        options.chromedriver = chromedriver.into();
    }
    if let Some(geckodriver) = std::env::var_os("BLIXTRA_E2E_GECKODRIVER") {
        options.geckodriver = geckodriver.into();
    }
    // Chromium loads the build (with a key) at its start; Firefox installs it into the session.
    let (browser, base_url, _chromium_copy) = match kind {
        BrowserKind::Chromium => {
            let extension = UnpackedExtension::with_test_key(&build)?;
            options.extra_args = extension.flags();
            (Browser::start(&options).await?, extension.url(), Some(extension))
        }
        BrowserKind::Firefox => {
            let extension = FirefoxExtension { dir: build };
            options.firefox_prefs = FirefoxExtension::prefs();
            options.driver_args = FirefoxExtension::driver_args();
            let browser = Browser::start(&options).await?;
            extension.install(&browser.driver).await?;
            (browser, extension.url(), None)
        }
    };
    let screenshots = match kind {
        BrowserKind::Chromium => "extension".to_owned(),
        BrowserKind::Firefox => "extension-firefox".to_owned(),
    };
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let screenshots = ScreenshotOptions { dir: target.join("e2e/screenshots").join(screenshots), sizes: vec![window], max_height: 2000 };
    let ui = Ui::new(browser.driver.clone(), &base_url, Waits::default(), screenshots, window);
    let outcome = match tokio::time::timeout(DEADLINE, scenario(&ui, &devnet, kind)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Error::Timeout { what: "the extension's scenario to finish".into(), after: DEADLINE, last_error: None }),
    };
    if outcome.is_err() {
        if let Ok(text) = ui.page_text().await {
            eprintln!("the page when it failed:\n{text}");
        }
        // On the test website: what its WebLN calls came to.
        if let Ok(calls) =
            ui.driver.execute("return JSON.stringify({ webln: 'webln' in window, outcomes: window.outcomes ?? null });", Vec::new()).await
        {
            eprintln!("the website's calls: {}", calls.json());
        }
        if let Ok(tab) = ui.driver.new_tab().await {
            let _ = ui.driver.switch_to_window(tab).await;
            let _ = ui.open("/wallet.html?popup").await;
            let script =
                "return chrome.windows.getAll({ populate: true }).then((all) => JSON.stringify(all.map((w) => [w.type, w.tabs.map((t) => t.url)])));";
            if let Ok(windows) = ui.driver.execute(script, Vec::new()).await {
                eprintln!("the browser's windows: {}", windows.json());
            }
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

async fn scenario(ui: &Ui, devnet: &DevnetControl, kind: BrowserKind) -> Result<()> {
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
    paid_while_the_popup_is_closed(ui, devnet, kind).await?;
    websites_pay_through_webln(ui, devnet).await?;
    locked_in_one_page_is_locked_for_all(ui).await
}

/// A website on loopback, through the npm `webln` client: enabled in a prompt, asks for the node's
/// info, an invoice (which shop pays, and the site looks up), a payment (confirmed in a prompt; shop
/// received it, and the preimage is the invoice's), a message signed (shown and confirmed in a
/// prompt) and its check. Given a budget, a payment within it needs no prompt and one above it
/// prompts (and is declined). Another origin
/// of the same server, denied, is refused at once from then on. With the wallet locked, a call asks
/// to unlock in its prompt and then goes on.
async fn websites_pay_through_webln(ui: &Ui, devnet: &DevnetControl) -> Result<()> {
    let webln_js = required_env("BLIXTRA_E2E_WEBLN_JS", "set it to the npm webln package's dist/webln.min.js (cargo xtask setup installs it)")?;
    let site = WeblnSite::serve(Path::new(&webln_js)).await?;
    let driver = &ui.driver;
    let shop_tab = driver.new_tab().await.map_err(Error::webdriver("opening the site's tab"))?;
    driver.switch_to_window(shop_tab.clone()).await.map_err(Error::webdriver("going to the site's tab"))?;
    let origin = site.url("127.0.0.1").trim_end_matches('/').to_owned();
    driver.goto(&site.url("127.0.0.1")).await.map_err(Error::webdriver("opening the test website"))?;

    site_call(ui, "enable", "WebLN.requestProvider().then((p) => { window.provider = p; return true; })").await?;
    answer_prompt(ui, &shop_tab, Answer::Allow, NETWORK_WAIT, |text| text.contains(&origin)).await?;
    expect_ok(outcome(ui, "enable", NETWORK_WAIT).await?, "enable")?;

    site_call(ui, "info", "provider.getInfo()").await?;
    let info = expect_ok(outcome(ui, "info", NETWORK_WAIT).await?, "getInfo")?;
    let pubkey = info["node"]["pubkey"].as_str().unwrap_or_default().to_owned();
    let methods = info["methods"].as_array().cloned().unwrap_or_default();
    let lists = |method: &str| methods.iter().any(|m| m == method);
    if pubkey.len() != 66 || !lists("sendPayment") || !lists("keysend") || lists("lnurl") {
        return Err(unexpected("getInfo", &info.to_string()));
    }

    site_call(ui, "invoice", "provider.makeInvoice({ amount: 3000, defaultMemo: 'a test shop refund' })").await?;
    let invoice = expect_ok(outcome(ui, "invoice", NETWORK_WAIT).await?, "makeInvoice")?;
    let request = invoice["paymentRequest"].as_str().unwrap_or_default().to_owned();
    let paid = devnet.shop_pays(&request).await?;
    if paid["status"] != "succeeded" {
        return Err(unexpected("shop paying the site's invoice", &paid.to_string()));
    }
    let hash = invoice["paymentHash"].as_str().unwrap_or_default().to_owned();
    let lookup = format!("provider.lookupInvoice({{ paymentHash: '{hash}' }})");
    let looked_up = wait_until("the site's invoice to show as paid", NETWORK_WAIT, ui.waits.poll, async || {
        site_call(ui, "lookup", &lookup).await.map_err(to_webdriver)?;
        let found = outcome(ui, "lookup", NETWORK_WAIT).await.map_err(to_webdriver)?;
        Ok((found["ok"]["paid"] == true).then_some(found))
    })
    .await?;
    let preimage = looked_up["ok"]["preimage"].as_str().unwrap_or_default();
    if sha256_hex(preimage) != hash {
        return Err(unexpected("lookupInvoice's preimage", &looked_up.to_string()));
    }

    // A payment, confirmed in its prompt: the preimage is the one shop's invoice was for.
    let shop_invoice = devnet.shop_invoice(2_000_000, "a coffee through WebLN").await?;
    site_call(ui, "pay", &format!("provider.sendPayment('{shop_invoice}')")).await?;
    answer_prompt(ui, &shop_tab, Answer::Allow, NETWORK_WAIT, |text| {
        text.contains("a coffee through WebLN") && text.lines().any(|line| amount_in(line) == Some(2_000))
    })
    .await?;
    let sent = expect_ok(outcome(ui, "pay", NETWORK_WAIT).await?, "sendPayment")?;
    shop_received(devnet, sent["preimage"].as_str().unwrap_or_default()).await?;

    site_call(ui, "sign", "provider.signMessage('I am the buyer')").await?;
    answer_prompt(ui, &shop_tab, Answer::Allow, NETWORK_WAIT, |text| text.contains("I am the buyer")).await?;
    let signed = expect_ok(outcome(ui, "sign", NETWORK_WAIT).await?, "signMessage")?;
    let signature = signed["signature"].as_str().unwrap_or_default().to_owned();
    site_call(ui, "verify", &format!("provider.verifyMessage('{signature}', 'I am the buyer')")).await?;
    let verified = expect_ok(outcome(ui, "verify", NETWORK_WAIT).await?, "verifyMessage")?;
    if verified["valid"] != true || verified["pubkey"] != pubkey.as_str() {
        return Err(unexpected("verifyMessage", &verified.to_string()));
    }
    site_call(ui, "forged", &format!("provider.verifyMessage('{signature}', 'I am not the buyer')")).await?;
    let forged = outcome(ui, "forged", NETWORK_WAIT).await?;
    if forged["ok"]["pubkey"] == pubkey.as_str() {
        return Err(unexpected("verifyMessage of another message", &forged.to_string()));
    }

    // Locked, the wallet asks to be unlocked in the prompt, and the site's call then goes on.
    let wallet_tab = driver.new_tab().await.map_err(Error::webdriver("opening the wallet's tab"))?;
    driver.switch_to_window(wallet_tab).await.map_err(Error::webdriver("going to the wallet's tab"))?;
    ui.open("/wallet.html?popup").await?;
    ui.wait_for_path("/home").await?;
    ui.click("[data-testid=lock]").await?;
    ui.wait_for_path("/unlock").await?;
    driver.close_window().await.map_err(Error::webdriver("closing the wallet's tab"))?;
    driver.switch_to_window(shop_tab.clone()).await.map_err(Error::webdriver("going back to the site"))?;
    site_call(ui, "balance", "window.webln.getBalance()").await?;
    answer_prompt(ui, &shop_tab, Answer::Unlock { passphrase: PASSPHRASE }, NETWORK_WAIT, |text| text.contains(&origin)).await?;
    let balance = expect_ok(outcome(ui, "balance", NETWORK_WAIT).await?, "getBalance after unlocking in the prompt")?;
    if balance["currency"] != "sats" || balance["balance"].as_u64().is_none_or(|sat| sat == 0) {
        return Err(unexpected("getBalance", &balance.to_string()));
    }

    give_budget(ui, &origin, 5_000, 8_000, NETWORK_WAIT).await?;
    driver.switch_to_window(shop_tab.clone()).await.map_err(Error::webdriver("going back to the site"))?;
    // Nobody answers a prompt here: a payment that asked would not settle until its prompt expired.
    let small = devnet.shop_invoice(1_000_000, "within the budget").await?;
    site_call(ui, "budgeted", &format!("provider.sendPayment('{small}')")).await?;
    let sent = expect_ok(outcome(ui, "budgeted", NETWORK_WAIT).await?, "sendPayment within the budget")?;
    shop_received(devnet, sent["preimage"].as_str().unwrap_or_default()).await?;
    keysends_to_shop(ui, devnet, &shop_tab).await?;
    let large = devnet.shop_invoice(6_000_000, "above the budget").await?;
    site_call(ui, "above", &format!("provider.sendPayment('{large}')")).await?;
    answer_prompt(ui, &shop_tab, Answer::Deny, NETWORK_WAIT, |text| {
        text.contains("above the budget") && text.lines().any(|line| amount_in(line) == Some(6_000))
    })
    .await?;
    expect_error(outcome(ui, "above", NETWORK_WAIT).await?, "RejectionError", "a declined payment above the budget")?;

    lightning_links_open_the_send_page(ui, devnet, &shop_tab).await?;

    // Another origin, denied: refused at once from then on, without a prompt.
    driver.goto(&site.url("localhost")).await.map_err(Error::webdriver("opening the site as localhost"))?;
    site_call(ui, "enable", "WebLN.requestProvider()").await?;
    answer_prompt(ui, &shop_tab, Answer::Deny, NETWORK_WAIT, |text| text.contains("localhost")).await?;
    expect_error(outcome(ui, "enable", NETWORK_WAIT).await?, "RejectionError", "a denied enable")?;
    // Unanswered, as above: refused without a prompt, or it would not settle.
    site_call(ui, "again", "window.webln.enable()").await?;
    expect_error(outcome(ui, "again", NETWORK_WAIT).await?, "RejectionError", "a denied site's second enable")?;

    close_the_popup(ui).await?;
    ui.open("/wallet.html?popup").await?;
    ui.wait_for_path("/home").await
}

/// A keysend to shop with a custom record: within the budget it is paid without a prompt and the
/// site finds it by its hash; above it, the prompt shows the amount, the node and the record, and
/// once confirmed it is paid.
async fn keysends_to_shop(ui: &Ui, devnet: &DevnetControl, shop_tab: &thirtyfour::WindowHandle) -> Result<()> {
    let shop = devnet.config().await?["shop"].as_str().and_then(|uri| uri.split('@').next()).unwrap_or_default().to_owned();
    let keysend = |amount: u64| format!("provider.keysend({{ destination: '{shop}', amount: {amount}, customRecords: {{ '696969': 'blixtra' }} }})");
    site_call(ui, "keysend", &keysend(1_000)).await?;
    let sent = expect_ok(outcome(ui, "keysend", NETWORK_WAIT).await?, "keysend within the budget")?;
    let preimage = sent["preimage"].as_str().unwrap_or_default().to_owned();
    shop_received(devnet, &preimage).await?;
    site_call(ui, "keysend-lookup", &format!("provider.lookupInvoice({{ paymentHash: '{}' }})", sha256_hex(&preimage))).await?;
    let found = expect_ok(outcome(ui, "keysend-lookup", NETWORK_WAIT).await?, "lookupInvoice of the keysend")?;
    if found["paid"] != true || found["preimage"] != preimage.as_str() {
        return Err(unexpected("lookupInvoice of the keysend", &found.to_string()));
    }
    site_call(ui, "keysend-above", &keysend(6_000)).await?;
    answer_prompt(ui, shop_tab, Answer::Allow, NETWORK_WAIT, |text| {
        text.contains(&shop) && text.contains("696969") && text.contains("blixtra") && text.lines().any(|line| amount_in(line) == Some(6_000))
    })
    .await?;
    let sent = expect_ok(outcome(ui, "keysend-above", NETWORK_WAIT).await?, "keysend above the budget, confirmed")?;
    shop_received(devnet, sent["preimage"].as_str().unwrap_or_default()).await
}

fn expect_ok(outcome: serde_json::Value, what: &str) -> Result<serde_json::Value> {
    match outcome.get("ok") {
        Some(value) => Ok(value.clone()),
        None => Err(unexpected(what, &outcome.to_string())),
    }
}

fn expect_error(outcome: serde_json::Value, name: &str, what: &str) -> Result<()> {
    if outcome["error"]["name"] == name {
        Ok(())
    } else {
        Err(unexpected(what, &outcome.to_string()))
    }
}

/// A `lightning:` link on the site, clicked by the person: while the setting is off the wallet leaves
/// the click to the page and the browser; turned on in the wallet's settings, the click opens the
/// Send page in a tab of its own, with the invoice read and shown for review (nothing is paid).
async fn lightning_links_open_the_send_page(ui: &Ui, devnet: &DevnetControl, site_tab: &thirtyfour::WindowHandle) -> Result<()> {
    let driver = &ui.driver;
    let invoice = devnet.shop_invoice(1_500_000, "a coffee through a link").await?;
    // The page's own handler (bubbling, after the wallet's) records whether the wallet took the
    // click, then keeps the browser from looking for another lightning: handler.
    let add_link = format!(
        "document.body.insertAdjacentHTML('beforeend', '<p><a id=\"pay-link\" href=\"lightning:{invoice}\">Pay with Lightning</a></p>'); \
         document.addEventListener('click', (event) => {{ if (event.target.id === 'pay-link') {{ window.linkTaken = event.defaultPrevented; event.preventDefault(); }} }});"
    );
    driver.execute(&add_link, Vec::new()).await.map_err(Error::webdriver("adding a lightning: link to the site"))?;
    let link_taken = async || -> Result<bool> {
        driver.execute("window.linkTaken = null;", Vec::new()).await.map_err(Error::webdriver("resetting the link's record"))?;
        ui.click("#pay-link").await?;
        wait_until("the page's record of the link's click", ui.waits.element, ui.waits.poll, async || {
            let taken = driver.execute("return window.linkTaken;", Vec::new()).await?.json().clone();
            Ok(taken.as_bool())
        })
        .await
    };
    if link_taken().await? {
        return Err(unexpected("a lightning: link clicked with the setting off", "the wallet took it"));
    }

    let tab = driver.new_tab().await.map_err(Error::webdriver("opening the wallet's tab"))?;
    driver.switch_to_window(tab).await.map_err(Error::webdriver("going to the wallet's tab"))?;
    ui.open("/wallet.html?popup").await?;
    ui.wait_for_path("/home").await?;
    ui.click("[data-testid=nav-settings]").await?;
    ui.click("[data-testid=open-lightning-links]").await?;
    ui.wait_for_text("[data-testid=websites]", "the setting saved", ui.waits.element, |_| true).await?;
    let checked = "return document.querySelector('[data-testid=open-lightning-links]').checked;";
    wait_until("the link setting to be on", ui.waits.element, ui.waits.poll, async || {
        Ok(driver.execute(checked, Vec::new()).await?.json().as_bool().filter(|&on| on))
    })
    .await?;
    driver.close_window().await.map_err(Error::webdriver("closing the wallet's tab"))?;
    driver.switch_to_window(site_tab.clone()).await.map_err(Error::webdriver("going back to the site"))?;

    if !link_taken().await? {
        return Err(unexpected("a lightning: link clicked with the setting on", "the wallet left it to the page"));
    }
    // ChromeDriver lists no tab the extension opens (as with its prompt windows): the tab is found
    // through `chrome.tabs` and its page opened again as it was, in a tab WebDriver drives.
    let tab = driver.new_tab().await.map_err(Error::webdriver("opening a tab for the Send page"))?;
    driver.switch_to_window(tab).await.map_err(Error::webdriver("going to the Send page's tab"))?;
    ui.open("/wallet.html?popup").await?;
    let find = "return chrome.tabs.query({}).then((all) => all.filter((t) => /[?]send=|[/]send$/.test(t.url ?? '')) \
                  .map((t) => chrome.tabs.remove(t.id).then(() => t.url)).length);";
    wait_until("the Send page's tab opened by the link", NETWORK_WAIT, ui.waits.poll, async || {
        let found = driver.execute(find, Vec::new()).await?.json().as_u64().unwrap_or(0);
        Ok((found > 0).then_some(()))
    })
    .await?;
    let encoded: String = format!("lightning:{invoice}")
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect();
    ui.open(&format!("/wallet.html?send={encoded}")).await?;
    ui.wait_for_path("/send").await?;
    let summary = ui.element_within("[data-testid=payment-summary]", NETWORK_WAIT).await?;
    let shown = summary.text().await.map_err(Error::webdriver("reading the payment's summary"))?;
    if !shown.contains("a coffee through a link") || !shown.lines().any(|line| amount_in(line) == Some(1_500)) {
        return Err(unexpected("the Send page opened by a link", &shown));
    }
    ui.screenshot_all_widths("lightning-link").await?;
    driver.close_window().await.map_err(Error::webdriver("closing the Send page's tab"))?;
    driver.switch_to_window(site_tab.clone()).await.map_err(Error::webdriver("going back to the site"))
}

/// Shop's records hold a received payment whose preimage is `preimage`.
async fn shop_received(devnet: &DevnetControl, preimage: &str) -> Result<()> {
    let hash = sha256_hex(preimage);
    let payments = devnet.payments("shop").await?;
    let received = payments.iter().any(|p| p["direction"] == "inbound" && p["status"] == "succeeded" && p["payment_hash"] == hash.as_str());
    if received {
        Ok(())
    } else {
        Err(unexpected("shop's received payments", &format!("none with the hash of preimage {preimage}")))
    }
}

fn sha256_hex(preimage_hex: &str) -> String {
    use sha2::Digest;
    let bytes: Vec<u8> = (0..preimage_hex.len() / 2).filter_map(|i| u8::from_str_radix(preimage_hex.get(2 * i..2 * i + 2)?, 16).ok()).collect();
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn to_webdriver(error: Error) -> thirtyfour::error::WebDriverError {
    thirtyfour::error::WebDriverError::FatalError(error.to_string())
}

/// How long Firefox lets an idle background page live (its `extensions.background.idle.timeout`,
/// 30 s), with a margin: the node must outlive it with no page of the wallet open.
const FIREFOX_IDLE_BACKGROUND: Duration = Duration::from_secs(40);

/// The popup closes; the node runs on in the offscreen document (Chromium) or the background page
/// (Firefox, which would stop an idle one after 30 s: the test waits that long first), so shop can
/// pay the wallet's invoice with no page of it open. Opened again, the popup is unlocked and shows
/// the payment.
async fn paid_while_the_popup_is_closed(ui: &Ui, devnet: &DevnetControl, kind: BrowserKind) -> Result<()> {
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
    if kind == BrowserKind::Firefox {
        tokio::time::sleep(FIREFOX_IDLE_BACKGROUND).await;
    }
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
    let script = "const all = Array.from(document.body.querySelectorAll('*')); \
                  const right = Math.max(0, ...all.map(e => e.getBoundingClientRect().right)); \
                  const widest = all.find(e => e.getBoundingClientRect().right === right); \
                  const named = widest ? `${widest.tagName.toLowerCase()}.${widest.className}` : ''; \
                  return [document.body.classList.contains('popup'), document.body.getBoundingClientRect().width, right, named];";
    let answer = ui.driver.execute(script, Vec::new()).await.map_err(Error::webdriver("measuring the popup"))?;
    let (popup, body, widest, element): (bool, f64, f64, String) = answer.convert().map_err(Error::webdriver("reading the popup's measures"))?;
    if popup && body == f64::from(POPUP_WIDTH) && widest <= f64::from(POPUP_WIDTH) {
        Ok(())
    } else {
        let detail = format!("popup class: {popup}, body {body} px wide, content to {widest} px ({element})");
        Err(unexpected("the popup's layout", &detail))
    }
}

/// Closes the wallet page's tab, as a popup closes, and goes on in a new empty tab.
async fn close_the_popup(ui: &Ui) -> Result<()> {
    let closing = Error::webdriver("closing the wallet's tab");
    let blank = ui.driver.new_tab().await.map_err(Error::webdriver("opening a tab"))?;
    ui.driver.close_window().await.map_err(closing)?;
    ui.driver.switch_to_window(blank).await.map_err(Error::webdriver("going to the new tab"))
}
