//! The backup file: the whole wallet as the browser stores it, in one file a person keeps elsewhere.
//!
//! Every record is already sealed under the vault's data key and named blindly, and the vault header
//! wraps that key under the passphrase, so the file copies them as they are: it is as readable as the
//! browser's storage (nothing without the passphrase) and restores to the same wallet, records and
//! names unchanged. The file adds what the storage does not have: the node's id and when it was made,
//! readable before the passphrase is asked, and a tag over the whole file under a key derived from
//! the data key, so a file cut short, with a record left out or put back from an older file, is
//! refused whole instead of restoring a wallet with a hole in it.
//!
//! **Format 1** (integers little-endian):
//!
//! | bytes | what |
//! |---|---|
//! | 4 | `BLXB` |
//! | 1 | format, 1 |
//! | 8 | when it was made, seconds since 1970 |
//! | 33 | the node's id (a compressed public key) |
//! | 4 + n | the vault header, its length first |
//! | 4 | how many records follow |
//! | each: 4 + n, 4 + m | the record's raw key (UTF-8) and its sealed value, each length first |
//! | 32 | HMAC-SHA256 of everything before it, under the data key's `blixtra/backup-file/v1` subkey |
//!
//! A restored backup may be older than its channels' latest state: the node does not act on those
//! channels until their peer has shown their state to be the latest ([`crate::node::channel_checks`]).

use bitcoin::secp256k1::PublicKey;

use crate::record_names::{FROM_BACKUP_KEY, RECOVERY_NAMESPACE, RESTORED_KEY, SEALED_PREFIX, VAULT_HEADER};
use crate::store::sealed::SealedStore;
use crate::store::{KvStore, Op};
use crate::vault::{open_header, Vault, VaultError};

const MAGIC: &[u8; 4] = b"BLXB";
const FORMAT: u8 = 1;
const TAG_LEN: usize = 32;
/// The largest file read: far above a wallet's few megabytes, far below what would stall a tab.
pub const MAX_FILE_BYTES: usize = 256 * 1024 * 1024;

/// Why a backup could not be made or restored. Nothing was written when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackupError {
    #[error("this is not a Blixtra backup file")]
    NotABackup,
    #[error("this backup was made by a newer Blixtra (format {found}); update Blixtra to restore it")]
    NewerFormat { found: u8 },
    #[error("the backup file is damaged or was changed: {0}")]
    Damaged(Damage),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// What is wrong with a damaged backup file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    #[error("it is cut short")]
    CutShort,
    #[error("it is larger than any wallet")]
    TooLarge,
    #[error("its node id is not a public key")]
    NodeId,
    #[error("a record's name is not one Blixtra writes")]
    RecordName,
    #[error("it has bytes after its last record")]
    TrailingBytes,
    #[error("its contents do not match its seal")]
    Seal,
}

/// A backup file read and checked for its shape; its tag is checked by [`BackupFile::restore`], which
/// needs the passphrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFile {
    /// When the file was made, in seconds since 1970.
    pub made_at: u64,
    /// The node whose wallet it holds.
    pub node_id: PublicKey,
    header: Vec<u8>,
    records: Vec<(String, Vec<u8>)>,
    /// The file's bytes before its tag, and the tag.
    signed: Vec<u8>,
    tag: [u8; TAG_LEN],
}

impl BackupFile {
    /// Makes the backup file of the wallet in `store`, whose node is `node_id`, at `made_at`.
    ///
    /// Reads the whole store in one scan (one snapshot in IndexedDB), so the file holds every record
    /// as of one moment: the channel monitors and their manager as they were committed together.
    pub async fn export<S: KvStore>(store: &SealedStore<S>, node_id: PublicKey, made_at: u64) -> Result<Vec<u8>, BackupError> {
        let everything = store.backing().scan("").await.map_err(VaultError::from)?;
        let mut header = None;
        let mut records = Vec::new();
        for (key, value) in everything {
            if key == VAULT_HEADER {
                header = Some(value);
            } else if key.starts_with(SEALED_PREFIX) {
                records.push((key, value));
            }
        }
        let header = header.ok_or(VaultError::NoVault)?;
        let mut file = Vec::with_capacity(records.iter().map(|(k, v)| 8 + k.len() + v.len()).sum::<usize>() + 256);
        file.extend_from_slice(MAGIC);
        file.push(FORMAT);
        file.extend_from_slice(&made_at.to_le_bytes());
        file.extend_from_slice(&node_id.serialize());
        put_bytes(&mut file, &header);
        file.extend_from_slice(&(records.len() as u32).to_le_bytes());
        for (key, value) in &records {
            put_bytes(&mut file, key.as_bytes());
            put_bytes(&mut file, value);
        }
        let tag = store.backup_tag(&file);
        file.extend_from_slice(&tag);
        Ok(file)
    }

