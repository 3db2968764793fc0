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
//! **Monitors after the manager.** LDK 0.2's `ChannelManager::read` force-closes every channel whose
//! stored monitor is ahead of the stored manager, and a tab can be closed between any two commits. So
//! a write of a channel monitor or of a monitor update is held, not committed, until LDK next writes
//! the channel manager: that manager was serialised after the update was made, while it was still
//! in flight, so it records it (and replays it into the monitor at start if the monitor lacks it).
//! The held writes go into the manager's own IndexedDB transaction, after it: a reload finds either
//! neither or both. Only then does LDK hear the monitor write is done. When LDK writes no manager
//! soon after (a monitor written for a new block), the node writes one itself
//! ([`LdkStore::monitor_writes_held`]). (LDK 0.3 defers monitor writes upstream to the same effect.)
//! A removal is not held (removing an update the full monitor replaced is safe at any time) unless a
//! held write of its key waits, so that the two stay in order.
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
use lightning::util::persist::{
    KVStore, CHANNEL_MANAGER_PERSISTENCE_KEY, CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE, CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
    CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE, CHANNEL_MONITOR_UPDATE_PERSISTENCE_PRIMARY_NAMESPACE,
};

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
    /// Monitor writes made since the last manager write was made, in the order LDK made them.
    held: RefCell<Vec<HeldWrite>>,
    /// Monitor writes a manager write has taken, by that write's version: it commits them, or a newer
    /// manager write does if it gets there first.
    batched: RefCell<BTreeMap<u64, Vec<HeldWrite>>>,
    /// Who waits for a monitor write to be held.
    hold_watchers: RefCell<Vec<oneshot::Sender<()>>>,
    /// Why the last commit failed, until one succeeds.
    failing: RefCell<Option<SealedError>>,
}

