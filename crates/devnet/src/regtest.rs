//! `Regtest`: the chain, its index and the mempool kept in step. Broadcasts go through the mempool's
//! checks; mined blocks take the mempool's transactions; reorgs return transactions to the mempool.

use std::path::Path;

use bitcoin::{BlockHash, ScriptBuf, Transaction, Txid};

use crate::chain::{Chain, ChainError};
use crate::index::ChainIndex;
use crate::mempool::{Mempool, TxRejection};
use crate::miner::{build_block, Template};

pub struct Regtest {
    chain: Chain,
    index: ChainIndex,
    mempool: Mempool,
    /// When set, every admitted broadcast is mined at once into a block paying this script.
    automine: Option<ScriptBuf>,
}

impl Regtest {
    /// Opens the chain (in memory when `data_dir` is `None`) and indexes it.
    pub fn open(data_dir: Option<&Path>) -> Result<Regtest, ChainError> {
        let chain = Chain::open(data_dir)?;
        let mut index = ChainIndex::default();
        index.sync(&chain);
        Ok(Regtest { chain, index, mempool: Mempool::default(), automine: None })
    }

    pub fn index(&self) -> &ChainIndex {
        &self.index
    }

    pub fn mempool(&self) -> &Mempool {
        &self.mempool
    }

    /// Reads a block Core stored, by hash.
    pub fn block(&self, hash: &BlockHash) -> Option<bitcoin::Block> {
        self.chain.block(hash)
    }

    /// Admits `tx` to the mempool (and mines it at once when automine is on).
    pub fn broadcast(&mut self, tx: Transaction) -> Result<Txid, TxRejection> {
        let txid = self.mempool.accept(tx, &self.index)?;
        if let Some(payout) = self.automine.clone() {
            if let Err(e) = self.mine(1, &payout) {
                // The mempool admitted it, so Core should accept the block: this is a devnet bug. The
                // transaction stays in the mempool; say so loudly rather than take the server down.
                eprintln!("devnet bug: Core refused a block built from the mempool: {e}");
            }
        }
        Ok(txid)
    }

    /// Mines every admitted broadcast at once, paying `payout`; `None` turns it off.
    pub fn set_automine(&mut self, payout: Option<ScriptBuf>) {
        self.automine = payout;
    }

    /// Mines `count` blocks paying `payout`, the first with every mempool transaction.
    ///
    /// **Warning:** an `Err` here means the mempool admitted something Core refuses: a devnet bug.
    pub fn mine(&mut self, count: u32, payout: &ScriptBuf) -> Result<Vec<BlockHash>, ChainError> {
        let mut mined = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let (transactions, fees) = self.mempool.block_candidates();
            let tip = self.chain.tip();
            let block = build_block(Template {
                prev_hash: tip.hash,
                height: tip.height + 1,
                time: self.next_block_time(0),
                payout: payout.clone(),
                transactions,
                fees,
            });
            self.chain.submit(&block)?;
            self.after_chain_change();
            mined.push(block.block_hash());
        }
        Ok(mined)
    }

    /// Replaces the last `depth` blocks by `depth + 1` empty ones (more work, so Core switches to them).
    /// Transactions of the replaced blocks go back to the mempool where they are still valid.
    pub fn reorg(&mut self, depth: u32, payout: &ScriptBuf) -> Result<Vec<BlockHash>, ChainError> {
        let tip = self.chain.tip();
        let fork_height = tip
            .height
            .checked_sub(depth)
            .ok_or_else(|| ChainError::Kernel(format!("cannot reorganise {depth} blocks of a chain {} high", tip.height)))?;
        let mut prev = self.chain.hash_at(fork_height).expect("the active chain has its fork point");
        let mut mined = Vec::new();
        for height in fork_height + 1..=tip.height + 1 {
            // One second past the old tip's time keeps every new block distinct from the old ones.
            let block = build_block(Template {
                prev_hash: prev,
                height,
                time: self.next_block_time(height - fork_height),
                payout: payout.clone(),
                transactions: vec![],
                fees: bitcoin::Amount::ZERO,
            });
            self.chain.submit(&block)?;
            prev = block.block_hash();
            mined.push(prev);
        }
        self.after_chain_change();
        Ok(mined)
    }

    fn after_chain_change(&mut self) {
        let returned = self.index.sync(&self.chain);
        self.mempool.refresh(returned, &self.index);
    }

    /// A block time after the tip's (`offset` more seconds) and no earlier than the wall clock.
    fn next_block_time(&self, offset: u32) -> u32 {
        let tip_time = self.index.block_at(self.index.tip_height()).map_or(0, |b| b.header.time);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as u32);
        now.max(tip_time + 1) + offset
    }
}
