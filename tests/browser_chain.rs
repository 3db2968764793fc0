//! The chain sync in the browser against the devnet that `cargo xtask test` starts: esplora-client
//! over fetch, a confirmation proven by merkle proof, a reorg taken back and confirmed again.
//!
//! The devnet's URL arrives at compile time in `BLIXTRA_DEVNET_URL` (set by `cargo xtask test`).

use std::cell::RefCell;
use std::collections::BTreeMap;

use bitcoin::block::Header;
use bitcoin::{BlockHash, Txid};
use blixtra::browser::sleeper::esplora;
use blixtra_core::node::chain_sync::{ChainSource, ChainSync};
use lightning::chain::transaction::TransactionData;
use lightning::chain::{Confirm, Filter};
use serde_json::{json, Value};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn devnet_url() -> &'static str {
    option_env!("BLIXTRA_DEVNET_URL").expect("BLIXTRA_DEVNET_URL: run the browser tests through `cargo xtask test`, which starts the devnet")
}

async fn control(path: &str, body: Value) -> Value {
    let response = gloo_net::http::Request::post(&format!("{}/devnet/{path}", devnet_url())).json(&body).expect("json").send().await.expect("the devnet answers");
    assert!(response.ok(), "{path}: {}", response.text().await.unwrap_or_default());
    response.json().await.expect("json")
}

/// Records what LDK would be told, and lists what it holds confirmed.
#[derive(Default)]
struct Recorder {
    confirmed: RefCell<BTreeMap<Txid, (u32, BlockHash)>>,
    tip: RefCell<u32>,
}

impl Confirm for Recorder {
    fn transactions_confirmed(&self, header: &Header, txdata: &TransactionData, height: u32) {
        for (_, tx) in txdata {
            self.confirmed.borrow_mut().insert(tx.compute_txid(), (height, header.block_hash()));
        }
    }
    fn transaction_unconfirmed(&self, txid: &Txid) {
        self.confirmed.borrow_mut().remove(txid);
    }
    fn best_block_updated(&self, _: &Header, height: u32) {
        *self.tip.borrow_mut() = height;
    }
    fn get_relevant_txids(&self) -> Vec<(Txid, u32, Option<BlockHash>)> {
        self.confirmed.borrow().iter().map(|(txid, (height, hash))| (*txid, *height, Some(*hash))).collect()
    }
}

#[wasm_bindgen_test]
async fn a_devnet_transaction_is_confirmed_unconfirmed_by_a_reorg_and_confirmed_again() {
    let client = esplora(devnet_url()).expect("a client");
    let (sync, recorder) = (ChainSync::new(), Recorder::default());
    let start = client.tip_hash().await.expect("the devnet's tip");

    // Any regtest address will do: the test watches the transaction, not the coins.
    let sent = control("faucet", json!({ "address": "bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk", "amount_sat": 50_000, "confirm": false })).await;
    let txid: Txid = sent["txid"].as_str().expect("txid").parse().expect("a txid");
    sync.watch_list().register_tx(&txid, &bitcoin::ScriptBuf::new());
    let report = sync.sync(&client, &[&recorder]).await.expect("sync");
    assert_eq!(report.tip, start);
    assert!(recorder.confirmed.borrow().is_empty(), "in the mempool only");

    let mined = control("mine", json!({ "blocks": 1 })).await;
    let height = mined["tip"].as_u64().expect("height") as u32;
    let report = sync.sync(&client, &[&recorder]).await.expect("sync");
    assert_eq!(report.confirmed, [txid]);
    assert_eq!(recorder.confirmed.borrow().get(&txid).map(|c| c.0), Some(height));
    assert_eq!(*recorder.tip.borrow(), height);

    // The devnet replaces the last block by a longer branch; the transaction returns to its mempool.
    control("reorg", json!({ "depth": 1 })).await;
    let report = sync.sync(&client, &[&recorder]).await.expect("sync");
    assert_eq!(report.unconfirmed, [txid]);
    let again = recorder.confirmed.borrow().get(&txid).map(|c| c.0);
    assert!(again.is_none() || again > Some(height), "either back in the mempool or mined on the new branch: {again:?}");
    if again.is_none() {
        control("mine", json!({ "blocks": 1 })).await;
        let report = sync.sync(&client, &[&recorder]).await.expect("sync");
        assert_eq!(report.confirmed, [txid]);
    }
    assert!(recorder.confirmed.borrow().get(&txid).is_some_and(|c| c.0 > height));
}

#[wasm_bindgen_test]
async fn an_unreachable_server_is_a_clear_error() {
    let client = esplora("http://127.0.0.1:9").expect("a client");
    let error = ChainSync::new().sync(&client, &[]).await.expect_err("nothing listens on port 9");
    assert!(error.to_string().starts_with("the chain server cannot be reached"), "{error}");
}
