//! Keeps LDK's view of the chain current over an Esplora server: LDK's `Confirm`/`Filter` interface,
//! driven by polling.
//!
//! Why not `lightning-transaction-sync`: it turns on `lightning/std`, whose clock calls panic in
//! wasm32 (see ARCHITECTURE.md). This is the same job over a [`ChainSource`], so its reorg handling is
//! tested natively against a scripted chain, and in the browser against the devnet.
//!
//! One [`ChainSync::sync`] does, in order:
//! 0. if the tip is the one the last complete sync saw and nothing new is watched, nothing else: a
//!    confirmation needs a block, so an idle sync costs one request;
//! 1. if the tip moved: every transaction LDK counts as confirmed whose block left the best chain is
//!    reported unconfirmed (and watched again), then the new tip goes to `best_block_updated`;
//! 2. every watched transaction, and every transaction spending a watched output, that is now
//!    confirmed is reported with `transactions_confirmed`, in chain order, but only after its merkle
//!    proof has been checked against the header of a block in the best chain: the server is not
//!    trusted to say "confirmed";
//! 3. if the tip moved meanwhile, it starts over (a few times at most).
//!
//! The tip is followed through the [`HeaderChain`]: every header from the new tip down to the chain
//! already accepted must meet its own proof of work, link to the one below, and sit at the height the
//! server lists; a branch is taken only with more work than the one followed. Heights and "in the best
//! chain" are then the headers' word, not the server's: a confirmation counts only in a block the
//! accepted chain holds, proven against that block's header. Below the headers kept (older than two
//! weeks, or before this start), a block's header is fetched and its work checked, and its place in
//! the chain is the server's word.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use bitcoin::block::Header;
use bitcoin::Network;
use bitcoin::{BlockHash, MerkleBlock, Transaction, Txid};
use esplora_client::{OutputStatus, TxStatus};
use lightning::chain::{BestBlock, Confirm, Filter, WatchedOutput};

use super::chain_source::{check_header, ChainError, ChainSource};
use super::header_chain::HeaderChain;

/// Locks a mutex that no thread can hold across a panic here: the node runs on one thread, and the
/// `Mutex` (not a `RefCell`) is only so that LDK's sweeper, which asks for a `Sync` filter, accepts it.
trait LockNow<T> {
    fn lock_now(&self) -> MutexGuard<'_, T>;
}

impl<T> LockNow<T> for Mutex<T> {
    fn lock_now(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What LDK asked to be told about (`Filter`): transactions, and outputs whose spends matter.
#[derive(Default)]
pub struct WatchList {
    txs: Mutex<HashSet<Txid>>,
    outputs: Mutex<HashSet<WatchedOutput>>,
    /// Counts every registration, so a sync knows whether something new must be looked up.
    registrations: Mutex<u64>,
}

impl Filter for WatchList {
    fn register_tx(&self, txid: &Txid, _script_pubkey: &bitcoin::Script) {
        self.txs.lock_now().insert(*txid);
        *self.registrations.lock_now() += 1;
    }
    fn register_output(&self, output: WatchedOutput) {
        self.outputs.lock_now().insert(output);
        *self.registrations.lock_now() += 1;
    }
}

impl WatchList {
    fn registrations(&self) -> u64 {
        *self.registrations.lock_now()
    }

    #[cfg(feature = "test-support")]
    pub fn is_watching_tx(&self, txid: &Txid) -> bool {
        self.txs.lock_now().contains(txid)
    }

    #[cfg(feature = "test-support")]
    pub fn is_watching_output(&self, outpoint: &bitcoin::OutPoint) -> bool {
        self.outputs.lock_now().iter().any(|o| o.outpoint.into_bitcoin_outpoint() == *outpoint)
    }
}

/// A transaction proven to be in a block of the best chain.
struct Confirmed {
    header: Header,
    height: u32,
    position: usize,
    tx: Transaction,
}

/// What one sync did, for logs and the UI's "synced to" line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub tip: BlockHash,
    pub height: u32,
    pub confirmed: Vec<Txid>,
    pub unconfirmed: Vec<Txid>,
}

/// How many times a sync starts over because the tip moved under it before giving up for this round.
const MAX_ROUNDS: usize = 5;

pub struct ChainSync {
    /// The network whose proof-of-work rules headers must meet.
    network: Network,
    watch: WatchList,
    /// The headers accepted so far; taken out while a sync follows the server's tip.
    headers: Mutex<HeaderChain>,
    last_tip: Mutex<Option<BlockHash>>,
    /// The last complete sync: its tip and height, and how many registrations the watch list had
    /// when it looked. Nothing can confirm without a new block, so while the tip stays and nothing new
    /// is watched, a sync is one request (the tip's hash).
    checked: Mutex<Option<(BlockHash, u32, u64)>>,
}

/// LDK registers what to watch with the sync itself (the `ChainMonitor`'s and the sweeper's filter).
impl Filter for ChainSync {
    fn register_tx(&self, txid: &Txid, script_pubkey: &bitcoin::Script) {
        self.watch.register_tx(txid, script_pubkey);
    }
    fn register_output(&self, output: WatchedOutput) {
        self.watch.register_output(output);
    }
}

impl ChainSync {
    pub fn new(network: Network) -> Self {
        Self {
            network,
            watch: WatchList::default(),
            headers: Mutex::new(HeaderChain::new(network)),
            last_tip: Mutex::new(None),
            checked: Mutex::new(None),
        }
    }

