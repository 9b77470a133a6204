//! Moderation federated: each action reaches a second Kith instance and a Mastodon-shaped peer
//! as the activity they understand; a banned person's and a blocked server's activities change
//! nothing; removed posts disappear on both sides; reports come in as Flags (Mastodon's array
//! form) and go out again when forwarded.

use kith_federation::actions::{By, following, group_safety, instance_safety, posts, reports};
use kith_storage::{FollowState, JoinPolicy, MemberState};
use serde_json::{Value, json};

use crate::instance::{Instance, eventually, get_activity_json};
use crate::mastodon::{follow, mastodon, post_mentioning};
use crate::peer::Peer;

fn key_id(actor: &Value) -> String {
    actor["publicKey"]["id"].as_str().unwrap().to_owned()
}

/// An `Announce` received by the peer whose embedded activity has this type and satisfies `pred`.
async fn announced(peer: &Peer, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
    peer.wait_for(&format!("Announce{{{kind}}}"), |b| {
        b["type"] == "Announce" && b["object"]["type"] == kind && pred(&b["object"])
    })
    .await
    .body
}

/// A peer's host:port, as domain blocks name it.
fn host(peer: &Peer) -> String {
    peer.base.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn moderation_reaches_kith_and_mastodon_and_bans_change_nothing() {
    let mut databases = kith_storage::testing::all().await;
    let a = Instance::start_on(databases.pop().unwrap()).await;
    let b = Instance::start().await;
    a.person("olga").await;
    a.person("mo").await;
    let group = a.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let felix_id = felix["id"].as_str().unwrap().to_owned();
    let shared_inbox = format!("{}/inbox", a.base);

    // felix (Mastodon) and bob (Kith B) are members.
    let felix_follow = follow(&peer, &felix, &group.id);
    assert_eq!(
        peer.send(&key_id(&felix), &group.inbox_url, &felix_follow)
            .await,
        202
    );
    peer.wait_for("the Accept", |m| m["type"] == "Accept").await;
    b.person("bob").await;
    let bob = b.actor("bob").await;
    following::follow_remote_group(&b.ctx, &bob, &a.handle("runners"))
        .await
        .unwrap();
    eventually("bob accepted on B", || async {
        let f = b.ctx.db.follow(&bob.id, &group.id).await.ok()?;
        (f.state == FollowState::Accepted).then_some(())
    })
    .await;

    // Moderators: Add / Remove on the moderators collection, announced.
    let mo = a.actor("mo").await;
    group_safety::add_moderator(&a.ctx, "runners", "mo", By::Operator)
        .await
        .unwrap();
    let moderators_url = format!("{}/moderators", group.id);
    let add = announced(&peer, "Add", |o| o["object"] == mo.id.as_str()).await;
    assert_eq!(add["object"]["target"], moderators_url.as_str());
    let add_id = add["id"].as_str().unwrap().to_owned();
    eventually("B received the Add", || async {
        b.ctx.db.was_received(&add_id).await.unwrap().then_some(())
    })
    .await;
    let (_, collection) = get_activity_json(&moderators_url).await;
    assert!(
        collection["orderedItems"]
            .as_array()
            .unwrap()
            .contains(&json!(mo.id))
    );
    group_safety::remove_moderator(&a.ctx, "runners", "mo", By::Operator)
        .await
        .unwrap();
    announced(&peer, "Remove", |o| o["object"] == mo.id.as_str()).await;

    // A post by felix, kept on B through A's announce, is removed with a reason.
    let create = post_mentioning(&peer, &felix, &group.id, &a.handle("runners"), 1);
    let note = peer.fixture_note(&create);
    assert_eq!(
        peer.send(&key_id(&felix), &shared_inbox, &create).await,
        202
    );
    eventually("the post kept on B", || async {
        b.ctx.db.object(&note).await.ok()
    })
    .await;
    group_safety::remove_post(&a.ctx, &note, Some("spam"), By::Operator)
        .await
        .unwrap();
    let delete = announced(&peer, "Delete", |o| o["object"] == note.as_str()).await;
    assert_eq!(delete["object"]["summary"], "spam");
    peer.wait_for("the boost withdrawn", |m| {
        m["type"] == "Undo"
            && m["object"]["type"] == "Announce"
            && m["object"]["object"] == note.as_str()
    })
    .await;
    eventually("the post gone on B", || async {
        b.ctx.db.object(&note).await.ok()?.deleted_at.map(|_| ())
    })
    .await;
    assert!(a.ctx.db.object(&note).await.unwrap().deleted_at.is_some());
    let page = reqwest::get(&group.id).await.unwrap().text().await.unwrap();
    assert!(
        !page.contains("park gates"),
        "the removed post is not on the group page"
    );

    // felix is banned: Reject{Follow} for Mastodon, Announce{Block{target: group}} for the rest.
    group_safety::ban(
        &a.ctx,
        "runners",
        &felix_id,
        Some("harassment"),
        By::Operator,
    )
    .await
    .unwrap();
    let reject = peer
        .wait_for("Reject{Follow}", |m| m["type"] == "Reject")
        .await;
    assert_eq!(reject.body["object"]["id"], felix_follow["id"]);
    let block = announced(&peer, "Block", |o| o["object"] == felix_id.as_str()).await;
    assert_eq!(block["object"]["target"], group.id.as_str());
    assert_eq!(block["object"]["summary"], "harassment");
    assert!(a.ctx.db.membership(&group.id, &felix_id).await.is_err());
    // What a banned person sends changes nothing: a post is refused, a new Follow rejected.
    let banned_post = post_mentioning(&peer, &felix, &group.id, &a.handle("runners"), 2);
    let banned_note = peer.fixture_note(&banned_post);
    assert_eq!(
        peer.send(&key_id(&felix), &shared_inbox, &banned_post)
            .await,
        202
    );
    a.settled().await;
    assert!(
        a.ctx.db.object(&banned_note).await.is_err(),
        "nothing stored"
    );
    let mut again = follow(&peer, &felix, &group.id);
    again["id"] = json!(format!("{}#follows/again", felix_id));
    assert_eq!(
        peer.send(&key_id(&felix), &group.inbox_url, &again).await,
        202
    );
    peer.wait_for("the second Reject", |m| {
        m["type"] == "Reject" && m["object"]["id"] == again["id"]
    })
    .await;
    assert!(a.ctx.db.membership(&group.id, &felix_id).await.is_err());

    // bob is banned: B ends his follow of the group when the Block arrives.
    group_safety::ban(&a.ctx, "runners", &b.handle("bob"), None, By::Operator)
        .await
        .unwrap();
    eventually("bob's follow ended on B", || async {
        b.ctx
            .db
            .follow(&bob.id, &group.id)
            .await
            .is_err()
            .then_some(())
    })
    .await;

    // Lifting felix's ban: Announce{Undo{Block}}; a new Follow is accepted.
    group_safety::unban(&a.ctx, "runners", &felix_id, By::Operator)
        .await
        .unwrap();
    announced(&peer, "Undo", |o| o["object"]["type"] == "Block").await;
    let mut third = follow(&peer, &felix, &group.id);
    third["id"] = json!(format!("{}#follows/third", felix_id));
    assert_eq!(
        peer.send(&key_id(&felix), &group.inbox_url, &third).await,
        202
    );
    peer.wait_for("the Accept after the ban", |m| {
        m["type"] == "Accept" && m["object"]["id"] == third["id"]
    })
    .await;

    // The peer's whole server is blocked: its membership ends and what it sends is refused.
    let ended =
        instance_safety::block_domain(&a.ctx, &host(&peer), false, Some("spam wave"), By::Operator)
            .await
            .unwrap();
    assert_eq!(ended, 1);
    let m = a.ctx.db.membership(&group.id, &felix_id).await;
    assert!(m.is_err(), "felix's membership ended");
    let blocked_post = post_mentioning(&peer, &felix, &group.id, &a.handle("runners"), 3);
    let blocked_note = peer.fixture_note(&blocked_post);
    assert_eq!(
        peer.send(&key_id(&felix), &shared_inbox, &blocked_post)
            .await,
        403
    );
    assert!(a.ctx.db.object(&blocked_note).await.is_err());
    // Nothing is delivered to it: olga's post reaches nobody on the peer.
    let before = peer.received().len();
    let olga = a.actor("olga").await;
    let post = posts::post_to_group(&a.ctx, &olga, &group, "Rest day", None)
        .await
        .unwrap();
    assert!(a.ctx.db.object(&post.id).await.is_ok());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        peer.received().len(),
        before,
        "no delivery to a blocked server"
    );
    instance_safety::unblock_domain(&a.ctx, &host(&peer), By::Operator)
        .await
        .unwrap();

    // Every action is in the audit log.
    let log = instance_safety::audit_log(&a.ctx, None, By::Operator)
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for expected in [
        "group.moderator.add",
        "group.moderator.remove",
        "post.remove",
        "group.ban",
        "group.unban",
        "domain.block",
        "domain.unblock",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn reports_arrive_as_flags_and_are_forwarded() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let olga = a.person("olga").await;
    let carol = a.person("carol").await;
    let group = a.group("runners", "olga", JoinPolicy::Open).await;
    let (peer, felix) = mastodon().await;
    let instance_actor = peer.serve_actor("mastodon/instance_actor.json");
    assert_eq!(
        peer.send(
            &key_id(&felix),
            &group.inbox_url,
            &follow(&peer, &felix, &group.id)
        )
        .await,
        202
    );
    peer.wait_for("the Accept", |m| m["type"] == "Accept").await;
    let create = post_mentioning(&peer, &felix, &group.id, &a.handle("runners"), 1);
    let note = peer.fixture_note(&create);
    assert_eq!(
        peer.send(&key_id(&felix), &format!("{}/inbox", a.base), &create)
            .await,
        202
    );
    a.settled().await;

    // Mastodon's Flag: from its instance actor, object = [account, status].
    let flag = peer.fixture("mastodon/flag.json");
    assert_eq!(
        flag["object"][1],
        note.as_str(),
        "the fixture reports the post"
    );
    assert_eq!(
        peer.send(
            &key_id(&instance_actor),
            &format!("{}/inbox", a.base),
            &flag
        )
        .await,
        202
    );
    let queue = reports::reports(&a.ctx, false, By::Account(&olga))
        .await
        .unwrap();
    assert_eq!(queue.len(), 1, "the group's owner sees the report");
    let report = &queue[0];
    assert_eq!(report.target_id, felix["id"].as_str().unwrap());
    assert_eq!(report.objects(), vec![note.clone()]);
    assert_eq!(report.group_id.as_deref(), Some(group.id.as_str()));
    assert!(report.comment.contains("not a good morning"));
    assert!(
        reports::reports(&a.ctx, false, By::Account(&carol))
            .await
            .unwrap()
            .is_empty()
    );

    // Resolved with forwarding: a Flag from A's instance actor goes to felix's server.
    reports::resolve(&a.ctx, &report.id, "post removed", true, By::Account(&olga))
        .await
        .unwrap();
    let sent = peer
        .wait_for("the forwarded Flag", |m| m["type"] == "Flag")
        .await;
    assert!(sent.verified);
    assert_eq!(sent.body["actor"], a.ctx.urls().instance_actor());
    assert_eq!(sent.body["object"], json!([felix["id"], note]));
    assert!(
        sent.body["content"]
            .as_str()
            .unwrap()
            .contains("not a good morning")
    );
    assert!(
        reports::reports(&a.ctx, false, By::Operator)
            .await
            .unwrap()
            .is_empty()
    );

    // A Kith person reports a post by someone on Kith B; forwarded, B's admins see it.
    b.person("bob").await;
    let bob = b.actor("bob").await;
    let remote = following::follow_remote_group(&b.ctx, &bob, &a.handle("runners"))
        .await
        .unwrap();
    eventually("bob a member", || async {
        let m = a.ctx.db.membership(&group.id, &bob.id).await.ok()?;
        (m.state == MemberState::Accepted).then_some(())
    })
    .await;
    let bobs = posts::post_to_group(&b.ctx, &bob, &remote, "Buy cheap shoes", None)
        .await
        .unwrap();
    eventually("bob's post on A", || async {
        a.ctx.db.object(&bobs.id).await.ok()
    })
    .await;
    let request = reports::ReportRequest {
        post: Some(bobs.id.clone()),
        person: None,
        comment: "advert".into(),
    };
    let filed = reports::report(&a.ctx, &carol, &request).await.unwrap();
    assert_eq!(filed.target_id, bob.id);
    reports::resolve(&a.ctx, &filed.id, "forwarded", true, By::Operator)
        .await
        .unwrap();
    let on_b = eventually("the report on B", || async {
        reports::reports(&b.ctx, false, By::Operator)
            .await
            .unwrap()
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(on_b.target_id, bob.id);
    assert_eq!(on_b.objects(), vec![bobs.id.clone()]);
    assert_eq!(on_b.comment, "advert");
    a.stop().await;
    b.stop().await;
}
