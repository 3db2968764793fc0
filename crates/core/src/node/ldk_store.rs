//! LDK's async `KVStore` over the sealed store: channel monitors, their updates, the channel manager,
//! the network graph and the scorer, all sealed under blinded names like every other record.
//!
//! LDK names a record by `(primary namespace, secondary namespace, key)`; here it is the sealed
//! record `(ldk/{primary}/{secondary}, key)`, so every LDK record is of kind `ldk` in error messages.
//!
//! **Ordering.** LDK may start two writes to one key and await them in any order; the store must never
//! end with the older one (`KVStore::write`'s contract). Each write or removal takes a version number
//! for its key when it is called, and runs under that key's lock; one that finds a newer version
//! already applied does nothing. Writes to different keys run side by side.
//!
//! **Durability.** A returned future resolves only once the backing store's commit has completed
//! (IndexedDB: the transaction's `complete`), so LDK's "persisted" is true when it says so. And the
//! node can wait for the next committed write of a key (`next_write_committed`): a payment is
//! reported done only once the channel manager that knows it is on disk.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use futures::channel::oneshot;
use futures::lock::Mutex;
use lightning::io;
use lightning::util::async_poll::AsyncResult;
use lightning::util::persist::KVStore;

use crate::record_names::LDK_NAMESPACE_KIND;
use crate::store::sealed::{SealedError, SealedStore};
use crate::store::KvStore;

/// LDK's persistence over a [`SealedStore`]. Cheap to clone: clones share the store and the ordering.
pub struct LdkStore<S> {
    inner: Rc<Inner<S>>,
}

impl<S> Clone for LdkStore<S> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone() }
    }
}

struct Inner<S> {
    sealed: Rc<SealedStore<S>>,
    keys: RefCell<HashMap<String, Rc<KeyOrder>>>,
    /// What LDK has had committed, by what it is (see [`LdkStore::written_by_kind`]).
    written: RefCell<BTreeMap<String, KindWrites>>,
}

/// LDK's committed writes of one kind: how many, and their values' bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindWrites {
    pub writes: u64,
    pub bytes: u64,
}

/// The versions of one key: the last handed out, and (under the lock) the last applied; who waits
/// for a version to commit.
#[derive(Default)]
struct KeyOrder {
    issued: std::cell::Cell<u64>,
    applied: Mutex<u64>,
    waiters: RefCell<Vec<(u64, oneshot::Sender<()>)>>,
}

impl KeyOrder {
    /// Wakes whoever waits for `version` or an older one: it is on disk (or superseded by one that is).
    fn committed(&self, version: u64) {
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        let (ready, waiting): (Vec<_>, Vec<_>) = waiters.into_iter().partition(|(wanted, _)| *wanted <= version);
        *self.waiters.borrow_mut() = waiting;
        for (_, waiter) in ready {
            let _ = waiter.send(());
        }
    }
}

fn namespace(primary: &str, secondary: &str) -> String {
    format!("{LDK_NAMESPACE_KIND}/{primary}/{secondary}")
}

fn io_error(error: SealedError) -> io::Error {
    io::Error::new(io::ErrorKind::Other, error.to_string())
}

impl<S: KvStore + 'static> LdkStore<S> {
    pub fn new(sealed: Rc<SealedStore<S>>) -> Self {
        Self { inner: Rc::new(Inner { sealed, keys: RefCell::new(HashMap::new()), written: RefCell::new(BTreeMap::new()) }) }
    }

    /// LDK's own writes committed since the store was made, by kind: the primary namespace
    /// (`monitors`, `monitor_updates`, …), or the key for top-level records (`manager`, `scorer`,
    /// `network_graph`). What the benchmark splits a payment's writes by. A removal is a write of
    /// no bytes.
    pub fn written_by_kind(&self) -> BTreeMap<String, KindWrites> {
        self.inner.written.borrow().clone()
    }

    pub fn sealed(&self) -> &SealedStore<S> {
        &self.inner.sealed
    }

    fn order(&self, namespace: &str, key: &str) -> Rc<KeyOrder> {
        self.inner.keys.borrow_mut().entry(format!("{namespace}\0{key}")).or_default().clone()
    }

    /// Takes the next version of a key, at call time (not when the future first runs).
    fn next_version(&self, namespace: &str, key: &str) -> (Rc<KeyOrder>, u64) {
        let order = self.order(namespace, key);
        let version = order.issued.get() + 1;
        order.issued.set(version);
        (order, version)
    }

    /// Returns a future that completes once a write of the key started after this call has
    /// committed. Registered now, so a write started before the future is first polled counts.
    pub fn next_write_committed(&self, primary: &str, secondary: &str, key: &str) -> impl std::future::Future<Output = ()> + 'static {
        let order = self.order(&namespace(primary, secondary), key);
        let (sender, committed) = oneshot::channel();
        order.waiters.borrow_mut().push((order.issued.get() + 1, sender));
        async move {
            let _ = committed.await;
        }
    }

    /// Writes `value` (or removes the record, for `None`) unless a newer version got there first.
    fn ordered(&self, primary: &str, secondary: &str, key: &str, value: Option<Vec<u8>>) -> AsyncResult<'static, (), io::Error> {
        let namespace = namespace(primary, secondary);
        let kind = if primary.is_empty() { key.to_owned() } else { primary.to_owned() };
        let key = key.to_owned();
        let (order, version) = self.next_version(&namespace, &key);
        let inner = self.inner.clone();
        Box::pin(async move {
            let mut applied = order.applied.lock().await;
            if *applied > version {
                return Ok(());
            }
            let op = match &value {
                Some(value) => inner.sealed.put_op(&namespace, &key, value),
                None => inner.sealed.delete_op(&namespace, &key),
            };
            inner.sealed.commit(vec![op]).await.map_err(io_error)?;
            let mut written = inner.written.borrow_mut();
            let kind = written.entry(kind).or_default();
            kind.writes += 1;
            kind.bytes += value.as_ref().map_or(0, |v| v.len() as u64);
            drop(written);
            *applied = version;
            order.committed(version);
            Ok(())
        })
    }
}

impl<S: KvStore + 'static> KVStore for LdkStore<S> {
    fn read(&self, primary: &str, secondary: &str, key: &str) -> AsyncResult<'static, Vec<u8>, io::Error> {
        let (namespace, key, inner) = (namespace(primary, secondary), key.to_owned(), self.inner.clone());
        Box::pin(async move {
            match inner.sealed.get(&namespace, &key).await.map_err(io_error)? {
                Some(value) => Ok(value.to_vec()),
                None => Err(io::Error::new(io::ErrorKind::NotFound, "no such record")),
            }
        })
    }

    fn write(&self, primary: &str, secondary: &str, key: &str, buf: Vec<u8>) -> AsyncResult<'static, (), io::Error> {
        self.ordered(primary, secondary, key, Some(buf))
    }

    /// Every removal is carried out at once (`lazy` is a permission, not a demand).
    fn remove(&self, primary: &str, secondary: &str, key: &str, _lazy: bool) -> AsyncResult<'static, (), io::Error> {
        self.ordered(primary, secondary, key, None)
    }

    fn list(&self, primary: &str, secondary: &str) -> AsyncResult<'static, Vec<String>, io::Error> {
        let (namespace, inner) = (namespace(primary, secondary), self.inner.clone());
        Box::pin(async move { inner.sealed.list(&namespace, "").await.map_err(io_error) })
    }
}
