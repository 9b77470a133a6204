//! Keys as real servers publish them, and signatures in both schemes, through the real inbox
//! (issue 20, and issue 19's signature findings): GoToSocial's stub key documents, key objects
//! with their own `owner`, `publicKey` arrays, FEP-521a Ed25519 Multikeys; keys Kith cannot use
//! refused 401 (not 500); failing `keyId`s not fetched again on every request; RFC 9421
//! received from a Mastodon-shaped peer, and sent to a host that refuses draft-cavage, which is
//! remembered. Every refusal is counted under its reason.

use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use kith_federation::actions::{accounts, tokens};
use kith_storage::JoinPolicy;
use serde_json::json;

use crate::instance::{Instance, eventually};
use crate::mastodon::{follow, mastodon};
use crate::peer::Peer;

fn refusals(kith: &Instance, reason: &str) -> u64 {
    kith.ctx
        .counters()
        .refusals()
        .get(reason)
        .copied()
        .unwrap_or(0)
}

/// draft-cavage headers (`hs2019`) signed by `sign`, as servers with non-RSA keys send them.
fn cavage_headers(
    key_id: &str,
    inbox: &str,
    body: &[u8],
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> Vec<(String, String)> {
    let url = reqwest::Url::parse(inbox).unwrap();
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let digest = format!(
        "SHA-256={}",
        B64.encode(digest::digest(&digest::SHA256, body).as_ref())
    );
    let signed = format!(
        "(request-target): post {}\nhost: {host}\ndate: {date}\ndigest: {digest}",
        url.path()
    );
    let signature = format!(
        "keyId=\"{key_id}\",algorithm=\"hs2019\",headers=\"(request-target) host date digest\",\
         signature=\"{}\"",
        B64.encode(sign(signed.as_bytes()))
    );
    vec![
        ("date".into(), date),
        ("digest".into(), digest),
        ("content-type".into(), "application/activity+json".into()),
        ("signature".into(), signature),
    ]
}

fn pem(spki_der: &[u8]) -> String {
    pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, spki_der).unwrap()
}

/// Ed25519 as an SPKI DER.
fn ed25519_spki(pair: &Ed25519KeyPair) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(pair.public_key().as_ref());
    der
}

#[tokio::test]
async fn a_gotosocial_member_whose_key_url_answers_a_stub_actor_joins() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let peer = Peer::start(&["https://gts.example"]).await;
    let alice = peer.serve_actor("gotosocial/person.json");
    let mut stub = peer.fixture("gotosocial/main_key.json");
    stub["publicKey"]["publicKeyPem"] = json!(peer.public_pem);
    // Served at the key's own URL, as GoToSocial answers `/users/NAME/main-key`.
    let key_id = alice["publicKey"]["id"].as_str().unwrap().to_owned();
    assert!(key_id.ends_with("/main-key"));
    let stub_path = key_id.strip_prefix(&peer.base).unwrap().to_owned();
    peer.serve_at(&stub_path, &stub);

    let mut follow = follow(&peer, &alice, &group.id);
    follow["id"] = json!(format!("{}/follows/1", alice["id"].as_str().unwrap()));
    assert_eq!(peer.send(&key_id, &group.inbox_url, &follow).await, 202);
    peer.wait_for("the Accept", |b| b["type"] == "Accept").await;
    assert_eq!(
        peer.gets(&stub_path),
        1,
        "the key document was fetched once"
    );
    assert_eq!(
        kith.ctx.db.actor_by_key_id(&key_id).await.unwrap().id,
        alice["id"]
    );

    // A stub naming an owner that does not publish that key is refused, and counted.
    let mut foreign = stub.clone();
    foreign["publicKey"]["id"] = json!(format!("{}/users/alice/other-key", peer.base));
    peer.serve_at("/users/alice/other-key", &foreign);
    let other = format!("{}/users/alice/other-key", peer.base);
    let mut again = follow.clone();
    again["id"] = json!(format!("{}/follows/2", alice["id"].as_str().unwrap()));
    assert_eq!(peer.send(&other, &group.inbox_url, &again).await, 401);
    assert_eq!(refusals(&kith, "key not published by its owner"), 1);

    // A key document naming no owner at all.
    peer.serve_at(
        "/keys/orphan",
        &json!({"id": format!("{}/keys/orphan", peer.base), "publicKeyPem": peer.public_pem}),
    );
    let orphan = format!("{}/keys/orphan", peer.base);
    assert_eq!(peer.send(&orphan, &group.inbox_url, &again).await, 401);
    assert_eq!(refusals(&kith, "key document shape unsupported"), 1);

    // An administrator reads the reasons in the federation counters.
    accounts::create_account(&kith.ctx, "ada", "correct horse", true)
        .await
        .unwrap();
    let token = tokens::create_token(&kith.ctx, "ada", "test")
        .await
        .unwrap();
    let counters: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/admin/federation", kith.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        counters["refusals"]["key document shape unsupported"], 1,
        "{counters}"
    );
    assert_eq!(
        counters["refusals"]["key not published by its owner"], 1,
        "{counters}"
    );
    kith.stop().await;
}

