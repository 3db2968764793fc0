//! The Esplora index follows Core's active chain: confirmations, spends, UTXOs and script histories
//! appear with their block and disappear when a reorg disconnects it.

mod common;

use bitcoin::{Amount, OutPoint, ScriptBuf};
use blixtra_devnet::chain::Chain;
use blixtra_devnet::index::{script_hash, ChainIndex, Spend};
use blixtra_devnet::miner::subsidy;
use common::{anyone_can_spend, mine, mine_branch, mine_with, spend};

#[test]
fn a_confirmed_spend_is_indexed_and_a_reorg_takes_it_back() {
    let chain = Chain::open(None).expect("a chain");
    let mut index = ChainIndex::default();
    let blocks = mine(&chain, 101);
    assert!(index.sync(&chain).is_empty());
    assert_eq!(index.tip_height(), 101);
    let coinbase = OutPoint { txid: blocks[0].txdata[0].compute_txid(), vout: 0 };
    assert_eq!(index.utxo(&coinbase).map(|u| (u.height, u.is_coinbase)), Some((1, true)));

    // Pay a new script from block 1's coinbase, in block 102.
    let payee = ScriptBuf::new_op_return([1, 2, 3]);
    let mut tx = spend(coinbase, subsidy(1) - Amount::from_sat(2_000));
    tx.output.push(bitcoin::TxOut { value: Amount::ZERO, script_pubkey: payee.clone() });
    let txid = tx.compute_txid();
    let block = mine_with(&chain, vec![tx.clone()], Amount::from_sat(2_000));
    index.sync(&chain);
    assert_eq!(index.tx(&txid).map(|c| c.height), Some(102));
    assert_eq!(index.tx(&txid).map(|c| c.prevouts[0].output.clone()), Some(blocks[0].txdata[0].output[0].clone()));
    assert_eq!(index.spend(&coinbase), Some(Spend { txid, vin: 0, height: 102 }));
    assert_eq!(index.utxo(&coinbase), None);
    assert!(index.utxo(&OutPoint { txid, vout: 0 }).is_some());
    assert_eq!(index.history(&script_hash(&payee)).collect::<Vec<_>>(), [&txid]);
    // Newest first: the spend comes after block 102's coinbase in that block, and both pay this script.
    let recent: Vec<_> = index.history(&script_hash(&anyone_can_spend())).take(2).copied().collect();
    assert_eq!(recent, [txid, block.txdata[0].compute_txid()]);

    // A longer branch from height 101 leaves block 102 behind.
    mine_branch(&chain, blocks[100].block_hash(), 102, 2);
    let returned = index.sync(&chain);
    assert_eq!(index.tip_height(), 103);
    assert_eq!(returned, vec![tx], "the disconnected transaction comes back for the mempool");
    assert!(index.tx(&txid).is_none());
    assert_eq!(index.spend(&coinbase), None);
    assert_eq!(index.utxo(&coinbase).map(|u| (u.height, u.is_coinbase)), Some((1, true)), "the spent coin is unspent again");
    assert!(index.utxo(&OutPoint { txid, vout: 0 }).is_none());
    assert_eq!(index.history(&script_hash(&payee)).count(), 0);
    assert_eq!(index.block_at(102).map(|b| b.hash), chain.hash_at(102));
}

#[test]
fn median_time_past_is_the_middle_of_the_last_eleven_blocks() {
    let chain = Chain::open(None).expect("a chain");
    mine(&chain, 20);
    let mut index = ChainIndex::default();
    index.sync(&chain);
    // Blocks here are 60 s apart: the median of heights 10..=20 is height 15's time.
    assert_eq!(index.median_time_past(20), index.block_at(15).map(|b| b.header.time).expect("block 15"));
}
