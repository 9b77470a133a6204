//! Host names as Kith keeps them: one spelling per server, so that a block, a rate limit, an
//! id's origin and a delivery's host all compare the same text; and which blocks cover a host.
//!
//! The spelling is the WHATWG URL host parser's (the `url` crate: IDNA to ASCII, lower case,
//! IPv4 in any of its spellings such as `0x7f.1` or `2130706433` as dotted decimal, IPv6
//! compressed in brackets), then trailing dots removed, an IPv4-mapped IPv6 address
//! (`[::ffff:7f00:1]`) written as the IPv4 address it is, and the port kept as `:PORT` unless it
//! is the scheme's default. A name longer than DNS allows (253 characters) has no spelling:
//! nothing can reach it, and its suffixes are not worth checking against the blocks.
//!
//! A block or silence of a name covers that name and every name under it (`evil.example`
//! covers `a.evil.example`); without a port it covers every port, with one only that port. An
//! IP address covers only itself. These functions are the one place that says so: the federation
//! layer spells hosts with [`host_of`], the stored blocks and their in-memory copy (`lookup_cache.rs`) are
//! matched with [`covering_names`], and ending a block's memberships and deliveries in SQL uses
//! the same rule.

use std::net::Ipv4Addr;

use url::{Host, Url};

/// The longest host name DNS can resolve.
pub const MAX_HOST_LEN: usize = 253;

/// The canonical host (and port, unless the scheme's default) of a URL: what "same server"
/// means for ids, blocks, rate limits and delivery. `None` when it has no usable host.
pub fn host_of(id: &str) -> Option<String> {
    canonical_host(&Url::parse(id).ok()?)
}

/// Like [`host_of`], for a parsed URL.
pub fn canonical_host(url: &Url) -> Option<String> {
    let name = canonical_name(url.host()?)?;
    Some(match url.port() {
        Some(port) => format!("{name}:{port}"),
        None => name,
    })
}

/// A host typed by a person (`example.social`, `example.social:8443`, `[2001:db8::1]`) or taken
/// from a handle, checked strictly: a host and an optional port, nothing else (no path, query,
/// fragment, user, percent-escape, space or control character). Spelled as [`host_of`] spells
/// it for a URL of `scheme`, whose default port is dropped.
pub fn parse_host(text: &str, scheme: &str) -> Option<String> {
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "/?#@\\%".contains(c);
    if text.is_empty() || text.ends_with(':') || text.chars().any(forbidden) {
        return None;
    }
    let url = Url::parse(&format!("{scheme}://{text}/")).ok()?;
    let bare = url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !bare {
        return None;
    }
    canonical_host(&url)
}

/// A host stored before hosts were spelled one way, spelled now, every port kept (a stored
/// `host:443` came from an id that named the port).
pub(crate) fn respell_stored(host: &str) -> Option<String> {
    // A scheme without a default port: no port is dropped, and the host is parsed as http's.
    parse_host(host, "kith")
}

fn canonical_name(host: Host<&str>) -> Option<String> {
    match host {
        Host::Ipv4(ip) => Some(ip.to_string()),
        Host::Ipv6(ip) => Some(match ip.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => Host::<&str>::Ipv6(ip).to_string(),
        }),
        // http(s) hosts arrive in ASCII lower case; other schemes' hosts are opaque and are
        // parsed here as http's would be. Without its trailing dots a name may turn out to be
        // an IPv4 address in another spelling (`0x7f.1..`), so it is parsed again.
        Host::Domain(name) => match Host::parse(name.trim_end_matches('.')).ok()? {
            Host::Domain(name) if name.len() <= MAX_HOST_LEN => Some(name),
            Host::Domain(_) => None,
            Host::Ipv4(ip) => Some(ip.to_string()),
            Host::Ipv6(ip) => canonical_name(Host::Ipv6(ip)),
        },
    }
}

/// A canonical host split into its name and port.
pub(crate) fn split_port(host: &str) -> (&str, Option<&str>) {
    match host.rfind(':') {
        // An IPv6 literal has colons of its own, inside its brackets.
        Some(i) if !host[..i].contains('[') || host[..i].ends_with(']') => {
            (&host[..i], Some(&host[i + 1..]))
        }
        _ => (host, None),
    }
}

fn is_ip(name: &str) -> bool {
    name.starts_with('[') || name.parse::<Ipv4Addr>().is_ok()
}

/// The block entries that would cover a canonical `host`, most specific first: the host itself,
/// its name without the port, and each parent name with and without the port. At most about
/// 250 entries (names are at most [`MAX_HOST_LEN`] long), usually four to six.
pub fn covering_names(host: &str) -> Vec<String> {
    let (name, port) = split_port(host);
    let mut names = vec![name];
    if !is_ip(name) {
        let mut rest = name;
        while let Some((_, parent)) = rest.split_once('.') {
            if !parent.is_empty() {
                names.push(parent);
            }
            rest = parent;
        }
    }
    let mut out = Vec::with_capacity(names.len() * 2);
    for name in names {
        if let Some(port) = port {
            out.push(format!("{name}:{port}"));
        }
        out.push(name.to_owned());
    }
    out
}

/// Whether a block of `block` (canonical) covers `host` (canonical).
pub fn covers(block: &str, host: &str) -> bool {
    covering_names(host).iter().any(|n| n == block)
}

