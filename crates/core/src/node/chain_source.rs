//! What the wallet asks a chain server (Esplora) and how it may answer wrongly: [`ChainSource`],
//! [`ChainError`], and the check every header the wallet uses must pass ([`check_header`]).

use std::collections::HashMap;

use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, CompactTarget, MerkleBlock, Network, Transaction, TxMerkleNode, Txid};
use esplora_client::{BlockStatus, OutputStatus, TxStatus};

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
    /// The server's headers are real but do not make a chain the wallet may follow from the one it
    /// accepted: its answers are not used.
    #[error("the chain server's chain is refused: {0}")]
    ChainRefused(ChainProblem),
}

/// Why a chain of real headers is not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainProblem {
    /// The header listed at `height` is not the block the one above it builds on.
    #[error("the block at height {height} does not link to the block above it")]
    DoesNotLink { height: u32 },
    /// The server puts a block at a height its headers do not lead to.
    #[error("a block claimed at height {claimed} is not at that height in the headers")]
    HeightNotProven { claimed: u32 },
    /// The block at `height` asks for a difficulty the network's rules do not allow after the block
    /// below it.
    #[error("the block at height {height} changes the difficulty as the network's rules do not allow")]
    DifficultyJump { height: u32 },
    /// Its best chain has no more work than the one the wallet already follows: it is behind, or it
    /// shows a branch with less work.
    #[error("its best chain has no more work than the one already followed")]
    LessWork,
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
    /// The headers of the best chain from `height` down, ten at most, highest first, each with the
    /// height the server gives it (Esplora's `/blocks/:height`).
    async fn headers_down_from(&self, height: u32) -> Result<Vec<(u32, Header)>, ChainError>;
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
    /// esplora-client's `get_blocks` drops the fields a header is made of (version, bits, nonce),
    /// so the page is read here, through the client's own HTTP client.
    async fn headers_down_from(&self, height: u32) -> Result<Vec<(u32, Header)>, ChainError> {
        let url = format!("{}/blocks/{height}", self.url());
        let response = self.client().get(&url).send().await.map_err(|e| ChainError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| ChainError::Unreachable(e.to_string()))?;
        if !(200..300).contains(&status) {
            return Err(ChainError::Http { status, message: body });
        }
        let blocks: Vec<ListedBlock> = serde_json::from_str(&body).map_err(|e| ChainError::Malformed(format!("blocks from height {height}: {e}")))?;
        blocks.into_iter().map(ListedBlock::into_header).collect()
    }
}

/// One block of Esplora's `/blocks/:height` list: the header's fields, its hash and height.
#[derive(serde::Deserialize)]
struct ListedBlock {
    id: BlockHash,
    height: u32,
    version: i32,
    timestamp: u32,
    merkle_root: TxMerkleNode,
    previousblockhash: Option<BlockHash>,
    nonce: u32,
    bits: u32,
}

impl ListedBlock {
    /// The header these fields make; it must hash to the id listed beside them.
    fn into_header(self) -> Result<(u32, Header), ChainError> {
        let header = Header {
            version: Version::from_consensus(self.version),
            prev_blockhash: self.previousblockhash.unwrap_or_else(BlockHash::all_zeros),
            merkle_root: self.merkle_root,
            time: self.timestamp,
            bits: CompactTarget::from_consensus(self.bits),
            nonce: self.nonce,
        };
        if header.block_hash() != self.id {
            return Err(ChainError::Inconsistent(format!("the fields listed for block {} make another block", self.id)));
        }
        Ok((self.height, header))
    }
}

/// The chain servers the node uses: the one it reads (`primary`), and an optional second one
/// (`witness`) that must agree on confirmations and spends (see `ChainSync::sync_witnessed`).
/// Everything reads from the primary; a broadcast goes to both, so that one server cannot keep the
/// wallet's transactions off the network.
pub struct ChainServers<C> {
    pub primary: C,
    pub witness: Option<C>,
}

/// The primary's answers, and broadcasts to both.
impl<C: ChainSource> ChainSource for ChainServers<C> {
    async fn tip_hash(&self) -> Result<BlockHash, ChainError> {
        self.primary.tip_hash().await
    }
    async fn header(&self, block: &BlockHash) -> Result<Header, ChainError> {
        self.primary.header(block).await
    }
    async fn block_status(&self, block: &BlockHash) -> Result<BlockStatus, ChainError> {
        self.primary.block_status(block).await
    }
    async fn tx_status(&self, txid: &Txid) -> Result<TxStatus, ChainError> {
        self.primary.tx_status(txid).await
    }
    async fn tx(&self, txid: &Txid) -> Result<Option<Transaction>, ChainError> {
        self.primary.tx(txid).await
    }
    async fn merkle_block(&self, txid: &Txid) -> Result<Option<MerkleBlock>, ChainError> {
        self.primary.merkle_block(txid).await
    }
    async fn output_status(&self, txid: &Txid, index: u64) -> Result<Option<OutputStatus>, ChainError> {
        self.primary.output_status(txid, index).await
    }
    async fn fee_estimates(&self) -> Result<HashMap<u16, f64>, ChainError> {
        self.primary.fee_estimates().await
    }
    async fn headers_down_from(&self, height: u32) -> Result<Vec<(u32, Header)>, ChainError> {
        self.primary.headers_down_from(height).await
    }
    /// Posts `tx` to every server: taken if one took it. When none did, the primary's answer says why
    /// (a refusal wins over the witness being down).
    async fn broadcast(&self, tx: &Transaction) -> Result<(), ChainError> {
        let primary = self.primary.broadcast(tx).await;
        let Some(witness) = &self.witness else { return primary };
        let witnessed = witness.broadcast(tx).await;
        match (primary, witnessed) {
            (Ok(()), _) | (_, Ok(())) => Ok(()),
            (Err(e), _) => Err(e),
        }
    }
}
