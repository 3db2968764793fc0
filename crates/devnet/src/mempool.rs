//! `Mempool`: transactions waiting for a block, admitted by the checks a node's policy makes, so that
//! every block mined from it is one Core accepts. A rejection names the rule, in Core's words where
//! Core has a name for it.

use std::collections::HashMap;

use bitcoin::consensus::serialize;
use bitcoin::{Amount, OutPoint, Sequence, Transaction, TxOut, Txid};

use crate::index::ChainIndex;
use crate::miner::COINBASE_MATURITY;

/// Core's standard transaction weight limit.
pub const MAX_STANDARD_TX_WEIGHT: u64 = 400_000;
const MAX_MONEY: Amount = Amount::from_sat(21_000_000 * 100_000_000);
/// Lock times below this are block heights, from it on Unix times.
const LOCKTIME_THRESHOLD: u32 = 500_000_000;
/// BIP68's sequence bits: relative lock off, lock in time units (512 s) rather than blocks.
const SEQUENCE_LOCK_DISABLED: u32 = 1 << 31;
const SEQUENCE_LOCK_IS_TIME: u32 = 1 << 22;

/// Why a transaction was refused. `Display` is the message `POST /tx` answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxRejection {
    #[error("txn-already-known: {txid} is already in the mempool or the chain")]
    AlreadyKnown { txid: Txid },
    #[error("coinbase: a coinbase transaction cannot be broadcast")]
    Coinbase,
    #[error("bad-txns-vin-empty / bad-txns-vout-empty: a transaction needs inputs and outputs")]
    Empty,
    #[error("bad-txns-inputs-duplicate: input {outpoint} is spent twice")]
    DuplicateInput { outpoint: OutPoint },
    #[error("tx-size: weight {weight} is over the standard limit of {MAX_STANDARD_TX_WEIGHT}")]
    TooLarge { weight: u64 },
    #[error("bad-txns-vout-toolarge: an output is above 21 million bitcoin")]
    OutputTooLarge,
    #[error("bad-txns-inputs-missingorspent: input {outpoint} does not exist or was already spent in the chain")]
    MissingOrSpent { outpoint: OutPoint },
    #[error("txn-mempool-conflict: input {outpoint} is already spent by {spent_by} in the mempool")]
    DoubleSpend { outpoint: OutPoint, spent_by: Txid },
    #[error(
        "bad-txns-premature-spend-of-coinbase: input {outpoint} spends a coinbase with {confirmations} confirmations; {COINBASE_MATURITY} are needed"
    )]
    ImmatureCoinbase { outpoint: OutPoint, confirmations: u32 },
    #[error("non-final: the lock time is not reached by the next block")]
    NonFinal,
    #[error("non-BIP68-final: input {input}'s relative lock time is not reached by the next block")]
    RelativeLockNotMet { input: usize },
    #[error("bad-txns-in-belowout: outputs ({outputs}) exceed inputs ({inputs})")]
    OutputsExceedInputs { inputs: Amount, outputs: Amount },
    #[error("mandatory-script-verify-flag-failed: input {input}'s script does not verify ({reason})")]
    Script { input: usize, reason: String },
}

