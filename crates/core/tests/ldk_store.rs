//! LDK's `KVStore` over the sealed store: round trips, namespaces, the write-ordering contract, and
//! that a write is acknowledged only once the backing store's commit has completed.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use blixtra_core::node::ldk_store::{KindWrites, LdkStore};
use blixtra_core::seal::SecretKey;
use blixtra_core::{KvStore, MemoryStore, Op, SealedError, SealedStore, StoreError};
use futures::task::noop_waker;
use lightning::io::ErrorKind;
use lightning::util::persist::KVStore;
use pollster::block_on;

fn store() -> (MemoryStore, LdkStore<MemoryStore>) {
    let backing = MemoryStore::new();
    (backing.clone(), LdkStore::new(Rc::new(SealedStore::new(backing, &SecretKey::random()))))
}

#[test]
fn records_round_trip_by_namespace_and_list_by_namespace() {
    let (_, ldk) = store();
    let monitor_writes = futures::future::join_all([
        ldk.write("monitors", "", "abc_0", b"monitor".to_vec()),
        ldk.write("monitor_updates", "abc_0", "1", b"update 1".to_vec()),
        ldk.write("monitor_updates", "abc_0", "2", b"update 2".to_vec()),
        ldk.write("monitor_updates", "def_1", "1", b"other".to_vec()),
    ]);
    block_on(ldk.write("", "", "manager", b"manager".to_vec())).expect("the manager, and the monitor writes with it");
    assert!(block_on(monitor_writes).into_iter().all(|written| written.is_ok()));
    assert_eq!(block_on(ldk.read("monitors", "", "abc_0")).expect("read"), b"monitor");
    assert_eq!(block_on(ldk.list("monitor_updates", "abc_0")).expect("list"), ["1", "2"]);
    assert_eq!(block_on(ldk.list("monitor_updates", "def_1")).expect("list"), ["1"]);
    assert!(block_on(ldk.list("monitor_updates", "none")).expect("list").is_empty());

    block_on(ldk.remove("monitor_updates", "abc_0", "1", true)).expect("remove");
    assert_eq!(block_on(ldk.list("monitor_updates", "abc_0")).expect("list"), ["2"]);
    let missing = block_on(ldk.read("monitor_updates", "abc_0", "1")).expect_err("removed");
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    // Removing what is not there succeeds.
    block_on(ldk.remove("monitor_updates", "abc_0", "1", false)).expect("remove again");
}

#[test]
fn nothing_readable_reaches_the_backing_store() {
    let (backing, ldk) = store();
    block_on(ldk.write("manager", "", "manager", b"channel manager bytes".to_vec())).expect("write");
    for (key, value) in backing.raw_entries() {
        assert!(!key.contains("manager"), "{key}");
        assert!(!value.windows(7).any(|w| w == b"manager"), "a value in the clear");
    }
}

#[test]
fn a_later_write_awaited_first_is_never_overwritten_by_an_earlier_one() {
    let (_, ldk) = store();
    let first = ldk.write("manager", "", "manager", b"version 1".to_vec());
    let second = ldk.write("manager", "", "manager", b"version 2".to_vec());
    block_on(second).expect("second write");
    block_on(first).expect("the first write completes, doing nothing");
    assert_eq!(block_on(ldk.read("manager", "", "manager")).expect("read"), b"version 2");

    // A removal issued after a write wins the same way, and a write after it brings the key back.
    let write = ldk.write("graph", "", "graph", b"graph".to_vec());
    let remove = ldk.remove("graph", "", "graph", false);
    block_on(remove).expect("remove");
    block_on(write).expect("write");
    assert_eq!(block_on(ldk.read("graph", "", "graph")).expect_err("removed").kind(), ErrorKind::NotFound);
    block_on(ldk.write("graph", "", "graph", b"graph again".to_vec())).expect("write");
    assert_eq!(block_on(ldk.read("graph", "", "graph")).expect("read"), b"graph again");
}

/// A backing store whose commits wait until the test opens the gate, as IndexedDB's do until its
/// transaction completes.
#[derive(Clone, Default)]
struct GatedStore {
    inner: MemoryStore,
    open: Rc<Cell<bool>>,
    commits_started: Rc<RefCell<usize>>,
}

struct Gate(Rc<Cell<bool>>);

