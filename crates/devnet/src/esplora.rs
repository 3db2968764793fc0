//! The Esplora HTTP API over [`Regtest`], with Blockstream Esplora's paths, JSON shapes and status
//! codes: what `esplora-client` (async and blocking), `bdk_esplora` and LDK's chain sync call. CORS is
//! open so a wallet page on another origin can use it.
//!
//! Requests are counted, all of them and those from browsers: a page's fetch to the devnet is
//! cross-origin, so it carries an `Origin` header, which LDK Node's own client never sends. A
//! benchmark reads the counts (`GET /devnet/requests`) to see how many requests the wallet made.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::{sha256, sha256d, Hash};
use bitcoin::{Address, Amount, BlockHash, Network, OutPoint, Script, Transaction, TxOut, Txid};
use serde_json::{json, Value};

use crate::index::{script_hash, ChainIndex};
use crate::regtest::Regtest;

/// Confirmed transactions per page of a script's history, as Esplora pages them.
pub const CHAIN_PAGE: usize = 25;
/// Unconfirmed transactions listed before a script's first page.
pub const MEMPOOL_PAGE: usize = 50;

pub type SharedRegtest = Arc<Mutex<Regtest>>;

/// How many requests the Esplora API has received since start, and how many came from browsers.
#[derive(Debug, Default)]
pub struct RequestCounts {
    from_browsers: AtomicU64,
    total: AtomicU64,
}

impl RequestCounts {
    pub fn from_browsers(&self) -> u64 {
        self.from_browsers.load(Ordering::Relaxed)
    }

    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    fn count(&self, from_browser: bool) {
        self.total.fetch_add(1, Ordering::Relaxed);
        if from_browser {
            self.from_browsers.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Counts a request before it is answered. Outside CORS, so a browser's preflight counts too: it is
/// a round trip the page waits for.
async fn count_request(State(counts): State<Arc<RequestCounts>>, request: Request, next: Next) -> Response {
    counts.count(request.headers().contains_key(header::ORIGIN));
    next.run(request).await
}

/// Returns the Esplora API over `regtest`, counting its requests in `counts`.
pub fn router(regtest: SharedRegtest, counts: Arc<RequestCounts>) -> Router {
    Router::new()
        .route("/blocks/tip/height", get(tip_height))
        .route("/blocks/tip/hash", get(tip_hash))
        .route("/blocks", get(recent_blocks))
        .route("/blocks/{start}", get(blocks_from))
        .route("/block-height/{height}", get(block_at_height))
        .route("/block/{hash}", get(block))
        .route("/block/{hash}/header", get(block_header))
        .route("/block/{hash}/status", get(block_status))
        .route("/block/{hash}/txids", get(block_txids))
        .route("/block/{hash}/txid/{index}", get(block_txid))
        .route("/block/{hash}/raw", get(block_raw))
        .route("/tx", post(broadcast))
        .route("/tx/{txid}", get(tx))
        .route("/tx/{txid}/hex", get(tx_hex))
        .route("/tx/{txid}/raw", get(tx_raw))
        .route("/tx/{txid}/status", get(tx_status))
        .route("/tx/{txid}/merkle-proof", get(merkle_proof))
        .route("/tx/{txid}/merkleblock-proof", get(merkleblock_proof))
        .route("/tx/{txid}/outspend/{vout}", get(outspend))
        .route("/tx/{txid}/outspends", get(outspends))
        .route("/scripthash/{hash}/txs", get(scripthash_txs))
        .route("/scripthash/{hash}/txs/chain", get(scripthash_chain))
        .route("/scripthash/{hash}/txs/chain/{last_seen}", get(scripthash_chain_after))
        .route("/scripthash/{hash}/txs/mempool", get(scripthash_mempool))
        .route("/address/{address}/txs", get(address_txs))
        .route("/address/{address}/txs/chain", get(address_chain))
        .route("/address/{address}/txs/chain/{last_seen}", get(address_chain_after))
        .route("/mempool/txids", get(mempool_txids))
        .route("/fee-estimates", get(fee_estimates))
        .layer(tower_http::cors::CorsLayer::permissive())
        .layer(middleware::from_fn_with_state(counts, count_request))
        .with_state(regtest)
}

/// An error answer: a status and Esplora's plain-text message.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn not_found(what: &str) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, format!("{what} not found"))
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, message.into())
}

fn lock(regtest: &SharedRegtest) -> MutexGuard<'_, Regtest> {
    regtest.lock().expect("the regtest lock is never held across a panic")
}

