//! The devnet's control API as the end-to-end test uses it: mine, and have shop make or pay an invoice
//! (README.md lists the whole API; `crates/devnet/src/peer_api.rs` answers these).

use std::time::Duration;

use serde_json::{json, Value};

use crate::{Error, Result};

/// A client of a running devnet's control API.
pub struct DevnetControl {
    base_url: String,
    http: reqwest::Client,
}

impl DevnetControl {
    /// Returns a client of the devnet at `base_url` (e.g. `http://127.0.0.1:3002`).
    pub fn new(base_url: &str) -> Result<Self> {
        // Longer than the devnet's own 30 s wait for a payment to settle.
        let http = reqwest::Client::builder().timeout(Duration::from_secs(90)).build().map_err(|e| devnet_error("client", e))?;
        Ok(DevnetControl { base_url: base_url.trim_end_matches('/').to_owned(), http })
    }

    /// Checks that the devnet answers, so a wrong URL fails first and plainly.
    pub async fn check(&self) -> Result<()> {
        self.get("/devnet.json").await.map(|_| ())
    }

    /// Mines `blocks` blocks; returns once the devnet's peers have seen the new tip.
    pub async fn mine(&self, blocks: u32) -> Result<()> {
        self.post("/devnet/mine", json!({ "blocks": blocks })).await.map(|_| ())
    }

    /// Returns the ids of the transactions waiting in the mempool (Esplora's `/mempool/txids`).
    pub async fn mempool_txids(&self) -> Result<Vec<String>> {
        let txids = self.get("/mempool/txids").await?;
        let list = txids.as_array().ok_or_else(|| devnet_error("/mempool/txids", format!("not a list: {txids}")))?;
        Ok(list.iter().filter_map(|txid| txid.as_str().map(str::to_owned)).collect())
    }

    /// Returns a BOLT11 invoice of shop's.
    pub async fn shop_invoice(&self, amount_msat: u64, description: &str) -> Result<String> {
        let answer = self.post("/devnet/nodes/shop/invoice", json!({ "amount_msat": amount_msat, "description": description })).await?;
        answer["invoice"].as_str().map(str::to_owned).ok_or_else(|| devnet_error("shop's invoice", format!("no \"invoice\" in {answer}")))
    }

    /// Has shop pay `invoice`; returns the settled payment (the devnet answers an error for a failed one).
    pub async fn shop_pays(&self, invoice: &str) -> Result<Value> {
        self.post("/devnet/nodes/shop/pay", json!({ "invoice": invoice })).await
    }

    /// Has shop pay `amount_msat` to a BOLT12 offer (a wallet's payment code); returns the payment
    /// as it stands after `wait_secs` (pending while the wallet is closed).
    pub async fn shop_pays_offer(&self, offer: &str, amount_msat: u64, wait_secs: u64) -> Result<Value> {
        self.post("/devnet/nodes/shop/pay_offer", json!({ "offer": offer, "amount_msat": amount_msat, "wait_secs": wait_secs })).await
    }

    /// Returns `devnet.json`: the network, Esplora URL, proxy template, control URL and the peers.
    pub async fn config(&self) -> Result<Value> {
        self.get("/devnet.json").await
    }

    /// Returns how many Esplora requests browsers have made so far (requests with an `Origin`).
    pub async fn browser_requests(&self) -> Result<u64> {
        let answer = self.get("/devnet/requests").await?;
        answer["from_browsers"].as_u64().ok_or_else(|| devnet_error("/devnet/requests", format!("no \"from_browsers\" in {answer}")))
    }

    /// Has node `from` pay `count` invoices of node `to`, one after another; returns the devnet's
    /// `{latencies_ms, fees_msat}` (each timed inside the devnet, from the send to LDK Node's
    /// PaymentSuccessful).
    pub async fn bench_pay(&self, from: &str, to: &str, count: usize, amount_msat: u64) -> Result<Value> {
        let url = format!("{}/devnet/nodes/{from}/bench_pay", self.base_url);
        // A second per payment is far more than they take; the client's own 90 s is too little for a batch.
        let within = Duration::from_secs(60 + count as u64);
        read_json(&url, self.http.post(&url).timeout(within).json(&json!({ "to": to, "count": count, "amount_msat": amount_msat })).send().await)
            .await
    }

    /// Returns a devnet node's own payment records (LDK Node's `list_payments`).
    pub async fn payments(&self, node: &str) -> Result<Vec<Value>> {
        let path = format!("/devnet/nodes/{node}/payments");
        let list = self.get(&path).await?;
        list.as_array().cloned().ok_or_else(|| devnet_error(&path, format!("not a list: {list}")))
    }

    async fn get(&self, path: &str) -> Result<Value> {
        let url = format!("{}{path}", self.base_url);
        read_json(&url, self.http.get(&url).send().await).await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        let url = format!("{}{path}", self.base_url);
        read_json(&url, self.http.post(&url).json(&body).send().await).await
    }
}

async fn read_json(url: &str, sent: reqwest::Result<reqwest::Response>) -> Result<Value> {
    let response = sent.map_err(|e| devnet_error(url, e))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| devnet_error(url, e))?;
    if !status.is_success() {
        return Err(devnet_error(url, format!("{status}: {body}")));
    }
    serde_json::from_str(&body).map_err(|e| devnet_error(url, format!("{e} in {body}")))
}

fn devnet_error(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::Devnet { what: what.to_owned(), detail: detail.to_string() }
}
