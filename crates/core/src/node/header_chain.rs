//! The chain of block headers the wallet has accepted, and how it follows a server's best chain:
//! every new header must meet its own proof of work, keep the difficulty the network's rules allow
//! after the one below it (the same `bits` between retargets, at most 4× at one), link to it, sit at
//! the height the server gives it, and the chain it ends must carry more work than the one followed
//! so far.
//!
//! Where the chain starts: at LDK's best block when the node starts (what the channel manager last
//! saw) and the nine below it, or at the server's tip for a new wallet. That first block's height is
//! the server's word, as it is for every light wallet without checkpoints; from there on, heights
//! and blocks are what the headers prove. A server can then show only blocks that real work made, at
//! the chain's own difficulty, in the order they were made. If the server cannot show LDK's block
//! at all (it left the chain while the wallet was closed), the chain starts at the server's tip, and
//! `ChainSync` takes back whatever LDK holds confirmed in blocks that chain does not hold.
//!
//! What it costs: a page of Esplora's `/blocks/:height` lists ten headers, so catching up 2,016 blocks
//! (two weeks closed) is 202 requests, six in flight at a time; a new block is one, and a start one
//! more.
//!
//! Not checked on the test networks: the difficulty steps (their rules let any block fall to the least
//! difficulty after 20 minutes).

use std::collections::{BTreeMap, HashMap};

use bitcoin::block::Header;
use bitcoin::params::Params;
use bitcoin::pow::Work;
use bitcoin::{BlockHash, Network};
use futures::stream::{self, Stream, StreamExt};

use super::chain_source::{check_header, ChainError, ChainProblem, ChainSource};

/// How many headers below the tip are kept (two weeks of blocks, about 200 kB): a reorg deeper than
/// that is still followed, its headers fetched again by hash.
const KEPT: u32 = 2016;

/// How far below the accepted tip a server's chain may fork before it is refused: further than any
/// reorg Bitcoin has seen, and it keeps a lying server from walking the wallet back to genesis.
const MAX_FORK_DEPTH: u32 = 2016;

/// How many of Esplora's `/blocks/:height` pages are asked for at once, and how long one is. Six is
/// what browsers open to one server over HTTP/1.1.
const PAGES_IN_FLIGHT: usize = 6;
const PAGE_LENGTH: u32 = 10;

/// The pages from `tip` down to `floor`, in that order, fetched `PAGES_IN_FLIGHT` at a time, each
/// with the height it was asked from.
fn prefetched_pages<C: ChainSource>(source: &C, tip: u32, floor: u32) -> impl Stream<Item = (u32, Result<Vec<(u32, Header)>, ChainError>)> + '_ {
    let starts = (floor..=tip).rev().step_by(PAGE_LENGTH as usize);
    stream::iter(starts).map(move |start| async move { (start, source.headers_down_from(start).await) }).buffered(PAGES_IN_FLIGHT)
}

/// The headers of the best chain accepted so far, by height.
pub struct HeaderChain {
    network: Network,
    /// Where to start when nothing is accepted yet: LDK's best block.
    anchor: Option<(u32, BlockHash)>,
    headers: BTreeMap<u32, (BlockHash, Header)>,
    heights: HashMap<BlockHash, u32>,
}

impl HeaderChain {
    pub fn new(network: Network) -> Self {
        Self { network, anchor: None, headers: BTreeMap::new(), heights: HashMap::new() }
    }

    /// Starts the chain at `hash`, at `height`, once its header is fetched; before anything is
    /// accepted only.
    pub fn anchor(&mut self, height: u32, hash: BlockHash) {
        if self.headers.is_empty() {
            self.anchor = Some((height, hash));
        }
    }

    /// The accepted tip: its height, hash and header.
    pub fn tip(&self) -> Option<(u32, BlockHash, Header)> {
        self.headers.last_key_value().map(|(height, (hash, header))| (*height, *hash, *header))
    }

