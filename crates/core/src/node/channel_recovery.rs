//! Getting a channel's funds back when the wallet's storage is gone.
//!
//! A wallet restored from its words knows none of its channels; its peers still do. When it connects,
//! a peer names a channel the wallet does not know, LDK answers with the "I lost my state" message of
//! the spec's static channel backups, and the peer force-closes with its latest state. The wallet's
//! side of that channel then lands on one of the scripts LDK derives from the seed alone: the node's
//! keys use `v2_remote_key_derivation` ([`super::key_derivation`]), so a counterparty's close pays to
//! one of [`STATIC_PAYMENT_KEY_COUNT`] keys, as a plain P2WPKH or, in an anchor channel, a P2WSH that
//! waits one block. Nothing else about the channel is needed to spend it.
//!
//! **How it is found.** The node derives those keys and their 2,000 scripts as LDK does
//! ([`ChannelFundsScanner`]), and asks the chain server about each. A restore starts a watch ([`RecoveryWatch`], sealed): the scripts are scanned at each start
//! and at growing intervals of blocks for two weeks (a peer closes when the wallet connects, but the
//! wallet may not be opened again for days), and what is found is swept into the on-chain wallet once
//! it may be spent. Scanning is 2,000 lookups at the chain server, so it is not done for a new wallet,
//! nor every block.
//!
//! What this cannot bring back: HTLCs pending in the peer's last state, and channels with peers the
//! wallet does not connect to (it connects to its LSP; the devnet's hub is that by default).

use std::cell::Cell;
use std::rc::Rc;

use std::collections::BTreeMap;

use bitcoin::absolute::LockTime;
use bitcoin::bip32::{ChildNumber, Xpriv};
use bitcoin::secp256k1::{Message, PublicKey, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::transaction::Version;
use bitcoin::{Amount, FeeRate, Network, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use futures::lock::Mutex as AsyncMutex;
use futures::{StreamExt as _, TryStreamExt as _};
use lightning::ln::chan_utils::{get_countersigner_payment_script, get_to_countersigner_keyed_anchor_redeemscript};
use lightning::log_warn;
use lightning::types::features::ChannelTypeFeatures;
use lightning::util::logger::Logger as _;
use serde::{Deserialize, Serialize};

#[cfg(doc)]
use lightning::sign::STATIC_PAYMENT_KEY_COUNT;

use super::chain_source::ChainSource;
use super::error::{ChainFault, NodeError};
use super::key_derivation::NodeKeys;
use super::lightning_node::LightningNode;
use super::onchain::{FeeCap, OnchainError};
use super::platform::Platform;
use crate::record_names::{RECOVERY_NAMESPACE, RECOVERY_WATCH_KEY, RESTORED_KEY};
use crate::store::sealed::SealedStore;
use crate::store::KvStore;

/// LDK's `STATIC_PAYMENT_KEY_COUNT`: how many keys a counterparty's close may pay to.
const KEY_COUNT: u32 = lightning::sign::STATIC_PAYMENT_KEY_COUNT as u32;
/// Where `KeysManager` derives those keys from its seed: `m/8'/i'` (its `STATIC_PAYMENT_KEY_INDEX`,
/// private in LDK; the test below holds this path to LDK's own list of scripts).
const STATIC_PAYMENT_KEY_INDEX: ChildNumber = ChildNumber::Hardened { index: 8 };
/// How long after a restore the scripts are watched, in blocks (two weeks).
pub const WATCH_BLOCKS: u32 = 2016;
/// The longest gap between two scans of a watch, in blocks (a day).
const MAX_SCAN_STEP: u32 = 144;
/// Esplora lookups a scan keeps in flight at once.
const PARALLEL_REQUESTS: usize = 8;
/// The confirmation target of a sweep's fee rate, in blocks.
const SWEEP_TARGET_BLOCKS: u16 = 6;

/// When the scripts are scanned after a restore: at `since_height` (the first start), then after 1,
/// 2, 4 … blocks up to a day apart, until [`WATCH_BLOCKS`] have passed. Sealed in the store, so a
/// reload keeps to it; each start scans once more besides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryWatch {
    pub since_height: u32,
    pub next_scan_height: u32,
    pub step_blocks: u32,
}

impl RecoveryWatch {
    /// A watch that starts with a scan at `height`.
    pub fn starting_at(height: u32) -> Self {
        RecoveryWatch { since_height: height, next_scan_height: height, step_blocks: 1 }
    }

    pub fn is_due(&self, height: u32) -> bool {
        height >= self.next_scan_height
    }

    /// The watch after a scan at `height`: the next one twice as far off, up to a day.
    pub fn scanned_at(self, height: u32) -> Self {
        RecoveryWatch { next_scan_height: height.saturating_add(self.step_blocks), step_blocks: (self.step_blocks * 2).min(MAX_SCAN_STEP), ..self }
    }

    /// Whether the watch has run its course at `height`: what was found is swept, and no more is
    /// looked for.
    pub fn is_over(&self, height: u32) -> bool {
        height > self.since_height.saturating_add(WATCH_BLOCKS)
    }
}

/// What the scan has found so far, in the person's terms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryProgress {
    /// Closed channels' outputs found for this wallet (swept or not).
    pub found: u32,
    /// What they hold, in sats.
    pub found_sat: u64,
    /// What has been swept to the on-chain wallet so far.
    pub swept_sat: u64,
    /// Blocks until the rest is in the on-chain wallet and confirmed; `None` when nothing waits.
    pub back_in_blocks: Option<u32>,
}

