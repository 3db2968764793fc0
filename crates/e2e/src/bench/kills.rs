//! The kill harness (issue 13): the benchmark's page terminates the node's worker at random moments
//! of payments in flight, as a closed tab does, and starts it again from IndexedDB
//! (`kill_many` in `crates/e2e/bench/bench.js`). Here each payment is checked against the payee's
//! own record (hub's or shop's LDK Node), the channel against its state before, and the wallet's
//! balance against what the payees received plus the fees the wallet recorded.
//!
//! Unlike the benchmark's timings, these figures are faults: any one above zero fails the run, and
//! so `cargo xtask test`, whose quick benchmark kills the worker 20 times.

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use super::page::BenchPage;
use crate::devnet::DevnetControl;
use crate::{Error, Result};

/// Each payment of the harness: 2 sats, to hub and shop in turn.
const AMOUNT_MSAT: u64 = 2_000;
/// A payment to hub settles in about 100 ms, one to shop in about 200: kills land before, during
/// and after.
const MAX_DELAY_MS: u64 = 400;
/// The bound on each restart's wait for a usable channel, and on the final wait for payments.
const WITHIN: Duration = Duration::from_secs(90);

/// What the kills did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct KillFigures {
    pub kills: usize,
    pub seed: u32,
    /// Payments the payee received (and the wallet recorded as paid).
    pub paid: usize,
    /// Payments the wallet recorded as failed, of which the payee received nothing.
    pub failed: usize,
    /// Channels closed, or no longer usable, after the kills (goal 0).
    pub force_closes: usize,
    /// Payments the payee received that the wallet does not record as paid (goal 0).
    pub lost: usize,
    /// Payments the payee received more than once (goal 0).
    pub paid_twice: usize,
    /// Payments the wallet records as paid that the payee never received (goal 0).
    pub recorded_but_unpaid: usize,
    /// Payments still pending once every restart had time to settle them (goal 0).
    pub unsettled: usize,
    /// What left the wallet's channels minus what the payees received and the fees it recorded (goal 0).
    pub balance_gap_msat: i64,
}

impl KillFigures {
    /// The faults, in words; empty when every goal is met.
    pub fn faults(&self) -> Vec<String> {
        let counts = [
            (self.force_closes, "channels closed"),
            (self.lost, "payments received but not recorded as paid"),
            (self.paid_twice, "payments received twice"),
            (self.recorded_but_unpaid, "payments recorded as paid but never received"),
            (self.unsettled, "payments still pending"),
        ];
        let mut faults: Vec<String> = counts.iter().filter(|(n, _)| *n > 0).map(|(n, what)| format!("{n} {what}")).collect();
        if self.balance_gap_msat != 0 {
            faults.push(format!("the balance is {} msat off what the payees' records account for", self.balance_gap_msat));
        }
        faults
    }
}

/// Runs `count` kills in the bench page, whose worker must be running with a usable channel to hub.
pub async fn run(page: &BenchPage<'_>, devnet: &DevnetControl, control_url: &Value, start: &Value, count: usize, seed: u32) -> Result<KillFigures> {
    let args = json!({
        "control_url": control_url,
        "start": start,
        "count": count,
        "seed": seed,
        "max_delay_ms": MAX_DELAY_MS,
        "amount_msat": AMOUNT_MSAT,
        "max_fee_msat": 10_000,
        "payees": ["hub", "shop"],
        "within_ms": WITHIN.as_millis() as u64,
    });
    let outcome = page.call("kill_many", args, WITHIN * (count as u32 + 2)).await?;
    let mut received = HashMap::new();
    for payee in ["hub", "shop"] {
        received.insert(payee.to_owned(), Value::Array(devnet.payments(payee).await?));
    }
    let figures = reconcile(&outcome, &received, seed)?;
    Ok(figures)
}

