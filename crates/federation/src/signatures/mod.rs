//! HTTP signatures in both schemes in use: draft-cavage (`Signature: keyId=…,headers=…`, what
//! Mastodon, GoToSocial, Lemmy and Misskey send) and RFC 9421 HTTP Message Signatures
//! (`Signature-Input` + `Signature`, what Fedify-based servers, NodeBB and Bonfire send first,
//! and Mastodon since 4.5 accepts).
//!
//! Kith signs with its actors' RSA keys, draft-cavage unless the receiving host asked for RFC
//! 9421 (`crate::outbound::knock`). It verifies either scheme with RSA (PKCS#1 v1.5 SHA-256, PSS SHA-512)
//! or Ed25519 keys, under the same rules: the signature covers the method and target, the host
//! and — on POST — a digest of the body that matches it; it is fresh (`Date`, `created` and
//! `expires` within the window); and it verifies with a key its owner publishes. Query strings:
//! Kith signs the target with its query, and accepts a signature made with or without it. The
//! maths is aws-lc-rs; structured fields (RFC 8941) are parsed by `sfv`.

mod cavage;
mod keys;
mod refusal;
mod rfc9421;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::HeaderMap;
use url::Url;

pub use cavage::digest_header;
pub use keys::{Algorithm, VerifyingKey};
pub use refusal::{FAILED_KEY_TTL, KeyFailure, Reason, Refusal};

use crate::{FederationError, Result};

/// How old a signature (its `Date` or `created`) may be.
pub const MAX_AGE: Duration = Duration::from_secs(60 * 60);
/// How far clocks may disagree, either way.
pub const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// The two HTTP signature schemes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// draft-cavage-http-signatures-12, as Mastodon writes it.
    Cavage,
    /// RFC 9421 HTTP Message Signatures.
    Rfc9421,
}

impl Scheme {
    /// The name stored per host (`delivery_hosts.signature_scheme`) and logged.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Cavage => "draft-cavage",
            Scheme::Rfc9421 => "rfc9421",
        }
    }

    /// Reads a stored name; anything else is draft-cavage, the scheme every server reads.
    pub fn parse(text: Option<&str>) -> Scheme {
        match text {
            Some("rfc9421") => Scheme::Rfc9421,
            _ => Scheme::Cavage,
        }
    }

    /// The other scheme (the second knock).
    pub fn other(self) -> Scheme {
        match self {
            Scheme::Cavage => Scheme::Rfc9421,
            Scheme::Rfc9421 => Scheme::Cavage,
        }
    }
}

/// A local actor's private key, parsed once.
pub struct SigningKey {
    key_id: String,
    pair: RsaKeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.key_id)
            .finish()
    }
}

impl SigningKey {
    /// Reads a PKCS#8 PEM private key.
    pub fn from_pem(key_id: &str, private_pem: &str) -> Result<Self> {
        let (_, der) = pem_rfc7468::decode_vec(private_pem.trim().as_bytes())
            .map_err(|e| FederationError::Key(format!("private key PEM: {e}")))?;
        let pair = RsaKeyPair::from_pkcs8(&der)
            .map_err(|e| FederationError::Key(format!("private key: {e}")))?;
        Ok(SigningKey {
            key_id: key_id.to_owned(),
            pair,
        })
    }

    /// The key's id (`<actor>#main-key`).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256: `rsa-sha256` in draft-cavage, `rsa-v1_5-sha256` in
    /// RFC 9421.
    fn sign_raw(&self, data: &[u8]) -> Result<Vec<u8>> {
        let mut out = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                data,
                &mut out,
            )
            .map_err(|_| FederationError::Key("signing failed".into()))?;
        Ok(out)
    }

    fn sign(&self, data: &[u8]) -> Result<String> {
        Ok(BASE64.encode(self.sign_raw(data)?))
    }
}

/// Reads a public key as an actor publishes it (SPKI PEM or multibase) for verifying.
pub fn parse_public_key(published: &str) -> Result<VerifyingKey> {
    VerifyingKey::from_published(published).map_err(Into::into)
}

/// Headers for a draft-cavage signed POST of an ActivityPub body to `url`.
pub fn sign_post(key: &SigningKey, url: &Url, body: &[u8]) -> Result<Vec<(&'static str, String)>> {
    sign_post_with(Scheme::Cavage, key, url, body)
}

/// Headers for a signed POST of an ActivityPub body to `url`, in `scheme`.
pub fn sign_post_with(
    scheme: Scheme,
    key: &SigningKey,
    url: &Url,
    body: &[u8],
) -> Result<Vec<(&'static str, String)>> {
    sign_post_with_header(scheme, key, url, body, None)
}

