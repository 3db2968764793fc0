//! The wallet through its UI, in headless Chromium and in headless Firefox ESR, against a running
//! devnet: create a wallet, fund it from the faucet, open a channel to hub, pay shop, get paid by shop,
//! reload and unlock, switch the language. Only the devnet's control calls (mine, shop's invoice, shop
//! pays) bypass the UI.
//!
//! Needs `BLIXTRA_E2E_DIST` (the app `trunk build` wrote, built with the same `BLIXTRA_DEVNET_URL`) and
//! `BLIXTRA_DEVNET_URL`; `cargo xtask test` sets both (and `BLIXTRA_E2E_CHROMEDRIVER`, else
//! /usr/bin/chromedriver, and `BLIXTRA_E2E_GECKODRIVER`, else `geckodriver` on PATH). Screenshots of
//! every page at 360 and 1280 px go to `target/e2e/screenshots/{scenario}/{width}/` (Chromium) and
//! `target/e2e/screenshots/{scenario}-firefox/{width}/`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use blixtra_e2e::browser::{Browser, BrowserKind, BrowserOptions};
use blixtra_e2e::devnet::DevnetControl;
use blixtra_e2e::server::AppServer;
use blixtra_e2e::steps::{self, unexpected};
use blixtra_e2e::ui::{amount_in, wait_until, ScreenshotOptions, Ui, Waits};
use blixtra_e2e::{Error, Result};

const PASSPHRASE: &str = "correct horse battery staple";

/// The options of a run: where things are, and how long each kind of wait may take.
struct Config {
    dist: PathBuf,
    devnet_url: String,
    passphrase: &'static str,
    browser: BrowserOptions,
    waits: Waits,
    screenshots: ScreenshotOptions,
    /// For what waits on the node or the network: its start, a confirmation, a channel, a payment.
    network_wait: Duration,
    /// The whole scenario, whatever its steps do.
    deadline: Duration,
}

impl Config {
    /// Reads the environment; a missing variable fails the run with what to set.
    fn from_env(scenario: &str, kind: BrowserKind) -> Result<Config> {
        let root = workspace_root();
        let dist = required_env(
            "BLIXTRA_E2E_DIST",
            "set it to the app's build directory, e.g. `dist` after `BLIXTRA_DEVNET_URL=… trunk build` in the workspace root",
        )?;
        let devnet_url = required_env(
            "BLIXTRA_DEVNET_URL",
            "set it to a running devnet's base URL, e.g. http://127.0.0.1:3002 (`cargo xtask devnet`), the one the app was built with",
        )?;
        let chromedriver = std::env::var_os("BLIXTRA_E2E_CHROMEDRIVER").map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from);
        let geckodriver = std::env::var_os("BLIXTRA_E2E_GECKODRIVER").map_or_else(|| PathBuf::from("geckodriver"), PathBuf::from);
        let screenshots = match kind {
            BrowserKind::Chromium => scenario.to_owned(),
            BrowserKind::Firefox => format!("{scenario}-firefox"),
        };
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        let window = (1280, 900);
        Ok(Config {
            // Relative to the workspace root, where `trunk build` runs (tests run in the crate's directory).
            dist: root.join(dist),
            devnet_url,
            passphrase: PASSPHRASE,
            browser: BrowserOptions { kind, chromedriver, geckodriver, window, ..BrowserOptions::default() },
            waits: Waits::default(),
            screenshots: ScreenshotOptions {
                dir: target.join("e2e/screenshots").join(screenshots),
                sizes: vec![(360, 780), window],
                max_height: 4000,
            },
            network_wait: Duration::from_secs(120),
            deadline: Duration::from_secs(900),
        })
    }
}

fn required_env(name: &'static str, hint: &'static str) -> Result<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or(Error::MissingEnv { name, hint })
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

