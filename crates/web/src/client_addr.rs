//! The address a request came from, which keys the login throttle and the inbox's per-address
//! limit. It is the connection's peer, unless that peer is one of the configured
//! `trusted_proxies`: then `X-Forwarded-For` is read from the right, skipping the trusted
//! proxies, and the first address that is not one of them is the client. Whatever a client
//! writes into the header itself sits further left and is never reached, so rotating the
//! header gains nothing; without trusted proxies (the default, loopback included) the header
//! is ignored.

use std::net::{IpAddr, SocketAddr};

use axum::{extract::ConnectInfo, http::request::Parts};
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed: addresses and networks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Reads addresses (`127.0.0.1`, `::1`) and networks (`10.0.0.0/8`, `fd00::/8`); an entry
    /// that is neither is an error naming it.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.as_ref().trim();
                entry
                    .parse::<IpNet>()
                    .map(|net| net.trunc())
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{entry:?} is not an IP address or network"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    /// Whether `ip` is one of the trusted proxies (IPv4-mapped IPv6 addresses as IPv4).
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the rightmost
/// address in `X-Forwarded-For` that is not a trusted proxy. `None` when the request came
/// over no connection (the router called directly).
pub fn client_ip(parts: &Parts, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()?
        .0
        .ip()
        .to_canonical();
    if !trusted.trusts(peer) {
        return Some(peer);
    }
    // Every header line counts, in order, as one list.
    let hops: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A trusted proxy writes what it saw; an entry that is no address was not written by
        // one, so the last trusted hop is as far as the chain is believed.
        let Ok(ip) = hop.parse::<IpAddr>().map(|ip| ip.to_canonical()) else {
            break;
        };
        client = ip;
        if !trusted.trusts(ip) {
            break;
        }
    }
    Some(client)
}

/// [`client_ip`] as text, `unknown` without a connection.
pub fn client_address(parts: &Parts, trusted: &TrustedProxies) -> String {
    client_ip(parts, trusted).map_or_else(|| "unknown".into(), |ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(peer: &str, forwarded: &[&str]) -> Parts {
        let mut request = Request::builder().uri("/");
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        let peer: SocketAddr = peer.parse().unwrap();
        parts.extensions.insert(ConnectInfo(peer));
        parts
    }

    #[test]
    fn the_header_counts_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        let proxies = TrustedProxies::parse(&["127.0.0.1", "10.0.0.0/8", "fd00::/8"]).unwrap();
        let ip = |peer, fwd: &[&str], t: &TrustedProxies| {
            client_ip(&parts(peer, fwd), t).unwrap().to_string()
        };
        // Loopback is not trusted by default: the header is ignored.
        assert_eq!(ip("127.0.0.1:5000", &["203.0.113.9"], &none), "127.0.0.1");
        assert_eq!(
            ip("198.51.100.1:5000", &["203.0.113.9"], &proxies),
            "198.51.100.1"
        );
        // From a trusted proxy: the rightmost address that is not a proxy.
        assert_eq!(
            ip("127.0.0.1:5000", &["203.0.113.9"], &proxies),
            "203.0.113.9"
        );
        assert_eq!(
            ip(
                "127.0.0.1:5000",
                &["1.1.1.1, 203.0.113.9, 10.1.2.3"],
                &proxies
            ),
            "203.0.113.9"
        );
        assert_eq!(
            ip("127.0.0.1:5000", &["1.1.1.1", "203.0.113.9"], &proxies),
            "203.0.113.9"
        );
        assert_eq!(
            ip("[::ffff:127.0.0.1]:5000", &["2001:db8::1"], &proxies),
            "2001:db8::1"
        );
        // No header, or one that is only proxies or garbage: the last trusted hop.
        assert_eq!(ip("127.0.0.1:5000", &[], &proxies), "127.0.0.1");
        assert_eq!(ip("127.0.0.1:5000", &["10.0.0.7"], &proxies), "10.0.0.7");
        assert_eq!(
            ip("127.0.0.1:5000", &["1.1.1.1, nonsense"], &proxies),
            "127.0.0.1"
        );
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["proxy.example"]).is_err());
    }
}
