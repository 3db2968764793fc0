//! The chain sync against a scripted chain: confirmations proven by merkle proofs, reorgs that take
//! confirmations back, spends of watched outputs, and servers that lie.

use std::cell::RefCell;
use std::collections::BTreeMap;

use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::{
    absolute, transaction, Amount, Block, BlockHash, CompactTarget, MerkleBlock, Network, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxMerkleNode, TxOut, Txid, Witness,
};
use blixtra_core::node::chain_source::{check_header, ChainError, ChainProblem, ChainSource, HeaderProblem};
use blixtra_core::node::chain_sync::{ChainSync, SyncReport};
use esplora_client::{BlockStatus, OutputStatus, TxStatus};
use lightning::chain::transaction::TransactionData;
use lightning::chain::{Confirm, Filter, WatchedOutput};
use pollster::block_on;

/// How a scripted server lies, when it does.
#[derive(Clone, Copy, PartialEq)]
enum Lie {
    None,
    /// Proves a transaction with a merkle block from another block.
    ProofFromAnotherBlock,
    /// Says a transaction still in the mempool is confirmed in the tip block.
    UnminedIsConfirmed,
    /// Lists, under its tip, a block that the tip does not build on.
    UnlinkedBelowTip,
    /// Puts its tip, and every block it lists, 1,000 heights above where they are.
    HeightsRaised,
    /// Says its tip is 1,000 blocks higher than it is, and lists its blocks where they are.
    TipHeightRaised,
    /// Says every output is unspent, and every transaction unconfirmed.
    HidesSpends,
    /// Answers nothing.
    Down,
    /// Serves no header of a block that left its chain (as electrs does).
    NoStaleHeaders,
}

struct ScriptedChain {
    /// Every question asked, as a server would count its requests.
    requests: std::cell::Cell<u32>,
    /// The pages of headers asked for (`/blocks/:height`).
    pages: std::cell::Cell<u32>,
    active: RefCell<Vec<Block>>,
    stale: RefCell<Vec<(u32, Block)>>,
    mempool: RefCell<Vec<Transaction>>,
    lie: RefCell<Lie>,
}

fn coinbase(height: u32, tag: u8) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(vec![4, height as u8, (height >> 8) as u8, 0, tag]),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut { value: Amount::from_sat(50), script_pubkey: ScriptBuf::new() }],
    }
}

/// A transaction spending `from` (any outpoint; the scripted chain checks nothing).
fn spend(from: OutPoint, tag: u64) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn { previous_output: from, script_sig: ScriptBuf::new(), sequence: Sequence::MAX, witness: Witness::new() }],
        output: vec![TxOut { value: Amount::from_sat(1000 + tag), script_pubkey: ScriptBuf::new_op_return([1u8; 4]) }],
    }
}

fn some_outpoint(n: u8) -> OutPoint {
    OutPoint { txid: Txid::from_byte_array([n; 32]), vout: 0 }
}

impl ScriptedChain {
    fn new() -> Self {
        let chain = ScriptedChain {
            requests: std::cell::Cell::new(0),
            pages: std::cell::Cell::new(0),
            active: RefCell::new(Vec::new()),
            stale: RefCell::new(Vec::new()),
            mempool: RefCell::new(Vec::new()),
            lie: RefCell::new(Lie::None),
        };
        chain.mine_block(Vec::new(), 0);
        chain
    }

    /// Counts a request; a server that is down answers none.
    fn ask(&self) -> Result<(), ChainError> {
        self.requests.set(self.requests.get() + 1);
        if *self.lie.borrow() == Lie::Down {
            return Err(ChainError::Unreachable("connection refused".into()));
        }
        Ok(())
    }

    /// Another server with the same chain, from now on on its own.
    fn copy(&self) -> ScriptedChain {
        ScriptedChain {
            requests: std::cell::Cell::new(0),
            pages: std::cell::Cell::new(0),
            active: RefCell::new(self.active.borrow().clone()),
            stale: RefCell::new(self.stale.borrow().clone()),
            mempool: RefCell::new(self.mempool.borrow().clone()),
            lie: RefCell::new(Lie::None),
        }
    }

    fn height(&self) -> u32 {
        self.active.borrow().len() as u32 - 1
    }

    fn mine_block(&self, txs: Vec<Transaction>, tag: u8) {
        self.mine_block_with_bits(txs, CompactTarget::from_consensus(0x207f_ffff), tag);
    }

