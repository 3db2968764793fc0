//! The node's peers: the ones it stays connected to (stored, so a restart reconnects), dialling one
//! (at most one dial per peer at a time, shared by whoever asks), and reconnecting with backoff.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use bitcoin::secp256k1::PublicKey;
use futures::future::FutureExt;
use lightning::ln::peer_handler::SocketDescriptor;
use lightning::util::logger::Logger as _;

use super::error::{NodeError, PeerFailure, StorageFault};
use super::events::NodeEvent;
use super::lightning_node::LightningNode;
use super::net::{drive_connection, Connector, PeerUri};
use super::platform::Platform;
use crate::record_names::PEERS_NAMESPACE;

/// How long a peer connection may take to finish LDK's handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Waits between reconnection attempts to a known peer, after 1, 2, 3 and more failures.
const RECONNECT_BACKOFF: [Duration; 4] = [Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(5), Duration::from_secs(15)];

/// Failed reconnection attempts per peer, and when the next may start.
pub(super) type Backoff = HashMap<PublicKey, (usize, Duration)>;

impl<P: Platform> LightningNode<P> {
    /// Connects to a peer (and keeps reconnecting while the node runs). Returns once LDK's handshake
    /// is done. A dial to the same peer already under way is joined, not repeated.
    pub async fn connect(self: &Rc<Self>, peer: &PeerUri) -> Result<(), NodeError> {
        self.remember_peer(peer).await?;
        self.connect_unremembered(peer).await
    }

    /// Connects to a peer without storing it as one to reconnect to (a known one, or the LSP of the
    /// settings).
    pub(super) async fn connect_unremembered(self: &Rc<Self>, peer: &PeerUri) -> Result<(), NodeError> {
        if self.is_connected(&peer.node_id) {
            return Ok(());
        }
        let under_way = self.dials.borrow().get(&peer.node_id).cloned();
        let dial = match under_way {
            Some(dial) => dial,
            None => {
                let (node, peer) = (self.clone(), peer.clone());
                let node_id = peer.node_id;
                let dial = async move {
                    let outcome = node.dial(&peer).await;
                    node.dials.borrow_mut().remove(&peer.node_id);
                    outcome
                }
                .boxed_local()
                .shared();
                self.dials.borrow_mut().insert(node_id, dial.clone());
                dial
            }
        };
        dial.await
    }

    /// Opens a connection and runs LDK's handshake over it.
    async fn dial(self: &Rc<Self>, peer: &PeerUri) -> Result<(), NodeError> {
        let node_id = peer.node_id;
        let unreachable = |failure| NodeError::PeerUnreachable { node_id: node_id.to_string(), failure };
        let (mut socket, events) = self
            .platform
            .connector()
            .connect(&peer.host, peer.port)
            .await
            .map_err(|e| unreachable(PeerFailure::Connect { detail: e.to_string() }))?;
        if self.stopping.get() {
            // The node stopped while the socket opened: its peers were disconnected already, and a
            // connection opened now would live on beside the next node started with the same keys,
            // which the peer then refuses as a second connection.
            socket.disconnect_socket();
            return Err(NodeError::Stopped);
        }
        let first_bytes =
            self.parts.peer_manager.new_outbound_connection(node_id, socket.clone(), None).map_err(|_| unreachable(PeerFailure::Refused))?;
        socket.send_data(&first_bytes, true);
        // The proxy accepts before it reaches the peer: an unreachable one shows as an early close.
        let closed: Rc<RefCell<Option<String>>> = Rc::default();
        let (node, closed_by_task) = (self.clone(), closed.clone());
        self.platform.spawner().spawn_local(async move {
            let reason = drive_connection(&*node.parts.peer_manager, socket, events).await;
            *closed_by_task.borrow_mut() = Some(reason.to_string());
            node.subscribers.notify(NodeEvent::PeerDisconnected { node_id, reason: reason.to_string() });
        });
        self.await_handshake(&node_id, &closed).await.map_err(unreachable)?;
        self.subscribers.notify(NodeEvent::PeerConnected { node_id });
        Ok(())
    }

    /// Waits until LDK lists the peer, or the connection closes. LDK raises no event for a finished
    /// handshake, so this looks every few milliseconds, within [`HANDSHAKE_TIMEOUT`].
    async fn await_handshake(&self, node_id: &PublicKey, closed: &RefCell<Option<String>>) -> Result<(), PeerFailure> {
        let step = Duration::from_millis(20);
        let mut waited = Duration::ZERO;
        while waited < HANDSHAKE_TIMEOUT {
            if self.is_connected(node_id) {
                return Ok(());
            }
            if let Some(reason) = closed.borrow().clone() {
                return Err(PeerFailure::Closed { reason });
            }
            self.platform.sleep(step).await;
            waited += step;
        }
        Err(PeerFailure::HandshakeTimeout { secs: HANDSHAKE_TIMEOUT.as_secs() })
    }

    /// Reads the peers to stay connected to.
    pub(super) async fn load_peers(&self) -> Result<(), NodeError> {
        let sealed = self.parts.store.sealed();
        let unreadable = || NodeError::Storage(StorageFault::Unreadable { kind: PEERS_NAMESPACE.to_owned() });
        for (_, uri) in sealed.entries(PEERS_NAMESPACE, "").await? {
            let peer: PeerUri = std::str::from_utf8(&uri).map_err(|_| unreadable())?.parse().map_err(|_| unreadable())?;
            self.peers.borrow_mut().insert(peer.node_id, peer);
        }
        Ok(())
    }

    /// Remembers a peer to reconnect to after a restart (stored before the first connection).
    async fn remember_peer(&self, peer: &PeerUri) -> Result<(), NodeError> {
        if self.peers.borrow().get(&peer.node_id) == Some(peer) {
            return Ok(());
        }
        self.parts.store.sealed().put(PEERS_NAMESPACE, &peer.node_id.to_string(), peer.to_string().as_bytes()).await?;
        self.peers.borrow_mut().insert(peer.node_id, peer.clone());
        Ok(())
    }

    /// Reconnects to every known peer that is not connected, and to the LSP of the settings (not
    /// stored: a change of the setting leaves no peer behind), with backoff per peer.
    pub(super) async fn reconnect_peers(self: &Rc<Self>, backoff: &mut Backoff) {
        let now = self.platform.now();
        let mut wanted: Vec<PeerUri> = self.peers.borrow().values().cloned().collect();
        if let Some(lsp) = self.config.lsp.as_ref().filter(|lsp| !self.peers.borrow().contains_key(&lsp.node_id)) {
            wanted.push(lsp.clone());
        }
        for peer in wanted {
            if self.is_connected(&peer.node_id) {
                backoff.remove(&peer.node_id);
                continue;
            }
            let (failures, not_before) = backoff.get(&peer.node_id).copied().unwrap_or((0, Duration::ZERO));
            if now < not_before {
                continue;
            }
            if let Err(e) = self.connect_unremembered(&peer).await {
                let wait = RECONNECT_BACKOFF[failures.min(RECONNECT_BACKOFF.len() - 1)];
                backoff.insert(peer.node_id, (failures + 1, self.platform.now() + wait));
                lightning::log_warn!(self.parts.logger, "cannot reach peer {}: {e}; next try in {wait:?}", peer.node_id);
            }
        }
    }
}
