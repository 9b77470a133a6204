use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use http::{HeaderMap, HeaderName, HeaderValue};

use super::*;

pub(super) fn header_map<N: AsRef<str>>(headers: &[(N, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name.as_ref().as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

pub(super) fn target<'a>(method: &'a str, path_and_query: &'a str) -> Target<'a> {
    Target {
        method,
        scheme: "https",
        authority: "b.example",
        path_and_query,
    }
}

pub(super) fn reason(result: std::result::Result<SignatureCheck, Refusal>) -> Reason {
    result.unwrap_err().reason
}

async fn key() -> (SigningKey, VerifyingKey) {
    let pair = crate::keys::generate().await.unwrap();
    (
        SigningKey::from_pem("https://a.example/u/ann#main-key", &pair.private_pem).unwrap(),
        parse_public_key(&pair.public_pem).unwrap(),
    )
}

#[tokio::test]
async fn a_signed_post_verifies_and_a_tampered_one_does_not() {
    let (signing, public) = key().await;
    let (_, other) = key().await;
    let url = Url::parse("https://b.example/inbox?x=1").unwrap();
    let body = br#"{"type":"Follow"}"#;
    for scheme in [Scheme::Cavage, Scheme::Rfc9421] {
        let headers = header_map(&sign_post_with(scheme, &signing, &url, body).unwrap());
        let check = check_request(&target("POST", "/inbox?x=1"), &headers, Some(body)).unwrap();
        assert_eq!(check.scheme, scheme);
        assert_eq!(check.key_id, "https://a.example/u/ann#main-key");
        assert!(check.verify(&public).is_ok(), "{scheme:?}");
        let err = check.verify(&other).unwrap_err();
        assert_eq!(
            err.reason,
            Reason::DoesNotVerify,
            "another key must not verify"
        );

        let wrong_path = check_request(&target("POST", "/inbox"), &headers, Some(body)).unwrap();
        assert!(wrong_path.verify(&public).is_err(), "the target is signed");
        let elsewhere = Target {
            authority: "c.example",
            ..target("POST", "/inbox?x=1")
        };
        if scheme == Scheme::Rfc9421 {
            let check = check_request(&elsewhere, &headers, Some(body)).unwrap();
            assert!(check.verify(&public).is_err(), "the authority is signed");
        }

        let err = check_request(&target("POST", "/inbox?x=1"), &headers, Some(b"{}")).unwrap_err();
        assert_eq!(err.reason, Reason::DigestMismatch);
        assert!(matches!(err.error, FederationError::BadRequest(_)), "{err}");
    }
    let cavage = header_map(&sign_post(&signing, &url, body).unwrap());
    assert!(
        cavage["signature"]
            .to_str()
            .unwrap()
            .contains("algorithm=\"rsa-sha256\"")
    );
}

#[tokio::test]
async fn a_target_signed_without_its_query_is_accepted_too() {
    let (signing, public) = key().await;
    let body = b"{}";
    let plain = Url::parse("https://b.example/inbox").unwrap();
    for scheme in [Scheme::Cavage, Scheme::Rfc9421] {
        // Signed for /inbox, received at /inbox?page=2 (a sender that drops the query).
        let headers = header_map(&sign_post_with(scheme, &signing, &plain, body).unwrap());
        let check = check_request(&target("POST", "/inbox?page=2"), &headers, Some(body)).unwrap();
        assert!(check.verify(&public).is_ok(), "{scheme:?}");
    }
    // A GET of a collection page is signed with its query.
    let page = Url::parse("https://b.example/g/x/outbox?page=2").unwrap();
    let headers = header_map(&sign_get_with(Scheme::Rfc9421, &signing, &page).unwrap());
    let base = headers["signature-input"].to_str().unwrap();
    assert!(base.contains("\"@target-uri\""), "{base}");
    let check = check_request(&target("GET", "/g/x/outbox?page=2"), &headers, None).unwrap();
    assert!(check.verify(&public).is_ok());
}

#[tokio::test]
async fn unsigned_stale_and_undercovered_requests_are_refused() {
    let (signing, _) = key().await;
    let url = Url::parse("https://b.example/inbox").unwrap();
    let body = b"{}";
    let inbox = target("POST", "/inbox");
    assert_eq!(
        reason(check_request(&inbox, &HeaderMap::new(), Some(body))),
        Reason::Unsigned
    );

    let mut stale = header_map(&sign_post(&signing, &url, body).unwrap());
    let old = SystemTime::now() - MAX_AGE - CLOCK_SKEW - Duration::from_secs(60);
    stale.insert(
        "date",
        HeaderValue::from_str(&httpdate::fmt_http_date(old)).unwrap(),
    );
    let err = check_request(&inbox, &stale, Some(body)).unwrap_err();
    assert_eq!(err.reason, Reason::OutsideWindow);
    assert!(err.to_string().contains("too old"), "{err}");

    // A GET signature has no digest, so it cannot authorise a POST body.
    let get = header_map(&sign_get(&signing, &url).unwrap());
    assert_eq!(
        reason(check_request(&inbox, &get, Some(body))),
        Reason::CavageHeaderMissing
    );
    assert!(check_request(&target("GET", "/inbox"), &get, None).is_ok());
    let get = header_map(&sign_get_with(Scheme::Rfc9421, &signing, &url).unwrap());
    assert_eq!(
        reason(check_request(&inbox, &get, Some(body))),
        Reason::Rfc9421ComponentMissing
    );
}

/// A draft-cavage signature over `(created)` (hs2019), made by hand as servers that use it do.
fn cavage_with_created(signing: &SigningKey, created: i64, expires: Option<i64>) -> HeaderMap {
    let body = b"{}";
    let digest = digest_header(body);
    let mut lines = vec![
        "(request-target): post /inbox".to_owned(),
        format!("(created): {created}"),
    ];
    let mut headers = "(request-target) (created)".to_owned();
    if let Some(expires) = expires {
        lines.push(format!("(expires): {expires}"));
        headers.push_str(" (expires)");
    }
    lines.push(format!("digest: {digest}"));
    headers.push_str(" digest");
    let signature = signing.sign(lines.join("\n").as_bytes()).unwrap();
    let expires = expires.map(|e| format!(",expires={e}")).unwrap_or_default();
    header_map(&[
        ("digest", digest),
        (
            "signature",
            format!(
                "keyId=\"{}\",algorithm=\"hs2019\",created={created}{expires},\
                 headers=\"{headers}\",signature=\"{signature}\"",
                signing.key_id()
            ),
        ),
    ])
}

#[tokio::test]
async fn created_and_expires_are_held_to_the_window() {
    let (signing, public) = key().await;
    let inbox = target("POST", "/inbox");
    let now = now_secs();
    let fresh = cavage_with_created(&signing, now, None);
    let check = check_request(&inbox, &fresh, Some(b"{}")).unwrap();
    assert!(check.verify(&public).is_ok(), "(created) now is accepted");

    // Issue 19: a `(created)` a year ahead was accepted, only `Date` was checked.
    let year_ahead = cavage_with_created(&signing, now + 365 * 24 * 3600, None);
    let err = check_request(&inbox, &year_ahead, Some(b"{}")).unwrap_err();
    assert_eq!(err.reason, Reason::OutsideWindow, "{err}");
    assert!(err.to_string().contains("future"), "{err}");

    let expired = cavage_with_created(&signing, now - 600, Some(now - 400));
    assert_eq!(
        reason(check_request(&inbox, &expired, Some(b"{}"))),
        Reason::OutsideWindow
    );
}

#[test]
fn keys_of_every_published_shape_are_read() {
    // Ed25519 as an SPKI PEM (issue 19: answered 500 before) and a P-256 key (refused, 401).
    let ed = Ed25519KeyPair::generate().unwrap();
    let mut spki = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    spki.extend_from_slice(ed.public_key().as_ref());
    let pem = pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, &spki).unwrap();
    let key = parse_public_key(&pem).unwrap();
    assert_eq!(key.default_algorithm(), Algorithm::Ed25519);
    assert!(key.verify(Algorithm::Ed25519, b"hi", ed.sign(b"hi").as_ref()));

    let p256 = aws_lc_rs::signature::EcdsaKeyPair::generate(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
    )
    .unwrap();
    let spki = p256.public_key().as_der().unwrap();
    let pem = pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, spki.as_ref())
        .unwrap();
    let err = VerifyingKey::from_published(&pem).unwrap_err();
    assert_eq!(err.reason, Reason::KeyTypeUnsupported);
    assert!(
        matches!(err.error, FederationError::Signature(_)),
        "401, not 500"
    );

    // The Fedify-shaped actor's Multikeys: RSA and Ed25519.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/fedify/person.json"
    );
    let actor: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let methods = actor["assertionMethod"].as_array().unwrap();
    let algorithms: Vec<Algorithm> = methods
        .iter()
        .map(|m| {
            VerifyingKey::from_published(m["publicKeyMultibase"].as_str().unwrap())
                .unwrap()
                .default_algorithm()
        })
        .collect();
    assert_eq!(algorithms, [Algorithm::RsaPkcs1Sha256, Algorithm::Ed25519]);
    assert_eq!(
        VerifyingKey::from_published("zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")
            .unwrap_err()
            .reason,
        Reason::KeyTypeUnsupported,
        "a secp256k1 Multikey"
    );
}