#[tokio::test]
async fn keys_in_arrays_with_their_own_owner_and_as_ed25519_multikeys_are_used() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let peer = Peer::start(&["https://fedify.example"]).await;
    let mut bob = peer.fixture("fedify/person.json");
    let bob_id = bob["id"].as_str().unwrap().to_owned();
    // publicKey as an array: the peer's RSA key second; the Ed25519 Multikey Kith signs with.
    let ed = Ed25519KeyPair::generate().unwrap();
    let mut multikey = vec![0xed, 0x01];
    multikey.extend_from_slice(ed.public_key().as_ref());
    let rsa_key = format!("{bob_id}#rsa");
    bob["publicKey"] = json!([
        bob["publicKey"].clone(),
        {"id": rsa_key, "owner": bob_id, "publicKeyPem": peer.public_pem},
    ]);
    let ed_key = format!("{bob_id}#multikey-2");
    bob["assertionMethod"][1]["publicKeyMultibase"] =
        json!(format!("z{}", bs58::encode(&multikey).into_string()));
    peer.serve(&bob);

    let mut follow = follow(&peer, &bob, &group.id);
    follow["id"] = json!(format!("{bob_id}#follows/1"));
    let body = follow.to_string().into_bytes();
    let headers = cavage_headers(&ed_key, &group.inbox_url, &body, |m| {
        ed.sign(m).as_ref().to_vec()
    });
    assert_eq!(
        peer.post(&group.inbox_url, headers, body).await,
        202,
        "Ed25519 Multikey"
    );
    peer.wait_for("the Accept", |b| b["type"] == "Accept").await;

    // The second key of the publicKey array, and a key object with a top-level owner at its
    // own URL.
    follow["id"] = json!(format!("{bob_id}#follows/2"));
    assert_eq!(
        peer.send(&rsa_key, &group.inbox_url, &follow).await,
        202,
        "array"
    );
    let standalone = format!("{}/keys/bob", peer.base);
    bob["publicKey"][1]["id"] = json!(standalone);
    peer.serve(&bob);
    peer.serve_at(
        "/keys/bob",
        &json!({"id": standalone, "type": "CryptographicKey", "owner": bob_id, "publicKeyPem": peer.public_pem}),
    );
    follow["id"] = json!(format!("{bob_id}#follows/3"));
    assert_eq!(
        peer.send(&standalone, &group.inbox_url, &follow).await,
        202,
        "own owner"
    );
    kith.stop().await;
}

#[tokio::test]
async fn ed25519_keys_verify_and_p256_keys_are_refused_401_not_500() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let felix_id = felix["id"].as_str().unwrap().to_owned();

    let ed = Ed25519KeyPair::generate().unwrap();
    let mut ed_actor = felix.clone();
    let ed_id = format!("{felix_id}-ed");
    ed_actor["id"] = json!(ed_id);
    ed_actor["publicKey"] = json!({"id": format!("{ed_id}#main-key"), "owner": ed_id, "publicKeyPem": pem(&ed25519_spki(&ed))});
    peer.serve(&ed_actor);
    let mut follow_ed = follow(&peer, &ed_actor, &group.id);
    follow_ed["id"] = json!(format!("{ed_id}#follows/1"));
    let body = follow_ed.to_string().into_bytes();
    let headers = cavage_headers(&format!("{ed_id}#main-key"), &group.inbox_url, &body, |m| {
        ed.sign(m).as_ref().to_vec()
    });
    assert_eq!(
        peer.post(&group.inbox_url, headers, body).await,
        202,
        "Ed25519 PEM"
    );

    let p256 = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();
    let mut p_actor = felix.clone();
    let p_id = format!("{felix_id}-p256");
    p_actor["id"] = json!(p_id);
    p_actor["publicKey"] = json!({"id": format!("{p_id}#main-key"), "owner": p_id, "publicKeyPem": pem(p256.public_key().as_der().unwrap().as_ref())});
    peer.serve(&p_actor);
    let mut follow_p = follow(&peer, &p_actor, &group.id);
    follow_p["id"] = json!(format!("{p_id}#follows/1"));
    assert_eq!(
        peer.send(&format!("{p_id}#main-key"), &group.inbox_url, &follow_p)
            .await,
        401
    );
    assert_eq!(refusals(&kith, "key type unsupported"), 1);
    kith.stop().await;
}