    /// Starts the header chain at LDK's best block, so that the first sync checks every block since.
    pub fn start_from(&self, best: BestBlock) {
        self.headers.lock_now().anchor(best.height, best.block_hash);
    }

    /// The accepted tip's height, if a sync has accepted one.
    pub fn accepted_height(&self) -> Option<u32> {
        self.headers.lock_now().tip().map(|(height, _, _)| height)
    }

    /// The `Filter` LDK registers with, for a test to register as LDK would.
    #[cfg(feature = "test-support")]
    pub fn watch_list(&self) -> &WatchList {
        &self.watch
    }

    /// Brings every `Confirm` up to the server's best chain. See the module docs for the steps.
    pub async fn sync<C: ChainSource>(&self, source: &C, confirmables: &[&dyn Confirm]) -> Result<SyncReport, ChainError> {
        let mut unconfirmed = Vec::new();
        for _ in 0..MAX_ROUNDS {
            let tip = source.tip_hash().await?;
            let registrations = self.watch.registrations();
            if let Some((checked_tip, height, checked_registrations)) = *self.checked.lock_now() {
                if checked_tip == tip && checked_registrations == registrations {
                    return Ok(SyncReport { tip, height, confirmed: Vec::new(), unconfirmed });
                }
            }
            if *self.last_tip.lock_now() != Some(tip) {
                let tip_status = source.block_status(&tip).await?;
                let claimed = tip_status
                    .height
                    .filter(|_| tip_status.in_best_chain)
                    .ok_or_else(|| ChainError::Inconsistent(format!("the tip {tip} is not in the best chain")))?;
                let fork = self.follow(source, tip, claimed).await?;
                unconfirmed.extend(self.unconfirm_reorged(source, confirmables, fork).await?);
                let (height, _, header) = self.headers.lock_now().tip().ok_or_else(|| ChainError::Inconsistent("no tip accepted".to_owned()))?;
                for confirmable in confirmables {
                    confirmable.best_block_updated(&header, height);
                }
            }
            let height = self.accepted_height().ok_or_else(|| ChainError::Inconsistent("no tip accepted".to_owned()))?;
            let (confirmed, spent_outputs) = self.find_confirmed(source, height).await?;
            for item in &confirmed {
                for confirmable in confirmables {
                    confirmable.transactions_confirmed(&item.header, &[(item.position, &item.tx)], item.height);
                }
            }
            let confirmed_ids: Vec<Txid> = confirmed.iter().map(|c| c.tx.compute_txid()).collect();
            // Confirmed: LDK now lists them in `get_relevant_txids`, which step 1 checks on every new tip.
            {
                let mut txs = self.watch.txs.lock_now();
                for txid in &confirmed_ids {
                    txs.remove(txid);
                }
                let mut outputs = self.watch.outputs.lock_now();
                for (output, spender) in spent_outputs {
                    if confirmed_ids.contains(&spender) {
                        outputs.remove(&output);
                    }
                }
            }
            if source.tip_hash().await? == tip {
                *self.last_tip.lock_now() = Some(tip);
                *self.checked.lock_now() = Some((tip, height, registrations));
                return Ok(SyncReport { tip, height, confirmed: confirmed_ids, unconfirmed });
            }
            // The tip moved while we looked: what we reported may already be stale; look again.
            *self.last_tip.lock_now() = None;
            *self.checked.lock_now() = None;
        }
        Err(ChainError::Inconsistent("the tip kept moving during sync".to_owned()))
    }

    /// Follows the server's tip with the header chain (taken out of its lock meanwhile: a sync runs
    /// one at a time). Returns the fork height.
    async fn follow<C: ChainSource>(&self, source: &C, tip: BlockHash, claimed: u32) -> Result<u32, ChainError> {
        let mut headers = std::mem::replace(&mut *self.headers.lock_now(), HeaderChain::new(self.network));
        let followed = headers.follow(source, tip, claimed).await;
        *self.headers.lock_now() = headers;
        followed
    }