    fn mine_block_with_bits(&self, txs: Vec<Transaction>, bits: CompactTarget, tag: u8) {
        let height = self.active.borrow().len() as u32;
        let prev = self.active.borrow().last().map(|b| b.block_hash()).unwrap_or_else(BlockHash::all_zeros);
        let mut txdata = vec![coinbase(height, tag)];
        txdata.extend(txs);
        let mut block = Block {
            header: Header {
                version: Version::TWO,
                prev_blockhash: prev,
                merkle_root: TxMerkleNode::all_zeros(),
                time: 1_700_000_000 + height,
                bits,
                nonce: 0,
            },
            txdata,
        };
        block.header.merkle_root = block.compute_merkle_root().expect("transactions");
        // Mined: regtest's target lets about every other nonce through.
        while block.header.validate_pow(block.header.target()).is_err() {
            block.header.nonce += 1;
        }
        self.mempool.borrow_mut().retain(|t| !block.txdata.contains(t));
        self.active.borrow_mut().push(block);
    }

    /// Mines the mempool into one block.
    fn mine(&self) {
        let txs = self.mempool.borrow().clone();
        self.mine_block(txs, 0);
    }

    fn broadcast(&self, tx: &Transaction) {
        self.mempool.borrow_mut().push(tx.clone());
    }

    /// Replaces the last `depth` blocks by `depth + 1` empty ones; their transactions go back to the
    /// mempool.
    fn reorg(&self, depth: usize) {
        self.replace_blocks(depth, depth + 1);
    }

    /// Replaces the last `depth` blocks by `by` empty ones (with as little work each).
    fn replace_blocks(&self, depth: usize, by: usize) {
        for _ in 0..depth {
            let block = self.active.borrow_mut().pop().expect("a block");
            let height = self.active.borrow().len() as u32;
            self.mempool.borrow_mut().extend(block.txdata.iter().skip(1).cloned());
            self.stale.borrow_mut().push((height, block));
        }
        for _ in 0..by {
            self.mine_block(Vec::new(), 1);
        }
    }

    fn find_block(&self, hash: &BlockHash) -> Option<(u32, Block, bool)> {
        if let Some((h, b)) = self.active.borrow().iter().enumerate().find(|(_, b)| b.block_hash() == *hash) {
            return Some((h as u32, b.clone(), true));
        }
        self.stale.borrow().iter().find(|(_, b)| b.block_hash() == *hash).map(|(h, b)| (*h, b.clone(), false))
    }

    fn confirmed_in(&self, txid: &Txid) -> Option<(u32, Block)> {
        self.active.borrow().iter().enumerate().find(|(_, b)| b.txdata.iter().any(|t| t.compute_txid() == *txid)).map(|(h, b)| (h as u32, b.clone()))
    }
}

