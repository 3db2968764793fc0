//! The devnet's own coins: every block the devnet mines pays [`faucet_script`], a pay-to-witness-
//! script-hash of `OP_TRUE` that needs no key, and the faucet sends from those coins once mature.

use bitcoin::blockdata::opcodes::OP_TRUE;
use bitcoin::{absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};

use crate::index::script_hash;
use crate::mempool::TxRejection;
use crate::miner::COINBASE_MATURITY;
use crate::regtest::Regtest;

/// What the devnet's faucet transactions pay in fees: regtest has no fee market.
pub const FAUCET_FEE: Amount = Amount::from_sat(2_000);

fn witness_script() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![OP_TRUE.to_u8()])
}

/// The script the devnet mines to.
pub fn faucet_script() -> ScriptBuf {
    ScriptBuf::new_p2wsh(&witness_script().wscript_hash())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaucetError {
    #[error("the faucet has {available} in mature coins; {requested} were asked for (mine more blocks)")]
    Empty { available: Amount, requested: Amount },
    #[error("the amount must be at least {min}")]
    TooSmall { min: Amount },
    #[error(transparent)]
    Rejected(#[from] TxRejection),
}

/// Sends `amount` to `script` from the faucet's mature, unspent coins; returns the txid.
pub fn send(regtest: &mut Regtest, script: &ScriptBuf, amount: Amount) -> Result<Txid, FaucetError> {
    let dust = Amount::from_sat(546);
    if amount < dust {
        return Err(FaucetError::TooSmall { min: dust });
    }
    let needed = amount + FAUCET_FEE;
    let (coins, total) = select_coins(regtest, needed);
    if total < needed {
        return Err(FaucetError::Empty { available: total.checked_sub(FAUCET_FEE).unwrap_or(Amount::ZERO), requested: amount });
    }
    let mut output = vec![TxOut { value: amount, script_pubkey: script.clone() }];
    let change = total - needed;
    if change >= dust {
        output.push(TxOut { value: change, script_pubkey: faucet_script() });
    }
    let input = coins
        .into_iter()
        .map(|previous_output| TxIn {
            previous_output,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[witness_script().as_bytes()]),
        })
        .collect();
    let tx = Transaction { version: transaction::Version::TWO, lock_time: absolute::LockTime::ZERO, input, output };
    Ok(regtest.broadcast(tx)?)
}

/// Picks mature faucet coins (oldest first, as they are surely mature) until `needed` is covered.
fn select_coins(regtest: &Regtest, needed: Amount) -> (Vec<OutPoint>, Amount) {
    let index = regtest.index();
    let next_height = index.tip_height() + 1;
    let script = faucet_script();
    let history: Vec<Txid> = index.history(&script_hash(&script)).copied().collect();
    let (mut coins, mut total) = (Vec::new(), Amount::ZERO);
    for txid in history.iter().rev() {
        let Some(confirmed) = index.tx(txid) else { continue };
        for (vout, output) in confirmed.tx.output.iter().enumerate() {
            let outpoint = OutPoint { txid: *txid, vout: vout as u32 };
            let Some(utxo) = index.utxo(&outpoint) else { continue };
            let mature = !utxo.is_coinbase || next_height - utxo.height >= COINBASE_MATURITY;
            if output.script_pubkey == script && mature && regtest.mempool().spender(&outpoint).is_none() {
                coins.push(outpoint);
                total += output.value;
                if total >= needed {
                    return (coins, total);
                }
            }
        }
    }
    (coins, total)
}
