//! The benchmark (`cargo xtask bench`): the release build of the app in headless Chromium against the
//! devnet, with the devnet's native LDK Node "anchor" making the same payments in the same run.
//!
//! One browser session creates a wallet through the UI, funds it and opens a channel to hub; a reload
//! and an unlock give the start-up milestones (the app's User Timing marks); then the benchmark's page
//! (`crates/e2e/bench/`) starts the app's own node worker and times payments, receipts and syncs with
//! the page's clock. A second session restores the wallet from its words (a fresh restore's sync). A
//! third loads the extension's release build, with a wallet of its own ([`extension`]).
//! [`report`] prints the figures beside their goals and writes them as JSON.

pub mod extension;
pub mod kills;
pub mod page;
pub mod report;
pub mod sizes;
pub mod stats;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use tower_http::services::ServeDir;

use self::page::{mark_after, page_timings, wait_for_mark, BenchPage};
use crate::browser::{Browser, BrowserOptions};
use crate::devnet::DevnetControl;
use crate::server::{app_router, AppServer};
use crate::ui::{wait_until, ScreenshotOptions, Ui, Waits};
use crate::{steps, Error, Result};

const PASSPHRASE: &str = "benchmark passphrase, not a secret";
/// Each benchmark payment: 1 sat, a micropayment (the founding document's case).
const AMOUNT_MSAT: u64 = 1_000;
/// The first payment, through the UI: 21,000 sats to shop.
const COFFEE_MSAT: u64 = 21_000_000;
/// What a newcomer's first payment is: shop pays it through the channel hub opens.
const JIT_RECEIVE_MSAT: u64 = 50_000_000;
/// What shop pays a closed wallet's payment code: less than hub's side of a new channel after a coffee.
const HELD_PAYMENT_MSAT: u64 = 3_000_000;
/// The routing fee a payment may take: far above the devnet's 1 sat + 0.0001% through hub.
const MAX_FEE_MSAT: u64 = 10_000;

/// How much of everything to do.
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    /// Payments to hub, and as many to shop (by the wallet and by the anchor).
    pub payments: usize,
    pub receipts: usize,
    pub idle_syncs: usize,
    pub block_syncs: usize,
    /// Payments in the wallet's history when storage and memory are measured (`None`: as many as made).
    pub history: Option<usize>,
    /// Times the kill harness terminates the node's worker mid-payment ([`kills`]).
    pub kills: usize,
    /// A website's payments within its budget, through the extension ([`extension`]).
    pub website_payments: usize,
}

impl Counts {
    pub fn full() -> Counts {
        Counts { payments: 200, receipts: 50, idle_syncs: 10, block_syncs: 5, history: Some(1_000), kills: 100, website_payments: 20 }
    }

    /// `--quick`: a few of each, so the benchmark runs in the test command and cannot rot.
    pub fn quick() -> Counts {
        Counts { payments: 5, receipts: 3, idle_syncs: 3, block_syncs: 2, history: None, kills: 20, website_payments: 3 }
    }
}

pub struct BenchConfig {
    /// The app's release build (Trunk's dist).
    pub dist: PathBuf,
    /// The benchmark's page (`crates/e2e/bench`), served at `/bench/` beside the app.
    pub bench_page: PathBuf,
    pub devnet_url: String,
    pub chromedriver: PathBuf,
    pub counts: Counts,
    /// How the devnet (and so the anchor) was built: `debug` or `release`.
    pub anchor_build: String,
    /// The extension's release build and what its figures need.
    pub extension: extension::ExtensionBench,
}

