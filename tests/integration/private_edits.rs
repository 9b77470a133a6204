//! Edits and deletions of posts in a members-only group reach every copy (issue 26): the
//! Mastodon-family members' servers that got the group's own followers-only copy of a post get
//! `Update` or `Delete` of that copy, from the group, addressed to its followers alone; a
//! server that never got the copy gets nothing of it, and one whose members left is told of a
//! deletion but never sent an edit's new text. Lemmy members get the FEP-1b12 `Announce`.

use kith_federation::actions::By;
use kith_federation::actions::{group_safety, membership};
use kith_storage::GroupVisibility;
use serde_json::{Value, json};

use crate::forms::{Member, all_sent, join, of_type};
use crate::instance::Instance;
use crate::private_delivery::let_in;
use crate::private_groups::private_group;
use crate::shapes::Shape;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// `author`'s "mentioned people only" post to the group (how a Mastodon member posts to a
/// members-only group), sent; returns the post's id.
async fn post(kith: &Instance, group: &kith_storage::Actor, author: &Member, n: u32) -> String {
    let handle = format!("@circle@{}", kith.domain());
    let mut create =
        crate::mastodon::post_mentioning(&author.peer, &author.actor, &group.id, &handle, n);
    for field in ["to", "cc"] {
        let value = if field == "to" {
            json!([group.id])
        } else {
            json!([])
        };
        create[field] = value.clone();
        create["object"][field] = value;
    }
    create["object"]["content"] = json!(format!("<p>Meeting number {n} is on Tuesday</p>"));
    let id = create["object"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        author
            .peer
            .send(&key(author), &group.inbox_url, &create)
            .await,
        202
    );
    kith.settled().await;
    all_sent(kith).await;
    id
}

fn key(member: &Member) -> String {
    member.actor["publicKey"]["id"].as_str().unwrap().to_owned()
}

/// The activities of `kind` a member's server took whose object is `object_id`.
fn about(member: &Member, kind: &str, object_id: &str) -> Vec<Value> {
    of_type(&member.peer, kind)
        .into_iter()
        .filter(|a| a["object"]["id"] == object_id || a["object"] == object_id)
        .collect()
}

/// Nothing of it (the activity, or its object) is addressed to everyone.
fn not_public(activity: &Value) {
    for doc in [activity, &activity["object"]] {
        for field in ["to", "cc", "bto", "bcc"] {
            let text = doc[field].to_string();
            assert!(
                !text.contains(PUBLIC) && !text.contains("Public\""),
                "{activity}"
            );
        }
    }
}

#[tokio::test]
async fn edits_and_deletions_reach_every_copy_and_only_the_servers_that_got_it() {
    for test_db in kith_storage::testing::all().await {
        edits_on(Instance::start_on(test_db).await).await;
    }
}

