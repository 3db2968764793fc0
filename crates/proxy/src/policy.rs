//! What the proxy lets through: ports, address classes, origins, connection caps and timeouts; and the
//! refusals, each with the HTTP status or WebSocket close code a client sees.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::address::{classify, AddressClass};
use crate::target::PathError;

/// The Lightning port; the only one a default proxy connects to.
pub const LIGHTNING_PORT: u16 = 9735;

#[derive(Debug, Clone)]
pub struct Policy {
    pub allowed_ports: Vec<u16>,
    /// Also connect to loopback, private, CGNAT and link-local addresses (a local devnet).
    pub allow_private: bool,
    /// `None`: any Origin (or none). `Some`: the request's Origin must be one of these exactly.
    pub allowed_origins: Option<Vec<String>>,
    pub max_connections: usize,
    pub max_per_client: usize,
    pub handshake_timeout: Duration,
    pub connect_timeout: Duration,
    /// A bridge with no bytes either way for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            allowed_ports: vec![LIGHTNING_PORT],
            allow_private: false,
            allowed_origins: None,
            max_connections: 1024,
            max_per_client: 16,
            handshake_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// Why a bridge was refused or ended early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    BadPath(PathError),
    PortNotAllowed(u16),
    AddressNotAllowed { ip: IpAddr, class: AddressClass },
    OriginNotAllowed,
    TooManyConnections,
    TooManyFromClient,
    ResolveFailed(String),
    ConnectFailed(String),
    ConnectTimedOut,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::BadPath(e) => write!(f, "bad path: {e}"),
            Refusal::PortNotAllowed(port) => write!(f, "port {port} is not allowed by this proxy"),
            Refusal::AddressNotAllowed { ip, class } => write!(f, "address {ip} is not allowed ({class:?})"),
            Refusal::OriginNotAllowed => f.write_str("this page's origin is not allowed by this proxy"),
            Refusal::TooManyConnections => f.write_str("the proxy is at its connection limit; try again later"),
            Refusal::TooManyFromClient => f.write_str("too many connections from this client"),
            Refusal::ResolveFailed(e) => write!(f, "cannot resolve the host: {e}"),
            Refusal::ConnectFailed(e) => write!(f, "cannot connect to the target: {e}"),
            Refusal::ConnectTimedOut => f.write_str("the target did not answer in time"),
        }
    }
}

impl Refusal {
    /// The HTTP status for a refusal made before the WebSocket handshake completes.
    pub fn http_status(&self) -> u16 {
        match self {
            Refusal::BadPath(_) => 400,
            Refusal::PortNotAllowed(_) | Refusal::AddressNotAllowed { .. } | Refusal::OriginNotAllowed => 403,
            Refusal::TooManyFromClient => 429,
            Refusal::TooManyConnections => 503,
            Refusal::ResolveFailed(_) | Refusal::ConnectFailed(_) => 502,
            Refusal::ConnectTimedOut => 504,
        }
    }

    /// The WebSocket close code for a refusal made after the handshake (name resolution, connect).
    pub fn close_code(&self) -> u16 {
        match self {
            Refusal::AddressNotAllowed { .. } | Refusal::PortNotAllowed(_) | Refusal::OriginNotAllowed | Refusal::BadPath(_) => 1008,
            Refusal::TooManyConnections | Refusal::TooManyFromClient => 1013,
            Refusal::ResolveFailed(_) | Refusal::ConnectFailed(_) | Refusal::ConnectTimedOut => 1011,
        }
    }
}

impl Policy {
    pub fn check_port(&self, port: u16) -> Result<(), Refusal> {
        if self.allowed_ports.contains(&port) {
            Ok(())
        } else {
            Err(Refusal::PortNotAllowed(port))
        }
    }

    pub fn check_address(&self, ip: IpAddr) -> Result<(), Refusal> {
        match classify(ip) {
            AddressClass::Public => Ok(()),
            class if self.allow_private && class.is_private_network() => Ok(()),
            class => Err(Refusal::AddressNotAllowed { ip, class }),
        }
    }