/// Runs the benchmark; returns the figures as JSON (see [`report`]).
pub async fn run(config: &BenchConfig) -> Result<Value> {
    let sizes = sizes::dist_sizes(&config.dist)?;
    let devnet = DevnetControl::new(&config.devnet_url)?;
    let devnet_json = devnet.config().await?;
    if devnet_json["anchor"].as_str().is_none() {
        return Err(Error::Unexpected {
            what: "devnet.json".into(),
            detail: "no anchor: start the devnet with --anchor (cargo xtask bench does)".into(),
        });
    }
    let router = app_router(&config.dist)?.nest_service("/bench", ServeDir::new(&config.bench_page));
    let server = AppServer::serve(router, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let options = BrowserOptions { chromedriver: config.chromedriver.clone(), ..BrowserOptions::default() };

    let browser = Browser::start(&options).await?;
    let outcome = in_first_session(config, &devnet, &devnet_json, &server.url, &browser).await;
    if outcome.is_err() {
        print_console(&browser).await;
    }
    let _ = browser.quit().await;
    let (words, wallet) = outcome?;

    let browser = Browser::start(&options).await?;
    let restore = fresh_restore(&devnet, &server.url, &browser, &words).await;
    if restore.is_err() {
        print_console(&browser).await;
    }
    let _ = browser.quit().await;
    let restore = restore?;

    let browser = Browser::start(&options).await?;
    let receive_without_channels = without_channels(&devnet, &devnet_json, &server.url, &browser).await;
    if receive_without_channels.is_err() {
        print_console(&browser).await;
    }
    let _ = browser.quit().await;
    let receive_without_channels = receive_without_channels?;

    let extension = extension::run(&config.extension, &devnet).await?;

    let anchor = json!({
        "build": config.anchor_build,
        "to_hub": devnet.bench_pay("anchor", "hub", config.counts.payments, AMOUNT_MSAT).await?,
        "to_shop": devnet.bench_pay("anchor", "shop", config.counts.payments, AMOUNT_MSAT).await?,
    });
    Ok(report::assemble(&sizes, &wallet, &restore, &anchor, &extension, &receive_without_channels, config.counts.payments))
}

/// A seed for the kill harness's delays that differs from run to run.
fn clock_seed() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.subsec_nanos() | 1)
}

async fn print_console(browser: &Browser) {
    if let Ok(lines) = browser.console().await {
        lines.iter().for_each(|line| eprintln!("console: {line}"));
    }
}

fn ui_for(browser: &Browser, base_url: &str) -> Ui {
    // No screenshots: this is not the test, and they would cost time inside nothing timed but the run.
    let screenshots = ScreenshotOptions { dir: std::env::temp_dir().join("blixtra-bench-no-screenshots"), sizes: Vec::new(), max_height: 0 };
    Ui::new(browser.driver.clone(), base_url, Waits::default(), screenshots, (1280, 900))
}

const NETWORK_WAIT: Duration = Duration::from_secs(120);

