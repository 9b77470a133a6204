//! RFC 9421 HTTP Message Signatures, with RFC 9530 `Content-Digest`.
//!
//! Incoming: the first signature of `Signature-Input` that `Signature` carries is checked. It
//! must name a `keyid` and a `created` time (Mastodon requires both, `app/lib/signed_request.rb`),
//! and cover `@method`, the target (`@target-uri`, or `@path` / `@request-target` with the
//! authority as `@authority` or `host`, and `@query` when there is one) and, on POST,
//! `content-digest`, whose `sha-256` or `sha-512` must be the body's. `alg` may be
//! `rsa-v1_5-sha256`, `rsa-pss-sha512` or `ed25519`, or absent (the key decides). Components
//! with parameters (`;sf`, `;key`, `;req`, …) and `@query-param` are refused: no fediverse
//! server signs them.
//!
//! Outgoing (Kith signs this way for hosts that asked for it): label `sig1`, components
//! `("@method" "@target-uri" "@authority")`, plus `"content-type" "content-digest"` on POST,
//! with `created`, `keyid` and `alg="rsa-v1_5-sha256"` — what Mastodon 4.5's verifier requires,
//! and the shape Fedify signs (`packages/fedify/src/sig/http.ts` in fedify-dev/fedify).

use aws_lc_rs::digest;
use http::HeaderMap;
use sfv::{
    BareItem, Dictionary, FieldType, InnerList, Integer, Item, Key, KeyRef, ListEntry, Parser,
    StringRef,
};
use url::Url;

use super::cavage::base_headers;
use super::{
    Algorithm, Reason, Refusal, Scheme, SignatureCheck, SigningKey, Target, check_window,
    header_text, now_secs,
};
use crate::{FederationError, Result};

/// The label Kith signs under.
const LABEL: &str = "sig1";

fn missing(detail: impl std::fmt::Display) -> Refusal {
    Refusal::new(Reason::Rfc9421ComponentMissing, detail)
}

fn malformed(detail: impl std::fmt::Display) -> Refusal {
    Refusal::new(Reason::Malformed, detail)
}

/// The `Content-Digest` value of a body (SHA-256).
pub fn content_digest(body: &[u8]) -> String {
    let hash = digest::digest(&digest::SHA256, body);
    let mut dict = Dictionary::new();
    dict.insert(
        key("sha-256"),
        ListEntry::Item(Item::new(hash.as_ref().to_vec())),
    );
    dict.serialize().unwrap_or_default()
}

/// A dictionary or parameter key; Kith's own are literals, checked by the tests.
fn key(name: &'static str) -> Key {
    KeyRef::constant(name).to_owned()
}

/// A string item; component names are literals.
fn string(text: &'static str) -> BareItem {
    BareItem::String(StringRef::constant(text).to_owned())
}

