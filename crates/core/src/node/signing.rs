//! Messages signed with the node's key, as LND signs them (`lightning::util::message_signing`:
//! zbase32, recoverable), so that a signature made here checks anywhere and one made by any LND-style
//! node checks here.

use bitcoin::secp256k1::PublicKey;
use lightning::util::message_signing;

use super::lightning_node::LightningNode;
use super::platform::Platform;

/// Whom a signature names, and whether the wallet knows that node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signer {
    pub node_id: PublicKey,
    /// The signer is this wallet's node or one in its network graph: LND's `valid`.
    pub known: bool,
}

impl<P: Platform> LightningNode<P> {
    /// Signs `message` with the node's key.
    pub fn sign_message(&self, message: &str) -> String {
        message_signing::sign(message.as_bytes(), &self.parts.keys.get_node_secret_key())
    }

    /// Returns the node that signed `message`, or `None` when `signature` is not a signature of it.
    pub fn message_signer(&self, message: &str, signature: &str) -> Option<Signer> {
        let node_id = message_signing::recover_pk(message.as_bytes(), signature).ok()?;
        // recover_pk finds a key for any well-formed signature; verify checks it signs this message.
        if !message_signing::verify(message.as_bytes(), signature, &node_id) {
            return None;
        }
        let graph = self.parts.graph.read_only();
        let known = node_id == self.node_id() || graph.node(&lightning::routing::gossip::NodeId::from_pubkey(&node_id)).is_some();
        Some(Signer { node_id, known })
    }
}
