//! The sealed store: wallet records encrypted and authenticated under the vault's data key, stored
//! under blinded names, over any [`KvStore`].
//!
//! A record is named by `(namespace, key)`. Its raw key is `r/<blind(namespace)>/<blind(namespace, key)>`,
//! so the backing store learns neither name (outpoints, payment hashes and node ids make good keys and
//! must not leak), yet every record of a namespace shares a raw prefix and can be listed. The real names
//! travel inside the sealed value and the raw key is the seal's associated data: a record moved to
//! another raw key, or a value from another record, fails to open.

use std::cell::Cell;

use zeroize::Zeroizing;

use super::{KvStore, Op, StoreError};
use crate::record_names::SEALED_PREFIX;
use crate::seal::SecretKey;

/// Binds the seal to its format version and to the raw key (see the module docs).
const CONTEXT_TAG: &[u8] = b"blixtra/record/v1\0";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealedError {
    /// A stored record was changed, truncated, moved or written under another key.
    #[error("a stored {kind} record failed its integrity check: it was changed or damaged outside Blixtra")]
    Integrity { kind: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What has been committed through a [`SealedStore`] since it was opened: every record the wallet
/// writes passes here, so this is what the wallet costs its storage (the benchmark's bytes and
/// transactions per payment).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoreWrites {
    /// Atomic commits (one IndexedDB transaction each in the browser).
    pub transactions: u64,
    /// Raw keys and sealed values written (a delete counts its key).
    pub bytes: u64,
}

/// Encrypts records on the way to a [`KvStore`] and checks them on the way back.
pub struct SealedStore<S> {
    backing: S,
    seal_key: SecretKey,
    blind_key: SecretKey,
    backup_key: SecretKey,
    writes: Cell<StoreWrites>,
}

impl<S: KvStore> SealedStore<S> {
    /// Wraps `backing`; both subkeys are derived from the vault's `data_key`.
    pub fn new(backing: S, data_key: &SecretKey) -> Self {
        Self {
            backing,
            seal_key: data_key.derive("blixtra/seal-records/v1"),
            blind_key: data_key.derive("blixtra/blind-names/v1"),
            backup_key: data_key.derive("blixtra/backup-file/v1"),
            writes: Cell::default(),
        }
    }

    /// Returns what has been committed through this store so far.
    pub fn writes(&self) -> StoreWrites {
        self.writes.get()
    }

    /// The tag that authenticates a backup file's `bytes` ([`crate::backup`]) as made from this store.
    pub(crate) fn backup_tag(&self, bytes: &[u8]) -> [u8; 32] {
        self.backup_key.mac(bytes)
    }

    pub fn backing(&self) -> &S {
        &self.backing
    }

    /// Returns the value of a record, if it exists.
    pub async fn get(&self, namespace: &str, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, SealedError> {
        let raw_key = self.raw_key(namespace, key);
        match self.backing.get(&raw_key).await? {
            None => Ok(None),
            Some(sealed) => {
                let (found_namespace, found_key, value) = self.open(namespace, &raw_key, &sealed)?;
                if found_namespace != namespace || found_key != key {
                    return Err(integrity(namespace));
                }
                Ok(Some(value))
            }
        }
    }

    /// Returns the keys of `namespace` that start with `key_prefix` (`""` for all), sorted.
    pub async fn list(&self, namespace: &str, key_prefix: &str) -> Result<Vec<String>, SealedError> {
        Ok(self.entries(namespace, key_prefix).await?.into_iter().map(|(key, _)| key).collect())
    }

    /// Returns the records of `namespace` whose keys start with `key_prefix`, sorted by key: one
    /// read of the backing store (one IndexedDB transaction), where `list` then `get` for each key
    /// would be one per record.
    pub async fn entries(&self, namespace: &str, key_prefix: &str) -> Result<Vec<(String, Zeroizing<Vec<u8>>)>, SealedError> {
        let mut entries = Vec::new();
        for (raw_key, sealed) in self.backing.scan(&self.namespace_prefix(namespace)).await? {
            let (found_namespace, found_key, value) = self.open(namespace, &raw_key, &sealed)?;
            if found_namespace != namespace || raw_key != self.raw_key(namespace, &found_key) {
                return Err(integrity(namespace));
            }
            if found_key.starts_with(key_prefix) {
                entries.push((found_key, value));
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(entries)
    }

    /// Writes one record.
    pub async fn put(&self, namespace: &str, key: &str, value: &[u8]) -> Result<(), SealedError> {
        self.commit(vec![self.put_op(namespace, key, value)]).await
    }

    /// Removes one record.
    pub async fn delete(&self, namespace: &str, key: &str) -> Result<(), SealedError> {
        self.commit(vec![self.delete_op(namespace, key)]).await
    }

    /// Applies ops made by [`SealedStore::put_op`] and [`SealedStore::delete_op`] (and raw ones) at once.
    pub async fn commit(&self, ops: Vec<Op>) -> Result<(), SealedError> {
        let bytes: usize = ops
            .iter()
            .map(|op| match op {
                Op::Put { key, value } | Op::Insert { key, value } => key.len() + value.len(),
                Op::Delete { key } => key.len(),
            })
            .sum();
        self.backing.commit(ops).await?;
        let mut writes = self.writes.get();
        writes.transactions += 1;
        writes.bytes += bytes as u64;
        self.writes.set(writes);
        Ok(())
    }

    /// Returns the op that writes one sealed record, for an atomic [`SealedStore::commit`].
    pub fn put_op(&self, namespace: &str, key: &str, value: &[u8]) -> Op {
        let raw_key = self.raw_key(namespace, key);
        let mut plaintext = Zeroizing::new(Vec::with_capacity(8 + namespace.len() + key.len() + value.len()));
        for name in [namespace, key] {
            plaintext.extend_from_slice(&(name.len() as u32).to_le_bytes());
            plaintext.extend_from_slice(name.as_bytes());
        }
        plaintext.extend_from_slice(value);
        let value = self.seal_key.seal(&context(&raw_key), &plaintext);
        Op::Put { key: raw_key, value }
    }

    /// Returns the op that removes one sealed record.
    pub fn delete_op(&self, namespace: &str, key: &str) -> Op {
        Op::Delete { key: self.raw_key(namespace, key) }
    }

    fn namespace_prefix(&self, namespace: &str) -> String {
        format!("{SEALED_PREFIX}{}/", self.blind_key.blind(&["namespace", namespace]))
    }

    fn raw_key(&self, namespace: &str, key: &str) -> String {
        format!("{}{}", self.namespace_prefix(namespace), self.blind_key.blind(&["record", namespace, key]))
    }

    /// Opens a sealed value; returns its real namespace, key and value.
    fn open(&self, namespace: &str, raw_key: &str, sealed: &[u8]) -> Result<(String, String, Zeroizing<Vec<u8>>), SealedError> {
        let plaintext = self.seal_key.open(&context(raw_key), sealed).map_err(|_| integrity(namespace))?;
        let mut rest = &plaintext[..];
        let mut names = [String::new(), String::new()];
        for name in &mut names {
            *name = take_name(&mut rest).ok_or_else(|| integrity(namespace))?;
        }
        let [found_namespace, found_key] = names;
        Ok((found_namespace, found_key, Zeroizing::new(rest.to_vec())))
    }
}

fn context(raw_key: &str) -> Vec<u8> {
    [CONTEXT_TAG, raw_key.as_bytes()].concat()
}

/// Reads one length-prefixed UTF-8 name off the front of `rest`.
fn take_name(rest: &mut &[u8]) -> Option<String> {
    let len_bytes: [u8; 4] = rest.get(..4)?.try_into().ok()?;
    let len = u32::from_le_bytes(len_bytes) as usize;
    let name = rest.get(4..4 + len)?;
    let name = String::from_utf8(name.to_vec()).ok()?;
    *rest = &rest[4 + len..];
    Some(name)
}

/// The integrity error for a record of `namespace`, naming only its public kind (see [`crate::record_names`]).
fn integrity(namespace: &str) -> SealedError {
    SealedError::Integrity { kind: namespace.split('/').next().unwrap_or_default().to_owned() }
}
