//! An in-memory [`KvStore`] for native tests. Clones share their data, so a second clone stands in for
//! a store reopened after a reload.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::{KvStore, Op, StoreError};

#[derive(Clone, Default)]
pub struct MemoryStore {
    entries: Rc<RefCell<BTreeMap<String, Vec<u8>>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns every raw entry, as a test that inspects "what reached the disk" needs.
    pub fn raw_entries(&self) -> Vec<(String, Vec<u8>)> {
        self.entries.borrow().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Replaces a raw entry behind the API's back, as a test of tampering needs.
    pub fn overwrite_raw(&self, key: &str, value: Vec<u8>) {
        self.entries.borrow_mut().insert(key.to_owned(), value);
    }
}

impl KvStore for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.entries.borrow().get(key).cloned())
    }

    async fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let entries = self.entries.borrow();
        Ok(entries.range(prefix.to_owned()..).take_while(|(k, _)| k.starts_with(prefix)).map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    async fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        let mut entries = self.entries.borrow_mut();
        // Work on a copy and swap it in at the end: a failing op leaves the store as it was.
        let mut next = entries.clone();
        for op in ops {
            match op {
                Op::Put { key, value } => {
                    next.insert(key, value);
                }
                Op::Insert { key, value } => {
                    if next.contains_key(&key) {
                        return Err(StoreError::AlreadyExists { key });
                    }
                    next.insert(key, value);
                }
                Op::Delete { key } => {
                    next.remove(&key);
                }
            }
        }
        *entries = next;
        Ok(())
    }
}
