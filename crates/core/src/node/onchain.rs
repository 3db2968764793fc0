//! The on-chain wallet: BDK over BIP84 descriptors from the vault's phrase (see [`super::key_derivation`]), its
//! state sealed in the wallet's store, synced over Esplora with `bdk_esplora`.
//!
//! **Persistence.** BDK stages what each change adds ([`Wallet::take_staged`]); this wallet keeps the
//! merged whole and writes it as one sealed record in one commit, so a crash leaves either the old or
//! the new state, never half. An address is handed out only after the reveal that made it is
//! committed: a restore scans at least that far.
//!
//! BDK's `AsyncWalletPersister` is not used: it wants `Send` futures, and IndexedDB's are not.
//!
//! **Coins are spent once.** BDK counts a coin spent only once it sees the spending transaction, and
//! a channel's funding is signed some seconds before LDK broadcasts it. So the inputs of every signed
//! transaction are reserved until it is recorded as broadcast or abandoned, and the amount of a
//! channel being opened is promised from the moment it is asked for until its funding is signed: no
//! other payment or open may spend either. (Held in memory: after a reload, LDK's own rebroadcast of
//! an unconfirmed funding is what remains.)

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::time::Duration;

use bdk_esplora::EsploraAsyncExt;
use bdk_wallet::chain::Merge;
use bdk_wallet::error::CreateTxError;
use bdk_wallet::{Balance, ChangeSet, KeychainKind, LoadError, SignOptions, Wallet};
use bitcoin::hashes::Hash as _;
use bitcoin::{Address, Amount, FeeRate, Network, OutPoint, ScriptBuf, Transaction, Txid};

use super::key_derivation::NodeKeys;
use crate::record_names::{ONCHAIN_KEY, ONCHAIN_NAMESPACE};
use crate::store::sealed::{SealedError, SealedStore};
use crate::store::KvStore;

/// Addresses past the last used one that a full scan looks at before it stops (BIP44's gap).
const STOP_GAP: usize = 20;
/// Esplora requests a sync keeps in flight at once.
const PARALLEL_REQUESTS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum OnchainError {
    #[error(transparent)]
    Store(#[from] SealedError),
    #[error("the stored on-chain wallet cannot be read: {0}")]
    Corrupt(String),
    /// The stored wallet was made from other keys or for another network.
    #[error("the stored on-chain wallet does not belong to this wallet's keys and network: {0}")]
    Mismatch(String),
    #[error("the on-chain sync failed: {0}")]
    Chain(String),
    #[error("not enough on-chain funds: {needed} needed, {available} available")]
    InsufficientFunds { needed: Amount, available: Amount },
    /// The transaction would pay more fee than the person's cap allows.
    #[error("the fee of {fee} is above the cap of {cap}")]
    FeeAboveCap { fee: Amount, cap: Amount },
    #[error("not a bitcoin address: {0}")]
    InvalidAddress(String),
    #[error("the address is for {found}, this wallet is on {expected}")]
    WrongNetwork { expected: Network, found: String },
    #[error("the amount is below the dust limit: too small to send on chain")]
    Dust,
    #[error("the transaction cannot be built: {0}")]
    Build(String),
}

/// How much to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendAmount {
    Exactly(Amount),
    /// Everything the wallet holds, less the fee.
    All,
}

/// The most fee an on-chain transaction the wallet signs may pay: the larger of `percent` of what it
/// moves and `floor`. Signing refuses a transaction above it, whatever the fee estimates say (a
/// lying chain server's among them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeCap {
    pub percent: u8,
    pub floor: Amount,
}

impl FeeCap {
    pub const DEFAULT: FeeCap = FeeCap { percent: 2, floor: Amount::from_sat(5_000) };

    /// The cap for a transaction that moves `moved`.
    pub fn for_amount(&self, moved: Amount) -> Amount {
        Amount::from_sat(moved.to_sat() / 100 * u64::from(self.percent)).max(self.floor)
    }
}

/// A signed transaction, not yet broadcast, and what it costs.
#[derive(Debug, Clone)]
pub struct SignedTx {
    pub tx: Transaction,
    pub fee: Amount,
}