impl ChainSource for ScriptedChain {
    async fn tip_hash(&self) -> Result<BlockHash, ChainError> {
        self.ask()?;
        Ok(self.active.borrow().last().expect("genesis").block_hash())
    }
    async fn header(&self, block: &BlockHash) -> Result<Header, ChainError> {
        self.ask()?;
        let stale_hidden = *self.lie.borrow() == Lie::NoStaleHeaders;
        self.find_block(block)
            .filter(|(_, _, active)| *active || !stale_hidden)
            .map(|(_, b, _)| b.header)
            .ok_or(ChainError::Http { status: 404, message: "Block not found".into() })
    }
    async fn block_status(&self, block: &BlockHash) -> Result<BlockStatus, ChainError> {
        self.ask()?;
        let raised = if matches!(*self.lie.borrow(), Lie::HeightsRaised | Lie::TipHeightRaised) { 1000 } else { 0 };
        Ok(match self.find_block(block) {
            Some((height, _, in_best_chain)) => BlockStatus { in_best_chain, height: Some(height + raised), next_best: None },
            None => BlockStatus { in_best_chain: false, height: None, next_best: None },
        })
    }
    async fn tx_status(&self, txid: &Txid) -> Result<TxStatus, ChainError> {
        self.ask()?;
        if *self.lie.borrow() == Lie::UnminedIsConfirmed && self.mempool.borrow().iter().any(|t| t.compute_txid() == *txid) {
            let tip = self.active.borrow().last().expect("tip").block_hash();
            return Ok(TxStatus { confirmed: true, block_height: Some(self.height()), block_hash: Some(tip), block_time: None });
        }
        if *self.lie.borrow() == Lie::HidesSpends {
            return Ok(TxStatus { confirmed: false, block_height: None, block_hash: None, block_time: None });
        }
        Ok(match self.confirmed_in(txid) {
            Some((height, block)) => TxStatus { confirmed: true, block_height: Some(height), block_hash: Some(block.block_hash()), block_time: None },
            None => TxStatus { confirmed: false, block_height: None, block_hash: None, block_time: None },
        })
    }
    async fn tx(&self, txid: &Txid) -> Result<Option<Transaction>, ChainError> {
        self.ask()?;
        let mined = self.active.borrow().iter().flat_map(|b| b.txdata.clone()).find(|t| t.compute_txid() == *txid);
        Ok(mined.or_else(|| self.mempool.borrow().iter().find(|t| t.compute_txid() == *txid).cloned()))
    }
    async fn merkle_block(&self, txid: &Txid) -> Result<Option<MerkleBlock>, ChainError> {
        self.ask()?;
        match *self.lie.borrow() {
            Lie::ProofFromAnotherBlock => {
                let genesis = self.active.borrow()[0].clone();
                Ok(Some(MerkleBlock::from_block_with_predicate(&genesis, |_| true)))
            }
            Lie::UnminedIsConfirmed if self.confirmed_in(txid).is_none() => {
                let tip = self.active.borrow().last().expect("tip").clone();
                Ok(Some(MerkleBlock::from_block_with_predicate(&tip, |t| t == txid)))
            }
            _ => Ok(self.confirmed_in(txid).map(|(_, block)| MerkleBlock::from_block_with_predicate(&block, |t| t == txid))),
        }
    }
    async fn output_status(&self, txid: &Txid, index: u64) -> Result<Option<OutputStatus>, ChainError> {
        self.ask()?;
        let outpoint = OutPoint { txid: *txid, vout: index as u32 };
        if *self.lie.borrow() == Lie::HidesSpends {
            return Ok(Some(OutputStatus { spent: false, txid: None, vin: None, status: None }));
        }
        for (height, block) in self.active.borrow().iter().enumerate() {
            for tx in &block.txdata {
                if let Some(vin) = tx.input.iter().position(|i| i.previous_output == outpoint) {
                    let status =
                        TxStatus { confirmed: true, block_height: Some(height as u32), block_hash: Some(block.block_hash()), block_time: None };
                    return Ok(Some(OutputStatus { spent: true, txid: Some(tx.compute_txid()), vin: Some(vin as u64), status: Some(status) }));
                }
            }
        }
        Ok(Some(OutputStatus { spent: false, txid: None, vin: None, status: None }))
    }
    async fn fee_estimates(&self) -> Result<std::collections::HashMap<u16, f64>, ChainError> {
        self.ask()?;
        Ok(std::collections::HashMap::new())
    }
    async fn broadcast(&self, tx: &Transaction) -> Result<(), ChainError> {
        self.ask()?;
        ScriptedChain::broadcast(self, tx);
        Ok(())
    }
    async fn headers_down_from(&self, height: u32) -> Result<Vec<(u32, Header)>, ChainError> {
        self.ask()?;
        self.pages.set(self.pages.get() + 1);
        let active = self.active.borrow();
        let top = height.min(active.len() as u32 - 1);
        let mut page: Vec<(u32, Header)> = (0..=top).rev().take(10).map(|h| (h, active[h as usize].header)).collect();
        match *self.lie.borrow() {
            // Under the tip, a block left stale at its height is listed instead of the active one.
            Lie::UnlinkedBelowTip => {
                for (listed, header) in page.iter_mut().skip(1) {
                    if let Some((_, stale)) = self.stale.borrow().iter().find(|(h, _)| h == listed) {
                        *header = stale.header;
                    }
                }
            }
            // Every block listed 1,000 higher than it is, as a server claiming a tip far above its
            // headers would have to.
            Lie::HeightsRaised => {
                page = (0..=height.saturating_sub(1000).min(active.len() as u32 - 1))
                    .rev()
                    .take(10)
                    .map(|h| (h + 1000, active[h as usize].header))
                    .collect();
            }
            _ => {}
        }
        Ok(page)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Confirmed { txid: Txid, height: u32, position: usize },
    Unconfirmed(Txid),
    Tip(u32),
}

/// A `Confirm` that records what it is told and lists what it holds confirmed, as LDK does.
#[derive(Default)]
struct Recorder {
    seen: RefCell<Vec<Seen>>,
    confirmed: RefCell<BTreeMap<Txid, (u32, BlockHash)>>,
}

impl Recorder {
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.borrow_mut())
    }
}

impl Confirm for Recorder {
    fn transactions_confirmed(&self, header: &Header, txdata: &TransactionData, height: u32) {
        for (position, tx) in txdata {
            let txid = tx.compute_txid();
            self.seen.borrow_mut().push(Seen::Confirmed { txid, height, position: *position });
            self.confirmed.borrow_mut().insert(txid, (height, header.block_hash()));
        }
    }
    fn transaction_unconfirmed(&self, txid: &Txid) {
        self.seen.borrow_mut().push(Seen::Unconfirmed(*txid));
        self.confirmed.borrow_mut().remove(txid);
    }
    fn best_block_updated(&self, _header: &Header, height: u32) {
        self.seen.borrow_mut().push(Seen::Tip(height));
    }
    fn get_relevant_txids(&self) -> Vec<(Txid, u32, Option<BlockHash>)> {
        self.confirmed.borrow().iter().map(|(txid, (height, hash))| (*txid, *height, Some(*hash))).collect()
    }
}

