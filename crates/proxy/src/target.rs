//! The target of a bridge, read from the request path `/v1/{host}/{port}`.
//!
//! `{host}` is an IPv4 address (dots may be written `_`, as earlier browser wallets did), a bracketed
//! IPv6 address (`[2001:db8::1]`, brackets raw or percent-encoded), or a DNS name.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetHost {
    Ip(IpAddr),
    /// A DNS name, lower-cased; resolved (and every address checked) before connecting.
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: TargetHost,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// Not `/v1/{host}/{port}`.
    Shape,
    Host,
    Port,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathError::Shape => "the path must be /v1/{host}/{port}",
            PathError::Host => "the host is not an IPv4 address, a bracketed IPv6 address or a DNS name",
            PathError::Port => "the port is not a number from 1 to 65535",
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            TargetHost::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port),
            TargetHost::Ip(IpAddr::V4(ip)) => write!(f, "{ip}:{}", self.port),
            TargetHost::Name(name) => write!(f, "{name}:{}", self.port),
        }
    }
}

impl Target {
    /// Reads the target from a request path (a query string, if any, is ignored).
    pub fn from_path(path: &str) -> Result<Target, PathError> {
        let path = path.split('?').next().unwrap_or_default();
        let mut parts = path.strip_prefix("/v1/").ok_or(PathError::Shape)?.split('/');
        let (Some(host), Some(port), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(PathError::Shape);
        };
        let port: u16 = port.parse().ok().filter(|p| *p != 0).ok_or(PathError::Port)?;
        Ok(Target { host: parse_host(host)?, port })
    }
}

fn parse_host(host: &str) -> Result<TargetHost, PathError> {
    let host = host.replace("%5B", "[").replace("%5b", "[").replace("%5D", "]").replace("%5d", "]").replace("%3A", ":").replace("%3a", ":");
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or(PathError::Host)?;
        return inner.parse::<Ipv6Addr>().map(|ip| TargetHost::Ip(ip.into())).map_err(|_| PathError::Host);
    }
    let dotted = host.replace('_', ".");
    if let Ok(ip) = dotted.parse::<Ipv4Addr>() {
        return Ok(TargetHost::Ip(ip.into()));
    }
    if is_dns_name(&host) {
        return Ok(TargetHost::Name(host.to_ascii_lowercase()));
    }
    Err(PathError::Host)
}

/// Tells whether `name` is a syntactically valid DNS host name (RFC 1123 labels) that is not all
/// digits and dots, so a malformed IPv4 address is never sent to the resolver as a name.
fn is_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') && !l.starts_with('-') && !l.ends_with('-')
    };
    (1..=253).contains(&name.len()) && name.split('.').all(label_ok) && !name.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> TargetHost {
        TargetHost::Ip(text.parse().expect("valid"))
    }

    #[test]
    fn paths_of_every_host_form_are_read() {
        let cases = [
            ("/v1/127_0_0_1/9735", ip("127.0.0.1"), 9735),
            ("/v1/203.0.113.5/9736", ip("203.0.113.5"), 9736),
            ("/v1/[2001:db8::1]/9735", ip("2001:db8::1"), 9735),
            ("/v1/%5B::1%5D/9735", ip("::1"), 9735),
            ("/v1/Node.Example.COM/9735?x=1", TargetHost::Name("node.example.com".into()), 9735),
            ("/v1/localhost/1", TargetHost::Name("localhost".into()), 1),
        ];
        for (path, host, port) in cases {
            assert_eq!(Target::from_path(path), Ok(Target { host, port }), "{path}");
        }
    }

    #[test]
    fn malformed_paths_are_refused_with_the_reason() {
        let cases = [
            ("/", PathError::Shape),
            ("/v2/1.2.3.4/9735", PathError::Shape),
            ("/v1/1.2.3.4", PathError::Shape),
            ("/v1/1.2.3.4/9735/extra", PathError::Shape),
            ("/v1/1.2.3.4/0", PathError::Port),
            ("/v1/1.2.3.4/65536", PathError::Port),
            ("/v1/1.2.3.4/port", PathError::Port),
            ("/v1/[::1/9735", PathError::Host),
            ("/v1/[nonsense]/9735", PathError::Host),
            ("/v1/1.2.3.999/9735", PathError::Host),
            ("/v1/-bad-.com/9735", PathError::Host),
            ("/v1/under_score.com/9735", PathError::Host),
            ("/v1//9735", PathError::Host),
        ];
        for (path, error) in cases {
            assert_eq!(Target::from_path(path), Err(error), "{path}");
        }
    }
}
