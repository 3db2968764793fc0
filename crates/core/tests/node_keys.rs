//! The node's key derivation matches LDK Node's: the same phrase gives the same node id and first
//! address (pinned from LDK Node 0.7.1 by `crates/devnet/tests/ldk_node_keys.rs`).

use bdk_wallet::{KeychainKind, Wallet};
use bitcoin::Network;
use blixtra_core::node::key_derivation::{node_id, NodeKeys};
use blixtra_core::RecoveryPhrase;

const PHRASE: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const NODE_ID: &str = "027cf7c81dc777e46572ff964f17650a0f6f783319fcc140fb9a69425e2fbdc93c";
const FIRST_ADDRESS: &str = "bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk";

fn keys(phrase: &str) -> NodeKeys {
    NodeKeys::derive(&RecoveryPhrase::parse(phrase).expect("valid"), Network::Regtest)
}

#[test]
fn the_node_id_is_ldk_nodes_and_does_not_depend_on_the_start_time() {
    let keys = keys(PHRASE);
    let first = node_id(&keys.keys_manager(core::time::Duration::from_secs(1_700_000_000)));
    let later = node_id(&keys.keys_manager(core::time::Duration::new(1_800_000_000, 123)));
    assert_eq!(first.to_string(), NODE_ID);
    assert_eq!(later, first);
}

#[test]
fn the_first_receive_address_is_ldk_nodes_bip84_address() {
    let keys = keys(PHRASE);
    let mut wallet = Wallet::create(keys.descriptor(KeychainKind::External), keys.descriptor(KeychainKind::Internal))
        .network(Network::Regtest)
        .create_wallet_no_persist()
        .expect("a wallet");
    assert_eq!(wallet.reveal_next_address(KeychainKind::External).address.to_string(), FIRST_ADDRESS);
}

#[test]
fn another_phrase_gives_another_node() {
    let other = keys("legal winner thank year wave sausage worth useful legal winner thank yellow");
    assert_ne!(node_id(&other.keys_manager(core::time::Duration::from_secs(1))).to_string(), NODE_ID);
}