/// Has LDK's filter watch `tx`'s first output, as a channel's funding output is; returns it.
fn watch_first_output(sync: &ChainSync, tx: &Transaction) -> OutPoint {
    let watched = OutPoint { txid: tx.compute_txid(), vout: 0 };
    sync.watch_list().register_output(WatchedOutput {
        block_hash: None,
        outpoint: lightning::chain::transaction::OutPoint { txid: watched.txid, index: 0 },
        script_pubkey: tx.output[0].script_pubkey.clone(),
    });
    watched
}

fn sync(sync: &ChainSync, chain: &ScriptedChain, recorder: &Recorder) -> Result<Vec<Seen>, ChainError> {
    block_on(sync.sync(chain, &[recorder]))?;
    Ok(recorder.take())
}

#[test]
fn a_watched_transaction_is_confirmed_with_its_height_and_position_once_mined() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    let tx = spend(some_outpoint(1), 1);
    let txid = tx.compute_txid();
    sync_state.watch_list().register_tx(&txid, &ScriptBuf::new());
    chain.broadcast(&spend(some_outpoint(9), 9));
    chain.broadcast(&tx);
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(0)], "in the mempool: not confirmed");

    chain.mine();
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(1), Seen::Confirmed { txid, height: 1, position: 2 }]);
    assert!(!sync_state.watch_list().is_watching_tx(&txid), "LDK lists it from now on");
    // Nothing new: nothing said.
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), []);
    chain.mine();
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(2)]);
}

#[test]
fn a_reorg_unconfirms_and_the_transaction_is_confirmed_again_where_it_lands() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    let tx = spend(some_outpoint(2), 2);
    let txid = tx.compute_txid();
    sync_state.watch_list().register_tx(&txid, &ScriptBuf::new());
    chain.broadcast(&tx);
    chain.mine();
    chain.mine();
    sync(&sync_state, &chain, &recorder).expect("sync");
    assert_eq!(recorder.confirmed.borrow().get(&txid).map(|c| c.0), Some(1));

    // Blocks 1 and 2 are replaced by three empty ones: the transaction is back in the mempool.
    chain.reorg(2);
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Unconfirmed(txid), Seen::Tip(3)]);
    assert!(sync_state.watch_list().is_watching_tx(&txid), "watched again after the reorg");

    chain.mine();
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(4), Seen::Confirmed { txid, height: 4, position: 1 }]);
}

#[test]
fn a_reorg_that_mines_the_transaction_again_moves_its_confirmation_in_one_sync() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    let tx = spend(some_outpoint(3), 3);
    let txid = tx.compute_txid();
    sync_state.watch_list().register_tx(&txid, &ScriptBuf::new());
    chain.broadcast(&tx);
    chain.mine();
    sync(&sync_state, &chain, &recorder).expect("sync");
    chain.reorg(1);
    chain.mine();
    assert_eq!(
        sync(&sync_state, &chain, &recorder).expect("sync"),
        [Seen::Unconfirmed(txid), Seen::Tip(3), Seen::Confirmed { txid, height: 3, position: 1 }]
    );
}

#[test]
fn the_spend_of_a_watched_output_is_reported_and_the_output_dropped() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    let funding = spend(some_outpoint(4), 4);
    chain.broadcast(&funding);
    chain.mine();
    let watched = watch_first_output(&sync_state, &funding);
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(1)]);

    let sweep = spend(watched, 5);
    chain.broadcast(&sweep);
    chain.mine();
    assert_eq!(
        sync(&sync_state, &chain, &recorder).expect("sync"),
        [Seen::Tip(2), Seen::Confirmed { txid: sweep.compute_txid(), height: 2, position: 1 }]
    );
    assert!(!sync_state.watch_list().is_watching_output(&watched));
}

#[test]
fn a_proof_from_another_block_is_refused_and_nothing_is_confirmed() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    let tx = spend(some_outpoint(6), 6);
    sync_state.watch_list().register_tx(&tx.compute_txid(), &ScriptBuf::new());
    chain.broadcast(&tx);
    chain.mine();
    *chain.lie.borrow_mut() = Lie::ProofFromAnotherBlock;
    let error = sync(&sync_state, &chain, &recorder).expect_err("a lying server");
    assert!(matches!(error, ChainError::Inconsistent(_)), "{error}");
    assert!(recorder.confirmed.borrow().is_empty());
    assert!(sync_state.watch_list().is_watching_tx(&tx.compute_txid()));

    // Honest again: the next sync confirms it.
    *chain.lie.borrow_mut() = Lie::None;
    let seen = sync(&sync_state, &chain, &recorder).expect("sync");
    assert!(seen.contains(&Seen::Confirmed { txid: tx.compute_txid(), height: 1, position: 1 }), "{seen:?}");
}

