//! `IdbStore`: the core's [`KvStore`] over IndexedDB, one object store of string keys and byte values.
//!
//! Written over web-sys directly rather than a wrapper crate: the wallet needs exactly four operations
//! and one guarantee, that a commit returns only after its transaction's `complete` event, opened with
//! `durability: "strict"` so the browser flushes to disk first; the wrappers we looked at (idb,
//! indexed_db_futures, rexie) don't expose the durability option.
//!
//! `Send`: not. It holds an `IdbDatabase` and must stay on the thread (page or worker) that opened it.

use std::cell::RefCell;
use std::rc::Rc;

use blixtra_core::{KvStore, Op, StoreError};
use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    DomException, IdbDatabase, IdbFactory, IdbKeyRange, IdbObjectStore, IdbOpenDbRequest, IdbTransaction, IdbTransactionDurability,
    IdbTransactionMode, IdbTransactionOptions,
};

use super::js_future::{request_done, transaction_done};

/// The one object store. Keys are out-of-line strings; values are `Uint8Array`s.
const RECORDS: &str = "records";
const SCHEMA_VERSION: u32 = 1;

#[derive(Clone)]
pub struct IdbStore {
    db: IdbDatabase,
    /// Who is shown every completed commit (tests that replay the database commit by commit).
    #[cfg(feature = "test-support")]
    commit_watcher: Rc<RefCell<Option<CommitWatcher>>>,
    /// While set, every commit fails as a full disk's would (tests of a node that cannot write).
    #[cfg(feature = "test-support")]
    full: Rc<std::cell::Cell<bool>>,
}

/// Shown each completed commit's ops (see [`IdbStore::watch_commits`]).
#[cfg(feature = "test-support")]
type CommitWatcher = Box<dyn Fn(&[Op])>;

impl IdbStore {
    /// Opens (creating if needed) the database `name`.
    pub async fn open(name: &str) -> Result<Self, StoreError> {
        let unavailable = |reason: String| StoreError::Unavailable { reason };
        let factory = indexed_db().ok_or_else(|| unavailable("this browser offers no IndexedDB".into()))?;
        let request: IdbOpenDbRequest = factory.open_with_u32(name, SCHEMA_VERSION).map_err(|e| unavailable(describe(&e)))?;
        let on_upgrade = Closure::once_into_js(move |event: web_sys::Event| {
            let request: IdbOpenDbRequest = event.target().expect("an upgrade event has its request as target").unchecked_into();
            let db: IdbDatabase = request.result().expect("the database exists during its upgrade").unchecked_into();
            if !db.object_store_names().contains(RECORDS) {
                // A failure here aborts the upgrade, and the open fails with it below.
                let _ = db.create_object_store(RECORDS);
            }
        });
        request.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
        let db: IdbDatabase = request_done(&request).await.map_err(|e| unavailable(describe(&e)))?.unchecked_into();
        Ok(Self {
            db,
            #[cfg(feature = "test-support")]
            commit_watcher: Rc::default(),
            #[cfg(feature = "test-support")]
            full: Rc::default(),
        })
    }

    /// Shows `watcher` the ops of every commit that completes from now on, through any clone of
    /// this store: enough to rebuild the raw database as it stood after each commit.
    #[cfg(feature = "test-support")]
    pub fn watch_commits(&self, watcher: impl Fn(&[Op]) + 'static) {
        *self.commit_watcher.borrow_mut() = Some(Box::new(watcher));
    }

    /// Makes every commit, through any clone of this store, fail with `QuotaExceeded` while `full`.
    #[cfg(feature = "test-support")]
    pub fn pretend_full(&self, full: bool) {
        self.full.set(full);
    }

    /// Stops showing commits.
    #[cfg(feature = "test-support")]
    pub fn unwatch_commits(&self) {
        *self.commit_watcher.borrow_mut() = None;
    }

    /// Deletes the database `name` and everything in it. Resolves once the browser has removed it.
    pub async fn delete_database(name: &str) -> Result<(), StoreError> {
        let factory = indexed_db().ok_or_else(|| StoreError::Unavailable { reason: "this browser offers no IndexedDB".into() })?;
        let request = factory.delete_database(name).map_err(|e| backend("delete database", &e))?;
        request_done(&request).await.map(|_| ()).map_err(|e| backend("delete database", &e))
    }

    /// Closes the connection, as a closed tab would.
    pub fn close(&self) {
        self.db.close();
    }