/// Signed headers for `method` to `url` (see the module's shape).
pub(super) fn sign(
    signing: &SigningKey,
    method: &str,
    url: &Url,
    body: Option<&[u8]>,
    extra: Option<(&'static str, &str)>,
) -> Result<Vec<(&'static str, String)>> {
    let base = base_headers(url)?;
    let authority = base.get("host").cloned().unwrap_or_default();
    let mut out: Vec<(&'static str, String)> = Vec::with_capacity(6);
    let mut components = vec![
        ("@method", method.to_uppercase()),
        ("@target-uri", url.as_str().to_owned()),
        ("@authority", authority.clone()),
    ];
    out.push(("host", authority));
    if let Some(date) = base.get("date") {
        out.push(("date", date.clone()));
    }
    if let Some(body) = body {
        let digest = content_digest(body);
        components.push(("content-type", crate::ACTIVITY_JSON.to_owned()));
        components.push(("content-digest", digest.clone()));
        out.push(("content-type", crate::ACTIVITY_JSON.to_owned()));
        out.push(("content-digest", digest));
    }
    if let Some((name, value)) = extra {
        components.push((name, value.to_owned()));
        out.push((name, value.to_owned()));
    }
    let mut params = sfv::Parameters::new();
    let created =
        Integer::try_from(now_secs()).map_err(|e| FederationError::Key(format!("created: {e}")))?;
    params.insert(key("created"), BareItem::Integer(created));
    params.insert(
        key("keyid"),
        BareItem::String(
            sfv::String::from_string(signing.key_id.clone())
                .map_err(|(e, _)| FederationError::Key(format!("keyid: {e}")))?,
        ),
    );
    params.insert(key("alg"), string(Algorithm::RsaPkcs1Sha256.as_str()));
    let list = InnerList {
        items: components
            .iter()
            .map(|(name, _)| Item {
                bare_item: string(name),
                params: sfv::Parameters::new(),
            })
            .collect(),
        params,
    };
    let serialized = serialize_inner_list(&list)
        .ok_or_else(|| FederationError::Key("signature parameters".into()))?;
    let mut base = String::new();
    for (name, value) in &components {
        base.push_str(&format!("\"{name}\": {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {serialized}"));
    let signature = signing.sign_raw(base.as_bytes())?;
    let mut sig = Dictionary::new();
    sig.insert(key(LABEL), ListEntry::Item(Item::new(signature)));
    out.push(("signature-input", format!("{LABEL}={serialized}")));
    out.push(("signature", sig.serialize().unwrap_or_default()));
    Ok(out)
}

/// An inner list with its parameters, as it appears in `Signature-Input` and
/// `@signature-params`.
fn serialize_inner_list(list: &InnerList) -> Option<String> {
    vec![ListEntry::InnerList(list.clone())].serialize()
}

/// Checks an RFC 9421 signature (see the module's rules).
pub(super) fn check(
    target: &Target<'_>,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    now: i64,
) -> std::result::Result<SignatureCheck, Refusal> {
    let input_text = header_text(headers, "signature-input").unwrap_or_default();
    let inputs: Dictionary = Parser::new(&input_text)
        .parse()
        .map_err(|e| malformed(format!("Signature-Input: {e}")))?;
    let signature_text = header_text(headers, "signature")
        .ok_or_else(|| Refusal::new(Reason::Unsigned, "Signature-Input without Signature"))?;
    let signatures: Dictionary = Parser::new(&signature_text)
        .parse()
        .map_err(|e| malformed(format!("Signature: {e}")))?;
    let (list, signature) = inputs
        .iter()
        .find_map(|(label, entry)| {
            let ListEntry::InnerList(list) = entry else {
                return None;
            };
            match signatures.get(label) {
                Some(ListEntry::Item(item)) => {
                    Some((list, item.bare_item.as_byte_sequence()?.to_vec()))
                }
                _ => None,
            }
        })
        .ok_or_else(|| malformed("no signature in Signature matches Signature-Input"))?;
    let param = |name: &str| list.params.get(name);
    let key_id = param("keyid")
        .and_then(BareItem::as_string)
        .map(|s| s.as_str().to_owned())
        .ok_or_else(|| missing("the signature names no keyid"))?;
    let created = param("created")
        .and_then(BareItem::as_integer)
        .map(i64::from)
        .ok_or_else(|| missing("the signature has no created time"))?;
    let expires = param("expires")
        .and_then(BareItem::as_integer)
        .map(i64::from);
    let algorithm = match param("alg") {
        None => None,
        Some(alg) => {
            let name = alg.as_string().map(|s| s.as_str()).unwrap_or_default();
            Some(Algorithm::from_rfc9421(name).ok_or_else(|| {
                Refusal::new(
                    Reason::AlgorithmUnsupported,
                    format!("RFC 9421 alg {name:?}"),
                )
            })?)
        }
    };
    let names = component_names(list)?;
    check_coverage(target, &names, body.is_some())?;
    check_window(
        now,
        header_text(headers, "date").as_deref(),
        Some(created),
        expires,
    )?;
    if let Some(body) = body {
        check_content_digest(header_text(headers, "content-digest").as_deref(), body)?;
    }
    let params_line = serialize_inner_list(list)
        .ok_or_else(|| malformed("the signature parameters cannot be serialised"))?;
    let mut messages = vec![signature_base(target, headers, &names, &params_line, true)?];
    let drops_query = names
        .iter()
        .any(|n| *n == "@target-uri" || *n == "@request-target");
    if target.query().is_some() && drops_query {
        messages.push(signature_base(
            target,
            headers,
            &names,
            &params_line,
            false,
        )?);
    }
    Ok(SignatureCheck {
        key_id,
        scheme: Scheme::Rfc9421,
        messages,
        signature,
        algorithm,
    })
}

/// The covered components' names; components with parameters are refused.
fn component_names(list: &InnerList) -> std::result::Result<Vec<&str>, Refusal> {
    list.items
        .iter()
        .map(|item| {
            let name = item
                .bare_item
                .as_string()
                .map(|s| s.as_str())
                .ok_or_else(|| malformed("a covered component that is not a string"))?;
            if !item.params.is_empty() {
                return Err(Refusal::new(
                    Reason::Rfc9421ComponentUnsupported,
                    format!("{name:?} with parameters"),
                ));
            }
            Ok(name)
        })
        .collect()
}

fn check_coverage(
    target: &Target<'_>,
    names: &[&str],
    post: bool,
) -> std::result::Result<(), Refusal> {
    let covers = |n: &str| names.contains(&n);
    if !covers("@method") {
        return Err(missing("the signature must cover @method"));
    }
    if !covers("@target-uri") {
        if !covers("@path") && !covers("@request-target") {
            return Err(missing("the signature must cover @target-uri or @path"));
        }
        if !covers("@authority") && !covers("host") {
            return Err(missing("the signature must cover @authority"));
        }
        if target.query().is_some() && !covers("@request-target") && !covers("@query") {
            return Err(missing("the signature must cover @query"));
        }
    }
    if post && !covers("content-digest") {
        return Err(missing("a POST signature must cover content-digest"));
    }
    Ok(())
}

/// The signature base (RFC 9421 §2.5) of the request as received, or without its query.
fn signature_base(
    target: &Target<'_>,
    headers: &HeaderMap,
    names: &[&str],
    params_line: &str,
    with_query: bool,
) -> std::result::Result<Vec<u8>, Refusal> {
    let path_and_query = if with_query {
        target.path_and_query
    } else {
        target.path()
    };
    let mut base = String::new();
    for name in names {
        let value = match *name {
            "@method" => target.method.to_uppercase(),
            "@target-uri" => format!("{}://{}{path_and_query}", target.scheme, target.authority),
            "@authority" => target.authority.to_lowercase(),
            "@scheme" => target.scheme.to_owned(),
            "@request-target" => path_and_query.to_owned(),
            "@path" => target.path().to_owned(),
            "@query" => format!("?{}", target.query().unwrap_or_default()),
            derived if derived.starts_with('@') => {
                return Err(Refusal::new(
                    Reason::Rfc9421ComponentUnsupported,
                    format!("the derived component {derived}"),
                ));
            }
            header => header_text(headers, header)
                .ok_or_else(|| missing(format!("the signed header {header} is absent")))?,
        };
        base.push_str(&format!("\"{name}\": {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {params_line}"));
    Ok(base.into_bytes())
}

/// Checks `Content-Digest` (RFC 9530): a `sha-256` or `sha-512` value, each given one the
/// body's.
fn check_content_digest(header: Option<&str>, body: &[u8]) -> std::result::Result<(), Refusal> {
    let mismatch = |m: &str| {
        Refusal::with_error(
            Reason::DigestMismatch,
            FederationError::BadRequest(format!("{}: {m}", Reason::DigestMismatch.label())),
        )
    };
    let header =
        header.ok_or_else(|| Refusal::new(Reason::DigestMismatch, "no Content-Digest header"))?;
    let digests: Dictionary = Parser::new(header)
        .parse()
        .map_err(|_| mismatch("the Content-Digest cannot be read"))?;
    let mut checked = false;
    for (name, algorithm) in [("sha-256", &digest::SHA256), ("sha-512", &digest::SHA512)] {
        let Some(entry) = digests.get(name) else {
            continue;
        };
        let given = match entry {
            ListEntry::Item(item) => item.bare_item.as_byte_sequence(),
            ListEntry::InnerList(_) => None,
        };
        if given != Some(digest::digest(algorithm, body).as_ref()) {
            return Err(mismatch("the Content-Digest does not match the body"));
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(mismatch(
            "the Content-Digest has no sha-256 or sha-512 value",
        ))
    }
}