async fn edits_on(kith: Instance) {
    let olga = kith.person("olga").await;
    let group = private_group(&kith, "circle", "olga", GroupVisibility::Members).await;
    let followers = format!("{}/followers", group.id);
    let author = join(&group, Shape::Mastodon).await;
    let other = join(&group, Shape::GoToSocial).await;
    let leaving = join(&group, Shape::Mastodon).await;
    let lemmy = join(&group, Shape::Lemmy10).await;
    for m in [&author, &other, &leaving, &lemmy] {
        let_in(&kith, "circle", &group.id, m).await;
    }
    all_sent(&kith).await;
    let first = post(&kith, &group, &author, 1).await;
    let second = post(&kith, &group, &author, 2).await;
    let copy_of = |id: String| {
        let kith = &kith;
        async move {
            let stored = kith.ctx.db.object(&id).await.unwrap();
            stored.announce_id.expect("shared as the group's copy")
        }
    };
    let (first_copy, second_copy) = (copy_of(first.clone()).await, copy_of(second.clone()).await);
    for m in [&author, &other, &leaving] {
        assert_eq!(about(m, "Create", &first_copy).len(), 1, "{}", m.id());
    }
    // A server whose member joined later never got the copies; one whose member left did.
    let late = join(&group, Shape::Mastodon).await;
    let_in(&kith, "circle", &group.id, &late).await;
    membership::remove_member(&kith.ctx, "circle", leaving.id(), By::Operator)
        .await
        .unwrap();
    all_sent(&kith).await;

    // The author edits the first post.
    let mut update = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{first}#updates/1"),
        "type": "Update",
        "actor": author.id(),
        "to": [group.id],
        "cc": [],
        "object": {
            "id": first, "type": "Note", "attributedTo": author.id(),
            "to": [group.id], "cc": [], "url": first,
            "published": "2026-01-01T10:00:00Z", "updated": "2026-01-01T11:00:00Z",
            "content": "<p>Meeting number 1 moved to Wednesday</p>",
            "tag": [{"type": "Mention", "href": group.id}],
        },
    });
    assert_eq!(
        author
            .peer
            .send(&key(&author), &group.inbox_url, &update)
            .await,
        202
    );
    kith.settled().await;
    all_sent(&kith).await;
    for m in [&author, &other] {
        let updates = about(m, "Update", &first_copy);
        assert_eq!(updates.len(), 1, "{}: {:?}", m.id(), m.peer.received());
        let u = &updates[0];
        assert_eq!(u["actor"], group.id.as_str());
        assert_eq!(u["to"][0], followers.as_str(), "{u}");
        assert_eq!(u["object"]["attributedTo"], group.id.as_str());
        assert_eq!(u["object"]["to"][0], followers.as_str(), "{u}");
        let content = u["object"]["content"].as_str().unwrap();
        assert!(content.contains("moved to Wednesday"), "{content}");
        assert!(content.contains(&first), "{content}");
        // Mastodon applies an edit only with an `updated` later than the copy's last.
        assert!(u["object"]["updated"].is_string(), "{u}");
        not_public(u);
    }
    assert!(
        of_type(&leaving.peer, "Update").is_empty(),
        "no new text to a server without members"
    );
    assert!(
        of_type(&late.peer, "Update").is_empty(),
        "it never got the copy"
    );
    assert!(
        of_type(&lemmy.peer, "Update").is_empty(),
        "Lemmy got no copy: it reads the Announce"
    );
    let announced = of_type(&lemmy.peer, "Announce")
        .into_iter()
        .find(|a| a["object"]["type"] == "Update")
        .expect("Lemmy gets the Announce{Update}");
    assert_eq!(announced["to"], json!([followers]), "{announced}");
    // The copy served at its id reads as edited too.
    let served = kith.ctx.db.object(&first).await.unwrap();
    assert!(served.content.unwrap().contains("Wednesday"));

    // The author deletes it: every server that got the copy drops it, the one whose members
    // left as well.
    update["type"] = json!("Delete");
    update["id"] = json!(format!("{first}#delete"));
    update["object"] = json!({"id": first, "type": "Tombstone"});
    assert_eq!(
        author
            .peer
            .send(&key(&author), &group.inbox_url, &update)
            .await,
        202
    );
    kith.settled().await;
    all_sent(&kith).await;
    for m in [&author, &other, &leaving] {
        let deletes = about(m, "Delete", &first_copy);
        assert_eq!(deletes.len(), 1, "{}: {:?}", m.id(), m.peer.received());
        assert_eq!(deletes[0]["actor"], group.id.as_str());
        assert_eq!(deletes[0]["to"], json!([followers]));
        not_public(&deletes[0]);
    }
    assert!(
        of_type(&late.peer, "Delete").is_empty(),
        "it never got the copy"
    );
    assert!(
        of_type(&author.peer, "Undo").is_empty(),
        "no Undo of a boost that never was"
    );

    // An organiser removes the second: its copies go the same way.
    group_safety::remove_post(&kith.ctx, &second, Some("off topic"), By::Account(&olga))
        .await
        .unwrap();
    all_sent(&kith).await;
    for m in [&author, &other, &leaving] {
        assert_eq!(about(m, "Delete", &second_copy).len(), 1, "{}", m.id());
    }
    assert!(of_type(&late.peer, "Delete").is_empty());
    kith.stop().await;
}