fn parse<T: FromStr>(text: &str, what: &str) -> ApiResult<T> {
    text.parse().map_err(|_| bad_request(format!("Invalid {what}")))
}

// ---- blocks ----

async fn tip_height(State(rt): State<SharedRegtest>) -> String {
    lock(&rt).index().tip_height().to_string()
}

async fn tip_hash(State(rt): State<SharedRegtest>) -> String {
    let rt = lock(&rt);
    rt.index().block_at(rt.index().tip_height()).map(|b| b.hash.to_string()).unwrap_or_default()
}

async fn block_at_height(State(rt): State<SharedRegtest>, Path(height): Path<String>) -> ApiResult<String> {
    let height: u32 = parse(&height, "block height")?;
    lock(&rt).index().block_at(height).map(|b| b.hash.to_string()).ok_or_else(|| not_found("Block"))
}

fn block_json(index: &ChainIndex, height: u32) -> Option<Value> {
    let block = index.block_at(height)?;
    let header = &block.header;
    Some(json!({
        "id": block.hash.to_string(),
        "height": height,
        "version": header.version.to_consensus(),
        "timestamp": header.time,
        "tx_count": block.txids.len(),
        "size": block.size,
        "weight": block.weight,
        "merkle_root": header.merkle_root.to_string(),
        "previousblockhash": (height > 0).then(|| header.prev_blockhash.to_string()),
        "mediantime": index.median_time_past(height),
        "nonce": header.nonce,
        "bits": header.bits.to_consensus(),
        "difficulty": header.difficulty_float(),
    }))
}

/// Looks up a block of the active chain by its hash in the path.
fn active_block(index: &ChainIndex, hash: &str) -> ApiResult<u32> {
    let hash: BlockHash = parse(hash, "block hash")?;
    index.block(&hash).map(|(height, _)| height).ok_or_else(|| not_found("Block"))
}

async fn block(State(rt): State<SharedRegtest>, Path(hash): Path<String>) -> ApiResult<Json<Value>> {
    let rt = lock(&rt);
    let height = active_block(rt.index(), &hash)?;
    block_json(rt.index(), height).map(Json).ok_or_else(|| not_found("Block"))
}

async fn recent_blocks(State(rt): State<SharedRegtest>) -> Json<Value> {
    let rt = lock(&rt);
    Json(ten_blocks_from(rt.index(), rt.index().tip_height()))
}

async fn blocks_from(State(rt): State<SharedRegtest>, Path(start): Path<String>) -> ApiResult<Json<Value>> {
    let start: u32 = parse(&start, "block height")?;
    let rt = lock(&rt);
    Ok(Json(ten_blocks_from(rt.index(), start.min(rt.index().tip_height()))))
}

fn ten_blocks_from(index: &ChainIndex, start: u32) -> Value {
    Value::Array((0..=start).rev().take(10).filter_map(|h| block_json(index, h)).collect())
}

async fn block_header(State(rt): State<SharedRegtest>, Path(hash): Path<String>) -> ApiResult<String> {
    let rt = lock(&rt);
    let hash: BlockHash = parse(&hash, "block hash")?;
    // Headers of stale blocks are served too: a wallet that saw them must be able to check them.
    rt.block(&hash).map(|b| hex::encode(serialize(&b.header))).ok_or_else(|| not_found("Block"))
}