    /// Reads a backup file's shape: what it says it is, without the passphrase.
    pub fn read(bytes: &[u8]) -> Result<Self, BackupError> {
        if bytes.len() < MAGIC.len() + 1 || &bytes[..4] != MAGIC {
            return Err(BackupError::NotABackup);
        }
        if bytes[4] != FORMAT {
            return Err(if bytes[4] > FORMAT { BackupError::NewerFormat { found: bytes[4] } } else { BackupError::NotABackup });
        }
        if bytes.len() > MAX_FILE_BYTES {
            return Err(BackupError::Damaged(Damage::TooLarge));
        }
        let cut_short = BackupError::Damaged(Damage::CutShort);
        let signed_len = bytes.len().checked_sub(TAG_LEN).filter(|len| *len > 5).ok_or(cut_short.clone())?;
        let (signed, tag) = bytes.split_at(signed_len);
        let mut rest = &signed[5..];
        let made_at = u64::from_le_bytes(take(&mut rest, 8).ok_or(cut_short.clone())?.try_into().expect("8 bytes"));
        let node_id = PublicKey::from_slice(take(&mut rest, 33).ok_or(cut_short.clone())?).map_err(|_| BackupError::Damaged(Damage::NodeId))?;
        let header = take_bytes(&mut rest).ok_or(cut_short.clone())?.to_vec();
        let count = u32::from_le_bytes(take(&mut rest, 4).ok_or(cut_short.clone())?.try_into().expect("4 bytes"));
        let mut records = Vec::new();
        for _ in 0..count {
            let key = take_bytes(&mut rest).ok_or(cut_short.clone())?;
            let key = String::from_utf8(key.to_vec()).map_err(|_| BackupError::Damaged(Damage::RecordName))?;
            if !key.starts_with(SEALED_PREFIX) {
                return Err(BackupError::Damaged(Damage::RecordName));
            }
            let value = take_bytes(&mut rest).ok_or(cut_short.clone())?.to_vec();
            records.push((key, value));
        }
        if !rest.is_empty() {
            return Err(BackupError::Damaged(Damage::TrailingBytes));
        }
        Ok(BackupFile { made_at, node_id, header, records, signed: signed.to_vec(), tag: tag.try_into().expect("32 bytes") })
    }

    /// How many sealed records the file holds.
    pub fn record_count(&self) -> usize {
        self.records.len()
    }

    /// Restores the wallet into an empty `backing`, unlocked with `passphrase` (the one the wallet
    /// had when the file was made), and returns its vault.
    ///
    /// Writes the vault and every record in one commit, with two marks for the node: the records come
    /// from a backup (its channels wait for their peers' word, [`crate::node::channel_checks`]), and
    /// the wallet may have had channels the file does not know (opened after it was made), whose funds
    /// come back as after a restore from the words ([`crate::node::channel_recovery`]).
    pub async fn restore<S: KvStore>(self, backing: S, passphrase: &str) -> Result<Vault<S>, BackupError> {
        let data_key = open_header(&self.header, passphrase)?;
        let store = SealedStore::new(backing, &data_key);
        if store.backup_tag(&self.signed) != self.tag {
            return Err(BackupError::Damaged(Damage::Seal));
        }
        if Vault::exists(store.backing()).await? {
            return Err(VaultError::AlreadyExists.into());
        }
        let mut ops = Vec::with_capacity(self.records.len() + 3);
        // `Insert` fails the whole commit if another tab made a vault a moment ago.
        ops.push(Op::Insert { key: VAULT_HEADER.into(), value: self.header });
        ops.extend(self.records.into_iter().map(|(key, value)| Op::Put { key, value }));
        ops.push(store.put_op(RECOVERY_NAMESPACE, FROM_BACKUP_KEY, &self.made_at.to_le_bytes()));
        ops.push(store.put_op(RECOVERY_NAMESPACE, RESTORED_KEY, &[]));
        store.commit(ops).await.map_err(VaultError::from)?;
        Ok(Vault::unlocked(store).await?)
    }
}

fn put_bytes(file: &mut Vec<u8>, bytes: &[u8]) {
    file.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    file.extend_from_slice(bytes);
}

fn take<'a>(rest: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
    let taken = rest.get(..len)?;
    *rest = &rest[len..];
    Some(taken)
}

fn take_bytes<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = u32::from_le_bytes(take(rest, 4)?.try_into().ok()?) as usize;
    take(rest, len)
}