/// One output found on a watched script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FoundOutput {
    value: Amount,
    /// The key it pays to, and whether it is an anchor channel's (waits a block).
    key: u32,
    anchors: bool,
    confirmed: bool,
    /// The transaction spending it (the sweep), and whether that is confirmed.
    spent_by: Option<(Txid, bool)>,
}

/// The scripts a counterparty's close pays this wallet to, and what has been found on them (in
/// memory: the chain holds it).
///
/// Written here rather than as a BDK wallet: the keys are hardened children (`m/8'/i'`), which a
/// BDK wallet cannot derive scripts for (it derives from the public descriptor), so this holds the
/// 1,000 keys itself and signs its one kind of transaction with `bitcoin`'s sighash.
pub struct ChannelFundsScanner {
    /// Each key's two scripts: `(script, key index, anchors)`, in LDK's order.
    scripts: Vec<(ScriptBuf, u32, bool)>,
    keys: Vec<SecretKey>,
    found: BTreeMap<OutPoint, FoundOutput>,
}

impl Drop for ChannelFundsScanner {
    fn drop(&mut self) {
        for key in &mut self.keys {
            key.non_secure_erase();
        }
    }
}

impl ChannelFundsScanner {
    /// Builds the scanner for the keys' node. Derives 1,000 keys: a moment's work.
    pub fn new(keys: &NodeKeys, network: Network) -> Result<Self, OnchainError> {
        let secp = Secp256k1::new();
        let master = Xpriv::new_master(network, &keys.lightning_seed()[..]).map_err(|e| OnchainError::Build(e.to_string()))?;
        let base = master.derive_priv(&secp, &[STATIC_PAYMENT_KEY_INDEX]).map_err(|e| OnchainError::Build(e.to_string()))?;
        let plain = ChannelTypeFeatures::only_static_remote_key();
        let mut anchors = plain.clone();
        anchors.set_anchors_zero_fee_htlc_tx_required();
        let mut scripts = Vec::with_capacity(2 * KEY_COUNT as usize);
        let mut secrets = Vec::with_capacity(KEY_COUNT as usize);
        for index in 0..KEY_COUNT {
            let child = ChildNumber::from_hardened_idx(index).map_err(|e| OnchainError::Build(e.to_string()))?;
            let key = base.derive_priv(&secp, &[child]).map_err(|e| OnchainError::Build(e.to_string()))?.private_key;
            let public = PublicKey::from_secret_key(&secp, &key);
            scripts.push((get_countersigner_payment_script(&plain, &public), index, false));
            scripts.push((get_countersigner_payment_script(&anchors, &public), index, true));
            secrets.push(key);
        }
        Ok(ChannelFundsScanner { scripts, keys: secrets, found: BTreeMap::new() })
    }

