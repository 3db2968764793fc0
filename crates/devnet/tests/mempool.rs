//! Broadcasts through the mempool: each rule refuses a crafted bad transaction with its own message,
//! and everything admitted is mined into blocks Core accepts.

mod common;

use bitcoin::blockdata::opcodes::all::{OP_CLTV, OP_CSV, OP_DROP};
use bitcoin::blockdata::opcodes::OP_TRUE;
use bitcoin::script::Builder;
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{absolute, transaction, Amount, CompressedPublicKey, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use blixtra_devnet::mempool::TxRejection;
use blixtra_devnet::regtest::Regtest;
use common::anyone_can_spend;

const FEE: Amount = Amount::from_sat(1_000);

/// A regtest chain with 101 blocks paid to an anyone-can-spend script: block 1's coinbase is mature.
fn funded() -> (Regtest, OutPoint) {
    let mut regtest = Regtest::open(None).expect("a chain");
    regtest.mine(101, &anyone_can_spend()).expect("empty blocks are mined");
    let coinbase = regtest.index().block_at(1).expect("block 1").txids[0];
    (regtest, OutPoint { txid: coinbase, vout: 0 })
}

fn tx(inputs: Vec<(OutPoint, Sequence)>, outputs: Vec<TxOut>, lock_time: absolute::LockTime) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time,
        input: inputs
            .into_iter()
            .map(|(previous_output, sequence)| TxIn { previous_output, script_sig: ScriptBuf::new(), sequence, witness: Witness::new() })
            .collect(),
        output: outputs,
    }
}

fn pay(script: &ScriptBuf, value: Amount) -> TxOut {
    TxOut { value, script_pubkey: script.clone() }
}

/// Moves `coin` (worth `value`, anyone-can-spend) to `script` in a mined block; returns the new coin.
fn fund_script(regtest: &mut Regtest, coin: OutPoint, value: Amount, script: &ScriptBuf) -> OutPoint {
    let funding = tx(vec![(coin, Sequence::MAX)], vec![pay(script, value - FEE)], absolute::LockTime::ZERO);
    let txid = regtest.broadcast(funding).expect("the funding is admitted");
    regtest.mine(1, &anyone_can_spend()).expect("the funding is mined");
    OutPoint { txid, vout: 0 }
}

fn signed_p2wpkh_spend(coin: OutPoint, value: Amount, signer: &SecretKey, owner: &CompressedPublicKey) -> Transaction {
    let secp = Secp256k1::new();
    let mut spend = tx(vec![(coin, Sequence::MAX)], vec![pay(&anyone_can_spend(), value - FEE)], absolute::LockTime::ZERO);
    let script = ScriptBuf::new_p2wpkh(&owner.wpubkey_hash());
    let sighash = SighashCache::new(&spend).p2wpkh_signature_hash(0, &script, value, EcdsaSighashType::All).expect("sighash");
    let signature = bitcoin::ecdsa::Signature { signature: secp.sign_ecdsa(&Message::from(sighash), signer), sighash_type: EcdsaSighashType::All };
    spend.input[0].witness = Witness::p2wpkh(&signature, &owner.0);
    spend
}

#[test]
fn a_signed_spend_is_admitted_mined_and_confirmed() {
    let (mut regtest, coin) = funded();
    let secp = Secp256k1::new();
    let key = SecretKey::from_slice(&[0x11; 32]).expect("key");
    let owner = CompressedPublicKey(key.public_key(&secp));
    let value = Amount::from_btc(50.0).expect("amount") - FEE;
    let coin = fund_script(&mut regtest, coin, Amount::from_btc(50.0).expect("amount"), &ScriptBuf::new_p2wpkh(&owner.wpubkey_hash()));
    let spend = signed_p2wpkh_spend(coin, value, &key, &owner);
    let txid = regtest.broadcast(spend).expect("a correctly signed spend is admitted");
    // Its child, spending the unconfirmed output, goes into the same block.
    let child = tx(vec![(OutPoint { txid, vout: 0 }, Sequence::MAX)], vec![pay(&anyone_can_spend(), value - FEE - FEE)], absolute::LockTime::ZERO);
    let child_txid = regtest.broadcast(child).expect("a child of a mempool transaction is admitted");
    regtest.mine(1, &anyone_can_spend()).expect("Core accepts the block the mempool built");
    assert_eq!(regtest.index().tx(&txid).map(|t| t.height), Some(103));
    assert_eq!(regtest.index().tx(&child_txid).map(|t| t.height), Some(103));
    assert!(regtest.mempool().is_empty());
}