impl Future for Gate {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0.get() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl KvStore for GatedStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key).await
    }
    async fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.inner.scan(prefix).await
    }
    async fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        *self.commits_started.borrow_mut() += 1;
        Gate(self.open.clone()).await;
        self.inner.commit(ops).await
    }
}

fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    let waker = noop_waker();
    future.poll(&mut Context::from_waker(&waker))
}

#[test]
fn a_write_is_acknowledged_only_after_its_commit_completes() {
    let gated = GatedStore::default();
    let ldk = LdkStore::new(Rc::new(SealedStore::new(gated.clone(), &SecretKey::random())));
    let mut write = ldk.write("scorer", "", "scorer", b"scorer".to_vec());
    assert!(poll_once(write.as_mut()).is_pending(), "not done while the commit is pending");
    assert_eq!(*gated.commits_started.borrow(), 1);
    assert!(gated.inner.raw_entries().is_empty());
    assert!(poll_once(write.as_mut()).is_pending());

    // A second write to the same key waits for the first rather than racing it to the disk.
    let mut second = ldk.write("scorer", "", "scorer", b"scorer v2".to_vec());
    assert!(poll_once(second.as_mut()).is_pending());
    assert_eq!(*gated.commits_started.borrow(), 1, "the second commit has not started");

    gated.open.set(true);
    assert!(matches!(poll_once(write.as_mut()), Poll::Ready(Ok(()))));
    assert_eq!(gated.inner.raw_entries().len(), 1);
    assert!(matches!(poll_once(second.as_mut()), Poll::Ready(Ok(()))));
    assert_eq!(block_on(ldk.read("scorer", "", "scorer")).expect("read"), b"scorer v2");
}

#[test]
fn waiting_for_the_next_write_needs_a_write_started_after_the_wait_and_committed() {
    let gated = GatedStore::default();
    let ldk = LdkStore::new(Rc::new(SealedStore::new(gated.clone(), &SecretKey::random())));
    // A write already under way when the payment settled does not hold the news of it.
    let mut earlier = ldk.write("", "", "manager", b"before".to_vec());
    assert!(poll_once(earlier.as_mut()).is_pending());
    let mut persisted = Box::pin(ldk.next_write_committed("", "", "manager"));
    gated.open.set(true);
    assert!(matches!(poll_once(earlier.as_mut()), Poll::Ready(Ok(()))));
    assert!(poll_once(persisted.as_mut()).is_pending(), "the earlier write does not count");
    // Another key's write does not count either.
    block_on(ldk.write("", "", "graph", b"graph".to_vec())).expect("write");
    assert!(poll_once(persisted.as_mut()).is_pending());

    gated.open.set(false);
    let mut next = ldk.write("", "", "manager", b"after".to_vec());
    assert!(poll_once(next.as_mut()).is_pending());
    assert!(poll_once(persisted.as_mut()).is_pending(), "started, not yet committed");
    gated.open.set(true);
    assert!(matches!(poll_once(next.as_mut()), Poll::Ready(Ok(()))));
    assert!(poll_once(persisted.as_mut()).is_ready());
}

#[test]
fn a_failed_commit_is_reported_to_ldk() {
    #[derive(Clone)]
    struct FullStore;
    impl KvStore for FullStore {
        async fn get(&self, _: &str) -> Result<Option<Vec<u8>>, StoreError> {
            Ok(None)
        }
        async fn scan(&self, _: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
            Ok(Vec::new())
        }
        async fn commit(&self, _: Vec<Op>) -> Result<(), StoreError> {
            Err(StoreError::QuotaExceeded)
        }
    }
    let ldk = LdkStore::new(Rc::new(SealedStore::new(FullStore, &SecretKey::random())));
    let error = block_on(ldk.write("scorer", "", "scorer", b"scorer".to_vec())).expect_err("the disk is full");
    assert!(error.to_string().contains("storage is full"), "{error}");
    assert!(ldk.write_failure().is_some(), "the store says its writes fail");
    // A monitor write outlives a failed manager write: it waits for the next one (LDK never retries
    // a failed monitor write; its channel would stall for good).
    let mut monitor = ldk.write("monitor_updates", "abc_0", "1", b"update".to_vec());
    block_on(ldk.write("", "", "manager", b"manager".to_vec())).expect_err("the disk is full");
    assert!(poll_once(monitor.as_mut()).is_pending(), "held again, not failed");
    assert!(ldk.holds_monitor_writes());
}