    /// Every script, in LDK's order: for each key, plain then anchors.
    pub fn scripts(&self) -> Vec<ScriptBuf> {
        self.scripts.iter().map(|(script, _, _)| script.clone()).collect()
    }

    /// Asks the chain server about the scripts (mempool included): all of them (`full`), or only
    /// those something was found on (for confirmations and the sweep's).
    pub async fn scan<S: esplora_client::Sleeper>(&mut self, client: &esplora_client::AsyncClient<S>, full: bool) -> Result<(), OnchainError> {
        let keys_found: Vec<(u32, bool)> = self.found.values().map(|f| (f.key, f.anchors)).collect();
        let wanted: Vec<&(ScriptBuf, u32, bool)> =
            self.scripts.iter().filter(|(_, key, anchors)| full || keys_found.contains(&(*key, *anchors))).collect();
        let histories: Vec<_> = futures::stream::iter(wanted)
            .map(|(script, key, anchors)| async move { client.scripthash_txs(script, None).await.map(|txs| (script, *key, *anchors, txs)) })
            .buffer_unordered(PARALLEL_REQUESTS)
            .try_collect()
            .await
            .map_err(|e| OnchainError::Chain(e.to_string()))?;
        for (script, key, anchors, txs) in &histories {
            for tx in txs {
                for (vout, output) in tx.vout.iter().enumerate() {
                    if &output.scriptpubkey == *script {
                        let outpoint = OutPoint::new(tx.txid, vout as u32);
                        let found = self.found.entry(outpoint).or_insert(FoundOutput {
                            value: Amount::from_sat(output.value),
                            key: *key,
                            anchors: *anchors,
                            confirmed: false,
                            spent_by: None,
                        });
                        found.confirmed = tx.status.confirmed;
                    }
                }
            }
        }
        // A script's history also holds what spent from it.
        for (_, _, _, txs) in &histories {
            for tx in txs {
                for input in &tx.vin {
                    if let Some(found) = self.found.get_mut(&OutPoint::new(input.txid, input.vout)) {
                        found.spent_by = Some((tx.txid, tx.status.confirmed));
                    }
                }
            }
        }
        Ok(())
    }

    /// What has been found, and how far it is from the on-chain wallet.
    pub fn progress(&self) -> RecoveryProgress {
        let outputs = self.found.values();
        let back_in_blocks = if outputs.clone().any(|o| o.spent_by.is_none() && !o.confirmed) {
            // The close confirms, then the sweep.
            Some(2)
        } else if outputs.clone().any(|o| !o.spent_by.is_some_and(|(_, confirmed)| confirmed)) {
            Some(1)
        } else {
            None
        };
        RecoveryProgress {
            found: u32::try_from(self.found.len()).unwrap_or(u32::MAX),
            found_sat: outputs.clone().map(|o| o.value.to_sat()).sum(),
            swept_sat: outputs.filter(|o| o.spent_by.is_some()).map(|o| o.value.to_sat()).sum(),
            back_in_blocks,
        }
    }

    /// What may be spent now: found, unspent, and its close confirmed (an anchor channel's output
    /// waits that one block).
    fn spendable(&self) -> Vec<(OutPoint, FoundOutput)> {
        self.found.iter().filter(|(_, o)| o.confirmed && o.spent_by.is_none()).map(|(outpoint, o)| (*outpoint, *o)).collect()
    }

    pub fn has_spendable(&self) -> bool {
        !self.spendable().is_empty()
    }

