//! (a) A Mastodon member joins a Kith group, posts into it by mention, replies, deletes and
//! leaves — with a peer that signs and shapes its JSON as Mastodon does.

use kith_storage::{JoinPolicy, MemberState};
use serde_json::{Value, json};

use crate::instance::{Instance, get_activity_json};
use crate::peer::Peer;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The Mastodon peer with the fixture account `felix` served under its loopback address.
pub async fn mastodon() -> (Peer, Value) {
    let peer = Peer::start(&["https://mastodon.madrid", "https://masto.asonix.dog"]).await;
    let felix = peer.serve_actor("mastodon/person.json");
    (peer, felix)
}

/// Mastodon's `Follow` of `group` by `actor` (the fixture, re-addressed).
pub fn follow(peer: &Peer, actor: &Value, group: &str) -> Value {
    let mut follow = peer.fixture("mastodon/follow.json");
    follow["actor"] = actor["id"].clone();
    follow["object"] = json!(group);
    follow
}

/// Mastodon's public post mentioning `group` (the fixture, re-addressed as Mastodon addresses
/// a mention: the group in `cc` and in a `Mention` tag).
pub fn post_mentioning(peer: &Peer, actor: &Value, group: &str, handle: &str, n: u32) -> Value {
    let mut create = peer.fixture("mastodon/create_note.json");
    let note_id = format!(
        "{}/statuses/10722428911641{n:04}",
        actor["id"].as_str().unwrap()
    );
    let followers = actor["followers"].clone();
    create["id"] = json!(format!("{note_id}/activity"));
    create["to"] = json!([PUBLIC]);
    create["cc"] = json!([followers, group]);
    let note = &mut create["object"];
    note["id"] = json!(note_id);
    note["url"] = json!(note_id);
    note["inReplyTo"] = Value::Null;
    note["to"] = json!([PUBLIC]);
    note["cc"] = json!([followers, group]);
    note["tag"] = json!([{"type": "Mention", "href": group, "name": handle}]);
    note["content"] = json!(format!(
        "<p><span class=\"h-card\"><a href=\"{group}\" class=\"u-url mention\">@<span>runners</span></a></span> Saturday 9am at the park gates? <script>alert(1)</script></p>"
    ));
    create
}

