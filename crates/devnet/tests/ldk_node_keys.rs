//! The key derivation Blixtra shares with LDK Node: the same recovery phrase gives the same Lightning
//! node id and the same first BIP84 address, so a Blixtra seed restores in an LDK Node wallet and the
//! other way round. The wallet core checks the same two values (`crates/core/tests/node_keys.rs`); if
//! either side changes its derivation, one of the two tests fails.

use ldk_node::bip39::Mnemonic;
use ldk_node::bitcoin::Network;
use ldk_node::Builder;

/// BIP39's own first test phrase (all-zero entropy).
const PHRASE: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const NODE_ID: &str = "027cf7c81dc777e46572ff964f17650a0f6f783319fcc140fb9a69425e2fbdc93c";
const FIRST_ADDRESS: &str = "bcrt1q6rz28mcfaxtmd6v789l9rrlrusdprr9pz3cppk";

#[test]
fn ldk_node_derives_the_node_id_and_first_address_blixtra_expects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut builder = Builder::new();
    builder.set_network(Network::Regtest);
    builder.set_storage_dir_path(dir.path().to_string_lossy().into_owned());
    builder.set_entropy_bip39_mnemonic(Mnemonic::parse(PHRASE).expect("a valid phrase"), None);
    // Never started: deriving keys needs no chain.
    builder.set_chain_source_esplora("http://127.0.0.1:9".to_owned(), None);
    let node = builder.build().expect("the node builds");
    let address = node.onchain_payment().new_address().expect("an address");
    assert_eq!(node.node_id().to_string(), NODE_ID);
    assert_eq!(address.to_string(), FIRST_ADDRESS);
}