/// SQL `LIKE` patterns (escaped with `\`) for the hosts a block covers besides itself: other
/// ports of a port-less block, and the names under it.
pub(crate) fn covered_patterns(block: &str) -> Vec<String> {
    let (name, port) = split_port(block);
    let escaped = like_escape(block);
    match (is_ip(name), port) {
        (true, Some(_)) => Vec::new(),
        (true, None) => vec![format!("{escaped}:%")],
        (false, Some(_)) => vec![format!("%.{escaped}")],
        (false, None) => vec![
            format!("{escaped}:%"),
            format!("%.{escaped}"),
            format!("%.{escaped}:%"),
        ],
    }
}

fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A SQL condition on `column` that holds for every host `block` covers, with its values from
/// `$first` on (bind them in the order of the returned list).
pub(crate) fn covered_condition(column: &str, block: &str, first: usize) -> (String, Vec<String>) {
    let mut values = vec![block.to_owned()];
    let mut sql = format!("({column} = ${first}");
    for (i, pattern) in covered_patterns(block).into_iter().enumerate() {
        sql.push_str(&format!(" OR {column} LIKE ${} ESCAPE '\\'", first + 1 + i));
        values.push(pattern);
    }
    sql.push(')');
    (sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_host_is_one() {
        for (id, host) in [
            ("http://127.0.0.1:19082/u/a", "127.0.0.1:19082"),
            ("http://[::ffff:7f00:1]:19082/u/a", "127.0.0.1:19082"),
            ("http://[::ffff:127.0.0.1]:19082/u/a", "127.0.0.1:19082"),
            ("http://0x7f.1:19082/", "127.0.0.1:19082"),
            ("http://2130706433:19082/", "127.0.0.1:19082"),
            ("http://0177.0.0.1:19082/", "127.0.0.1:19082"),
            ("http://127.0.0.1.:19082/", "127.0.0.1:19082"),
            ("https://Evil.Example./x", "evil.example"),
            ("https://evil.example../x", "evil.example"),
            ("https://EVIL.example:443/x", "evil.example"),
            ("http://evil.example:80/x", "evil.example"),
            ("https://evil.example:80/x", "evil.example:80"),
            ("https://bücher.example/", "xn--bcher-kva.example"),
            ("https://BÜCHER.example/", "xn--bcher-kva.example"),
            ("https://evil\u{3002}example/", "evil.example"),
            ("https://[2001:DB8:0:0::1]:8443/", "[2001:db8::1]:8443"),
            ("kith://0x7f.1../", "127.0.0.1"),
        ] {
            assert_eq!(host_of(id).as_deref(), Some(host), "{id}");
        }
        let long = format!("https://{}.example/", "a.".repeat(200));
        assert_eq!(host_of(&long), None, "longer than DNS allows");
        assert_eq!(host_of("https://./"), None);
        assert_eq!(host_of("acct:a@b"), None);
        assert_eq!(host_of("not a url"), None);
    }

    #[test]
    fn typed_hosts_are_a_host_and_a_port_only() {
        assert_eq!(
            parse_host("Spam.Example.", "https").as_deref(),
            Some("spam.example")
        );
        assert_eq!(
            parse_host("spam.example:443", "https").as_deref(),
            Some("spam.example")
        );
        assert_eq!(
            parse_host("[::ffff:7f00:1]:19082", "http").as_deref(),
            Some("127.0.0.1:19082")
        );
        for bad in [
            "",
            "host/../../admin",
            "host/",
            "host?x",
            "host#x",
            "user@host",
            "ho st",
            "ho\tst",
            "host:",
            "host:99999",
            "host:8o",
            "ex%61mple.com",
            "a\\b",
            "::1",
            "[::1",
        ] {
            assert_eq!(parse_host(bad, "https"), None, "{bad:?}");
        }
        assert_eq!(respell_stored("host.:443").as_deref(), Some("host:443"));
        assert_eq!(
            respell_stored("[::ffff:7f00:1]:80").as_deref(),
            Some("127.0.0.1:80")
        );
    }

    #[test]
    fn blocks_cover_names_under_them_and_ports_when_they_name_none() {
        assert!(covers("evil.example", "evil.example"));
        assert!(covers("evil.example", "a.evil.example"));
        assert!(covers("evil.example", "a.b.evil.example:8443"));
        assert!(covers("evil.example:8443", "a.evil.example:8443"));
        assert!(!covers("evil.example:8443", "evil.example"));
        assert!(!covers("evil.example:8443", "evil.example:443"));
        assert!(!covers("evil.example", "notevil.example"));
        assert!(!covers("evil.example", "evil.example.org"));
        assert!(covers("127.0.0.1", "127.0.0.1:19082"));
        assert!(!covers("0.0.1", "127.0.0.1"), "an address has no parents");
        assert!(!covers("127.0.0.1:1", "127.0.0.1:19082"));
        assert!(covers("[::1]", "[::1]:80"));
        assert_eq!(
            covering_names("a.b.example:80"),
            [
                "a.b.example:80",
                "a.b.example",
                "b.example:80",
                "b.example",
                "example:80",
                "example"
            ]
        );
    }

    #[test]
    fn sql_patterns_match_what_blocks_cover() {
        assert_eq!(
            covered_patterns("a_b.example"),
            ["a\\_b.example:%", "%.a\\_b.example", "%.a\\_b.example:%"]
        );
        assert_eq!(covered_patterns("x.example:80"), ["%.x.example:80"]);
        assert_eq!(covered_patterns("127.0.0.1"), ["127.0.0.1:%"]);
        assert!(covered_patterns("[::1]:80").is_empty());
        let (sql, values) = covered_condition("domain", "x.example:80", 2);
        assert_eq!(sql, "(domain = $2 OR domain LIKE $3 ESCAPE '\\')");
        assert_eq!(values, ["x.example:80", "%.x.example:80"]);
    }
}
