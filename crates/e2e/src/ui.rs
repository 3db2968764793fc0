//! The app as a person sees it, over WebDriver: elements found by CSS selector (`data-testid`, ids,
//! attributes), every wait bounded and named, and screenshots of the page at each configured width.
//!
//! WebDriver offers no events to await, so waits poll the page; each gives up at its deadline with an
//! error that names what it awaited and the last error seen.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use thirtyfour::error::WebDriverError;
use thirtyfour::prelude::*;

use crate::{Error, Result};

/// How long an element may take to appear, and how often to look.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    /// For elements of a page already shown (pages render within milliseconds; IndexedDB and Argon2 take a second or two).
    pub element: Duration,
    pub poll: Duration,
}

impl Default for Waits {
    fn default() -> Self {
        Waits { element: Duration::from_secs(30), poll: Duration::from_millis(150) }
    }
}

/// Where screenshots go and at which window sizes they are taken.
#[derive(Debug, Clone)]
pub struct ScreenshotOptions {
    /// Screenshots go to `dir/{width}/{NN}-{name}.png`.
    pub dir: PathBuf,
    /// Width and least height of each size; a longer page gets a taller window, up to `max_height`.
    pub sizes: Vec<(u32, u32)>,
    pub max_height: u32,
}

/// The app in one browser session.
pub struct Ui {
    pub driver: WebDriver,
    base_url: String,
    pub waits: Waits,
    screenshots: ScreenshotOptions,
    /// The window size the scenario runs at, restored after each screenshot.
    window: (u32, u32),
    taken: AtomicU32,
}

impl Ui {
    /// Wraps a session of the app served at `base_url`.
    /// Screenshots of an earlier run in the same folder are removed, so the folder shows this run only.
    pub fn new(driver: WebDriver, base_url: &str, waits: Waits, screenshots: ScreenshotOptions, window: (u32, u32)) -> Self {
        let _ = std::fs::remove_dir_all(&screenshots.dir);
        Ui { driver, base_url: base_url.trim_end_matches('/').to_owned(), waits, screenshots, window, taken: AtomicU32::new(0) }
    }

    /// The same app in another browser session (a second profile, say); its screenshots go to
    /// `dir/{label}/…` beside this session's.
    pub fn in_other_browser(&self, driver: WebDriver, label: &str) -> Ui {
        let screenshots = ScreenshotOptions { dir: self.screenshots.dir.join(label), ..self.screenshots.clone() };
        Ui::new(driver, &self.base_url, self.waits, screenshots, self.window)
    }

    /// Loads the app at `path` (e.g. `/`).
    pub async fn open(&self, path: &str) -> Result<()> {
        let url = format!("{}{path}", self.base_url);
        self.driver.goto(&url).await.map_err(Error::webdriver(format!("opening {url}")))
    }

    /// Reloads the page, as the browser's reload button does.
    pub async fn reload(&self) -> Result<()> {
        self.driver.refresh().await.map_err(Error::webdriver("reloading the page"))
    }

    /// Returns the page's visible text (what a failed run prints, beside its screenshot).
    pub async fn page_text(&self) -> Result<String> {
        let answer = self.driver.execute("return document.body.innerText;", Vec::new()).await.map_err(Error::webdriver("reading the page's text"))?;
        answer.convert::<String>().map_err(Error::webdriver("reading the page's text"))
    }

    /// Waits until the app shows the page at `path` (its router's URL).
    pub async fn wait_for_path(&self, path: &str) -> Result<()> {
        let driver = &self.driver;
        wait_until(&format!("the page {path}"), self.waits.element, self.waits.poll, async || {
            let url = driver.current_url().await?;
            Ok((url.path() == path).then_some(()))
        })
        .await
    }

    /// Waits until an element matching `css` is shown, and returns the first such.
    pub async fn element(&self, css: &str) -> Result<WebElement> {
        self.element_within(css, self.waits.element).await
    }

