//! A website on loopback that pays through WebLN as real sites do: it loads the npm `webln`
//! package's browser build (`WebLN.requestProvider()`, not code written here) and exposes one
//! helper, `ask(name, run)`, which records each call's outcome under its name for the test to read;
//! and what a person does in the extension for a site (answer its prompt, give it a budget), shared
//! by the extension's test and the benchmark.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use thirtyfour::{By, WindowHandle};

use crate::server::AppServer;
use crate::steps::unexpected;
use crate::ui::{wait_until, Ui};
use crate::{Error, Result};

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>A test shop</title><script src="/webln.min.js"></script></head>
<body>
<h1>A test shop</h1>
<script>
  window.outcomes = {};
  // Runs `run` and records how it ended: { ok: value } or { error: { name, message } }.
  window.ask = (name, run) => {
    window.outcomes[name] = null;
    Promise.resolve().then(run).then(
      (value) => { window.outcomes[name] = { ok: value === undefined ? null : value }; },
      (error) => { window.outcomes[name] = { error: { name: String(error && error.name), message: String(error && error.message) } }; },
    );
  };
</script>
</body>
</html>
"#;

/// The site, served until dropped.
pub struct WeblnSite {
    pub port: u16,
    _dir: tempfile::TempDir,
    _server: AppServer,
}

impl WeblnSite {
    /// Serves the page and `webln_js` (the package's `dist/webln.min.js`) on 127.0.0.1.
    pub async fn serve(webln_js: &Path) -> Result<Self> {
        let setup = |what: &str, e: std::io::Error| Error::Unexpected { what: format!("the test website's {what}"), detail: e.to_string() };
        let dir = tempfile::tempdir().map_err(|e| setup("folder", e))?;
        std::fs::write(dir.path().join("index.html"), PAGE).map_err(|e| setup("page", e))?;
        std::fs::copy(webln_js, dir.path().join("webln.min.js")).map_err(|e| setup(&format!("copy of {}", webln_js.display()), e))?;
        let router = axum::Router::new().fallback_service(tower_http::services::ServeDir::new(dir.path()));
        let server = AppServer::serve(router, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let port = server
            .url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| Error::Unexpected { what: "the test website's address".into(), detail: server.url.clone() })?;
        Ok(WeblnSite { port, _dir: dir, _server: server })
    }

    /// The site's address under `host` (`127.0.0.1` or `localhost`: two origins of one server).
    pub fn url(&self, host: &str) -> String {
        format!("http://{host}:{}/", self.port)
    }
}

/// Runs `expression` on the site as call `name`.
pub async fn site_call(ui: &Ui, name: &str, expression: &str) -> Result<()> {
    let script = format!("window.ask('{name}', () => {expression});");
    ui.driver.execute(&script, Vec::new()).await.map_err(Error::webdriver("calling the site's WebLN"))?;
    Ok(())
}

/// Waits for the outcome of the site's call `name`: `{ ok }` or `{ error: { name, message } }`.
pub async fn outcome(ui: &Ui, name: &str, within: Duration) -> Result<serde_json::Value> {
    let script = format!("return window.outcomes['{name}'] ?? null;");
    wait_until(&format!("the site's {name} call to settle"), within, ui.waits.poll, async || {
        let value = ui.driver.execute(&script, Vec::new()).await?.json().clone();
        Ok((!value.is_null()).then_some(value))
    })
    .await
}

