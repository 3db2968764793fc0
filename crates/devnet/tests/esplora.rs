//! The Esplora API, live on loopback, driven by `esplora-client`: tips and blocks, broadcast,
//! confirmation, both merkle proofs checked against the header, outspends, history paging, reorgs,
//! refusals with their reasons, and CORS.
//!
//! Its async client, the one LDK Node already builds: the blocking one would turn on a feature of
//! `esplora-client` that LDK Node's build lacks, and `cargo test` would compile a second LDK Node.

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxOut, Txid};
use blixtra_devnet::esplora::{router, SharedRegtest};
use blixtra_devnet::regtest::Regtest;
use common::{anyone_can_spend, spend};
use esplora_client::{AsyncClient, Builder, Error};

const FEE: Amount = Amount::from_sat(1_000);

/// A chain of `blocks` blocks paid to an anyone-can-spend script, served on a loopback port.
fn serve(blocks: u32) -> (SharedRegtest, AsyncClient, String) {
    let mut regtest = Regtest::open(None).expect("a chain");
    regtest.mine(blocks, &anyone_can_spend()).expect("mined");
    let shared = Arc::new(Mutex::new(regtest));
    let app = router(shared.clone(), Arc::default());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    let client = Builder::new(&base).timeout(10).build_async().expect("an async client");
    (shared, client, base)
}

fn mine(shared: &SharedRegtest, blocks: u32) {
    shared.lock().expect("lock").mine(blocks, &anyone_can_spend()).expect("mined");
}

fn coinbase_of(shared: &SharedRegtest, height: u32) -> OutPoint {
    OutPoint { txid: shared.lock().expect("lock").index().block_at(height).expect("block").txids[0], vout: 0 }
}

fn pay_to(coin: OutPoint, script: &ScriptBuf) -> Transaction {
    let mut tx = spend(coin, Amount::from_btc(50.0).expect("amount") - FEE);
    tx.output = vec![TxOut { value: Amount::from_btc(50.0).expect("amount") - FEE, script_pubkey: script.clone() }];
    tx.input[0].sequence = Sequence::MAX;
    tx
}

#[tokio::test]
async fn tips_blocks_and_headers_are_served() {
    let (shared, client, _) = serve(101);
    assert_eq!(client.get_height().await.expect("height"), 101);
    let tip = client.get_tip_hash().await.expect("tip hash");
    let index_tip = shared.lock().expect("lock").index().block_at(101).expect("tip").hash;
    assert_eq!(tip, index_tip);
    assert_eq!(client.get_header_by_hash(&tip).await.expect("header").block_hash(), tip);
    let status = client.get_block_status(&tip).await.expect("status");
    assert!(status.in_best_chain && status.height == Some(101) && status.next_best.is_none());
    assert_eq!(client.get_block_hash(100).await.expect("hash"), client.get_header_by_hash(&tip).await.expect("header").prev_blockhash);
    let info = client.get_block_info(&tip).await.expect("info");
    assert_eq!((info.height, info.tx_count), (101, 1));
    assert_eq!(client.get_block_infos(None).await.expect("blocks").len(), 10);
    let block = client.get_block_by_hash(&tip).await.expect("raw block").expect("present");
    assert_eq!(block.block_hash(), tip);
    assert!(client.get_fee_estimates().await.expect("estimates").get(&6).is_some_and(|r| *r >= 1.0));
}

#[tokio::test]
async fn a_broadcast_confirms_with_proofs_that_match_the_header() {
    let (shared, client, _) = serve(101);
    let coin = coinbase_of(&shared, 1);
    let tx = pay_to(coin, &anyone_can_spend());
    let txid = tx.compute_txid();
    client.broadcast(&tx).await.expect("broadcast accepted");
    assert!(!client.get_tx_status(&txid).await.expect("status").confirmed);
    let pending = client.get_output_status(&coin.txid, 0).await.expect("outspend").expect("present");
    assert!(pending.spent && pending.txid == Some(txid) && pending.status.is_some_and(|s| !s.confirmed));
    assert_eq!(client.get_mempool_txids().await.expect("mempool"), vec![txid]);

    mine(&shared, 1);
    let status = client.get_tx_status(&txid).await.expect("status");
    assert_eq!((status.confirmed, status.block_height), (true, Some(102)));
    let header = client.get_header_by_hash(&status.block_hash.expect("hash")).await.expect("header");

    let proof = client.get_merkle_proof(&txid).await.expect("proof").expect("present");
    assert_eq!(proof.block_height, 102);
    let mut node = txid.to_byte_array();
    let mut position = proof.pos;
    for sibling in &proof.merkle {
        let (left, right) = if position % 2 == 0 { (node, sibling.to_byte_array()) } else { (sibling.to_byte_array(), node) };
        node = sha256d::Hash::hash(&[left, right].concat()).to_byte_array();
        position /= 2;
    }
    assert_eq!(node, header.merkle_root.to_byte_array(), "the Electrum-style proof leads to the header's root");

    let merkle_block = client.get_merkle_block(&txid).await.expect("merkleblock").expect("present");
    let (mut matches, mut indexes) = (Vec::new(), Vec::new());
    let root = merkle_block.txn.extract_matches(&mut matches, &mut indexes).expect("a valid partial tree");
    assert_eq!((root, matches, merkle_block.header), (header.merkle_root, vec![txid], header));

    let spent = client.get_output_status(&coin.txid, 0).await.expect("outspend").expect("present");
    assert!(spent.spent && spent.status.is_some_and(|s| s.confirmed && s.block_height == Some(102)));
    let unknown = client.get_output_status(&Txid::all_zeros(), 3).await.expect("outspend").expect("present");
    assert!(!unknown.spent, "an unknown outpoint reads as unspent, not as an error");
    let info = client.get_tx_info(&txid).await.expect("tx").expect("present");
    assert_eq!((info.fee, info.vin[0].prevout.as_ref().map(|p| p.value)), (FEE.to_sat(), Some(Amount::from_btc(50.0).expect("amount").to_sat())));
    assert_eq!(client.get_tx(&txid).await.expect("tx"), Some(tx));
    assert_eq!(client.get_tx(&Txid::all_zeros()).await.expect("an unknown tx is not an error"), None);
}

