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
//! accepted chain holds, proven against that block's header, and on every new tip whatever LDK holds
//! confirmed in a block the chain does not hold is taken back. Below the headers kept (older than
//! two weeks, or before this start), a block's header is fetched and its work checked, and its place
//! in the chain is the server's word.
//!
//! With a second server (the witness, [`ChainSync::sync_witnessed`]), both are asked about every
//! confirmation and spend: see `find_confirmed` for who is believed when they disagree.

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

/// What one look at the watched transactions and outputs found.
struct Found {
    confirmed: Vec<Confirmed>,
    /// Watched outputs with a confirmed spender.
    spent: Vec<(WatchedOutput, Txid)>,
    disputed: Vec<Txid>,
    /// Something waits for the witness to see its block.
    waiting: bool,
}

/// What one sync did, for logs and the UI's "synced to" line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub tip: BlockHash,
    pub height: u32,
    pub confirmed: Vec<Txid>,
    pub unconfirmed: Vec<Txid>,
    /// Confirmations and spends one server reports and the other does not, though it has seen the
    /// block: not reported to LDK, and looked at again by the next sync.
    pub disputed: Vec<Txid>,
    /// How many blocks the witness is behind the primary, when that is more than a moment's lag
    /// ([`WITNESS_LAG`]): what it has not seen waits.
    pub witness_behind: Option<u32>,
    /// How many blocks the primary is behind the witness, when more than [`WITNESS_LAG`]: a primary
    /// that stops at an old tip hides every block since.
    pub primary_behind: Option<u32>,
    /// Why the witness could not be asked (it is down, or answered wrongly): what the primary
    /// reports confirmed waits for it.
    pub witness_fault: Option<ChainError>,
}

/// Blocks a witness may lag before the wallet says so (an hour).
pub const WITNESS_LAG: u32 = 6;

/// What a second server (the witness) has seen: its tip's height. Its answers count only up to it,
/// so that a witness a block behind delays a confirmation instead of disputing it.
#[derive(Clone, Copy)]
struct WitnessTip(u32);

