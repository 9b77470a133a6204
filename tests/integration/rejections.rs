//! (c) What the inbox refuses: each bad request gets a 4xx with a reason and changes nothing
//! stored.

use kith_storage::JoinPolicy;
use serde_json::{Value, json};

use crate::instance::{Instance, get_activity_json};
use crate::mastodon::{follow, mastodon, post_mentioning};

/// What a refused request must leave unchanged.
async fn stored_state(kith: &Instance, group: &str, note: &str) -> (Value, bool, Value) {
    let (_, followers) = get_activity_json(&format!("{group}/followers")).await;
    let (_, outbox) = get_activity_json(&format!("{group}/outbox")).await;
    let note_stored = kith.ctx.db.object(note).await.is_ok();
    (
        followers["totalItems"].clone(),
        note_stored,
        outbox["totalItems"].clone(),
    )
}

#[tokio::test]
async fn bad_requests_are_refused_and_change_nothing() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let key_id = felix["publicKey"]["id"].as_str().unwrap();
    let inbox = format!("{}/inbox", kith.base);
    assert_eq!(
        peer.send(key_id, &group.inbox_url, &follow(&peer, &felix, &group.id))
            .await,
        202
    );
    peer.wait_for("the Accept", |b| b["type"] == "Accept").await;

    let create = post_mentioning(&peer, &felix, &group.id, &kith.handle("runners"), 9);
    let note = create["object"]["id"].as_str().unwrap().to_owned();
    let body = create.to_string().into_bytes();
    let before = stored_state(&kith, &group.id, &note).await;
    let expect = |status: u16, wanted: u16, what: &str| {
        assert_eq!(status, wanted, "{what}");
    };

    // Unsigned.
    let unsigned = vec![(
        "content-type".to_owned(),
        "application/activity+json".to_owned(),
    )];
    expect(
        peer.post(&inbox, unsigned, body.clone()).await,
        401,
        "unsigned",
    );

    // A signature that does not verify.
    let mut forged = peer.signed_headers(key_id, &inbox, &body);
    let sig = forged.iter_mut().find(|(n, _)| n == "signature").unwrap();
    sig.1 = sig.1.replace("signature=\"", "signature=\"AAAA");
    expect(
        peer.post(&inbox, forged, body.clone()).await,
        401,
        "bad signature",
    );

    // A Digest of another body.
    let signed_for_other = peer.signed_headers(key_id, &inbox, b"{}");
    expect(
        peer.post(&inbox, signed_for_other, body.clone()).await,
        400,
        "digest mismatch",
    );

    // An oversized body, refused before it is read.
    let big = vec![b' '; 2 * 1024 * 1024];
    let headers = peer.signed_headers(key_id, &inbox, &big);
    expect(peer.post(&inbox, headers, big).await, 413, "oversized");

    // An activity whose id is on another host than its actor.
    let mut spoofed = create.clone();
    spoofed["id"] = json!("https://elsewhere.example/activities/1");
    expect(
        peer.send(key_id, &inbox, &spoofed).await,
        403,
        "id host differs",
    );

    // Malformed JSON, correctly signed.
    let garbage = b"{\"type\": \"Create\", ".to_vec();
    let headers = peer.signed_headers(key_id, &inbox, &garbage);
    expect(
        peer.post(&inbox, headers, garbage).await,
        400,
        "malformed JSON",
    );

    // A stale signature (replayed long after it was made).
    let mut stale = peer.signed_headers(key_id, &inbox, &body);
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 3600);
    stale.iter_mut().find(|(n, _)| n == "date").unwrap().1 = httpdate::fmt_http_date(old);
    expect(
        peer.post(&inbox, stale, body.clone()).await,
        401,
        "stale date",
    );

    assert_eq!(
        stored_state(&kith, &group.id, &note).await,
        before,
        "nothing changed"
    );

    // The same request twice: applied once, the replay refused.
    let headers = peer.signed_headers(key_id, &inbox, &body);
    expect(
        peer.post(&inbox, headers.clone(), body.clone()).await,
        202,
        "first delivery",
    );
    // Answered once queued; applied by the inbox worker.
    kith.settled().await;
    let after_first = stored_state(&kith, &group.id, &note).await;
    let (_, outbox) = get_activity_json(&format!("{}/outbox", group.id)).await;
    expect(
        peer.post(&inbox, headers, body.clone()).await,
        409,
        "replay",
    );
    let (_, outbox_again) = get_activity_json(&format!("{}/outbox", group.id)).await;
    assert_eq!(outbox_again["totalItems"], outbox["totalItems"]);
    assert!(after_first.1, "the first delivery was applied");
    assert_eq!(stored_state(&kith, &group.id, &note).await, after_first);

    // An activity type Kith does not handle is accepted and ignored.
    let mut like = json!({"type": "Like", "actor": felix["id"], "object": note});
    like["id"] = json!(format!("{}#likes/1", felix["id"].as_str().unwrap()));
    expect(peer.send(key_id, &inbox, &like).await, 202, "unknown type");

    let counters = kith.ctx.counters();
    let rejected = counters
        .inbox_rejected
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(rejected, 8, "each refusal is counted");
    kith.stop().await;
}