    /// Signs a transaction moving every found output that may be spent to `to`, at `fee_rate`,
    /// within the wallet's fee cap; `None` when there is nothing to move, or too little to pay its fee.
    pub fn sweep(&self, to: ScriptBuf, fee_rate: FeeRate, cap: FeeCap) -> Result<Option<Transaction>, OnchainError> {
        let ready = self.spendable();
        if ready.is_empty() {
            return Ok(None);
        }
        let moved: Amount = ready.iter().map(|(_, o)| o.value).sum();
        let input = ready
            .iter()
            .map(|(outpoint, o)| TxIn {
                previous_output: *outpoint,
                // The anchor channel's output: `1 OP_CSV`.
                sequence: if o.anchors { Sequence::from_height(1) } else { Sequence::ENABLE_RBF_NO_LOCKTIME },
                ..TxIn::default()
            })
            .collect();
        let mut tx = Transaction { version: Version::TWO, lock_time: LockTime::ZERO, input, output: vec![TxOut { value: moved, script_pubkey: to }] };
        // The fee is for the signed size: sign once to learn it (a signature's length varies by a
        // byte or two; the larger is assumed), then again with the output that pays it.
        self.sign(&mut tx, &ready)?;
        let vbytes_upper = tx.weight().to_wu().div_ceil(4) + ready.len() as u64;
        let fee = fee_rate.fee_vb(vbytes_upper).ok_or_else(|| OnchainError::Build("fee overflow".to_owned()))?;
        if fee > cap.for_amount(moved) {
            return Err(OnchainError::FeeAboveCap { fee, cap: cap.for_amount(moved) });
        }
        let value = moved.checked_sub(fee).filter(|value| *value >= tx.output[0].script_pubkey.minimal_non_dust());
        let Some(value) = value else { return Ok(None) };
        tx.output[0].value = value;
        self.sign(&mut tx, &ready)?;
        Ok(Some(tx))
    }

    fn sign(&self, tx: &mut Transaction, spent: &[(OutPoint, FoundOutput)]) -> Result<(), OnchainError> {
        let secp = Secp256k1::signing_only();
        let mut witnesses = Vec::with_capacity(spent.len());
        let mut sighashes = SighashCache::new(&*tx);
        for (index, (_, output)) in spent.iter().enumerate() {
            let key = &self.keys[output.key as usize];
            let public = PublicKey::from_secret_key(&secp, key);
            let failed = |e: bitcoin::sighash::P2wpkhError| OnchainError::Build(e.to_string());
            let witness = if output.anchors {
                let script = get_to_countersigner_keyed_anchor_redeemscript(&public);
                let hash = sighashes
                    .p2wsh_signature_hash(index, &script, output.value, EcdsaSighashType::All)
                    .map_err(|e| OnchainError::Build(e.to_string()))?;
                let signature = bitcoin::ecdsa::Signature::sighash_all(secp.sign_ecdsa(&Message::from(hash), key));
                Witness::from_slice(&[signature.to_vec(), script.into_bytes()])
            } else {
                let script = ScriptBuf::new_p2wpkh(&bitcoin::PublicKey::new(public).wpubkey_hash().map_err(|e| OnchainError::Build(e.to_string()))?);
                let hash = sighashes.p2wpkh_signature_hash(index, &script, output.value, EcdsaSighashType::All).map_err(failed)?;
                let signature = bitcoin::ecdsa::Signature::sighash_all(secp.sign_ecdsa(&Message::from(hash), key));
                Witness::p2wpkh(&signature, &public)
            };
            witnesses.push(witness);
        }
        for (input, witness) in tx.input.iter_mut().zip(witnesses) {
            input.witness = witness;
        }
        Ok(())
    }

    /// Notes a sweep the chain server took, so its outputs count as spent until the next scan.
    pub fn record_broadcast(&mut self, tx: &Transaction) {
        let txid = tx.compute_txid();
        for input in &tx.input {
            if let Some(found) = self.found.get_mut(&input.previous_output) {
                found.spent_by = Some((txid, false));
            }
        }
    }
}

