//! (b) Two Kith instances in one process: a group on A gains members on B, B's posts reach A's
//! other members, and a B-side group follows A's group and keeps what it announces. Runs on
//! SQLite, and with A on PostgreSQL when the suite has one.

use kith_federation::actions::{following, membership, posts};
use kith_storage::{FollowState, JoinPolicy, MemberState};

use crate::instance::{Instance, eventually};
use crate::mastodon::{follow, mastodon, post_mentioning};

#[tokio::test]
async fn groups_federate_between_two_kith_instances() {
    let mut databases = kith_storage::testing::all().await;
    let a = Instance::start_on(databases.pop().unwrap()).await;
    let b = Instance::start().await;
    eprintln!("instance A runs on {}, B on {}", a.label, b.label);
    a.person("olga").await;
    let group = a.group("runners", "olga", JoinPolicy::Open).await;

    // A Mastodon member of A's group, to see what B's people post.
    let (peer, felix) = mastodon().await;
    let key_id = felix["publicKey"]["id"].as_str().unwrap();
    assert_eq!(
        peer.send(key_id, &group.inbox_url, &follow(&peer, &felix, &group.id))
            .await,
        202
    );

    // Bob on B joins A's group.
    b.person("bob").await;
    let bob = b.actor("bob").await;
    let remote_group = following::follow_remote_group(&b.ctx, &bob, &a.handle("runners"))
        .await
        .unwrap();
    assert_eq!(remote_group.id, group.id);
    eventually("bob's membership on A", || async {
        let m = a.ctx.db.membership(&group.id, &bob.id).await.ok()?;
        (m.state == MemberState::Accepted).then_some(())
    })
    .await;
    eventually("A's Accept on B", || async {
        let f = b.ctx.db.follow(&bob.id, &group.id).await.ok()?;
        (f.state == FollowState::Accepted).then_some(())
    })
    .await;

    // A group on B follows A's group.
    b.person("bea").await;
    let b_group = b.group("b_runners", "bea", JoinPolicy::Open).await;
    membership::follow_group(&b.ctx, "b_runners", &a.handle("runners"))
        .await
        .unwrap();
    eventually("the group follow accepted", || async {
        let f = b.ctx.db.follow(&b_group.id, &group.id).await.ok()?;
        (f.state == FollowState::Accepted).then_some(())
    })
    .await;

    // Bob posts from B into A's group; A's Mastodon member sees the boost.
    let post = posts::post_to_group(&b.ctx, &bob, &remote_group, "See you at 9!", None)
        .await
        .unwrap();
    let boost = peer
        .wait_for("A's boost of bob's post", |m| {
            m["type"] == "Announce" && m["object"] == post.id.as_str()
        })
        .await;
    assert!(boost.verified);
    let on_a = a.ctx.db.object(&post.id).await.unwrap();
    assert_eq!(on_a.group_id.as_deref(), Some(group.id.as_str()));
    assert!(on_a.announce_id.is_some());

    // The Mastodon member posts into A's group; B's group keeps it through A's announce.
    let create = post_mentioning(&peer, &felix, &group.id, &a.handle("runners"), 7);
    let note = peer.fixture_note(&create);
    assert_eq!(
        peer.send(key_id, &format!("{}/inbox", a.base), &create)
            .await,
        202
    );
    let kept = eventually("the post kept on B", || async {
        b.ctx.db.object(&note).await.ok()
    })
    .await;
    assert_eq!(kept.group_id.as_deref(), Some(group.id.as_str()));
    assert!(kept.content.unwrap().contains("park gates"));
    a.stop().await;
    b.stop().await;
}
