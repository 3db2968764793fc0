//! Classifies IP addresses: which ones the public internet can reach, and which are special-purpose
//! (IANA's IPv4 and IPv6 special-purpose registries, RFC 6890 and its updates).
//!
//! An open WebSocket-to-TCP relay is a way into its operator's network: a page could reach the
//! operator's loopback services, LAN, cloud metadata endpoint (169.254.169.254) or multicast groups.
//! The proxy connects only to [`AddressClass::Public`] addresses unless told otherwise.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16) and IPv6 unique-local (fc00::/7).
    Private,
    /// 100.64.0.0/10, carrier-grade NAT's shared space.
    SharedCgnat,
    /// 169.254.0.0/16 (cloud metadata lives here), fe80::/10.
    LinkLocal,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// 0.0.0.0/8, ::.
    Unspecified,
    /// Any other special-purpose range (benchmarking, reserved, broadcast, protocol assignments,
    /// transition mechanisms that tunnel to an embedded address, discard-only).
    Reserved,
}

impl AddressClass {
    /// Tells whether this class is in the operator's own network, the set `--allow-private` opens
    /// (for a local devnet or a LAN test bed). Multicast, documentation and reserved ranges stay shut.
    pub fn is_private_network(self) -> bool {
        matches!(self, Self::Loopback | Self::Private | Self::SharedCgnat | Self::LinkLocal)
    }
}

pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

pub fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    use AddressClass::*;
    const TABLE: &[([u8; 4], u32, AddressClass)] = &[
        ([0, 0, 0, 0], 8, Unspecified),
        ([10, 0, 0, 0], 8, Private),
        ([100, 64, 0, 0], 10, SharedCgnat),
        ([127, 0, 0, 0], 8, Loopback),
        ([169, 254, 0, 0], 16, LinkLocal),
        ([172, 16, 0, 0], 12, Private),
        ([192, 0, 0, 0], 24, Reserved), // IETF protocol assignments
        ([192, 0, 2, 0], 24, Documentation),
        ([192, 31, 196, 0], 24, Reserved), // AS112
        ([192, 52, 193, 0], 24, Reserved), // AMT
        ([192, 88, 99, 0], 24, Reserved),  // 6to4 relay anycast
        ([192, 168, 0, 0], 16, Private),
        ([192, 175, 48, 0], 24, Reserved), // direct delegation AS112
        ([198, 18, 0, 0], 15, Reserved),   // benchmarking
        ([198, 51, 100, 0], 24, Documentation),
        ([203, 0, 113, 0], 24, Documentation),
        ([224, 0, 0, 0], 4, Multicast),
        ([240, 0, 0, 0], 4, Reserved), // future use, and 255.255.255.255 broadcast
    ];
    TABLE.iter().find(|(net, prefix, _)| in_v4(ip, *net, *prefix)).map_or(Public, |(_, _, class)| *class)
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

pub fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    use AddressClass::*;
    if ip.is_unspecified() {
        return Unspecified;
    }
    if ip.is_loopback() {
        return Loopback;
    }
    // An IPv4-mapped address (::ffff:a.b.c.d) reaches its IPv4 address: judge that one.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    const TABLE: &[([u16; 8], u32, AddressClass)] = &[
        ([0, 0, 0, 0, 0, 0, 0, 0], 96, Reserved),         // IPv4-compatible (deprecated)
        ([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, Reserved), // NAT64: reaches an embedded IPv4 address
        ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, Reserved), // local-use NAT64
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, Reserved),     // discard-only
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, Documentation),
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, Reserved), // IETF protocol assignments, Teredo
        ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, Reserved), // 6to4: reaches an embedded IPv4 address
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, Documentation),
        ([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, Reserved), // SRv6 SIDs
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, Private),
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, LinkLocal),
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, Reserved), // site-local (deprecated)
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, Multicast),
    ];
    if let Some((_, _, class)) = TABLE.iter().find(|(net, prefix, _)| in_v6(ip, *net, *prefix)) {
        return *class;
    }
    // Only 2000::/3 is allocated as global unicast; anything else is not a real destination.
    if in_v6(ip, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) {
        Public
    } else {
        Reserved
    }
}

#[cfg(test)]
mod tests {
    use super::AddressClass::*;
    use super::*;

    #[test]
    fn every_address_in_the_table_gets_its_class() {
        let table: &[(&str, AddressClass)] = &[
            ("8.8.8.8", Public),
            ("1.1.1.1", Public),
            ("100.63.255.255", Public),
            ("100.128.0.0", Public),
            ("172.15.255.255", Public),
            ("172.32.0.0", Public),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("10.0.0.1", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("100.64.0.1", SharedCgnat),
            ("100.127.255.254", SharedCgnat),
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("169.254.169.254", LinkLocal),
            ("192.0.0.8", Reserved),
            ("192.0.2.1", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.9", Documentation),
            ("192.88.99.1", Reserved),
            ("198.18.0.1", Reserved),
            ("198.19.255.255", Reserved),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("240.0.0.1", Reserved),
            ("255.255.255.255", Reserved),
            ("2606:4700:4700::1111", Public),
            ("2a00:1450:4001:81c::200e", Public),
            ("::", Unspecified),
            ("::1", Loopback),
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.1.2.3", Private),
            ("::ffff:8.8.8.8", Public),
            ("::127.0.0.1", Reserved),
            ("64:ff9b::10.0.0.1", Reserved),
            ("100::1", Reserved),
            ("2001:db8::1", Documentation),
            ("2001::1", Reserved),
            ("2002:0a00:0001::1", Reserved),
            ("3fff::1", Documentation),
            ("fc00::1", Private),
            ("fd12:3456::1", Private),
            ("fe80::1", LinkLocal),
            ("fec0::1", Reserved),
            ("ff02::1", Multicast),
            ("4000::1", Reserved),
        ];
        for (text, expected) in table {
            let ip: IpAddr = text.parse().expect("a valid address in the table");
            assert_eq!(classify(ip), *expected, "{text}");
        }
    }

    #[test]
    fn allow_private_opens_the_operators_networks_only() {
        assert!(Loopback.is_private_network() && Private.is_private_network() && SharedCgnat.is_private_network() && LinkLocal.is_private_network());
        for shut in [Public, Multicast, Documentation, Unspecified, Reserved] {
            assert!(!shut.is_private_network(), "{shut:?}");
        }
    }
}