// One browser at a time: the scenarios share the devnet, and the machine may have two cores.
static ONE_BROWSER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Serves the app, starts the browser, runs `steps`, and always ends the browser; on a failure it saves
/// a screenshot and prints the page's console.
async fn run_scenario(name: &str, kind: BrowserKind, steps: impl AsyncFnOnce(&Ui, &Config, &DevnetControl) -> Result<()>) -> Result<()> {
    let _turn = ONE_BROWSER_AT_A_TIME.lock().await;
    let config = Config::from_env(name, kind)?;
    let devnet = DevnetControl::new(&config.devnet_url)?;
    devnet.check().await?;
    let server = AppServer::start(&config.dist, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let browser = Browser::start(&config.browser).await?;
    let ui = Ui::new(browser.driver.clone(), &server.url, config.waits, config.screenshots.clone(), config.browser.window);
    let outcome = match tokio::time::timeout(config.deadline, steps(&ui, &config, &devnet)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Error::Timeout { what: format!("the scenario {name} to finish"), after: config.deadline, last_error: None }),
    };
    if outcome.is_err() {
        report_failure(&ui, &browser).await;
    }
    drop(ui);
    let quit = browser.quit().await;
    outcome.and(quit)
}

async fn report_failure(ui: &Ui, browser: &Browser) {
    if let Err(e) = ui.screenshot_all_widths("failure").await {
        eprintln!("no screenshot of the failure: {e}");
    }
    match ui.page_text().await {
        Ok(text) => eprintln!("the page when it failed:\n{text}"),
        Err(e) => eprintln!("no page text: {e}"),
    }
    match browser.console().await {
        Ok(lines) => lines.iter().for_each(|line| eprintln!("console: {line}")),
        Err(e) => eprintln!("no console: {e}"),
    }
}