#[test]
fn covered_headers_follow_the_signature() {
    let raw =
        r#"keyId="k",algorithm="rsa-sha256",headers="(request-target) Host date",signature="x=""#;
    assert_eq!(cavage::covered(raw), ["(request-target)", "host", "date"]);
    assert_eq!(cavage::covered(r#"keyId="k",signature="x""#), ["(created)"]);
}

#[tokio::test]
async fn the_signed_host_is_the_urls_authority_as_written() {
    let (signing, _) = key().await;
    for (url, host) in [
        ("http://[::ffff:7f00:1]:8080/inbox", "[::ffff:7f00:1]:8080"),
        ("https://b.example./inbox", "b.example."),
        ("https://B.example:8443/inbox", "b.example:8443"),
    ] {
        let headers = header_map(&sign_post(&signing, &Url::parse(url).unwrap(), b"{}").unwrap());
        assert_eq!(headers["host"], host, "{url}");
    }
}

/// A draft-cavage parameter given twice is refused, not guessed (found by the long run of the
/// property tests, `tests/fuzz_signatures.rs`: the `keyId` read was the second one given).
#[test]
fn a_cavage_parameter_given_twice_is_refused() {
    let now = now_secs();
    let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(now as u64));
    for signature in [
        r#"keyId="https://a.example/k",keyId="https://e.example/k",headers="(request-target) host date",signature="AAAA""#,
        r#"keyId="https://a.example/k",headers="(request-target) host date",headers="date",signature="AAAA""#,
    ] {
        let headers = header_map(&[
            ("signature", signature.to_owned()),
            ("date", date.clone()),
            ("host", "b.example".to_owned()),
        ]);
        let refused = check_request_at(&target("GET", "/inbox"), &headers, None, now);
        assert_eq!(reason(refused), Reason::Malformed, "{signature}");
    }
}

#[tokio::test]
async fn an_extra_header_is_sent_signed_and_a_changed_one_does_not_verify() {
    // FEP-8fcf's `Collection-Synchronization` is read only when the signature covers it.
    let (signing, public) = key().await;
    let url = Url::parse("https://b.example/inbox").unwrap();
    let body = br#"{"type":"Create"}"#;
    let value = "collectionId=\"https://a.example/g/c/followers\", digest=\"00\"";
    for scheme in [Scheme::Cavage, Scheme::Rfc9421] {
        let extra = Some(("collection-synchronization", value));
        let signed = sign_post_with_header(scheme, &signing, &url, body, extra).unwrap();
        let mut headers = header_map(&signed);
        assert_eq!(
            headers.get("collection-synchronization").unwrap(),
            value,
            "{scheme:?}"
        );
        let check = check_request(&target("POST", "/inbox"), &headers, Some(body)).unwrap();
        assert!(check.verify(&public).is_ok(), "{scheme:?}");
        headers.insert(
            "collection-synchronization",
            HeaderValue::from_static("digest=\"ff\""),
        );
        let check = check_request(&target("POST", "/inbox"), &headers, Some(body)).unwrap();
        assert!(
            check.verify(&public).is_err(),
            "{scheme:?}: the header is signed"
        );
    }
}