    pub fn check_origin(&self, origin: Option<&str>) -> Result<(), Refusal> {
        match &self.allowed_origins {
            None => Ok(()),
            Some(allowed) if origin.is_some_and(|o| allowed.iter().any(|a| a == o)) => Ok(()),
            Some(_) => Err(Refusal::OriginNotAllowed),
        }
    }
}

/// Counts open bridges, in total and per client address.
#[derive(Debug, Default)]
pub struct ConnectionLimits {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_client: HashMap<IpAddr, usize>,
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub struct Admission {
    limits: Arc<ConnectionLimits>,
    client: IpAddr,
}

impl ConnectionLimits {
    /// Admits a connection from `client` if both caps allow it.
    pub fn admit(self: &Arc<Self>, client: IpAddr, policy: &Policy) -> Result<Admission, Refusal> {
        let mut counts = self.counts.lock().expect("the counts lock is never held across a panic");
        if counts.total >= policy.max_connections {
            return Err(Refusal::TooManyConnections);
        }
        let from_client = counts.per_client.entry(client).or_default();
        if *from_client >= policy.max_per_client {
            return Err(Refusal::TooManyFromClient);
        }
        *from_client += 1;
        counts.total += 1;
        Ok(Admission { limits: self.clone(), client })
    }

    /// Returns the number of open bridges.
    pub fn open(&self) -> usize {
        self.counts.lock().expect("the counts lock is never held across a panic").total
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut counts = self.limits.counts.lock().expect("the counts lock is never held across a panic");
        counts.total -= 1;
        if let Some(n) = counts.per_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                counts.per_client.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_policy_allows_public_addresses_on_the_lightning_port_only() {
        let policy = Policy::default();
        assert_eq!(policy.check_port(9735), Ok(()));
        assert_eq!(policy.check_port(22), Err(Refusal::PortNotAllowed(22)));
        assert_eq!(policy.check_address("8.8.8.8".parse().expect("ip")), Ok(()));
        assert!(policy.check_address("127.0.0.1".parse().expect("ip")).is_err());
        assert!(policy.check_address("169.254.169.254".parse().expect("ip")).is_err());
    }

    #[test]
    fn allow_private_opens_loopback_but_never_multicast() {
        let policy = Policy { allow_private: true, ..Policy::default() };
        assert_eq!(policy.check_address("127.0.0.1".parse().expect("ip")), Ok(()));
        assert_eq!(policy.check_address("10.0.0.1".parse().expect("ip")), Ok(()));
        assert!(policy.check_address("224.0.0.1".parse().expect("ip")).is_err());
        assert!(policy.check_address("0.0.0.0".parse().expect("ip")).is_err());
    }

    #[test]
    fn an_origin_list_admits_exact_matches_only() {
        let policy = Policy { allowed_origins: Some(vec!["https://wallet.example".into()]), ..Policy::default() };
        assert_eq!(policy.check_origin(Some("https://wallet.example")), Ok(()));
        assert_eq!(policy.check_origin(Some("https://wallet.example.evil")), Err(Refusal::OriginNotAllowed));
        assert_eq!(policy.check_origin(None), Err(Refusal::OriginNotAllowed));
        assert_eq!(Policy::default().check_origin(None), Ok(()));
    }

    #[test]
    fn caps_count_per_client_and_in_total_and_free_on_drop() {
        let policy = Policy { max_connections: 3, max_per_client: 2, ..Policy::default() };
        let limits = Arc::new(ConnectionLimits::default());
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().expect("ip"), "192.0.2.2".parse().expect("ip"));
        let first = limits.admit(a, &policy).expect("admitted");
        let _second = limits.admit(a, &policy).expect("admitted");
        assert_eq!(limits.admit(a, &policy).err(), Some(Refusal::TooManyFromClient));
        let _third = limits.admit(b, &policy).expect("admitted");
        assert_eq!(limits.admit(b, &policy).err(), Some(Refusal::TooManyConnections));
        drop(first);
        assert_eq!(limits.open(), 2);
        limits.admit(a, &policy).expect("a place was freed");
    }
}
