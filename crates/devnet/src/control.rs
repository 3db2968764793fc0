//! The devnet's control API, beside the Esplora API: mine, reorganise, send from the faucet, mine on
//! every broadcast, the config a wallet or test reads to find everything (`/devnet.json`), and how many
//! Esplora requests browsers made (`/devnet/requests`).

use std::str::FromStr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use bitcoin::{Address, Amount, BlockHash, Network, ScriptBuf};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::esplora::{RequestCounts, SharedRegtest};
use crate::faucet::{self, faucet_script};
use crate::peers::SharedPeers;

/// What `/devnet.json` says: where the wallet finds the chain, the proxy and the peers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DevnetConfig {
    pub network: &'static str,
    pub esplora_url: String,
    /// `{host}` and `{port}` are replaced by the peer's.
    pub proxy_url_template: String,
    /// `node_id@host:port` of the hub, which accepts channels from anyone.
    pub hub: Option<String>,
    /// `node_id@host:port` of the shop, reached through hub.
    pub shop: Option<String>,
    /// `node_id@host:port` of the anchor, the native node a benchmark compares the wallet with; only
    /// with `--anchor`.
    pub anchor: Option<String>,
    /// Where a wallet asks hub, the async payments server, for paths to it (the peers' control API's
    /// `async_recipient_paths`), to set up a payment code that works while it is closed.
    pub payment_code_server: Option<String>,
    pub control_url: String,
}

#[derive(Clone)]
struct ControlState {
    regtest: SharedRegtest,
    config: DevnetConfig,
    /// When the peers run, mining answers only once they have seen the new tip.
    peers: Option<SharedPeers>,
    esplora_requests: Arc<RequestCounts>,
}

/// How long a mining request waits for the peers to see the new tip.
const PEER_SYNC_SECONDS: u64 = 30;

impl ControlState {
    async fn peers_synced(&self, tip: BlockHash) -> Result<(), (StatusCode, String)> {
        match &self.peers {
            Some(peers) => peers.wait_synced(tip, &self.regtest, PEER_SYNC_SECONDS).await.map_err(|e| (StatusCode::GATEWAY_TIMEOUT, e.to_string())),
            None => Ok(()),
        }
    }
}

type ControlResult = Result<Json<Value>, (StatusCode, String)>;

fn bad_request(e: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, e.to_string())
}

/// Returns the control API; `esplora_requests` are the Esplora router's counts, served as they are.
pub fn router(regtest: SharedRegtest, config: DevnetConfig, peers: Option<SharedPeers>, esplora_requests: Arc<RequestCounts>) -> Router {
    Router::new()
        .route("/devnet.json", get(config_json))
        .route("/devnet/requests", get(requests))
        .route("/devnet/mine", post(mine))
        .route("/devnet/reorg", post(reorg))
        .route("/devnet/faucet", post(faucet))
        .route("/devnet/automine", post(automine))
        .layer(tower_http::cors::CorsLayer::permissive())
        .with_state(ControlState { regtest, config, peers, esplora_requests })
}

async fn config_json(State(state): State<ControlState>) -> Json<DevnetConfig> {
    Json(state.config)
}

async fn requests(State(state): State<ControlState>) -> Json<Value> {
    Json(json!({ "from_browsers": state.esplora_requests.from_browsers(), "total": state.esplora_requests.total() }))
}

fn regtest_script(address: &str) -> Result<ScriptBuf, (StatusCode, String)> {
    let address = Address::from_str(address).map_err(|_| bad_request("not a Bitcoin address"))?;
    Ok(address.require_network(Network::Regtest).map_err(|_| bad_request("not a regtest address"))?.script_pubkey())
}

#[derive(Deserialize)]
struct MineRequest {
    blocks: u32,
    /// Pays the blocks to this address instead of the faucet.
    address: Option<String>,
}

async fn mine(State(state): State<ControlState>, Json(request): Json<MineRequest>) -> ControlResult {
    if !(1..=1000).contains(&request.blocks) {
        return Err(bad_request("blocks must be from 1 to 1000"));
    }
    let payout = request.address.as_deref().map(regtest_script).transpose()?.unwrap_or_else(faucet_script);
    let (tip, tip_hash, hashes) = {
        let mut regtest = state.regtest.lock().expect("the regtest lock is never held across a panic");
        let hashes = regtest.mine(request.blocks, &payout).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        (regtest.index().tip_height(), regtest.index().tip_hash(), hashes)
    };
    state.peers_synced(tip_hash).await?;
    Ok(Json(json!({ "tip": tip, "hashes": hashes.iter().map(ToString::to_string).collect::<Vec<_>>() })))
}

#[derive(Deserialize)]
struct ReorgRequest {
    depth: u32,
}

async fn reorg(State(state): State<ControlState>, Json(request): Json<ReorgRequest>) -> ControlResult {
    let (tip, tip_hash) = {
        let mut regtest = state.regtest.lock().expect("the regtest lock is never held across a panic");
        if request.depth == 0 || request.depth > regtest.index().tip_height() {
            return Err(bad_request("depth must be from 1 to the chain's height"));
        }
        regtest.reorg(request.depth, &faucet_script()).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        (regtest.index().tip_height(), regtest.index().tip_hash())
    };
    state.peers_synced(tip_hash).await?;
    Ok(Json(json!({ "tip": tip })))
}

#[derive(Deserialize)]
struct FaucetRequest {
    address: String,
    amount_sat: u64,
    /// Mine a block after sending (default: yes).
    confirm: Option<bool>,
}

async fn faucet(State(state): State<ControlState>, Json(request): Json<FaucetRequest>) -> ControlResult {
    let script = regtest_script(&request.address)?;
    let confirm = request.confirm.unwrap_or(true);
    let (txid, tip_hash) = {
        let mut regtest = state.regtest.lock().expect("the regtest lock is never held across a panic");
        let txid = faucet::send(&mut regtest, &script, Amount::from_sat(request.amount_sat)).map_err(bad_request)?;
        if confirm {
            regtest.mine(1, &faucet_script()).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        }
        (txid, regtest.index().tip_hash())
    };
    state.peers_synced(tip_hash).await?;
    Ok(Json(json!({ "txid": txid.to_string(), "confirmed": confirm })))
}

#[derive(Deserialize)]
struct AutomineRequest {
    enabled: bool,
}

async fn automine(State(state): State<ControlState>, Json(request): Json<AutomineRequest>) -> ControlResult {
    let mut regtest = state.regtest.lock().expect("the regtest lock is never held across a panic");
    regtest.set_automine(request.enabled.then(faucet_script));
    Ok(Json(json!({ "enabled": request.enabled })))
}
