//! Property tests of the readers of HTTP signatures: draft-cavage `Signature`, RFC 9421
//! `Signature-Input`/`Signature`, `Digest` and `Content-Digest`, and published public keys.
//! Arbitrary headers are refused or read, never a panic; near-valid ones are read only as
//! written (the `keyId`, the digest of the body); Kith's own signatures round-trip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fuzz_support;

use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use fuzz_support::{config, text, url_like};
use http::{HeaderMap, HeaderName, HeaderValue};
use kith_federation::signatures::{
    Reason, Scheme, SigningKey, Target, VerifyingKey, check_request_at, digest_header,
    parse_public_key, sign_get_with, sign_post_with,
};
use proptest::prelude::*;

/// Seconds since the epoch, now: http-signature-normalization reads the clock itself.
fn now() -> i64 {
    UNIX_EPOCH.elapsed().map_or(0, |d| d.as_secs() as i64)
}

fn date(at: i64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(at.max(0) as u64))
}

fn target<'a>(method: &'a str, path_and_query: &'a str) -> Target<'a> {
    Target {
        method,
        scheme: "https",
        authority: "b.example",
        path_and_query,
    }
}

/// Text without the bytes no header can hold (controls but tab: the HTTP parser refuses them
/// before any reader sees them).
fn headable(value: &[u8]) -> Vec<u8> {
    value
        .iter()
        .copied()
        .filter(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
        .collect()
}

/// Headers from `(name, value)` pairs, the values [`headable`].
fn header_map(pairs: &[(&str, Vec<u8>)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let value = headable(value);
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&value),
        ) {
            map.append(name, value);
        }
    }
    map
}

/// One RSA key for the round trips (generating one per case would dominate the run).
fn key() -> &'static (SigningKey, VerifyingKey, String) {
    static KEY: OnceLock<(SigningKey, VerifyingKey, String)> = OnceLock::new();
    KEY.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let pair = runtime.block_on(kith_federation::keys::generate()).unwrap();
        let signing =
            SigningKey::from_pem("https://a.example/u/ann#main-key", &pair.private_pem).unwrap();
        let public = parse_public_key(&pair.public_pem).unwrap();
        (signing, public, pair.public_pem)
    })
}

const NAMES: &[&str] = &[
    "signature",
    "signature-input",
    "authorization",
    "date",
    "digest",
    "content-digest",
    "host",
    "content-type",
];

/// Components and header names a signature may cover, and some it may not.
const COVERED: &[&str] = &[
    "(request-target)",
    "(created)",
    "(expires)",
    "host",
    "date",
    "digest",
    "content-type",
    "@method",
    "@target-uri",
    "@authority",
    "@path",
    "@query",
    "@request-target",
    "@scheme",
    "@query-param",
    "content-digest",
    "x-unknown",
];

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        text().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

/// A number near now (seconds), or anything.
fn time_param() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        4 => (-5_000i64..1_000).prop_map(|d| Some((now() + d).to_string())),
        1 => text().prop_map(Some),
    ]
}

/// What a signature covers: what the rules ask for with some more, or any names at all.
fn covered(required: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    (
        any::<bool>(),
        prop::sample::subsequence(COVERED, 0..COVERED.len()),
        prop::sample::subsequence(COVERED, 0..3),
        any::<u64>(),
    )
        .prop_map(move |(follow, anything, extra, seed)| {
            if !follow {
                return anything;
            }
            let mut names: Vec<&str> = required.iter().chain(&extra).copied().collect();
            names.sort_by_key(|n| (n.len() as u64).wrapping_mul(seed) % 97);
            names
        })
}

fn key_id() -> impl Strategy<Value = String> {
    prop_oneof![3 => "https://a\\.example/[a-z#/-]{1,12}", 1 => url_like()]
}

/// A draft-cavage `Signature` header: its parameters, near-valid or odd, in any order.
fn cavage_header() -> impl Strategy<Value = (String, String)> {
    let params = (
        key_id(),
        prop::sample::select(&["rsa-sha256", "hs2019", "ed25519", "rsa-pss-sha512", "x", ""][..]),
        covered(&["(request-target)", "host", "date", "digest"]),
        prop_oneof![
            3 => prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| BASE64.encode(b)),
            1 => text(),
        ],
        (time_param(), time_param()),
        prop::option::weighted(0.2, text()),
        any::<u64>(),
        any::<bool>(),
    );
    params.prop_map(
        |(key_id, alg, covered, sig, (created, expires), junk, seed, authorization)| {
            let mut parts = vec![
                format!("keyId=\"{key_id}\""),
                format!("algorithm=\"{alg}\""),
                format!("headers=\"{}\"", covered.join(" ")),
                format!("signature=\"{sig}\""),
            ];
            parts.extend(created.map(|c| format!("created={c}")));
            parts.extend(expires.map(|e| format!("expires={e}")));
            parts.extend(junk);
            parts.sort_by_key(|p| (p.len() as u64).wrapping_mul(seed) % 89);
            let prefix = if authorization { "Signature " } else { "" };
            (key_id, format!("{prefix}{}", parts.join(",")))
        },
    )
}

