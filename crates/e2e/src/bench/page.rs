//! The benchmark's page (`crates/e2e/bench/`) over WebDriver: each call starts a job in the page and
//! polls for its end, so a long batch is bounded by its own deadline, not WebDriver's script timeout.

use std::time::Duration;

use serde_json::Value;
use thirtyfour::WebDriver;

use crate::ui::wait_until;
use crate::{Error, Result};

pub struct BenchPage<'a> {
    pub driver: &'a WebDriver,
}

impl BenchPage<'_> {
    /// Runs `blixtraBench`'s call `name` with `args` in the page; returns its value, or its error as
    /// an `Unexpected` naming the call.
    pub async fn call(&self, name: &str, args: Value, within: Duration) -> Result<Value> {
        let id = self
            .driver
            .execute("return window.blixtraBench.begin(arguments[0], arguments[1]);", vec![Value::from(name), args])
            .await
            .map_err(Error::webdriver(format!("starting {name} in the bench page")))?;
        let id = id.json().clone();
        let driver = self.driver;
        let job = wait_until(&format!("the bench page's {name}"), within, Duration::from_millis(50), async || {
            let job = driver.execute("return window.blixtraBench.job(arguments[0]);", vec![id.clone()]).await?;
            let job = job.json().clone();
            Ok((job["done"] == Value::Bool(true)).then_some(job))
        })
        .await?;
        match job.get("error") {
            Some(error) => Err(Error::Unexpected { what: format!("the bench page's {name}"), detail: error.as_str().unwrap_or_default().to_owned() }),
            None => Ok(job["value"].clone()),
        }
    }
}

/// Reads the page's User Timing marks (`blixtra:…`) and navigation timing, in ms since the page
/// began loading: `{ marks: {name: [times]}, navigation: {response_end, dom_content_loaded, load} }`.
pub async fn page_timings(driver: &WebDriver) -> Result<Value> {
    let script = r#"
        const marks = {};
        for (const m of performance.getEntriesByType("mark")) {
            if (m.name.startsWith("blixtra:")) (marks[m.name] = marks[m.name] || []).push(m.startTime);
        }
        const nav = performance.getEntriesByType("navigation")[0];
        const transferred = performance.getEntriesByType("resource").reduce((sum, r) => sum + (r.transferSize || 0), nav ? nav.transferSize : 0);
        return { marks, navigation: nav ? { response_end: nav.responseEnd, dom_content_loaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd } : null, transferred_bytes: transferred };
    "#;
    let answer = driver.execute(script, Vec::new()).await.map_err(Error::webdriver("reading the page's timings"))?;
    Ok(answer.json().clone())
}

/// Waits until the page has mark `name`; returns the page's timings then (see [`page_timings`]).
pub async fn wait_for_mark(driver: &WebDriver, name: &str, within: Duration) -> Result<Value> {
    wait_until(&format!("the page's mark {name}"), within, Duration::from_millis(100), async || {
        let timings = page_timings(driver).await.map_err(|e| thirtyfour::error::WebDriverError::FatalError(e.to_string()))?;
        Ok(mark_after(&timings, name, 0.0).is_some().then_some(timings))
    })
    .await
}

/// The first time of mark `name` at or after `after` ms, from [`page_timings`]' answer.
pub fn mark_after(timings: &Value, name: &str, after: f64) -> Option<f64> {
    timings["marks"][name].as_array()?.iter().filter_map(Value::as_f64).find(|&t| t >= after)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bench page speaks the node's protocol itself: it must say the version the node does.
    #[test]
    fn the_bench_page_speaks_the_nodes_protocol_version() {
        let version = |text: &str, prefix: &str| {
            text.lines().find_map(|line| line.trim().strip_prefix(prefix)).map(|rest| rest.trim_end_matches(';').trim().to_owned())
        };
        let node = version(include_str!("../../../host/src/protocol.rs"), "pub const PROTOCOL_VERSION: u16 =");
        let page = version(include_str!("../../bench/bench.js"), "const PROTOCOL_VERSION =");
        assert!(node.is_some() && node == page, "the node speaks {node:?}, crates/e2e/bench/bench.js {page:?}");
    }

    #[test]
    fn marks_are_read_in_order_from_a_time_on() {
        let timings = serde_json::json!({ "marks": { "blixtra:payment-settled": [120.5, 900.0] } });
        assert_eq!(mark_after(&timings, "blixtra:payment-settled", 0.0), Some(120.5));
        assert_eq!(mark_after(&timings, "blixtra:payment-settled", 200.0), Some(900.0));
        assert_eq!(mark_after(&timings, "blixtra:payment-settled", 1000.0), None);
        assert_eq!(mark_after(&timings, "blixtra:other", 0.0), None);
    }
}