#[test]
fn an_unmined_transaction_claimed_confirmed_is_refused() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    let tx = spend(some_outpoint(7), 7);
    sync_state.watch_list().register_tx(&tx.compute_txid(), &ScriptBuf::new());
    chain.broadcast(&tx);
    chain.mine_block(Vec::new(), 2);
    *chain.lie.borrow_mut() = Lie::UnminedIsConfirmed;
    let error = sync(&sync_state, &chain, &recorder).expect_err("a lying server");
    assert!(error.to_string().contains("proves other transactions"), "{error}");
    assert!(recorder.confirmed.borrow().is_empty());
}

#[test]
fn an_idle_sync_asks_only_for_the_tip_until_something_new_is_watched() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    let funding = spend(some_outpoint(6), 6);
    chain.broadcast(&funding);
    chain.mine();
    watch_first_output(&sync_state, &funding);
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(1)]);

    chain.requests.set(0);
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), []);
    assert_eq!(chain.requests.get(), 1, "the tip's hash, nothing else");

    // Something confirmed in the tip block but watched only now is still found without a new block.
    let late = spend(some_outpoint(7), 7);
    chain.broadcast(&late);
    chain.mine();
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(2)]);
    sync_state.watch_list().register_tx(&late.compute_txid(), &ScriptBuf::new());
    chain.requests.set(0);
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Confirmed { txid: late.compute_txid(), height: 2, position: 1 }]);
    assert!(chain.requests.get() > 1);
}

/// Issue 13: a header is used only if a miner could have made it: its difficulty is one the network
/// allows, and its hash meets it.
#[test]
fn a_forged_header_is_refused_and_nothing_is_confirmed() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    chain.mine();
    let tip = chain.active.borrow().last().expect("a tip").header;
    check_header(&tip, tip.block_hash(), Network::Regtest).expect("a mined regtest header");

    // Regtest's easy bits are far below mainnet's least difficulty.
    let on_mainnet = check_header(&tip, tip.block_hash(), Network::Bitcoin).expect_err("too easy for mainnet");
    assert!(matches!(on_mainnet, ChainError::ForgedHeader { problem: HeaderProblem::BelowNetworkDifficulty, .. }), "{on_mainnet}");

    // A header whose hash misses its own target: nobody did the work.
    let mut unmined = tip;
    unmined.bits = CompactTarget::from_consensus(0x1d00_ffff);
    let no_work = check_header(&unmined, unmined.block_hash(), Network::Regtest).expect_err("no work");
    assert!(matches!(no_work, ChainError::ForgedHeader { problem: HeaderProblem::WorkNotDone, .. }), "{no_work}");

    // A server whose tip is such a header: the sync refuses it, and nothing is reported.
    let tx = spend(some_outpoint(9), 9);
    watch_first_output(&sync_state, &tx);
    chain.broadcast(&tx);
    chain.mine();
    {
        let mut active = chain.active.borrow_mut();
        let last = active.last_mut().expect("a tip");
        last.header.bits = CompactTarget::from_consensus(0x1d00_ffff);
    }
    let refused = sync(&sync_state, &chain, &recorder).expect_err("a forged tip");
    assert!(matches!(refused, ChainError::ForgedHeader { .. }), "{refused}");
    assert!(recorder.take().is_empty(), "nothing confirmed, no tip taken");
}

/// Issue 13: a header that does not link to the one above it is refused, and nothing it would
/// confirm is reported.
#[test]
fn a_header_that_does_not_link_is_refused_and_nothing_is_confirmed() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    let tx = spend(some_outpoint(10), 10);
    sync_state.watch_list().register_tx(&tx.compute_txid(), &ScriptBuf::new());
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(0)]);
    chain.mine();
    chain.mine();
    // Block 2 goes stale: a real block, mined at height 2, that the active chain does not build on.
    chain.reorg(1);
    chain.broadcast(&tx);
    chain.mine();
    *chain.lie.borrow_mut() = Lie::UnlinkedBelowTip;
    let refused = sync(&sync_state, &chain, &recorder).expect_err("a chain that does not link");
    assert_eq!(refused, ChainError::ChainRefused(ChainProblem::DoesNotLink { height: 2 }));
    assert!(recorder.take().is_empty(), "no tip taken, nothing confirmed");
    assert!(recorder.confirmed.borrow().is_empty());

    *chain.lie.borrow_mut() = Lie::None;
    assert_eq!(
        sync(&sync_state, &chain, &recorder).expect("sync"),
        [Seen::Tip(4), Seen::Confirmed { txid: tx.compute_txid(), height: 4, position: 1 }]
    );
}