/// RFC 9421 `Signature-Input` and `Signature`: near-valid members and parameters.
fn rfc9421_headers() -> impl Strategy<Value = (String, String, String)> {
    let components = prop_oneof![
        covered(&["@method", "@target-uri", "content-digest"]),
        covered(&["@method", "@path", "@authority", "content-digest"]),
        covered(&["@method", "@request-target", "host"]),
    ];
    let odd = prop_oneof![
        4 => Just(String::new()),
        1 => Just(";sf".to_owned()),
        1 => text(),
    ];
    (
        key_id(),
        (components, odd),
        time_param(),
        prop::option::of(prop::sample::select(
            &[
                "rsa-v1_5-sha256",
                "ed25519",
                "rsa-pss-sha512",
                "hmac-sha256",
                "",
            ][..],
        )),
        prop::collection::vec(any::<u8>(), 0..300),
        prop_oneof![6 => Just("sig1"), 1 => Just("sig2"), 1 => Just("a")],
        prop::option::weighted(0.2, text()),
    )
        .prop_map(
            |(key_id, (components, odd), created, alg, sig, label, junk)| {
                let list: Vec<String> =
                    components.iter().map(|c| format!("\"{c}\"{odd}")).collect();
                let mut input = format!("sig1=({})", list.join(" "));
                input.extend(created.map(|c| format!(";created={c}")));
                input.push_str(&format!(";keyid=\"{key_id}\""));
                input.extend(alg.map(|a| format!(";alg=\"{a}\"")));
                input.extend(junk);
                let signature = format!("{label}=:{}:", BASE64.encode(sig));
                (key_id, input, signature)
            },
        )
}

/// A `Digest` or `Content-Digest` header: the body's, another body's, or anything.
fn digest_for(body: &[u8], which: u8, junk: &str) -> (String, bool) {
    match which {
        0 => (digest_header(body), true),
        1 => (
            format!(
                "sha-256=:{}:",
                BASE64.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body))
            ),
            true,
        ),
        2 => (digest_header(&[body, b"!"].concat()), false),
        _ => (junk.to_owned(), false),
    }
}

