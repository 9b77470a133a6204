//! draft-cavage HTTP signatures, as Mastodon writes and checks them (`app/lib/request.rb`,
//! `app/lib/signed_request.rb` in mastodon/mastodon).
//!
//! Kith signs with `rsa-sha256` over `(request-target) content-type date digest host` (POST)
//! or `(request-target) date host` (GET), and verifies whatever header list the sender chose,
//! as long as it covers the request target, the date (or `(created)`), `host` on GET and
//! `digest` on POST, which is checked against the body. `created` and `expires` parameters are
//! held to the same window as `Date`. The signing string is built by
//! `http-signature-normalization`.

use std::collections::BTreeMap;
use std::time::SystemTime;

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::HeaderMap;
use http_signature_normalization::Config;
use url::Url;

use super::{
    Algorithm, CLOCK_SKEW, MAX_AGE, Reason, Refusal, Scheme, SignatureCheck, SigningKey, Target,
    check_window,
};
use crate::{FederationError, Result};

/// The `Digest` header value of a body.
pub fn digest_header(body: &[u8]) -> String {
    let hash = digest::digest(&digest::SHA256, body);
    format!("SHA-256={}", BASE64.encode(hash.as_ref()))
}

/// Signed headers for `method` to `url` (with the body's digest on POST).
pub(super) fn sign(
    key: &SigningKey,
    method: &str,
    url: &Url,
    body: Option<&[u8]>,
    extra: Option<(&'static str, &str)>,
) -> Result<Vec<(&'static str, String)>> {
    let mut headers = base_headers(url)?;
    if let Some(body) = body {
        headers.insert("content-type".into(), crate::ACTIVITY_JSON.into());
        headers.insert("digest".into(), digest_header(body));
    }
    if let Some((name, value)) = extra {
        headers.insert(name.into(), value.into());
    }
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
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
            "content-type" => "content-type",
            _ => extra.map_or("content-type", |(name, _)| name),
        };
        out.push((name, value));
    }
    out.push(("signature", header));
    Ok(out)
}

/// `Host` and `Date`, signed by both schemes.
pub(super) fn base_headers(url: &Url) -> Result<BTreeMap<String, String>> {
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

/// Checks a draft-cavage signature (see the module's rules).
pub(super) fn check(
    target: &Target<'_>,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    now: i64,
) -> std::result::Result<SignatureCheck, Refusal> {
    let mut map = BTreeMap::new();
    for name in headers.keys() {
        if let Some(text) = super::header_text(headers, name.as_str()) {
            map.insert(name.as_str().to_owned(), text);
        }
    }
    let raw = map
        .get("signature")
        .or_else(|| map.get("authorization"))
        .cloned()
        .ok_or_else(|| Refusal::new(Reason::Unsigned, "the request is not signed"))?;
    let params = parameters(&raw)?;
    let covered = covered_headers(&params);
    let covers = |h: &str| covered.iter().any(|c| c == h);
    let missing = |m: &str| Refusal::new(Reason::CavageHeaderMissing, m);
    if !covers("(request-target)") {
        return Err(missing("the signature must cover (request-target)"));
    }
    if !covers("date") && !covers("(created)") {
        return Err(missing("the signature must cover date or (created)"));
    }
    if target.method == "GET" && !covers("host") {
        return Err(missing("a GET signature must cover host"));
    }
    let number = |name: &str| -> std::result::Result<Option<i64>, Refusal> {
        params
            .get(name)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| Refusal::new(Reason::Malformed, format!("{name}={v:?}")))
            })
            .transpose()
    };
    check_window(
        now,
        map.get("date").map(String::as_str),
        number("created")?,
        number("expires")?,
    )?;
    if let Some(body) = body {
        if !covers("digest") {
            return Err(missing("a POST signature must cover digest"));
        }
        check_digest(map.get("digest").map(String::as_str), body)?;
    }
    let mut targets = vec![target.path_and_query];
    if target.query().is_some() {
        targets.push(target.path());
    }
    let mut messages = Vec::with_capacity(targets.len());
    let mut first = None;
    for path in targets {
        let unverified = Config::new()
            .set_expiration(MAX_AGE + CLOCK_SKEW)
            .begin_verify(target.method, path, map.clone())
            .map_err(|e| Refusal::new(Reason::Malformed, e))?;
        messages.push(unverified.signing_string().as_bytes().to_vec());
        first.get_or_insert(unverified);
    }
    let unverified = first.ok_or_else(|| Refusal::new(Reason::Malformed, "no signature"))?;
    let algorithm = match unverified.algorithm().map(ToString::to_string).as_deref() {
        None | Some("hs2019") => None,
        Some("rsa-sha256") => Some(Algorithm::RsaPkcs1Sha256),
        Some("ed25519") => Some(Algorithm::Ed25519),
        Some(other) => {
            return Err(Refusal::new(
                Reason::AlgorithmUnsupported,
                format!("draft-cavage algorithm {other}"),
            ));
        }
    };
    let signature = BASE64
        .decode(unverified.signature().as_bytes())
        .map_err(|_| Refusal::new(Reason::Malformed, "the signature is not base64"))?;
    Ok(SignatureCheck {
        key_id: unverified.key_id().to_owned(),
        scheme: Scheme::Cavage,
        messages,
        signature,
        algorithm,
    })
}

/// The `name="value"` parameters of a `Signature` header (also after `Signature ` in
/// `Authorization`). A parameter given twice is refused: which one counts would be a guess, and
/// http-signature-normalization, which builds the signing string, might guess otherwise.
fn parameters(raw: &str) -> std::result::Result<BTreeMap<String, String>, Refusal> {
    let mut params = BTreeMap::new();
    for (k, v) in raw
        .trim_start_matches("Signature ")
        .split(',')
        .filter_map(|part| part.trim().split_once('='))
    {
        let (k, v) = (k.trim().to_owned(), v.trim().trim_matches('"').to_owned());
        if params.insert(k.clone(), v).is_some() {
            return Err(Refusal::new(
                Reason::Malformed,
                format!("the Signature gives {k} twice"),
            ));
        }
    }
    Ok(params)
}

/// The header names a signature covers (`headers="…"`; `(created)` alone when absent).
fn covered_headers(params: &BTreeMap<String, String>) -> Vec<String> {
    params
        .get("headers")
        .map(|list| list.split_whitespace().map(str::to_lowercase).collect())
        .unwrap_or_else(|| vec!["(created)".to_owned()])
}

/// Checks a `Digest` header (`SHA-256=…`, possibly among other algorithms) against the body.
fn check_digest(header: Option<&str>, body: &[u8]) -> std::result::Result<(), Refusal> {
    let mismatch = |m: &str| {
        Refusal::with_error(
            Reason::DigestMismatch,
            FederationError::BadRequest(format!("{}: {m}", Reason::DigestMismatch.label())),
        )
    };
    let header = header.ok_or_else(|| Refusal::new(Reason::DigestMismatch, "no Digest header"))?;
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
    Err(if saw_sha256 {
        mismatch("the Digest does not match the body")
    } else {
        mismatch("the Digest has no SHA-256 value")
    })
}

#[cfg(test)]
pub(super) fn covered(raw: &str) -> Vec<String> {
    parameters(raw)
        .map(|params| covered_headers(&params))
        .unwrap_or_default()
}
