//! The chain in the browser against the devnet that `cargo xtask test` starts: LDK's chain sync over
//! fetch (a confirmation proven by merkle proof, a reorg taken back and confirmed again), and the
//! on-chain wallet over IndexedDB (funded by the faucet, a payment sent, all there after a reopen).
//!
//! The devnet's URL arrives at compile time in `BLIXTRA_DEVNET_URL` (set by `cargo xtask test`).

use std::cell::RefCell;
use std::collections::BTreeMap;

use bitcoin::block::Header;
use bitcoin::{BlockHash, Txid};
use std::time::Duration;

use bitcoin::{Amount, FeeRate, Network};
use blixtra_core::node::chain_source::ChainSource;
use blixtra_core::node::chain_sync::ChainSync;
use blixtra_core::node::key_derivation::NodeKeys;
use blixtra_core::node::onchain::{parse_address, OnchainWallet, SendAmount};
use blixtra_core::{RecoveryPhrase, Vault};
use blixtra_host::browser::sleeper::esplora;
use blixtra_host::browser::{now_ms, IdbStore};
use lightning::chain::transaction::TransactionData;
use lightning::chain::{Confirm, Filter};
use serde_json::json;
use wasm_bindgen_test::*;

mod support;

use support::{control, devnet_url};

wasm_bindgen_test_configure!(run_in_browser);

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
    let (sync, recorder) = (ChainSync::new(Network::Regtest), Recorder::default());
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
    let error = ChainSync::new(Network::Regtest).sync(&client, &[]).await.expect_err("nothing listens on port 9");
    assert!(error.to_string().starts_with("the chain server cannot be reached"), "{error}");
}

fn now() -> Duration {
    Duration::from_millis(now_ms() as u64)
}

const PASSPHRASE: &str = "devnet passphrase";
/// A regtest address of nobody in these tests.
const STRANGER: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

#[wasm_bindgen_test]
async fn the_onchain_wallet_is_funded_pays_and_comes_back_the_same_from_indexeddb() {
    let client = esplora(devnet_url()).expect("a client");
    let name = format!("blixtra-test-onchain-{}", js_sys::Math::random());
    let phrase = RecoveryPhrase::generate();
    let keys = NodeKeys::derive(&phrase, Network::Regtest);
    let vault = Vault::create(IdbStore::open(&name).await.expect("open"), &phrase, PASSPHRASE).await.expect("a vault");
    let mut wallet = OnchainWallet::open(&keys, Network::Regtest, vault.shared_store()).await.expect("a new wallet");

    let address = wallet.receive_address().await.expect("an address");
    control("faucet", json!({ "address": address.to_string(), "amount_sat": 200_000 })).await;
    let first = wallet.sync(&client, now()).await.expect("sync");
    assert!(first.full_scan, "a new wallet scans its keychains");
    assert_eq!(wallet.balance().confirmed, Amount::from_sat(200_000));

    let to = parse_address(STRANGER, Network::Regtest).expect("valid");
    let signed = wallet.sign_payment(&to, SendAmount::Exactly(Amount::from_sat(50_000)), FeeRate::from_sat_per_vb(2).expect("rate")).expect("signed");
    ChainSource::broadcast(&client, &signed.tx).await.expect("the devnet accepts it");
    wallet.record_broadcast(&signed.tx, now()).await.expect("recorded");
    let left = Amount::from_sat(150_000) - signed.fee;
    assert_eq!(wallet.balance().total(), left);
    drop((wallet, vault));

    // As after a reload: a new store instance, unlocked again.
    let vault = Vault::unlock(IdbStore::open(&name).await.expect("reopen"), PASSPHRASE).await.expect("unlock");
    let mut wallet = OnchainWallet::open(&keys, Network::Regtest, vault.shared_store()).await.expect("the stored wallet");
    assert_eq!(wallet.balance().total(), left);
    let mined = control("mine", json!({ "blocks": 1 })).await;
    let synced = wallet.sync(&client, now()).await.expect("sync");
    assert!(!synced.full_scan, "a synced wallet asks only about its addresses");
    assert_eq!(u64::from(synced.tip_height), mined["tip"].as_u64().expect("height"));
    assert_eq!(wallet.balance().confirmed, left);
    assert!(wallet.history().iter().all(|tx| tx.confirmation_height.is_some()));
}
