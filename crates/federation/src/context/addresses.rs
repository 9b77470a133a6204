//! Which IP addresses are on the public internet, for the outgoing-request guard
//! (`client.rs`). Built from IANA's registries, as of 2025:
//!
//! - IPv4 Special-Purpose Address Registry (iana-ipv4-special-registry): every block not
//!   marked "globally reachable", plus multicast (IPv4 Multicast Address Space Registry);
//! - IPv6 Address Space registry: only `2000::/3` is allocated as global unicast, so everything
//!   outside it is refused (loopback, unspecified, IPv4-compatible `::a.b.c.d`, discard
//!   `100::/64`, unique local `fc00::/7`, link-local `fe80::/10`, the old site-local
//!   `fec0::/10`, multicast `ff00::/8`, the local-use translation prefix `64:ff9b:1::/48`);
//! - IPv6 Special-Purpose Address Registry (iana-ipv6-special-registry): the blocks inside
//!   `2000::/3` that are not a server's address.
//!
//! Addresses that carry an IPv4 address are judged by it: IPv4-mapped (`::ffff:0:0/96`, what a
//! dual-stack socket reaches), NAT64's well-known prefix (`64:ff9b::/96`, RFC 6052: a NAT64
//! gateway forwards to the embedded address) and 6to4 (`2002::/16`, RFC 3056). Teredo
//! (`2001::/32`) hides its client address and is refused with the rest of `2001::/23`.
//!
//! No crate was used: those found copy the standard library's unstable `is_global`, which
//! counts NAT64 addresses as global whatever they embed and does not look inside 6to4.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 blocks that are not public: (network, prefix length), with the registry's name and RFC.
const V4_NOT_PUBLIC: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),      // "This network", RFC 791
    (Ipv4Addr::new(10, 0, 0, 0), 8),     // Private-Use, RFC 1918
    (Ipv4Addr::new(100, 64, 0, 0), 10),  // Shared Address Space (CGN), RFC 6598
    (Ipv4Addr::new(127, 0, 0, 0), 8),    // Loopback, RFC 1122
    (Ipv4Addr::new(169, 254, 0, 0), 16), // Link Local, RFC 3927
    (Ipv4Addr::new(172, 16, 0, 0), 12),  // Private-Use, RFC 1918
    (Ipv4Addr::new(192, 0, 0, 0), 24),   // IETF Protocol Assignments, RFC 6890 (its two
    //                                        globally reachable anycast addresses, .9 and .10,
    //                                        are no server to fetch from)
    (Ipv4Addr::new(192, 0, 2, 0), 24), // Documentation (TEST-NET-1), RFC 5737
    (Ipv4Addr::new(192, 88, 99, 0), 24), // Deprecated 6to4 Relay Anycast, RFC 7526
    (Ipv4Addr::new(192, 168, 0, 0), 16), // Private-Use, RFC 1918
    (Ipv4Addr::new(198, 18, 0, 0), 15), // Benchmarking, RFC 2544
    (Ipv4Addr::new(198, 51, 100, 0), 24), // Documentation (TEST-NET-2), RFC 5737
    (Ipv4Addr::new(203, 0, 113, 0), 24), // Documentation (TEST-NET-3), RFC 5737
    (Ipv4Addr::new(224, 0, 0, 0), 4),  // Multicast, RFC 5771
    (Ipv4Addr::new(240, 0, 0, 0), 4),  // Reserved, RFC 1112; holds Limited Broadcast
];

/// IPv6 blocks inside global unicast (`2000::/3`) that are not public.
const V6_NOT_PUBLIC: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF Protocol Assignments, RFC 2928:
    //                                                   Teredo 2001::/32 (RFC 4380),
    //                                                   benchmarking 2001:2::/48 (RFC 5180),
    //                                                   ORCHID, AMT, anycast service addresses
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // Documentation, RFC 3849
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),     // Documentation, RFC 9637
];

/// Global unicast, the only IPv6 space allocated for public addresses (RFC 4291).
const V6_GLOBAL_UNICAST: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);
/// NAT64's well-known prefix (RFC 6052): the last 32 bits are an IPv4 address.
const V6_NAT64: (Ipv6Addr, u8) = (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);
/// 6to4 (RFC 3056): bits 16 to 47 are the IPv4 address of the site's router.
const V6_6TO4: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16);

/// Whether an address is on the public internet: outside every special-purpose block that is
/// not globally reachable, judged by the IPv4 address inside it where it carries one.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    !V4_NOT_PUBLIC
        .iter()
        .any(|&(net, len)| prefix_matches(u128::from(bits), u128::from(u32::from(net)), 32, len))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    let within = |(net, len): (Ipv6Addr, u8)| prefix_matches(bits, u128::from(net), 128, len);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if within(V6_NAT64) {
        // The low 32 bits, by definition of the prefix.
        return is_public_v4(Ipv4Addr::from(bits as u32));
    }
    if within(V6_6TO4) {
        return is_public_v4(Ipv4Addr::from((bits >> 80) as u32));
    }
    within(V6_GLOBAL_UNICAST) && !V6_NOT_PUBLIC.iter().any(|&range| within(range))
}

/// Whether the first `len` of `width` bits of `addr` are those of `net`.
fn prefix_matches(addr: u128, net: u128, width: u32, len: u8) -> bool {
    let shift = width - u32::from(len.min(width as u8));
    addr.checked_shr(shift).unwrap_or(0) == net.checked_shr(shift).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().expect(text))
    }

    #[test]
    fn special_purpose_ipv4_blocks_are_refused() {
        for ip in [
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.0.9",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.1",
            "192.0.0.170",
            "192.0.2.7",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.1",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "250.1.2.3",
            "255.255.255.255",
        ] {
            assert!(!public(ip), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "192.0.3.1",
            "192.31.196.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.254",
        ] {
            assert!(public(ip), "{ip}");
        }
    }

    #[test]
    fn special_purpose_ipv6_blocks_are_refused() {
        for ip in [
            "::",
            "::1",
            "::127.0.0.1",
            "::a00:1",
            "::5db8:d822",
            "64:ff9b:1::5db8:d822",
            "100::1",
            "100:0:0:1::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:2::1",
            "2001:10::1",
            "2001:1ff::1",
            "2001:db8::1",
            "2001:db8:ffff::1",
            "3fff::1",
            "3fff:fff::1",
        ] {
            assert!(!public(ip), "{ip}");
        }
        for ip in [
            "2606:4700:4700::1111",
            "2a01:4f8::1",
            "2001:200::1",
            "2001:4860:4860::8888",
            "2620:4f:8000::1",
        ] {
            assert!(public(ip), "{ip}");
        }
    }

    #[test]
    fn addresses_carrying_ipv4_are_judged_by_it() {
        // IPv4-mapped.
        assert!(!public("::ffff:127.0.0.1"));
        assert!(!public("::ffff:7f00:1"));
        assert!(!public("::ffff:10.0.0.1"));
        assert!(!public("::ffff:198.18.0.1"));
        assert!(public("::ffff:93.184.216.34"));
        // NAT64.
        assert!(!public("64:ff9b::7f00:1"));
        assert!(!public("64:ff9b::10.0.0.1"));
        assert!(!public("64:ff9b::a9fe:a9fe"));
        assert!(public("64:ff9b::93.184.216.34"));
        // 6to4.
        assert!(!public("2002:7f00:1::1"));
        assert!(!public("2002:c0a8:101::1"));
        assert!(!public("2002:a9fe:a9fe::1"));
        assert!(public("2002:5db8:d822::1"));
    }
}
