//! Members-only and hidden groups in storage (issue 26), on both databases: visibility kept
//! on the actor row, the per-request reads that decide access, and hidden groups left out of
//! the directory, NodeInfo counts and posts lists.

#![allow(clippy::unwrap_used)]

mod common;

use common::{actor, group_with_owner, note};
use kith_storage::{ActorKind, GroupVisibility, MemberRole, MemberState, testing};

#[tokio::test]
async fn access_reads_follow_memberships_and_hosts() {
    for t in testing::all().await {
        let db = &t.db;
        let (owner, group) = group_with_owner(db).await;
        assert!(group.is_public(), "{}", t.label);
        let far = db
            .upsert_remote_actor(&actor("ann", ActorKind::Person, false, "far.test"))
            .await
            .unwrap();
        assert!(
            !db.host_has_accepted_member(&group.id, "far.test")
                .await
                .unwrap()
        );
        db.upsert_membership(
            &group.id,
            &far.id,
            MemberState::Pending,
            MemberRole::Member,
            None,
        )
        .await
        .unwrap();
        assert!(
            !db.host_has_accepted_member(&group.id, "far.test")
                .await
                .unwrap()
        );
        assert!(!db.is_accepted_member(&group.id, &far.id).await.unwrap());
        db.upsert_membership(
            &group.id,
            &far.id,
            MemberState::Accepted,
            MemberRole::Member,
            None,
        )
        .await
        .unwrap();
        assert!(
            db.host_has_accepted_member(&group.id, "far.test")
                .await
                .unwrap()
        );
        assert!(
            !db.host_has_accepted_member(&group.id, "near.test")
                .await
                .unwrap()
        );
        assert!(db.is_accepted_member(&group.id, &far.id).await.unwrap());
        assert!(
            db.is_accepted_member(&group.id, &owner.actor_id)
                .await
                .unwrap()
        );
        assert_eq!(
            db.member_hosts(&group.id).await.unwrap(),
            [("far.test".to_owned(), 1), ("kith.test".to_owned(), 1)]
        );
        db.upsert_membership(
            &group.id,
            &far.id,
            MemberState::Banned,
            MemberRole::Member,
            None,
        )
        .await
        .unwrap();
        assert!(
            !db.host_has_accepted_member(&group.id, "far.test")
                .await
                .unwrap()
        );

        // Hidden: kept, read back with the row, left out of the directory and the counts.
        assert!(!db.group_has_content(&group.id).await.unwrap());
        let before = db.usage_stats().await.unwrap();
        db.insert_object(&note(
            "https://kith.test/o/1",
            &owner.actor_id,
            Some(&group.id),
            None,
            1,
        ))
        .await
        .unwrap();
        assert!(db.group_has_content(&group.id).await.unwrap());
        assert_eq!(db.search_local_groups("", 10).await.unwrap().len(), 1);
        db.set_group_visibility(&group.id, GroupVisibility::Hidden)
            .await
            .unwrap();
        let hidden = db.actor(&group.id).await.unwrap();
        assert!(hidden.is_hidden() && !hidden.is_public());
        assert_eq!(
            db.actor_by_id_cached(&group.id).await.unwrap().visibility,
            GroupVisibility::Hidden
        );
        assert!(db.search_local_groups("", 10).await.unwrap().is_empty());
        let after = db.usage_stats().await.unwrap();
        assert_eq!(after.local_groups, before.local_groups - 1, "{}", t.label);
        assert_eq!(
            after.local_posts, before.local_posts,
            "the hidden post is not counted"
        );
        assert!(
            db.posts_by_author(&owner.actor_id, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_followed_remote_groups_private_content_is_for_the_following_groups_members() {
    for t in testing::all().await {
        let db = &t.db;
        let (owner, group) = group_with_owner(db).await;
        let stranger = common::person(db, "sam").await;
        let community = db
            .upsert_remote_actor(&actor("quiet", ActorKind::Group, false, "lemmy.test"))
            .await
            .unwrap();
        let mut relay = actor("runners_relay", ActorKind::Service, true, "kith.test");
        relay.id = format!("{}/relay", group.id);
        db.insert_actor(&relay).await.unwrap();
        assert!(
            !db.may_see_remote_private(&community.id, &owner.actor_id)
                .await
                .unwrap()
        );
        db.upsert_follow(
            &relay.id,
            &community.id,
            kith_storage::FollowState::Pending,
            "f1",
        )
        .await
        .unwrap();
        assert!(
            !db.may_see_remote_private(&community.id, &owner.actor_id)
                .await
                .unwrap()
        );
        db.accept_follow(&community.id, "f1").await.unwrap();
        assert!(
            db.may_see_remote_private(&community.id, &owner.actor_id)
                .await
                .unwrap(),
            "{}",
            t.label
        );
        assert!(
            !db.may_see_remote_private(&community.id, &stranger.actor_id)
                .await
                .unwrap()
        );
        // Following it oneself counts too.
        db.upsert_follow(
            &stranger.actor_id,
            &community.id,
            kith_storage::FollowState::Accepted,
            "f2",
        )
        .await
        .unwrap();
        assert!(
            db.may_see_remote_private(&community.id, &stranger.actor_id)
                .await
                .unwrap()
        );
    }
}
