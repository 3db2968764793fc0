//! The chain under Bitcoin Core's kernel: mined blocks are connected, invalid ones refused without
//! moving the tip, and a longer branch reorganises the chain.

mod common;

use bitcoin::hashes::Hash;
use bitcoin::{Amount, OutPoint, Txid};
use blixtra_devnet::chain::{Chain, ChainError, SpentCoin};
use blixtra_devnet::miner::{build_block, subsidy};
use common::{mine, mine_branch, spend, template};

#[test]
fn mined_blocks_are_connected_and_read_back() {
    let chain = Chain::open(None).expect("a chain");
    assert_eq!(chain.tip().height, 0);
    let blocks = mine(&chain, 101);
    let tip = chain.tip();
    assert_eq!(tip.height, 101);
    assert_eq!(tip.hash, blocks[100].block_hash());
    assert_eq!(chain.hash_at(1), Some(blocks[0].block_hash()));
    assert_eq!(chain.active_height_of(&blocks[49].block_hash()), Some(50));
    assert_eq!(chain.block(&blocks[0].block_hash()).as_ref(), Some(&blocks[0]));
    assert_eq!(chain.spent_outputs(&blocks[0].block_hash()), Some(vec![]));
}

#[test]
fn a_mature_coinbase_is_spent_and_its_spent_output_is_recorded() {
    let chain = Chain::open(None).expect("a chain");
    let blocks = mine(&chain, 101);
    let coinbase = &blocks[0].txdata[0];
    let tx = spend(OutPoint { txid: coinbase.compute_txid(), vout: 0 }, subsidy(1) - Amount::from_sat(1_000));
    let block = build_block(template(&chain, vec![tx.clone()], Amount::from_sat(1_000)));
    chain.submit(&block).expect("Core accepts the spend");
    assert_eq!(chain.tip().hash, block.block_hash());
    let spent = chain.spent_outputs(&block.block_hash()).expect("undo data");
    assert_eq!(spent, vec![vec![SpentCoin { output: coinbase.output[0].clone(), height: 1, is_coinbase: true }]]);
}

#[test]
fn invalid_blocks_are_rejected_and_the_tip_does_not_move() {
    let chain = Chain::open(None).expect("a chain");
    let blocks = mine(&chain, 101);
    let tip = chain.tip();
    let missing = spend(OutPoint { txid: Txid::from_byte_array([7; 32]), vout: 0 }, Amount::from_sat(1_000));
    let immature = spend(OutPoint { txid: blocks[100].txdata[0].compute_txid(), vout: 0 }, Amount::from_sat(1_000));
    let cases = [
        ("spends a missing output", template(&chain, vec![missing], Amount::ZERO)),
        ("spends an immature coinbase", template(&chain, vec![immature], Amount::ZERO)),
        ("claims fees it has not got", template(&chain, vec![], Amount::from_sat(1))),
    ];
    for (what, template) in cases {
        let result = chain.submit(&build_block(template));
        assert!(matches!(result, Err(ChainError::Rejected { .. })), "a block that {what}: {result:?}");
        assert_eq!(chain.tip(), tip, "a block that {what} moved the tip");
    }
}

#[test]
fn a_longer_branch_reorganises_the_chain() {
    let chain = Chain::open(None).expect("a chain");
    let first = mine(&chain, 10);
    // A competing branch from height 8: equal work does not switch (first seen wins), more work does.
    let mut branch = mine_branch(&chain, first[7].block_hash(), 9, 2);
    assert_eq!(chain.tip().hash, first[9].block_hash(), "equal work keeps the first branch");
    branch.extend(mine_branch(&chain, branch[1].block_hash(), 11, 1));
    assert_eq!(chain.tip().height, 11);
    assert_eq!(chain.tip().hash, branch[2].block_hash());
    assert_eq!(chain.hash_at(9), Some(branch[0].block_hash()));
    assert_eq!(chain.active_height_of(&first[9].block_hash()), None, "the old tip is off the active chain");
    assert!(chain.block(&first[9].block_hash()).is_some(), "stale blocks stay readable");
}
