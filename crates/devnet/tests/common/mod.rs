//! Helpers shared by the devnet's tests: keyless scripts, block templates, mining.
#![allow(dead_code)] // Each test file uses a different part.

use bitcoin::blockdata::opcodes::OP_TRUE;
use bitcoin::{absolute, transaction, Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use blixtra_devnet::chain::Chain;
use blixtra_devnet::miner::{build_block, Template};

/// Regtest's genesis time; blocks here are a minute apart after it, far from the "too new" limit.
pub const GENESIS_TIME: u32 = 1_296_688_602;

/// A script anyone can spend with an empty script sig: consensus-valid, so tests need no keys.
pub fn anyone_can_spend() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![OP_TRUE.to_u8()])
}

pub fn template(chain: &Chain, transactions: Vec<Transaction>, fees: Amount) -> Template {
    let tip = chain.tip();
    Template {
        prev_hash: tip.hash,
        height: tip.height + 1,
        time: GENESIS_TIME + 60 * (tip.height + 1),
        payout: anyone_can_spend(),
        transactions,
        fees,
    }
}

pub fn mine(chain: &Chain, blocks: u32) -> Vec<Block> {
    (0..blocks)
        .map(|_| {
            let block = build_block(template(chain, vec![], Amount::ZERO));
            chain.submit(&block).expect("Core accepts a well-formed empty block");
            block
        })
        .collect()
}

pub fn spend(outpoint: OutPoint, value: Amount) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn { previous_output: outpoint, script_sig: ScriptBuf::new(), sequence: Sequence::MAX, witness: Witness::new() }],
        output: vec![TxOut { value, script_pubkey: anyone_can_spend() }],
    }
}

/// Mines one block with `transactions` on the tip; returns it.
pub fn mine_with(chain: &Chain, transactions: Vec<Transaction>, fees: Amount) -> Block {
    let block = build_block(template(chain, transactions, fees));
    chain.submit(&block).expect("Core accepts the block");
    block
}

/// Mines `count` empty blocks on `prev` at heights from `height`, with times one second off the main
/// branch's so they differ from its blocks; returns them.
pub fn mine_branch(chain: &Chain, mut prev: bitcoin::BlockHash, height: u32, count: u32) -> Vec<Block> {
    (height..height + count)
        .map(|h| {
            let block = build_block(Template {
                prev_hash: prev,
                height: h,
                time: GENESIS_TIME + 60 * h + 1,
                payout: anyone_can_spend(),
                transactions: vec![],
                fees: Amount::ZERO,
            });
            chain.submit(&block).expect("Core accepts a valid block on a branch");
            prev = block.block_hash();
            block
        })
        .collect()
}