async fn block_status(State(rt): State<SharedRegtest>, Path(hash): Path<String>) -> ApiResult<Json<Value>> {
    let rt = lock(&rt);
    let parsed: BlockHash = parse(&hash, "block hash")?;
    Ok(Json(match rt.index().block(&parsed) {
        Some((height, _)) => json!({
            "in_best_chain": true,
            "height": height,
            "next_best": rt.index().block_at(height + 1).map(|b| b.hash.to_string()),
        }),
        None if rt.block(&parsed).is_some() => json!({ "in_best_chain": false }),
        None => return Err(not_found("Block")),
    }))
}

async fn block_txids(State(rt): State<SharedRegtest>, Path(hash): Path<String>) -> ApiResult<Json<Vec<String>>> {
    let rt = lock(&rt);
    let height = active_block(rt.index(), &hash)?;
    let block = rt.index().block_at(height).ok_or_else(|| not_found("Block"))?;
    Ok(Json(block.txids.iter().map(Txid::to_string).collect()))
}

async fn block_txid(State(rt): State<SharedRegtest>, Path((hash, position)): Path<(String, String)>) -> ApiResult<String> {
    let rt = lock(&rt);
    let height = active_block(rt.index(), &hash)?;
    let position: usize = parse(&position, "index")?;
    let block = rt.index().block_at(height).ok_or_else(|| not_found("Block"))?;
    block.txids.get(position).map(Txid::to_string).ok_or_else(|| not_found("Transaction"))
}

async fn block_raw(State(rt): State<SharedRegtest>, Path(hash): Path<String>) -> ApiResult<Vec<u8>> {
    let rt = lock(&rt);
    let hash: BlockHash = parse(&hash, "block hash")?;
    rt.block(&hash).map(|b| serialize(&b)).ok_or_else(|| not_found("Block"))
}

// ---- transactions ----

/// A transaction as the API describes it: itself, the outputs its inputs spent, and where it stands.
struct TxView {
    tx: Transaction,
    prevouts: Vec<TxOut>,
    /// `(height, block hash, block time)` when confirmed.
    confirmed: Option<(u32, BlockHash, u32)>,
}

fn find_tx(rt: &Regtest, txid: &Txid) -> Option<TxView> {
    if let Some(confirmed) = rt.index().tx(txid) {
        let block = rt.index().block_at(confirmed.height)?;
        let prevouts = confirmed.prevouts.iter().map(|c| c.output.clone()).collect();
        return Some(TxView { tx: confirmed.tx.clone(), prevouts, confirmed: Some((confirmed.height, block.hash, block.header.time)) });
    }
    let pending = rt.mempool().get(txid)?;
    Some(TxView { tx: pending.tx.clone(), prevouts: pending.prevouts.iter().map(|p| p.output.clone()).collect(), confirmed: None })
}

fn status_json(confirmed: Option<(u32, BlockHash, u32)>) -> Value {
    match confirmed {
        Some((height, hash, time)) => json!({ "confirmed": true, "block_height": height, "block_hash": hash.to_string(), "block_time": time }),
        None => json!({ "confirmed": false }),
    }
}

fn script_type(script: &Script) -> &'static str {
    if script.is_p2pkh() {
        "p2pkh"
    } else if script.is_p2sh() {
        "p2sh"
    } else if script.is_p2wpkh() {
        "v0_p2wpkh"
    } else if script.is_p2wsh() {
        "v0_p2wsh"
    } else if script.is_p2tr() {
        "v1_p2tr"
    } else if script.is_op_return() {
        "op_return"
    } else if script.is_p2pk() {
        "p2pk"
    } else {
        "unknown"
    }
}

fn output_json(output: &TxOut) -> Value {
    let mut out = json!({
        "scriptpubkey": hex::encode(output.script_pubkey.as_bytes()),
        "scriptpubkey_asm": output.script_pubkey.to_asm_string(),
        "scriptpubkey_type": script_type(&output.script_pubkey),
        "value": output.value.to_sat(),
    });
    if let Ok(address) = Address::from_script(&output.script_pubkey, Network::Regtest) {
        out["scriptpubkey_address"] = json!(address.to_string());
    }
    out
}