/// What one sync changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSummary {
    pub full_scan: bool,
    pub tip_height: u32,
    pub balance_before: Amount,
    pub balance_after: Amount,
}

pub struct OnchainWallet<S> {
    wallet: Wallet,
    /// Everything ever staged, merged: what the store holds.
    persisted: ChangeSet,
    sealed: Rc<SealedStore<S>>,
    /// The inputs of signed transactions not yet broadcast, by transaction.
    reserved: BTreeMap<Txid, Vec<OutPoint>>,
    /// What channels being opened will take, by their `user_channel_id`, until their funding is signed.
    promised: HashMap<u128, Amount>,
    fee_cap: FeeCap,
}

impl<S: KvStore> OnchainWallet<S> {
    /// Opens the wallet stored in `sealed`, or creates it (and commits it) if there is none.
    pub async fn open(keys: &NodeKeys, network: Network, sealed: Rc<SealedStore<S>>) -> Result<Self, OnchainError> {
        let (external, internal) = (keys.descriptor(KeychainKind::External), keys.descriptor(KeychainKind::Internal));
        let stored = match sealed.get(ONCHAIN_NAMESPACE, ONCHAIN_KEY).await? {
            Some(bytes) => serde_json::from_slice::<ChangeSet>(&bytes).map_err(|e| OnchainError::Corrupt(e.to_string()))?,
            None => ChangeSet::default(),
        };
        let loaded = Wallet::load()
            .descriptor(KeychainKind::External, Some(external.clone()))
            .descriptor(KeychainKind::Internal, Some(internal.clone()))
            .check_network(network)
            .extract_keys()
            .load_wallet_no_persist(stored.clone())
            .map_err(load_error)?;
        let mut opened = match loaded {
            Some(wallet) => Self { wallet, persisted: stored, sealed, reserved: BTreeMap::new(), promised: HashMap::new(), fee_cap: FeeCap::DEFAULT },
            None => {
                let wallet =
                    Wallet::create(external, internal).network(network).create_wallet_no_persist().map_err(|e| OnchainError::Build(e.to_string()))?;
                Self {
                    wallet,
                    persisted: ChangeSet::default(),
                    sealed,
                    reserved: BTreeMap::new(),
                    promised: HashMap::new(),
                    fee_cap: FeeCap::DEFAULT,
                }
            }
        };
        opened.persist().await?;
        Ok(opened)
    }

    /// Commits what changed since the last commit, if anything did.
    async fn persist(&mut self) -> Result<(), OnchainError> {
        let Some(staged) = self.wallet.take_staged() else { return Ok(()) };
        let mut whole = self.persisted.clone();
        whole.merge(staged);
        let bytes = serde_json::to_vec(&whole).map_err(|e| OnchainError::Corrupt(e.to_string()))?;
        self.sealed.put(ONCHAIN_NAMESPACE, ONCHAIN_KEY, &bytes).await?;
        self.persisted = whole;
        Ok(())
    }

    pub fn network(&self) -> Network {
        self.wallet.network()
    }

    pub fn balance(&self) -> Balance {
        self.wallet.balance()
    }

    /// Sets the most fee a transaction may pay ([`FeeCap::DEFAULT`] until set).
    pub fn set_fee_cap(&mut self, cap: FeeCap) {
        self.fee_cap = cap;
    }

    /// What a new payment or channel may spend: the confirmed and own unconfirmed coins, less those
    /// reserved by signed transactions and the amounts promised to channels being opened.
    pub fn spendable(&self) -> Amount {
        let promised: Amount = self.promised.values().copied().sum();
        self.balance().trusted_spendable().checked_sub(self.reserved_value() + promised).unwrap_or(Amount::ZERO)
    }

    /// What the reserved coins hold.
    fn reserved_value(&self) -> Amount {
        self.reserved.values().flatten().filter_map(|outpoint| self.wallet.get_utxo(*outpoint)).map(|coin| coin.txout.value).sum()
    }