fn key_id(actor: &Value) -> String {
    actor["publicKey"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_mastodon_member_joins_posts_replies_and_leaves() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let shared_inbox = format!("{}/inbox", kith.base);
    let felix_id = felix["id"].as_str().unwrap();

    // The group's actor document has what Mastodon and Lemmy read.
    let (status, doc) = get_activity_json(&group.id).await;
    assert_eq!(status, 200);
    assert_eq!(doc["type"], "Group");
    assert_eq!(doc["preferredUsername"], "runners");
    assert_eq!(doc["manuallyApprovesFollowers"], false);
    assert_eq!(doc["endpoints"]["sharedInbox"], shared_inbox);
    assert_eq!(doc["attributedTo"], format!("{}/moderators", group.id));
    assert!(
        doc["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .contains("PUBLIC KEY")
    );
    let page = reqwest::get(&group.id).await.unwrap().text().await.unwrap();
    assert!(page.contains("<h1>The runners</h1>"), "{page}");

    // Join: Follow → Accept at once, signed so that Mastodon's check passes.
    let follow = follow(&peer, &felix, &group.id);
    assert_eq!(
        peer.send(&key_id(&felix), &group.inbox_url, &follow).await,
        202
    );
    let accept = peer.wait_for("the Accept", |b| b["type"] == "Accept").await;
    assert!(accept.verified, "the Accept's signature verifies");
    assert_eq!(accept.body["object"]["id"], follow["id"]);
    assert_eq!(accept.body["actor"], group.id.as_str());
    assert_eq!(accept.path, "/users/felix/inbox");
    let (_, followers) = get_activity_json(&format!("{}/followers", group.id)).await;
    assert_eq!(followers["totalItems"], 2, "the owner and felix");
    // How many, never who (tests/integration/outsiders.rs).
    assert!(followers.get("first").is_none(), "{followers}");

    // Post by mention: one Announce{id} for Mastodon, one Announce{Create} for FEP-1b12.
    let create = post_mentioning(&peer, &felix, &group.id, &kith.handle("runners"), 1);
    let note_id = create["object"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        peer.send(&key_id(&felix), &shared_inbox, &create).await,
        202
    );
    let boost = peer
        .wait_for("the boost", |b| {
            b["type"] == "Announce" && b["object"] == note_id.as_str()
        })
        .await;
    assert!(boost.verified, "the Announce's signature verifies");
    assert_eq!(boost.path, "/inbox", "announces go to the shared inbox");
    assert_eq!(boost.body["to"], json!([PUBLIC]));
    assert!(
        boost.body["cc"]
            .as_array()
            .unwrap()
            .contains(&json!(felix_id))
    );
    let wrapped = peer
        .wait_for("the FEP-1b12 announce", |b| {
            b["type"] == "Announce" && b["object"]["type"] == "Create"
        })
        .await;
    assert_eq!(wrapped.body["object"]["id"], create["id"]);
    assert_eq!(wrapped.body["audience"], group.id.as_str());
    let stored = kith.ctx.db.object(&note_id).await.unwrap();
    assert!(
        !stored.content.unwrap().contains("script"),
        "remote HTML is sanitised"
    );
    let (_, announced) = get_activity_json(boost.body["id"].as_str().unwrap()).await;
    assert_eq!(announced["object"], note_id.as_str());
    let (_, outbox) = get_activity_json(&format!("{}/outbox", group.id)).await;
    assert_eq!(outbox["totalItems"], 1);

    // A direct mention is never redistributed, nor kept.
    let mut direct = post_mentioning(&peer, &felix, &group.id, &kith.handle("runners"), 2);
    direct["to"] = json!([group.id]);
    direct["cc"] = json!([]);
    direct["object"]["to"] = json!([group.id]);
    direct["object"]["cc"] = json!([]);
    assert_eq!(
        peer.send(&key_id(&felix), &shared_inbox, &direct).await,
        202
    );
    kith.settled().await;
    let direct_id = direct["object"]["id"].as_str().unwrap();
    assert!(kith.ctx.db.object(direct_id).await.is_err());

    // A reply stays in the thread: FEP-1b12 servers get it, Mastodon timelines get no boost.
    let mut reply = post_mentioning(&peer, &felix, &group.id, &kith.handle("runners"), 3);
    reply["object"]["inReplyTo"] = json!(note_id);
    let reply_id = reply["object"]["id"].as_str().unwrap().to_owned();
    assert_eq!(peer.send(&key_id(&felix), &shared_inbox, &reply).await, 202);
    peer.wait_for("the reply's FEP-1b12 announce", |b| {
        b["object"]["id"] == reply["id"]
    })
    .await;
    assert!(
        !peer
            .received()
            .iter()
            .any(|r| r.body["object"] == reply_id.as_str())
    );
    let replies_url = format!("{}/replies?object={}", group.id, url_encode(&note_id));
    let (status, replies) = get_activity_json(&replies_url).await;
    assert_eq!(status, 200);
    assert_eq!(replies["totalItems"], 1);
    let (_, page) = get_activity_json(replies["first"].as_str().unwrap()).await;
    assert_eq!(page["orderedItems"], json!([reply_id]));

    // Deleting the post withdraws the boost (Undo{Announce}) and announces the Delete.
    let mut delete = peer.fixture("mastodon/delete.json");
    delete["id"] = json!(format!("{note_id}#delete"));
    delete["object"]["id"] = json!(note_id);
    assert_eq!(
        peer.send(&key_id(&felix), &shared_inbox, &delete).await,
        202
    );
    peer.wait_for("the Undo of the boost", |b| {
        b["type"] == "Undo" && b["object"]["id"] == boost.body["id"]
    })
    .await;
    peer.wait_for("the announced Delete", |b| b["object"]["type"] == "Delete")
        .await;
    assert!(
        kith.ctx
            .db
            .object(&note_id)
            .await
            .unwrap()
            .deleted_at
            .is_some()
    );

    // Leave: Undo{Follow}.
    let mut undo = peer.fixture("mastodon/undo_follow.json");
    undo["actor"] = felix["id"].clone();
    undo["object"] = follow.clone();
    assert_eq!(
        peer.send(&key_id(&felix), &group.inbox_url, &undo).await,
        202
    );
    assert!(kith.ctx.db.membership(&group.id, felix_id).await.is_err());
    let (_, followers) = get_activity_json(&format!("{}/followers", group.id)).await;
    assert_eq!(followers["totalItems"], 1);
    kith.stop().await;
}

#[tokio::test]
async fn an_approval_group_holds_requests_until_an_organiser_answers() {
    let kith = Instance::start().await;
    kith.person("olga").await;
    let group = kith.group("circle", "olga", JoinPolicy::Approval).await;
    let (peer, felix) = mastodon().await;
    let felix_id = felix["id"].as_str().unwrap();
    let (_, doc) = get_activity_json(&group.id).await;
    assert_eq!(doc["manuallyApprovesFollowers"], true);

    let follow = follow(&peer, &felix, &group.id);
    assert_eq!(
        peer.send(&key_id(&felix), &group.inbox_url, &follow).await,
        202
    );
    let pending = kith.ctx.db.membership(&group.id, felix_id).await.unwrap();
    assert_eq!(pending.state, MemberState::Pending);

    // The owner answers through the JSON API with a bearer token.
    let token = kith_federation::actions::tokens::create_token(&kith.ctx, "olga", "test")
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let requests_url = format!("{}/api/v1/groups/circle/requests", kith.base);
    let unauthorised = client.get(&requests_url).send().await.unwrap();
    assert_eq!(unauthorised.status(), 401);
    let list: Value = client
        .get(&requests_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["id"], felix_id);
    let approved = client
        .post(format!("{requests_url}/approve"))
        .bearer_auth(&token)
        .json(&json!({"member": felix_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);
    let accept = peer.wait_for("the Accept", |b| b["type"] == "Accept").await;
    assert_eq!(accept.body["object"]["id"], follow["id"]);

    // Removing a member sends Reject{Follow}, which makes Mastodon unfollow.
    let removed = client
        .post(format!("{}/api/v1/groups/circle/members/remove", kith.base))
        .bearer_auth(&token)
        .json(&json!({"member": felix_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    let reject = peer.wait_for("the Reject", |b| b["type"] == "Reject").await;
    assert!(reject.verified);
    assert!(kith.ctx.db.membership(&group.id, felix_id).await.is_err());

    // A non-member's post waits for a moderator and is not announced.
    let create = post_mentioning(&peer, &felix, &group.id, &kith.handle("circle"), 4);
    assert_eq!(
        peer.send(&key_id(&felix), &format!("{}/inbox", kith.base), &create)
            .await,
        202
    );
    kith.settled().await;
    let held = kith.ctx.db.held_posts(&group.id).await.unwrap();
    assert_eq!(held.len(), 1);
    assert!(!peer.received().iter().any(|r| r.body["type"] == "Announce"));
    kith.stop().await;
}

/// Percent-encodes a query value.
pub fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