/// Issue 13: a tip claimed higher than its headers lead is refused, whether the server lists its
/// blocks where they are or lists them all higher to match.
#[test]
fn a_height_the_headers_do_not_prove_is_refused_and_nothing_is_confirmed() {
    for lie in [Lie::TipHeightRaised, Lie::HeightsRaised] {
        let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
        let tx = spend(some_outpoint(11), 11);
        sync_state.watch_list().register_tx(&tx.compute_txid(), &ScriptBuf::new());
        chain.mine();
        chain.mine();
        assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(2)]);
        chain.broadcast(&tx);
        chain.mine();
        *chain.lie.borrow_mut() = lie;
        let refused = sync(&sync_state, &chain, &recorder).expect_err("a height jump");
        let expected = if lie == Lie::TipHeightRaised { 1003 } else { 1002 };
        assert_eq!(refused, ChainError::ChainRefused(ChainProblem::HeightNotProven { claimed: expected }));
        assert!(recorder.take().is_empty(), "no tip taken, nothing confirmed");

        *chain.lie.borrow_mut() = Lie::None;
        assert_eq!(
            sync(&sync_state, &chain, &recorder).expect("sync"),
            [Seen::Tip(3), Seen::Confirmed { txid: tx.compute_txid(), height: 3, position: 1 }]
        );
    }
}

/// Issue 13: a server that switches to a branch with less work (or is behind) is not followed: what
/// LDK holds confirmed stays confirmed until a branch with more work comes.
#[test]
fn a_branch_with_less_work_is_followed_only_once_it_has_more() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    let tx = spend(some_outpoint(12), 12);
    let txid = tx.compute_txid();
    sync_state.watch_list().register_tx(&txid, &ScriptBuf::new());
    chain.broadcast(&tx);
    chain.mine();
    chain.mine();
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(2), Seen::Confirmed { txid, height: 1, position: 1 }]);

    // Blocks 1 and 2 replaced by one: less work than the chain followed.
    chain.replace_blocks(2, 1);
    let refused = sync(&sync_state, &chain, &recorder).expect_err("less work");
    assert_eq!(refused, ChainError::ChainRefused(ChainProblem::LessWork));
    assert!(recorder.take().is_empty(), "nothing unconfirmed");
    assert!(recorder.confirmed.borrow().contains_key(&txid));

    // As much work is not enough either; more is.
    chain.mine_block(Vec::new(), 3);
    assert_eq!(sync(&sync_state, &chain, &recorder).expect_err("as much work"), ChainError::ChainRefused(ChainProblem::LessWork));
    chain.mine();
    assert_eq!(
        sync(&sync_state, &chain, &recorder).expect("sync"),
        [Seen::Unconfirmed(txid), Seen::Tip(3), Seen::Confirmed { txid, height: 3, position: 1 }]
    );
}

/// Issue 13: a node started again checks every block since LDK's best block, and a server whose
/// chain left that block for one with less work (reaching below the headers kept) is refused.
#[test]
fn a_restarted_sync_checks_every_block_since_the_one_ldk_saw_last() {
    let chain = ScriptedChain::new();
    for _ in 0..5 {
        chain.mine();
    }
    let block = |height: usize| chain.active.borrow()[height].block_hash();
    let (restarted, recorder) = (ChainSync::new(Network::Regtest), Recorder::default());
    restarted.start_from(lightning::chain::BestBlock::new(block(2), 2));
    chain.pages.set(0);
    assert_eq!(sync(&restarted, &chain, &recorder).expect("sync"), [Seen::Tip(5)]);
    assert_eq!(chain.pages.get(), 2, "the anchor's page, then 5 down to 2 in one");

    // LDK last saw block 5; the server has since replaced blocks 4 and 5 by one.
    let (later, recorder) = (ChainSync::new(Network::Regtest), Recorder::default());
    later.start_from(lightning::chain::BestBlock::new(block(5), 5));
    chain.replace_blocks(2, 1);
    assert_eq!(sync(&later, &chain, &recorder).expect_err("less work"), ChainError::ChainRefused(ChainProblem::LessWork));
    assert!(recorder.take().is_empty());
}