fn tx_json(view: &TxView) -> Value {
    let tx = &view.tx;
    let is_coinbase = tx.is_coinbase();
    let vin: Vec<Value> = tx
        .input
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let mut vin = json!({
                "txid": input.previous_output.txid.to_string(),
                "vout": input.previous_output.vout,
                "prevout": if is_coinbase { Value::Null } else { view.prevouts.get(i).map_or(Value::Null, output_json) },
                "scriptsig": hex::encode(input.script_sig.as_bytes()),
                "scriptsig_asm": input.script_sig.to_asm_string(),
                "is_coinbase": is_coinbase,
                "sequence": input.sequence.to_consensus_u32(),
            });
            if !input.witness.is_empty() {
                vin["witness"] = json!(input.witness.iter().map(hex::encode).collect::<Vec<_>>());
            }
            vin
        })
        .collect();
    let inputs: Amount = view.prevouts.iter().map(|o| o.value).sum();
    let outputs: Amount = tx.output.iter().map(|o| o.value).sum();
    json!({
        "txid": tx.compute_txid().to_string(),
        "version": tx.version.0,
        "locktime": tx.lock_time.to_consensus_u32(),
        "vin": vin,
        "vout": tx.output.iter().map(output_json).collect::<Vec<_>>(),
        "size": tx.total_size(),
        "weight": tx.weight().to_wu(),
        "fee": if is_coinbase { 0 } else { inputs.checked_sub(outputs).map_or(0, Amount::to_sat) },
        "status": status_json(view.confirmed),
    })
}

fn lookup(rt: &Regtest, txid: &str) -> ApiResult<TxView> {
    let txid: Txid = parse(txid, "hex string")?;
    find_tx(rt, &txid).ok_or_else(|| not_found("Transaction"))
}

async fn tx(State(rt): State<SharedRegtest>, Path(txid): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(tx_json(&lookup(&lock(&rt), &txid)?)))
}

async fn tx_hex(State(rt): State<SharedRegtest>, Path(txid): Path<String>) -> ApiResult<String> {
    Ok(hex::encode(serialize(&lookup(&lock(&rt), &txid)?.tx)))
}

async fn tx_raw(State(rt): State<SharedRegtest>, Path(txid): Path<String>) -> ApiResult<Vec<u8>> {
    Ok(serialize(&lookup(&lock(&rt), &txid)?.tx))
}

async fn tx_status(State(rt): State<SharedRegtest>, Path(txid): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(status_json(lookup(&lock(&rt), &txid)?.confirmed)))
}

/// Returns the confirmed transaction's block and position, for the proofs.
fn confirmed_position(rt: &Regtest, txid: &str) -> ApiResult<(u32, Vec<Txid>, usize, Txid)> {
    let txid: Txid = parse(txid, "hex string")?;
    let confirmed = rt.index().tx(&txid).ok_or_else(|| not_found("Transaction"))?;
    let block = rt.index().block_at(confirmed.height).ok_or_else(|| not_found("Block"))?;
    let position = block.txids.iter().position(|t| *t == txid).ok_or_else(|| not_found("Transaction"))?;
    Ok((confirmed.height, block.txids.clone(), position, txid))
}

/// The Electrum-style proof: the sibling hashes from the leaf up, and the leaf's position.
pub fn merkle_branch(txids: &[Txid], mut position: usize) -> Vec<Txid> {
    let mut level: Vec<[u8; 32]> = txids.iter().map(|t| t.to_byte_array()).collect();
    let mut branch = Vec::new();
    while level.len() > 1 {
        if level.len() % 2 == 1 {
            level.push(*level.last().expect("non-empty"));
        }
        branch.push(Txid::from_byte_array(level[position ^ 1]));
        level = level.chunks(2).map(|pair| sha256d::Hash::hash(&[pair[0], pair[1]].concat()).to_byte_array()).collect();
        position /= 2;
    }
    branch
}

