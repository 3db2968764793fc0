//! Blixtra's platform-neutral wallet core: the vault (recovery phrase, passphrase, keys) and the sealed
//! key-value store that every piece of wallet state is kept in.
//!
//! **Architecture invariant:** this crate never names web-sys, js-sys or leptos. The browser supplies a
//! [`store::KvStore`] (IndexedDB) and the core does everything else, so the same code is tested natively.

pub mod backup;
pub mod mnemonic;
pub mod node;
pub mod onboarding;
pub mod passphrase_strength;
pub mod payment_request;
pub mod record_names;
pub mod seal;
pub mod store;
pub mod vault;
pub mod websites;

pub use mnemonic::{MnemonicError, RecoveryPhrase};
pub use store::sealed::{SealedError, SealedStore};
pub use store::{KvStore, MemoryStore, Op, StoreError};
pub use vault::{KdfParams, Vault, VaultError};

/// Fills `buf` from the platform's CSPRNG (the OS natively, `crypto.getRandomValues` in the browser).
///
/// **Warning:** there is no fallback: without a working CSPRNG no key may be made, so this panics.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf).expect("the platform CSPRNG is available (no key can be made without it)");
    buf
}
