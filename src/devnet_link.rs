//! The wallet's link to a local devnet (regtest only): its `/devnet.json` (chain server, proxy, hub
//! and shop) and the faucet, so that a newcomer goes from nothing to a paid invoice in a few clicks.
//! Nothing here exists on signet or mainnet.

use gloo_net::http::Request;
use serde::Deserialize;

/// What a devnet says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DevnetInfo {
    pub esplora_url: String,
    pub proxy_url_template: String,
    /// `node_id@host:port` of the hub, which accepts channels from anyone.
    pub hub: Option<String>,
    pub shop: Option<String>,
    /// Where hub gives a wallet the paths for its payment code (an async payments server).
    #[serde(default)]
    pub payment_code_server: Option<String>,
    pub control_url: String,
}

/// Why the devnet could not help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DevnetError {
    #[error("the devnet at {0} does not answer (is `cargo xtask demo` running?)")]
    Unreachable(String),
    #[error("the devnet refused: {0}")]
    Refused(String),
}

/// Reads `{devnet_url}/devnet.json`.
pub async fn fetch_info(devnet_url: &str) -> Result<DevnetInfo, DevnetError> {
    let url = format!("{}/devnet.json", devnet_url.trim_end_matches('/'));
    let response = Request::get(&url).send().await.map_err(|_| DevnetError::Unreachable(devnet_url.to_owned()))?;
    if !response.ok() {
        return Err(DevnetError::Refused(format!("{} for devnet.json", response.status())));
    }
    response.json().await.map_err(|e| DevnetError::Refused(format!("devnet.json is not readable: {e}")))
}

/// Asks the faucet for `amount_sat` to `address`, confirmed in a new block.
pub async fn faucet(info: &DevnetInfo, address: &str, amount_sat: u64) -> Result<(), DevnetError> {
    let body = serde_json::json!({ "address": address, "amount_sat": amount_sat });
    let response = Request::post(&format!("{}/faucet", info.control_url))
        .json(&body)
        .map_err(|e| DevnetError::Refused(e.to_string()))?
        .send()
        .await
        .map_err(|_| DevnetError::Unreachable(info.control_url.clone()))?;
    if response.ok() {
        Ok(())
    } else {
        Err(DevnetError::Refused(response.text().await.unwrap_or_default()))
    }
}
