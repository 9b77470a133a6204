//! The test peer's RFC 9421 side (`peer.rs`): it signs POSTs as Mastodon 4.5's verifier requires
//! them, and checks what it receives independently of Kith's code: the key fetched from
//! `keyid`, the signature base rebuilt from the covered components, `Content-Digest` compared.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey};
use axum::http::{HeaderMap, Uri};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use serde_json::Value;

use crate::peer::{Peer, pem_der};

impl Peer {
    /// RFC 9421 headers for a POST, as Mastodon 4.5's verifier requires them
    /// (`("@method" "@target-uri" "content-digest")`, `created`, `keyid`) with `alg`.
    pub fn rfc9421_headers(&self, key_id: &str, inbox: &str, body: &[u8]) -> Vec<(String, String)> {
        let created = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let digest = format!(
            "sha-256=:{}:",
            B64.encode(digest::digest(&digest::SHA256, body).as_ref())
        );
        let params = format!(
            "(\"@method\" \"@target-uri\" \"content-digest\");created={created};\
             keyid=\"{key_id}\";alg=\"rsa-v1_5-sha256\""
        );
        let base = format!(
            "\"@method\": POST\n\"@target-uri\": {inbox}\n\"content-digest\": {digest}\n\
             \"@signature-params\": {params}"
        );
        vec![
            ("content-type".into(), "application/activity+json".into()),
            ("content-digest".into(), digest),
            ("signature-input".into(), format!("sig1={params}")),
            (
                "signature".into(),
                format!("sig1=:{}:", self.sign(base.as_bytes())),
            ),
        ]
    }
}

/// An RFC 9421 POST checked the way the peer checks draft-cavage ones: the key fetched from
/// `keyid`, the signature base rebuilt from the covered components (the derived ones this peer
/// knows: `@method`, `@target-uri`, `@authority`, and headers), `Content-Digest` compared.
pub(crate) async fn verify(
    client: &reqwest::Client,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(input), Some(signature), Some(host)) = (
        header("signature-input"),
        header("signature"),
        header("host"),
    ) else {
        return false;
    };
    let Some(params) = input.strip_prefix("sig1=") else {
        return false;
    };
    let Some((list, rest)) = params.strip_prefix('(').and_then(|p| p.split_once(')')) else {
        return false;
    };
    let components: Vec<&str> = list.split(' ').map(|c| c.trim_matches('"')).collect();
    if !components.contains(&"content-digest") {
        return false;
    }
    let expected = format!(
        "sha-256=:{}:",
        B64.encode(digest::digest(&digest::SHA256, body).as_ref())
    );
    if header("content-digest") != Some(expected.as_str()) {
        return false;
    }
    let Some(key_id) = rest
        .split(';')
        .find_map(|p| p.strip_prefix("keyid="))
        .map(|k| k.trim_matches('"'))
    else {
        return false;
    };
    let target = format!(
        "http://{host}{}",
        uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut lines = Vec::new();
    for component in &components {
        let value = match *component {
            "@method" => "POST".to_owned(),
            "@target-uri" => target.clone(),
            "@authority" => host.to_owned(),
            name => match header(name) {
                Some(v) => v.to_owned(),
                None => return false,
            },
        };
        lines.push(format!("\"{component}\": {value}"));
    }
    lines.push(format!("\"@signature-params\": {params}"));
    let Some(sig) = signature
        .strip_prefix("sig1=:")
        .and_then(|s| s.strip_suffix(':'))
        .and_then(|s| B64.decode(s).ok())
    else {
        return false;
    };
    let key_url = key_id.split('#').next().unwrap_or_default();
    let Ok(response) = client
        .get(key_url)
        .header("accept", "application/activity+json")
        .send()
        .await
    else {
        return false;
    };
    let actor: Value = response.json().await.unwrap_or_default();
    let pem = actor["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap_or_default();
    UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, pem_der(pem))
        .verify(lines.join("\n").as_bytes(), &sig)
        .is_ok()
}