/// A monitor write (or removal) waiting for a channel manager to commit with.
struct HeldWrite {
    namespace: String,
    key: String,
    kind: String,
    value: Option<Vec<u8>>,
    done: oneshot::Sender<Result<(), String>>,
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
        Self {
            inner: Rc::new(Inner {
                sealed,
                keys: RefCell::new(HashMap::new()),
                written: RefCell::new(BTreeMap::new()),
                held: RefCell::new(Vec::new()),
                batched: RefCell::new(BTreeMap::new()),
                hold_watchers: RefCell::new(Vec::new()),
                failing: RefCell::new(None),
            }),
        }
    }

    /// Why LDK's writes fail (storage full, IndexedDB refusing), from the first failed commit until the
    /// next one succeeds: while it lasts the node takes no new payments.
    pub fn write_failure(&self) -> Option<SealedError> {
        self.inner.failing.borrow().clone()
    }

    /// Whether monitor writes wait for a channel manager write that has not been made yet.
    pub fn holds_monitor_writes(&self) -> bool {
        !self.inner.held.borrow().is_empty()
    }

    /// Completes once a monitor write waits for a channel manager write not made yet (at once if one
    /// does): the node then gives LDK a moment to write the manager, and writes it itself if not.
    pub fn monitor_writes_held(&self) -> impl std::future::Future<Output = ()> + 'static {
        let (sender, held) = oneshot::channel();
        if self.holds_monitor_writes() {
            let _ = sender.send(());
        } else {
            self.inner.hold_watchers.borrow_mut().push(sender);
        }
        async move {
            let _ = held.await;
        }
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

    /// Writes `value` (or removes the record, for `None`) unless a newer version got there first; a
    /// monitor's write is held for the next manager write instead, and a manager write takes every
    /// monitor write held so far into its transaction.
    fn ordered(&self, primary: &str, secondary: &str, key: &str, value: Option<Vec<u8>>) -> AsyncResult<'static, (), io::Error> {
        let namespace = namespace(primary, secondary);
        let kind = if primary.is_empty() { key.to_owned() } else { primary.to_owned() };
        let is_monitor = primary == CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE || primary == CHANNEL_MONITOR_UPDATE_PERSISTENCE_PRIMARY_NAMESPACE;
        if is_monitor && (value.is_some() || self.pending(&namespace, key).is_some()) {
            return self.hold(namespace, key.to_owned(), kind, value);
        }
        let is_manager = primary == CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE
            && secondary == CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE
            && key == CHANNEL_MANAGER_PERSISTENCE_KEY;
        let key = key.to_owned();
        let (order, version) = self.next_version(&namespace, &key);
        if is_manager {
            // Taken now, when LDK has just serialised the manager: it knows of these, not of later ones.
            let held = std::mem::take(&mut *self.inner.held.borrow_mut());
            self.inner.batched.borrow_mut().insert(version, held);
        }
        let inner = self.inner.clone();
        Box::pin(async move {
            let mut applied = order.applied.lock().await;
            if *applied > version {
                // A newer manager write has committed, and with it what this one took.
                return Ok(());
            }
            // What this write and any older one took; they stay readable as held until committed.
            let taken: Vec<u64> = if is_manager { inner.batched.borrow().range(..=version).map(|(v, _)| *v).collect() } else { Vec::new() };
            let mut ops = vec![match &value {
                Some(value) => inner.sealed.put_op(&namespace, &key, value),
                None => inner.sealed.delete_op(&namespace, &key),
            }];
            {
                let batched = inner.batched.borrow();
                for write in taken.iter().flat_map(|v| &batched[v]) {
                    ops.push(match &write.value {
                        Some(value) => inner.sealed.put_op(&write.namespace, &write.key, value),
                        None => inner.sealed.delete_op(&write.namespace, &write.key),
                    });
                }
            }
            let result = inner.sealed.commit(ops).await;
            let held: Vec<HeldWrite> = taken.iter().filter_map(|v| inner.batched.borrow_mut().remove(v)).flatten().collect();
            if let Err(error) = result {
                // The monitor writes wait for the next manager write instead of failing: LDK never
                // retries a failed monitor write (its channel would stall for good), and the manager
                // it is written with is retried by the background processor.
                let mut waiting = inner.held.borrow_mut();
                let later = std::mem::take(&mut *waiting);
                *waiting = held.into_iter().chain(later).collect();
                drop(waiting);
                *inner.failing.borrow_mut() = Some(error.clone());
                return Err(io_error(error));
            }
            *inner.failing.borrow_mut() = None;
            inner.count_write(&kind, value.as_deref());
            for write in held {
                inner.count_write(&write.kind, write.value.as_deref());
                let _ = write.done.send(Ok(()));
            }
            *applied = version;
            order.committed(version);
            Ok(())
        })
    }

    /// Holds a monitor write until the next manager write commits it.
    fn hold(&self, namespace: String, key: String, kind: String, value: Option<Vec<u8>>) -> AsyncResult<'static, (), io::Error> {
        let (done, committed) = oneshot::channel();
        self.inner.held.borrow_mut().push(HeldWrite { namespace, key, kind, value, done });
        for watcher in std::mem::take(&mut *self.inner.hold_watchers.borrow_mut()) {
            let _ = watcher.send(());
        }
        Box::pin(async move {
            match committed.await {
                Ok(result) => result.map_err(|e| io::Error::new(io::ErrorKind::Other, e)),
                Err(_) => Err(io::Error::new(io::ErrorKind::Other, "the store closed before the write was committed")),
            }
        })
    }

    /// The latest held write of a record not committed yet: `Some(None)` for a removal.
    fn pending(&self, namespace: &str, key: &str) -> Option<Option<Vec<u8>>> {
        let (batched, held) = (self.inner.batched.borrow(), self.inner.held.borrow());
        batched.values().flatten().chain(held.iter()).rfind(|w| w.namespace == namespace && w.key == key).map(|w| w.value.clone())
    }

    /// The keys of `namespace` with held writes, each with whether it will exist once they commit.
    fn pending_keys(&self, namespace: &str) -> BTreeMap<String, bool> {
        let (batched, held) = (self.inner.batched.borrow(), self.inner.held.borrow());
        batched.values().flatten().chain(held.iter()).filter(|w| w.namespace == namespace).map(|w| (w.key.clone(), w.value.is_some())).collect()
    }
}

impl<S> Inner<S> {
    fn count_write(&self, kind: &str, value: Option<&[u8]>) {
        let mut written = self.written.borrow_mut();
        let kind = written.entry(kind.to_owned()).or_default();
        kind.writes += 1;
        kind.bytes += value.map_or(0, |v| v.len() as u64);
    }
}

impl<S: KvStore + 'static> KVStore for LdkStore<S> {
    /// Reads what LDK last wrote, held or committed.
    fn read(&self, primary: &str, secondary: &str, key: &str) -> AsyncResult<'static, Vec<u8>, io::Error> {
        let (namespace, key, inner) = (namespace(primary, secondary), key.to_owned(), self.inner.clone());
        let pending = self.pending(&namespace, &key);
        Box::pin(async move {
            let found = match pending {
                Some(pending) => pending,
                None => inner.sealed.get(&namespace, &key).await.map_err(io_error)?.map(|value| value.to_vec()),
            };
            match found {
                Some(value) => Ok(value),
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

    /// Lists what LDK wrote, held or committed.
    fn list(&self, primary: &str, secondary: &str) -> AsyncResult<'static, Vec<String>, io::Error> {
        let (namespace, inner) = (namespace(primary, secondary), self.inner.clone());
        let pending = self.pending_keys(&namespace);
        Box::pin(async move {
            let mut keys: std::collections::BTreeSet<String> = inner.sealed.list(&namespace, "").await.map_err(io_error)?.into_iter().collect();
            for (key, exists) in pending {
                if exists {
                    keys.insert(key);
                } else {
                    keys.remove(&key);
                }
            }
            Ok(keys.into_iter().collect())
        })
    }
}
