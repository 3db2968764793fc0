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
//! Every header used (the tip's, each proof's block's) must be the block asked for, carry a
//! difficulty the network allows, and meet it: its hash is below the target its `bits` state. A
//! server cannot then make up a block, only show real ones. (Not yet checked: that headers link to
//! the ones accepted before, and that heights are what the headers prove; issue 13.)

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use bitcoin::block::Header;
use bitcoin::Network;
use bitcoin::{BlockHash, MerkleBlock, Transaction, Txid};
use esplora_client::{BlockStatus, OutputStatus, TxStatus};
use lightning::chain::{Confirm, Filter, WatchedOutput};

/// What a chain server answered wrongly or not at all. Nothing is reported to LDK from a sync that
/// fails: the next one starts again from what LDK knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("the chain server cannot be reached: {0}")]
    Unreachable(String),
    #[error("the chain server answered {status}: {message}")]
    Http { status: u16, message: String },
    #[error("the chain server sent a malformed reply: {0}")]
    Malformed(String),
    /// The server contradicted itself or sent a proof that does not hold: it is wrong or lying.
    #[error("the chain server's answers do not add up: {0}")]
    Inconsistent(String),
    /// A header the server sent is not one a miner could have made for this network.
    #[error("the chain server sent a forged header for {block}: {problem}")]
    ForgedHeader { block: BlockHash, problem: HeaderProblem },
}

/// What is wrong with a header that its own hash does not show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderProblem {
    /// Its `bits` ask for less work than the network's easiest blocks.
    #[error("its difficulty is below the network's least")]
    BelowNetworkDifficulty,
    /// Its hash is not below the target its `bits` state: nobody did the work.
    #[error("its proof of work does not meet its own difficulty")]
    WorkNotDone,
}

/// Checks that `header` is the block `block` and that its proof of work holds on `network`.
pub fn check_header(header: &Header, block: BlockHash, network: Network) -> Result<(), ChainError> {
    if header.block_hash() != block {
        return Err(ChainError::Inconsistent(format!("the header sent for {block} is another block's")));
    }
    let target = header.target();
    if target > bitcoin::params::Params::new(network).max_attainable_target {
        return Err(ChainError::ForgedHeader { block, problem: HeaderProblem::BelowNetworkDifficulty });
    }
    header.validate_pow(target).map_err(|_| ChainError::ForgedHeader { block, problem: HeaderProblem::WorkNotDone })?;
    Ok(())
}

/// The chain queries a sync needs: Esplora's, by shape.
#[allow(async_fn_in_trait)] // Browser futures are not `Send`; neither are these.
pub trait ChainSource {
    async fn tip_hash(&self) -> Result<BlockHash, ChainError>;
    async fn header(&self, block: &BlockHash) -> Result<Header, ChainError>;
    async fn block_status(&self, block: &BlockHash) -> Result<BlockStatus, ChainError>;
    async fn tx_status(&self, txid: &Txid) -> Result<TxStatus, ChainError>;
    async fn tx(&self, txid: &Txid) -> Result<Option<Transaction>, ChainError>;
    async fn merkle_block(&self, txid: &Txid) -> Result<Option<MerkleBlock>, ChainError>;
    async fn output_status(&self, txid: &Txid, index: u64) -> Result<Option<OutputStatus>, ChainError>;
    /// Fee rates in sat/vB by confirmation target in blocks (Esplora's `/fee-estimates`).
    async fn fee_estimates(&self) -> Result<HashMap<u16, f64>, ChainError>;
    async fn broadcast(&self, tx: &Transaction) -> Result<(), ChainError>;
}

impl From<esplora_client::Error> for ChainError {
    fn from(error: esplora_client::Error) -> Self {
        use esplora_client::Error as E;
        match error {
            E::Reqwest(e) => ChainError::Unreachable(e.to_string()),
            E::HttpResponse { status, message } => ChainError::Http { status, message },
            other => ChainError::Malformed(format!("{other:?}")),
        }
    }
}

