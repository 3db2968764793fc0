//! The seam between LDK's peer manager and the platform's byte streams: the platform opens a
//! connection to `host:port` (the browser: a WebSocket to the proxy) and hands back a socket LDK can
//! write to and a stream of what arrives. [`drive_connection`] feeds one into the other.
//!
//! Backpressure: a browser WebSocket has no way to stop reading, so LDK's "pause reading" is not
//! honoured; what arrives waits in the event stream. A light wallet's traffic is small.

use core::fmt;

use futures::channel::mpsc::UnboundedReceiver;
use futures::StreamExt;
use lightning::ln::peer_handler::{APeerManager, SocketDescriptor};
use std::str::FromStr;

use bitcoin::secp256k1::PublicKey;

use super::error::PeerAddressProblem;

/// A peer's address as a person writes it: `node_id@host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerUri {
    pub node_id: PublicKey,
    pub host: String,
    pub port: u16,
}

impl fmt::Display for PeerUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "{}@[{}]:{}", self.node_id, self.host, self.port)
        } else {
            write!(f, "{}@{}:{}", self.node_id, self.host, self.port)
        }
    }
}

impl FromStr for PeerUri {
    type Err = PeerAddressProblem;

    fn from_str(text: &str) -> Result<Self, PeerAddressProblem> {
        let (id, address) = text.trim().split_once('@').ok_or(PeerAddressProblem::NoAt)?;
        let node_id = PublicKey::from_str(id).map_err(|_| PeerAddressProblem::NodeId)?;
        let (host, port) = address.rsplit_once(':').ok_or(PeerAddressProblem::NoPort)?;
        let port = port.parse().map_err(|_| PeerAddressProblem::Port)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(PeerAddressProblem::NoHost);
        }
        Ok(PeerUri { node_id, host: host.to_owned(), port })
    }
}

/// What a platform connection reports, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketEvent {
    /// Bytes from the peer.
    Data(Vec<u8>),
    /// The connection ended (by either side, or failed); nothing follows.
    Closed(CloseReason),
}

/// Why a connection ended, as the platform can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// We closed it (LDK asked to disconnect, or the node is stopping).
    ByUs,
    /// The peer or the bridge in between closed it; the close code and reason if there was one.
    Remote { code: u16, reason: String },
    /// The connection failed (network error).
    Failed(String),
}

/// Why a connection could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// The URL or address is not one we can connect to.
    #[error("cannot connect to {address}: {reason}")]
    Invalid { address: String, reason: String },
    /// The bridge or peer refused or did not answer.
    #[error("the peer at {address} cannot be reached: {reason}")]
    Unreachable { address: String, reason: String },
}

/// Opens byte streams to Lightning peers. The browser's is a WebSocket to the proxy.
#[allow(async_fn_in_trait)] // Browser futures are not `Send`; neither are these.
pub trait Connector {
    type Socket: SocketDescriptor + 'static;

    /// Connects to `host:port` and returns once bytes can flow, with the events that will arrive.
    async fn connect(&self, host: &str, port: u16) -> Result<(Self::Socket, UnboundedReceiver<SocketEvent>), ConnectError>;
}

/// Runs one connection until it closes: every arriving chunk goes to LDK, and LDK's reaction is sent
/// at once (`process_events`). Returns why it ended.
pub async fn drive_connection<PM: APeerManager<Descriptor = D>, D: SocketDescriptor>(
    peer_manager: &PM,
    mut socket: D,
    mut events: UnboundedReceiver<SocketEvent>,
) -> CloseReason {
    let peer_manager = peer_manager.as_ref();
    while let Some(event) = events.next().await {
        match event {
            SocketEvent::Data(bytes) => {
                if peer_manager.read_event(&mut socket, &bytes).is_err() {
                    // LDK refuses this peer (bad handshake, protocol error): it has forgotten it already.
                    socket.disconnect_socket();
                    return CloseReason::ByUs;
                }
                peer_manager.process_events();
            }
            SocketEvent::Closed(reason) => {
                peer_manager.socket_disconnected(&socket);
                return reason;
            }
        }
    }
    peer_manager.socket_disconnected(&socket);
    CloseReason::Failed("the connection's event stream ended without a close".to_owned())
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::ByUs => f.write_str("closed by this wallet"),
            CloseReason::Remote { code, reason } if reason.is_empty() => write!(f, "closed by the other side (code {code})"),
            CloseReason::Remote { code, reason } => write!(f, "closed by the other side (code {code}: {reason})"),
            CloseReason::Failed(why) => write!(f, "the connection failed: {why}"),
        }
    }
}

/// Fills a proxy URL template (`ws://HOST/v1/{host}/{port}`) for a peer's address. An IPv6 host is
/// written in brackets, as the proxy expects.
pub fn proxy_url(template: &str, host: &str, port: u16) -> Result<String, ConnectError> {
    if !template.contains("{host}") || !template.contains("{port}") {
        return Err(ConnectError::Invalid { address: template.to_owned(), reason: "the proxy URL template needs {host} and {port}".to_owned() });
    }
    if !(template.starts_with("ws://") || template.starts_with("wss://")) {
        return Err(ConnectError::Invalid { address: template.to_owned(), reason: "the proxy URL must start with ws:// or wss://".to_owned() });
    }
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_owned() };
    Ok(template.replace("{host}", &host).replace("{port}", &port.to_string()))
}