proptest! {
    #![proptest_config(config(1))]

    /// Any headers, any target, any body: the request is read or refused, never a panic.
    #[test]
    fn arbitrary_headers_are_read_or_refused(
        pairs in prop::collection::vec((prop::sample::select(NAMES), header_value()), 0..8),
        path in prop_oneof!["/[a-z?=&/]{0,12}", text()],
        post in any::<bool>(),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let headers = header_map(&pairs);
        let method = if post { "POST" } else { "GET" };
        let body = post.then_some(body.as_slice());
        let _ = check_request_at(&target(method, &path), &headers, body, now());
    }

    /// Near-valid draft-cavage signatures: read only with the `keyId` written and a `Digest`
    /// that is the body's.
    #[test]
    fn cavage_signatures_read_as_written(
        (key_id, signature) in cavage_header(),
        body in prop::collection::vec(any::<u8>(), 0..64),
        post in any::<bool>(),
        which in 0u8..4,
        junk in text(),
        skew in -5_000i64..1_000,
    ) {
        let (digest, honest) = digest_for(&body, which, &junk);
        let headers = header_map(&[
            ("signature", signature.clone().into_bytes()),
            ("date", date(now() + skew).into_bytes()),
            ("host", b"b.example".to_vec()),
            ("digest", digest.into_bytes()),
        ]);
        let (method, body) = if post { ("POST", Some(&body[..])) } else { ("GET", None) };
        let Ok(check) = check_request_at(&target(method, "/inbox?a=1"), &headers, body, now())
        else { return Ok(()) };
        prop_assert_eq!(check.scheme, Scheme::Cavage);
        prop_assert!(body.is_none() || (honest && which == 0), "a foreign Digest was accepted");
        // Two seconds either way: the clock moves between making the case and checking it.
        prop_assert!((-3_902..=302).contains(&skew), "a Date {}s away was accepted", skew);
        // The keyId as the header carries it.
        let written = String::from_utf8(headable(key_id.as_bytes())).unwrap();
        if !written.contains(['"', ',']) {
            prop_assert_eq!(check.key_id.trim(), written.trim(), "{}", signature);
        }
        prop_assert!(check.verify(&key().1).is_err(), "a made-up signature verified");
    }

    /// Near-valid RFC 9421 signatures: read only with the `keyid` written and a
    /// `Content-Digest` that is the body's.
    #[test]
    fn rfc9421_signatures_read_as_written(
        (key_id, input, signature) in rfc9421_headers(),
        body in prop::collection::vec(any::<u8>(), 0..64),
        post in any::<bool>(),
        which in 0u8..4,
        junk in text(),
    ) {
        let (digest, honest) = digest_for(&body, which, &junk);
        let headers = header_map(&[
            ("signature-input", input.clone().into_bytes()),
            ("signature", signature.into_bytes()),
            ("host", b"b.example".to_vec()),
            ("content-digest", digest.into_bytes()),
        ]);
        let (method, body) = if post { ("POST", Some(&body[..])) } else { ("GET", None) };
        let Ok(check) = check_request_at(&target(method, "/inbox"), &headers, body, now())
        else { return Ok(()) };
        prop_assert_eq!(check.scheme, Scheme::Rfc9421);
        prop_assert!(body.is_none() || (honest && which == 1), "a foreign digest was accepted");
        let written = String::from_utf8(headable(key_id.as_bytes())).unwrap();
        prop_assert_eq!(&check.key_id, &written, "{}", input);
        prop_assert!(check.verify(&key().1).is_err(), "a made-up signature verified");
    }

    /// Kith's own signatures, in both schemes, over any path, query and body, are read back
    /// and verify; the same headers over another body or path do not.
    #[test]
    fn own_signatures_round_trip(
        path in "(/[a-zA-Z0-9._~%@-]{0,8}){1,3}",
        query in prop::option::of("[a-z0-9=&%]{0,12}"),
        body in prop::collection::vec(any::<u8>(), 0..256),
        rfc9421 in any::<bool>(),
        post in any::<bool>(),
    ) {
        let (signing, public, _) = key();
        let scheme = if rfc9421 { Scheme::Rfc9421 } else { Scheme::Cavage };
        let path_and_query = match &query {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        let url = url::Url::parse(&format!("https://b.example{path_and_query}")).unwrap();
        let pq = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let (method, signed) = if post {
            ("POST", sign_post_with(scheme, signing, &url, &body).unwrap())
        } else {
            ("GET", sign_get_with(scheme, signing, &url).unwrap())
        };
        let pairs: Vec<(&str, Vec<u8>)> =
            signed.iter().map(|(n, v)| (*n, v.clone().into_bytes())).collect();
        let headers = header_map(&pairs);
        let body = post.then_some(&body[..]);
        let now = now();
        let check = check_request_at(&target(method, &pq), &headers, body, now).unwrap();
        prop_assert_eq!(check.scheme, scheme);
        prop_assert_eq!(check.key_id.as_str(), signing.key_id());
        prop_assert!(check.verify(public).is_ok());
        let elsewhere = check_request_at(&target(method, &format!("{pq}x")), &headers, body, now)
            .map(|c| c.verify(public));
        prop_assert!(!matches!(elsewhere, Ok(Ok(()))), "verified for another path");
        if let Some(body) = body {
            let other = [body, b"x"].concat();
            let refused = check_request_at(&target(method, &pq), &headers, Some(&other), now);
            prop_assert_eq!(refused.map(|_| ()).unwrap_err().reason, Reason::DigestMismatch);
        }
    }

    /// Published keys: anything, PEM armour around anything, multibase of anything with the
    /// Ed25519 or RSA prefix — read or refused; a real key survives added whitespace.
    #[test]
    fn public_keys_read_or_refuse(
        raw in text(),
        der in prop::collection::vec(any::<u8>(), 0..600),
        prefix in prop::sample::select(&[[0xedu8, 0x01], [0x85, 0x24], [0x12, 0x00]][..]),
        pad in "[ \t\n]{0,3}",
    ) {
        let _ = parse_public_key(&raw);
        let pem = pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, &der)
            .unwrap();
        let _ = parse_public_key(&pem);
        let multibase = format!("z{}", bs58::encode([&prefix[..], &der].concat()).into_string());
        if let Ok(key) = parse_public_key(&multibase) {
            let ed25519 = prefix == [0xed, 0x01] && der.len() == 32;
            prop_assert!(ed25519 || prefix == [0x85, 0x24], "{:?}", key);
        }
        let (_, public, public_pem) = key();
        let padded = parse_public_key(&format!("{pad}{public_pem}{pad}")).unwrap();
        prop_assert_eq!(padded.default_algorithm(), public.default_algorithm());
    }
}
