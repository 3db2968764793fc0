//! The vault and the sealed store over the memory store: lifecycle, wrong passphrases, tampering, and
//! what reaches storage.

use blixtra_core::record_names::{RECOVERY_NAMESPACE, RESTORED_KEY, SEED_NAMESPACE, VAULT_HEADER};
use blixtra_core::{KdfParams, KvStore, MemoryStore, RecoveryPhrase, SealedError, Vault, VaultError};
use pollster::block_on;

const PASSPHRASE: &str = "correct horse battery";

fn new_vault() -> (MemoryStore, Vault<MemoryStore>, RecoveryPhrase) {
    let backing = MemoryStore::new();
    let phrase = RecoveryPhrase::generate();
    let vault = block_on(Vault::create(backing.clone(), &phrase, PASSPHRASE)).expect("create succeeds");
    (backing, vault, phrase)
}

#[test]
fn a_created_vault_unlocks_with_its_passphrase_and_returns_the_phrase() {
    let (backing, vault, phrase) = new_vault();
    assert_eq!(block_on(vault.recovery_phrase()).expect("readable").to_entropy(), phrase.to_entropy());
    drop(vault);
    let unlocked = block_on(Vault::unlock(backing.clone(), PASSPHRASE)).expect("unlock succeeds");
    assert_eq!(block_on(unlocked.recovery_phrase()).expect("readable").to_entropy(), phrase.to_entropy());
    assert_eq!(block_on(Vault::kdf_params(&backing)), Ok(KdfParams::RECOMMENDED));
}

#[test]
fn a_new_vault_stores_argon2id_costs_of_at_least_19_mib_and_two_passes() {
    let (backing, _vault, _) = new_vault();
    let stored = block_on(Vault::kdf_params(&backing)).expect("a header");
    assert!(stored.memory_kib >= 19 * 1024, "{stored:?}");
    assert!(stored.iterations >= 2, "{stored:?}");
}

#[test]
fn a_wrong_passphrase_is_refused_and_changes_nothing() {
    let (backing, _vault, _) = new_vault();
    let before = backing.raw_entries();
    let err = block_on(Vault::unlock(backing.clone(), "correct horse battery!")).err();
    assert_eq!(err, Some(VaultError::WrongPassphrase));
    assert_eq!(err.map(|e| e.to_string()).as_deref(), Some("wrong passphrase"));
    assert_eq!(backing.raw_entries(), before);
}

#[test]
fn a_short_passphrase_is_refused_and_nothing_is_written() {
    let backing = MemoryStore::new();
    let err = block_on(Vault::create(backing.clone(), &RecoveryPhrase::generate(), "1234567")).err();
    assert_eq!(err, Some(VaultError::PassphraseTooShort { min: 8 }));
    assert!(backing.raw_entries().is_empty());
}

#[test]
fn a_second_vault_never_replaces_the_first() {
    let (backing, _vault, phrase) = new_vault();
    let err = block_on(Vault::create(backing.clone(), &RecoveryPhrase::generate(), "another passphrase")).err();
    assert_eq!(err, Some(VaultError::AlreadyExists));
    let unlocked = block_on(Vault::unlock(backing, PASSPHRASE)).expect("the first vault is intact");
    assert_eq!(block_on(unlocked.recovery_phrase()).expect("readable").to_entropy(), phrase.to_entropy());
}

#[test]
fn unlocking_where_there_is_no_vault_says_so() {
    assert_eq!(block_on(Vault::unlock(MemoryStore::new(), PASSPHRASE)).err(), Some(VaultError::NoVault));
}

#[test]
fn lowering_the_stored_kdf_cost_makes_unlock_fail_instead_of_weakening_it() {
    let (backing, _vault, _) = new_vault();
    let mut header = block_on(backing.get(VAULT_HEADER)).expect("readable").expect("present");
    header[5..9].copy_from_slice(&1024u32.to_le_bytes()); // memory_kib: 19 MiB -> 1 MiB
    backing.overwrite_raw(VAULT_HEADER, header);
    assert_eq!(block_on(Vault::unlock(backing, PASSPHRASE)).err(), Some(VaultError::WrongPassphrase));
}

#[test]
fn a_truncated_or_absurd_header_is_an_integrity_error() {
    let (backing, _vault, _) = new_vault();
    let header = block_on(backing.get(VAULT_HEADER)).expect("readable").expect("present");
    let header_damage = Some(VaultError::Integrity { kind: "vault header".into() });
    backing.overwrite_raw(VAULT_HEADER, header[..40].to_vec());
    assert_eq!(block_on(Vault::unlock(backing.clone(), PASSPHRASE)).err(), header_damage);
    // Each demand a tampered header could make is refused before any derivation runs (one that ran
    // would take this test minutes and gigabytes).
    let word = |at: usize, value: u32| {
        let mut tampered = header.clone();
        tampered[at..at + 4].copy_from_slice(&value.to_le_bytes());
        tampered
    };
    for (what, tampered) in [
        ("u32::MAX KiB", word(5, u32::MAX)),
        ("1 GiB", word(5, 1024 * 1024)),
        ("65 MiB", word(5, KdfParams::MAX_MEMORY_KIB + 1024)),
        ("64 passes of 19 MiB", word(9, 64)),
        ("65 passes", word(9, 65)),
        ("64 lanes", word(13, 64)),
    ] {
        backing.overwrite_raw(VAULT_HEADER, tampered);
        assert_eq!(block_on(Vault::unlock(backing.clone(), PASSPHRASE)).err(), header_damage, "{what}");
    }
    // The bounds leave room above what new vaults use.
    let recommended = KdfParams::RECOMMENDED;
    assert!(u64::from(recommended.memory_kib) * u64::from(recommended.iterations * 2) <= KdfParams::MAX_WORK);
}

