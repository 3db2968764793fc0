//! `ChainIndex`: what an Esplora server needs to answer, built only from blocks Core connected (read
//! back from the kernel with their undo data): blocks by height, confirmed transactions, the UTXO set,
//! who spent each output, and each script's history. [`ChainIndex::sync`] follows the kernel's active
//! chain, disconnecting blocks a reorg left behind before connecting the new ones.

use std::collections::HashMap;

use bitcoin::block::Header;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::{BlockHash, OutPoint, Script, Transaction, TxOut, Txid};

use crate::chain::{Chain, SpentCoin};

/// The key of a script's history: SHA-256 of the script, as Esplora's `/scripthash/:hash` takes it.
pub fn script_hash(script: &Script) -> sha256::Hash {
    sha256::Hash::hash(script.as_bytes())
}

#[derive(Debug, Clone)]
pub struct IndexedBlock {
    pub hash: BlockHash,
    pub header: Header,
    pub txids: Vec<Txid>,
    pub size: usize,
    pub weight: u64,
}

#[derive(Debug, Clone)]
pub struct ConfirmedTx {
    pub tx: Transaction,
    pub height: u32,
    /// The coins its inputs spent, in input order (empty for a coinbase).
    pub prevouts: Vec<SpentCoin>,
}

/// An unspent output of the active chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utxo {
    pub output: TxOut,
    pub height: u32,
    pub is_coinbase: bool,
}

/// Where a confirmed output was spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spend {
    pub txid: Txid,
    pub vin: u32,
    pub height: u32,
}

#[derive(Default)]
pub struct ChainIndex {
    blocks: Vec<IndexedBlock>,
    txs: HashMap<Txid, ConfirmedTx>,
    utxos: HashMap<OutPoint, Utxo>,
    spends: HashMap<OutPoint, Spend>,
    /// Confirmed txids touching each script, oldest first.
    history: HashMap<sha256::Hash, Vec<Txid>>,
}

impl ChainIndex {
    /// Brings the index to the kernel's active chain. Returns the transactions of disconnected blocks
    /// (coinbases excluded), oldest first, for the mempool to take back.
    pub fn sync(&mut self, chain: &Chain) -> Vec<Transaction> {
        let mut disconnected = Vec::new();
        while let Some(last) = self.blocks.last() {
            if chain.active_height_of(&last.hash) == Some(self.blocks.len() as u32 - 1) {
                break;
            }
            disconnected.splice(0..0, self.disconnect_tip());
        }
        let tip = chain.tip().height;
        for height in self.blocks.len() as u32..=tip {
            let hash = chain.hash_at(height).expect("the active chain has every height up to its tip");
            let block = chain.block(&hash).expect("Core stores every block it connected");
            let undo = if height == 0 { Vec::new() } else { chain.spent_outputs(&hash).expect("Core keeps undo data for connected blocks") };
            self.connect(height, block, undo);
        }
        disconnected
    }

    fn connect(&mut self, height: u32, block: bitcoin::Block, undo: Vec<Vec<SpentCoin>>) {
        let txids: Vec<Txid> = block.txdata.iter().map(Transaction::compute_txid).collect();
        let mut undo = undo.into_iter();
        for (tx, txid) in block.txdata.iter().zip(&txids) {
            let is_coinbase = tx.is_coinbase();
            let prevouts = if is_coinbase { Vec::new() } else { undo.next().expect("undo data has one entry per non-coinbase tx") };
            let mut touched: Vec<sha256::Hash> = Vec::new();
            if !is_coinbase {
                for (vin, (input, coin)) in tx.input.iter().zip(&prevouts).enumerate() {
                    self.utxos.remove(&input.previous_output);
                    self.spends.insert(input.previous_output, Spend { txid: *txid, vin: vin as u32, height });
                    touched.push(script_hash(&coin.output.script_pubkey));
                }
            }
            // The genesis coinbase is unspendable by consensus; keep it out of the UTXO set.
            if height > 0 {
                for (vout, output) in tx.output.iter().enumerate() {
                    self.utxos.insert(OutPoint { txid: *txid, vout: vout as u32 }, Utxo { output: output.clone(), height, is_coinbase });
                    touched.push(script_hash(&output.script_pubkey));
                }
            }
            touched.sort_unstable();
            touched.dedup();
            for script in touched {
                self.history.entry(script).or_default().push(*txid);
            }
            self.txs.insert(*txid, ConfirmedTx { tx: tx.clone(), height, prevouts });
        }
        let size = bitcoin::consensus::serialize(&block).len();
        self.blocks.push(IndexedBlock { hash: block.block_hash(), header: block.header, txids, size, weight: block.weight().to_wu() });
    }

    /// Undoes the tip block; returns its non-coinbase transactions in block order.
    fn disconnect_tip(&mut self) -> Vec<Transaction> {
        let block = self.blocks.pop().expect("called with a block to disconnect");
        let mut returned = Vec::new();
        for txid in block.txids.iter().rev() {
            let confirmed = self.txs.remove(txid).expect("every indexed txid has its transaction");
            for vout in 0..confirmed.tx.output.len() as u32 {
                self.utxos.remove(&OutPoint { txid: *txid, vout });
            }
            for (input, coin) in confirmed.tx.input.iter().zip(&confirmed.prevouts) {
                self.spends.remove(&input.previous_output);
                self.utxos.insert(input.previous_output, Utxo { output: coin.output.clone(), height: coin.height, is_coinbase: coin.is_coinbase });
            }
            let scripts = confirmed.prevouts.iter().map(|c| &c.output.script_pubkey).chain(confirmed.tx.output.iter().map(|o| &o.script_pubkey));
            for script in scripts {
                if let Some(list) = self.history.get_mut(&script_hash(script)) {
                    list.retain(|t| t != txid);
                }
            }
            if !confirmed.tx.is_coinbase() {
                returned.push(confirmed.tx);
            }
        }
        returned.reverse();
        returned
    }

    pub fn tip_height(&self) -> u32 {
        self.blocks.len().saturating_sub(1) as u32
    }

    pub fn tip_hash(&self) -> BlockHash {
        self.blocks.last().map(|b| b.hash).unwrap_or_else(BlockHash::all_zeros)
    }

    pub fn block_at(&self, height: u32) -> Option<&IndexedBlock> {
        self.blocks.get(height as usize)
    }

    pub fn block(&self, hash: &BlockHash) -> Option<(u32, &IndexedBlock)> {
        // Devnet chains are short; a scan from the tip finds recent blocks first.
        self.blocks.iter().enumerate().rev().find(|(_, b)| b.hash == *hash).map(|(h, b)| (h as u32, b))
    }

    pub fn tx(&self, txid: &Txid) -> Option<&ConfirmedTx> {
        self.txs.get(txid)
    }

    pub fn utxo(&self, outpoint: &OutPoint) -> Option<&Utxo> {
        self.utxos.get(outpoint)
    }

    pub fn spend(&self, outpoint: &OutPoint) -> Option<Spend> {
        self.spends.get(outpoint).copied()
    }

    /// Confirmed txids touching a script, newest first.
    pub fn history(&self, script: &sha256::Hash) -> impl Iterator<Item = &Txid> {
        self.history.get(script).into_iter().flat_map(|list| list.iter().rev())
    }

    /// The median time of the 11 blocks ending at `height` (BIP113), as lock times are judged by.
    pub fn median_time_past(&self, height: u32) -> u32 {
        let start = (height as usize + 1).saturating_sub(11);
        let mut times: Vec<u32> = self.blocks[start..=height as usize].iter().map(|b| b.header.time).collect();
        times.sort_unstable();
        times[times.len() / 2]
    }
}
