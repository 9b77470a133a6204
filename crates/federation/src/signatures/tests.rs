use http::{HeaderMap, HeaderName, HeaderValue};

use super::*;

fn header_map(headers: &[(&'static str, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

async fn key() -> (SigningKey, ParsedPublicKey) {
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
    let headers = header_map(&sign_post(&signing, &url, body).unwrap());
    assert!(
        headers["signature"]
            .to_str()
            .unwrap()
            .contains("algorithm=\"rsa-sha256\"")
    );

    let check = check_request("POST", "/inbox?x=1", &headers, Some(body)).unwrap();
    assert_eq!(check.key_id, "https://a.example/u/ann#main-key");
    assert!(check.verify(&public));
    assert!(!check.verify(&other), "another key must not verify");

    let wrong_path = check_request("POST", "/inbox", &headers, Some(body)).unwrap();
    assert!(!wrong_path.verify(&public), "the request target is signed");

    let err = check_request("POST", "/inbox?x=1", &headers, Some(b"{}")).unwrap_err();
    assert!(err.to_string().contains("Digest does not match"), "{err}");
}

#[tokio::test]
async fn unsigned_stale_and_undercovered_requests_are_refused() {
    let (signing, _) = key().await;
    let url = Url::parse("https://b.example/inbox").unwrap();
    let body = b"{}";
    assert!(check_request("POST", "/inbox", &HeaderMap::new(), Some(body)).is_err());

    let mut stale = header_map(&sign_post(&signing, &url, body).unwrap());
    let old = SystemTime::now() - MAX_AGE - CLOCK_SKEW - Duration::from_secs(60);
    stale.insert(
        "date",
        HeaderValue::from_str(&httpdate::fmt_http_date(old)).unwrap(),
    );
    let err = check_request("POST", "/inbox", &stale, Some(body)).unwrap_err();
    assert!(err.to_string().contains("too old"), "{err}");

    // A GET signature has no digest, so it cannot authorise a POST body.
    let get = header_map(&sign_get(&signing, &url).unwrap());
    let err = check_request("POST", "/inbox", &get, Some(body)).unwrap_err();
    assert!(err.to_string().contains("digest"), "{err}");
    assert!(check_request("GET", "/inbox", &get, None).is_ok());
}

#[test]
fn covered_headers_follow_the_signature() {
    let raw =
        r#"keyId="k",algorithm="rsa-sha256",headers="(request-target) Host date",signature="x=""#;
    assert_eq!(covered_headers(raw), ["(request-target)", "host", "date"]);
    assert_eq!(covered_headers(r#"keyId="k",signature="x""#), ["(created)"]);
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