#[test]
fn a_monitor_write_held_through_a_failed_commit_lands_with_the_next_manager_write() {
    #[derive(Clone, Default)]
    struct FlakyStore {
        inner: MemoryStore,
        fail_next: Rc<Cell<bool>>,
    }
    impl KvStore for FlakyStore {
        async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
            self.inner.get(key).await
        }
        async fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
            self.inner.scan(prefix).await
        }
        async fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
            if self.fail_next.replace(false) {
                return Err(StoreError::QuotaExceeded);
            }
            self.inner.commit(ops).await
        }
    }
    let flaky = FlakyStore::default();
    let ldk = LdkStore::new(Rc::new(SealedStore::new(flaky.clone(), &SecretKey::random())));
    let mut update = ldk.write("monitor_updates", "abc_0", "3", b"update 3".to_vec());
    flaky.fail_next.set(true);
    block_on(ldk.write("", "", "manager", b"manager 1".to_vec())).expect_err("full");
    assert!(flaky.inner.raw_entries().is_empty(), "nothing half-written");
    assert!(matches!(ldk.write_failure(), Some(SealedError::Store(StoreError::QuotaExceeded))));
    assert!(poll_once(update.as_mut()).is_pending());
    block_on(ldk.write("", "", "manager", b"manager 2".to_vec())).expect("space again");
    assert!(matches!(poll_once(update.as_mut()), Poll::Ready(Ok(()))), "it went with the manager that succeeded");
    assert_eq!(flaky.inner.raw_entries().len(), 2);
    assert!(ldk.write_failure().is_none(), "writes work again");
}

#[test]
fn the_store_counts_what_it_committed_and_nothing_that_failed_or_is_pending() {
    let gated = GatedStore::default();
    let sealed = Rc::new(SealedStore::new(gated.clone(), &SecretKey::random()));
    let ldk = LdkStore::new(sealed.clone());
    let mut write = ldk.write("scorer", "", "scorer", vec![7; 100]);
    assert!(poll_once(write.as_mut()).is_pending());
    assert_eq!(sealed.writes().transactions, 0, "a commit under way is not counted yet");
    gated.open.set(true);
    assert!(matches!(poll_once(write.as_mut()), Poll::Ready(Ok(()))));
    let after_one = sealed.writes();
    assert_eq!(after_one.transactions, 1);
    let stored: u64 = gated.inner.raw_entries().iter().map(|(key, value)| (key.len() + value.len()) as u64).sum();
    assert_eq!(after_one.bytes, stored, "bytes are the raw keys and sealed values that reached the store");
    assert!(after_one.bytes > 100, "the sealed value carries its names and tag");

    // An insert over an existing key fails as a whole: nothing was written, nothing is counted.
    let (raw_key, _) = gated.inner.raw_entries().into_iter().next().expect("one entry");
    let refused = block_on(sealed.commit(vec![Op::Insert { key: raw_key, value: vec![1] }]));
    assert!(refused.is_err());
    assert_eq!(sealed.writes(), after_one);

    block_on(ldk.remove("scorer", "", "scorer", false)).expect("remove");
    assert_eq!(sealed.writes().transactions, 2, "a removal is a transaction too");
}

#[test]
fn ldk_bytes_are_counted_by_kind_once_committed() {
    let (_, ldk) = store();
    block_on(ldk.write("", "", "manager", vec![1; 300])).expect("write");
    block_on(ldk.write("", "", "manager", vec![1; 200])).expect("write");
    let monitor_writes =
        futures::future::join(ldk.write("monitors", "", "abc_0", vec![2; 50]), ldk.write("monitor_updates", "abc_0", "1", vec![3; 7]));
    assert!(!ldk.written_by_kind().contains_key("monitors"), "held, not committed");
    block_on(ldk.write("", "", "manager", vec![1; 100])).expect("write");
    assert!(matches!(block_on(monitor_writes), (Ok(()), Ok(()))));
    block_on(ldk.remove("monitor_updates", "abc_0", "1", false)).expect("remove");
    let written = ldk.written_by_kind();
    assert_eq!(written.get("manager"), Some(&KindWrites { writes: 3, bytes: 600 }));
    assert_eq!(written.get("monitors"), Some(&KindWrites { writes: 1, bytes: 50 }));
    assert_eq!(written.get("monitor_updates"), Some(&KindWrites { writes: 2, bytes: 7 }), "a removal is a write of no value");
}