#[tokio::test]
async fn failing_key_ids_and_query_variants_cost_one_fetch() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let felix_id = felix["id"].as_str().unwrap().to_owned();
    let path = felix_id.strip_prefix(&peer.base).unwrap().to_owned();
    let follow = follow(&peer, &felix, &group.id);

    // An unknown key, each time with another query: fetched once, then refused from memory.
    for n in 0..5 {
        let key = format!("{}/nobody?q={n}#main-key", peer.base);
        assert_eq!(peer.send(&key, &group.inbox_url, &follow).await, 401);
    }
    let fetched: usize = (0..5).map(|n| peer.gets(&format!("/nobody?q={n}"))).sum();
    assert_eq!(fetched, 1, "one fetch for five unknown keyIds");
    assert_eq!(refusals(&kith, "key not found"), 5);

    // A known key with a query appended is the same key: no fetch each time.
    let key_id = felix["publicKey"]["id"].as_str().unwrap();
    assert_eq!(peer.send(key_id, &group.inbox_url, &follow).await, 202);
    let before = peer.gets(&path);
    for n in 0..5 {
        let mut like = json!({"type": "Like", "actor": felix_id, "object": group.id});
        like["id"] = json!(format!("{felix_id}#likes/{n}"));
        let key = format!("{felix_id}?q={n}#main-key");
        assert_eq!(peer.send(&key, &group.inbox_url, &like).await, 202, "q={n}");
    }
    let after: usize = peer.gets(&path)
        + (0..5)
            .map(|n| peer.gets(&format!("{path}?q={n}")))
            .sum::<usize>();
    assert_eq!(after, before, "a query on a known keyId fetches nothing");
    kith.stop().await;
}

#[tokio::test]
async fn rfc9421_is_read_and_sent_to_hosts_that_refuse_draft_cavage() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let key_id = felix["publicKey"]["id"].as_str().unwrap();
    // This peer reads only RFC 9421 from now on.
    peer.refuse_cavage();

    // Incoming: a Follow signed as Mastodon 4.5 requires.
    let follow = follow(&peer, &felix, &group.id);
    let body = follow.to_string().into_bytes();
    let headers = peer.rfc9421_headers(key_id, &group.inbox_url, &body);
    assert_eq!(
        peer.post(&group.inbox_url, headers.clone(), body.clone())
            .await,
        202
    );
    let verified = kith
        .ctx
        .counters()
        .rfc9421_verified
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(verified, 1);

    // Outgoing: the Accept is refused draft-cavage, sent again RFC 9421, and the host is
    // remembered.
    let accept = peer.wait_for("the Accept", |b| b["type"] == "Accept").await;
    assert!(accept.rfc9421 && accept.verified, "{accept:?}");
    assert_eq!(peer.refused_cavage(), 1);
    let host = peer.base.trim_start_matches("http://");
    let stored = kith.ctx.db.host_signature_scheme(host).await.unwrap();
    assert_eq!(stored.as_deref(), Some("rfc9421"));

    // The next delivery goes out RFC 9421 at once: nothing more is refused.
    let mut undo = json!({"type": "Undo", "actor": felix["id"], "object": follow});
    undo["id"] = json!(format!("{}#undo/1", felix["id"].as_str().unwrap()));
    let body = undo.to_string().into_bytes();
    let headers = peer.rfc9421_headers(key_id, &group.inbox_url, &body);
    assert_eq!(peer.post(&group.inbox_url, headers, body).await, 202);
    kith.person("petra").await;
    let mut second = crate::mastodon::follow(&peer, &felix, &group.id);
    second["id"] = json!(format!("{}#follows/again", felix["id"].as_str().unwrap()));
    let body = second.to_string().into_bytes();
    let headers = peer.rfc9421_headers(key_id, &group.inbox_url, &body);
    assert_eq!(peer.post(&group.inbox_url, headers, body).await, 202);
    eventually("a second Accept", || async {
        (peer
            .received()
            .iter()
            .filter(|r| r.body["type"] == "Accept")
            .count()
            >= 2)
            .then_some(())
    })
    .await;
    assert_eq!(peer.refused_cavage(), 1, "no second draft-cavage attempt");
    assert!(peer.received().iter().all(|r| r.rfc9421 && r.verified));

    // A replayed RFC 9421 request with a changed body is refused.
    let mut changed = follow.to_string().into_bytes();
    changed.push(b' ');
    assert_eq!(
        peer.post(
            &group.inbox_url,
            peer.rfc9421_headers(key_id, &group.inbox_url, b"{}"),
            changed
        )
        .await,
        400
    );
    assert_eq!(refusals(&kith, "body digest does not match"), 1);
    kith.stop().await;
}