    /// Like [`Ui::element`], with its own deadline (for what waits on the node or the network).
    pub async fn element_within(&self, css: &str, within: Duration) -> Result<WebElement> {
        let driver = &self.driver;
        wait_until(&format!("`{css}` to be shown"), within, self.waits.poll, async || {
            for element in driver.find_all(By::Css(css)).await? {
                if element.is_displayed().await? {
                    return Ok(Some(element));
                }
            }
            Ok(None)
        })
        .await
    }

    /// Returns every element matching `css` now, shown or not, without waiting.
    pub async fn elements_now(&self, css: &str) -> Result<Vec<WebElement>> {
        self.driver.find_all(By::Css(css)).await.map_err(Error::webdriver(format!("finding `{css}`")))
    }

    /// Clicks the element matching `css` once it is shown and enabled; a click the page refused (an
    /// element re-rendered or covered meanwhile) is tried again until the deadline.
    pub async fn click(&self, css: &str) -> Result<()> {
        self.click_within(css, self.waits.element).await
    }

    /// Like [`Ui::click`], with its own deadline (for what the node must be ready to show).
    pub async fn click_within(&self, css: &str, within: Duration) -> Result<()> {
        let driver = &self.driver;
        wait_until(&format!("`{css}` to be clicked"), within, self.waits.poll, async || {
            for element in driver.find_all(By::Css(css)).await? {
                if element.is_displayed().await? && element.is_enabled().await? {
                    element.click().await?;
                    return Ok(Some(()));
                }
            }
            Ok(None)
        })
        .await
    }

    /// Replaces the text of the field matching `css` with `text`, typed as a person would.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        let field = self.element(css).await?;
        field.clear().await.map_err(Error::webdriver(format!("clearing `{css}`")))?;
        field.send_keys(text).await.map_err(Error::webdriver(format!("typing into `{css}`")))
    }

    /// Chooses the option of value `value` in the `<select>` matching `css`.
    pub async fn select(&self, css: &str, value: &str) -> Result<()> {
        self.click(&format!("{css} option[value=\"{value}\"]")).await
    }

    /// Waits until the element matching `css` shows a text that `accept` takes; returns that text.
    /// `what` names the awaited state in a timeout's message.
    pub async fn wait_for_text(&self, css: &str, what: &str, within: Duration, accept: impl Fn(&str) -> bool) -> Result<String> {
        let driver = &self.driver;
        let accept = &accept;
        wait_until(&format!("`{css}` to show {what}"), within, self.waits.poll, async || {
            let Some(element) = driver.find_all(By::Css(css)).await?.into_iter().next() else { return Ok(None) };
            let text = element.text().await?;
            Ok(accept(&text).then_some(text))
        })
        .await
    }

    /// Waits until an element matching `css` has attribute `name` equal to `wanted`; fails at once if
    /// one has a value among `failing` (a failed payment need not wait for the deadline).
    pub async fn wait_for_attribute(&self, css: &str, name: &str, wanted: &str, failing: &[&str], within: Duration) -> Result<WebElement> {
        let driver = &self.driver;
        let what = format!("`{css}` with {name}=\"{wanted}\"");
        let found = wait_until(&what, within, self.waits.poll, async || {
            for element in driver.find_all(By::Css(css)).await? {
                match element.attr(name).await? {
                    Some(value) if value == wanted => return Ok(Some(Ok(element))),
                    Some(value) if failing.contains(&value.as_str()) => return Ok(Some(Err(value))),
                    _ => {}
                }
            }
            Ok(None)
        })
        .await?;
        match found {
            Ok(element) => Ok(element),
            Err(value) => {
                let text = self.elements_now(css).await?;
                let text = match text.first() {
                    Some(element) => element.text().await.unwrap_or_default(),
                    None => String::new(),
                };
                Err(Error::Unexpected { what, detail: format!("it has {name}=\"{value}\": {text}") })
            }
        }
    }

    /// Saves a screenshot of the whole page at each configured width, as `{width}/{NN}-{name}.png`
    /// (`NN` counts the screenshots of this run), then restores the window.
    pub async fn screenshot_all_widths(&self, name: &str) -> Result<()> {
        let number = self.taken.fetch_add(1, Ordering::Relaxed) + 1;
        for &(width, least_height) in &self.screenshots.sizes {
            self.resize(width, least_height).await?;
            let whole_page = self.window_height_for_whole_page().await?;
            if whole_page > least_height {
                self.resize(width, whole_page.min(self.screenshots.max_height)).await?;
                self.window_height_for_whole_page().await?;
            }
            let dir = self.screenshots.dir.join(width.to_string());
            std::fs::create_dir_all(&dir).map_err(Error::io(format!("creating {}", dir.display())))?;
            let path = dir.join(format!("{number:02}-{name}.png"));
            self.driver.screenshot(&path).await.map_err(Error::webdriver(format!("saving {}", path.display())))?;
        }
        self.resize(self.window.0, self.window.1).await
    }

    async fn resize(&self, width: u32, height: u32) -> Result<()> {
        self.driver.set_window_rect(0, 0, width, height).await.map_err(Error::webdriver(format!("resizing the window to {width}×{height}")))
    }

    /// Returns the window height that shows the whole page (the page's height plus the browser's own
    /// bars), once the browser has laid the page out after a resize (two frames later).
    async fn window_height_for_whole_page(&self) -> Result<u32> {
        let script = "const done = arguments[arguments.length - 1];
            requestAnimationFrame(() => requestAnimationFrame(() =>
                done(document.documentElement.scrollHeight + window.outerHeight - window.innerHeight)));";
        let answer = self.driver.execute_async(script, Vec::new()).await.map_err(Error::webdriver("measuring the page"))?;
        answer.convert::<u32>().map_err(Error::webdriver("reading the page's height"))
    }
}