/// A coin an input spends, from the chain or from a mempool parent.
#[derive(Debug, Clone)]
pub struct Prevout {
    pub output: TxOut,
    /// The height of the block that confirmed it; `None` for an unconfirmed mempool parent.
    pub height: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct MempoolTx {
    pub tx: Transaction,
    pub fee: Amount,
    pub prevouts: Vec<Prevout>,
}

#[derive(Default)]
pub struct Mempool {
    entries: HashMap<Txid, MempoolTx>,
    /// Admission order: a parent always precedes its children.
    order: Vec<Txid>,
    spent_by: HashMap<OutPoint, Txid>,
}

impl Mempool {
    /// Checks `tx` against the chain's tip and the mempool; admits it or says why not.
    pub fn accept(&mut self, tx: Transaction, index: &ChainIndex) -> Result<Txid, TxRejection> {
        let txid = tx.compute_txid();
        if self.entries.contains_key(&txid) || index.tx(&txid).is_some() {
            return Err(TxRejection::AlreadyKnown { txid });
        }
        check_shape(&tx)?;
        let next_height = index.tip_height() + 1;
        let prevouts = self.find_prevouts(&tx, index, next_height)?;
        check_final(&tx, index, next_height)?;
        check_relative_locks(&tx, &prevouts, index, next_height)?;
        let inputs: Amount = prevouts.iter().map(|p| p.output.value).sum();
        let outputs: Amount = tx.output.iter().map(|o| o.value).sum();
        let fee = inputs.checked_sub(outputs).ok_or(TxRejection::OutputsExceedInputs { inputs, outputs })?;
        verify_scripts(&tx, &prevouts)?;
        for input in &tx.input {
            self.spent_by.insert(input.previous_output, txid);
        }
        self.order.push(txid);
        self.entries.insert(txid, MempoolTx { tx, fee, prevouts });
        Ok(txid)
    }

    fn find_prevouts(&self, tx: &Transaction, index: &ChainIndex, next_height: u32) -> Result<Vec<Prevout>, TxRejection> {
        let mut prevouts = Vec::with_capacity(tx.input.len());
        for input in &tx.input {
            let outpoint = input.previous_output;
            if let Some(spent_by) = self.spent_by.get(&outpoint) {
                return Err(TxRejection::DoubleSpend { outpoint, spent_by: *spent_by });
            }
            if let Some(utxo) = index.utxo(&outpoint) {
                let confirmations = next_height - utxo.height;
                if utxo.is_coinbase && confirmations < COINBASE_MATURITY {
                    return Err(TxRejection::ImmatureCoinbase { outpoint, confirmations });
                }
                prevouts.push(Prevout { output: utxo.output.clone(), height: Some(utxo.height) });
            } else if let Some(output) = self.entries.get(&outpoint.txid).and_then(|parent| parent.tx.output.get(outpoint.vout as usize)) {
                prevouts.push(Prevout { output: output.clone(), height: None });
            } else {
                return Err(TxRejection::MissingOrSpent { outpoint });
            }
        }
        Ok(prevouts)
    }

    /// Returns the transactions in admission order and their total fee, for the next block.
    pub fn block_candidates(&self) -> (Vec<Transaction>, Amount) {
        let txs = self.order.iter().map(|txid| self.entries[txid].tx.clone()).collect();
        (txs, self.order.iter().map(|txid| self.entries[txid].fee).sum())
    }

    /// Re-admits `returned` (from disconnected blocks) and every waiting transaction against the new
    /// chain, dropping what no longer fits (mined, conflicting, or no longer final).
    pub fn refresh(&mut self, returned: Vec<Transaction>, index: &ChainIndex) {
        let waiting: Vec<Transaction> = self.order.iter().map(|txid| self.entries[txid].tx.clone()).collect();
        *self = Mempool::default();
        for tx in returned.into_iter().chain(waiting) {
            let _ = self.accept(tx, index);
        }
    }

    pub fn get(&self, txid: &Txid) -> Option<&MempoolTx> {
        self.entries.get(txid)
    }

    pub fn spender(&self, outpoint: &OutPoint) -> Option<(Txid, u32)> {
        let txid = *self.spent_by.get(outpoint)?;
        let vin = self.entries[&txid].tx.input.iter().position(|i| i.previous_output == *outpoint)?;
        Some((txid, vin as u32))
    }