/// The node's side of a watch: the watch, its scanner, and what it has found. Empty for a wallet
/// that was not restored, or whose watch has ended.
pub(super) struct ChannelRecovery<S> {
    sealed: Rc<SealedStore<S>>,
    watch: Cell<Option<RecoveryWatch>>,
    /// Also one round at a time: a round holds it from its scan to its sweep.
    scanner: AsyncMutex<Option<ChannelFundsScanner>>,
    /// Whether this start has scanned every script yet.
    scanned_whole: Cell<bool>,
    /// The height of the last round: a round runs once a block.
    last_round_height: Cell<Option<u32>>,
    progress: Cell<Option<RecoveryProgress>>,
}

impl<S: KvStore> ChannelRecovery<S> {
    /// Reads the watch from the store; at the first start after a restore (the vault's mark), starts
    /// one at `height`, in the same commit that takes the mark away.
    pub(super) async fn open(sealed: Rc<SealedStore<S>>, keys: &NodeKeys, network: Network, height: u32) -> Result<Self, NodeError> {
        let stored = sealed.get(RECOVERY_NAMESPACE, RECOVERY_WATCH_KEY).await.map_err(NodeError::from)?;
        let watch = match stored {
            Some(json) => Some(
                serde_json::from_slice::<RecoveryWatch>(&json)
                    .map_err(|_| NodeError::from(crate::store::sealed::SealedError::Integrity { kind: RECOVERY_NAMESPACE.to_owned() }))?,
            ),
            None if sealed.get(RECOVERY_NAMESPACE, RESTORED_KEY).await.map_err(NodeError::from)?.is_some() => {
                let watch = RecoveryWatch::starting_at(height);
                let json = serde_json::to_vec(&watch).expect("a watch serializes");
                sealed
                    .commit(vec![sealed.put_op(RECOVERY_NAMESPACE, RECOVERY_WATCH_KEY, &json), sealed.delete_op(RECOVERY_NAMESPACE, RESTORED_KEY)])
                    .await
                    .map_err(NodeError::from)?;
                Some(watch)
            }
            None => None,
        };
        let scanner = watch.map(|_| ChannelFundsScanner::new(keys, network)).transpose()?;
        Ok(ChannelRecovery {
            sealed,
            watch: Cell::new(watch),
            scanner: AsyncMutex::new(scanner),
            scanned_whole: Cell::new(false),
            last_round_height: Cell::new(None),
            progress: Cell::new(watch.map(|_| RecoveryProgress::default())),
        })
    }

    async fn set_watch(&self, watch: Option<RecoveryWatch>) -> Result<(), NodeError> {
        match watch {
            Some(watch) => {
                let json = serde_json::to_vec(&watch).expect("a watch serializes");
                self.sealed.put(RECOVERY_NAMESPACE, RECOVERY_WATCH_KEY, &json).await.map_err(NodeError::from)?;
            }
            None => self.sealed.delete(RECOVERY_NAMESPACE, RECOVERY_WATCH_KEY).await.map_err(NodeError::from)?,
        }
        self.watch.set(watch);
        Ok(())
    }

    pub(super) fn is_watching(&self) -> bool {
        self.watch.get().is_some()
    }
}

impl<P: Platform> LightningNode<P> {
    /// Where getting lost channels' funds back stands: `None` unless the wallet was restored and is
    /// still watching, or has found something since it started.
    pub fn channel_recovery(&self) -> Option<RecoveryProgress> {
        self.recovery.progress.get()
    }

