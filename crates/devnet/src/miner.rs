//! Builds blocks as a miner would: a BIP34 coinbase paying the subsidy and fees, the segwit witness
//! commitment, the merkle root, and regtest proof of work.

use bitcoin::block::{Header, Version};
use bitcoin::blockdata::opcodes::all::OP_RETURN;
use bitcoin::hashes::Hash;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::{
    absolute, transaction, Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxMerkleNode, TxOut, Witness,
};

/// Regtest's proof-of-work limit: nearly every nonce meets it.
pub const REGTEST_BITS: u32 = 0x207f_ffff;
/// Regtest halves the subsidy every 150 blocks.
const HALVING_INTERVAL: u32 = 150;
/// Coinbase outputs can be spent this many blocks later.
pub const COINBASE_MATURITY: u32 = 100;

/// The block subsidy at `height`.
pub fn subsidy(height: u32) -> Amount {
    let halvings = height / HALVING_INTERVAL;
    if halvings >= 64 {
        Amount::ZERO
    } else {
        Amount::from_sat((50 * 100_000_000) >> halvings)
    }
}

/// What a new block builds on and pays.
pub struct Template {
    pub prev_hash: BlockHash,
    pub height: u32,
    /// Seconds since the epoch; must exceed the median of the last 11 blocks' times.
    pub time: u32,
    pub payout: ScriptBuf,
    pub transactions: Vec<Transaction>,
    pub fees: Amount,
}

/// Builds and grinds a block from `template`.
pub fn build_block(template: Template) -> Block {
    let mut txdata = Vec::with_capacity(template.transactions.len() + 1);
    txdata.push(coinbase(template.height, template.payout, subsidy(template.height) + template.fees));
    txdata.extend(template.transactions);
    let header = Header {
        version: Version::from_consensus(0x2000_0000),
        prev_blockhash: template.prev_hash,
        merkle_root: TxMerkleNode::all_zeros(),
        time: template.time,
        bits: CompactTarget::from_consensus(REGTEST_BITS),
        nonce: 0,
    };
    let mut block = Block { header, txdata };
    add_witness_commitment(&mut block);
    block.header.merkle_root = block.compute_merkle_root().expect("a block has a coinbase");
    let target = block.header.target();
    while block.header.validate_pow(target).is_err() {
        block.header.nonce += 1;
    }
    block
}

/// The coinbase: BIP34 height first in its script (plus a tag byte: a script sig must be at least two
/// bytes long, and heights 1 to 16 encode in one), one output, and the witness reserved value.
fn coinbase(height: u32, payout: ScriptBuf, value: Amount) -> Transaction {
    let script_sig = Builder::new().push_int(i64::from(height)).push_slice(b"blixtra").into_script();
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn { previous_output: OutPoint::null(), script_sig, sequence: Sequence::MAX, witness: Witness::from_slice(&[[0u8; 32]]) }],
        output: vec![TxOut { value, script_pubkey: payout }],
    }
}

/// Adds BIP141's witness commitment output to the coinbase.
fn add_witness_commitment(block: &mut Block) {
    let witness_root = block.witness_root().expect("a block has a coinbase");
    let commitment = Block::compute_witness_commitment(&witness_root, &[0u8; 32]);
    let mut data = PushBytesBuf::from([0xaa, 0x21, 0xa9, 0xed]);
    data.extend_from_slice(commitment.as_byte_array()).expect("36 bytes fit a push");
    let script = Builder::new().push_opcode(OP_RETURN).push_slice(data).into_script();
    block.txdata[0].output.push(TxOut { value: Amount::ZERO, script_pubkey: script });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_regtest_subsidy_halves_every_150_blocks() {
        assert_eq!(subsidy(1), Amount::from_btc(50.0).expect("amount"));
        assert_eq!(subsidy(149), Amount::from_btc(50.0).expect("amount"));
        assert_eq!(subsidy(150), Amount::from_btc(25.0).expect("amount"));
        assert_eq!(subsidy(300), Amount::from_btc(12.5).expect("amount"));
        assert_eq!(subsidy(64 * 150), Amount::ZERO);
    }
}