/// Polls `probe` every `poll` until it returns `Some`, for at most `within`. WebDriver errors count as
/// "not yet" (an element the app re-rendered meanwhile is stale), and the last one is reported.
pub async fn wait_until<T>(
    what: &str,
    within: Duration,
    poll: Duration,
    mut probe: impl AsyncFnMut() -> Result<Option<T>, WebDriverError>,
) -> Result<T> {
    let deadline = Instant::now() + within;
    let mut last_error = None;
    loop {
        match probe().await {
            Ok(Some(found)) => return Ok(found),
            Ok(None) => {}
            Err(e) => last_error = Some(e.to_string()),
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout { what: what.to_owned(), after: within, last_error });
        }
        tokio::time::sleep(poll).await;
    }
}

/// Returns the amount in an amount's text such as `1 000 000 sats` (thin spaces between groups),
/// `21 sat` or `0 sats`: its digits; `None` when it has none (a placeholder while the node starts).
pub fn amount_in(text: &str) -> Option<u64> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_from_their_digits() {
        assert_eq!(amount_in("1\u{202f}000\u{202f}000 sats"), Some(1_000_000));
        assert_eq!(amount_in("5\u{202f}000 sat"), Some(5_000));
        assert_eq!(amount_in("0 sats"), Some(0));
        assert_eq!(amount_in("—"), None);
        assert_eq!(amount_in(""), None);
    }

    #[tokio::test]
    async fn a_wait_names_what_it_awaited_and_the_last_error() {
        let started = Instant::now();
        let mut tries = 0;
        let result: Result<()> = wait_until("the answer", Duration::from_millis(50), Duration::from_millis(10), async || {
            tries += 1;
            Err(thirtyfour::error::no_such_element("nothing here".to_owned()))
        })
        .await;
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(tries > 1);
        let message = result.expect_err("the wait times out").to_string();
        assert!(message.contains("waiting for the answer") && message.contains("last error"), "{message}");
    }
}
