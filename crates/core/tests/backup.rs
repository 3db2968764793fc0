//! The backup file over the memory store: a round trip to the same wallet, and each way a file or a
//! restore can be wrong, refused with nothing written.

use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use blixtra_core::backup::{BackupError, BackupFile};
use blixtra_core::record_names::{FROM_BACKUP_KEY, RECOVERY_NAMESPACE, RESTORED_KEY};
use blixtra_core::{MemoryStore, RecoveryPhrase, Vault, VaultError};
use pollster::block_on;

const PASSPHRASE: &str = "correct horse battery";
const MADE_AT: u64 = 1_796_000_000;

fn node_id() -> PublicKey {
    PublicKey::from_secret_key(&Secp256k1::new(), &SecretKey::from_slice(&[7; 32]).expect("a key"))
}

/// A wallet with a few records, and its backup file.
fn wallet_and_backup() -> (Vault<MemoryStore>, RecoveryPhrase, Vec<u8>) {
    let phrase = RecoveryPhrase::generate();
    let vault = block_on(Vault::create(MemoryStore::new(), &phrase, PASSPHRASE)).expect("a vault");
    for i in 0..20 {
        block_on(vault.store().put("payments", &format!("p{i}"), format!("payment {i}").as_bytes())).expect("written");
    }
    block_on(vault.store().put("ldk/monitors", "chan", &[9; 3000])).expect("written");
    let file = block_on(BackupFile::export(vault.store(), node_id(), MADE_AT)).expect("exported");
    (vault, phrase, file)
}

#[test]
fn a_backup_restores_the_same_wallet_and_marks_it_restored() {
    let (vault, phrase, file) = wallet_and_backup();
    let backup = BackupFile::read(&file).expect("a backup");
    assert_eq!((backup.made_at, backup.node_id, backup.record_count()), (MADE_AT, node_id(), 22), "the seed, 20 payments, a monitor");

    let target = MemoryStore::new();
    let restored = block_on(backup.restore(target.clone(), PASSPHRASE)).expect("restored");
    assert_eq!(block_on(restored.recovery_phrase()).expect("the phrase").to_entropy(), phrase.to_entropy());
    for i in [0, 19] {
        let value = block_on(restored.store().get("payments", &format!("p{i}"))).expect("readable").expect("there");
        assert_eq!(&value[..], format!("payment {i}").as_bytes());
    }
    assert_eq!(&block_on(restored.store().get("ldk/monitors", "chan")).expect("readable").expect("there")[..], &[9; 3000][..]);
    let mark = block_on(restored.store().get(RECOVERY_NAMESPACE, FROM_BACKUP_KEY)).expect("readable").expect("marked");
    assert_eq!(&mark[..], &MADE_AT.to_le_bytes());
    assert!(block_on(restored.store().get(RECOVERY_NAMESPACE, RESTORED_KEY)).expect("readable").is_some(), "channels the file missed are looked for");
    // Every raw record of the original is there, byte for byte, plus the two marks.
    let original = vault.store().backing().raw_entries();
    let copy = target.raw_entries();
    assert!(original.iter().all(|entry| copy.contains(entry)));
    assert_eq!(copy.len(), original.len() + 2);
    drop(restored);
    assert!(block_on(Vault::unlock(target, PASSPHRASE)).is_ok(), "the restored wallet unlocks as the original did");
}

#[test]
fn a_wrong_passphrase_restores_nothing() {
    let (_, _, file) = wallet_and_backup();
    let target = MemoryStore::new();
    let err = block_on(BackupFile::read(&file).expect("a backup").restore(target.clone(), "correct horse battery!")).err();
    assert_eq!(err, Some(BackupError::Vault(VaultError::WrongPassphrase)));
    assert!(target.raw_entries().is_empty());
}

#[test]
fn a_changed_byte_anywhere_in_the_records_is_refused() {
    let (_, _, file) = wallet_and_backup();
    // Past the header (and its Argon2 parameters), inside the records and in the tag.
    for at in [file.len() / 2, file.len() - 40, file.len() - 1] {
        let mut changed = file.clone();
        changed[at] ^= 1;
        let target = MemoryStore::new();
        let result = BackupFile::read(&changed).map(|backup| block_on(backup.restore(target.clone(), PASSPHRASE)));
        let err = match result {
            Ok(restore) => restore.err(),
            Err(read) => Some(read),
        };
        assert!(matches!(err, Some(BackupError::Damaged(_))), "byte {at}: {err:?}");
        assert!(target.raw_entries().is_empty(), "byte {at}: nothing written");
    }
}

#[test]
fn a_record_left_out_is_refused() {
    let (vault, _, _) = wallet_and_backup();
    block_on(vault.store().delete("payments", "p3")).expect("deleted");
    let shorter = block_on(BackupFile::export(vault.store(), node_id(), MADE_AT)).expect("exported");
    let (_, _, file) = wallet_and_backup();
    // The older file's tag over the newer file's records: a file put together from two.
    let mut spliced = shorter[..shorter.len() - 32].to_vec();
    spliced.extend_from_slice(&file[file.len() - 32..]);
    let err = block_on(BackupFile::read(&spliced).expect("its shape is right").restore(MemoryStore::new(), PASSPHRASE)).err();
    assert!(matches!(err, Some(BackupError::Damaged(_))), "{err:?}");
}

#[test]
fn files_that_are_not_backups_or_are_cut_short_say_so() {
    let (_, _, file) = wallet_and_backup();
    assert_eq!(BackupFile::read(b"{\"not\": \"a backup\"}").err(), Some(BackupError::NotABackup));
    assert_eq!(BackupFile::read(b"").err(), Some(BackupError::NotABackup));
    let mut newer = file.clone();
    newer[4] = 2;
    assert_eq!(BackupFile::read(&newer).err(), Some(BackupError::NewerFormat { found: 2 }));
    for len in [5, 36, 37, 40, file.len() / 2, file.len() - 33] {
        assert!(matches!(BackupFile::read(&file[..len]), Err(BackupError::Damaged(_))), "cut at {len}");
    }
}

#[test]
fn a_backup_is_not_restored_over_a_wallet() {
    let (_, _, file) = wallet_and_backup();
    let other = MemoryStore::new();
    block_on(Vault::create(other.clone(), &RecoveryPhrase::generate(), PASSPHRASE)).expect("another wallet");
    let before = other.raw_entries();
    let err = block_on(BackupFile::read(&file).expect("a backup").restore(other.clone(), PASSPHRASE)).err();
    assert_eq!(err, Some(BackupError::Vault(VaultError::AlreadyExists)));
    assert_eq!(other.raw_entries(), before);
}
