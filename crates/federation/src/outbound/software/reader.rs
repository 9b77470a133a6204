//! Who fetches a document. A few documents are served in another form to the servers that
//! misread the common one (a Lemmy 1.0 server takes a group that approves its members for a
//! private community; GoToSocial shows an event's `summary` as a content warning), so a GET is
//! attributed to a kind of server: by the software its `User-Agent` names (Lemmy sends
//! `Lemmy/VERSION; +https://HOST`, GoToSocial `gotosocial/VERSION (+https://HOST)`, Mastodon
//! `http.rb/… (Mastodon/VERSION; +https://HOST/)`), else by the host of the signature's key,
//! whose software the delivery queue looked up (the signature is not checked for this). Nothing private depends on it: every form is
//! public, so a requester that lies about itself only gets another public form.

use super::Dialect;
use crate::Context;

/// Who a GET comes from, as far as the form of a document goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reader {
    /// The dialect of its software ([`Dialect::Unknown`] when not told).
    pub dialect: Dialect,
    /// Whether that was learnt from the signature (the answer then varies by signer, and no
    /// shared cache may keep it for others).
    pub by_signature: bool,
}

impl Reader {
    /// A reader that told nothing about itself.
    pub const UNKNOWN: Reader = Reader {
        dialect: Dialect::Unknown,
        by_signature: false,
    };
}

/// The dialect a `User-Agent` names: the first `NAME/VERSION` product of known software.
pub fn dialect_of_user_agent(user_agent: &str) -> Dialect {
    user_agent
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '(' | ')' | ','))
        .filter_map(|product| product.split_once('/').map(|(name, _)| name))
        .map(Dialect::of_software)
        .find(|d| *d != Dialect::Unknown)
        .unwrap_or(Dialect::Unknown)
}

/// The `keyId` of a draft-cavage `Signature` header or of an RFC 9421 `Signature-Input` header
/// (`keyid`), not checked: only its host is used, to name the reader.
pub fn key_id_of(signature: &str) -> Option<&str> {
    let lower = signature.to_ascii_lowercase();
    let at = lower.find("keyid=\"")? + "keyid=\"".len();
    let rest = signature.get(at..)?;
    rest.split('"').next().filter(|k| !k.is_empty())
}

impl Context {
    /// Who sent a GET with these headers: the software its `User-Agent` names, else the
    /// software of its signing key's host, as the delivery queue looked it up (unknown for a
    /// host never delivered to).
    pub async fn reader_of(&self, user_agent: Option<&str>, signature: Option<&str>) -> Reader {
        let dialect = user_agent.map_or(Dialect::Unknown, dialect_of_user_agent);
        if dialect != Dialect::Unknown {
            return Reader {
                dialect,
                by_signature: false,
            };
        }
        let Some(host) = signature
            .and_then(key_id_of)
            .and_then(crate::protocol::host_of)
        else {
            return Reader::UNKNOWN;
        };
        if host == self.urls().domain() {
            return Reader::UNKNOWN;
        }
        let known = match self.known_hosts(std::slice::from_ref(&host)).await {
            Ok(known) => known,
            Err(error) => {
                tracing::warn!(%error, %host, "reading a host's software failed");
                return Reader::UNKNOWN;
            }
        };
        // A host is not noted for a look-up from a GET: the signature is not checked here, so
        // anyone could have Kith look up any host by naming it in a `keyId`.
        let known = known.get(&host).cloned().unwrap_or(super::Known::Unnoted);
        Reader {
            dialect: known.dialect(),
            by_signature: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_name_their_software() {
        assert_eq!(
            dialect_of_user_agent("Lemmy/1.0.0; +https://lemmy.example"),
            Dialect::Lemmy
        );
        assert_eq!(
            dialect_of_user_agent("gotosocial/0.20.0 (+https://gts.example)"),
            Dialect::GoToSocial
        );
        assert_eq!(
            dialect_of_user_agent("http.rb/5.2.0 (Mastodon/4.5.0; +https://mastodon.example/)"),
            Dialect::Microblog
        );
        assert_eq!(
            dialect_of_user_agent("NodeBB/4.4.0 (+https://forum.example)"),
            Dialect::Groups
        );
        assert_eq!(dialect_of_user_agent("curl/8.5.0"), Dialect::Unknown);
        assert_eq!(dialect_of_user_agent(""), Dialect::Unknown);
    }

    #[test]
    fn key_ids_are_read_from_both_signature_headers() {
        let cavage = "keyId=\"https://lemmy.example/#main-key\",algorithm=\"hs2019\",\
                      headers=\"(request-target) host date\",signature=\"abc\"";
        assert_eq!(key_id_of(cavage), Some("https://lemmy.example/#main-key"));
        let rfc9421 =
            "sig1=(\"@method\" \"@target-uri\");created=1;keyid=\"https://n.example/key\"";
        assert_eq!(key_id_of(rfc9421), Some("https://n.example/key"));
        assert_eq!(key_id_of("signature=\"abc\""), None);
    }
}
