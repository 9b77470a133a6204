//! Handles (`@name@host`), parsed strictly before anything is looked up: the name must be the
//! user part of an `acct:` URI (RFC 7565) and the host a host with an optional port, nothing
//! more, so that a handle cannot steer a WebFinger request to another path
//! (`x@host/../../admin`), user (`x@evil@host`) or query (`x@host?y`).

use std::fmt;

use url::Url;

use crate::{FederationError, Result};

/// The longest name accepted (Mastodon's own are at most 30 characters).
const MAX_NAME: usize = 255;

/// A remote account's handle: `name@host`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handle {
    /// The user part, as given (case is the remote server's business).
    pub name: String,
    /// The host, spelled as [`super::host_of`] spells hosts (with `:port` unless the scheme's
    /// default).
    pub host: String,
}

impl Handle {
    /// Reads `name@host`, `@name@host` or `acct:name@host`, where the host is reached over
    /// `scheme` (`https`, or `http` in development mode). Anything else is refused with a
    /// message saying what is wrong.
    pub fn parse(text: &str, scheme: &str) -> Result<Handle> {
        let text = text.trim();
        let bare = strip_prefix_ignore_case(text, "acct:").unwrap_or(text);
        let bare = bare.strip_prefix('@').unwrap_or(bare);
        let refuse = |why: &str| {
            FederationError::BadRequest(format!(
                "{text:?} is not a handle like name@example.social: {why}"
            ))
        };
        let (name, host) = bare
            .split_once('@')
            .ok_or_else(|| refuse("it has no @ before the server's name"))?;
        if !is_acct_user(name) {
            return Err(refuse(
                "the name may hold only letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = %XX",
            ));
        }
        let host = kith_storage::domains::parse_host(host, scheme)
            .ok_or_else(|| refuse("after the @ comes a server's name (and port), nothing more"))?;
        Ok(Handle {
            name: name.to_owned(),
            host,
        })
    }

    /// The `acct:` URI WebFinger is asked about.
    pub fn acct(&self) -> String {
        format!("acct:{self}")
    }

    /// The WebFinger URL that looks this handle up on its server.
    pub fn webfinger_url(&self, scheme: &str) -> Result<Url> {
        let mut url = Url::parse(&format!("{scheme}://{}/.well-known/webfinger", self.host))
            .map_err(|e| FederationError::BadRequest(format!("{}: {e}", self.host)))?;
        url.query_pairs_mut().append_pair("resource", &self.acct());
        Ok(url)
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.host)
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// RFC 7565 `userpart`: unreserved or sub-delims characters, and percent-escapes after the
/// first character.
fn is_acct_user(name: &str) -> bool {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b);
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_NAME || !plain(bytes[0]) {
        return false;
    }
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let escape = bytes.get(i + 1..i + 3);
            if !escape.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            i += 3;
        } else if plain(bytes[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Handle> {
        Handle::parse(text, "https")
    }

    #[test]
    fn handles_are_a_name_and_a_host() -> Result<()> {
        let felix = parse(" @felix@Mastodon.Social. ")?;
        assert_eq!(felix.name, "felix");
        assert_eq!(felix.host, "mastodon.social");
        assert_eq!(felix.acct(), "acct:felix@mastodon.social");
        assert_eq!(
            felix.webfinger_url("https")?.as_str(),
            "https://mastodon.social/.well-known/webfinger?resource=acct%3Afelix%40mastodon.social"
        );
        assert_eq!(
            parse("acct:Ann_B.x@kith.example:8443")?.to_string(),
            "Ann_B.x@kith.example:8443"
        );
        assert_eq!(parse("a@kith.example:443")?.host, "kith.example");
        assert_eq!(parse("a@bücher.example")?.host, "xn--bcher-kva.example");
        assert_eq!(parse("a%C3%A9@x.example")?.name, "a%C3%A9");
        assert_eq!(
            Handle::parse("a@127.0.0.1:80", "http")?.host,
            "127.0.0.1",
            "http's default port"
        );
        Ok(())
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "x@host/../../admin",
            "x@host/.well-known/other",
            "x@host?resource=acct:admin@host",
            "x@host#frag",
            "x@evil@host",
            "x@user:pass@host",
            "x@host\\admin",
            "x@ho st",
            "x@ho\nst",
            "x@ho\tst",
            "x@host:",
            "x@host:99999",
            "x@ex%61mple.com",
            "x@",
            "@host",
            "x",
            "x/y@host",
            "x y@host",
            "%41x@host",
            "x%4@host",
            "x?@host",
            "élodie@host",
        ] {
            let err = parse(bad).expect_err(bad);
            assert!(
                err.to_string()
                    .contains("is not a handle like name@example.social"),
                "{bad:?}: {err}"
            );
        }
        assert!(parse(&format!("{}@host", "a".repeat(256))).is_err());
    }
}