/// The wallet's figures from one browser session; also returns the recovery words for the restore.
async fn in_first_session(
    config: &BenchConfig,
    devnet: &DevnetControl,
    devnet_json: &Value,
    base_url: &str,
    browser: &Browser,
) -> Result<(Vec<String>, Value)> {
    let ui = ui_for(browser, base_url);
    let counts = config.counts;

    // A first visit, then the wallet made as a person makes it.
    ui.open("/").await?;
    ui.element("[data-testid=start-create]").await?;
    let first_visit = page_timings(&ui.driver).await?;
    let words = steps::create_wallet(&ui, PASSPHRASE).await?;
    ui.wait_for_path("/home").await?;
    steps::fund_from_faucet(&ui, NETWORK_WAIT).await?;
    steps::open_channel_to_hub(&ui, devnet, NETWORK_WAIT).await?;

    // A returning visit: reload, unlock, wait for hub, pay shop through the UI.
    ui.reload().await?;
    ui.wait_for_path("/unlock").await?;
    let reload = page_timings(&ui.driver).await?;
    ui.fill("#passphrase", PASSPHRASE).await?;
    ui.click("[data-testid=unlock]").await?;
    ui.wait_for_path("/home").await?;
    wait_for_mark(&ui.driver, "blixtra:peer-connected", NETWORK_WAIT).await?;
    // A coffee: it also gives hub the balance above its channel reserve that paying the wallet needs.
    let invoice = devnet.shop_invoice(COFFEE_MSAT, "coffee").await?;
    ui.click("[data-testid=nav-send]").await?;
    steps::pay_invoice(&ui, &invoice, NETWORK_WAIT).await?;
    let start_up = report::start_up(&page_timings(&ui.driver).await?, &reload, &first_visit);

    // The benchmark's page runs the same worker.
    let page = lock_and_open_bench_page(&ui).await?;
    let start = wallet_start(devnet_json, None);
    let bench_start = page.call("start", json!({ "start": start, "peer_within_ms": 60_000 }), NETWORK_WAIT).await?;
    let control_url = devnet_json["control_url"].clone();
    wait_until("the channel to be usable in the bench page", NETWORK_WAIT, Duration::from_millis(50), async || {
        let channels = page
            .call("channels", json!({}), Duration::from_secs(10))
            .await
            .map_err(|e| thirtyfour::error::WebDriverError::FatalError(e.to_string()))?;
        Ok(channels.as_array().is_some_and(|all| all.iter().any(|c| c["state"] == "usable")).then_some(()))
    })
    .await?;
    let batch_wait = Duration::from_secs(120 + 2 * counts.history.unwrap_or(counts.payments) as u64);
    let before = page.call("metrics", json!({}), NETWORK_WAIT).await?;
    let to_hub = page
        .call(
            "pay_many",
            json!({ "control_url": control_url, "to": "hub", "count": counts.payments, "amount_msat": AMOUNT_MSAT, "max_fee_msat": MAX_FEE_MSAT }),
            batch_wait,
        )
        .await?;
    let after_hub = page.call("metrics", json!({}), NETWORK_WAIT).await?;
    let to_shop = page
        .call(
            "pay_many",
            json!({ "control_url": control_url, "to": "shop", "count": counts.payments, "amount_msat": AMOUNT_MSAT, "max_fee_msat": MAX_FEE_MSAT }),
            batch_wait,
        )
        .await?;
    let after_shop = page.call("metrics", json!({}), NETWORK_WAIT).await?;
    let receipts = page
        .call("receive_many", json!({ "control_url": control_url, "from": "shop", "count": counts.receipts, "amount_msat": AMOUNT_MSAT }), batch_wait)
        .await?;

    let sync = sync_figures(devnet, &page, counts).await?;

    // The wallet's history so far: the UI's payment, then the batches.
    let mut history = 1 + 2 * counts.payments + counts.receipts;
    if let Some(wanted) = counts.history {
        if wanted > history {
            page.call("pay_many", json!({ "control_url": control_url, "to": "hub", "count": wanted - history, "amount_msat": AMOUNT_MSAT, "max_fee_msat": MAX_FEE_MSAT }), batch_wait).await?;
            history = wanted;
        }
    }
    let storage = page.call("storage", json!({}), NETWORK_WAIT).await?;
    let last = page.call("metrics", json!({}), NETWORK_WAIT).await?;
    page.call("stop", json!({}), NETWORK_WAIT).await?;
    // A start with the whole history stored (it reads the records to settle pending payments), and
    // the history read as the UI's history page reads it.
    let restart = page.call("start", json!({ "start": start, "peer_within_ms": 60_000 }), NETWORK_WAIT).await?;
    let restart_metrics = page.call("metrics", json!({}), NETWORK_WAIT).await?;
    let history_read = page.call("history", json!({}), NETWORK_WAIT).await?;
    let backup = page.call("backup", json!({}), NETWORK_WAIT).await?;
    // Last, as it leaves payments in the history that the figures above do not count.
    let seed = std::env::var("BLIXTRA_KILL_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(clock_seed);
    let kills = kills::run(&page, devnet, &control_url, &start, counts.kills, seed).await?;
    page.call("stop", json!({}), NETWORK_WAIT).await?;
    let faults = kills.faults();
    if !faults.is_empty() {
        return Err(Error::Unexpected {
            what: format!("the wallet after {} kills mid-payment (seed {seed}, BLIXTRA_KILL_SEED repeats it)", kills.kills),
            detail: faults.join("; "),
        });
    }

    let wallet = json!({
        "start_up": start_up,
        "bench_page_start": bench_start,
        "worker_start": { "vault_unlock_ms": last["vault_unlock_ms"], "node_start_ms": last["node_start_ms"] },
        "to_hub": to_hub,
        "to_shop": to_shop,
        "receipts": receipts,
        "store": { "before": before["store"], "after_hub": after_hub["store"], "after_shop": after_shop["store"] },
        "ldk": {
            "before": { "ldk_bytes": before["ldk_bytes"], "ldk_writes": before["ldk_writes"] },
            "after_hub": { "ldk_bytes": after_hub["ldk_bytes"], "ldk_writes": after_hub["ldk_writes"] },
            "after_shop": { "ldk_bytes": after_shop["ldk_bytes"], "ldk_writes": after_shop["ldk_writes"] },
        },
        "sync": sync,
        "after_history": { "payments": history, "origin_storage_bytes": storage["usage_bytes"], "page_js_heap_bytes": storage["page_js_heap_bytes"], "worker_wasm_memory_bytes": last["memory_bytes"] },
        "kills": kills,
        "restart_after_history": {
            "payments": history,
            "page": restart,
            "vault_unlock_ms": restart_metrics["vault_unlock_ms"],
            "node_start_ms": restart_metrics["node_start_ms"],
            "history_read_ms": history_read["ms"],
            "history_records": history_read["payments"],
            "backup_bytes": backup["bytes"],
            "backup_ms": backup["ms"],
        },
    });
    Ok((words, wallet))
}

/// Esplora requests and time of an idle sync (the tip unmoved) and of a sync after one new block,
/// each asked of the node by the page and counted by the devnet around it. A sync of the node's own
/// chain loop may fall in the window now and then: the medians are reported.
async fn sync_figures(devnet: &DevnetControl, page: &BenchPage<'_>, counts: Counts) -> Result<Value> {
    let mut idle = Vec::new();
    while idle.len() < counts.idle_syncs {
        let before = devnet.browser_requests().await?;
        let sync = page.call("sync", json!({}), NETWORK_WAIT).await?;
        let requests = devnet.browser_requests().await? - before;
        if sync["new_tip"] == false {
            idle.push(json!({ "ms": sync["ms"], "requests": requests }));
        }
    }
    let mut after_block = Vec::new();
    let mut tries = 0;
    while after_block.len() < counts.block_syncs && tries < 4 * counts.block_syncs {
        tries += 1;
        devnet.mine(1).await?;
        let before = devnet.browser_requests().await?;
        let sync = page.call("sync", json!({}), NETWORK_WAIT).await?;
        let requests = devnet.browser_requests().await? - before;
        // The node's own 2-second loop may have seen the block first: then this sync was an idle one.
        if sync["new_tip"] == true {
            after_block.push(json!({ "ms": sync["ms"], "requests": requests }));
        }
    }
    Ok(json!({ "idle": idle, "after_block": after_block }))
}

/// Locks the app (which stops its node: hub refuses a second connection from the same node while
/// the first is open) and opens the benchmark's page, which runs the same worker.
async fn lock_and_open_bench_page(ui: &Ui) -> Result<BenchPage<'_>> {
    ui.click("[data-testid=nav-home]").await?;
    ui.click("[data-testid=lock]").await?;
    wait_for_mark(&ui.driver, "blixtra:node-stopped", NETWORK_WAIT).await?;
    ui.open("/bench/index.html").await?;
    Ok(BenchPage { driver: &ui.driver })
}

