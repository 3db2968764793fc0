//! The peers' control API, for tests, the demo and the benchmark: `/devnet/nodes/{hub|shop|anchor}/…`
//! (anchor only with `--anchor`).
//!
//! - `GET  /devnet/nodes/{name}` — id, `id@host:port`, balances, channels, connected peers.
//! - `POST /devnet/nodes/{name}/invoice` `{amount_msat?, description?, expiry_secs?}` → `{invoice, payment_hash}`.
//! - `POST /devnet/nodes/{name}/pay` `{invoice, amount_msat?}` → the payment once settled (or still pending after 30 s).
//! - `POST /devnet/nodes/{name}/pay_offer` `{offer, amount_msat?, wait_secs?}` → the payment of a
//!   BOLT12 offer once settled, or where it stands after `wait_secs` (default 30; 0 answers at once):
//!   a payment to a closed wallet's payment code stays pending until the wallet opens and asks for it.
//! - `POST /devnet/nodes/{name}/async_recipient_paths` `{recipient}` → `{paths}`: the blinded paths
//!   (hex, LDK's encoding of `Vec<BlindedMessagePath>`) over which the wallet `recipient` (any name
//!   the wallet gives itself; its node id) leaves its static invoices with the node, an async
//!   payments server (hub). Each answer is a new set; LDK keeps the codes it built with earlier ones.
//! - `POST /devnet/nodes/{name}/channels` `{node: "id@host:port", amount_sat, push_msat?, announce?}` → `{user_channel_id}`.
//! - `POST /devnet/nodes/{name}/channels/close` `{user_channel_id, counterparty_node_id, force?}`.
//! - `POST /devnet/nodes/{name}/address` → a fresh on-chain address of the node.
//! - `GET  /devnet/nodes/{name}/payments` — every payment, newest first.
//! - `POST /devnet/nodes/{name}/bench_pay` `{to, count, amount_msat}` → `{latencies_ms, fees_msat}`:
//!   `count` (at most 5,000) payments to node `to`, one after the other, each timed from the send to
//!   the payer's `PaymentSuccessful` event, in milliseconds; 422 naming the first that failed.
//!
//! LDK Node's calls block, so each runs on tokio's blocking pool. Errors are 400 with LDK Node's own
//! words when the request is at fault, 404 for an unknown node.

use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use bitcoin::secp256k1::PublicKey;
use ldk_node::lightning::ln::channelmanager::PaymentId;
use ldk_node::lightning::offers::offer::Offer;
use ldk_node::lightning::util::ser::Writeable;
use ldk_node::lightning_invoice::{Bolt11Invoice, Bolt11InvoiceDescription, Description};
use ldk_node::payment::PaymentStatus;
use ldk_node::UserChannelId;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::bench::{self, BenchError};
use crate::peers::{parse_node_uri, PaymentInfo, Peer, SharedPeers};

type ApiResult = Result<Json<Value>, (StatusCode, String)>;

fn bad_request(e: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, e.to_string())
}

/// How long `pay` waits for the payment to settle before answering "pending".
const PAY_WAIT_SECONDS: u64 = 30;
/// The most payments one `bench_pay` makes: enough for percentiles, and the answer comes within
/// minutes.
pub const BENCH_MAX_PAYMENTS: u32 = 5000;

pub fn router(peers: SharedPeers) -> Router {
    Router::new()
        .route("/devnet/nodes/{name}", get(info))
        .route("/devnet/nodes/{name}/invoice", post(invoice))
        .route("/devnet/nodes/{name}/pay", post(pay))
        .route("/devnet/nodes/{name}/pay_offer", post(pay_offer))
        .route("/devnet/nodes/{name}/async_recipient_paths", post(async_recipient_paths))
        .route("/devnet/nodes/{name}/channels", post(open_channel))
        .route("/devnet/nodes/{name}/channels/close", post(close_channel))
        .route("/devnet/nodes/{name}/address", post(address))
        .route("/devnet/nodes/{name}/payments", get(payments))
        .route("/devnet/nodes/{name}/bench_pay", post(bench_pay))
        .layer(tower_http::cors::CorsLayer::permissive())
        .with_state(peers)
}

fn peer(peers: &SharedPeers, name: &str) -> Result<Arc<Peer>, (StatusCode, String)> {
    peers.get(name).cloned().ok_or_else(|| (StatusCode::NOT_FOUND, format!("no node named {name:?}; the devnet runs {}", peers.names())))
}

