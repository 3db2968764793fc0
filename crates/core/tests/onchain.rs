//! The on-chain wallet over the sealed store: what it hands out and records survives a reopen, it
//! refuses another wallet's state, and bad addresses and amounts are refused with what was wrong.
//! (Its sync against a real chain is tested in the browser against the devnet.)

use std::rc::Rc;
use std::time::Duration;

use bitcoin::hashes::Hash;
use bitcoin::{absolute, transaction, Address, Amount, FeeRate, Network, OutPoint, ScriptBuf, Transaction, TxIn, TxOut, Txid, WScriptHash};
use blixtra_core::node::key_derivation::NodeKeys;
use blixtra_core::node::onchain::{parse_address, FeeCap, OnchainError, OnchainWallet, SendAmount};
use blixtra_core::seal::SecretKey;
use blixtra_core::{MemoryStore, RecoveryPhrase, SealedStore};
use pollster::block_on;

const PHRASE: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const OTHER_PHRASE: &str = "legal winner thank year wave sausage worth useful legal winner thank yellow";
const NOW: Duration = Duration::from_secs(1_800_000_000);
/// A regtest address of nobody in these tests.
const STRANGER: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

fn keys(phrase: &str) -> NodeKeys {
    NodeKeys::derive(&RecoveryPhrase::parse(phrase).expect("valid"), Network::Regtest)
}

fn open(phrase: &str, sealed: &Rc<SealedStore<MemoryStore>>) -> Result<OnchainWallet<MemoryStore>, OnchainError> {
    block_on(OnchainWallet::open(&keys(phrase), Network::Regtest, sealed.clone()))
}

/// A transaction from a stranger's coin paying `amount` to `to`.
fn payment_to(to: &Address, amount: Amount, seed: u8) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn { previous_output: OutPoint::new(Txid::from_byte_array([seed; 32]), 0), ..TxIn::default() }],
        output: vec![TxOut { value: amount, script_pubkey: to.script_pubkey() }],
    }
}

fn sealed() -> Rc<SealedStore<MemoryStore>> {
    Rc::new(SealedStore::new(MemoryStore::new(), &SecretKey::random()))
}

#[test]
fn a_received_payment_and_the_handed_out_address_survive_a_reopen() {
    let sealed = sealed();
    let mut wallet = open(PHRASE, &sealed).expect("a new wallet");
    assert_eq!(wallet.balance().total(), Amount::ZERO);
    let address = block_on(wallet.receive_address()).expect("an address");
    assert!(wallet.is_mine(&address.script_pubkey()));
    let incoming = payment_to(&address, Amount::from_sat(50_000), 1);
    assert!(block_on(wallet.record_broadcast(&incoming, NOW)).expect("recorded"));
    drop(wallet);

    let mut reopened = open(PHRASE, &sealed).expect("the stored wallet");
    assert_eq!(reopened.balance().untrusted_pending, Amount::from_sat(50_000));
    assert_eq!(reopened.history().len(), 1);
    assert_eq!(reopened.history()[0].received, Amount::from_sat(50_000));
    assert_eq!(reopened.history()[0].confirmation_height, None);
    let next = block_on(reopened.receive_address()).expect("an address");
    assert_ne!(next, address, "the used address is not handed out again");
}

#[test]
fn a_transaction_that_does_not_touch_the_wallet_is_not_recorded() {
    let sealed = sealed();
    let mut wallet = open(PHRASE, &sealed).expect("a new wallet");
    let stranger = parse_address(STRANGER, Network::Regtest).expect("valid");
    assert!(!block_on(wallet.record_broadcast(&payment_to(&stranger, Amount::from_sat(9_000), 2), NOW)).expect("looked at"));
    assert!(wallet.history().is_empty());
}

#[test]
fn another_phrases_wallet_is_refused_over_the_same_store() {
    let sealed = sealed();
    drop(open(PHRASE, &sealed).expect("a new wallet"));
    let refused = open(OTHER_PHRASE, &sealed).err().expect("other keys are refused");
    assert!(matches!(refused, OnchainError::Mismatch(_)), "{refused}");
}

