//! HTTP signatures (draft-cavage), as Mastodon writes and checks them (DESIGN §4).
//!
//! Kith signs with `rsa-sha256` over `(request-target) content-type date digest host` (POST) or
//! `(request-target) date host` (GET), and verifies whatever header list the sender chose, as
//! long as it covers the request target, the date and — on POST — the digest, which is checked
//! against the body. Keys are RSA; the maths is done by aws-lc-rs (several times faster than the
//! `rsa` crate, and free of its timing advisory).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::HeaderMap;
use http_signature_normalization::Config;
use url::Url;

use crate::{FederationError, Result};

/// How old a signed `Date` may be.
pub const MAX_AGE: Duration = Duration::from_secs(60 * 60);
/// How far clocks may disagree, either way.
pub const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

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

    fn sign(&self, data: &[u8]) -> Result<String> {
        let mut out = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                data,
                &mut out,
            )
            .map_err(|_| FederationError::Key("signing failed".into()))?;
        Ok(BASE64.encode(out))
    }
}

/// Reads an SPKI PEM public key (`publicKeyPem`) for verifying.
pub fn parse_public_key(public_pem: &str) -> Result<ParsedPublicKey> {
    let (_, der) = pem_rfc7468::decode_vec(public_pem.trim().as_bytes())
        .map_err(|e| FederationError::Key(format!("public key PEM: {e}")))?;
    ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
        .map_err(|e| FederationError::Key(format!("public key: {e}")))
}

/// The `Digest` header value of a body.
pub fn digest_header(body: &[u8]) -> String {
    let hash = digest::digest(&digest::SHA256, body);
    format!("SHA-256={}", BASE64.encode(hash.as_ref()))
}

/// Headers for a signed POST of an ActivityPub body to `url`.
pub fn sign_post(key: &SigningKey, url: &Url, body: &[u8]) -> Result<Vec<(&'static str, String)>> {
    let mut headers = base_headers(url)?;
    headers.insert("content-type".into(), crate::ACTIVITY_JSON.into());
    headers.insert("digest".into(), digest_header(body));
    sign_headers(key, "POST", url, headers)
}

/// Headers for a signed GET of `url` (servers in authorized-fetch mode require one).
pub fn sign_get(key: &SigningKey, url: &Url) -> Result<Vec<(&'static str, String)>> {
    sign_headers(key, "GET", url, base_headers(url)?)
}

fn base_headers(url: &Url) -> Result<BTreeMap<String, String>> {
    // The Host header names the URL's authority as written (what the receiver sees), not the
    // canonical spelling hosts are compared by (`protocol::host_of`).
    let host = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => return Err(FederationError::BadRequest(format!("no host in {url}"))),
    };
    Ok(BTreeMap::from([
        ("host".to_owned(), host),
        (
            "date".to_owned(),
            httpdate::fmt_http_date(SystemTime::now()),
        ),
    ]))
}

