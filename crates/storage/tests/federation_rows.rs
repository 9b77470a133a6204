//! The rows group federation adds: follows of remote actors, announced and held posts, delivery
//! hosts and API tokens — on SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{actor, note, person};
use kith_storage::{
    Account, Actor, ActorKind, Database, FollowState, JoinPolicy, StorageError, testing,
};

/// A group `runners` owned by `olga`.
async fn group_with_owner(db: &Database) -> (Account, Actor) {
    let owner = person(db, "olga").await;
    let local = actor("runners", ActorKind::Group, true, "kith.test");
    let group = db
        .create_group(&local, JoinPolicy::Open, &owner.actor_id, None)
        .await
        .unwrap();
    (owner, group)
}

#[tokio::test]
async fn follows_of_remote_groups_wait_then_are_accepted_or_rejected() {
    for t in testing::all().await {
        let db = &t.db;
        let (_, group) = group_with_owner(db).await;
        let remote = db
            .upsert_remote_actor(&actor("main", ActorKind::Group, false, "lemmy.test"))
            .await
            .unwrap();
        db.upsert_follow(&group.id, &remote.id, FollowState::Pending, "f1")
            .await
            .unwrap();
        assert!(
            db.accepted_followers_of(&remote.id)
                .await
                .unwrap()
                .is_empty(),
            "{}",
            t.label
        );
        assert!(matches!(
            db.accept_follow(&remote.id, "other").await,
            Err(StorageError::NotFound)
        ));
        db.accept_follow(&remote.id, "f1").await.unwrap();
        assert_eq!(
            db.accepted_followers_of(&remote.id).await.unwrap(),
            vec![group.id.clone()]
        );
        db.delete_follow_by_activity(&remote.id, "f1")
            .await
            .unwrap();
        assert!(matches!(
            db.follow(&group.id, &remote.id).await,
            Err(StorageError::NotFound)
        ));
    }
}

#[tokio::test]
async fn announced_posts_fill_the_outbox_and_held_posts_wait() {
    for t in testing::all().await {
        let db = &t.db;
        let (owner, group) = group_with_owner(db).await;
        let mut held = note(
            "https://m.test/1",
            &owner.actor_id,
            Some(&group.id),
            None,
            10,
        );
        held.held_reason = Some("not a member".into());
        db.insert_object(&held).await.unwrap();
        db.insert_object(&note(
            "https://m.test/2",
            &owner.actor_id,
            Some(&group.id),
            None,
            20,
        ))
        .await
        .unwrap();
        assert_eq!(
            db.held_posts(&group.id).await.unwrap().len(),
            1,
            "{}",
            t.label
        );
        assert_eq!(db.count_group_outbox(&group.id).await.unwrap(), 0);
        db.publish_object(
            "https://m.test/1",
            Some("https://kith.test/g/r/activities/a"),
        )
        .await
        .unwrap();
        assert!(db.held_posts(&group.id).await.unwrap().is_empty());
        assert_eq!(db.count_group_outbox(&group.id).await.unwrap(), 1);
        let page = db.group_outbox_page(&group.id, None, 10).await.unwrap();
        assert_eq!(page[0].id, "https://m.test/1");
        let found = db
            .object_by_announce_id("https://kith.test/g/r/activities/a")
            .await
            .unwrap();
        assert_eq!(found.id, "https://m.test/1");
        assert_eq!(
            db.member_inboxes(&group.id).await.unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            db.moderators(&group.id).await.unwrap(),
            vec![owner.actor_id.clone()]
        );
    }
}

#[tokio::test]
async fn hosts_die_after_failing_long_enough_and_revive_when_heard_from() {
    for t in testing::all().await {
        let db = &t.db;
        assert!(
            !db.record_host_failure("a.test", 1_000, 0).await.unwrap(),
            "{}",
            t.label
        );
        assert!(
            !db.record_host_failure("a.test", 5_000, 500).await.unwrap(),
            "failing, alive"
        );
        assert!(
            db.record_host_failure("a.test", 9_000, 2_000)
                .await
                .unwrap(),
            "dead"
        );
        assert!(db.host_is_dead("a.test").await.unwrap());
        db.record_host_success("a.test").await.unwrap();
        assert!(!db.host_is_dead("a.test").await.unwrap());
        assert!(!db.host_is_dead("never.test").await.unwrap());
    }
}

#[tokio::test]
async fn api_tokens_find_their_account() {
    for t in testing::all().await {
        let db = &t.db;
        let olga = person(db, "olga").await;
        db.create_api_token("hash1", &olga.id, "cli").await.unwrap();
        assert_eq!(
            db.account_by_token_hash("hash1").await.unwrap().id,
            olga.id,
            "{}",
            t.label
        );
        assert!(matches!(
            db.account_by_token_hash("nope").await,
            Err(StorageError::NotFound)
        ));
    }
}
