//! What the proxy lets through: ports, address classes, origins, connection caps and timeouts; and the
//! refusals, each with the HTTP status or WebSocket close code a client sees.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
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
    /// Most bridges and handshakes in progress at once from one client (an IPv4 address, an IPv6 /64).
    pub max_per_client: usize,
    /// Most handshakes in progress at once, from everyone.
    pub max_handshakes: usize,
    /// Reverse proxies in front of this one: a connection from one of them counts against the client
    /// its `X-Forwarded-For` names. Any other connection's `X-Forwarded-For` is ignored.
    pub trusted_proxies: Vec<IpAddr>,
    pub handshake_timeout: Duration,
    pub connect_timeout: Duration,
    /// A bridge with no bytes either way for this long is closed.
    pub idle_timeout: Duration,
    /// A bridge is closed after this long whatever it carries: pings would otherwise keep an idle
    /// one open for ever, and a client that reconnects loses nothing.
    pub max_lifetime: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            allowed_ports: vec![LIGHTNING_PORT],
            allow_private: false,
            allowed_origins: None,
            max_connections: 1024,
            max_per_client: 16,
            max_handshakes: 256,
            trusted_proxies: Vec::new(),
            handshake_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            max_lifetime: Duration::from_secs(24 * 3600),
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
    TooManyHandshakes,
    ResolveFailed(String),
    ConnectFailed(String),
    ConnectTimedOut,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::BadPath(e) => write!(f, "bad path: {e}"),
            Refusal::PortNotAllowed(port) => write!(f, "port {port} is not allowed by this proxy"),
            // The address stays in the proxy's log: a name's resolved address is not the client's to learn.
            Refusal::AddressNotAllowed { class, .. } => write!(f, "the target's address is not allowed ({class:?})"),
            Refusal::OriginNotAllowed => f.write_str("this page's origin is not allowed by this proxy"),
            Refusal::TooManyConnections => f.write_str("the proxy is at its connection limit; try again later"),
            Refusal::TooManyFromClient => f.write_str("too many connections from this client"),
            Refusal::TooManyHandshakes => f.write_str("the proxy has too many connections being opened; try again later"),
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
            Refusal::TooManyConnections | Refusal::TooManyHandshakes => 503,
            Refusal::ResolveFailed(_) | Refusal::ConnectFailed(_) => 502,
            Refusal::ConnectTimedOut => 504,
        }
    }

    /// The WebSocket close code for a refusal made after the handshake (name resolution, connect).
    pub fn close_code(&self) -> u16 {
        match self {
            Refusal::AddressNotAllowed { .. } | Refusal::PortNotAllowed(_) | Refusal::OriginNotAllowed | Refusal::BadPath(_) => 1008,
            Refusal::TooManyConnections | Refusal::TooManyFromClient | Refusal::TooManyHandshakes => 1013,
            Refusal::ResolveFailed(_) | Refusal::ConnectFailed(_) | Refusal::ConnectTimedOut => 1011,
        }
    }
}

/// Who a connection counts against: an IPv4 address, or an IPv6 /64 (what one subscriber is given, so
/// a client cannot take a new place with each of its addresses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => ClientKey(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(IpAddr::V4(v4)),
                None => ClientKey(IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1)))),
            },
        }
    }
}

impl Policy {
    /// The client a connection from `peer` is for: `peer` itself, or, from a trusted reverse proxy,
    /// the last address in `X-Forwarded-For` that is not a trusted proxy's (proxies append; a client
    /// can forge only the entries before its own). A missing or unreadable header leaves `peer`.
    pub fn client_of(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        let Some(header) = forwarded_for else { return peer };
        for entry in header.rsplit(',') {
            match entry.trim().parse::<IpAddr>() {
                Ok(ip) if self.trusted_proxies.contains(&ip) => continue,
                Ok(ip) => return ip,
                Err(_) => return peer,
            }
        }
        peer
    }

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

/// Counts open bridges and handshakes in progress, in total and per client.
#[derive(Debug, Default)]
pub struct ConnectionLimits {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    bridges: usize,
    handshakes: usize,
    /// Bridges and handshakes, by client.
    per_client: HashMap<ClientKey, usize>,
}

impl Counts {
    fn add(&mut self, client: Option<ClientKey>) {
        if let Some(client) = client {
            *self.per_client.entry(client).or_default() += 1;
        }
    }

    fn remove(&mut self, client: Option<ClientKey>) {
        let Some(client) = client else { return };
        if let Some(n) = self.per_client.get_mut(&client) {
            *n -= 1;
            if *n == 0 {
                self.per_client.remove(&client);
            }
        }
    }

    fn held_by(&self, client: Option<ClientKey>) -> usize {
        client.and_then(|c| self.per_client.get(&c)).copied().unwrap_or(0)
    }
}

/// A handshake in progress; dropping it frees its place. Counted against the connection's peer,
/// unless that is a trusted reverse proxy (the client is known only from the request).
#[derive(Debug)]
pub struct PendingHandshake {
    limits: Arc<ConnectionLimits>,
    peer: Option<ClientKey>,
    /// Whether it still holds its place (not once it became a bridge).
    holds_place: bool,
}

/// One admitted bridge; dropping it frees its place.
#[derive(Debug)]
pub struct Admission {
    limits: Arc<ConnectionLimits>,
    client: ClientKey,
}

impl ConnectionLimits {
    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().expect("the counts lock is never held across a panic")
    }

