//! RFC 9421 checks: keys of every algorithm, Content-Digest, coverage, and the Mastodon 4.5
//! fixture.

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};

use super::tests::{header_map, reason, target};
use super::*;

/// An RFC 9421 POST signed by hand with `alg`, Content-Digest `digest_name` and `sign`.
fn rfc9421_by_hand(
    key_id: &str,
    alg: Option<&str>,
    digest_name: &str,
    created: i64,
    body: &[u8],
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> HeaderMap {
    let algorithm = if digest_name == "sha-512" {
        &aws_lc_rs::digest::SHA512
    } else {
        &aws_lc_rs::digest::SHA256
    };
    let digest = format!(
        "{digest_name}=:{}:",
        BASE64.encode(aws_lc_rs::digest::digest(algorithm, body))
    );
    let alg = alg.map(|a| format!(";alg=\"{a}\"")).unwrap_or_default();
    let params = format!(
        "(\"@method\" \"@path\" \"@authority\" \"content-digest\");created={created};keyid=\"{key_id}\"{alg}"
    );
    let base = format!(
        "\"@method\": POST\n\"@path\": /inbox\n\"@authority\": b.example\n\
         \"content-digest\": {digest}\n\"@signature-params\": {params}"
    );
    let signature = BASE64.encode(sign(base.as_bytes()));
    header_map(&[
        ("content-digest", digest),
        ("signature-input", format!("sig1={params}")),
        ("signature", format!("sig1=:{signature}:")),
    ])
}

#[tokio::test]
async fn rfc9421_with_ed25519_rsa_pss_and_sha512_verifies() {
    let body = br#"{"type":"Create"}"#;
    let inbox = target("POST", "/inbox");
    let now = now_secs();

    let ed = Ed25519KeyPair::generate().unwrap();
    let mut multikey = vec![0xed, 0x01];
    multikey.extend_from_slice(ed.public_key().as_ref());
    let published = format!("z{}", bs58::encode(multikey).into_string());
    let public = VerifyingKey::from_published(&published).unwrap();
    for alg in [Some("ed25519"), None] {
        let headers = rfc9421_by_hand("https://a.example/k", alg, "sha-512", now, body, |m| {
            ed.sign(m).as_ref().to_vec()
        });
        let check = check_request(&inbox, &headers, Some(body)).unwrap();
        assert!(check.verify(&public).is_ok(), "{alg:?}");
    }

    let pair = crate::keys::generate().await.unwrap();
    let (_, der) = pem_rfc7468::decode_vec(pair.private_pem.as_bytes()).unwrap();
    let rsa = RsaKeyPair::from_pkcs8(&der).unwrap();
    let public = parse_public_key(&pair.public_pem).unwrap();
    let pss = |m: &[u8]| {
        let mut out = vec![0; rsa.public_modulus_len()];
        rsa.sign(
            &signature::RSA_PSS_SHA512,
            &SystemRandom::new(),
            m,
            &mut out,
        )
        .unwrap();
        out
    };
    let headers = rfc9421_by_hand(
        "https://a.example/k",
        Some("rsa-pss-sha512"),
        "sha-256",
        now,
        body,
        pss,
    );
    let check = check_request(&inbox, &headers, Some(body)).unwrap();
    assert!(check.verify(&public).is_ok());
    // An Ed25519 signature claimed for an RSA key.
    let headers = rfc9421_by_hand(
        "https://a.example/k",
        Some("ed25519"),
        "sha-256",
        now,
        body,
        pss,
    );
    let check = check_request(&inbox, &headers, Some(body)).unwrap();
    assert_eq!(
        check.verify(&public).unwrap_err().reason,
        Reason::AlgorithmMismatch
    );

    // created a year ahead, an unknown alg, a digest of another body.
    let future = rfc9421_by_hand("k", None, "sha-256", now + 31_536_000, body, pss);
    assert_eq!(
        reason(check_request(&inbox, &future, Some(body))),
        Reason::OutsideWindow
    );
    let hmac = rfc9421_by_hand("k", Some("hmac-sha256"), "sha-256", now, body, pss);
    assert_eq!(
        reason(check_request(&inbox, &hmac, Some(body))),
        Reason::AlgorithmUnsupported
    );
    let other = rfc9421_by_hand("k", None, "sha-512", now, b"{}", pss);
    assert_eq!(
        reason(check_request(&inbox, &other, Some(body))),
        Reason::DigestMismatch
    );
}

#[test]
fn rfc9421_coverage_is_checked() {
    let inbox = target("POST", "/inbox");
    let now = now_secs();
    let input = |components: &str| {
        header_map(&[
            ("content-digest", "sha-256=:AAAA:".to_owned()),
            (
                "signature-input",
                format!("sig1=({components});created={now};keyid=\"k\""),
            ),
            ("signature", "sig1=:AAAA:".to_owned()),
        ])
    };
    for (components, wanted) in [
        (
            r#""@target-uri" "content-digest""#,
            Reason::Rfc9421ComponentMissing,
        ),
        (
            r#""@method" "content-digest""#,
            Reason::Rfc9421ComponentMissing,
        ),
        (
            r#""@method" "@path" "content-digest""#,
            Reason::Rfc9421ComponentMissing,
        ),
        (
            r#""@method" "@target-uri""#,
            Reason::Rfc9421ComponentMissing,
        ),
        (
            r#""@method" "@target-uri" "content-digest";sf"#,
            Reason::Rfc9421ComponentUnsupported,
        ),
    ] {
        assert_eq!(
            reason(check_request(&inbox, &input(components), Some(b"{}"))),
            wanted,
            "{components}"
        );
    }
    let no_created = header_map(&[
        (
            "signature-input",
            "sig1=(\"@method\" \"@target-uri\");keyid=\"k\"".to_owned(),
        ),
        ("signature", "sig1=:AAAA:".to_owned()),
    ]);
    assert_eq!(
        reason(check_request(&target("GET", "/x"), &no_created, None)),
        Reason::Rfc9421ComponentMissing
    );
    let garbage = header_map(&[
        ("signature-input", "sig1=((".to_owned()),
        ("signature", "sig1=:AAAA:".to_owned()),
    ]);
    assert_eq!(
        reason(check_request(&target("GET", "/x"), &garbage, None)),
        Reason::Malformed
    );
}

/// A Mastodon 4.5 RFC 9421 POST (tests/fixtures/mastodon/rfc9421_post.json): the components
/// Mastodon's verifier requires, `created` and `keyid`, no `alg`.
#[test]
fn a_mastodon_rfc9421_post_verifies() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/mastodon/rfc9421_post.json"
    );
    let fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let request = &fixture["request"];
    let headers: Vec<(String, String)> = request["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let headers = header_map(&headers);
    let url = Url::parse(request["url"].as_str().unwrap()).unwrap();
    let at = Target {
        method: "POST",
        scheme: url.scheme(),
        authority: url.host_str().unwrap(),
        path_and_query: url.path(),
    };
    let body = request["body"].as_str().unwrap().as_bytes();
    let now = fixture["received_at"].as_i64().unwrap();
    let key = parse_public_key(fixture["key"]["publicKeyPem"].as_str().unwrap()).unwrap();
    let check = check_request_at(&at, &headers, Some(body), now).unwrap();
    assert_eq!(check.scheme, Scheme::Rfc9421);
    assert_eq!(check.key_id, fixture["key"]["id"].as_str().unwrap());
    assert!(check.verify(&key).is_ok());

    // Replayed a day later, or with its body changed, it is refused.
    assert_eq!(
        reason(check_request_at(&at, &headers, Some(body), now + 86_400)),
        Reason::OutsideWindow
    );
    let mut changed = body.to_vec();
    changed[10] ^= 1;
    assert_eq!(
        reason(check_request_at(&at, &headers, Some(&changed), now)),
        Reason::DigestMismatch
    );
}