/// Finds the prompt that opened after `before`, checks what it says, answers it, and goes back to
/// the site's tab.
///
/// ChromeDriver lists no window the extension opens with `chrome.windows.create` (type `popup`), so
/// the prompt's page is found through `chrome.windows` and opened as it is, in a tab WebDriver
/// drives; the popup window is closed once that tab shows the question. The page, its connection and its answer are the
/// popup's own.
pub async fn answer_prompt(ui: &Ui, site_tab: &WindowHandle, answer: Answer<'_>, within: Duration, says: impl Fn(&str) -> bool) -> Result<()> {
    let driver = &ui.driver;
    let tab = driver.new_tab().await.map_err(Error::webdriver("opening a tab for the prompt"))?;
    driver.switch_to_window(tab).await.map_err(Error::webdriver("going to the prompt's tab"))?;
    ui.open("/wallet.html?popup").await?;
    let find = "return chrome.windows.getAll({ populate: true }).then((all) => all \
                  .filter((w) => w.type === 'popup' && w.tabs.some((t) => /[?]prompt=/.test(t.url ?? ''))) \
                  .map((w) => new URL(w.tabs[0].url).search));";
    let search = wait_until("the website's prompt window", within, ui.waits.poll, async || {
        let found = driver.execute(find, Vec::new()).await?.json().clone();
        Ok(found.as_array().and_then(|all| all.first()).and_then(|s| s.as_str()).map(str::to_owned))
    })
    .await?;
    ui.open(&format!("/wallet.html{search}")).await?;
    let button = match answer {
        Answer::Allow => "[data-testid=prompt-allow]",
        Answer::Deny => "[data-testid=prompt-deny]",
        Answer::Unlock { .. } => "[data-testid=unlock]",
    };
    ui.element_within(button, within).await?;
    // The prompt is this tab's now: the popup window can go without answering it.
    let close_popups =
        "return chrome.windows.getAll().then((all) => Promise.all(all.filter((w) => w.type === 'popup').map((w) => chrome.windows.remove(w.id))));";
    driver.execute(close_popups, Vec::new()).await.map_err(Error::webdriver("closing the prompt's popup window"))?;
    let text = ui.element("[data-testid=website-prompt]").await?.text().await.map_err(Error::webdriver("reading the prompt"))?;
    if !says(&text) {
        return Err(unexpected("the website's prompt", &text));
    }
    if let Answer::Unlock { passphrase } = answer {
        ui.fill("#passphrase", passphrase).await?;
    }
    let current = driver.window().await.map_err(Error::webdriver("naming the prompt's tab"))?;
    ui.click(button).await?;
    // The page closes itself once its answer is taken, or says so where the browser keeps it open.
    let closed = wait_until("the prompt's answer to be taken", within, ui.waits.poll, async || {
        if !driver.windows().await?.contains(&current) {
            return Ok(Some(true));
        }
        Ok((!driver.find_all(By::Css("[data-testid=prompt-answered]")).await?.is_empty()).then_some(false))
    })
    .await?;
    if !closed {
        // The page says it was answered just before it closes itself: it may be gone by now.
        if let Err(error) = driver.close_window().await {
            if driver.windows().await.map_err(Error::webdriver("listing the windows"))?.contains(&current) {
                return Err(Error::webdriver("closing the prompt's tab")(error));
            }
        }
    }
    driver.switch_to_window(site_tab.clone()).await.map_err(Error::webdriver("going back to the site"))
}

/// How the test answers a prompt: its buttons, or (asked to unlock) the passphrase, after which the
/// prompt answers itself once the node runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer<'a> {
    Allow,
    Deny,
    Unlock { passphrase: &'a str },
}

/// Gives the site a budget in the wallet's settings (in a tab of its own, closed after).
pub async fn give_budget(ui: &Ui, origin: &str, per_payment_sat: u64, per_day_sat: u64, within: Duration) -> Result<()> {
    let tab = ui.driver.new_tab().await.map_err(Error::webdriver("opening the wallet's tab"))?;
    ui.driver.switch_to_window(tab).await.map_err(Error::webdriver("going to the wallet's tab"))?;
    ui.open("/wallet.html?popup").await?;
    ui.wait_for_path("/home").await?;
    ui.click("[data-testid=nav-settings]").await?;
    let site = format!("[data-testid=website][data-origin='{origin}']");
    ui.element_within(&site, within).await?;
    ui.fill(&format!("{site} [data-testid=budget-per-payment]"), &per_payment_sat.to_string()).await?;
    ui.fill(&format!("{site} [data-testid=budget-per-day]"), &per_day_sat.to_string()).await?;
    ui.click(&format!("{site} [data-testid=website-save]")).await?;
    ui.element_within(&format!("{site} [data-testid=website-budget]"), within).await?;
    ui.screenshot_all_widths("websites").await?;
    ui.driver.close_window().await.map_err(Error::webdriver("closing the wallet's tab"))
}
