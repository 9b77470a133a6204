//! The HTTP client for fetching from and delivering to other servers. Outside development mode
//! it refuses to reach loopback, private, link-local and every other special-purpose address
//! (`addresses.rs`), both for literal IPs in URLs and for names that resolve to them, so a
//! hostile actor document cannot point Kith at services inside the operator's network.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::{FederationError, Result};

/// Whether an address is on the public internet (IANA's special-purpose registries, with the
/// IPv4 address inside mapped, NAT64 and 6to4 addresses judged: `addresses.rs`).
pub use crate::context::addresses::is_public;

/// Largest body Kith reads from another server (and accepts in its inbox).
pub const MAX_BODY: usize = 1024 * 1024;

/// Where outgoing requests may go.
#[derive(Clone, Debug, Default)]
pub struct Guard {
    /// Plain `http` URLs are fetched (development mode).
    pub allow_http: bool,
    /// Every address is reachable (development mode).
    pub allow_private: bool,
    /// Private addresses the operator allows anyway (a peer on the same LAN), like Mastodon's
    /// `ALLOWED_PRIVATE_ADDRESSES`.
    pub allowed_private: Vec<IpAddr>,
}

impl Guard {
    /// Development mode allows everything; otherwise https to public addresses only, plus the
    /// allowed private ones.
    pub fn new(dev: bool, allowed_private: Vec<IpAddr>) -> Self {
        Guard {
            allow_http: dev,
            allow_private: dev,
            allowed_private,
        }
    }

    fn permits(&self, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip) || self.allowed_private.contains(&ip)
    }

    /// Refuses URLs Kith must not reach: plain `http` outside development mode, and literal
    /// private addresses (names are checked by the resolver when connecting).
    pub fn check_url(&self, url: &url::Url) -> Result<()> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            other => {
                return Err(FederationError::Forbidden(format!(
                    "{other}: URLs are not fetched"
                )));
            }
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(url::Host::Domain(d))
                if !self.allow_private
                    && d.trim_end_matches('.').eq_ignore_ascii_case("localhost") =>
            {
                return Err(FederationError::Forbidden(
                    "localhost is not fetched".into(),
                ));
            }
            Some(url::Host::Domain(_)) => return Ok(()),
            None => return Err(FederationError::Forbidden("a URL without host".into())),
        };
        if self.permits(ip) {
            Ok(())
        } else {
            Err(FederationError::Forbidden(format!(
                "{ip} is not a public address"
            )))
        }
    }
}

/// Builds the client: short timeouts, at most three redirects, each checked like the URL it
/// came from, and names resolved to permitted addresses only.
pub fn build(guard: &Guard, domain: &str) -> Result<reqwest::Client> {
    let redirect_guard = guard.clone();
    let mut builder = reqwest::Client::builder()
        .user_agent(format!(
            "Kith/{} (+https://{domain}/)",
            env!("CARGO_PKG_VERSION")
        ))
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        // A redirect must pass the same checks as the URL it came from.
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 3 || redirect_guard.check_url(attempt.url()).is_err() {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }));
    if !guard.allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly(guard.clone())));
    }
    builder
        .build()
        .map_err(|e| FederationError::Remote(format!("HTTP client: {e}")))
}

/// A resolver that drops addresses the guard does not permit, and fails when none is left: a
/// name pointing at the operator's network is refused however it is spelled.
struct PublicOnly(Guard);

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let guard = self.0.clone();
        Box::pin(async move {
            let addrs = resolve_permitted(&guard, &host).await?;
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The addresses `host` resolves to that the guard permits; an error when there are none.
pub async fn resolve_permitted(
    guard: &Guard,
    host: &str,
) -> std::result::Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await?
        .filter(|a| guard.permits(a.ip()))
        .collect();
    if addrs.is_empty() {
        return Err(format!("{host} has no public address").into());
    }
    Ok(addrs)
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
            "64:ff9b::7f00:1",
            "::127.0.0.1",
            "198.18.0.1",
            "240.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        assert!(is_public("93.184.216.34".parse().unwrap()));
        let public = Guard::new(false, Vec::new());
        let dev = Guard::new(true, Vec::new());
        let local = url::Url::parse("http://127.0.0.1:8080/x").unwrap();
        assert!(public.check_url(&local).is_err());
        assert!(dev.check_url(&local).is_ok());
        let https_local = url::Url::parse("https://[::1]/x").unwrap();
        assert!(public.check_url(&https_local).is_err());
        let lan = Guard::new(false, vec!["10.1.2.3".parse().unwrap()]);
        assert!(
            lan.check_url(&url::Url::parse("https://10.1.2.3/").unwrap())
                .is_ok()
        );
        assert!(
            lan.check_url(&url::Url::parse("https://10.1.2.4/").unwrap())
                .is_err()
        );
        let kith = url::Url::parse("https://kith.example/").unwrap();
        assert!(public.check_url(&kith).is_ok());
        let file = url::Url::parse("file:///etc/passwd").unwrap();
        assert!(dev.check_url(&file).is_err());
        let localhost = url::Url::parse("https://LOCALHOST./").unwrap();
        assert!(public.check_url(&localhost).is_err());
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused() {
        let public = Guard::new(false, Vec::new());
        assert!(resolve_permitted(&public, "localhost").await.is_err());
        let dev = Guard::new(true, Vec::new());
        assert!(resolve_permitted(&dev, "localhost").await.is_ok());
    }
}