async fn merkle_proof(State(rt): State<SharedRegtest>, Path(txid): Path<String>) -> ApiResult<Json<Value>> {
    let (height, txids, position, _) = confirmed_position(&lock(&rt), &txid)?;
    let merkle: Vec<String> = merkle_branch(&txids, position).iter().map(Txid::to_string).collect();
    Ok(Json(json!({ "block_height": height, "merkle": merkle, "pos": position })))
}

async fn merkleblock_proof(State(rt): State<SharedRegtest>, Path(txid): Path<String>) -> ApiResult<String> {
    let rt = lock(&rt);
    let (height, _, _, txid) = confirmed_position(&rt, &txid)?;
    let hash = rt.index().block_at(height).map(|b| b.hash).ok_or_else(|| not_found("Block"))?;
    let block = rt.block(&hash).ok_or_else(|| not_found("Block"))?;
    Ok(hex::encode(serialize(&bitcoin::MerkleBlock::from_block_with_predicate(&block, |t| *t == txid))))
}

fn outspend_json(rt: &Regtest, outpoint: OutPoint) -> Value {
    if let Some(spend) = rt.index().spend(&outpoint) {
        let block = rt.index().block_at(spend.height);
        let status = status_json(block.map(|b| (spend.height, b.hash, b.header.time)));
        return json!({ "spent": true, "txid": spend.txid.to_string(), "vin": spend.vin, "status": status });
    }
    match rt.mempool().spender(&outpoint) {
        Some((txid, vin)) => json!({ "spent": true, "txid": txid.to_string(), "vin": vin, "status": status_json(None) }),
        // An unknown outpoint is "not spent" too, as Esplora answers (never 404).
        None => json!({ "spent": false }),
    }
}

