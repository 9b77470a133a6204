//! The HTTP client for fetching from and delivering to other servers. Outside development mode
//! it refuses to reach loopback, private and link-local addresses (DESIGN §9), both for literal
//! IPs in URLs and for names that resolve to them, so a hostile actor document cannot point Kith
//! at services inside the operator's network.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::{FederationError, Result};

/// Largest body Kith reads from another server (and accepts in its inbox).
pub const MAX_BODY: usize = 1024 * 1024;

/// Builds the client: short timeouts, no redirects to other hosts' surprises, and the address
/// guard unless `dev`.
pub fn build(dev: bool, domain: &str) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(format!(
            "Kith/{} (+https://{domain}/)",
            env!("CARGO_PKG_VERSION")
        ))
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        // A redirect must pass the same checks as the URL it came from.
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 3 || check_url(attempt.url(), dev).is_err() {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }));
    if !dev {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    builder
        .build()
        .map_err(|e| FederationError::Remote(format!("HTTP client: {e}")))
}

/// Refuses URLs Kith must not reach: plain `http` outside development mode, and literal private
/// addresses (names are checked by the resolver when connecting).
pub fn check_url(url: &url::Url, dev: bool) -> Result<()> {
    match url.scheme() {
        "https" => {}
        "http" if dev => {}
        other => {
            return Err(FederationError::Forbidden(format!(
                "{other}: URLs are not fetched"
            )));
        }
    }
    if dev {
        return Ok(());
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
            return Err(FederationError::Forbidden(
                "localhost is not fetched".into(),
            ));
        }
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return Err(FederationError::Forbidden("a URL without host".into())),
    };
    if is_public(ip) {
        Ok(())
    } else {
        Err(FederationError::Forbidden(format!(
            "{ip} is not a public address"
        )))
    }
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// A resolver that drops non-public addresses, and fails when none is left.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_refused_outside_dev() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        assert!(is_public("93.184.216.34".parse().unwrap()));
        let local = url::Url::parse("http://127.0.0.1:8080/x").unwrap();
        assert!(check_url(&local, false).is_err());
        assert!(check_url(&local, true).is_ok());
        let https_local = url::Url::parse("https://[::1]/x").unwrap();
        assert!(check_url(&https_local, false).is_err());
        assert!(check_url(&url::Url::parse("https://kith.example/").unwrap(), false).is_ok());
        assert!(check_url(&url::Url::parse("file:///etc/passwd").unwrap(), true).is_err());
    }
}