fn passed(outcome: Result<()>) {
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_wallet_is_locked_by_a_reload_and_unlocked_with_its_passphrase() {
    passed(onboarding(BrowserKind::Chromium).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_wallet_is_funded_opens_a_channel_pays_and_gets_paid() {
    passed(a_wallets_life(BrowserKind::Chromium).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_wallet_with_nothing_is_paid_through_a_channel_its_provider_opens() {
    passed(first_receive_through_a_new_channel(BrowserKind::Chromium).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_firefox_a_new_wallet_is_locked_by_a_reload_and_unlocked_with_its_passphrase() {
    passed(onboarding(BrowserKind::Firefox).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_firefox_a_new_wallet_is_funded_opens_a_channel_pays_and_gets_paid() {
    passed(a_wallets_life(BrowserKind::Firefox).await);
}

async fn onboarding(kind: BrowserKind) -> Result<()> {
    run_scenario("onboarding", kind, async |ui, config, _devnet| {
        open_welcome(ui).await?;
        inline_scripts_are_refused(ui).await?;
        steps::create_wallet_up_to_its_passphrase(ui).await?;
        a_guessable_passphrase_is_refused(ui).await?;
        steps::choose_passphrase(ui, config.passphrase).await?;
        expect_home(ui, "home").await?;
        reload_and_unlock(ui, config.passphrase).await?;
        expect_home(ui, "home-unlocked").await
    })
    .await
}

async fn a_wallets_life(kind: BrowserKind) -> Result<()> {
    run_scenario("wallet", kind, async |ui, config, devnet| {
        open_welcome(ui).await?;
        let words = steps::create_wallet(ui, config.passphrase).await?;
        expect_home(ui, "home").await?;
        steps::fund_from_faucet(ui, config.network_wait).await?;
        steps::open_channel_to_hub(ui, devnet, config.network_wait).await?;
        garbage_is_refused_on_send(ui).await?;
        pay_shop(ui, config, devnet, 21_000_000).await?;
        get_paid_by_shop(ui, config, devnet, 5_000).await?;
        let balances = note_balances(ui, config).await?;
        reload_and_unlock(ui, config.passphrase).await?;
        expect_balances(ui, config, &balances).await?;
        closed_long_is_warned(ui, config, devnet).await?;
        reloads_during_payments_land_on_unlock(ui, config, devnet).await?;
        settings_in_two_languages(ui).await?;
        a_second_server_that_is_down_is_named(ui, config).await?;
        restored_from_a_backup_in_a_new_profile(ui, config).await?;
        restored_in_a_new_profile(ui, config, devnet, &words).await
    })
    .await
}

/// A fresh wallet with no coins and no channel (no faucet): Receive 50,000 sats shows the fee hub
/// (the devnet's LSP, which the wallet takes from the devnet) keeps for opening a channel; accepted,
/// the invoice goes through hub; shop pays it; the balance is 50,000 sats less exactly that fee, the
/// history says so, and the new channel pays a shop invoice.
async fn first_receive_through_a_new_channel(kind: BrowserKind) -> Result<()> {
    run_scenario("jit", kind, async |ui, config, devnet| {
        open_welcome(ui).await?;
        steps::create_wallet(ui, config.passphrase).await?;
        expect_home(ui, "home").await?;
        // Home shows a placeholder until the node runs and answers.
        ui.wait_for_text("[data-testid=total-balance]", "the node running", config.network_wait, |shown| amount_in(shown).is_some()).await?;
        ui.click("[data-testid=nav-receive]").await?;
        ui.fill("#receive-amount", "50000").await?;
        ui.click("[data-testid=create-invoice]").await?;
        let quote = ui.element_within("[data-testid=jit-quote]", config.network_wait).await?;
        let fee_msat: u64 = quote
            .attr("data-fee-msat")
            .await
            .map_err(Error::webdriver("reading the quoted fee"))?
            .and_then(|fee| fee.parse().ok())
            .ok_or_else(|| unexpected("the quoted fee", "none"))?;
        // hub's terms (crates/devnet/src/peers.rs): 1%, at least 2,000 sats.
        if fee_msat != 2_000_000 {
            return Err(unexpected("the fee quoted for 50,000 sats (2,000 sats)", &fee_msat.to_string()));
        }
        let sentence = quote.text().await.map_err(Error::webdriver("reading the quote"))?;
        if !sentence.contains("2\u{202f}000 sats") || !sentence.contains("48\u{202f}000 sats") {
            return Err(unexpected("the quote's sentence, with the fee and what arrives", &sentence));
        }
        ui.screenshot_all_widths("receive-jit-quote").await?;
        ui.click("[data-testid=jit-accept]").await?;
        let invoice = shown_invoice(ui).await?;
        devnet.shop_pays(&invoice).await?;
        ui.element_within("[data-testid=received]", config.network_wait).await?;
        ui.screenshot_all_widths("received-jit").await?;
        ui.click("[data-testid=nav-home]").await?;
        ui.wait_for_path("/home").await?;
        let lightning = settled_amount(ui, config, "[data-testid=lightning-balance]").await?;
        if amount_in(&lightning) != Some(50_000 - fee_msat / 1000) {
            return Err(unexpected("the Lightning balance: 50,000 sats less the fee", &lightning));
        }
        ui.wait_for_text("[data-testid=activity]", "the payment, through a new channel", config.network_wait, |shown| {
            shown.contains("through a new channel, the provider kept 2\u{202f}000 sats")
        })
        .await?;
        ui.screenshot_all_widths("home-after-jit").await?;
        ui.click("[data-testid=nav-send]").await?;
        pay_shop(ui, config, devnet, 1_000_000).await?;
        paid_while_closed(ui, config, devnet).await
    })
    .await
}

/// The Receive page's payment code, paid by shop while the wallet is closed (reloaded, left at the
/// unlock page): hub answers shop for it, and once unlocked the wallet asks shop for the payment and
/// the home page says what arrived while it was away.
async fn paid_while_closed(ui: &Ui, config: &Config, devnet: &DevnetControl) -> Result<()> {
    ui.click("[data-testid=nav-receive]").await?;
    let code = steps::show_payment_code(ui, config.network_wait).await?;
    if !code.starts_with("lno1") {
        return Err(unexpected("a BOLT12 offer (lno1…)", &code));
    }
    ui.element("[data-testid=payment-code-limits]").await?;
    ui.screenshot_all_widths("receive-payment-code").await?;
    ui.reload().await?;
    ui.wait_for_path("/unlock").await?;
    let sent = devnet.shop_pays_offer(&code, 3_000_000, 5).await?;
    if sent["status"] != "pending" {
        return Err(unexpected("shop's payment waiting for the closed wallet", &sent.to_string()));
    }
    ui.fill("#passphrase", config.passphrase).await?;
    ui.click("[data-testid=unlock]").await?;
    ui.wait_for_path("/home").await?;
    ui.wait_for_text("[data-testid=received-while-away]", "what arrived while the wallet was closed", config.network_wait, |shown| {
        shown.contains("3\u{202f}000 sats")
    })
    .await?;
    ui.wait_for_text("[data-testid=activity]", "the payment in the history", config.network_wait, |shown| {
        shown.contains("Received while you were away")
    })
    .await?;
    ui.screenshot_all_widths("home-received-while-away").await
}

/// The browser forgets the wallet (the tab goes; a new profile has nothing): restored from its words
/// in a second browser, the wallet has its on-chain coins back at once, and the channel's funds a few
/// blocks later, once hub (the devnet's LSP) has force-closed the channel the restored wallet did not
/// know and the wallet has swept its share: what the channel held, less the closing fees.
/// Settings export the wallet's backup file; a new profile restores it from the welcome page with the
/// passphrase, and the wallet is back with its channel once hub has confirmed its state: the same
/// balances, nothing waiting. The original has left the app first (one running copy).
async fn restored_from_a_backup_in_a_new_profile(ui: &Ui, config: &Config) -> Result<()> {
    let before = note_balances(ui, config).await?;
    ui.click("[data-testid=nav-settings]").await?;
    // The download is the browser's; the bytes the page hands it are taken here instead, as a file
    // would hold them (read from the blob: the page's policy lets nothing fetch a `blob:` URL).
    let keep_blobs = "window.savedBlobs = []; const make = URL.createObjectURL; \
        URL.createObjectURL = (blob) => { window.savedBlobs.push(blob); return make.call(URL, blob); }; \
        HTMLAnchorElement.prototype.click = function () {};";
    ui.driver.execute(keep_blobs, Vec::new()).await.map_err(Error::webdriver("keeping the download's bytes"))?;
    ui.click("[data-testid=export-backup]").await?;
    ui.wait_for_text("[data-testid=backup-saved]", "the backup saved", ui.waits.element, |text| text.contains(".backup")).await?;
    ui.screenshot_all_widths("settings-backup-saved").await?;
    let read_blob =
        "const done = arguments[arguments.length - 1]; window.savedBlobs[0].arrayBuffer().then(b => done(Array.from(new Uint8Array(b))));";
    let bytes = ui.driver.execute_async(read_blob, Vec::new()).await.map_err(Error::webdriver("reading the backup's bytes"))?;
    let bytes: Vec<u8> = serde_json::from_value(bytes.json().clone()).map_err(|e| unexpected("the backup's bytes", &e.to_string()))?;
    let file = std::env::temp_dir().join(format!("blixtra-e2e-{}.backup", std::process::id()));
    std::fs::write(&file, &bytes).map_err(|e| unexpected("the backup written to a file", &e.to_string()))?;
    ui.driver.goto("about:blank").await.map_err(Error::webdriver("leaving the app"))?;

    let browser = Browser::start(&config.browser).await?;
    let fresh = ui.in_other_browser(browser.driver.clone(), "from-backup");
    let outcome = async {
        fresh.open("/").await?;
        fresh.click("[data-testid=start-restore-backup]").await?;
        fresh.wait_for_path("/restore-backup").await?;
        fresh.element("#backup-file").await?.send_keys(file.to_string_lossy().as_ref()).await.map_err(Error::webdriver("choosing the file"))?;
        fresh.wait_for_text("[data-testid=backup-chosen]", "the file's wallet", fresh.waits.element, |text| text.contains("records")).await?;
        fresh.screenshot_all_widths("restore-backup").await?;
        fresh.fill("#backup-passphrase", config.passphrase).await?;
        fresh.click("[data-testid=restore-backup]").await?;
        fresh.wait_for_path("/home").await?;
        fresh
            .wait_for_text("[data-testid=lightning-balance]", "the channel's balance back", config.network_wait, |shown| shown == before.lightning)
            .await?;
        wait_until("hub confirming the restored channel", config.network_wait, fresh.waits.poll, async || {
            let waiting = fresh.driver.find_all(thirtyfour::By::Css("[data-testid=channel-unconfirmed], [data-testid=channel-old]")).await?;
            Ok(waiting.is_empty().then_some(()))
        })
        .await?;
        fresh.click("[data-testid=nav-channels]").await?;
        fresh.wait_for_attribute("[data-testid=channel]", "data-state", "usable", &[], config.network_wait).await?;
        fresh.screenshot_all_widths("channels-after-backup").await
    }
    .await;
    let _ = std::fs::remove_file(&file);
    if outcome.is_err() {
        report_failure(&fresh, &browser).await;
    }
    drop(fresh);
    outcome.and(browser.quit().await)?;
    // The backup's copy has stopped with the channel as it found it: the original may run again.
    ui.open("/").await?;
    ui.wait_for_path("/unlock").await?;
    ui.fill("#passphrase", config.passphrase).await?;
    ui.click("[data-testid=unlock]").await?;
    ui.wait_for_path("/home").await
}

async fn restored_in_a_new_profile(ui: &Ui, config: &Config, devnet: &DevnetControl, words: &[String]) -> Result<()> {
    let before = note_balances(ui, config).await?;
    let (lightning, onchain) = (amount_in(&before.lightning), amount_in(&before.onchain));
    let (Some(lightning), Some(onchain)) = (lightning, onchain) else { return Err(unexpected("both balances as amounts", &before.lightning)) };
    ui.driver.goto("about:blank").await.map_err(Error::webdriver("leaving the app"))?;
    let browser = Browser::start(&config.browser).await?;
    let fresh = ui.in_other_browser(browser.driver.clone(), "restored");
    let outcome = async {
        fresh.open("/").await?;
        steps::restore_wallet(&fresh, words, config.passphrase).await?;
        fresh.wait_for_path("/home").await?;
        fresh
            .wait_for_text("[data-testid=onchain-balance]", "the on-chain coins back", config.network_wait, |shown| amount_in(shown) == Some(onchain))
            .await?;
        // Blocks come one every two seconds: hub's close confirms, then the wallet's sweep.
        let deadline = std::time::Instant::now() + config.network_wait;
        let notice = loop {
            devnet.mine(1).await?;
            let shown = match fresh.elements_now("[data-testid=channel-recovery]").await?.into_iter().next() {
                // The notice may be redrawn between finding and reading it.
                Some(element) => element.text().await.unwrap_or_default(),
                None => String::new(),
            };
            if shown.contains("are back") {
                break shown;
            }
            if std::time::Instant::now() >= deadline {
                return Err(Error::Timeout { what: "the channel's funds back".into(), after: config.network_wait, last_error: Some(shown) });
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        };
        fresh.screenshot_all_widths("home-channel-funds-back").await?;
        let now = amount_in(&settled_amount(&fresh, config, "[data-testid=onchain-balance]").await?).unwrap_or(0);
        let back = now.saturating_sub(onchain);
        // The commitment's fee and anchors (paid by the wallet, which opened the channel), then the sweep's.
        if back >= lightning || back + 5_000 < lightning {
            return Err(unexpected(&format!("{lightning} sats back on chain, less the closing fees"), &format!("{back} sats ({notice})")));
        }
        Ok(())
    }
    .await;
    if outcome.is_err() {
        report_failure(&fresh, &browser).await;
    }
    drop(fresh);
    outcome.and(browser.quit().await)
}

// The steps, in the order a person takes them.

async fn open_welcome(ui: &Ui) -> Result<()> {
    ui.open("/").await?;
    ui.wait_for_path("/").await?;
    ui.element("[data-testid=start-create]").await?;
    ui.screenshot_all_widths("welcome").await
}

/// A passphrase among the first anyone would try is called too easy to guess as it is typed, and
/// refused; nothing is created.
async fn a_guessable_passphrase_is_refused(ui: &Ui) -> Result<()> {
    ui.fill("#new-passphrase", "Password123").await?;
    ui.fill("#confirm-passphrase", "Password123").await?;
    ui.wait_for_text("[data-testid=passphrase-strength]", "the strength of a guessable passphrase", ui.waits.element, |shown| {
        shown.contains("Too easy to guess")
    })
    .await?;
    ui.click("[data-testid=create-wallet]").await?;
    ui.wait_for_text("[data-testid=error]", "the refusal of a guessable passphrase", ui.waits.element, |shown| shown.contains("among the first"))
        .await?;
    ui.screenshot_all_widths("create-passphrase-refused").await?;
    ui.wait_for_path("/create").await
}

/// The app runs under its content security policy (every scenario shows that), and the policy refuses
/// what an injected script would need: an inline script (added to the page, it does not run).
async fn inline_scripts_are_refused(ui: &Ui) -> Result<()> {
    let script = "const s = document.createElement('script'); s.textContent = 'window.blixtraInlineRan = true;'; \
                  document.head.appendChild(s); return [window.blixtraInlineRan === true, \
                  !!document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]')];";
    let answer = ui.driver.execute(script, Vec::new()).await.map_err(Error::webdriver("adding an inline script"))?.json().clone();
    if answer != serde_json::json!([false, true]) {
        return Err(unexpected("an inline script refused by the page's policy ([ran, has a policy])", &answer.to_string()));
    }
    Ok(())
}

async fn expect_home(ui: &Ui, screenshot: &str) -> Result<()> {
    ui.wait_for_path("/home").await?;
    ui.screenshot_all_widths(screenshot).await
}

async fn garbage_is_refused_on_send(ui: &Ui) -> Result<()> {
    ui.click("[data-testid=nav-send]").await?;
    ui.fill("#send-input", "this is not an invoice").await?;
    ui.click("[data-testid=check-payment]").await?;
    ui.element("[data-testid=error]").await?;
    ui.screenshot_all_widths("send-refused").await
}

/// Pays an invoice of shop's (two hops: through hub) and waits for the payment's success.
async fn pay_shop(ui: &Ui, config: &Config, devnet: &DevnetControl, amount_msat: u64) -> Result<()> {
    let invoice = devnet.shop_invoice(amount_msat, "coffee").await?;
    steps::pay_invoice(ui, &invoice, config.network_wait).await
}

/// Makes an invoice for `amount_sat`, has shop pay it, and waits until the page says it was received.
async fn get_paid_by_shop(ui: &Ui, config: &Config, devnet: &DevnetControl, amount_sat: u64) -> Result<()> {
    ui.click("[data-testid=nav-receive]").await?;
    ui.fill("#receive-amount", &amount_sat.to_string()).await?;
    ui.click("[data-testid=create-invoice]").await?;
    let invoice = shown_invoice(ui).await?;
    ui.screenshot_all_widths("receive-invoice").await?;
    devnet.shop_pays(&invoice).await?;
    ui.element_within("[data-testid=received]", config.network_wait).await?;
    ui.screenshot_all_widths("received").await
}

/// Returns the invoice the receive page shows, as text or in a read-only field.
async fn shown_invoice(ui: &Ui) -> Result<String> {
    let element = ui.element("[data-testid=invoice]").await?;
    let text = element.text().await.map_err(Error::webdriver("reading the invoice"))?;
    let text = match text.trim() {
        "" => element.prop("value").await.map_err(Error::webdriver("reading the invoice field"))?.unwrap_or_default(),
        shown => shown.to_owned(),
    };
    let invoice = text.trim().trim_start_matches("lightning:").to_owned();
    if invoice.to_ascii_lowercase().starts_with("lnbcrt") {
        Ok(invoice)
    } else {
        Err(unexpected("the invoice shown", &invoice))
    }
}

/// The two balances home shows, as text.
struct Balances {
    lightning: String,
    onchain: String,
}

/// Goes home and reads both balances once they have stopped changing.
async fn note_balances(ui: &Ui, config: &Config) -> Result<Balances> {
    ui.click("[data-testid=nav-home], a[href='/home']").await?;
    ui.wait_for_path("/home").await?;
    let lightning = settled_amount(ui, config, "[data-testid=lightning-balance]").await?;
    let onchain = settled_amount(ui, config, "[data-testid=onchain-balance]").await?;
    ui.screenshot_all_widths("home-after-payments").await?;
    Ok(Balances { lightning, onchain })
}

/// How long an amount must stay unchanged to count as settled: longer than the app's poll of the node
/// (`POLL_EVERY`, 3 s, in src/node_session.rs). A balance settles a moment after its payment's event,
/// and the poll is what shows it: a shorter window once took the balance from before a receipt had
/// settled, and the reload then showed 5,000 sats more.
const SETTLED_FOR: Duration = Duration::from_secs(4);

/// Returns the text of an amount once it shows one and then keeps it for [`SETTLED_FOR`] (the node's
/// events may still be arriving).
async fn settled_amount(ui: &Ui, config: &Config, css: &str) -> Result<String> {
    let mut last: Option<(String, std::time::Instant)> = None;
    wait_until(&format!("`{css}` to settle on an amount"), config.network_wait, Duration::from_millis(250), async || {
        let Some(element) = ui.elements_now(css).await.ok().and_then(|all| all.into_iter().next()) else { return Ok(None) };
        let text = element.text().await?;
        if amount_in(&text).is_none() {
            return Ok(None);
        }
        match &last {
            Some((seen, since)) if *seen == text && since.elapsed() >= SETTLED_FOR => Ok(Some(text)),
            Some((seen, _)) if *seen == text => Ok(None),
            _ => {
                last = Some((text, std::time::Instant::now()));
                Ok(None)
            }
        }
    })
    .await
}

/// Reloads: the wallet locks. A wrong passphrase is refused; the right one unlocks.
async fn reload_and_unlock(ui: &Ui, passphrase: &str) -> Result<()> {
    ui.reload().await?;
    ui.wait_for_path("/unlock").await?;
    ui.fill("#passphrase", "not the passphrase").await?;
    ui.click("[data-testid=unlock]").await?;
    ui.element("[data-testid=error]").await?;
    // The refused passphrase does not stay in the page.
    let left = ui.element("#passphrase").await?.prop("value").await.map_err(Error::webdriver("reading the passphrase field"))?;
    if left.as_deref() != Some("") {
        return Err(unexpected("an empty passphrase field after a refusal", &format!("{left:?}")));
    }
    ui.screenshot_all_widths("unlock-refused").await?;
    ui.fill("#passphrase", passphrase).await?;
    ui.click("[data-testid=unlock]").await?;
    ui.wait_for_path("/home").await
}

/// The channels page says by when to open the wallet again; a wallet closed (reloaded, left at the
/// unlock page) while the chain moved on by 1,000 blocks, more than half the 1,872 its channel allows,
/// is warned on unlock.
async fn closed_long_is_warned(ui: &Ui, config: &Config, devnet: &DevnetControl) -> Result<()> {
    ui.click("[data-testid=nav-channels]").await?;
    ui.wait_for_text("[data-testid=open-before]", "the date to open the wallet again", config.network_wait, |shown| shown.contains("13 days"))
        .await?;
    ui.reload().await?;
    ui.wait_for_path("/unlock").await?;
    devnet.mine(1_000).await?;
    ui.fill("#passphrase", config.passphrase).await?;
    ui.click("[data-testid=unlock]").await?;
    ui.wait_for_path("/home").await?;
    ui.wait_for_text("[data-testid=away-warning]", "the warning of a wallet closed long", config.network_wait, |shown| shown.contains("7 days"))
        .await?;
    ui.screenshot_all_widths("home-closed-long").await
}

/// A reload the moment a payment is confirmed, three times: each lands on the unlock page (the old
/// page's tab lock is freed a moment after it goes; the new page waits for it), and each unlock
/// brings the wallet back.
async fn reloads_during_payments_land_on_unlock(ui: &Ui, config: &Config, devnet: &DevnetControl) -> Result<()> {
    for round in 0..3 {
        let invoice = devnet.shop_invoice(1_000_000 + round, "reloaded").await?;
        ui.click("[data-testid=nav-send]").await?;
        ui.fill("#send-input", &invoice).await?;
        ui.click("[data-testid=check-payment]").await?;
        ui.element("[data-testid=payment-summary]").await?;
        ui.click("[data-testid=confirm-pay]").await?;
        ui.reload().await?;
        ui.wait_for_path("/unlock").await?;
        ui.fill("#passphrase", config.passphrase).await?;
        ui.click("[data-testid=unlock]").await?;
        ui.wait_for_path("/home").await?;
        // Home shows a placeholder until the node runs and answers.
        let running = |shown: &str| shown.chars().any(|c| c.is_ascii_digit());
        ui.wait_for_text("[data-testid=lightning-balance]", "the node running again", config.network_wait, running).await?;
    }
    Ok(())
}

/// Waits until home shows the balances noted before the reload (a placeholder first, while the node starts).
async fn expect_balances(ui: &Ui, config: &Config, before: &Balances) -> Result<()> {
    for (css, text) in [("[data-testid=lightning-balance]", &before.lightning), ("[data-testid=onchain-balance]", &before.onchain)] {
        ui.wait_for_text(css, &format!("\"{text}\" as before the reload"), config.network_wait, |shown| shown == text).await?;
    }
    ui.screenshot_all_widths("home-after-reload").await
}

/// A second chain server that is not one is refused in settings; one that is down is named on home
/// after the next unlock, as the reason confirmations wait.
async fn a_second_server_that_is_down_is_named(ui: &Ui, config: &Config) -> Result<()> {
    ui.click("[data-testid=nav-settings]").await?;
    ui.fill("#second-esplora-url", "esplora.example").await?;
    ui.click("[data-testid=save-settings]").await?;
    ui.wait_for_text("[data-testid=error]", "the refusal of a second server without a scheme", ui.waits.element, |shown| {
        shown.contains("second Esplora")
    })
    .await?;
    ui.fill("#second-esplora-url", "http://127.0.0.1:9").await?;
    ui.click("[data-testid=save-settings]").await?;
    ui.element("[data-testid=settings-saved]").await?;
    reload_and_unlock(ui, config.passphrase).await?;
    ui.wait_for_text("[data-testid=chain-fault]", "the second server named as down", config.network_wait, |shown| {
        shown.contains("second chain server")
    })
    .await?;
    ui.screenshot_all_widths("home-second-server-down").await
}

/// Shows settings, then home in Swedish, then switches back to English.
async fn settings_in_two_languages(ui: &Ui) -> Result<()> {
    ui.click("[data-testid=nav-settings]").await?;
    ui.element("#language").await?;
    ui.screenshot_all_widths("settings").await?;
    ui.select("#language", "sv").await?;
    wait_until("the page's lang to be sv", ui.waits.element, ui.waits.poll, async || {
        let html = ui.elements_now("html").await.ok().and_then(|all| all.into_iter().next());
        let Some(html) = html else { return Ok(None) };
        Ok((html.attr("lang").await?.as_deref() == Some("sv")).then_some(()))
    })
    .await?;
    ui.click("[data-testid=nav-home], a[href='/home']").await?;
    ui.wait_for_path("/home").await?;
    ui.screenshot_all_widths("home-swedish").await?;
    ui.click("[data-testid=nav-settings]").await?;
    ui.select("#language", "en").await
}