#[test]
fn a_payment_is_signed_with_change_and_a_fee_and_recorded_only_when_broadcast() {
    let sealed = sealed();
    let mut wallet = open(PHRASE, &sealed).expect("a new wallet");
    let address = block_on(wallet.receive_address()).expect("an address");
    block_on(wallet.record_broadcast(&payment_to(&address, Amount::from_sat(100_000), 3), NOW)).expect("recorded");

    let to = parse_address(STRANGER, Network::Regtest).expect("valid");
    let fee_rate = FeeRate::from_sat_per_vb(2).expect("a fee rate");
    let signed = wallet.sign_payment(&to, SendAmount::Exactly(Amount::from_sat(30_000)), fee_rate).expect("signed");
    assert!(signed.tx.output.iter().any(|o| o.script_pubkey == to.script_pubkey() && o.value == Amount::from_sat(30_000)));
    let change: Amount = signed.tx.output.iter().filter(|o| wallet.is_mine(&o.script_pubkey)).map(|o| o.value).sum();
    assert_eq!(change + Amount::from_sat(30_000) + signed.fee, Amount::from_sat(100_000));
    assert!(signed.fee >= fee_rate.fee_wu(signed.tx.weight()).expect("fits"), "fee {} for {}", signed.fee, signed.tx.weight());
    assert!(signed.tx.input.iter().all(|input| !input.witness.is_empty()), "every input is signed");
    assert_eq!(wallet.balance().total(), Amount::from_sat(100_000), "nothing spent before the broadcast");

    block_on(wallet.record_broadcast(&signed.tx, NOW)).expect("recorded");
    assert_eq!(wallet.balance().total(), change);
    assert_eq!(open(PHRASE, &sealed).expect("reopened").balance().total(), change);
}

#[test]
fn sending_everything_leaves_nothing_but_the_fee() {
    let sealed = sealed();
    let mut wallet = open(PHRASE, &sealed).expect("a new wallet");
    let address = block_on(wallet.receive_address()).expect("an address");
    block_on(wallet.record_broadcast(&payment_to(&address, Amount::from_sat(80_000), 4), NOW)).expect("recorded");
    let to = parse_address(STRANGER, Network::Regtest).expect("valid");
    let signed = wallet.sign_payment(&to, SendAmount::All, FeeRate::from_sat_per_vb(1).expect("a fee rate")).expect("signed");
    assert_eq!(signed.tx.output.len(), 1);
    assert_eq!(signed.tx.output[0].value + signed.fee, Amount::from_sat(80_000));
}

#[test]
fn more_than_the_balance_is_refused_with_both_amounts() {
    let sealed = sealed();
    let mut wallet = open(PHRASE, &sealed).expect("a new wallet");
    let address = block_on(wallet.receive_address()).expect("an address");
    block_on(wallet.record_broadcast(&payment_to(&address, Amount::from_sat(10_000), 5), NOW)).expect("recorded");
    let to = parse_address(STRANGER, Network::Regtest).expect("valid");
    let refused =
        wallet.sign_payment(&to, SendAmount::Exactly(Amount::from_sat(20_000)), FeeRate::from_sat_per_vb(1).expect("rate")).expect_err("too much");
    match refused {
        OnchainError::InsufficientFunds { needed, available } => {
            assert!(needed > Amount::from_sat(20_000));
            assert_eq!(available, Amount::from_sat(10_000));
        }
        other => panic!("expected InsufficientFunds, got {other}"),
    }
    let dust = wallet.sign_payment(&to, SendAmount::Exactly(Amount::from_sat(100)), FeeRate::from_sat_per_vb(1).expect("rate")).expect_err("dust");
    assert!(matches!(dust, OnchainError::Dust), "{dust}");
}

#[test]
fn addresses_are_checked_for_form_and_network() {
    assert!(matches!(parse_address("not an address", Network::Regtest), Err(OnchainError::InvalidAddress(_))));
    let mainnet = parse_address("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", Network::Regtest).expect_err("mainnet on regtest");
    assert_eq!(mainnet.to_string(), "the address is for mainnet, this wallet is on regtest");
    assert_eq!(parse_address(&format!("  {STRANGER}\n"), Network::Regtest).expect("trimmed").to_string(), STRANGER);
}