    /// One round of the watch, after a chain sync: every script when a scan is due (and once each
    /// start), else only what was found; then a sweep of what may be spent. Does nothing while
    /// another round runs, or without a watch.
    pub(super) async fn recover_channel_funds(self: &Rc<Self>) -> Result<(), NodeError> {
        let Some(watch) = self.recovery.watch.get() else { return Ok(()) };
        let Some(mut scanner) = self.recovery.scanner.try_lock() else { return Ok(()) };
        let Some(scanner_now) = scanner.as_mut() else { return Ok(()) };
        let height = self.parts.channel_manager.current_best_block().height;
        if self.recovery.last_round_height.get() == Some(height) {
            return Ok(());
        }
        let full = watch.is_due(height) || !self.recovery.scanned_whole.get();
        let following = self.recovery.progress.get().is_some_and(|p| p.back_in_blocks.is_some());
        if !full && !following {
            return Ok(());
        }
        scanner_now.scan(&self.chain.primary, full).await?;
        if full {
            self.recovery.scanned_whole.set(true);
            let next = watch.scanned_at(height);
            self.recovery.set_watch(Some(next)).await?;
        }
        self.sweep_found(scanner_now).await?;
        let progress = scanner_now.progress();
        self.recovery.progress.set(Some(progress));
        self.recovery.last_round_height.set(Some(height));
        if watch.is_over(height) && progress.back_in_blocks.is_none() {
            // What was found is home; nothing more is looked for.
            self.recovery.set_watch(None).await?;
            *scanner = None;
            if progress.found == 0 {
                self.recovery.progress.set(None);
            }
        }
        Ok(())
    }