impl<S: esplora_client::Sleeper> ChainSource for esplora_client::AsyncClient<S> {
    async fn tip_hash(&self) -> Result<BlockHash, ChainError> {
        Ok(self.get_tip_hash().await?)
    }
    async fn header(&self, block: &BlockHash) -> Result<Header, ChainError> {
        Ok(self.get_header_by_hash(block).await?)
    }
    async fn block_status(&self, block: &BlockHash) -> Result<BlockStatus, ChainError> {
        Ok(self.get_block_status(block).await?)
    }
    /// A transaction the server does not know (not yet broadcast, or dropped) is unconfirmed, not
    /// an error: some servers answer 404 for it.
    async fn tx_status(&self, txid: &Txid) -> Result<TxStatus, ChainError> {
        match self.get_tx_status(txid).await {
            Err(esplora_client::Error::HttpResponse { status: 404, .. }) => {
                Ok(TxStatus { confirmed: false, block_height: None, block_hash: None, block_time: None })
            }
            other => Ok(other?),
        }
    }
    async fn tx(&self, txid: &Txid) -> Result<Option<Transaction>, ChainError> {
        Ok(self.get_tx(txid).await?)
    }
    async fn merkle_block(&self, txid: &Txid) -> Result<Option<MerkleBlock>, ChainError> {
        Ok(self.get_merkle_block(txid).await?)
    }
    async fn output_status(&self, txid: &Txid, index: u64) -> Result<Option<OutputStatus>, ChainError> {
        Ok(self.get_output_status(txid, index).await?)
    }
    async fn fee_estimates(&self) -> Result<HashMap<u16, f64>, ChainError> {
        Ok(self.get_fee_estimates().await?)
    }
    async fn broadcast(&self, tx: &Transaction) -> Result<(), ChainError> {
        Ok(esplora_client::AsyncClient::broadcast(self, tx).await?)
    }
}

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
        Self { network, watch: WatchList::default(), last_tip: Mutex::new(None), checked: Mutex::new(None) }
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
            let tip_status = source.block_status(&tip).await?;
            let height = tip_status
                .height
                .filter(|_| tip_status.in_best_chain)
                .ok_or_else(|| ChainError::Inconsistent(format!("the tip {tip} is not in the best chain")))?;
            if *self.last_tip.lock_now() != Some(tip) {
                unconfirmed.extend(self.unconfirm_reorged(source, confirmables).await?);
                let header = source.header(&tip).await?;
                check_header(&header, tip, self.network)?;
                for confirmable in confirmables {
                    confirmable.best_block_updated(&header, height);
                }
            }
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

    /// Reports as unconfirmed every transaction LDK holds confirmed in a block that left the best
    /// chain, and watches it again so its new confirmation is found.
    async fn unconfirm_reorged<C: ChainSource>(&self, source: &C, confirmables: &[&dyn Confirm]) -> Result<Vec<Txid>, ChainError> {
        let mut relevant: BTreeMap<Txid, Option<BlockHash>> = BTreeMap::new();
        for confirmable in confirmables {
            for (txid, _height, block) in confirmable.get_relevant_txids() {
                relevant.insert(txid, block);
            }
        }
        let mut gone = Vec::new();
        for (txid, block) in relevant {
            let still_there = match block {
                Some(block) => source.block_status(&block).await?.in_best_chain,
                // LDK does not always know the block; ask where the transaction is now.
                None => source.tx_status(&txid).await?.confirmed,
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
        if !status.confirmed {
            return Ok(None);
        }
        let block_status = source.block_status(&block).await?;
        if !block_status.in_best_chain || block_status.height != Some(height) || height > tip_height {
            // A block that just left the chain or is above our tip: the next round settles it.
            return Ok(None);
        }
        let header = source.header(&block).await?;
        check_header(&header, block, self.network)?;
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