/// The benchmark page's start of the app's wallet on the devnet, with `lsp` as its channel provider.
fn wallet_start(devnet_json: &Value, lsp: Option<&Value>) -> Value {
    let mut start = json!({
        "database": "blixtra",
        "passphrase": PASSPHRASE,
        "network": "regtest",
        "esplora_url": devnet_json["esplora_url"],
        "proxy_url_template": devnet_json["proxy_url_template"],
        "max_channel_sat": 10_000_000,
    });
    if let Some(lsp) = lsp {
        start["lsp"] = lsp.clone();
    }
    start
}

/// A fresh restore from the recovery words in a new profile: the time from "Restore" to the node
/// running (the vault's key derivation, the worker's, then the first full sync) and its requests; then
/// the channel's funds coming back (hub force-closes the channel the restored wallet does not know,
/// the wallet finds its share and sweeps it), with a block every second: the time from "Restore" to
/// the home page saying they were found, then that they are back, and the requests that took.
async fn fresh_restore(devnet: &DevnetControl, base_url: &str, browser: &Browser, words: &[String]) -> Result<Value> {
    let ui = ui_for(browser, base_url);
    ui.open("/").await?;
    ui.element("[data-testid=start-import]").await?;
    let before = devnet.browser_requests().await?;
    let restored_at = std::time::Instant::now();
    steps::restore_wallet(&ui, words, PASSPHRASE).await?;
    let timings = wait_for_mark(&ui.driver, "blixtra:node-started", NETWORK_WAIT).await?;
    let requests = devnet.browser_requests().await? - before;
    let submitted = mark_after(&timings, "blixtra:restore-submitted", 0.0);
    let started = mark_after(&timings, "blixtra:node-started", 0.0);
    let (mut found_ms, mut blocks) = (None, 0);
    let back_ms = loop {
        let shown = match ui.elements_now("[data-testid=channel-recovery]").await?.into_iter().next() {
            Some(element) => element.text().await.unwrap_or_default(),
            None => String::new(),
        };
        if !shown.is_empty() && found_ms.is_none() {
            found_ms = Some(restored_at.elapsed().as_millis() as u64);
        }
        if shown.contains("are back") {
            break restored_at.elapsed().as_millis() as u64;
        }
        if restored_at.elapsed() > NETWORK_WAIT {
            return Err(Error::Timeout { what: "the restored wallet's channel funds".into(), after: NETWORK_WAIT, last_error: Some(shown) });
        }
        devnet.mine(1).await?;
        blocks += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let recovery_requests = devnet.browser_requests().await? - before - requests;
    Ok(json!({
        "ms": submitted.zip(started).map(|(a, b)| stats::round(b - a)),
        "requests": requests,
        "channel_funds_found_ms": found_ms,
        "channel_funds_back_ms": back_ms,
        "channel_funds_blocks": blocks,
        "channel_funds_requests": recovery_requests,
    }))
}

/// A new wallet in a new profile, with no coins and no channel, as a newcomer starts: made through
/// the UI, then on the benchmark's page the time from shop's payment of a new-channel invoice to
/// "received" (hub opens the channel, then forwards) and what that receive writes to the store; back
/// in the app, with that channel, the time from the unlock to "received while you were away" for a
/// payment shop made to the payment code while the wallet was closed (through the UI, so it includes
/// up to one WebDriver poll, 50 ms).
async fn without_channels(devnet: &DevnetControl, devnet_json: &Value, base_url: &str, browser: &Browser) -> Result<Value> {
    let ui = ui_for(browser, base_url);
    ui.open("/").await?;
    ui.element("[data-testid=start-create]").await?;
    steps::create_wallet(&ui, PASSPHRASE).await?;
    ui.wait_for_path("/home").await?;
    ui.wait_for_text("[data-testid=total-balance]", "the node running", NETWORK_WAIT, |shown| shown.chars().any(|c| c.is_ascii_digit())).await?;
    // The receive itself on the benchmark's page (the page's clock, and the store's counters).
    let page = lock_and_open_bench_page(&ui).await?;
    let start = wallet_start(devnet_json, Some(&devnet_json["hub"]));
    page.call("start", json!({ "start": start, "peer_within_ms": 60_000 }), NETWORK_WAIT).await?;
    let jit = page
        .call("receive_jit", json!({ "control_url": devnet_json["control_url"], "from": "shop", "amount_msat": JIT_RECEIVE_MSAT }), NETWORK_WAIT)
        .await?;
    page.call("stop", json!({}), NETWORK_WAIT).await?;
    ui.open("/").await?;
    ui.wait_for_path("/unlock").await?;
    ui.fill("#passphrase", PASSPHRASE).await?;
    ui.click("[data-testid=unlock]").await?;
    ui.wait_for_path("/home").await?;
    wait_for_mark(&ui.driver, "blixtra:peer-connected", NETWORK_WAIT).await?;

    // Room for hub to pay the wallet: its side of the new channel is little more than its margin.
    let invoice = devnet.shop_invoice(COFFEE_MSAT, "coffee").await?;
    ui.click("[data-testid=nav-send]").await?;
    steps::pay_invoice(&ui, &invoice, NETWORK_WAIT).await?;
    ui.click("[data-testid=nav-receive]").await?;
    let code = steps::show_payment_code(&ui, NETWORK_WAIT).await?;
    ui.reload().await?;
    ui.wait_for_path("/unlock").await?;
    devnet.shop_pays_offer(&code, HELD_PAYMENT_MSAT, 5).await?;
    ui.fill("#passphrase", PASSPHRASE).await?;
    let unlocked = std::time::Instant::now();
    ui.click("[data-testid=unlock]").await?;
    ui.element_within("[data-testid=received-while-away]", NETWORK_WAIT).await?;
    let held_ms = unlocked.elapsed().as_secs_f64() * 1000.0;
    Ok(json!({
        "jit_receive_ms": jit["ms"].as_f64().map(stats::round),
        "jit_receive_fee_msat": jit["fee_msat"],
        "jit_receive_writes_bytes": jit["bytes"],
        "jit_receive_writes_transactions": jit["transactions"],
        "jit_receive_ldk_bytes": jit["ldk_bytes"],
        "held_payment_after_unlock_ms": stats::round(held_ms),
    }))
}