    /// Transactions in admission order.
    pub fn iter(&self) -> impl Iterator<Item = &MempoolTx> {
        self.order.iter().map(|txid| &self.entries[txid])
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

fn check_shape(tx: &Transaction) -> Result<(), TxRejection> {
    if tx.is_coinbase() {
        return Err(TxRejection::Coinbase);
    }
    if tx.input.is_empty() || tx.output.is_empty() {
        return Err(TxRejection::Empty);
    }
    let weight = tx.weight().to_wu();
    if weight > MAX_STANDARD_TX_WEIGHT {
        return Err(TxRejection::TooLarge { weight });
    }
    if tx.output.iter().any(|o| o.value > MAX_MONEY) || tx.output.iter().map(|o| o.value).sum::<Amount>() > MAX_MONEY {
        return Err(TxRejection::OutputTooLarge);
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(input) = tx.input.iter().find(|i| !seen.insert(i.previous_output)) {
        return Err(TxRejection::DuplicateInput { outpoint: input.previous_output });
    }
    Ok(())
}

/// nLockTime (BIP113): final in the next block if its height or the tip's median time past is past it.
fn check_final(tx: &Transaction, index: &ChainIndex, next_height: u32) -> Result<(), TxRejection> {
    let lock = tx.lock_time.to_consensus_u32();
    let reached = if lock < LOCKTIME_THRESHOLD { lock < next_height } else { lock < index.median_time_past(index.tip_height()) };
    if lock == 0 || reached || tx.input.iter().all(|i| i.sequence == Sequence::MAX) {
        Ok(())
    } else {
        Err(TxRejection::NonFinal)
    }
}

/// BIP68 relative lock times, as the next block would judge them.
fn check_relative_locks(tx: &Transaction, prevouts: &[Prevout], index: &ChainIndex, next_height: u32) -> Result<(), TxRejection> {
    if tx.version.0 < 2 {
        return Ok(());
    }
    let tip_mtp = index.median_time_past(index.tip_height());
    for (input, (txin, prevout)) in tx.input.iter().zip(prevouts).enumerate() {
        let sequence = txin.sequence.to_consensus_u32();
        if sequence & SEQUENCE_LOCK_DISABLED != 0 {
            continue;
        }
        // An unconfirmed parent would confirm in the next block at the earliest.
        let coin_height = prevout.height.unwrap_or(next_height);
        let value = sequence & 0xffff;
        let reached = if sequence & SEQUENCE_LOCK_IS_TIME != 0 {
            let coin_time = index.median_time_past(coin_height.saturating_sub(1).min(index.tip_height()));
            tip_mtp >= coin_time + (value << 9)
        } else {
            next_height >= coin_height + value
        };
        if !reached {
            return Err(TxRejection::RelativeLockNotMet { input });
        }
    }
    Ok(())
}

/// Runs every input's script through Core's script interpreter with all consensus flags.
fn verify_scripts(tx: &Transaction, prevouts: &[Prevout]) -> Result<(), TxRejection> {
    let script_error = |input: usize, e: &dyn std::fmt::Debug| TxRejection::Script { input, reason: format!("{e:?}") };
    let kernel_tx = bitcoinkernel::Transaction::new(&serialize(tx)).map_err(|e| script_error(0, &e))?;
    let mut spent = Vec::with_capacity(prevouts.len());
    for (input, prevout) in prevouts.iter().enumerate() {
        let script = bitcoinkernel::ScriptPubkey::new(prevout.output.script_pubkey.as_bytes()).map_err(|e| script_error(input, &e))?;
        spent.push(bitcoinkernel::TxOut::new(&script, prevout.output.value.to_sat() as i64));
    }
    let precomputed = bitcoinkernel::PrecomputedTransactionData::new(&kernel_tx, &spent).map_err(|e| script_error(0, &e))?;
    for (input, prevout) in spent.iter().enumerate() {
        use bitcoinkernel::prelude::TxOutExt;
        bitcoinkernel::verify(&prevout.script_pubkey(), Some(prevout.value()), &kernel_tx, input, None, &precomputed)
            .map_err(|e| script_error(input, &e))?;
    }
    Ok(())
}
