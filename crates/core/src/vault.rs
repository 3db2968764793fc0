//! The vault: the wallet's recovery phrase and a random data key, locked by a passphrase.
//!
//! The data key seals every record (see [`crate::SealedStore`]); it is stored only wrapped, under a key
//! that Argon2id derives from the passphrase and a random salt. The header keeps the Argon2id parameters
//! beside the wrapped key so they can be raised later, and authenticates them with it: lowering them in
//! storage makes the unwrap fail instead of weakening the next unlock.

use std::rc::Rc;

use zeroize::Zeroizing;

use crate::mnemonic::RecoveryPhrase;
use crate::record_names::{RECOVERY_NAMESPACE, RESTORED_KEY, SEED_KEY, SEED_NAMESPACE, VAULT_HEADER};
use crate::seal::{SecretKey, KEY_LEN, OVERHEAD};
use crate::store::sealed::{SealedError, SealedStore};
use crate::store::{KvStore, Op, StoreError};

/// The shortest passphrase a new vault accepts, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

const MAGIC: &[u8; 4] = b"BLXV";
const FORMAT: u8 = 1;
const SALT_LEN: usize = 16;
/// Header bytes covered by the wrapped key's authentication: magic, format, parameters and salt.
const AUTHENTICATED_LEN: usize = 4 + 1 + 3 * 4 + SALT_LEN;
const HEADER_LEN: usize = AUTHENTICATED_LEN + KEY_LEN + OVERHEAD;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl KdfParams {
    /// What new vaults use: OWASP's Argon2id minimum memory (19 MiB) with 12 passes instead of its 2.
    /// The benchmark's goal is 250–600 ms for this key (`cargo xtask bench`): in the release build on
    /// the benchmark machine 2 passes took 108 ms and 6 took 191 ms (about 21 ms a pass). Passes add
    /// time without more memory, which a wasm page never gives back.
    pub const RECOMMENDED: KdfParams = KdfParams { memory_kib: 19 * 1024, iterations: 12, parallelism: 1 };

    /// The most memory an unlock gives the derivation: 64 MiB, a little over three times what new
    /// vaults use, and what a phone's tab can still allocate.
    pub const MAX_MEMORY_KIB: u32 = 64 * 1024;
    /// The most work an unlock does, in KiB-passes: four times what new vaults cost (about a second
    /// on the benchmark machine, at 21 ms a pass). Room for a later, costlier default; not for a tampered header's demand.
    pub const MAX_WORK: u64 = 4 * Self::RECOMMENDED.memory_kib as u64 * Self::RECOMMENDED.iterations as u64;

    /// Parameters an unlock refuses to run: a damaged or tampered header (the header is authenticated
    /// only by the key derived from it) must not make the tab allocate a gigabyte or spin for minutes.
    fn is_within_sane_bounds(&self) -> bool {
        (8..=Self::MAX_MEMORY_KIB).contains(&self.memory_kib)
            && (1..=64).contains(&self.iterations)
            && (1..=4).contains(&self.parallelism)
            && u64::from(self.memory_kib) * u64::from(self.iterations) <= Self::MAX_WORK
    }

    fn derive_key(&self, passphrase: &str, salt: &[u8]) -> Result<SecretKey, VaultError> {
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, Some(KEY_LEN))
            .map_err(|_| VaultError::Integrity { kind: "vault header".into() })?;
        let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        argon.hash_password_into(passphrase.as_bytes(), salt, &mut out[..]).map_err(|_| VaultError::Integrity { kind: "vault header".into() })?;
        Ok(SecretKey::from_bytes(*out))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("there is no wallet on this device yet")]
    NoVault,
    #[error("a wallet already exists on this device; wipe it first to make another")]
    AlreadyExists,
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("the passphrase must have at least {min} characters")]
    PassphraseTooShort { min: usize },
    #[error("a stored {kind} record failed its integrity check: it was changed or damaged outside Blixtra")]
    Integrity { kind: String },
    #[error(transparent)]
    Store(StoreError),
}

impl From<SealedError> for VaultError {
    fn from(e: SealedError) -> Self {
        match e {
            SealedError::Integrity { kind } => VaultError::Integrity { kind },
            SealedError::Store(e) => VaultError::Store(e),
        }
    }
}

impl From<StoreError> for VaultError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AlreadyExists { .. } => VaultError::AlreadyExists,
            other => VaultError::Store(other),
        }
    }
}

/// An unlocked vault: the only way to the wallet's sealed records. Dropping it locks the wallet (its keys
/// are wiped from memory).
pub struct Vault<S> {
    /// Shared with the node's parts (LDK's store, the on-chain wallet) while it runs.
    store: Rc<SealedStore<S>>,
}

impl<S: KvStore> Vault<S> {
    /// Tells whether `backing` holds a vault.
    pub async fn exists(backing: &S) -> Result<bool, VaultError> {
        Ok(backing.get(VAULT_HEADER).await?.is_some())
    }

    /// Creates a vault holding `phrase`, locked by `passphrase` through [`KdfParams::RECOMMENDED`].
    /// Refuses to replace an existing vault.
    pub async fn create(backing: S, phrase: &RecoveryPhrase, passphrase: &str) -> Result<Self, VaultError> {
        Self::create_with(backing, phrase, passphrase, false).await
    }

    /// Creates a vault, like [`Vault::create`], for a phrase made before: the wallet may have had
    /// channels, so the node is told to look for their funds ([`crate::node::channel_recovery`]).
    pub async fn restore(backing: S, phrase: &RecoveryPhrase, passphrase: &str) -> Result<Self, VaultError> {
        Self::create_with(backing, phrase, passphrase, true).await
    }