#[test]
fn a_bad_signature_is_refused_by_script_verification() {
    let (mut regtest, coin) = funded();
    let secp = Secp256k1::new();
    let key = SecretKey::from_slice(&[0x11; 32]).expect("key");
    let thief = SecretKey::from_slice(&[0x22; 32]).expect("key");
    let owner = CompressedPublicKey(key.public_key(&secp));
    let value = Amount::from_btc(50.0).expect("amount") - FEE;
    let coin = fund_script(&mut regtest, coin, Amount::from_btc(50.0).expect("amount"), &ScriptBuf::new_p2wpkh(&owner.wpubkey_hash()));
    let forged = signed_p2wpkh_spend(coin, value, &thief, &owner);
    let err = regtest.broadcast(forged).expect_err("a signature by another key is refused");
    assert!(matches!(err, TxRejection::Script { input: 0, .. }), "{err}");
    assert!(err.to_string().starts_with("mandatory-script-verify-flag-failed"));
}

#[test]
fn a_double_spend_is_refused() {
    let (mut regtest, coin) = funded();
    let value = Amount::from_btc(50.0).expect("amount");
    let first =
        regtest.broadcast(tx(vec![(coin, Sequence::MAX)], vec![pay(&anyone_can_spend(), value - FEE)], absolute::LockTime::ZERO)).expect("admitted");
    let second = tx(vec![(coin, Sequence::MAX)], vec![pay(&anyone_can_spend(), value - FEE - FEE)], absolute::LockTime::ZERO);
    assert_eq!(regtest.broadcast(second.clone()), Err(TxRejection::DoubleSpend { outpoint: coin, spent_by: first }));
    regtest.mine(1, &anyone_can_spend()).expect("mined");
    assert_eq!(regtest.broadcast(second), Err(TxRejection::MissingOrSpent { outpoint: coin }), "spent in the chain now");
}

#[test]
fn an_immature_coinbase_spend_is_refused() {
    let (mut regtest, _) = funded();
    let young = OutPoint { txid: regtest.index().block_at(101).expect("block 101").txids[0], vout: 0 };
    let spend = tx(vec![(young, Sequence::MAX)], vec![pay(&anyone_can_spend(), Amount::from_sat(10_000))], absolute::LockTime::ZERO);
    assert_eq!(regtest.broadcast(spend), Err(TxRejection::ImmatureCoinbase { outpoint: young, confirmations: 1 }));
}

#[test]
fn outputs_above_inputs_are_refused() {
    let (mut regtest, coin) = funded();
    let greedy = tx(
        vec![(coin, Sequence::MAX)],
        vec![pay(&anyone_can_spend(), Amount::from_btc(50.0).expect("amount") + Amount::from_sat(1))],
        absolute::LockTime::ZERO,
    );
    assert!(matches!(regtest.broadcast(greedy), Err(TxRejection::OutputsExceedInputs { .. })));
}