/// What the last complete sync saw.
#[derive(Clone, Copy)]
struct Checked {
    tip: BlockHash,
    height: u32,
    /// How many registrations the watch list had when it looked.
    registrations: u64,
    /// How far behind the witness was, if that was worth saying.
    witness_behind: Option<u32>,
    /// How far behind the primary was, if that was worth saying.
    primary_behind: Option<u32>,
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
    /// The last complete sync. Nothing can confirm without a new block, so while the tip stays and
    /// nothing new is watched, a sync is one request (the tip's hash).
    checked: Mutex<Option<Checked>>,
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
        self.sync_witnessed(source, None, confirmables).await
    }

    /// Like [`Self::sync`], with a second server as witness: a confirmation, or a spend of a watched
    /// output, is reported only if both servers report it (in the same block), or the witness has not
    /// seen that block yet (then it waits). What only one of them reports is [`SyncReport::disputed`].
    pub async fn sync_witnessed<C: ChainSource>(
        &self,
        source: &C,
        witness: Option<&C>,
        confirmables: &[&dyn Confirm],
    ) -> Result<SyncReport, ChainError> {
        let mut unconfirmed = Vec::new();
        for _ in 0..MAX_ROUNDS {
            let tip = source.tip_hash().await?;
            let registrations = self.watch.registrations();
            if let Some(Checked { tip: checked_tip, height, registrations: checked_registrations, witness_behind, primary_behind }) =
                *self.checked.lock_now()
            {
                if checked_tip == tip && checked_registrations == registrations {
                    return Ok(SyncReport {
                        tip,
                        height,
                        confirmed: Vec::new(),
                        unconfirmed,
                        disputed: Vec::new(),
                        witness_behind,
                        primary_behind,
                        witness_fault: None,
                    });
                }
            }
            if *self.last_tip.lock_now() != Some(tip) {
                let tip_status = source.block_status(&tip).await?;
                let claimed = tip_status
                    .height
                    .filter(|_| tip_status.in_best_chain)
                    .ok_or_else(|| ChainError::Inconsistent(format!("the tip {tip} is not in the best chain")))?;
                self.follow(source, tip, claimed).await?;
                unconfirmed.extend(self.unconfirm_reorged(source, confirmables).await?);
                let (height, _, header) = self.headers.lock_now().tip().ok_or_else(|| ChainError::Inconsistent("no tip accepted".to_owned()))?;
                for confirmable in confirmables {
                    confirmable.best_block_updated(&header, height);
                }
            }
            let height = self.accepted_height().ok_or_else(|| ChainError::Inconsistent("no tip accepted".to_owned()))?;
            let mut witness = match witness {
                Some(server) => match witness_tip(server).await {
                    Ok(seen) => Witness::Seen(server, seen),
                    Err(e) => Witness::Failed(e),
                },
                None => Witness::Absent,
            };
            let Found { confirmed, spent: spent_outputs, disputed, waiting } = self.find_confirmed(source, &mut witness, height).await?;
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
                let lag = |behind: u32| Some(behind).filter(|behind| *behind > WITNESS_LAG);
                let (witness_behind, primary_behind, witness_fault) = match witness {
                    Witness::Seen(_, seen) => (lag(height.saturating_sub(seen.0)), lag(seen.0.saturating_sub(height)), None),
                    Witness::Failed(e) => (None, None, Some(e)),
                    Witness::Absent => (None, None, None),
                };
                // A dispute, what waits for the witness, and a witness that failed are looked at
                // again by the next sync, even without a new block.
                let settled = disputed.is_empty() && !waiting && witness_fault.is_none();
                *self.checked.lock_now() = settled.then_some(Checked { tip, height, registrations, witness_behind, primary_behind });
                return Ok(SyncReport {
                    tip,
                    height,
                    confirmed: confirmed_ids,
                    unconfirmed,
                    disputed,
                    witness_behind,
                    primary_behind,
                    witness_fault,
                });
            }
            // The tip moved while we looked: what we reported may already be stale; look again.
            *self.last_tip.lock_now() = None;
            *self.checked.lock_now() = None;
        }
        Err(ChainError::Inconsistent("the tip kept moving during sync".to_owned()))
    }

    /// Follows the server's tip with the header chain (taken out of its lock meanwhile: a sync runs
    /// one at a time).
    async fn follow<C: ChainSource>(&self, source: &C, tip: BlockHash, claimed: u32) -> Result<(), ChainError> {
        let mut headers = std::mem::replace(&mut *self.headers.lock_now(), HeaderChain::new(self.network));
        let followed = headers.follow(source, tip, claimed).await;
        *self.headers.lock_now() = headers;
        followed
    }

    /// Reports as unconfirmed every transaction LDK holds confirmed in a block the accepted chain
    /// does not hold (any of them: a sync that failed after the chain moved left LDK behind it), and
    /// watches it again so its new confirmation is found. Below the headers kept, the server says
    /// whether the block is in its best chain.
    async fn unconfirm_reorged<C: ChainSource>(&self, source: &C, confirmables: &[&dyn Confirm]) -> Result<Vec<Txid>, ChainError> {
        let mut relevant: BTreeMap<Txid, (u32, Option<BlockHash>)> = BTreeMap::new();
        for confirmable in confirmables {
            for (txid, height, block) in confirmable.get_relevant_txids() {
                relevant.insert(txid, (height, block));
            }
        }
        let mut gone = Vec::new();
        for (txid, (height, block)) in relevant {
            let block = match block {
                Some(block) => Some(block),
                // LDK does not always know the block; ask where the transaction is now. Mined
                // again at another height, it is gone from where LDK has it.
                None => match source.tx_status(&txid).await? {
                    TxStatus { confirmed: true, block_height: Some(now), block_hash: Some(block), .. } if now == height => Some(block),
                    _ => None,
                },
            };
            let held = block.map(|block| (block, self.headers.lock_now().holds(height, &block)));
            let still_there = match held {
                None => false,
                Some((_, Some(held))) => held,
                Some((block, None)) => {
                    let status = source.block_status(&block).await?;
                    status.in_best_chain && status.height == Some(height)
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

    /// Watched transactions and spends of watched outputs now confirmed, proven, in chain order; the
    /// watched outputs with a confirmed spender; and what the witness disputes.
    ///
    /// The servers are not treated alike. What the primary reports and the witness denies is not
    /// reported. What the witness reports and the primary hides is proven from the witness's own
    /// answers against the accepted headers, and reported if the proof holds: a proof cannot be made
    /// up, and a hidden spend of a channel (a peer's old state) must be answered in time. Both are
    /// disputes the person is told of.
    async fn find_confirmed<C: ChainSource>(&self, source: &C, witness: &mut Witness<'_, C>, tip_height: u32) -> Result<Found, ChainError> {
        // Each candidate with whether only the witness reported it.
        let mut candidates: Vec<(Txid, bool)> = self.watch.txs.lock_now().iter().map(|txid| (*txid, false)).collect();
        let outputs: Vec<WatchedOutput> = self.watch.outputs.lock_now().iter().cloned().collect();
        let (mut spent, mut disputed, mut waiting) = (Vec::new(), Vec::new(), false);
        for output in outputs {
            let (txid, index) = (output.outpoint.txid, u64::from(output.outpoint.index));
            let spender = confirmed_spender(source.output_status(&txid, index).await?);
            let verdict = match *witness {
                Witness::Absent => Agreement::Agree,
                Witness::Failed(_) => Agreement::unwitnessed(spender.is_some()),
                Witness::Seen(server, seen) => match server.output_status(&txid, index).await {
                    Ok(status) => agreement(spender, confirmed_spender(status), tip_height, seen),
                    Err(e) => {
                        *witness = Witness::Failed(e);
                        Agreement::unwitnessed(spender.is_some())
                    }
                },
            };
            match verdict {
                Agreement::Agree => {
                    if let Some((spender, _)) = spender {
                        candidates.push((spender, false));
                        spent.push((output, spender));
                    }
                }
                Agreement::Wait => waiting = true,
                Agreement::Denied(spender) => disputed.push(spender),
                Agreement::Hidden(spender) => {
                    disputed.push(spender);
                    candidates.push((spender, true));
                    spent.push((output, spender));
                }
            }
        }
        // What the primary reports comes first, and counts once.
        candidates.sort();
        candidates.dedup_by_key(|(txid, _)| *txid);
        let mut confirmed = Vec::new();
        for (txid, hidden) in candidates {
            let answering = match *witness {
                Witness::Seen(server, _) => Some(server),
                _ => None,
            };
            let item = match (answering, hidden) {
                (Some(server), true) => self.prove_from_witness(server, &txid, tip_height, witness).await?,
                _ => self.prove(source, &txid, tip_height).await?,
            };
            if hidden {
                confirmed.extend(item);
                continue;
            }
            let ours = item.as_ref().map(|c| (c.header.block_hash(), c.height));
            let verdict = match *witness {
                Witness::Absent => Agreement::Agree,
                Witness::Failed(_) => Agreement::unwitnessed(ours.is_some()),
                Witness::Seen(server, seen) => match server.tx_status(&txid).await {
                    Ok(TxStatus { confirmed: true, block_hash: Some(block), block_height: Some(height), .. }) => {
                        agreement(ours, Some((block, height)), tip_height, seen)
                    }
                    Ok(_) => agreement(ours, None, tip_height, seen),
                    Err(e) => {
                        *witness = Witness::Failed(e);
                        Agreement::unwitnessed(ours.is_some())
                    }
                },
            };
            match verdict {
                Agreement::Agree => confirmed.extend(item),
                Agreement::Wait => waiting = true,
                Agreement::Denied(_) => disputed.push(txid),
                Agreement::Hidden(_) => {
                    disputed.push(txid);
                    if let Witness::Seen(server, _) = *witness {
                        confirmed.extend(self.prove_from_witness(server, &txid, tip_height, witness).await?);
                    }
                }
            }
        }
        confirmed.sort_by_key(|c| (c.height, c.position));
        Ok(Found { confirmed, spent, disputed, waiting })
    }

    /// [`Self::prove`] from the witness's answers; a witness that fails meanwhile is recorded, and
    /// nothing is proven.
    async fn prove_from_witness<C: ChainSource>(
        &self,
        server: &C,
        txid: &Txid,
        tip_height: u32,
        witness: &mut Witness<'_, C>,
    ) -> Result<Option<Confirmed>, ChainError> {
        match self.prove(server, txid, tip_height).await {
            Ok(item) => Ok(item),
            // A proof that does not hold is the witness lying, not the primary.
            Err(e) => {
                *witness = Witness::Failed(e);
                Ok(None)
            }
        }
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

/// The witness's tip height, by its own word: only how far its answers count.
async fn witness_tip<C: ChainSource>(witness: &C) -> Result<WitnessTip, ChainError> {
    let tip = witness.tip_hash().await?;
    let status = witness.block_status(&tip).await?;
    status.height.map(WitnessTip).ok_or_else(|| ChainError::Inconsistent(format!("its tip {tip} has no height")))
}

/// The spender of an output and its block's height, if the spend is confirmed.
fn confirmed_spender(status: Option<OutputStatus>) -> Option<(Txid, u32)> {
    match status {
        Some(OutputStatus {
            spent: true, txid: Some(spender), status: Some(TxStatus { confirmed: true, block_height: Some(height), .. }), ..
        }) => Some((spender, height)),
        _ => None,
    }
}

/// The second server during one sync.
enum Witness<'a, C> {
    Absent,
    /// Answering; its tip's height.
    Seen(&'a C, WitnessTip),
    /// It failed a request this sync: nothing more is asked of it, and what it would have to
    /// confirm waits.
    Failed(ChainError),
}

/// What the primary server and the witness say about one thing (a spender, a confirmation's block),
/// each with the height of the block they put it in.
enum Agreement<T> {
    Agree,
    /// Only one reports it, in a block the other has not seen yet: ask again later.
    Wait,
    /// The primary reports it; the witness, having seen that block, does not (or reports another).
    Denied(T),
    /// The witness reports it in a block the primary has; the primary does not.
    Hidden(T),
}

impl<T> Agreement<T> {
    /// With a witness that cannot be asked: what the primary found waits.
    fn unwitnessed(primary_found: bool) -> Self {
        if primary_found {
            Agreement::Wait
        } else {
            Agreement::Agree
        }
    }
}

fn agreement<T: PartialEq + Copy>(primary: Option<(T, u32)>, witness: Option<(T, u32)>, tip_height: u32, seen: WitnessTip) -> Agreement<T> {
    match (primary, witness) {
        (None, None) => Agreement::Agree,
        (Some((a, _)), Some((b, _))) if a == b => Agreement::Agree,
        (Some((_, height)), None) if height > seen.0 => Agreement::Wait,
        // Above the primary's tip: it has not seen the block yet.
        (None, Some((_, height))) if height > tip_height => Agreement::Wait,
        (None, Some((b, _))) => Agreement::Hidden(b),
        (Some((a, _)), _) => Agreement::Denied(a),
    }
}
