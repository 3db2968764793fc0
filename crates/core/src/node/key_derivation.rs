//! The node's keys, all from the vault's recovery phrase, derived as LDK Node 0.7 derives them so a
//! seed moves between Blixtra and LDK Node wallets with its funds:
//!
//! 1. BIP39 seed of the phrase with an empty BIP39 passphrase (Blixtra's passphrase only encrypts the
//!    vault; it is not part of the seed).
//! 2. BIP32 master key of that seed.
//! 3. Lightning: LDK's `KeysManager` seeded with the master key's 32 private-key bytes, with v2 remote
//!    key derivation (static `to_remote` keys that a restore can find). The node id follows.
//! 4. On chain: BIP84 (`m/84'/coin'/0'/{0,1}/*`) on the master key: receive and change.
//!
//! `crates/core/tests/node_keys.rs` and `crates/devnet/tests/ldk_node_keys.rs` pin both ends to the
//! same node id and first address.

use bdk_wallet::template::{Bip84, DescriptorTemplate};
use bdk_wallet::KeychainKind;
use bitcoin::bip32::Xpriv;
use bitcoin::secp256k1::PublicKey;
use bitcoin::Network;
use lightning::sign::{KeysManager, NodeSigner, Recipient};
use zeroize::Zeroizing;

use crate::RecoveryPhrase;

/// The master key of a wallet's phrase. Holds secrets: kept only while the wallet is unlocked.
pub struct NodeKeys {
    master: Xpriv,
}

impl Drop for NodeKeys {
    fn drop(&mut self) {
        // `Xpriv` does not wipe itself: its key and chain code (which, with the public key, derives
        // every child) are overwritten here.
        self.master.private_key.non_secure_erase();
        self.master.chain_code = bitcoin::bip32::ChainCode::from([0u8; 32]);
    }
}

impl NodeKeys {
    pub fn derive(phrase: &RecoveryPhrase, network: Network) -> NodeKeys {
        let seed = phrase.to_seed("");
        // Only fails for a seed outside 16..=64 bytes; a BIP39 seed is always 64.
        let master = Xpriv::new_master(network, &seed[..]).expect("a 64-byte seed makes a master key");
        NodeKeys { master }
    }

    /// The 32 bytes LDK's `KeysManager` is seeded with.
    pub fn lightning_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.master.private_key.secret_bytes())
    }

    /// LDK's key manager. `starting_time` must differ between runs of a node (LDK derives per-run
    /// secrets from it): pass the wall clock at start.
    pub fn keys_manager(&self, starting_time: core::time::Duration) -> KeysManager {
        KeysManager::new(&self.lightning_seed(), starting_time.as_secs(), starting_time.subsec_nanos(), true)
    }

    /// The BIP84 descriptors of the on-chain wallet, with their private keys.
    pub fn descriptor(&self, keychain: KeychainKind) -> impl DescriptorTemplate + Clone {
        Bip84(self.master, keychain)
    }
}

/// The node id a key manager signs as.
pub fn node_id(keys: &KeysManager) -> PublicKey {
    // A key manager always has a node key.
    keys.get_node_id(Recipient::Node).expect("KeysManager has a node key")
}
