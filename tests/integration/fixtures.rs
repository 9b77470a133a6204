//! (d) Real JSON from Mastodon and Lemmy (`tests/fixtures`): parsed, and replayed against Kith
//! through a Lemmy-shaped peer.

use kith_federation::protocol::{Activity, IncomingObject, RemoteActor};
use kith_federation::{actions::membership, signatures};
use kith_storage::{FollowState, JoinPolicy, ObjectKind};
use serde_json::{Value, json};

use crate::instance::{Instance, eventually};
use crate::peer::{Peer, fixture};

#[test]
fn every_fixture_parses() {
    for (name, kind) in [
        ("mastodon/person.json", "Person"),
        ("lemmy/person.json", "Person"),
        ("lemmy/group.json", "Group"),
    ] {
        let actor: RemoteActor = serde_json::from_value(fixture(name)).unwrap();
        assert_eq!(actor.kind, kind, "{name}");
        let key = actor.main_key().unwrap();
        assert_eq!(key.owner, actor.id, "{name}");
        signatures::parse_public_key(&key.public_key_pem).unwrap();
        assert!(actor.endpoints.unwrap().shared_inbox.is_some(), "{name}");
    }
    for name in [
        "mastodon/create_note.json",
        "mastodon/follow.json",
        "mastodon/undo_follow.json",
        "mastodon/delete.json",
        "lemmy/follow.json",
        "lemmy/create_page.json",
        "lemmy/announce_create_page.json",
    ] {
        let activity = Activity::from_value(fixture(name)).unwrap();
        assert!(activity.actor.is_some(), "{name}");
        assert!(activity.object_id().is_some(), "{name}");
    }
    let note: IncomingObject =
        serde_json::from_value(fixture("mastodon/create_note.json")["object"].clone()).unwrap();
    assert_eq!(
        note.recipients()
            .filter(|r| r.ends_with("/retiolus"))
            .count(),
        2,
        "cc and tag"
    );
    let page: IncomingObject =
        serde_json::from_value(fixture("lemmy/create_page.json")["object"].clone()).unwrap();
    assert_eq!(page.name.as_deref(), Some("test post"));
    assert_eq!(page.audience, ["https://enterprise.lemmy.ml/c/main"]);
    let announce = Activity::from_value(fixture("lemmy/announce_create_page.json")).unwrap();
    assert_eq!(announce.object_kind(), Some("Create"));
}

/// A Lemmy-shaped peer: its users `lemmy_alpha` and `lemmy_beta` and its community
/// `tenforward` are the fixtures, re-hosted.
async fn lemmy() -> Peer {
    Peer::start(&[
        "http://ds9.lemmy.ml",
        "https://enterprise.lemmy.ml",
        "http://enterprise.lemmy.ml",
    ])
    .await
}

fn serve_person(peer: &Peer, name: &str) -> Value {
    let text = peer
        .fixture("lemmy/person.json")
        .to_string()
        .replace("u/picard", &format!("u/{name}"));
    let mut person: Value = serde_json::from_str(&text).unwrap();
    person["preferredUsername"] = json!(name);
    person["publicKey"]["publicKeyPem"] = json!(peer.public_pem);
    peer.serve(&person);
    person
}

fn key(actor: &Value) -> String {
    actor["publicKey"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_lemmy_user_joins_and_posts_a_page_into_a_kith_group() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let peer = lemmy().await;
    let alpha = serve_person(&peer, "lemmy_alpha");

    let mut follow = peer.fixture("lemmy/follow.json");
    follow["to"] = json!([group.id]);
    follow["object"] = json!(group.id);
    assert_eq!(
        peer.send(&key(&alpha), &group.inbox_url, &follow).await,
        202
    );
    peer.wait_for("the Accept", |b| b["type"] == "Accept").await;

    let text = peer.fixture("lemmy/create_page.json").to_string();
    let community = format!("{}/c/main", peer.base);
    let text = text.replace(&community, &group.id);
    let create: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(create["object"]["audience"], group.id.as_str());
    assert_eq!(
        peer.send(&key(&alpha), &format!("{}/inbox", kith.base), &create)
            .await,
        202
    );

    // FEP-1b12: the member's Create, unchanged, inside the group's Announce.
    let wrapped = peer
        .wait_for("the announced Create", |b| {
            b["type"] == "Announce" && b["object"]["type"] == "Create"
        })
        .await;
    assert!(wrapped.verified);
    assert_eq!(wrapped.body["object"], create);
    let page = kith
        .ctx
        .db
        .object(create["object"]["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(page.kind, ObjectKind::Page);
    assert_eq!(page.name.as_deref(), Some("test post"));
    kith.stop().await;
}

#[tokio::test]
async fn a_kith_group_follows_a_lemmy_community_and_keeps_its_posts() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let peer = lemmy().await;
    let community = peer.serve_actor("lemmy/group.json");
    let community_id = community["id"].as_str().unwrap().to_owned();
    serve_person(&peer, "lemmy_beta");
    let host = peer.base.trim_start_matches("http://").to_owned();

    membership::follow_group(&kith.ctx, "runners", &format!("@tenforward@{host}"))
        .await
        .unwrap();
    let follow = peer.wait_for("the Follow", |b| b["type"] == "Follow").await;
    assert!(follow.verified);
    assert_eq!(follow.body["object"], community_id.as_str());
    let accept = json!({
        "actor": community_id,
        "to": [group.id],
        "object": follow.body,
        "type": "Accept",
        "id": format!("{}/activities/accept/5ba7ea4e-0a2c-4f2a-8f0e-cd96d6b0f9a7", peer.base),
    });
    assert_eq!(
        peer.send(&key(&community), &group.inbox_url, &accept).await,
        202
    );
    let state = kith
        .ctx
        .db
        .follow(&group.id, &community_id)
        .await
        .unwrap()
        .state;
    assert_eq!(state, FollowState::Accepted);

    let text = peer.fixture("lemmy/announce_create_page.json").to_string();
    let announce: Value =
        serde_json::from_str(&text.replace(&format!("{}/c/main", peer.base), &community_id))
            .unwrap();
    assert_eq!(
        peer.send(&key(&community), &format!("{}/inbox", kith.base), &announce)
            .await,
        202
    );
    kith.settled().await;
    let post_id = announce["object"]["object"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept = eventually("the kept post", || async {
        kith.ctx.db.object(&post_id).await.ok()
    })
    .await;
    assert_eq!(kept.group_id.as_deref(), Some(community_id.as_str()));
    assert_eq!(kept.name.as_deref(), Some("post 4"));

    // Announces from communities nobody here follows are ignored.
    let mut stranger = announce.clone();
    stranger["id"] = json!(format!("{}/activities/announce/other", peer.base));
    stranger["object"]["object"]["id"] = json!(format!("{}/post/8", peer.base));
    let beta = serve_person(&peer, "lemmy_beta");
    stranger["actor"] = beta["id"].clone();
    assert_eq!(
        peer.send(&key(&beta), &format!("{}/inbox", kith.base), &stranger)
            .await,
        202
    );
    kith.settled().await;
    assert!(
        kith.ctx
            .db
            .object(&format!("{}/post/8", peer.base))
            .await
            .is_err()
    );
    kith.stop().await;
}
