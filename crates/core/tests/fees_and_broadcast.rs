//! Fee rates from a server's estimates (floors, fallbacks, garbage refused) and the broadcast queue
//! (order, retries for a missing server, drops for a refusal).

use std::cell::RefCell;
use std::collections::HashMap;

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::{
    absolute, transaction, Amount, BlockHash, MerkleBlock, Network, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness,
};
use blixtra_core::node::broadcast::Broadcaster;
use blixtra_core::node::chain_source::{ChainError, ChainSource};
use blixtra_core::node::fees::{max_sat_per_vb, FeeEstimates};
use esplora_client::{BlockStatus, OutputStatus, TxStatus};
use lightning::chain::chaininterface::{BroadcasterInterface, ConfirmationTarget, FeeEstimator};
use pollster::block_on;

/// A server that only answers fee estimates and broadcasts, each from a script.
#[derive(Default)]
struct Server {
    estimates: RefCell<HashMap<u16, f64>>,
    /// What the next broadcasts answer, in order; then `Ok`.
    answers: RefCell<Vec<Result<(), ChainError>>>,
    posted: RefCell<Vec<Txid>>,
}

fn unused<T>() -> Result<T, ChainError> {
    Err(ChainError::Unreachable("not used by this test".into()))
}

impl ChainSource for Server {
    async fn tip_hash(&self) -> Result<BlockHash, ChainError> {
        unused()
    }
    async fn header(&self, _: &BlockHash) -> Result<Header, ChainError> {
        unused()
    }
    async fn block_status(&self, _: &BlockHash) -> Result<BlockStatus, ChainError> {
        unused()
    }
    async fn tx_status(&self, _: &Txid) -> Result<TxStatus, ChainError> {
        unused()
    }
    async fn tx(&self, _: &Txid) -> Result<Option<Transaction>, ChainError> {
        unused()
    }
    async fn merkle_block(&self, _: &Txid) -> Result<Option<MerkleBlock>, ChainError> {
        unused()
    }
    async fn output_status(&self, _: &Txid, _: u64) -> Result<Option<OutputStatus>, ChainError> {
        unused()
    }
    async fn fee_estimates(&self) -> Result<HashMap<u16, f64>, ChainError> {
        Ok(self.estimates.borrow().clone())
    }
    async fn broadcast(&self, tx: &Transaction) -> Result<(), ChainError> {
        let mut answers = self.answers.borrow_mut();
        let answer = if answers.is_empty() { Ok(()) } else { answers.remove(0) };
        if answer.is_ok() {
            self.posted.borrow_mut().push(tx.compute_txid());
        }
        answer
    }
    async fn headers_down_from(&self, _: u32) -> Result<Vec<(u32, Header)>, ChainError> {
        unused()
    }
}

fn tx(n: u8) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint { txid: Txid::from_byte_array([n; 32]), vout: 0 },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut { value: Amount::from_sat(1000), script_pubkey: ScriptBuf::new() }],
    }
}

#[test]
fn estimates_answer_by_target_with_ldks_floor() {
    let server = Server::default();
    *server.estimates.borrow_mut() = HashMap::from([(1, 40.0), (6, 12.5), (144, 2.0), (1008, 0.5)]);
    let fees = FeeEstimates::new(Network::Bitcoin);
    block_on(fees.refresh(&server)).expect("refresh");
    assert_eq!(fees.get_est_sat_per_1000_weight(ConfirmationTarget::MaximumFeeEstimate), 10_000);
    assert_eq!(fees.get_est_sat_per_1000_weight(ConfirmationTarget::UrgentOnChainSweep), 3125);
    // No 12-block estimate: the 6-block one is used (faster is enough).
    assert_eq!(fees.get_est_sat_per_1000_weight(ConfirmationTarget::NonAnchorChannelFee), 3125);
    assert_eq!(fees.get_est_sat_per_1000_weight(ConfirmationTarget::ChannelCloseMinimum), 500);
    // 0.5 sat/vB is below LDK's floor of 253 sat per 1000 weight.
    assert_eq!(fees.get_est_sat_per_1000_weight(ConfirmationTarget::AnchorChannelFee), 253);
}