/// Checks the page's outcome against the payees' payment lists (as the devnet lists them).
pub fn reconcile(outcome: &Value, received: &HashMap<String, Value>, seed: u32) -> Result<KillFigures> {
    let unexpected = |detail: String| Error::Unexpected { what: "the kill harness's outcome".into(), detail };
    let list = |value: &Value, what: &str| value.as_array().cloned().ok_or_else(|| unexpected(format!("{what} is not a list")));
    let kills = list(&outcome["kills"], "kills")?;
    let payments = list(&outcome["payments"], "the wallet's payments")?;
    let mut figures = KillFigures { kills: kills.len(), seed, ..KillFigures::default() };
    let mut accounted_msat: i64 = 0;
    for kill in &kills {
        let hash = kill["payment_hash"].as_str().ok_or_else(|| unexpected(format!("a kill without a hash: {kill}")))?;
        let payee = kill["to"].as_str().ok_or_else(|| unexpected(format!("a kill without a payee: {kill}")))?;
        let times_received = list(received.get(payee).unwrap_or(&Value::Null), payee)?
            .iter()
            .filter(|p| p["payment_hash"] == hash && p["direction"] == "inbound" && p["status"] == "succeeded")
            .count();
        let recorded = payments.iter().find(|p| p["payment_hash"] == hash);
        let status = recorded.and_then(|p| p["status"].as_str()).unwrap_or("none");
        // The wallet's statuses are `PaymentStatus` as serde writes it: "Succeeded", "Failed", "Pending".
        match (times_received, status) {
            (0, "Failed" | "none") => figures.failed += 1,
            (0 | 1, "Pending") => figures.unsettled += 1,
            (0, _) => figures.recorded_but_unpaid += 1,
            (1, "Succeeded") => figures.paid += 1,
            (1, _) => figures.lost += 1,
            _ => figures.paid_twice += 1,
        }
        if times_received > 0 {
            let fee = recorded.and_then(|p| p["fee_paid_msat"].as_i64()).unwrap_or(0);
            accounted_msat += AMOUNT_MSAT as i64 * times_received as i64 + fee;
        }
    }
    let usable = |channels: &Value| -> Vec<String> {
        channels
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["state"] == "usable")
            .filter_map(|c| c["channel_id"].as_str().map(str::to_owned))
            .collect()
    };
    let after = usable(&outcome["channels_after"]);
    figures.force_closes =
        usable(&outcome["channels_before"]).iter().filter(|id| !after.contains(id)).count().max(list(&outcome["closes"], "closes")?.len());
    let balance = |which: &str| outcome[which]["lightning_msat"].as_i64().ok_or_else(|| unexpected(format!("no {which}")));
    figures.balance_gap_msat = balance("balances_before")? - balance("balances_after")? - accounted_msat;
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(hub: Value, shop: Value) -> HashMap<String, Value> {
        HashMap::from([("hub".to_owned(), hub), ("shop".to_owned(), shop)])
    }

    fn inbound(hash: &str) -> Value {
        json!({ "payment_hash": hash, "direction": "inbound", "status": "succeeded" })
    }

    fn outcome(kills: Value, payments: Value, spent_msat: i64) -> Value {
        let channel = json!([{ "channel_id": "c1", "state": "usable" }]);
        json!({
            "kills": kills,
            "payments": payments,
            "closes": [],
            "channels_before": channel,
            "channels_after": channel,
            "balances_before": { "lightning_msat": 1_000_000 },
            "balances_after": { "lightning_msat": 1_000_000 - spent_msat },
        })
    }

    #[test]
    fn each_payment_is_judged_by_the_payees_record_and_the_balance_by_both() {
        let kills = json!([
            { "to": "hub", "payment_hash": "a" },
            { "to": "shop", "payment_hash": "b" },
            { "to": "hub", "payment_hash": "c" },
        ]);
        let payments = json!([
            { "payment_hash": "a", "status": "Succeeded", "fee_paid_msat": 0 },
            { "payment_hash": "b", "status": "Succeeded", "fee_paid_msat": 1_002 },
            { "payment_hash": "c", "status": "Failed" },
        ]);
        let clean =
            reconcile(&outcome(kills.clone(), payments.clone(), 2 * 2_000 + 1_002), &received(json!([inbound("a")]), json!([inbound("b")])), 7)
                .expect("figures");
        assert_eq!((clean.paid, clean.failed, clean.balance_gap_msat), (2, 1, 0));
        assert!(clean.faults().is_empty(), "{:?}", clean.faults());

        // hub got c although the wallet says it failed, and the wallet's balance shows it.
        let lost = reconcile(&outcome(kills, payments, 3 * 2_000 + 1_002), &received(json!([inbound("a"), inbound("c")]), json!([inbound("b")])), 7)
            .expect("figures");
        assert_eq!((lost.lost, lost.balance_gap_msat), (1, 0));
        assert_eq!(lost.faults(), ["1 payments received but not recorded as paid"]);
    }

    #[test]
    fn a_channel_gone_or_a_payment_pending_is_a_fault() {
        let kills = json!([{ "to": "hub", "payment_hash": "a" }]);
        let mut closed = outcome(kills.clone(), json!([{ "payment_hash": "a", "status": "Pending" }]), 0);
        closed["channels_after"] = json!([{ "channel_id": "c1", "state": "closing" }]);
        let figures = reconcile(&closed, &received(json!([]), json!([])), 1).expect("figures");
        assert_eq!((figures.force_closes, figures.unsettled), (1, 1));
        assert_eq!(figures.faults().len(), 2);
    }
}
