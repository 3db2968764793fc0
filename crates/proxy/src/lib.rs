//! `blixtra-proxy`: a WebSocket-to-TCP bridge that lets a wallet in a browser reach Lightning peers.
//!
//! A client opens `ws(s)://HOST/v1/{target-host}/{port}`; the proxy checks the request against its
//! [`policy::Policy`] (port allow-list, public addresses only unless `--allow-private`, optional Origin
//! allow-list, connection caps), connects, and carries raw bytes in binary frames both ways. It never
//! reads or logs what it carries: Lightning's transport is encrypted end to end between wallet and peer.

pub mod address;
pub mod bridge;
pub mod policy;
pub mod server;
pub mod target;
