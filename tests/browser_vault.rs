//! Browser tests (wasm-pack test --headless --chrome): the IndexedDB store and the vault over it, in a
//! real browser with real IndexedDB and Web Locks.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use blixtra_core::record_names::{SEED_NAMESPACE, VAULT_HEADER};
use blixtra_core::store::conformance;
use blixtra_core::{KvStore, RecoveryPhrase, Vault, VaultError};
use blixtra_host::browser::web_lock::WebLock;
use blixtra_host::browser::IdbStore;
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const PASSPHRASE: &str = "browser passphrase";

/// Opens a new, empty database whose name no other test uses.
async fn fresh_store(label: &str) -> (String, IdbStore) {
    let name = format!("blixtra-test-{label}-{}", js_sys::Math::random());
    IdbStore::delete_database(&name).await.expect("delete succeeds");
    (name.clone(), IdbStore::open(&name).await.expect("open succeeds"))
}

#[wasm_bindgen_test]
async fn idb_store_passes_the_conformance_suite() {
    conformance::check_all(async |label| fresh_store(label).await.1).await;
}

#[wasm_bindgen_test]
async fn a_new_store_instance_reads_what_the_last_one_wrote() {
    let (name, store) = fresh_store("reopen").await;
    let phrase = RecoveryPhrase::generate();
    let vault = Vault::create(store.clone(), &phrase, PASSPHRASE).await.expect("create");
    vault.store().put("payments", "p1", b"42 sat").await.expect("put");
    drop(vault);
    store.close();

    let reopened = IdbStore::open(&name).await.expect("reopen");
    let vault = Vault::unlock(reopened, PASSPHRASE).await.expect("unlock after reopen");
    assert_eq!(vault.recovery_phrase().await.expect("phrase").to_entropy(), phrase.to_entropy());
    let value = vault.store().get("payments", "p1").await.expect("get").expect("present");
    assert_eq!(&value[..], b"42 sat");
}

#[wasm_bindgen_test]
async fn a_wrong_passphrase_is_refused_and_changes_nothing() {
    let (_, store) = fresh_store("wrong-passphrase").await;
    Vault::create(store.clone(), &RecoveryPhrase::generate(), PASSPHRASE).await.expect("create");
    let before = store.scan("").await.expect("scan");
    let err = Vault::unlock(store.clone(), "not the passphrase").await.err();
    assert_eq!(err, Some(VaultError::WrongPassphrase));
    assert_eq!(store.scan("").await.expect("scan"), before);
}

#[wasm_bindgen_test]
async fn a_tampered_record_is_an_integrity_error_naming_its_kind() {
    let (_, store) = fresh_store("tamper").await;
    Vault::create(store.clone(), &RecoveryPhrase::generate(), PASSPHRASE).await.expect("create");
    let (seed_key, mut sealed) = store.scan("r/").await.expect("scan").into_iter().next().expect("the seed record");
    sealed.truncate(sealed.len() / 2);
    store.put(&seed_key, sealed).await.expect("raw overwrite");
    let err = Vault::unlock(store, PASSPHRASE).await.err();
    assert_eq!(err, Some(VaultError::Integrity { kind: SEED_NAMESPACE.into() }));
}

#[wasm_bindgen_test]
async fn no_secret_or_plaintext_reaches_indexeddb() {
    let (name, store) = fresh_store("raw").await;
    let phrase = RecoveryPhrase::generate();
    let vault = Vault::create(store.clone(), &phrase, PASSPHRASE).await.expect("create");
    vault.store().put("channels/outpoint-0badc0de:0", "peer-02abcdef", b"capacity 250000 sat").await.expect("put");
    assert!(store.get(VAULT_HEADER).await.expect("read").is_some());
    store.close();

    let raw = raw_dump(&name).await;
    assert!(raw.len() >= 3, "the header, the seed and the channel record were all read raw: {}", raw.len());
    let mut needles: Vec<String> =
        [PASSPHRASE, "0badc0de", "02abcdef", "capacity 250000", "channels", "outpoint", "mnemonic"].map(String::from).to_vec();
    needles.extend(phrase.words().into_iter().filter(|w| w.len() >= 5).map(String::from));
    for (key, value) in &raw {
        for needle in &needles {
            // The header's key is a fixed name, and "vault" is also a BIP39 word.
            assert!(key == VAULT_HEADER || !key.contains(needle.as_str()), "a raw key shows {needle:?}");
            assert!(!value.windows(needle.len()).any(|w| w == needle.as_bytes()), "a raw value under {key} shows {needle:?}");
        }
    }
}