    /// Promises `amount` to the channel `user_channel_id` is opening, if that much is spendable.
    pub fn promise(&mut self, user_channel_id: u128, amount: Amount) -> Result<(), OnchainError> {
        let available = self.spendable();
        if amount > available {
            return Err(OnchainError::InsufficientFunds { needed: amount, available });
        }
        self.promised.insert(user_channel_id, amount);
        Ok(())
    }

    /// Withdraws a channel's promise: its funding was signed, or it will never be.
    pub fn release_promise(&mut self, user_channel_id: u128) {
        self.promised.remove(&user_channel_id);
    }

    /// Returns an address to receive coins at, unused so far; committed before it is returned.
    pub async fn receive_address(&mut self) -> Result<Address, OnchainError> {
        let address = self.wallet.next_unused_address(KeychainKind::External).address;
        self.persist().await?;
        Ok(address)
    }

    /// Returns a change-keychain address for channel funds coming back (closes, claims); committed
    /// before it is returned, so a restore watches it.
    pub async fn close_address(&mut self) -> Result<Address, OnchainError> {
        let address = self.wallet.next_unused_address(KeychainKind::Internal).address;
        self.persist().await?;
        Ok(address)
    }

    /// Whether `script` pays this wallet.
    pub fn is_mine(&self, script: &ScriptBuf) -> bool {
        self.wallet.is_mine(script.clone())
    }

    /// Brings the wallet up to the server's chain. The first sync of a wallet that has never synced
    /// (a new or restored one) scans every keychain up to the gap; later ones ask only about the
    /// addresses handed out. `now` stamps what is seen in the mempool.
    pub async fn sync<C: EsploraAsyncExt>(&mut self, client: &C, now: Duration) -> Result<SyncSummary, OnchainError> {
        let balance_before = self.balance().total();
        let full_scan = self.wallet.latest_checkpoint().height() == 0;
        let update: bdk_wallet::Update = if full_scan {
            let request = self.wallet.start_full_scan_at(now.as_secs());
            client.full_scan(request, STOP_GAP, PARALLEL_REQUESTS).await.map_err(|e| OnchainError::Chain(e.to_string()))?.into()
        } else {
            let request = self.wallet.start_sync_with_revealed_spks_at(now.as_secs());
            client.sync(request, PARALLEL_REQUESTS).await.map_err(|e| OnchainError::Chain(e.to_string()))?.into()
        };
        self.wallet.apply_update(update).map_err(|e| OnchainError::Chain(format!("the server's chain does not connect to ours: {e}")))?;
        self.persist().await?;
        Ok(SyncSummary { full_scan, tip_height: self.wallet.latest_checkpoint().height(), balance_before, balance_after: self.balance().total() })
    }

    /// Builds and signs a payment to `to`. Nothing is recorded until [`Self::record_broadcast`]: a
    /// transaction that never reaches the network leaves the wallet as it was.
    pub fn sign_payment(&mut self, to: &Address, amount: SendAmount, fee_rate: FeeRate) -> Result<SignedTx, OnchainError> {
        let psbt = self.build_payment(to, amount, fee_rate)?;
        self.finish_signing(psbt)
    }

    /// What a payment would pay in fees, checked against the cap (what the send page shows before the
    /// person confirms): built as [`Self::sign_payment`] would, then given up.
    pub fn payment_fee(&mut self, to: &Address, amount: SendAmount, fee_rate: FeeRate) -> Result<Amount, OnchainError> {
        let psbt = self.build_payment(to, amount, fee_rate)?;
        self.wallet.cancel_tx(&psbt.unsigned_tx);
        psbt.fee().map_err(|e| OnchainError::Build(e.to_string()))
    }