async fn outspend(State(rt): State<SharedRegtest>, Path((txid, vout)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    let outpoint = OutPoint { txid: parse(&txid, "hex string")?, vout: parse(&vout, "output index")? };
    Ok(Json(outspend_json(&lock(&rt), outpoint)))
}

async fn outspends(State(rt): State<SharedRegtest>, Path(txid): Path<String>) -> ApiResult<Json<Vec<Value>>> {
    let rt = lock(&rt);
    let view = lookup(&rt, &txid)?;
    let txid = view.tx.compute_txid();
    Ok(Json((0..view.tx.output.len() as u32).map(|vout| outspend_json(&rt, OutPoint { txid, vout })).collect()))
}

async fn broadcast(State(rt): State<SharedRegtest>, body: Bytes) -> ApiResult<String> {
    let text = std::str::from_utf8(&body).map_err(|_| bad_request("TX decode failed"))?.trim();
    let bytes = hex::decode(text).map_err(|_| bad_request("TX decode failed: not hex"))?;
    let tx: Transaction = deserialize(&bytes).map_err(|e| bad_request(format!("TX decode failed: {e}")))?;
    let txid = lock(&rt).broadcast(tx).map_err(|e| bad_request(format!("sendrawtransaction RPC error: {e}")))?;
    Ok(txid.to_string())
}

async fn mempool_txids(State(rt): State<SharedRegtest>) -> Json<Vec<String>> {
    Json(lock(&rt).mempool().iter().map(|m| m.tx.compute_txid().to_string()).collect())
}

/// Regtest has no fee market; the devnet quotes a little over the relay floor for every target, with
/// the shortest targets slightly higher so that fee-by-urgency logic in wallets still has a slope.
async fn fee_estimates() -> Json<Value> {
    let targets = [1u32, 2, 3, 4, 5, 6, 10, 20, 25, 144, 504, 1008];
    Json(Value::Object(targets.iter().map(|t| (t.to_string(), json!(if *t <= 2 { 2.0 } else { 1.0 }))).collect()))
}

// ---- script and address histories ----

fn touches(script: &sha256::Hash, outputs: &[TxOut], tx: &Transaction) -> bool {
    outputs.iter().chain(&tx.output).any(|o| script_hash(&o.script_pubkey) == *script)
}

fn mempool_history(rt: &Regtest, script: &sha256::Hash) -> Vec<Value> {
    let pending: Vec<_> = rt.mempool().iter().collect();
    pending
        .into_iter()
        .rev()
        .filter(|m| touches(script, &m.prevouts.iter().map(|p| p.output.clone()).collect::<Vec<_>>(), &m.tx))
        .take(MEMPOOL_PAGE)
        .filter_map(|m| find_tx(rt, &m.tx.compute_txid()).map(|v| tx_json(&v)))
        .collect()
}

fn chain_history(rt: &Regtest, script: &sha256::Hash, after: Option<Txid>) -> Vec<Value> {
    let mut history = rt.index().history(script).peekable();
    if let Some(last_seen) = after {
        for txid in history.by_ref() {
            if *txid == last_seen {
                break;
            }
        }
    }
    history.take(CHAIN_PAGE).filter_map(|txid| find_tx(rt, txid).map(|v| tx_json(&v))).collect()
}

fn parse_scripthash(hash: &str) -> ApiResult<sha256::Hash> {
    sha256::Hash::from_str(hash).map_err(|_| bad_request("Invalid scripthash"))
}

fn parse_address(address: &str) -> ApiResult<sha256::Hash> {
    let address = Address::from_str(address).map_err(|_| bad_request("Invalid Bitcoin address"))?;
    let address = address.require_network(Network::Regtest).map_err(|_| bad_request("Address on invalid network"))?;
    Ok(script_hash(&address.script_pubkey()))
}

fn first_page(rt: &Regtest, script: &sha256::Hash) -> Vec<Value> {
    let mut txs = mempool_history(rt, script);
    txs.extend(chain_history(rt, script, None));
    txs
}

async fn scripthash_txs(State(rt): State<SharedRegtest>, Path(hash): Path<String>) -> ApiResult<Json<Vec<Value>>> {
    Ok(Json(first_page(&lock(&rt), &parse_scripthash(&hash)?)))
}

async fn scripthash_chain(State(rt): State<SharedRegtest>, Path(hash): Path<String>) -> ApiResult<Json<Vec<Value>>> {
    Ok(Json(chain_history(&lock(&rt), &parse_scripthash(&hash)?, None)))
}

async fn scripthash_chain_after(State(rt): State<SharedRegtest>, Path((hash, last)): Path<(String, String)>) -> ApiResult<Json<Vec<Value>>> {
    Ok(Json(chain_history(&lock(&rt), &parse_scripthash(&hash)?, Some(parse(&last, "hex string")?))))
}

async fn scripthash_mempool(State(rt): State<SharedRegtest>, Path(hash): Path<String>) -> ApiResult<Json<Vec<Value>>> {
    Ok(Json(mempool_history(&lock(&rt), &parse_scripthash(&hash)?)))
}

async fn address_txs(State(rt): State<SharedRegtest>, Path(address): Path<String>) -> ApiResult<Json<Vec<Value>>> {
    Ok(Json(first_page(&lock(&rt), &parse_address(&address)?)))
}

async fn address_chain(State(rt): State<SharedRegtest>, Path(address): Path<String>) -> ApiResult<Json<Vec<Value>>> {
    Ok(Json(chain_history(&lock(&rt), &parse_address(&address)?, None)))
}

async fn address_chain_after(State(rt): State<SharedRegtest>, Path((address, last)): Path<(String, String)>) -> ApiResult<Json<Vec<Value>>> {
    Ok(Json(chain_history(&lock(&rt), &parse_address(&address)?, Some(parse(&last, "hex string")?))))
}
