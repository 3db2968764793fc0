//! `Chain`: Bitcoin Core's kernel on regtest parameters. Every block goes through Core's validation;
//! the kernel picks the best chain, so a longer competing branch reorganises it as on a real node.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, TxOut};
use bitcoinkernel::prelude::{BlockHashExt, BlockValidationStateExt};
use bitcoinkernel::{BlockValidationResult, ChainType, ChainstateManager, Context, ContextBuilder, ValidationMode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// The kernel could not start or read its own data.
    Kernel(String),
    /// Core refused the block; `reason` is Core's classification.
    Rejected { reason: String },
    /// The block was valid but is already known.
    Duplicate,
}

impl std::fmt::Display for ChainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainError::Kernel(e) => write!(f, "the chain's kernel failed: {e}"),
            ChainError::Rejected { reason } => write!(f, "Bitcoin Core rejected the block: {reason}"),
            ChainError::Duplicate => f.write_str("the block is already known"),
        }
    }
}

/// An output a block's transaction spent, as Core's undo data remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpentCoin {
    pub output: TxOut,
    /// The height of the block that created it.
    pub height: u32,
    pub is_coinbase: bool,
}

/// The active chain's tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    pub height: u32,
    pub hash: BlockHash,
}

pub struct Chain {
    chainman: ChainstateManager,
    /// Core's verdicts on blocks that failed its checks since the last submit, by block hash.
    failed_checks: Arc<Mutex<HashMap<[u8; 32], BlockValidationResult>>>,
    /// The kernel's context must outlive the chainstate manager.
    _context: Context,
    /// The temporary directory of an in-memory chain (block files), removed on drop.
    _scratch: Option<tempfile::TempDir>,
}

fn kernel_error(e: impl std::fmt::Debug) -> ChainError {
    ChainError::Kernel(format!("{e:?}"))
}

impl Chain {
    /// Opens a regtest chain: in memory (with block files in a temporary directory) when `data_dir` is
    /// `None`, or kept in `data_dir` across restarts.
    pub fn open(data_dir: Option<&Path>) -> Result<Chain, ChainError> {
        let failed_checks = Arc::new(Mutex::new(HashMap::new()));
        let failures = failed_checks.clone();
        let context = ContextBuilder::new()
            .chain_type(ChainType::Regtest)
            .with_block_checked_validation(move |block: bitcoinkernel::Block, state: bitcoinkernel::BlockValidationStateRef<'_>| {
                if state.mode() != ValidationMode::Valid {
                    failures.lock().expect("the verdict lock is never held across a panic").insert(block.hash().to_bytes(), state.result());
                }
            })
            .build()
            .map_err(kernel_error)?;
        let scratch = match data_dir {
            Some(_) => None,
            None => Some(tempfile::tempdir().map_err(kernel_error)?),
        };
        let root = data_dir.map(Path::to_path_buf).or_else(|| scratch.as_ref().map(|s| s.path().to_path_buf())).expect("one of the two is set");
        let blocks = root.join("blocks");
        let (root_str, blocks_str) = (root.to_string_lossy().into_owned(), blocks.to_string_lossy().into_owned());
        let in_memory = data_dir.is_none();
        let chainman = ChainstateManager::builder(&context, &root_str, &blocks_str)
            .map_err(kernel_error)?
            .block_tree_db_in_memory(in_memory)
            .chainstate_db_in_memory(in_memory)
            .build()
            .map_err(kernel_error)?;
        chainman.import_blocks().map_err(kernel_error)?;
        Ok(Chain { chainman, failed_checks, _context: context, _scratch: scratch })
    }

    /// Returns the active chain's tip.
    pub fn tip(&self) -> Tip {
        let tip = self.chainman.active_chain().tip();
        Tip { height: tip.height() as u32, hash: to_bitcoin_hash(&tip.block_hash()) }
    }

    /// Hands `block` to Core. `Ok` when Core accepted it (it may or may not have become the tip).
    ///
    /// Core answers in two steps: it first stores a block whose header and structure are valid ("new
    /// block"), then connects it if it makes the best chain, and only then checks its transactions
    /// against the UTXO set. A failure there arrives through the block-checked callback, so both count.
    /// **Warning:** a block on a side branch is not connected, so its transactions are not checked
    /// until that branch becomes the best.
    pub fn submit(&self, block: &Block) -> Result<(), ChainError> {
        let kernel_block = bitcoinkernel::Block::new(&serialize(block)).map_err(kernel_error)?;
        self.failed_checks.lock().expect("the verdict lock is never held across a panic").clear();
        let processed = self.chainman.process_block(&kernel_block);
        let failed = self.failed_checks.lock().expect("the verdict lock is never held across a panic").remove(&block.block_hash().to_byte_array());
        match (processed, failed) {
            (_, Some(verdict)) => Err(ChainError::Rejected { reason: format!("{verdict:?}") }),
            (bitcoinkernel::ProcessBlockResult::NewBlock, None) => Ok(()),
            (bitcoinkernel::ProcessBlockResult::Duplicate, None) => Err(ChainError::Duplicate),
            (bitcoinkernel::ProcessBlockResult::Rejected, None) => Err(ChainError::Rejected { reason: "invalid".to_owned() }),
        }
    }

    /// Returns the hash of the active chain's block at `height`.
    pub fn hash_at(&self, height: u32) -> Option<BlockHash> {
        self.chainman.active_chain().at_height(height as usize).map(|entry| to_bitcoin_hash(&entry.block_hash()))
    }

    /// Returns the height of a block in the active chain (`None` if unknown or on a stale branch).
    pub fn active_height_of(&self, hash: &BlockHash) -> Option<u32> {
        let entry = self.chainman.get_block_tree_entry(&to_kernel_hash(hash))?;
        self.chainman.active_chain().contains(&entry).then(|| entry.height() as u32)
    }

    /// Reads a block Core stored (active chain or not).
    pub fn block(&self, hash: &BlockHash) -> Option<Block> {
        let entry = self.chainman.get_block_tree_entry(&to_kernel_hash(hash))?;
        let block = self.chainman.read_block_data(&entry).ok()?;
        deserialize(&block.consensus_encode().ok()?).ok()
    }

    /// Returns, for each non-coinbase transaction of a block Core connected, the coins its inputs
    /// spent (Core's undo data), in input order.
    pub fn spent_outputs(&self, hash: &BlockHash) -> Option<Vec<Vec<SpentCoin>>> {
        use bitcoinkernel::prelude::*;
        let entry = self.chainman.get_block_tree_entry(&to_kernel_hash(hash))?;
        let spent = self.chainman.read_spent_outputs(&entry).ok()?;
        let mut per_tx = Vec::with_capacity(spent.count());
        for tx in spent.iter() {
            let mut outputs = Vec::with_capacity(tx.count());
            for coin in tx.coins() {
                let out = coin.output();
                let output = TxOut { value: bitcoin::Amount::from_sat(out.value() as u64), script_pubkey: out.script_pubkey().to_bytes().into() };
                outputs.push(SpentCoin { output, height: coin.confirmation_height(), is_coinbase: coin.is_coinbase() });
            }
            per_tx.push(outputs);
        }
        Some(per_tx)
    }
}

fn to_bitcoin_hash(hash: &impl bitcoinkernel::prelude::BlockHashExt) -> BlockHash {
    BlockHash::from_byte_array(hash.to_bytes())
}

fn to_kernel_hash(hash: &BlockHash) -> bitcoinkernel::BlockHash {
    bitcoinkernel::BlockHash::from(hash.to_byte_array())
}