    fn build_payment(&mut self, to: &Address, amount: SendAmount, fee_rate: FeeRate) -> Result<bitcoin::Psbt, OnchainError> {
        if !self.promised.is_empty() {
            // What a channel being opened was promised is not this payment's to take (BDK's own
            // selection below leaves out the reserved coins, and judges the rest).
            let promised: Amount = self.promised.values().copied().sum();
            let available = self.balance().total().checked_sub(self.reserved_value() + promised).unwrap_or(Amount::ZERO);
            match amount {
                SendAmount::Exactly(amount) if amount <= available => {}
                SendAmount::Exactly(needed) => return Err(OnchainError::InsufficientFunds { needed, available }),
                SendAmount::All => return Err(OnchainError::InsufficientFunds { needed: available + promised, available }),
            }
        }
        let reserved = self.reserved_coins();
        let mut builder = self.wallet.build_tx();
        builder.fee_rate(fee_rate).unspendable(reserved);
        match amount {
            SendAmount::Exactly(amount) => {
                builder.add_recipient(to.script_pubkey(), amount);
            }
            SendAmount::All => {
                builder.drain_wallet().drain_to(to.script_pubkey());
            }
        }
        let psbt = builder.finish().map_err(create_tx_error)?;
        let moved = psbt.unsigned_tx.output.iter().filter(|o| o.script_pubkey == to.script_pubkey()).map(|o| o.value).sum();
        self.check_fee(&psbt, moved)?;
        Ok(psbt)
    }

    /// Refuses a transaction whose fee is above the cap for what it moves; it is then given up.
    fn check_fee(&mut self, psbt: &bitcoin::Psbt, moved: Amount) -> Result<(), OnchainError> {
        let fee = psbt.fee().map_err(|e| OnchainError::Build(e.to_string()))?;
        let cap = self.fee_cap.for_amount(moved);
        if fee > cap {
            self.wallet.cancel_tx(&psbt.unsigned_tx);
            return Err(OnchainError::FeeAboveCap { fee, cap });
        }
        Ok(())
    }

    /// Builds and signs the funding transaction of the channel `user_channel_id` opens: `value` to
    /// LDK's `script`. Its promise is withdrawn either way.
    pub fn sign_funding(&mut self, user_channel_id: u128, script: ScriptBuf, value: Amount, fee_rate: FeeRate) -> Result<SignedTx, OnchainError> {
        self.release_promise(user_channel_id);
        let reserved = self.reserved_coins();
        let mut builder = self.wallet.build_tx();
        builder.fee_rate(fee_rate).unspendable(reserved).add_recipient(script, value);
        let psbt = builder.finish().map_err(create_tx_error)?;
        self.check_fee(&psbt, value)?;
        self.finish_signing(psbt)
    }

