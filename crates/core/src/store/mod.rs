//! The byte store every piece of wallet state lives in: a small async key-value trait that the browser
//! implements over IndexedDB, a memory implementation for native tests, and the sealing layer on top.
//!
//! Futures here are not `Send`: browser storage lives on one thread, and LDK's async traits without
//! its `std` feature do not ask for `Send` either.

pub mod memory;
pub mod sealed;

#[cfg(feature = "test-support")]
pub mod conformance;

pub use memory::MemoryStore;

/// One change in an atomic [`KvStore::commit`].
#[derive(Clone, PartialEq, Eq)]
pub enum Op {
    /// Writes `value` under `key`, replacing what was there.
    Put { key: String, value: Vec<u8> },
    /// Writes `value` under `key`, failing the whole commit with [`StoreError::AlreadyExists`] if the
    /// key is taken. Used where overwriting would destroy something (a second vault over the first).
    Insert { key: String, value: Vec<u8> },
    /// Removes `key`; removing an absent key is not an error.
    Delete { key: String },
}

impl Op {
    pub fn key(&self) -> &str {
        match self {
            Op::Put { key, .. } | Op::Insert { key, .. } | Op::Delete { key } => key,
        }
    }
}

impl std::fmt::Debug for Op {
    // Values are sealed bytes or headers, but keep them out of debug output anyway.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Put { key, value } => write!(f, "Put({key:?}, {} bytes)", value.len()),
            Op::Insert { key, value } => write!(f, "Insert({key:?}, {} bytes)", value.len()),
            Op::Delete { key } => write!(f, "Delete({key:?})"),
        }
    }
}

/// Why the backing store could not do what was asked. Nothing was changed when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the browser's storage is not available ({reason}); a private window may block it")]
    Unavailable { reason: String },
    #[error("the browser's storage is full; free some space and try again")]
    QuotaExceeded,
    #[error("a record already exists where a new one was to be created")]
    AlreadyExists { key: String },
    #[error("storage failed during {operation}: {message}")]
    Backend { operation: &'static str, message: String },
}

/// An async key-value store of bytes, ordered by key.
///
/// Implementations must make [`KvStore::commit`] atomic and durable: when it returns `Ok`, every op is
/// on disk; when it returns `Err`, none is.
#[allow(async_fn_in_trait)] // Non-Send on purpose (see the module docs).
pub trait KvStore {
    /// Returns the value under `key`, if any.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Returns every entry whose key starts with `prefix`, in key order.
    async fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    /// Applies `ops` in order, all or nothing.
    async fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError>;

    /// Writes one value.
    async fn put(&self, key: &str, value: Vec<u8>) -> Result<(), StoreError> {
        self.commit(vec![Op::Put { key: key.to_owned(), value }]).await
    }

    /// Removes one key.
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.commit(vec![Op::Delete { key: key.to_owned() }]).await
    }
}