#[test]
fn an_unmet_csv_is_refused_until_the_coin_is_old_enough() {
    let (mut regtest, coin) = funded();
    let witness_script = Builder::new().push_int(5).push_opcode(OP_CSV).push_opcode(OP_DROP).push_opcode(OP_TRUE).into_script();
    let value = Amount::from_btc(50.0).expect("amount") - FEE;
    let locked = fund_script(&mut regtest, coin, Amount::from_btc(50.0).expect("amount"), &ScriptBuf::new_p2wsh(&witness_script.wscript_hash()));
    let spend = |sequence: u32| {
        let mut spend = tx(vec![(locked, Sequence(sequence))], vec![pay(&anyone_can_spend(), value - FEE)], absolute::LockTime::ZERO);
        spend.input[0].witness = Witness::from_slice(&[witness_script.as_bytes()]);
        spend
    };
    // One confirmation: the 5-block relative lock is not reached.
    assert_eq!(regtest.broadcast(spend(5)), Err(TxRejection::RelativeLockNotMet { input: 0 }));
    // A sequence below the script's 5 fails the script itself.
    assert!(matches!(regtest.broadcast(spend(1)), Err(TxRejection::Script { input: 0, .. })));
    regtest.mine(3, &anyone_can_spend()).expect("mined");
    assert_eq!(regtest.broadcast(spend(5)), Err(TxRejection::RelativeLockNotMet { input: 0 }), "4 blocks are not enough");
    regtest.mine(1, &anyone_can_spend()).expect("mined");
    regtest.broadcast(spend(5)).expect("the next block is the fifth after the coin's");
    regtest.mine(1, &anyone_can_spend()).expect("Core agrees");
}

#[test]
fn an_unmet_cltv_is_refused_until_its_height() {
    let (mut regtest, coin) = funded();
    let unlock_height = regtest.index().tip_height() + 5;
    let witness_script =
        Builder::new().push_int(i64::from(unlock_height)).push_opcode(OP_CLTV).push_opcode(OP_DROP).push_opcode(OP_TRUE).into_script();
    let value = Amount::from_btc(50.0).expect("amount") - FEE;
    let locked = fund_script(&mut regtest, coin, Amount::from_btc(50.0).expect("amount"), &ScriptBuf::new_p2wsh(&witness_script.wscript_hash()));
    let spend = |lock_height: u32| {
        let lock = absolute::LockTime::from_height(lock_height).expect("a height");
        let mut spend = tx(vec![(locked, Sequence::ENABLE_LOCKTIME_NO_RBF)], vec![pay(&anyone_can_spend(), value - FEE)], lock);
        spend.input[0].witness = Witness::from_slice(&[witness_script.as_bytes()]);
        spend
    };
    assert_eq!(regtest.broadcast(spend(unlock_height)), Err(TxRejection::NonFinal), "the lock time is not reached");
    // A lock time already final (the tip's height) but below the script's fails the script.
    let final_but_low = regtest.index().tip_height();
    assert!(matches!(regtest.broadcast(spend(final_but_low)), Err(TxRejection::Script { input: 0, .. })), "a lock time below the script's fails it");
    regtest.mine(unlock_height - regtest.index().tip_height() - 1, &anyone_can_spend()).expect("mined");
    assert_eq!(regtest.broadcast(spend(unlock_height)), Err(TxRejection::NonFinal), "a lock time of H is final from block H + 1 on");
    regtest.mine(1, &anyone_can_spend()).expect("mined");
    regtest.broadcast(spend(unlock_height)).expect("final in the next block");
    regtest.mine(1, &anyone_can_spend()).expect("Core agrees");
}

#[test]
fn a_reorg_returns_a_mined_transaction_to_the_mempool() {
    let (mut regtest, coin) = funded();
    let spend =
        tx(vec![(coin, Sequence::MAX)], vec![pay(&anyone_can_spend(), Amount::from_btc(50.0).expect("amount") - FEE)], absolute::LockTime::ZERO);
    let txid = regtest.broadcast(spend).expect("admitted");
    regtest.mine(1, &anyone_can_spend()).expect("mined");
    assert_eq!(regtest.index().tx(&txid).map(|t| t.height), Some(102));
    regtest.reorg(1, &anyone_can_spend()).expect("reorganised");
    assert_eq!(regtest.index().tip_height(), 103);
    assert!(regtest.index().tx(&txid).is_none(), "unconfirmed by the reorg");
    assert!(regtest.mempool().get(&txid).is_some(), "back in the mempool");
    regtest.mine(1, &anyone_can_spend()).expect("mined again");
    assert_eq!(regtest.index().tx(&txid).map(|t| t.height), Some(104));
}