/// Issue 13's figure: catching up two weeks of blocks (2,016) costs 202 pages of ten headers; a new
/// block costs one.
#[test]
fn catching_up_two_weeks_of_blocks_costs_two_hundred_and_two_pages() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(0)]);
    for _ in 0..2016 {
        chain.mine();
    }
    chain.requests.set(0);
    chain.pages.set(0);
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(2016)]);
    assert_eq!(chain.pages.get(), 202);
    assert_eq!(chain.requests.get(), 205, "the pages, the tip's hash twice and its status");

    chain.mine();
    chain.pages.set(0);
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(2017)]);
    assert_eq!(chain.pages.get(), 1);
}

fn sync_witnessed(sync: &ChainSync, chain: &ScriptedChain, witness: &ScriptedChain, recorder: &Recorder) -> (Vec<Seen>, SyncReport) {
    let report = block_on(sync.sync_witnessed(chain, Some(witness), &[recorder])).expect("sync");
    (recorder.take(), report)
}

/// Issue 13: with a second server, a spend of a watched output that one of them hides is disputed.
/// Hidden by the witness, it is not reported until both show it. Hidden by the primary, it is
/// reported from the witness's proof against the accepted headers: a peer's old state must be
/// answered in time, and a proof cannot be made up.
#[test]
fn a_spend_one_of_two_servers_hides_is_disputed_and_proven_only_from_the_one_that_shows_it() {
    for hider in ["primary", "witness"] {
        let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
        let funding = spend(some_outpoint(13), 13);
        chain.broadcast(&funding);
        chain.mine();
        let watched = watch_first_output(&sync_state, &funding);
        let witness = chain.copy();
        assert_eq!(sync_witnessed(&sync_state, &chain, &witness, &recorder).0, [Seen::Tip(1)]);

        // A peer's old state spends the channel's output; both servers have the block.
        let revoked = spend(watched, 14);
        chain.broadcast(&revoked);
        chain.mine();
        let witness = chain.copy();
        let liar = if hider == "primary" { &chain } else { &witness };
        *liar.lie.borrow_mut() = Lie::HidesSpends;
        let (seen, report) = sync_witnessed(&sync_state, &chain, &witness, &recorder);
        assert_eq!(report.disputed, [revoked.compute_txid()], "{hider} hides it");
        let proven = Seen::Confirmed { txid: revoked.compute_txid(), height: 2, position: 1 };
        if hider == "primary" {
            assert_eq!(seen, [Seen::Tip(2), proven], "proven from the witness's answers");
            assert!(!sync_state.watch_list().is_watching_output(&watched));
            continue;
        }
        assert_eq!(seen, [Seen::Tip(2)], "on the primary's word alone: nothing confirmed");
        assert!(sync_state.watch_list().is_watching_output(&watched));

        *liar.lie.borrow_mut() = Lie::None;
        let (seen, report) = sync_witnessed(&sync_state, &chain, &witness, &recorder);
        assert_eq!(seen, [Seen::Confirmed { txid: revoked.compute_txid(), height: 2, position: 1 }], "both show it now");
        assert!(report.disputed.is_empty());
    }
}

/// Issue 13: a confirmation the second server has not seen yet (it is a block behind) waits for
/// it, without a dispute; one it has seen and denies is disputed.
#[test]
fn a_confirmation_waits_for_a_second_server_a_block_behind_and_is_disputed_if_it_denies_it() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    let tx = spend(some_outpoint(15), 15);
    let txid = tx.compute_txid();
    sync_state.watch_list().register_tx(&txid, &ScriptBuf::new());
    chain.broadcast(&tx);
    let behind = chain.copy();
    chain.mine();
    let (seen, report) = sync_witnessed(&sync_state, &chain, &behind, &recorder);
    assert_eq!(seen, [Seen::Tip(1)]);
    assert!(report.disputed.is_empty(), "a witness a block behind is not a liar");
    assert_eq!(report.witness_behind, None, "a block is a moment's lag");

    // The witness has the block now, but says the transaction is not in it.
    let denier = chain.copy();
    *denier.lie.borrow_mut() = Lie::HidesSpends;
    let (seen, report) = sync_witnessed(&sync_state, &chain, &denier, &recorder);
    assert_eq!(seen, []);
    assert_eq!(report.disputed, [txid]);

    *denier.lie.borrow_mut() = Lie::None;
    assert_eq!(sync_witnessed(&sync_state, &chain, &denier, &recorder).0, [Seen::Confirmed { txid, height: 1, position: 1 }]);

    // A witness that is down: what the primary confirms waits for it, and it is named.
    let tx = spend(some_outpoint(16), 16);
    sync_state.watch_list().register_tx(&tx.compute_txid(), &ScriptBuf::new());
    chain.broadcast(&tx);
    chain.mine();
    let down = chain.copy();
    *down.lie.borrow_mut() = Lie::Down;
    let (seen, report) = sync_witnessed(&sync_state, &chain, &down, &recorder);
    assert_eq!(seen, [Seen::Tip(2)], "nothing confirmed on one server's word");
    assert!(matches!(&report.witness_fault, Some(ChainError::Unreachable(_))), "{:?}", report.witness_fault);
    *down.lie.borrow_mut() = Lie::None;
    let (seen, report) = sync_witnessed(&sync_state, &chain, &down, &recorder);
    assert_eq!(seen, [Seen::Confirmed { txid: tx.compute_txid(), height: 2, position: 1 }]);
    assert_eq!(report.witness_fault, None);

    // A witness left far behind (still at block 0) is named.
    for _ in 0..6 {
        chain.mine();
    }
    assert_eq!(sync_witnessed(&sync_state, &chain, &behind, &recorder).1.witness_behind, Some(8));
    assert_eq!(sync_witnessed(&sync_state, &chain, &behind, &recorder).1.witness_behind, Some(8), "still said by an idle sync");
}