#[test]
fn a_tampered_seed_record_is_an_integrity_error_naming_the_seed() {
    let (backing, _vault, _) = new_vault();
    let (seed_key, mut sealed) = backing.raw_entries().into_iter().find(|(k, _)| k != VAULT_HEADER).expect("the seed record");
    let last = sealed.len() - 1;
    sealed[last] ^= 0x80;
    backing.overwrite_raw(&seed_key, sealed);
    let err = block_on(Vault::unlock(backing, PASSPHRASE)).err();
    assert_eq!(err, Some(VaultError::Integrity { kind: SEED_NAMESPACE.into() }));
    assert!(err.expect("an error").to_string().contains("seed record failed its integrity check"));
}

#[test]
fn records_round_trip_list_by_prefix_and_survive_a_reopen() {
    let (backing, vault, _) = new_vault();
    let store = vault.store();
    block_on(store.put("payments", "hash-b", b"200 sat")).expect("put");
    block_on(store.put("payments", "hash-a", b"100 sat")).expect("put");
    block_on(store.put("payments", "other", b"")).expect("put");
    block_on(store.put("peers", "hash-c", b"peer")).expect("put");
    assert_eq!(block_on(store.list("payments", "")).expect("list"), ["hash-a", "hash-b", "other"]);
    assert_eq!(block_on(store.list("payments", "hash-")).expect("list"), ["hash-a", "hash-b"]);
    block_on(store.delete("payments", "hash-b")).expect("delete");
    drop(vault);

    let reopened = block_on(Vault::unlock(backing, PASSPHRASE)).expect("unlock");
    let store = reopened.store();
    assert_eq!(block_on(store.get("payments", "hash-a")).expect("get").as_deref().map(|v| v.as_slice()), Some(&b"100 sat"[..]));
    assert_eq!(block_on(store.get("payments", "hash-b")).expect("get"), None);
    assert_eq!(block_on(store.get("payments", "other")).expect("get").map(|v| v.len()), Some(0));
    assert_eq!(block_on(store.list("payments", "")).expect("list"), ["hash-a", "other"]);
}

#[test]
fn swapping_two_sealed_records_is_detected() {
    let (backing, vault, _) = new_vault();
    block_on(vault.store().put("payments", "a", b"1")).expect("put");
    let before: Vec<_> = backing.raw_entries();
    block_on(vault.store().put("payments", "b", b"2")).expect("put");
    let new: Vec<_> = backing.raw_entries().into_iter().filter(|e| !before.contains(e)).collect();
    let raw_a = before.iter().find(|(k, _)| k.starts_with("r/") && new.iter().any(|(n, _)| n[..35] == k[..35])).expect("a's raw key");
    // Copy b's sealed value over a's raw key: same namespace, same vault key, wrong place.
    backing.overwrite_raw(&raw_a.0, new[0].1.clone());
    assert_eq!(block_on(vault.store().get("payments", "a")).err(), Some(SealedError::Integrity { kind: "payments".into() }));
    assert_eq!(block_on(vault.store().list("payments", "")).err(), Some(SealedError::Integrity { kind: "payments".into() }));
}

#[test]
fn nothing_readable_reaches_the_backing_store() {
    let (backing, vault, phrase) = new_vault();
    block_on(vault.store().put("payments/outpoint-deadbeef:1", "payment-hash-cafebabe", b"amount 123456 sat")).expect("put");
    let words = phrase.words();
    let secrets: Vec<&[u8]> = [PASSPHRASE, "deadbeef", "cafebabe", "amount 123456", "payments", "outpoint"]
        .iter()
        .map(|s| s.as_bytes())
        .chain(words.iter().map(|w| w.as_bytes()))
        .collect();
    for (key, value) in backing.raw_entries() {
        for secret in &secrets {
            // Short words ("add", "face") can occur by chance in random bytes or blinded hex; words of
            // five letters or more cannot. The header's key is a fixed name, and "vault" is a BIP39 word.
            if secret.len() < 5 {
                continue;
            }
            assert!(key == VAULT_HEADER || !contains(key.as_bytes(), secret), "raw key {key} shows {:?}", String::from_utf8_lossy(secret));
            assert!(!contains(&value, secret), "the value under {key} shows {:?}", String::from_utf8_lossy(secret));
        }
    }
}

#[test]
fn wipe_removes_everything_and_a_new_vault_can_follow() {
    let (backing, vault, _) = new_vault();
    block_on(vault.store().put("payments", "a", b"1")).expect("put");
    drop(vault);
    block_on(Vault::wipe(&backing)).expect("wipe");
    assert!(backing.raw_entries().is_empty());
    assert_eq!(block_on(Vault::exists(&backing)), Ok(false));
    block_on(Vault::create(backing, &RecoveryPhrase::generate(), "a new passphrase")).expect("a fresh vault");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_restored_vault_marks_itself_for_the_node_and_a_new_one_does_not() {
    let (_, created, _) = new_vault();
    assert_eq!(block_on(created.store().get(RECOVERY_NAMESPACE, RESTORED_KEY)).expect("reads"), None);
    let backing = MemoryStore::new();
    let restored = block_on(Vault::restore(backing.clone(), &RecoveryPhrase::generate(), PASSPHRASE)).expect("restored");
    assert!(block_on(restored.store().get(RECOVERY_NAMESPACE, RESTORED_KEY)).expect("reads").is_some());
    // Like a new vault, a restored one never replaces another.
    let again = block_on(Vault::restore(backing, &RecoveryPhrase::generate(), PASSPHRASE)).err();
    assert!(matches!(again, Some(VaultError::AlreadyExists)), "{again:?}");
}