    /// Takes a place for a handshake from `peer` if the caps allow it: before a byte is read, so
    /// connections that never finish their handshake are bounded too.
    pub fn start_handshake(self: &Arc<Self>, peer: IpAddr, policy: &Policy) -> Result<PendingHandshake, Refusal> {
        let key = (!policy.trusted_proxies.contains(&peer)).then(|| ClientKey::of(peer));
        let mut counts = self.counts();
        if counts.handshakes >= policy.max_handshakes {
            return Err(Refusal::TooManyHandshakes);
        }
        if key.is_some() && counts.held_by(key) >= policy.max_per_client {
            return Err(Refusal::TooManyFromClient);
        }
        counts.handshakes += 1;
        counts.add(key);
        Ok(PendingHandshake { limits: self.clone(), peer: key, holds_place: true })
    }

    /// Turns a handshake into a bridge for `client` if the caps allow it. The handshake's own place
    /// is given up first, so a client's handshake does not count twice against it.
    pub fn admit(self: &Arc<Self>, mut handshake: PendingHandshake, client: IpAddr, policy: &Policy) -> Result<Admission, Refusal> {
        let client = ClientKey::of(client);
        let mut counts = self.counts();
        counts.handshakes -= 1;
        counts.remove(handshake.peer);
        handshake.holds_place = false;
        if counts.bridges >= policy.max_connections {
            return Err(Refusal::TooManyConnections);
        }
        if counts.held_by(Some(client)) >= policy.max_per_client {
            return Err(Refusal::TooManyFromClient);
        }
        counts.bridges += 1;
        counts.add(Some(client));
        Ok(Admission { limits: self.clone(), client })
    }

    /// Returns the number of open bridges.
    pub fn open(&self) -> usize {
        self.counts().bridges
    }

    /// Returns the number of handshakes in progress.
    pub fn handshakes(&self) -> usize {
        self.counts().handshakes
    }
}

impl Drop for PendingHandshake {
    fn drop(&mut self) {
        if !self.holds_place {
            return;
        }
        let mut counts = self.limits.counts();
        counts.handshakes -= 1;
        counts.remove(self.peer);
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut counts = self.limits.counts();
        counts.bridges -= 1;
        counts.remove(Some(self.client));
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
        let bridge = |client: IpAddr| limits.start_handshake(client, &policy).and_then(|h| limits.admit(h, client, &policy));
        let first = bridge(a).expect("admitted");
        let _second = bridge(a).expect("admitted");
        assert_eq!(bridge(a).err(), Some(Refusal::TooManyFromClient));
        let _third = bridge(b).expect("admitted");
        assert_eq!(bridge(b).err(), Some(Refusal::TooManyConnections));
        drop(first);
        assert_eq!((limits.open(), limits.handshakes()), (2, 0));
        bridge(a).expect("a place was freed");
    }

    #[test]
    fn handshakes_in_progress_count_against_the_client_and_the_total() {
        let policy = Policy { max_per_client: 2, max_handshakes: 3, ..Policy::default() };
        let limits = Arc::new(ConnectionLimits::default());
        let (a, b, c): (IpAddr, IpAddr, IpAddr) =
            ("192.0.2.1".parse().expect("ip"), "192.0.2.2".parse().expect("ip"), "192.0.2.3".parse().expect("ip"));
        let half_open = [limits.start_handshake(a, &policy).expect("a place"), limits.start_handshake(a, &policy).expect("a place")];
        assert_eq!(limits.start_handshake(a, &policy).err(), Some(Refusal::TooManyFromClient), "two unfinished handshakes fill a's places");
        let finishing = limits.start_handshake(b, &policy).expect("b has its own places");
        assert_eq!(limits.start_handshake(c, &policy).err(), Some(Refusal::TooManyHandshakes), "three in progress in all");
        let bridge = limits.admit(finishing, b, &policy).expect("b's handshake becomes its bridge");
        assert_eq!((limits.open(), limits.handshakes()), (1, 2));
        drop(half_open);
        assert_eq!(limits.handshakes(), 0);
        let again = limits.start_handshake(b, &policy).expect("a place");
        assert!(limits.admit(again, b, &policy).is_ok(), "b's bridge and its next handshake fit in its two places");
        drop(bridge);
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64_and_a_mapped_ipv4_its_address() {
        let key = |ip: &str| ClientKey::of(ip.parse().expect("ip"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff:1:2:3"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
        assert_ne!(key("192.0.2.1"), key("192.0.2.2"));
    }

    #[test]
    fn forwarded_for_is_believed_from_trusted_proxies_only() {
        let ip = |s: &str| -> IpAddr { s.parse().expect("ip") };
        let policy = Policy { trusted_proxies: vec![ip("10.0.0.1"), ip("10.0.0.2")], ..Policy::default() };
        assert_eq!(policy.client_of(ip("10.0.0.1"), Some("198.51.100.7")), ip("198.51.100.7"));
        // A client's own forged entries come first; the proxies append the address they saw.
        assert_eq!(policy.client_of(ip("10.0.0.1"), Some("1.2.3.4, 198.51.100.7, 10.0.0.2")), ip("198.51.100.7"));
        assert_eq!(policy.client_of(ip("10.0.0.1"), None), ip("10.0.0.1"));
        assert_eq!(policy.client_of(ip("10.0.0.1"), Some("garbage")), ip("10.0.0.1"));
        assert_eq!(policy.client_of(ip("192.0.2.9"), Some("198.51.100.7")), ip("192.0.2.9"), "an untrusted peer's header is ignored");
    }

    #[test]
    fn a_refusal_of_an_address_does_not_say_the_address() {
        let refusal = Policy::default().check_address("169.254.169.254".parse().expect("ip")).expect_err("link-local");
        assert!(!refusal.to_string().contains("169.254"), "{refusal}");
    }
}