#[test]
fn without_estimates_the_fallback_answers() {
    let fees = FeeEstimates::new(Network::Bitcoin);
    block_on(fees.refresh(&Server::default())).expect("an empty reply is a valid one (regtest)");
    assert_eq!(fees.get_est_sat_per_1000_weight(ConfirmationTarget::UrgentOnChainSweep), 5000);
    assert_eq!(fees.get_est_sat_per_1000_weight(ConfirmationTarget::AnchorChannelFee), 253);
}

#[test]
fn garbage_estimates_are_refused_and_the_cache_kept() {
    let server = Server::default();
    *server.estimates.borrow_mut() = HashMap::from([(6, 10.0)]);
    let fees = FeeEstimates::new(Network::Bitcoin);
    block_on(fees.refresh(&server)).expect("refresh");
    // 9,999 sat/vB, a lying server's "urgent" rate: a channel funding at it would cost more than
    // the default largest channel.
    for garbage in [f64::NAN, -1.0, 0.0, 1e9, 9_999.0] {
        *server.estimates.borrow_mut() = HashMap::from([(6, garbage), (12, 3.0)]);
        let error = block_on(fees.refresh(&server)).expect_err("garbage");
        assert!(matches!(error, ChainError::Malformed(_)), "{error}");
        assert_eq!(fees.get_est_sat_per_1000_weight(ConfirmationTarget::UrgentOnChainSweep), 2500, "the last good estimates stay");
    }
}

#[test]
fn an_estimate_rises_at_most_fourfold_per_refresh_and_each_network_has_its_cap() {
    let server = Server::default();
    *server.estimates.borrow_mut() = HashMap::from([(6, 10.0)]);
    let fees = FeeEstimates::new(Network::Bitcoin);
    block_on(fees.refresh(&server)).expect("refresh");
    *server.estimates.borrow_mut() = HashMap::from([(6, 1_500.0)]);
    block_on(fees.refresh(&server)).expect("a high but possible estimate");
    assert_eq!(fees.sat_per_vb(6), 40.0, "cut to four times the last");
    block_on(fees.refresh(&server)).expect("refresh");
    assert_eq!(fees.sat_per_vb(6), 160.0, "a spike that lasts gets there, a refresh at a time");
    // Falling is never held back.
    *server.estimates.borrow_mut() = HashMap::from([(6, 2.0)]);
    block_on(fees.refresh(&server)).expect("refresh");
    assert_eq!(fees.sat_per_vb(6), 2.0);

    *server.estimates.borrow_mut() = HashMap::from([(6, 1_500.0)]);
    let signet = FeeEstimates::new(Network::Signet);
    assert!(block_on(signet.refresh(&server)).is_err(), "above signet's cap of {}", max_sat_per_vb(Network::Signet));
}

#[test]
fn queued_transactions_are_posted_once_in_order() {
    let (server, broadcaster) = (Server::default(), Broadcaster::new());
    broadcaster.broadcast_transactions(&[&tx(1), &tx(2)]);
    broadcaster.broadcast_transactions(&[&tx(1)]);
    let report = block_on(broadcaster.flush(&server));
    assert_eq!(report.sent, [tx(1).compute_txid(), tx(2).compute_txid()]);
    assert_eq!(*server.posted.borrow(), report.sent);
    assert_eq!(broadcaster.pending(), 0);
}

#[test]
fn a_missing_server_is_retried_and_a_refusal_is_not() {
    let (server, broadcaster) = (Server::default(), Broadcaster::new());
    *server.answers.borrow_mut() = vec![
        Err(ChainError::Unreachable("connection refused".into())),
        Err(ChainError::Http { status: 400, message: "bad-txns-inputs-missingorspent".into() }),
        Err(ChainError::Http { status: 503, message: "busy".into() }),
    ];
    broadcaster.broadcast_transactions(&[&tx(1), &tx(2), &tx(3)]);
    let first = block_on(broadcaster.flush(&server));
    assert!(first.sent.is_empty());
    assert_eq!(first.retry.iter().map(|r| r.0).collect::<Vec<_>>(), [tx(1).compute_txid(), tx(3).compute_txid()]);
    assert_eq!(first.refused.len(), 1);
    assert!(first.refused[0].1.contains("bad-txns-inputs-missingorspent"), "the server's reason is kept");
    assert_eq!(broadcaster.pending(), 2);

    let second = block_on(broadcaster.flush(&server));
    assert_eq!(second.sent, [tx(1).compute_txid(), tx(3).compute_txid()]);
    assert_eq!(broadcaster.pending(), 0);
}