/// [`sign_post_with`], also sending and signing one more header (FEP-8fcf's
/// `Collection-Synchronization`, which its receivers read only when signed).
pub fn sign_post_with_header(
    scheme: Scheme,
    key: &SigningKey,
    url: &Url,
    body: &[u8],
    extra: Option<(&'static str, &str)>,
) -> Result<Vec<(&'static str, String)>> {
    match scheme {
        Scheme::Cavage => cavage::sign(key, "POST", url, Some(body), extra),
        Scheme::Rfc9421 => rfc9421::sign(key, "POST", url, Some(body), extra),
    }
}

/// Headers for a draft-cavage signed GET of `url` (servers in authorized-fetch mode require one).
pub fn sign_get(key: &SigningKey, url: &Url) -> Result<Vec<(&'static str, String)>> {
    sign_get_with(Scheme::Cavage, key, url)
}

/// Headers for a signed GET of `url`, in `scheme`.
pub fn sign_get_with(
    scheme: Scheme,
    key: &SigningKey,
    url: &Url,
) -> Result<Vec<(&'static str, String)>> {
    match scheme {
        Scheme::Cavage => cavage::sign(key, "GET", url, None, None),
        Scheme::Rfc9421 => rfc9421::sign(key, "GET", url, None, None),
    }
}

/// The request a signature is checked against, as this server was addressed.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// `https` (`http` in development mode).
    pub scheme: &'a str,
    /// This instance's host and port, as in its ids.
    pub authority: &'a str,
    /// Path and query, as received.
    pub path_and_query: &'a str,
}

impl Target<'_> {
    /// The path without its query.
    fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query, |(path, _)| path)
    }

    /// The query, when there is one.
    fn query(&self) -> Option<&str> {
        self.path_and_query.split_once('?').map(|(_, query)| query)
    }
}

/// A request whose signature is well-formed, fresh and (for POST) matches its body, but has not
/// been checked against the sender's key yet.
#[derive(Debug)]
pub struct SignatureCheck {
    /// The `keyId` the sender names.
    pub key_id: String,
    /// The scheme the request was signed in.
    pub scheme: Scheme,
    /// What was signed: the signing string (or signature base) of the request as received,
    /// then the same without the query string, for senders that leave it out.
    messages: Vec<Vec<u8>>,
    signature: Vec<u8>,
    /// The algorithm the sender names; `None`: the key's own.
    algorithm: Option<Algorithm>,
}

/// Checks everything about a request's signature that needs no key: presence, what it covers,
/// the time window and the body digest. A request with `Signature-Input` is RFC 9421, any other
/// draft-cavage.
pub fn check_request(
    target: &Target<'_>,
    headers: &HeaderMap,
    body: Option<&[u8]>,
) -> std::result::Result<SignatureCheck, Refusal> {
    check_request_at(target, headers, body, now_secs())
}

/// [`check_request`] as if received at `now` (seconds since the epoch): for replaying
/// recorded requests.
pub fn check_request_at(
    target: &Target<'_>,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    now: i64,
) -> std::result::Result<SignatureCheck, Refusal> {
    if headers.contains_key("signature-input") {
        rfc9421::check(target, headers, body, now)
    } else {
        cavage::check(target, headers, body, now)
    }
}

impl SignatureCheck {
    /// Whether the signature was made by the holder of `key`: `Ok`, or why not.
    pub fn verify(&self, key: &VerifyingKey) -> std::result::Result<(), Refusal> {
        let algorithm = self.algorithm.unwrap_or_else(|| key.default_algorithm());
        if !key.supports(algorithm) {
            return Err(Refusal::new(
                Reason::AlgorithmMismatch,
                format!(
                    "{} is not an algorithm of the key {}",
                    algorithm.as_str(),
                    self.key_id
                ),
            ));
        }
        if self
            .messages
            .iter()
            .any(|message| key.verify(algorithm, message, &self.signature))
        {
            Ok(())
        } else {
            Err(Refusal::new(
                Reason::DoesNotVerify,
                "the signature does not verify",
            ))
        }
    }
}

/// The headers of a request as one string per name (several values joined with `, `).
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// Seconds since the epoch, now.
fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The freshness rules, the same for both schemes: `Date` and `created` no older than
/// [`MAX_AGE`] and no further ahead than [`CLOCK_SKEW`]; `expires` not passed (with the skew).
fn check_window(
    now: i64,
    date: Option<&str>,
    created: Option<i64>,
    expires: Option<i64>,
) -> std::result::Result<(), Refusal> {
    let stale = |m: String| Refusal::new(Reason::OutsideWindow, m);
    let (max_age, skew) = (MAX_AGE.as_secs() as i64, CLOCK_SKEW.as_secs() as i64);
    let mut times = Vec::with_capacity(2);
    if let Some(date) = date {
        let sent = httpdate::parse_http_date(date)
            .map_err(|_| Refusal::new(Reason::Malformed, format!("unreadable Date {date:?}")))?;
        let secs = sent
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        times.push(("Date", secs));
    }
    if let Some(created) = created {
        times.push(("created", created));
    }
    for (what, at) in times {
        if at > now + skew {
            return Err(stale(format!("{what} is in the future")));
        }
        if at + max_age + skew < now {
            return Err(stale(format!("{what} is too old")));
        }
    }
    if let Some(expires) = expires
        && expires + skew < now
    {
        return Err(stale("the signature has expired".into()));
    }
    Ok(())
}

#[cfg(test)]
mod rfc9421_tests;
#[cfg(test)]
mod tests;