/// Issue 13: a block whose difficulty the network's rules do not allow after the one below (on
/// regtest: any change) is refused, however much work it shows.
#[test]
fn a_block_that_changes_the_difficulty_out_of_turn_is_refused() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    chain.mine();
    assert_eq!(sync(&sync_state, &chain, &recorder).expect("sync"), [Seen::Tip(1)]);
    chain.mine_block_with_bits(Vec::new(), CompactTarget::from_consensus(0x2000_ffff), 0);
    assert_eq!(
        sync(&sync_state, &chain, &recorder).expect_err("a difficulty jump"),
        ChainError::ChainRefused(ChainProblem::DifficultyJump { height: 2 })
    );
    assert!(recorder.take().is_empty());
}

/// Issue 13: just after a start, a reorg of blocks below LDK's best block is followed from the
/// headers the start kept, even from a server that serves no header of a block that left its chain.
#[test]
fn a_reorg_below_the_block_ldk_saw_last_is_followed_right_after_a_start() {
    let chain = ScriptedChain::new();
    for _ in 0..5 {
        chain.mine();
    }
    let (restarted, recorder) = (ChainSync::new(Network::Regtest), Recorder::default());
    let block_5 = chain.active.borrow()[5].block_hash();
    restarted.start_from(lightning::chain::BestBlock::new(block_5, 5));
    assert_eq!(sync(&restarted, &chain, &recorder).expect("sync"), [Seen::Tip(5)]);
    chain.reorg(2);
    *chain.lie.borrow_mut() = Lie::NoStaleHeaders;
    assert_eq!(sync(&restarted, &chain, &recorder).expect("sync"), [Seen::Tip(6)]);
}

/// Issue 13: a primary that stops at an old tip is named when the witness is well ahead of it.
#[test]
fn a_primary_stuck_behind_the_second_server_is_named() {
    let (chain, sync_state, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    let stuck = chain.copy();
    for _ in 0..7 {
        chain.mine();
    }
    let (_, report) = sync_witnessed(&sync_state, &stuck, &chain, &recorder);
    assert_eq!(report.primary_behind, Some(7));
    assert_eq!(sync_witnessed(&sync_state, &stuck, &chain, &recorder).1.primary_behind, Some(7), "still said by an idle sync");
}

/// Issue 13: a node started after LDK's last block left the chain, on a server that cannot show
/// that block, starts from the server's tip and still takes back what LDK holds confirmed in it.
#[test]
fn what_ldk_holds_in_a_block_gone_while_closed_is_unconfirmed_at_the_next_start() {
    let (chain, first, recorder) = (ScriptedChain::new(), ChainSync::new(Network::Regtest), Recorder::default());
    let tx = spend(some_outpoint(17), 17);
    let txid = tx.compute_txid();
    first.watch_list().register_tx(&txid, &ScriptBuf::new());
    chain.mine();
    chain.broadcast(&tx);
    chain.mine();
    assert_eq!(sync(&first, &chain, &recorder).expect("sync"), [Seen::Tip(2), Seen::Confirmed { txid, height: 2, position: 1 }]);
    let last_seen = chain.active.borrow()[2].block_hash();

    // While the wallet is closed, block 2 leaves the chain; the server serves no stale header.
    chain.reorg(1);
    *chain.lie.borrow_mut() = Lie::NoStaleHeaders;
    let restarted = ChainSync::new(Network::Regtest);
    restarted.start_from(lightning::chain::BestBlock::new(last_seen, 2));
    let seen = sync(&restarted, &chain, &recorder).expect("sync");
    assert_eq!(seen, [Seen::Unconfirmed(txid), Seen::Tip(3)]);
}