/// Runs a blocking LDK Node call off the async workers.
async fn blocking<T: Send + 'static>(call: impl FnOnce() -> T + Send + 'static) -> Result<T, (StatusCode, String)> {
    tokio::task::spawn_blocking(call).await.map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

async fn info(State(peers): State<SharedPeers>, Path(name): Path<String>) -> ApiResult {
    let peer = peer(&peers, &name)?;
    let info = blocking(move || peer.info()).await?;
    Ok(Json(serde_json::to_value(info).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?))
}

#[derive(Deserialize)]
struct InvoiceRequest {
    /// Absent: the payer chooses the amount.
    amount_msat: Option<u64>,
    #[serde(default)]
    description: String,
    expiry_secs: Option<u32>,
}

async fn invoice(State(peers): State<SharedPeers>, Path(name): Path<String>, Json(request): Json<InvoiceRequest>) -> ApiResult {
    let peer = peer(&peers, &name)?;
    let description =
        Bolt11InvoiceDescription::Direct(Description::new(request.description).map_err(|_| bad_request("the description is too long"))?);
    let expiry = request.expiry_secs.unwrap_or(3600);
    let invoice = blocking(move || {
        let payments = peer.node.bolt11_payment();
        match request.amount_msat {
            Some(amount) => payments.receive(amount, &description, expiry),
            None => payments.receive_variable_amount(&description, expiry),
        }
    })
    .await?
    .map_err(bad_request)?;
    Ok(Json(json!({ "invoice": invoice.to_string(), "payment_hash": invoice.payment_hash().to_string() })))
}

#[derive(Deserialize)]
struct PayRequest {
    invoice: String,
    /// Needed for an invoice without an amount.
    amount_msat: Option<u64>,
}

async fn pay(State(peers): State<SharedPeers>, Path(name): Path<String>, Json(request): Json<PayRequest>) -> ApiResult {
    let peer = peer(&peers, &name)?;
    let invoice = Bolt11Invoice::from_str(request.invoice.trim()).map_err(|e| bad_request(format!("not a BOLT11 invoice: {e}")))?;
    let payer = peer.clone();
    let id = blocking(move || {
        let payments = payer.node.bolt11_payment();
        match request.amount_msat {
            Some(amount) => payments.send_using_amount(&invoice, amount, None),
            None => payments.send(&invoice, None),
        }
    })
    .await?
    .map_err(bad_request)?;
    payment_answer(&peer, id, PAY_WAIT_SECONDS).await
}

#[derive(Deserialize)]
struct PayOfferRequest {
    offer: String,
    /// Needed for an offer without an amount.
    amount_msat: Option<u64>,
    wait_secs: Option<u64>,
}

async fn pay_offer(State(peers): State<SharedPeers>, Path(name): Path<String>, Json(request): Json<PayOfferRequest>) -> ApiResult {
    let peer = peer(&peers, &name)?;
    let offer = Offer::from_str(request.offer.trim()).map_err(|e| bad_request(format!("not a BOLT12 offer: {e:?}")))?;
    let payer = peer.clone();
    let id = blocking(move || {
        let payments = payer.node.bolt12_payment();
        match request.amount_msat {
            Some(amount) => payments.send_using_amount(&offer, amount, None, None, None),
            None => payments.send(&offer, None, None, None),
        }
    })
    .await?
    .map_err(bad_request)?;
    payment_answer(&peer, id, request.wait_secs.unwrap_or(PAY_WAIT_SECONDS)).await
}

#[derive(Deserialize)]
struct AsyncRecipientPathsRequest {
    recipient: String,
}

async fn async_recipient_paths(
    State(peers): State<SharedPeers>,
    Path(name): Path<String>,
    Json(request): Json<AsyncRecipientPathsRequest>,
) -> ApiResult {
    let peer = peer(&peers, &name)?;
    if request.recipient.is_empty() || request.recipient.len() > 128 {
        return Err(bad_request("recipient must name the wallet in 1 to 128 characters"));
    }
    let paths =
        blocking(move || peer.node.bolt12_payment().blinded_paths_for_async_recipient(request.recipient.into_bytes())).await?.map_err(bad_request)?;
    Ok(Json(json!({ "paths": hex::encode(paths.encode()) })))
}

/// Settled or not after `wait_secs`, the answer says where the payment stands: 200 settled or
/// pending, 422 failed.
async fn payment_answer(peer: &Arc<Peer>, id: PaymentId, wait_secs: u64) -> ApiResult {
    if wait_secs > 0 {
        let _ = peer.wait_for_payment(&id, wait_secs).await;
    }
    let payment = peer.node.payment(&id).ok_or_else(|| (StatusCode::INTERNAL_SERVER_ERROR, "the payment was not recorded".to_owned()))?;
    let status = if payment.status == PaymentStatus::Failed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let body = serde_json::to_value(PaymentInfo::from(&payment)).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    if status == StatusCode::OK {
        Ok(Json(body))
    } else {
        Err((status, body.to_string()))
    }
}

#[derive(Deserialize)]
struct OpenChannelRequest {
    /// `node_id@host:port`
    node: String,
    amount_sat: u64,
    push_msat: Option<u64>,
    /// Announced to the network (default: no, as a wallet's channel would be).
    #[serde(default)]
    announce: bool,
}

async fn open_channel(State(peers): State<SharedPeers>, Path(name): Path<String>, Json(request): Json<OpenChannelRequest>) -> ApiResult {
    let peer = peer(&peers, &name)?;
    let (node_id, address) = parse_node_uri(&request.node).map_err(bad_request)?;
    let id = blocking(move || {
        if request.announce {
            peer.node.open_announced_channel(node_id, address, request.amount_sat, request.push_msat, None)
        } else {
            peer.node.open_channel(node_id, address, request.amount_sat, request.push_msat, None)
        }
    })
    .await?
    .map_err(bad_request)?;
    Ok(Json(json!({ "user_channel_id": id.0.to_string() })))
}

#[derive(Deserialize)]
struct CloseChannelRequest {
    /// In decimal, as `GET /devnet/nodes/{name}` lists it.
    user_channel_id: String,
    counterparty_node_id: String,
    #[serde(default)]
    force: bool,
}

async fn close_channel(State(peers): State<SharedPeers>, Path(name): Path<String>, Json(request): Json<CloseChannelRequest>) -> ApiResult {
    let peer = peer(&peers, &name)?;
    let channel = UserChannelId(request.user_channel_id.parse().map_err(|_| bad_request("user_channel_id is not a decimal number"))?);
    let counterparty =
        PublicKey::from_str(&request.counterparty_node_id).map_err(|_| bad_request("counterparty_node_id is not a public key in hex"))?;
    blocking(move || {
        if request.force {
            peer.node.force_close_channel(&channel, counterparty, Some("closed from the devnet's control API".to_owned()))
        } else {
            peer.node.close_channel(&channel, counterparty)
        }
    })
    .await?
    .map_err(bad_request)?;
    Ok(Json(json!({ "closing": true, "force": request.force })))
}

async fn address(State(peers): State<SharedPeers>, Path(name): Path<String>) -> ApiResult {
    let peer = peer(&peers, &name)?;
    let address = blocking(move || peer.new_address()).await?.map_err(bad_request)?;
    Ok(Json(json!({ "address": address.to_string() })))
}

async fn payments(State(peers): State<SharedPeers>, Path(name): Path<String>) -> ApiResult {
    let peer = peer(&peers, &name)?;
    let mut list = blocking(move || peer.node.list_payments()).await?;
    list.sort_by_key(|p| std::cmp::Reverse(p.latest_update_timestamp));
    let list: Vec<PaymentInfo> = list.iter().map(PaymentInfo::from).collect();
    Ok(Json(serde_json::to_value(list).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?))
}

#[derive(Deserialize)]
struct BenchPayRequest {
    /// The payee's name.
    to: String,
    count: u32,
    amount_msat: u64,
}

async fn bench_pay(State(peers): State<SharedPeers>, Path(name): Path<String>, Json(request): Json<BenchPayRequest>) -> ApiResult {
    let payer = peer(&peers, &name)?;
    let payee = peer(&peers, &request.to)?;
    if request.to == name {
        return Err(bad_request(format!("{name} cannot pay itself; choose another node for `to`")));
    }
    if !(1..=BENCH_MAX_PAYMENTS).contains(&request.count) {
        return Err(bad_request(format!("count must be from 1 to {BENCH_MAX_PAYMENTS}")));
    }
    if request.amount_msat == 0 {
        return Err(bad_request("amount_msat must be at least 1"));
    }
    let report = bench::pay_sequentially(&payer, &payee, request.count, request.amount_msat).await.map_err(|e| {
        let status = match e {
            BenchError::Send { .. } | BenchError::Failed { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            BenchError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            BenchError::Invoice { .. } | BenchError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, e.to_string())
    })?;
    Ok(Json(serde_json::to_value(report).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?))
}