#[wasm_bindgen_test]
async fn a_second_tab_lock_is_refused_while_the_first_holds() {
    let name = format!("blixtra-test-lock-{}", js_sys::Math::random());
    let first = WebLock::try_acquire(&name).await.expect("locks supported").expect("the first request gets the lock");
    assert!(WebLock::try_acquire(&name).await.expect("locks supported").is_none(), "a second holder is refused");
    first.release().await;
    let again = WebLock::try_acquire(&name).await.expect("locks supported");
    assert!(again.is_some(), "the lock is free again once released");
}

/// A page that waits (a reload, a second tab) gets the lock once its holder lets go, within its
/// wait or in the queue; a wait that runs out says so and leaves no request behind.
#[wasm_bindgen_test]
async fn a_waiting_request_gets_the_lock_when_its_holder_lets_go() {
    let name = format!("blixtra-test-lock-{}", js_sys::Math::random());
    let holder = WebLock::try_acquire(&name).await.expect("locks supported").expect("the lock");
    let timed_out = WebLock::acquire(&name, Some(Duration::from_millis(200))).await.expect("locks supported");
    assert!(timed_out.is_none(), "held all along: the wait runs out");

    // Let go 300 ms into a 5 s wait: the waiting request gets it then, not after its wait.
    wasm_bindgen_futures::spawn_local(async move {
        TimeoutFuture::new(300).await;
        holder.release().await;
    });
    let began = js_sys::Date::now();
    let waited = WebLock::acquire(&name, Some(Duration::from_secs(5))).await.expect("locks supported").expect("granted on release");
    assert!(js_sys::Date::now() - began < 4_000.0, "granted as soon as it was freed");

    // A queued request with no limit is granted once the next holder lets go.
    let queued = WebLock::acquire(&name, None);
    wasm_bindgen_futures::spawn_local(async move {
        TimeoutFuture::new(100).await;
        waited.release().await;
    });
    let last = queued.await.expect("locks supported").expect("granted from the queue");
    last.release().await;
    assert!(WebLock::try_acquire(&name).await.expect("locks supported").is_some(), "no request was left in the queue");
}

/// Reads every object store of database `name` with plain IndexedDB calls, bypassing `IdbStore`.
async fn raw_dump(name: &str) -> Vec<(String, Vec<u8>)> {
    use blixtra_host::browser::js_future::request_done;
    let factory = web_sys::window().expect("a window").indexed_db().expect("IndexedDB").expect("IndexedDB");
    let db: web_sys::IdbDatabase = request_done(&factory.open(name).expect("open")).await.expect("open").unchecked_into();
    let names = db.object_store_names();
    let mut out = Vec::new();
    for i in 0..names.length() {
        let store_name = names.get(i).expect("in range");
        let store = db.transaction_with_str(&store_name).expect("transaction").object_store(&store_name).expect("store");
        let keys: Array = request_done(&store.get_all_keys().expect("keys")).await.expect("keys").unchecked_into();
        let values: Array = request_done(&store.get_all().expect("values")).await.expect("values").unchecked_into();
        for (k, v) in keys.iter().zip(values.iter()) {
            out.push((k.as_string().expect("string keys"), Uint8Array::new(&v).to_vec()));
        }
    }
    db.close();
    out
}