/// The order LDK 0.2's `ChannelManager::read` needs (see `ldk_store`): a monitor write reaches the
/// disk only in the transaction of a manager serialised after it.
#[test]
fn a_monitor_write_waits_for_the_next_manager_write_and_commits_in_its_transaction() {
    let gated = GatedStore::default();
    gated.open.set(true);
    let ldk = LdkStore::new(Rc::new(SealedStore::new(gated.clone(), &SecretKey::random())));
    let mut earlier_manager = ldk.write("", "", "manager", b"manager 1".to_vec());
    let mut update = ldk.write("monitor_updates", "abc_0", "7", b"update 7".to_vec());
    assert!(poll_once(update.as_mut()).is_pending());
    assert!(ldk.holds_monitor_writes());
    assert!(poll_once(Box::pin(ldk.monitor_writes_held()).as_mut()).is_ready(), "the node hears a write waits");
    // LDK reads what it wrote, held or not.
    assert_eq!(block_on(ldk.read("monitor_updates", "abc_0", "7")).expect("read"), b"update 7");
    assert_eq!(block_on(ldk.list("monitor_updates", "abc_0")).expect("list"), ["7"]);

    // The manager serialised before the update does not carry it.
    assert!(matches!(poll_once(earlier_manager.as_mut()), Poll::Ready(Ok(()))));
    assert_eq!(*gated.commits_started.borrow(), 1);
    assert_eq!(gated.inner.raw_entries().len(), 1, "only the manager is on disk");
    assert!(poll_once(update.as_mut()).is_pending());

    // The next one does, in one transaction.
    block_on(ldk.write("", "", "manager", b"manager 2".to_vec())).expect("write");
    assert_eq!(*gated.commits_started.borrow(), 2);
    assert_eq!(gated.inner.raw_entries().len(), 2, "manager and update");
    assert!(matches!(poll_once(update.as_mut()), Poll::Ready(Ok(()))));
    assert!(!ldk.holds_monitor_writes());
    assert!(poll_once(Box::pin(ldk.monitor_writes_held()).as_mut()).is_pending(), "nothing waits");
}

#[test]
fn a_newer_manager_write_that_commits_first_takes_the_older_ones_monitor_writes() {
    let (backing, ldk) = store();
    let first_update = ldk.write("monitor_updates", "abc_0", "1", b"update 1".to_vec());
    let older_manager = ldk.write("", "", "manager", b"manager 1".to_vec());
    let second_update = ldk.write("monitor_updates", "abc_0", "2", b"update 2".to_vec());
    let newer_manager = ldk.write("", "", "manager", b"manager 2".to_vec());
    block_on(newer_manager).expect("the newer manager");
    assert_eq!(backing.raw_entries().len(), 3, "both updates went with it");
    block_on(older_manager).expect("the older manager completes, doing nothing");
    assert!(matches!(block_on(futures::future::join(first_update, second_update)), (Ok(()), Ok(()))));
    assert_eq!(block_on(ldk.read("", "", "manager")).expect("read"), b"manager 2");
}

#[test]
fn a_removal_waits_behind_a_held_write_of_its_key_and_no_longer_otherwise() {
    let (_, ldk) = store();
    // Written, then removed before any manager write: the removal is held behind the write.
    let write = ldk.write("monitors", "", "abc_0", b"monitor".to_vec());
    let mut removal = ldk.remove("monitors", "", "abc_0", true);
    assert!(poll_once(removal.as_mut()).is_pending());
    assert_eq!(block_on(ldk.read("monitors", "", "abc_0")).expect_err("removed").kind(), ErrorKind::NotFound);
    assert!(block_on(ldk.list("monitors", "")).expect("list").is_empty());
    block_on(ldk.write("", "", "manager", b"manager".to_vec())).expect("write");
    assert!(matches!(block_on(futures::future::join(write, removal)), (Ok(()), Ok(()))));
    assert_eq!(block_on(ldk.read("monitors", "", "abc_0")).expect_err("removed").kind(), ErrorKind::NotFound);

    // An update the full monitor replaced goes at once: nothing is held for it.
    let update = ldk.write("monitor_updates", "abc_0", "1", b"update".to_vec());
    block_on(ldk.write("", "", "manager", b"manager".to_vec())).expect("write");
    block_on(update).expect("written");
    block_on(ldk.remove("monitor_updates", "abc_0", "1", true)).expect("removed without a manager write");
    assert!(!ldk.holds_monitor_writes());
}
