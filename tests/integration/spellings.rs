//! Hostile spellings (issue 19): a server kept out by a block stays out under every spelling of
//! its host — its IPv4 address written as IPv4-mapped IPv6, a trailing dot, names under the
//! blocked one, other ports of a block that names none — and a handle that is more than a
//! name and a host is refused before anything is fetched.

use std::sync::{Arc, Mutex};

use axum::{Router, http::Uri};
use kith_federation::actions::By;
use kith_federation::actions::{instance_safety, joining};
use kith_federation::{FederationError, outbound::fetch};
use kith_storage::JoinPolicy;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::instance::Instance;
use crate::mastodon::{follow, mastodon};
use crate::peer::Peer;

/// A document with every URL of the peer written on another base.
fn respelled(doc: &Value, peer: &Peer, base: &str) -> Value {
    serde_json::from_str(&doc.to_string().replace(&peer.base, base)).unwrap()
}

fn port_of(peer: &Peer) -> &str {
    peer.base.rsplit(':').next().unwrap()
}

/// Sends `actor`'s Follow of the group, signed by the peer's key under `actor`'s key id.
async fn follow_as(peer: &Peer, felix: &Value, actor: &Value, group: &kith_storage::Actor) -> u16 {
    let base = actor["id"]
        .as_str()
        .unwrap()
        .split("/users/")
        .next()
        .unwrap();
    let mut follow = respelled(&follow(peer, felix, &group.id), peer, base);
    follow["id"] = json!(format!(
        "{}#follows/{}",
        actor["id"].as_str().unwrap(),
        fresh()
    ));
    let key = actor["publicKey"]["id"].as_str().unwrap();
    peer.send(key, &group.inbox_url, &follow).await
}

/// A fresh number, for fresh activity ids.
fn fresh() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test]
async fn a_blocked_address_stays_out_when_written_as_ipv4_mapped_ipv6() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let port = port_of(&peer);
    // The operator blocks the server by the address it federates from.
    instance_safety::block_domain(
        &kith.ctx,
        &format!("127.0.0.1:{port}"),
        false,
        None,
        By::Operator,
    )
    .await
    .unwrap();
    // The same server, its ids written on [::ffff:7f00:1] (a dual-stack socket reaches
    // 127.0.0.1 there, so its documents can be fetched).
    let mapped = respelled(&felix, &peer, &format!("http://[::ffff:7f00:1]:{port}"));
    peer.serve(&mapped);
    let mapped_id = mapped["id"].as_str().unwrap();
    assert_eq!(
        follow_as(&peer, &felix, &mapped, &group).await,
        403,
        "the block keeps out the other spelling"
    );
    assert!(kith.ctx.db.membership(&group.id, mapped_id).await.is_err());
    assert!(
        kith.ctx.db.actor(mapped_id).await.is_err(),
        "nothing was fetched from it"
    );
    kith.stop().await;
}

#[tokio::test]
async fn a_block_covers_a_trailing_dot_names_under_it_and_every_port_unless_it_names_one() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let port = port_of(&peer);
    // Actors of one server under several names, known to Kith (as fetched before the block:
    // the test machine resolves none of these names).
    let known = |base: String| {
        let actor = respelled(&felix, &peer, &base);
        let ctx = kith.ctx.clone();
        async move {
            fetch::store_actor(&ctx, &actor).await.unwrap();
            actor
        }
    };
    let sub = known(format!("http://a.peer.test:{port}")).await;
    let dotted = known(format!("http://peer.test.:{port}")).await;
    let deeper = known(format!("http://b.a.peer.test:{port}")).await;
    let plain = known(format!("http://peer.test:{port}")).await;

    // A member under a name below the one blocked: the block ends the membership.
    assert_eq!(follow_as(&peer, &felix, &sub, &group).await, 202);
    let sub_id = sub["id"].as_str().unwrap();
    assert!(kith.ctx.db.membership(&group.id, sub_id).await.is_ok());
    let block = format!("peer.test:{port}");
    let ended = instance_safety::block_domain(&kith.ctx, &block, false, None, By::Operator)
        .await
        .unwrap();
    assert_eq!(ended, 1, "the member on a.peer.test was covered");
    assert!(kith.ctx.db.membership(&group.id, sub_id).await.is_err());
    for (actor, what) in [(&sub, "a name under it"), (&dotted, "a trailing dot")] {
        assert_eq!(follow_as(&peer, &felix, actor, &group).await, 403, "{what}");
    }
    instance_safety::unblock_domain(&kith.ctx, &block, By::Operator)
        .await
        .unwrap();

    // Without a port, as typed by an operator in capitals with a trailing dot: every port.
    instance_safety::block_domain(&kith.ctx, "PEER.Test.", true, None, By::Operator)
        .await
        .unwrap();
    instance_safety::block_domain(&kith.ctx, "Peer.Test.", false, None, By::Operator)
        .await
        .unwrap();
    let blocks = instance_safety::domain_blocks(&kith.ctx, By::Operator)
        .await
        .unwrap();
    assert_eq!(blocks.len(), 1, "one spelling, one block");
    assert_eq!(blocks[0].domain, "peer.test");
    for (actor, what) in [(&deeper, "two names under it"), (&plain, "its port")] {
        assert_eq!(follow_as(&peer, &felix, actor, &group).await, 403, "{what}");
    }
    instance_safety::unblock_domain(&kith.ctx, "peer.test", By::Operator)
        .await
        .unwrap();

    // A block of another port, or of a name that merely ends alike, covers nothing here.
    for other in [
        format!("peer.test:{}", port.parse::<u16>().unwrap() ^ 1),
        "er.test".into(),
    ] {
        instance_safety::block_domain(&kith.ctx, &other, false, None, By::Operator)
            .await
            .unwrap();
    }
    assert_eq!(follow_as(&peer, &felix, &plain, &group).await, 202);
    let plain_id = plain["id"].as_str().unwrap();
    assert!(kith.ctx.db.membership(&group.id, plain_id).await.is_ok());
    kith.stop().await;
}

#[tokio::test]
async fn handles_with_more_than_a_name_and_a_host_are_refused_before_any_request() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    // A server that records every request it gets.
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let app = Router::new().fallback(move |uri: Uri| {
        log.lock().unwrap().push(uri.to_string());
        async { axum::http::StatusCode::NOT_FOUND }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let hostile = [
        format!("x@{host}/../../admin"),
        format!("x@{host}/admin?"),
        format!("x@{host}?resource=acct:admin@{host}"),
        format!("x@{host}#"),
        format!("x@evil@{host}"),
        format!("x@user:secret@{host}"),
        format!("x@{host}\\admin"),
        format!("x@{host}%2fadmin"),
        format!("x/../admin@{host}"),
    ];
    for handle in &hostile {
        let err = joining::remote_interaction_url(&kith.ctx, handle, &group.id)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, FederationError::BadRequest(m) if m.contains("is not a handle")),
            "{handle}: {err}"
        );
    }
    // The same through the JSON API: a 400 saying why.
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v1/remote-interaction", kith.base))
        .json(&json!({"handle": hostile[0], "target": group.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert!(body.to_string().contains("is not a handle"), "{body}");
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing was requested: {:?}",
        seen.lock().unwrap()
    );
    // A plain handle is looked up where WebFinger lives, and nowhere else.
    let err = joining::remote_interaction_url(&kith.ctx, &format!("x@{host}"), &group.id)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FederationError::BadRequest(m) if m.contains("could not find")),
        "{err}"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].starts_with("/.well-known/webfinger?resource=acct%3Ax%40127.0.0.1"),
        "{seen:?}"
    );
    kith.stop().await;
}