    fn transaction(&self, mode: IdbTransactionMode) -> Result<(IdbTransaction, IdbObjectStore), StoreError> {
        let options = IdbTransactionOptions::new();
        options.set_durability(IdbTransactionDurability::Strict);
        let transaction = self.db.transaction_with_str_and_mode_and_options(RECORDS, mode, &options).map_err(|e| backend("open transaction", &e))?;
        let store = transaction.object_store(RECORDS).map_err(|e| backend("open transaction", &e))?;
        Ok((transaction, store))
    }
}

impl KvStore for IdbStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let (_, store) = self.transaction(IdbTransactionMode::Readonly)?;
        let request = store.get(&JsValue::from_str(key)).map_err(|e| backend("read", &e))?;
        let value = request_done(&request).await.map_err(|e| backend("read", &e))?;
        Ok((!value.is_undefined()).then(|| to_bytes(&value)))
    }

    async fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let (_, store) = self.transaction(IdbTransactionMode::Readonly)?;
        // U+FFFF is a noncharacter no key of ours contains, so it bounds every key that starts with `prefix`.
        let range =
            IdbKeyRange::bound(&JsValue::from_str(prefix), &JsValue::from_str(&format!("{prefix}\u{FFFF}"))).map_err(|e| backend("scan", &e))?;
        // Both requests run in one transaction, so they see the same snapshot in the same key order.
        let keys = store.get_all_keys_with_key(&range).map_err(|e| backend("scan", &e))?;
        let values = store.get_all_with_key(&range).map_err(|e| backend("scan", &e))?;
        let keys: Array = request_done(&keys).await.map_err(|e| backend("scan", &e))?.unchecked_into();
        let values: Array = request_done(&values).await.map_err(|e| backend("scan", &e))?.unchecked_into();
        Ok(keys.iter().zip(values.iter()).filter_map(|(k, v)| Some((k.as_string()?, to_bytes(&v)))).filter(|(k, _)| k.starts_with(prefix)).collect())
    }

    async fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        #[cfg(feature = "test-support")]
        if self.full.get() {
            return Err(StoreError::QuotaExceeded);
        }
        let (transaction, store) = self.transaction(IdbTransactionMode::Readwrite)?;
        let taken_key: Rc<RefCell<Option<String>>> = Rc::default();
        for op in &ops {
            let key = JsValue::from_str(op.key());
            let issued = match op {
                Op::Put { value, .. } => store.put_with_key(&Uint8Array::from(&value[..]), &key),
                Op::Insert { key: name, value } => store.add_with_key(&Uint8Array::from(&value[..]), &key).inspect(|request| {
                    // `add` fails with ConstraintError when the key is taken; the failure aborts the
                    // whole transaction, and this records which key it was.
                    let (taken_key, name) = (taken_key.clone(), name.clone());
                    let on_error = Closure::once_into_js(move |_: JsValue| *taken_key.borrow_mut() = Some(name));
                    request.set_onerror(Some(on_error.unchecked_ref()));
                }),
                Op::Delete { .. } => store.delete(&key),
            };
            if let Err(e) = issued {
                let _ = transaction.abort();
                return Err(backend("write", &e));
            }
        }
        transaction_done(&transaction).await.map_err(|e| match (error_name(&e).as_deref(), taken_key.take()) {
            (Some("ConstraintError"), Some(key)) => StoreError::AlreadyExists { key },
            (Some("QuotaExceededError"), _) => StoreError::QuotaExceeded,
            _ => backend("write", &e),
        })?;
        #[cfg(feature = "test-support")]
        if let Some(watcher) = &*self.commit_watcher.borrow() {
            watcher(&ops);
        }
        Ok(())
    }
}

/// Returns the IndexedDB factory of the current global (a window or a worker).
fn indexed_db() -> Option<IdbFactory> {
    let factory = Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB")).ok()?;
    factory.dyn_into().ok()
}

fn to_bytes(value: &JsValue) -> Vec<u8> {
    value.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec).unwrap_or_default()
}

fn error_name(error: &JsValue) -> Option<String> {
    error.dyn_ref::<DomException>().map(DomException::name)
}

fn describe(error: &JsValue) -> String {
    match error.dyn_ref::<DomException>() {
        Some(e) => format!("{}: {}", e.name(), e.message()),
        None => error.as_string().unwrap_or_else(|| "unknown error".into()),
    }
}

fn backend(operation: &'static str, error: &JsValue) -> StoreError {
    if error_name(error).as_deref() == Some("QuotaExceededError") {
        return StoreError::QuotaExceeded;
    }
    StoreError::Backend { operation, message: describe(error) }
}