    /// Reports as unconfirmed every transaction LDK holds confirmed above `fork` in a block the
    /// accepted chain no longer holds, and watches it again so its new confirmation is found. At or
    /// below the fork, both chains are one.
    async fn unconfirm_reorged<C: ChainSource>(&self, source: &C, confirmables: &[&dyn Confirm], fork: u32) -> Result<Vec<Txid>, ChainError> {
        let mut relevant: BTreeMap<Txid, (u32, Option<BlockHash>)> = BTreeMap::new();
        for confirmable in confirmables {
            for (txid, height, block) in confirmable.get_relevant_txids() {
                relevant.insert(txid, (height, block));
            }
        }
        let mut gone = Vec::new();
        for (txid, (height, block)) in relevant {
            if height <= fork {
                continue;
            }
            let still_there = match block {
                Some(block) => self.headers.lock_now().holds(height, &block) == Some(true),
                // LDK does not always know the block; ask where the transaction is now.
                None => {
                    let status = source.tx_status(&txid).await?;
                    match (status.confirmed, status.block_height, status.block_hash) {
                        (true, Some(height), Some(block)) => self.headers.lock_now().holds(height, &block) == Some(true),
                        _ => false,
                    }
                }
            };
            if !still_there {
                gone.push(txid);
            }
        }
        for txid in &gone {
            for confirmable in confirmables {
                confirmable.transaction_unconfirmed(txid);
            }
            self.watch.txs.lock_now().insert(*txid);
        }
        Ok(gone)
    }

    /// Watched transactions and spends of watched outputs now confirmed, proven, in chain order; and
    /// the watched outputs with a confirmed spender.
    async fn find_confirmed<C: ChainSource>(&self, source: &C, tip_height: u32) -> Result<(Vec<Confirmed>, Vec<(WatchedOutput, Txid)>), ChainError> {
        let mut candidates: Vec<Txid> = self.watch.txs.lock_now().iter().copied().collect();
        let outputs: Vec<WatchedOutput> = self.watch.outputs.lock_now().iter().cloned().collect();
        let mut spent = Vec::new();
        for output in outputs {
            let status = source.output_status(&output.outpoint.txid, u64::from(output.outpoint.index)).await?;
            if let Some(OutputStatus { spent: true, txid: Some(spender), status: Some(TxStatus { confirmed: true, .. }), .. }) = status {
                candidates.push(spender);
                spent.push((output, spender));
            }
        }
        candidates.sort();
        candidates.dedup();
        let mut confirmed = Vec::new();
        for txid in candidates {
            if let Some(item) = self.prove(source, &txid, tip_height).await? {
                confirmed.push(item);
            }
        }
        confirmed.sort_by_key(|c| (c.height, c.position));
        Ok((confirmed, spent))
    }

    /// Checks a confirmation claim: the transaction, its merkle proof against the header of its block,
    /// and that block's place in the best chain. `None` if it is not confirmed (yet).
    async fn prove<C: ChainSource>(&self, source: &C, txid: &Txid, tip_height: u32) -> Result<Option<Confirmed>, ChainError> {
        let status = source.tx_status(txid).await?;
        let (Some(block), Some(height)) = (status.block_hash, status.block_height) else {
            return Ok(None);
        };
        if !status.confirmed || height > tip_height {
            // Above our tip: the next round settles it.
            return Ok(None);
        }
        let held = self.headers.lock_now().holds(height, &block);
        let header = match held {
            Some(true) => self.headers.lock_now().header_at(height).ok_or_else(|| ChainError::Inconsistent(format!("no header kept at {height}")))?,
            // Not the block the accepted chain has there: left the chain, or never in it.
            Some(false) => return Ok(None),
            // Older than the headers kept: the block's work is checked, its place is the server's word.
            None => {
                let block_status = source.block_status(&block).await?;
                if !block_status.in_best_chain || block_status.height != Some(height) {
                    return Ok(None);
                }
                let header = source.header(&block).await?;
                check_header(&header, block, self.network)?;
                header
            }
        };
        let proof = source.merkle_block(txid).await?.ok_or_else(|| ChainError::Inconsistent(format!("no merkle proof for confirmed {txid}")))?;
        let position = proven_position(&proof, &header, txid)?;
        let tx = source.tx(txid).await?.ok_or_else(|| ChainError::Inconsistent(format!("confirmed {txid} cannot be fetched")))?;
        if tx.compute_txid() != *txid {
            return Err(ChainError::Inconsistent(format!("the transaction sent for {txid} is another")));
        }
        Ok(Some(Confirmed { header, height, position, tx }))
    }
}

/// The position of `txid` in the block whose header is `header`, if `proof` proves it is there.
pub fn proven_position(proof: &MerkleBlock, header: &Header, txid: &Txid) -> Result<usize, ChainError> {
    if proof.header.block_hash() != header.block_hash() {
        return Err(ChainError::Inconsistent(format!("the merkle proof for {txid} is for another block")));
    }
    let (mut matches, mut indexes) = (Vec::new(), Vec::new());
    let root = proof
        .txn
        .extract_matches(&mut matches, &mut indexes)
        .map_err(|e| ChainError::Inconsistent(format!("the merkle proof for {txid} is invalid: {e:?}")))?;
    if root != header.merkle_root {
        return Err(ChainError::Inconsistent(format!("the merkle proof for {txid} does not lead to its block's merkle root")));
    }
    match (matches.as_slice(), indexes.as_slice()) {
        ([found], [index]) if found == txid => Ok(*index as usize),
        _ => Err(ChainError::Inconsistent(format!("the merkle proof for {txid} proves other transactions"))),
    }
}