    /// Moves what was found and may be spent to the on-chain wallet, once the chain server takes it.
    async fn sweep_found(&self, scanner: &mut ChannelFundsScanner) -> Result<(), NodeError> {
        if !scanner.has_spendable() {
            return Ok(());
        }
        let sat_per_vb = self.parts.fees.sat_per_vb(SWEEP_TARGET_BLOCKS).ceil() as u64;
        let fee_rate = FeeRate::from_sat_per_vb(sat_per_vb).unwrap_or(FeeRate::BROADCAST_MIN);
        let mut onchain = self.onchain.lock().await;
        let to = onchain.close_address().await?.script_pubkey();
        let Some(tx) = scanner.sweep(to, fee_rate, self.config.onchain_fee_cap)? else { return Ok(()) };
        if let Err(e) = ChainSource::broadcast(&self.chain, &tx).await {
            log_warn!(self.parts.logger, "the sweep of a closed channel's funds was refused: {e}");
            return Err(NodeError::Chain(ChainFault::Refused { reason: e.to_string() }));
        }
        let now = self.platform.now();
        onchain.record_broadcast(&tx, now).await?;
        scanner.record_broadcast(&tx);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bitcoin::hashes::Hash as _;

    use super::*;
    use crate::mnemonic::RecoveryPhrase;
    use lightning::sign::KeysManager;

    #[test]
    fn the_scanner_watches_exactly_the_scripts_ldk_closes_to() {
        let keys = NodeKeys::derive(&RecoveryPhrase::generate(), Network::Regtest);
        let manager: KeysManager = keys.keys_manager(Duration::from_secs(1_700_000_000));
        let ldk = manager.possible_v2_counterparty_closed_balance_spks(&bitcoin::secp256k1::Secp256k1::new());
        let ours = ChannelFundsScanner::new(&keys, Network::Regtest).expect("a scanner").scripts();
        assert_eq!(ours.len(), 2_000);
        assert_eq!(ours, ldk, "the same scripts, in the same order");
    }

    #[test]
    fn what_was_found_is_swept_once_its_close_confirms_and_the_person_is_told_how_far_it_is() {
        let keys = NodeKeys::derive(&RecoveryPhrase::generate(), Network::Regtest);
        let mut scanner = ChannelFundsScanner::new(&keys, Network::Regtest).expect("a scanner");
        let to = ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([7; 20]));
        let rate = FeeRate::from_sat_per_vb(2).expect("a rate");
        assert_eq!(scanner.progress(), RecoveryProgress::default());
        assert_eq!(scanner.sweep(to.clone(), rate, FeeCap::DEFAULT).expect("nothing to sweep"), None);

        let close = OutPoint::new(Txid::from_byte_array([1; 32]), 2);
        let anchors = FoundOutput { value: Amount::from_sat(150_000), key: 417, anchors: true, confirmed: false, spent_by: None };
        scanner.found.insert(close, anchors);
        assert_eq!(scanner.progress().back_in_blocks, Some(2), "the close confirms, then the sweep");
        assert_eq!(scanner.sweep(to.clone(), rate, FeeCap::DEFAULT).expect("waits"), None, "an unconfirmed close waits");

        scanner.found.insert(close, FoundOutput { confirmed: true, ..anchors });
        let plain = OutPoint::new(Txid::from_byte_array([2; 32]), 0);
        scanner.found.insert(plain, FoundOutput { value: Amount::from_sat(20_000), key: 3, anchors: false, confirmed: true, spent_by: None });
        assert_eq!(scanner.progress().back_in_blocks, Some(1));
        let sweep = scanner.sweep(to.clone(), rate, FeeCap::DEFAULT).expect("a sweep").expect("something to sweep");
        assert_eq!(
            sweep.input.iter().map(|i| (i.previous_output, i.sequence)).collect::<Vec<_>>(),
            vec![(close, Sequence::from_height(1)), (plain, Sequence::ENABLE_RBF_NO_LOCKTIME)]
        );
        assert_eq!(sweep.input[0].witness.len(), 2, "signature and witness script");
        assert_eq!(sweep.output.len(), 1);
        assert_eq!(sweep.output[0].script_pubkey, to);
        let fee = Amount::from_sat(170_000) - sweep.output[0].value;
        let vbytes = sweep.weight().to_vbytes_ceil();
        assert!(fee >= rate.fee_vb(vbytes).expect("fee") && fee <= rate.fee_vb(vbytes + 3).expect("fee"), "{fee} for {vbytes} vB");

        scanner.record_broadcast(&sweep);
        let progress = scanner.progress();
        assert_eq!((progress.found, progress.found_sat, progress.swept_sat, progress.back_in_blocks), (2, 170_000, 170_000, Some(1)));
        for found in scanner.found.values_mut() {
            found.spent_by = found.spent_by.map(|(txid, _)| (txid, true));
        }
        assert_eq!(scanner.progress().back_in_blocks, None, "home");

        // A find too small to pay for its own sweep stays where it is; a fee above the cap is refused.
        let mut small = ChannelFundsScanner::new(&keys, Network::Regtest).expect("a scanner");
        small.found.insert(close, FoundOutput { value: Amount::from_sat(400), confirmed: true, ..anchors });
        assert_eq!(small.sweep(to.clone(), rate, FeeCap::DEFAULT).expect("nothing worth it"), None);
        let dear = FeeRate::from_sat_per_vb(500).expect("a rate");
        let mut capped = ChannelFundsScanner::new(&keys, Network::Regtest).expect("a scanner");
        capped.found.insert(close, FoundOutput { confirmed: true, ..anchors });
        assert!(matches!(capped.sweep(to, dear, FeeCap::DEFAULT), Err(OnchainError::FeeAboveCap { .. })));
    }

    #[test]
    fn a_watch_scans_at_once_then_ever_further_apart_then_ends() {
        let watch = RecoveryWatch::starting_at(100);
        assert!(watch.is_due(100));
        let mut watch = watch.scanned_at(100);
        assert!(!watch.is_due(100) && watch.is_due(101));
        let mut scans = vec![];
        let mut height = 101;
        while !watch.is_over(height) {
            if watch.is_due(height) {
                scans.push(height);
                watch = watch.scanned_at(height);
            }
            height += 1;
        }
        assert_eq!(&scans[..8], &[101, 103, 107, 115, 131, 163, 227, 355], "1, 2, 4 … blocks apart");
        assert!(scans.windows(2).all(|w| w[1] - w[0] <= MAX_SCAN_STEP), "a day apart at most");
        assert_eq!(height, 100 + WATCH_BLOCKS + 1, "two weeks");
        assert!(scans.len() < 25, "{} scans in two weeks", scans.len());
    }
}