#[tokio::test]
async fn a_refused_broadcast_says_why_and_changes_nothing() {
    let (shared, client, _) = serve(101);
    let missing = pay_to(OutPoint { txid: Txid::all_zeros(), vout: 0 }, &anyone_can_spend());
    match client.broadcast(&missing).await {
        Err(Error::HttpResponse { status: 400, message }) => assert!(message.contains("bad-txns-inputs-missingorspent"), "{message}"),
        other => panic!("expected a 400 naming the rule, got {other:?}"),
    }
    let immature = pay_to(coinbase_of(&shared, 101), &anyone_can_spend());
    match client.broadcast(&immature).await {
        Err(Error::HttpResponse { status: 400, message }) => assert!(message.contains("premature-spend-of-coinbase"), "{message}"),
        other => panic!("expected a 400 naming the rule, got {other:?}"),
    }
    assert!(client.get_mempool_txids().await.expect("mempool").is_empty());
}

#[tokio::test]
async fn a_script_history_pages_by_25_after_its_mempool_entries() {
    let (shared, client, _) = serve(131);
    let watched = ScriptBuf::new_p2wsh(&anyone_can_spend().wscript_hash());
    let mut confirmed = Vec::new();
    for height in 1..=30 {
        let tx = pay_to(coinbase_of(&shared, height), &watched);
        confirmed.push(tx.compute_txid());
        client.broadcast(&tx).await.expect("broadcast");
    }
    mine(&shared, 1);
    let pending = pay_to(coinbase_of(&shared, 31), &watched);
    client.broadcast(&pending).await.expect("broadcast");

    let first = client.scripthash_txs(&watched, None).await.expect("first page");
    assert_eq!(first.len(), 1 + 25);
    assert_eq!(first[0].txid, pending.compute_txid(), "mempool entries come first");
    assert!(!first[0].status.confirmed && first[1..].iter().all(|t| t.status.confirmed));
    let last_seen = first.last().expect("non-empty").txid;
    let second = client.scripthash_txs(&watched, Some(last_seen)).await.expect("second page");
    assert_eq!(second.len(), 5);
    let mut seen: Vec<Txid> = first[1..].iter().chain(&second).map(|t| t.txid).collect();
    seen.sort();
    confirmed.sort();
    assert_eq!(seen, confirmed, "the two pages hold every confirmed transaction once");
}

#[tokio::test]
async fn a_reorg_is_visible_through_the_api() {
    let (shared, client, _) = serve(101);
    let tx = pay_to(coinbase_of(&shared, 1), &anyone_can_spend());
    client.broadcast(&tx).await.expect("broadcast");
    mine(&shared, 1);
    let old_tip = client.get_tip_hash().await.expect("tip");
    assert!(client.get_tx_status(&tx.compute_txid()).await.expect("status").confirmed);
    shared.lock().expect("lock").reorg(1, &anyone_can_spend()).expect("reorg");
    assert_eq!(client.get_height().await.expect("height"), 103);
    assert!(!client.get_tx_status(&tx.compute_txid()).await.expect("status").confirmed, "unconfirmed, back in the mempool");
    assert!(!client.get_block_status(&old_tip).await.expect("status").in_best_chain);
}

#[test]
fn malformed_requests_get_400_and_unknown_blocks_404() {
    let (_, _, base) = serve(1);
    assert!(raw_get(&base, "/tx/nothex").starts_with("HTTP/1.1 400"));
    assert!(raw_get(&base, "/block-height/999").starts_with("HTTP/1.1 404"));
    assert!(raw_get(&base, &format!("/block/{}", "11".repeat(32))).starts_with("HTTP/1.1 404"));
}

#[test]
fn a_page_on_another_origin_may_read_the_api() {
    let (_, _, base) = serve(1);
    let response = raw_get(&base, "/blocks/tip/height");
    assert!(response.to_ascii_lowercase().contains("access-control-allow-origin: *"), "{response}");
}

/// A minimal HTTP/1.1 GET with an Origin header; returns the whole response.
fn raw_get(base: &str, path: &str) -> String {
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nOrigin: http://127.0.0.1:8080\r\nConnection: close\r\n\r\n").expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}