/// Issue 13: a coin a signed transaction spends (a channel's funding waiting for its broadcast) is
/// not spent again, and a channel being opened keeps what it was promised.
#[test]
fn coins_are_spent_once_until_a_transaction_is_broadcast_or_abandoned() {
    let sealed = sealed();
    let mut wallet = open(PHRASE, &sealed).expect("a new wallet");
    let address = block_on(wallet.receive_address()).expect("an address");
    block_on(wallet.record_broadcast(&payment_to(&address, Amount::from_sat(100_000), 6), NOW)).expect("recorded");
    let to = parse_address(STRANGER, Network::Regtest).expect("valid");
    let rate = FeeRate::from_sat_per_vb(1).expect("a rate");

    // The one coin is signed away, not yet broadcast: a second payment finds nothing to spend.
    let first = wallet.sign_payment(&to, SendAmount::Exactly(Amount::from_sat(30_000)), rate).expect("signed");
    let second = wallet.sign_payment(&to, SendAmount::Exactly(Amount::from_sat(30_000)), rate).expect_err("the coin is reserved");
    assert!(matches!(second, OnchainError::InsufficientFunds { .. }), "{second}");
    // Abandoned (the server refused it), the coin is free again.
    wallet.abandon(&first.tx);
    let again = wallet.sign_payment(&to, SendAmount::Exactly(Amount::from_sat(30_000)), rate).expect("signed again");
    assert_eq!(again.tx.input[0].previous_output, first.tx.input[0].previous_output);
    // Broadcast, it is spent, and its change is what remains.
    block_on(wallet.record_broadcast(&again.tx, NOW)).expect("recorded");
    let change = wallet.balance().total();
    assert!(change < Amount::from_sat(70_000) && change > Amount::from_sat(69_000), "{change}");

    // A promise to a channel being opened holds its amount against payments and other opens (the
    // change of the wallet's own transaction is trusted before it confirms).
    assert_eq!(wallet.spendable(), change);
    wallet.promise(7, Amount::from_sat(60_000)).expect("promised");
    let open_too = wallet.promise(8, Amount::from_sat(60_000)).expect_err("a second open of the same coins");
    assert!(matches!(open_too, OnchainError::InsufficientFunds { available, .. } if available == change - Amount::from_sat(60_000)), "{open_too}");
    let pay_too = wallet.sign_payment(&to, SendAmount::Exactly(Amount::from_sat(10_000)), rate).expect_err("into the promise");
    assert!(matches!(pay_too, OnchainError::InsufficientFunds { .. }), "{pay_too}");
    assert!(wallet.sign_payment(&to, SendAmount::All, rate).is_err(), "everything includes the promise");
    // The channel's funding is signed (its promise withdrawn, its coin reserved), or it closed.
    wallet.release_promise(7);
    assert!(wallet.sign_payment(&to, SendAmount::Exactly(Amount::from_sat(10_000)), rate).is_ok());
}

/// Issue 13: whatever rate a (lying) fee estimate asks, no transaction over the person's cap is signed.
#[test]
fn no_transaction_above_the_fee_cap_is_signed() {
    let sealed = sealed();
    let mut wallet = open(PHRASE, &sealed).expect("a new wallet");
    let address = block_on(wallet.receive_address()).expect("an address");
    block_on(wallet.record_broadcast(&payment_to(&address, Amount::from_sat(100_000_000), 9), NOW)).expect("recorded");
    let to = parse_address(STRANGER, Network::Regtest).expect("valid");
    let lying = FeeRate::from_sat_per_vb(9_999).expect("a rate");

    // The default cap: 2 % of what moves, at least 5,000 sats. (Sending the whole coin at that rate
    // costs 1.1 % of it, within the cap: the cap is about what moves, not about the rate.)
    let refused = wallet.sign_payment(&to, SendAmount::Exactly(Amount::from_sat(100_000)), lying).expect_err("over the cap");
    assert!(matches!(refused, OnchainError::FeeAboveCap { fee, cap } if fee > cap && cap == Amount::from_sat(5_000)), "{refused}");
    let funding = ScriptBuf::new_p2wsh(&WScriptHash::from_byte_array([7; 32]));
    let refused = wallet.sign_funding(1, funding.clone(), Amount::from_sat(500_000), lying).expect_err("over the cap");
    assert!(matches!(refused, OnchainError::FeeAboveCap { cap, .. } if cap == Amount::from_sat(10_000)), "{refused}");
    assert!(matches!(wallet.funding_fee(Amount::from_sat(500_000), lying), Err(OnchainError::FeeAboveCap { .. })));

    // A usual rate passes; a cap the person lowered refuses it.
    let usual = FeeRate::from_sat_per_vb(20).expect("a rate");
    let fee = wallet.funding_fee(Amount::from_sat(500_000), usual).expect("within the cap");
    assert!(fee > Amount::ZERO && fee < Amount::from_sat(5_000), "{fee}");
    wallet.set_fee_cap(FeeCap { percent: 0, floor: Amount::from_sat(1_000) });
    assert!(matches!(wallet.sign_funding(2, funding, Amount::from_sat(500_000), usual), Err(OnchainError::FeeAboveCap { .. })));
    assert_eq!(wallet.balance().total(), Amount::from_sat(100_000_000), "nothing was spent");
}
