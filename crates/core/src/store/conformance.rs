//! The [`KvStore`] conformance suite: the behaviour every implementation must show, run natively against
//! [`super::MemoryStore`] and in the browser against the IndexedDB store.

use super::{KvStore, Op, StoreError};

/// Runs every check; `fresh(name)` must return a new, empty store each time it is called.
pub async fn check_all<S: KvStore>(mut fresh: impl AsyncFnMut(&'static str) -> S) {
    an_absent_key_reads_as_none(&fresh("absent").await).await;
    a_value_reads_back_as_written_and_is_replaced_by_the_next_put(&fresh("round-trip").await).await;
    empty_and_large_values_round_trip(&fresh("sizes").await).await;
    delete_removes_and_deleting_an_absent_key_is_fine(&fresh("delete").await).await;
    scan_returns_exactly_the_prefix_in_key_order(&fresh("scan").await).await;
    a_failing_commit_changes_nothing(&fresh("atomic").await).await;
    insert_refuses_a_taken_key(&fresh("insert").await).await;
}

fn put(key: &str, value: &[u8]) -> Op {
    Op::Put { key: key.into(), value: value.to_vec() }
}

async fn read(store: &impl KvStore, key: &str) -> Option<Vec<u8>> {
    store.get(key).await.expect("reading an in-range key succeeds")
}

pub async fn an_absent_key_reads_as_none(store: &impl KvStore) {
    assert_eq!(read(store, "nothing-here").await, None);
    assert_eq!(store.scan("").await.expect("scan succeeds"), vec![]);
}

pub async fn a_value_reads_back_as_written_and_is_replaced_by_the_next_put(store: &impl KvStore) {
    store.put("k", b"first".to_vec()).await.expect("put succeeds");
    assert_eq!(read(store, "k").await.as_deref(), Some(&b"first"[..]));
    store.put("k", b"second".to_vec()).await.expect("put succeeds");
    assert_eq!(read(store, "k").await.as_deref(), Some(&b"second"[..]));
    store.put("ключ/🔑", b"unicode key".to_vec()).await.expect("put succeeds");
    assert_eq!(read(store, "ключ/🔑").await.as_deref(), Some(&b"unicode key"[..]));
}

pub async fn empty_and_large_values_round_trip(store: &impl KvStore) {
    let large: Vec<u8> = (0..1_048_576u32).map(|i| (i * 7 % 251) as u8).collect();
    store.commit(vec![put("empty", b""), put("large", &large)]).await.expect("commit succeeds");
    assert_eq!(read(store, "empty").await, Some(vec![]));
    assert_eq!(read(store, "large").await, Some(large));
}

pub async fn delete_removes_and_deleting_an_absent_key_is_fine(store: &impl KvStore) {
    store.put("k", b"v".to_vec()).await.expect("put succeeds");
    store.delete("k").await.expect("delete succeeds");
    assert_eq!(read(store, "k").await, None);
    store.delete("never-was").await.expect("deleting an absent key succeeds");
}

pub async fn scan_returns_exactly_the_prefix_in_key_order(store: &impl KvStore) {
    let ops = ["b", "a/2", "ab", "a/1", "a", "a/10", "a0"].iter().map(|k| put(k, k.as_bytes())).collect();
    store.commit(ops).await.expect("commit succeeds");
    let keys = |entries: Vec<(String, Vec<u8>)>| entries.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(keys(store.scan("a/").await.expect("scan succeeds")), ["a/1", "a/10", "a/2"]);
    assert_eq!(keys(store.scan("a").await.expect("scan succeeds")), ["a", "a/1", "a/10", "a/2", "a0", "ab"]);
    assert_eq!(keys(store.scan("").await.expect("scan succeeds")).len(), 7);
    assert_eq!(keys(store.scan("c").await.expect("scan succeeds")), Vec::<String>::new());
    let (_, value) = &store.scan("a/1").await.expect("scan succeeds")[0];
    assert_eq!(value, b"a/1");
}

pub async fn a_failing_commit_changes_nothing(store: &impl KvStore) {
    store.commit(vec![put("a", b"old-a"), put("b", b"old-b")]).await.expect("commit succeeds");
    // The last op fails after three that would succeed: none of them may be visible afterwards.
    let batch = vec![put("a", b"new-a"), Op::Delete { key: "b".into() }, put("c", b"new-c"), Op::Insert { key: "a".into(), value: b"x".to_vec() }];
    assert!(matches!(store.commit(batch).await, Err(StoreError::AlreadyExists { .. })));
    assert_eq!(read(store, "a").await.as_deref(), Some(&b"old-a"[..]));
    assert_eq!(read(store, "b").await.as_deref(), Some(&b"old-b"[..]));
    assert_eq!(read(store, "c").await, None);
}

pub async fn insert_refuses_a_taken_key(store: &impl KvStore) {
    store.commit(vec![Op::Insert { key: "k".into(), value: b"1".to_vec() }]).await.expect("insert of a new key succeeds");
    let second = store.commit(vec![Op::Insert { key: "k".into(), value: b"2".to_vec() }]).await;
    assert!(matches!(second, Err(StoreError::AlreadyExists { .. })), "got {second:?}");
    assert_eq!(read(store, "k").await.as_deref(), Some(&b"1"[..]));
}