fn sign_headers(
    key: &SigningKey,
    method: &str,
    url: &Url,
    headers: BTreeMap<String, String>,
) -> Result<Vec<(&'static str, String)>> {
    let target = path_and_query(url);
    let unsigned = Config::new()
        .mastodon_compat()
        .begin_sign(method, &target, headers.clone())
        .map_err(|e| FederationError::Key(e.to_string()))?;
    // The library labels every signature `hs2019`; Mastodon and most servers write the older,
    // universally understood `rsa-sha256`, which is what these signatures are.
    let header = unsigned
        .sign(key.key_id.clone(), |s| key.sign(s.as_bytes()))?
        .signature_header()
        .replacen("algorithm=\"hs2019\"", "algorithm=\"rsa-sha256\"", 1);
    let mut out: Vec<(&'static str, String)> = Vec::with_capacity(headers.len() + 1);
    for (name, value) in headers {
        let name = match name.as_str() {
            "host" => "host",
            "date" => "date",
            "digest" => "digest",
            _ => "content-type",
        };
        out.push((name, value));
    }
    out.push(("signature", header));
    Ok(out)
}

fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// A request whose signature is well-formed, fresh and (for POST) matches its body, but has not
/// been checked against the sender's key yet.
#[derive(Debug)]
pub struct SignatureCheck {
    /// The `keyId` the sender names.
    pub key_id: String,
    signing_string: String,
    signature: String,
}

/// Checks everything about a request's signature that needs no key: presence, the covered
/// headers, the date window and the body digest.
pub fn check_request(
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body: Option<&[u8]>,
) -> Result<SignatureCheck> {
    let bad = |m: &str| FederationError::Signature(m.to_owned());
    let mut map = BTreeMap::new();
    for name in headers.keys() {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        map.insert(name.as_str().to_owned(), values.join(", "));
    }
    let raw = map
        .get("signature")
        .cloned()
        .or_else(|| map.get("authorization").cloned())
        .ok_or_else(|| bad("the request is not signed"))?;
    let covered = covered_headers(&raw);
    let covers = |h: &str| covered.iter().any(|c| c == h);
    if !covers("(request-target)") {
        return Err(bad("the signature must cover (request-target)"));
    }
    if !covers("date") && !covers("(created)") {
        return Err(bad("the signature must cover date or (created)"));
    }
    if method == "GET" && !covers("host") {
        return Err(bad("a GET signature must cover host"));
    }
    if let Some(date) = map.get("date") {
        check_date(date)?;
    }
    if let Some(body) = body {
        if !covers("digest") {
            return Err(bad("a POST signature must cover digest"));
        }
        check_digest(map.get("digest").map(String::as_str), body)?;
    }
    let unverified = Config::new()
        .set_expiration(MAX_AGE + CLOCK_SKEW)
        .begin_verify(method, path_and_query, map)
        .map_err(|e| FederationError::Signature(e.to_string()))?;
    match unverified.algorithm().map(ToString::to_string).as_deref() {
        None | Some("hs2019") | Some("rsa-sha256") => {}
        Some(other) => return Err(bad(&format!("unsupported algorithm {other}"))),
    }
    Ok(SignatureCheck {
        key_id: unverified.key_id().to_owned(),
        signing_string: unverified.signing_string().to_owned(),
        signature: unverified.signature().to_owned(),
    })
}

impl SignatureCheck {
    /// Whether the signature was made by the holder of `key`.
    pub fn verify(&self, key: &ParsedPublicKey) -> bool {
        BASE64
            .decode(self.signature.as_bytes())
            .is_ok_and(|sig| key.verify_sig(self.signing_string.as_bytes(), &sig).is_ok())
    }
}

/// The header names a signature covers (`headers="…"`; `(created)` alone when absent).
fn covered_headers(raw: &str) -> Vec<String> {
    raw.trim_start_matches("Signature ")
        .split(',')
        .find_map(|part| part.trim().strip_prefix("headers="))
        .map(|list| {
            list.trim_matches('"')
                .split_whitespace()
                .map(str::to_lowercase)
                .collect()
        })
        .unwrap_or_else(|| vec!["(created)".to_owned()])
}

fn check_date(date: &str) -> Result<()> {
    let sent = httpdate::parse_http_date(date)
        .map_err(|_| FederationError::Signature(format!("unreadable Date {date:?}")))?;
    let now = SystemTime::now();
    if sent > now + CLOCK_SKEW {
        return Err(FederationError::Signature("Date is in the future".into()));
    }
    if sent + MAX_AGE + CLOCK_SKEW < now {
        return Err(FederationError::Signature("Date is too old".into()));
    }
    Ok(())
}

/// Checks a `Digest` header (`SHA-256=…`, possibly among other algorithms) against the body.
fn check_digest(header: Option<&str>, body: &[u8]) -> Result<()> {
    let header = header.ok_or_else(|| FederationError::Signature("no Digest header".into()))?;
    let expected = digest_header(body);
    let mut saw_sha256 = false;
    for part in header.split(',') {
        let Some((alg, value)) = part.trim().split_once('=') else {
            continue;
        };
        if alg.eq_ignore_ascii_case("sha-256") {
            saw_sha256 = true;
            if format!("SHA-256={value}") == expected {
                return Ok(());
            }
        }
    }
    Err(FederationError::BadRequest(if saw_sha256 {
        "the Digest does not match the body".into()
    } else {
        "the Digest has no SHA-256 value".into()
    }))
}

#[cfg(test)]
mod tests;
