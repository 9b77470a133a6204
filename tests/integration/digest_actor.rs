//! A public group's digest actor (issue 24): a Mastodon-shaped peer finds `NAME.digest` by
//! WebFinger, follows it and is accepted, and gets one signed public Note for a day of
//! activity (titles and links, served at its id), none for a digest it unfollowed, and none a
//! second time for the same day. A members-only or hidden group has no digest actor at all.

use kith_federation::actions::group_digest;
use kith_federation::actions::posts;
use kith_storage::{GroupVisibility, JoinPolicy, MemberState};
use serde_json::{Value, json};

use crate::instance::{Instance, eventually, get_activity_json};
use crate::mastodon::follow;
use crate::members::{host, id, key_id};
use crate::private_groups::private_group;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// The digest actor `acct` names, found as Mastodon finds it: WebFinger, then its document.
async fn discover(inst: &Instance, acct: &str) -> Value {
    let url = format!("{}/.well-known/webfinger?resource=acct:{acct}", inst.base);
    let jrd: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    let href = jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, doc) = get_activity_json(&href).await;
    assert_eq!(status, 200, "{href}");
    doc
}

/// Whether `body` is the digest actor `digest`'s daily post.
fn digest_post(body: &Value, digest: &str) -> bool {
    body["type"] == "Create" && body["actor"] == digest && body["object"]["type"] == "Note"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_follower_gets_one_post_a_day_from_a_public_groups_digest() {
    for test_db in kith_storage::testing::all().await {
        let inst = Instance::start_on(test_db).await;
        let ctx = &inst.ctx;
        inst.person("ann").await;
        let ann = inst.actor("ann").await;
        let runners = inst.group("runners", "ann", JoinPolicy::Open).await;
        let walkers = inst.group("walkers", "ann", JoinPolicy::Open).await;
        let members = host(1).await;
        let (peer, felix) = (&members.peer, &members.members[0]);

        let domain = inst.domain().to_owned();
        let digest = discover(&inst, &format!("runners.digest@{domain}")).await;
        assert_eq!(digest["type"], "Service");
        assert_eq!(digest["id"], format!("{}/digest", runners.id));
        assert_eq!(digest["preferredUsername"], "runners.digest");
        assert_ne!(
            digest["publicKey"]["publicKeyPem"],
            get_activity_json(&runners.id).await.1["publicKey"]["publicKeyPem"],
            "a key pair of its own"
        );
        let other = discover(&inst, &format!("walkers.digest@{domain}")).await;

        // Following both: each answers `Accept` at once, signed by itself.
        let mut follows = Vec::new();
        for (n, target) in [&digest, &other].into_iter().enumerate() {
            let mut f = follow(peer, felix, target["id"].as_str().unwrap());
            f["id"] = json!(format!("{}#digest-follow-{n}", id(felix)));
            let inbox = target["inbox"].as_str().unwrap();
            assert_eq!(peer.send(&key_id(felix), inbox, &f).await, 202);
            let accept = peer
                .wait_for("the Accept", |b| {
                    b["type"] == "Accept" && b["object"]["id"] == f["id"]
                })
                .await;
            assert!(accept.verified, "signed with the digest actor's key");
            assert_eq!(accept.body["actor"], target["id"]);
            follows.push(f);
        }
        // Then leaving the walkers' digest.
        let undo = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}#digest-undo", id(felix)),
            "type": "Undo",
            "actor": felix["id"],
            "object": follows[1],
        });
        let inbox = other["inbox"].as_str().unwrap();
        assert_eq!(peer.send(&key_id(felix), inbox, &undo).await, 202);
        let other_id = other["id"].as_str().unwrap().to_owned();
        eventually("the unfollow", || async {
            let n = ctx
                .db
                .count_members(&other_id, MemberState::Accepted)
                .await
                .unwrap();
            (n == 0).then_some(())
        })
        .await;

        // A day of activity in both groups.
        let busy = posts::post_to_group(ctx, &ann, &runners, "Route for Sunday", None)
            .await
            .unwrap();
        for text in ["Looks good", "Can we start later?"] {
            posts::post_to_group(ctx, &ann, &runners, text, Some(&busy.id))
                .await
                .unwrap();
        }
        posts::post_to_group(ctx, &ann, &runners, "A quiet one", None)
            .await
            .unwrap();
        posts::post_to_group(ctx, &ann, &walkers, "Walk by the river", None)
            .await
            .unwrap();

        let next_day = busy.published_at + DAY_MS;
        assert_eq!(group_digest::post_due(ctx, next_day).await.unwrap(), 1);
        assert_eq!(
            group_digest::post_due(ctx, next_day + 3_600_000)
                .await
                .unwrap(),
            0,
            "once a day"
        );
        let digest_id = digest["id"].as_str().unwrap();
        let post = peer
            .wait_for("the daily post", |b| digest_post(b, digest_id))
            .await;
        assert!(post.verified);
        let note = &post.body["object"];
        assert_eq!(
            note["to"],
            json!(["https://www.w3.org/ns/activitystreams#Public"])
        );
        let content = note["content"].as_str().unwrap();
        assert!(content.contains(&format!("<a href=\"{}\">Route for Sunday</a>", busy.id)));
        assert!(content.contains("A quiet one"), "{content}");
        assert!(content.find("Route for Sunday") < content.find("A quiet one"));
        assert!(!content.contains("Looks good"), "titles only: {content}");
        // Served at its id, as delivered.
        let (status, served) = get_activity_json(note["id"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(served["content"], note["content"]);

        // A second look finds nothing more: one post for the day, none from the unfollowed.
        assert_eq!(group_digest::post_due(ctx, next_day).await.unwrap(), 0);
        eventually("the deliveries to end", || async {
            (ctx.db.pending_deliveries().await.unwrap() == 0).then_some(())
        })
        .await;
        let posts: Vec<_> = peer
            .received()
            .into_iter()
            .filter(|r| r.body["type"] == "Create")
            .collect();
        assert_eq!(posts.len(), 1, "{posts:?}");
        inst.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_only_or_hidden_group_has_no_digest_actor() {
    let inst = Instance::start().await;
    inst.person("olga").await;
    let open = inst.group("open", "olga", JoinPolicy::Open).await;
    let circle = private_group(&inst, "circle", "olga", GroupVisibility::Members).await;
    let secret = private_group(&inst, "hushgroup", "olga", GroupVisibility::Hidden).await;
    let members = host(1).await;
    let (peer, felix) = (&members.peer, &members.members[0]);
    let domain = inst.domain().to_owned();
    let client = reqwest::Client::new();

    let page = client
        .get(&open.id)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("@open.digest@{domain}")), "{page}");
    for group in [&circle, &secret] {
        let name = group.username.as_str();
        let actor = format!("{}/digest", group.id);
        assert_eq!(get_activity_json(&actor).await.0, 404, "{actor}");
        let finger = format!(
            "{}/.well-known/webfinger?resource=acct:{name}.digest@{domain}",
            inst.base
        );
        assert_eq!(client.get(&finger).send().await.unwrap().status(), 404);
        let mut f = follow(peer, felix, &actor);
        f["id"] = json!(format!("{}#follow-{name}", id(felix)));
        let inbox = format!("{actor}/inbox");
        assert_eq!(peer.send(&key_id(felix), &inbox, &f).await, 404);
        let shared = format!("{}/inbox", inst.base);
        assert_eq!(peer.send(&key_id(felix), &shared, &f).await, 202);
        inst.settled().await;
        assert_eq!(
            inst.ctx
                .db
                .count_members(&actor, MemberState::Accepted)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            get_activity_json(&format!("{actor}/followers")).await.0,
            404
        );
        let page = client.get(&group.id).send().await.unwrap();
        let page = page.text().await.unwrap();
        assert!(!page.contains(".digest@"), "no digest offered: {page}");
    }
    assert!(
        group_digest::post_due(&inst.ctx, kith_storage::now_millis() + DAY_MS)
            .await
            .unwrap()
            == 0
    );
    assert!(peer.received().iter().all(|r| r.body["type"] != "Accept"));

    // Nor does a hidden group's relay (made when it follows something) tell of the group.
    for (group, status) in [(&open, 200), (&secret, 404)] {
        kith_federation::actions::relay::ensure_relay(&inst.ctx, group)
            .await
            .unwrap();
        let finger = format!(
            "{}/.well-known/webfinger?resource=acct:{}.relay@{domain}",
            inst.base, group.username
        );
        let answer = client.get(&finger).send().await.unwrap().status();
        assert_eq!(answer.as_u16(), status, "{finger}");
    }
    inst.stop().await;
}