    async fn create_with(backing: S, phrase: &RecoveryPhrase, passphrase: &str, restored: bool) -> Result<Self, VaultError> {
        let params = KdfParams::RECOMMENDED;
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(VaultError::PassphraseTooShort { min: MIN_PASSPHRASE_CHARS });
        }
        if Self::exists(&backing).await? {
            return Err(VaultError::AlreadyExists);
        }
        let salt = crate::random_bytes::<SALT_LEN>();
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.push(FORMAT);
        for n in [params.memory_kib, params.iterations, params.parallelism] {
            header.extend_from_slice(&n.to_le_bytes());
        }
        header.extend_from_slice(&salt);
        let data_key = SecretKey::random();
        let wrapping_key = params.derive_key(passphrase, &salt)?;
        let wrapped = wrapping_key.seal(&header, data_key.as_bytes());
        header.extend_from_slice(&wrapped);

        let store = SealedStore::new(backing, &data_key);
        let seed_op = store.put_op(SEED_NAMESPACE, SEED_KEY, phrase.to_phrase().as_bytes());
        // One atomic commit: a crash leaves either no vault or a whole one. `Insert` keeps a vault that
        // another tab created a moment ago from being overwritten.
        let mut ops = vec![Op::Insert { key: VAULT_HEADER.into(), value: header }, seed_op];
        if restored {
            ops.push(store.put_op(RECOVERY_NAMESPACE, RESTORED_KEY, &[]));
        }
        store.commit(ops).await?;
        Ok(Self { store: Rc::new(store) })
    }

    /// Unlocks the vault in `backing` with `passphrase`.
    pub async fn unlock(backing: S, passphrase: &str) -> Result<Self, VaultError> {
        let header = backing.get(VAULT_HEADER).await?.ok_or(VaultError::NoVault)?;
        let data_key = open_header(&header, passphrase)?;
        let vault = Self { store: Rc::new(SealedStore::new(backing, &data_key)) };
        // Open the seed now so a damaged vault says so at unlock, not later in the middle of a payment.
        vault.recovery_phrase().await?;
        Ok(vault)
    }

    /// Unlocks a vault whose records [`crate::backup`] has just written.
    pub(crate) async fn unlocked(store: SealedStore<S>) -> Result<Self, VaultError> {
        let vault = Self { store: Rc::new(store) };
        vault.recovery_phrase().await?;
        Ok(vault)
    }

    /// Returns the vault's Argon2id parameters without unlocking it (for tests of the header).
    #[cfg(feature = "test-support")]
    pub async fn kdf_params(backing: &S) -> Result<KdfParams, VaultError> {
        let header = backing.get(VAULT_HEADER).await?.ok_or(VaultError::NoVault)?;
        Ok(parse_header(&header)?.0)
    }

    /// Deletes the vault and every record, all at once. Needs no passphrase: it is how a person who
    /// forgot theirs starts over (and restores from the recovery phrase).
    pub async fn wipe(backing: &S) -> Result<(), VaultError> {
        let ops = backing.scan("").await?.into_iter().map(|(key, _)| Op::Delete { key }).collect();
        Ok(backing.commit(ops).await?)
    }

    /// Returns the recovery phrase.
    pub async fn recovery_phrase(&self) -> Result<RecoveryPhrase, VaultError> {
        let integrity = || VaultError::Integrity { kind: SEED_NAMESPACE.into() };
        let bytes = self.store.get(SEED_NAMESPACE, SEED_KEY).await?.ok_or_else(integrity)?;
        let phrase = std::str::from_utf8(&bytes).map_err(|_| integrity())?;
        RecoveryPhrase::parse(phrase).map_err(|_| integrity())
    }

    /// Returns the sealed store, where all other wallet state lives.
    pub fn store(&self) -> &SealedStore<S> {
        &self.store
    }

    /// Returns the sealed store for a part of the wallet that keeps it (the node).
    ///
    /// **Warning:** the data key lives as long as the last holder: locking the wallet must stop the
    /// node too, or its keys stay in memory.
    pub fn shared_store(&self) -> Rc<SealedStore<S>> {
        self.store.clone()
    }
}

/// Returns the data key a vault header wraps, unwrapped with `passphrase`.
pub(crate) fn open_header(header: &[u8], passphrase: &str) -> Result<SecretKey, VaultError> {
    let (params, salt, wrapped) = parse_header(header)?;
    let wrapping_key = params.derive_key(passphrase, salt)?;
    let data_key = wrapping_key.open(&header[..AUTHENTICATED_LEN], wrapped).map_err(|_| VaultError::WrongPassphrase)?;
    let data_key: [u8; KEY_LEN] = data_key[..].try_into().map_err(|_| VaultError::Integrity { kind: "vault header".into() })?;
    Ok(SecretKey::from_bytes(data_key))
}

fn parse_header(header: &[u8]) -> Result<(KdfParams, &[u8], &[u8]), VaultError> {
    let damaged = || VaultError::Integrity { kind: "vault header".into() };
    if header.len() != HEADER_LEN || &header[..4] != MAGIC || header[4] != FORMAT {
        return Err(damaged());
    }
    let word = |at: usize| u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]);
    let params = KdfParams { memory_kib: word(5), iterations: word(9), parallelism: word(13) };
    if !params.is_within_sane_bounds() {
        return Err(damaged());
    }
    Ok((params, &header[17..AUTHENTICATED_LEN], &header[AUTHENTICATED_LEN..]))
}