    /// What the funding of a channel of `value` would pay in fees at `fee_rate`, checked against the
    /// cap: built as it would be (to a stand-in for LDK's script, of the same size), then given up.
    pub fn funding_fee(&mut self, value: Amount, fee_rate: FeeRate) -> Result<Amount, OnchainError> {
        let stand_in = ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::from_byte_array([0; 32]));
        let reserved = self.reserved_coins();
        let mut builder = self.wallet.build_tx();
        builder.fee_rate(fee_rate).unspendable(reserved).add_recipient(stand_in, value);
        let psbt = builder.finish().map_err(create_tx_error)?;
        self.check_fee(&psbt, value)?;
        self.wallet.cancel_tx(&psbt.unsigned_tx);
        psbt.fee().map_err(|e| OnchainError::Build(e.to_string()))
    }

    fn reserved_coins(&self) -> Vec<OutPoint> {
        self.reserved.values().flatten().copied().collect()
    }

    fn finish_signing(&mut self, mut psbt: bitcoin::Psbt) -> Result<SignedTx, OnchainError> {
        let fee = psbt.fee().map_err(|e| OnchainError::Build(e.to_string()))?;
        let finalized = self.wallet.sign(&mut psbt, SignOptions::default()).map_err(|e| OnchainError::Build(e.to_string()))?;
        if !finalized {
            return Err(OnchainError::Build("not every input could be signed".to_owned()));
        }
        let tx = psbt.extract_tx().map_err(|e| OnchainError::Build(e.to_string()))?;
        self.reserved.insert(tx.compute_txid(), tx.input.iter().map(|input| input.previous_output).collect());
        Ok(SignedTx { tx, fee })
    }

    /// Returns the wallet's confirmed, unspent coins (what LDK may use to bump a force close).
    /// Coins a signed transaction reserved are left out (LDK's coin selection locks its own).
    pub fn confirmed_coins(&self) -> Vec<(bitcoin::OutPoint, bitcoin::TxOut)> {
        let reserved = self.reserved_coins();
        self.wallet
            .list_unspent()
            .filter(|coin| coin.chain_position.is_confirmed() && !reserved.contains(&coin.outpoint))
            .map(|coin| (coin.outpoint, coin.txout))
            .collect()
    }

    /// Signs the inputs of `psbt` that are the wallet's and leaves the others (LDK's anchor input)
    /// for their owner; returns the transaction with the wallet's inputs finalized.
    pub fn sign_own_inputs(&self, mut psbt: bitcoin::Psbt) -> Result<Transaction, OnchainError> {
        let options = SignOptions { trust_witness_utxo: true, ..SignOptions::default() };
        self.wallet.sign(&mut psbt, options).map_err(|e| OnchainError::Build(e.to_string()))?;
        Ok(psbt.extract_tx_unchecked_fee_rate())
    }

    /// Gives back the change address a signed transaction took, when it will not be broadcast.
    /// Its inputs are free again.
    pub fn abandon(&mut self, tx: &Transaction) {
        self.reserved.remove(&tx.compute_txid());
        self.wallet.cancel_tx(tx);
    }

    /// Records a transaction the network accepted, if it touches this wallet (others are ignored):
    /// its inputs are spent and its outputs pending until a sync sees it confirmed.
    pub async fn record_broadcast(&mut self, tx: &Transaction, now: Duration) -> Result<bool, OnchainError> {
        // From here BDK counts its inputs spent.
        self.reserved.remove(&tx.compute_txid());
        let (sent, received) = self.wallet.sent_and_received(tx);
        if sent == Amount::ZERO && received == Amount::ZERO {
            return Ok(false);
        }
        self.wallet.apply_unconfirmed_txs([(tx.clone(), now.as_secs())]);
        self.persist().await?;
        Ok(true)
    }

    /// Transactions touching the wallet: id, received, sent, confirmation height.
    pub fn history(&self) -> Vec<OnchainTx> {
        self.wallet
            .transactions()
            .map(|wallet_tx| {
                let (sent, received) = self.wallet.sent_and_received(&wallet_tx.tx_node.tx);
                let height = wallet_tx.chain_position.confirmation_height_upper_bound().filter(|_| wallet_tx.chain_position.is_confirmed());
                OnchainTx { txid: wallet_tx.tx_node.txid, sent, received, confirmation_height: height }
            })
            .collect()
    }
}

/// One transaction as the wallet sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnchainTx {
    pub txid: Txid,
    pub sent: Amount,
    pub received: Amount,
    pub confirmation_height: Option<u32>,
}

fn load_error(error: LoadError) -> OnchainError {
    match error {
        LoadError::Mismatch(mismatch) => OnchainError::Mismatch(format!("{mismatch:?}")),
        other => OnchainError::Corrupt(other.to_string()),
    }
}

fn create_tx_error(error: CreateTxError) -> OnchainError {
    match error {
        CreateTxError::CoinSelection(short) => OnchainError::InsufficientFunds { needed: short.needed, available: short.available },
        CreateTxError::OutputBelowDustLimit(_) => OnchainError::Dust,
        other => OnchainError::Build(other.to_string()),
    }
}

/// Parses a pasted address and checks it is for `network`.
pub fn parse_address(text: &str, network: Network) -> Result<Address, OnchainError> {
    let unchecked: Address<bitcoin::address::NetworkUnchecked> =
        text.trim().parse().map_err(|e: bitcoin::address::ParseError| OnchainError::InvalidAddress(e.to_string()))?;
    if unchecked.is_valid_for_network(network) {
        return Ok(unchecked.assume_checked());
    }
    // Testnet and signet share their prefixes: name them together.
    let found = [(Network::Bitcoin, "mainnet"), (Network::Testnet, "testnet or signet"), (Network::Regtest, "regtest")]
        .into_iter()
        .find(|(n, _)| unchecked.is_valid_for_network(*n))
        .map_or("another network", |(_, name)| name);
    Err(OnchainError::WrongNetwork { expected: network, found: found.to_owned() })
}
