//! The wallet's flows as a person goes through them, shared by the end-to-end test
//! (`tests/wallet_ui.rs`) and the benchmark (`src/bench/`): create a wallet, fund it from the faucet,
//! open a channel to hub. Each step saves its screenshots (none when the `Ui` is set up without sizes).

use std::time::Duration;

use crate::devnet::DevnetControl;
use crate::ui::{amount_in, wait_until, Ui};
use crate::{Error, Result};

/// Creates a wallet from the welcome page: reads the words shown, answers the word check, chooses
/// `passphrase`. Returns the recovery phrase's words.
pub async fn create_wallet(ui: &Ui, passphrase: &str) -> Result<Vec<String>> {
    let words = create_wallet_up_to_its_passphrase(ui).await?;
    choose_passphrase(ui, passphrase).await?;
    Ok(words)
}

/// The first part of [`create_wallet`]: the words shown and checked. Returns them.
pub async fn create_wallet_up_to_its_passphrase(ui: &Ui) -> Result<Vec<String>> {
    ui.click("[data-testid=start-create]").await?;
    ui.wait_for_path("/create").await?;
    let words = recovery_words(ui).await?;
    ui.screenshot_all_widths("create-words").await?;
    ui.click("[data-testid=words-written]").await?;
    ui.click("[data-testid=words-continue]").await?;

    ui.element("[id^=check-word-]").await?;
    for field in ui.elements_now("[id^=check-word-]").await? {
        let id = field.id().await.map_err(Error::webdriver("reading a check field's id"))?.unwrap_or_default();
        let position: usize = id.trim_start_matches("check-word-").parse().map_err(|_| unexpected("a check field's id", &id))?;
        let word = words.get(position.wrapping_sub(1)).ok_or_else(|| unexpected("an asked word's position", &id))?;
        ui.fill(&format!("#{id}"), word).await?;
    }
    ui.screenshot_all_widths("create-check").await?;
    ui.click("[data-testid=check-words]").await?;
    Ok(words)
}

/// The last part of [`create_wallet`]: the passphrase, twice, and "create".
pub async fn choose_passphrase(ui: &Ui, passphrase: &str) -> Result<()> {
    ui.fill("#new-passphrase", passphrase).await?;
    ui.fill("#confirm-passphrase", passphrase).await?;
    ui.screenshot_all_widths("create-passphrase").await?;
    ui.click("[data-testid=create-wallet]").await
}

async fn recovery_words(ui: &Ui) -> Result<Vec<String>> {
    ui.element("[data-testid=recovery-words]").await?;
    let mut words = Vec::new();
    for item in ui.elements_now("[data-testid=recovery-words] li").await? {
        words.push(item.text().await.map_err(Error::webdriver("reading a recovery word"))?.trim().to_owned());
    }
    if words.len() != 24 {
        return Err(unexpected("the recovery phrase", &format!("{} words: {words:?}", words.len())));
    }
    Ok(words)
}

/// Restores a wallet from `words` on the welcome page, with a new `passphrase`.
pub async fn restore_wallet(ui: &Ui, words: &[String], passphrase: &str) -> Result<()> {
    ui.click("[data-testid=start-import]").await?;
    ui.wait_for_path("/import").await?;
    ui.fill("#recovery-words", &words.join(" ")).await?;
    ui.fill("#new-passphrase", passphrase).await?;
    ui.fill("#confirm-passphrase", passphrase).await?;
    ui.click("[data-testid=restore-wallet]").await
}

/// Asks the faucet for coins and waits until the on-chain balance shows them.
pub async fn fund_from_faucet(ui: &Ui, network_wait: Duration) -> Result<()> {
    // Shown once the node runs: after its start, which catches up with the chain.
    ui.click_within("[data-testid=faucet]", network_wait).await?;
    ui.wait_for_text("[data-testid=onchain-balance]", "a non-zero amount", network_wait, |text| amount_in(text).is_some_and(|sat| sat > 0)).await?;
    ui.screenshot_all_widths("home-funded").await
}

/// Opens a channel to hub, mines its funding once broadcast, and waits until it is usable.
pub async fn open_channel_to_hub(ui: &Ui, devnet: &DevnetControl, network_wait: Duration) -> Result<()> {
    ui.click("[data-testid=nav-channels]").await?;
    let earlier = devnet.mempool_txids().await?;
    ui.click("[data-testid=open-hub]").await?;
    // Mining before the funding is broadcast would leave the channel unconfirmed.
    wait_until("the channel's funding in the mempool", network_wait, ui.waits.poll, async || {
        Ok(devnet.mempool_txids().await.ok().filter(|now| now.iter().any(|txid| !earlier.contains(txid))).map(drop))
    })
    .await?;
    devnet.mine(6).await?;
    ui.wait_for_attribute("[data-testid=channel]", "data-state", "usable", &["closed", "closing"], network_wait).await?;
    ui.screenshot_all_widths("channels").await
}

/// Pays `invoice` on the send page (already shown): reviews it, confirms, and waits for the
/// payment's success.
pub async fn pay_invoice(ui: &Ui, invoice: &str, network_wait: Duration) -> Result<()> {
    ui.fill("#send-input", invoice).await?;
    ui.click("[data-testid=check-payment]").await?;
    ui.element("[data-testid=payment-summary]").await?;
    ui.screenshot_all_widths("send-summary").await?;
    ui.click("[data-testid=confirm-pay]").await?;
    ui.wait_for_attribute("[data-testid=payment-result]", "data-status", "succeeded", &["failed"], network_wait).await?;
    ui.screenshot_all_widths("send-paid").await
}

/// Shows the payment code on the receive page (already shown) and returns it. The code is set up
/// with its server in the background after the node starts: asked too soon, the page says so, and
/// it is asked again until `network_wait` has passed.
pub async fn show_payment_code(ui: &Ui, network_wait: Duration) -> Result<String> {
    let deadline = std::time::Instant::now() + network_wait;
    loop {
        ui.click("[data-testid=show-payment-code]").await?;
        if let Ok(code) = ui.element_within("[data-testid=payment-code]", Duration::from_secs(2)).await {
            return code.text().await.map_err(Error::webdriver("reading the payment code"));
        }
        if std::time::Instant::now() > deadline {
            return Err(unexpected("a payment code within the network wait", "none"));
        }
    }
}

pub fn unexpected(what: &str, detail: &str) -> Error {
    Error::Unexpected { what: what.to_owned(), detail: detail.to_owned() }
}