    /// The accepted header at `height`, if it is kept.
    pub fn header_at(&self, height: u32) -> Option<Header> {
        self.headers.get(&height).map(|(_, header)| *header)
    }

    /// Whether `block` is the accepted block at `height`: `None` below the headers kept (and so below
    /// any fork followed), where the block is the server's word.
    pub fn holds(&self, height: u32, block: &BlockHash) -> Option<bool> {
        let lowest = *self.headers.first_key_value()?.0;
        (height >= lowest).then(|| self.headers.get(&height).is_some_and(|(hash, _)| hash == block))
    }

    /// Follows the server's best chain to `tip`, which it says is at `height`: checks every header
    /// from there down to the accepted chain, and takes the new branch only if it has more work.
    /// On an error nothing changes but the first headers.
    pub async fn follow<C: ChainSource>(&mut self, source: &C, tip: BlockHash, height: u32) -> Result<(), ChainError> {
        if self.headers.is_empty() {
            self.start(source, tip, height).await?;
        }
        let Some((our_height, our_tip, _)) = self.tip() else {
            return Err(ChainError::Inconsistent("no header to start from".to_owned()));
        };
        if our_tip == tip {
            return if our_height == height { Ok(()) } else { Err(ChainError::ChainRefused(ChainProblem::HeightNotProven { claimed: height })) };
        }
        // The server's chain from its tip down to the first block the accepted chain holds, highest
        // first; the accepted chain's own headers fetched further down where a fork reaches below
        // the ones kept.
        let mut theirs: Vec<(u32, BlockHash, Header)> = Vec::new();
        let mut extended: Vec<(u32, BlockHash, Header)> = Vec::new();
        let mut expected = tip;
        let mut next = height;
        // The pages down to the accepted tip are needed in any case: they are asked for a few at
        // a time rather than one after another (a wallet closed for a week catches up 1,000 blocks).
        let mut ahead = Some(Box::pin(prefetched_pages(source, height, our_height)));
        let ancestor = 'walk: loop {
            let fetched = match ahead.as_mut() {
                Some(pages) => pages.next().await,
                None => None,
            };
            let page = match fetched {
                Some((start, page)) if start == next => page?,
                _ => {
                    // Past the accepted tip (a fork), or a server whose pages are not ten long.
                    ahead = None;
                    source.headers_down_from(next).await?
                }
            };
            if page.is_empty() {
                return Err(ChainError::Malformed(format!("no blocks listed from height {next}")));
            }
            for (listed, header) in page {
                if listed != next {
                    return Err(ChainError::ChainRefused(ChainProblem::HeightNotProven { claimed: next }));
                }
                let hash = header.block_hash();
                if hash != expected {
                    return Err(ChainError::ChainRefused(if theirs.is_empty() {
                        // The block it lists at its tip's height is not its tip.
                        ChainProblem::HeightNotProven { claimed: height }
                    } else {
                        ChainProblem::DoesNotLink { height: listed }
                    }));
                }
                check_header(&header, hash, self.network)?;
                if let Some((above_height, _, above)) = theirs.last() {
                    self.check_difficulty_step(above, *above_height, &header)?;
                }
                if self.ours_at(listed, &extended) == Some(hash) {
                    break 'walk listed;
                }
                if let Some(&known) = self.heights.get(&hash) {
                    if known != listed {
                        return Err(ChainError::ChainRefused(ChainProblem::HeightNotProven { claimed: listed }));
                    }
                }
                if listed == 0 || our_height.saturating_sub(listed) >= MAX_FORK_DEPTH {
                    return Err(ChainError::Inconsistent(format!("its chain forks from the wallet's more than {MAX_FORK_DEPTH} blocks down")));
                }
                theirs.push((listed, hash, header));
                expected = header.prev_blockhash;
                next = listed - 1;
                // Below the headers kept, the accepted chain's own are fetched by hash, one by one:
                // a deep fork is rare, and a page would list the server's chain, not ours.
                self.extend_ours_down_to(source, next, &mut extended).await?;
            }
        };
        let ours_work = self.work_above(ancestor, &extended);
        let theirs_work = theirs.iter().fold(Work::from_be_bytes([0; 32]), |work, (_, _, header)| work + header.work());
        if theirs_work <= ours_work {
            return Err(ChainError::ChainRefused(ChainProblem::LessWork));
        }
        for (height, hash, header) in extended {
            self.insert(height, hash, header);
        }
        let disconnected: Vec<u32> = self.headers.range(ancestor + 1..).map(|(height, _)| *height).collect();
        for height in disconnected {
            if let Some((hash, _)) = self.headers.remove(&height) {
                self.heights.remove(&hash);
            }
        }
        for (height, hash, header) in theirs.into_iter().rev() {
            self.insert(height, hash, header);
        }
        self.prune();
        Ok(())
    }

    /// Accepts the first headers: the anchor's, or the server's tip's for a chain never followed,
    /// with the nine below it when the server's best chain holds it, so that a reorg of a few
    /// blocks right after a start is followed from headers kept (a server need not serve the headers
    /// of blocks that left its chain).
    async fn start<C: ChainSource>(&mut self, source: &C, tip: BlockHash, height: u32) -> Result<(), ChainError> {
        let (height, hash) = self.anchor.unwrap_or((height, tip));
        if let Some(linked) = self.linked_page(source, height, hash).await? {
            for (height, hash, header) in linked {
                self.insert(height, hash, header);
            }
            return Ok(());
        }
        let header = match source.header(&hash).await {
            Ok(header) => header,
            // A server that never saw LDK's last block (it left the chain while the wallet was away)
            // cannot show it: start from the server's tip instead, as a new wallet does. What LDK
            // holds confirmed is then checked against the server's chain (`ChainSync`).
            Err(ChainError::Http { status: 404, .. }) if hash != tip => return self.start_at_tip(source, tip).await,
            Err(e) => return Err(e),
        };
        check_header(&header, hash, self.network)?;
        self.insert(height, hash, header);
        Ok(())
    }

    async fn start_at_tip<C: ChainSource>(&mut self, source: &C, tip: BlockHash) -> Result<(), ChainError> {
        self.anchor = None;
        let status = source.block_status(&tip).await?;
        let height = status
            .height
            .filter(|_| status.in_best_chain)
            .ok_or_else(|| ChainError::Inconsistent(format!("the tip {tip} is not in the best chain")))?;
        let linked =
            self.linked_page(source, height, tip).await?.ok_or(ChainError::ChainRefused(ChainProblem::HeightNotProven { claimed: height }))?;
        for (height, hash, header) in linked {
            self.insert(height, hash, header);
        }
        Ok(())
    }

    /// The server's page of headers from `height` down, checked and linked, if its first is `hash`.
    async fn linked_page<C: ChainSource>(
        &self,
        source: &C,
        height: u32,
        hash: BlockHash,
    ) -> Result<Option<Vec<(u32, BlockHash, Header)>>, ChainError> {
        let page = source.headers_down_from(height).await?;
        if page.first().map(|(listed, header)| (*listed, header.block_hash())) != Some((height, hash)) {
            return Ok(None);
        }
        let mut linked: Vec<(u32, BlockHash, Header)> = Vec::with_capacity(page.len());
        for (listed, header) in page {
            let block = header.block_hash();
            if let Some((above_height, _, above)) = linked.last() {
                if listed + 1 != *above_height {
                    return Err(ChainError::ChainRefused(ChainProblem::HeightNotProven { claimed: listed }));
                }
                if above.prev_blockhash != block {
                    return Err(ChainError::ChainRefused(ChainProblem::DoesNotLink { height: listed }));
                }
                self.check_difficulty_step(above, *above_height, &header)?;
            }
            check_header(&header, block, self.network)?;
            linked.push((listed, block, header));
        }
        Ok(Some(linked))
    }

    /// Checks that `above`, at `height`, asks for the difficulty the network's rules allow after
    /// `below`: the same `bits` between retargets, at most four times harder or easier at one.
    /// Without this, a block at the network's least difficulty (cheap on mainnet) could extend the
    /// chain. The test networks, whose rules let any block be of the least difficulty after 20
    /// minutes, are not checked.
    fn check_difficulty_step(&self, above: &Header, height: u32, below: &Header) -> Result<(), ChainError> {
        let params = Params::new(self.network);
        if params.allow_min_difficulty_blocks && !params.no_pow_retargeting {
            return Ok(());
        }
        let retarget = !params.no_pow_retargeting && u64::from(height) % params.difficulty_adjustment_interval() == 0;
        let allowed = if retarget {
            let (before, after) = (below.target(), above.target());
            after <= before.max_transition_threshold(&params) && after >= before.min_transition_threshold()
        } else {
            above.bits == below.bits
        };
        if allowed {
            Ok(())
        } else {
            Err(ChainError::ChainRefused(ChainProblem::DifficultyJump { height }))
        }
    }

    /// The accepted block's hash at `height`: kept, fetched below (`extended`), or the one the lowest
    /// builds on.
    fn ours_at(&self, height: u32, extended: &[(u32, BlockHash, Header)]) -> Option<BlockHash> {
        if let Some((hash, _)) = self.headers.get(&height) {
            return Some(*hash);
        }
        let lowest = extended.last().map(|(h, hash, header)| (*h, *hash, *header)).or_else(|| {
            let (height, (hash, header)) = self.headers.first_key_value()?;
            Some((*height, *hash, *header))
        })?;
        match height.cmp(&lowest.0) {
            std::cmp::Ordering::Equal => Some(lowest.1),
            std::cmp::Ordering::Less if height + 1 == lowest.0 => Some(lowest.2.prev_blockhash),
            _ => extended.iter().find(|(h, _, _)| *h == height).map(|(_, hash, _)| *hash),
        }
    }

    /// Fetches the accepted chain's headers below those kept until the block at `height` is known.
    async fn extend_ours_down_to<C: ChainSource>(
        &self,
        source: &C,
        height: u32,
        extended: &mut Vec<(u32, BlockHash, Header)>,
    ) -> Result<(), ChainError> {
        loop {
            let (lowest, header) = match extended.last() {
                Some((h, _, header)) => (*h, *header),
                None => match self.headers.first_key_value() {
                    Some((h, (_, header))) => (*h, *header),
                    None => return Ok(()),
                },
            };
            if height + 1 >= lowest || lowest == 0 {
                return Ok(());
            }
            let hash = header.prev_blockhash;
            let below = source.header(&hash).await?;
            check_header(&below, hash, self.network)?;
            extended.push((lowest - 1, hash, below));
        }
    }

    /// The work of the accepted chain above `ancestor`.
    fn work_above(&self, ancestor: u32, extended: &[(u32, BlockHash, Header)]) -> Work {
        let kept = self.headers.range(ancestor + 1..).map(|(_, (_, header))| header.work());
        let fetched = extended.iter().filter(|(h, _, _)| *h > ancestor).map(|(_, _, header)| header.work());
        kept.chain(fetched).fold(Work::from_be_bytes([0; 32]), |work, more| work + more)
    }

    fn insert(&mut self, height: u32, hash: BlockHash, header: Header) {
        self.headers.insert(height, (hash, header));
        self.heights.insert(hash, height);
    }

    fn prune(&mut self) {
        let Some((tip, _, _)) = self.tip() else { return };
        while let Some((&lowest, _)) = self.headers.first_key_value() {
            if tip - lowest < KEPT {
                break;
            }
            if let Some((hash, _)) = self.headers.remove(&lowest) {
                self.heights.remove(&hash);
            }
        }
    }
}
