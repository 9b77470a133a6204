//! Storage behaviour, run against SQLite and (when `KITH_TEST_DATABASE_URL` is set) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use kith_storage::PostPolicy;
use kith_storage::{
    ActorKind, Database, JoinPolicy, MemberRole, MemberState, NewAccount, NewDelivery,
    StorageError, Visibility, testing,
};

mod common;

use common::{actor, note, person};

#[tokio::test]
async fn migrations_apply_once_and_reopen_cleanly() {
    for t in testing::all().await {
        let again = Database::connect(&t.url).await.unwrap();
        again.migrate().await.unwrap();
        again.ping().await.unwrap();
    }
}

#[tokio::test]
async fn people_and_groups_share_one_namespace() {
    for t in testing::all().await {
        let db = &t.db;
        let alice = person(db, "alice").await;
        let dup = db
            .create_account(&NewAccount {
                actor: actor("Alice", ActorKind::Person, true, "kith.test"),
                email: None,
                password_hash: "x".into(),
                is_admin: false,
                approved: true,
                application: None,
            })
            .await;
        assert!(
            matches!(dup, Err(StorageError::Conflict { .. })),
            "{}: {dup:?}",
            t.label
        );

        let mut g = actor("alice", ActorKind::Group, true, "kith.test");
        g.id = "https://kith.test/g/alice".into();
        let clash = db
            .create_group(
                &g,
                (JoinPolicy::Open, kith_storage::GroupVisibility::Public),
                &alice.actor_id,
                Some(&alice.id),
            )
            .await;
        assert!(
            matches!(clash, Err(StorageError::Conflict { .. })),
            "{}: {clash:?}",
            t.label
        );
        // Nothing half-made: the failed group left no actor behind.
        assert!(matches!(db.actor(&g.id).await, Err(StorageError::NotFound)));

        // A remote actor of the same name is another person.
        db.upsert_remote_actor(&actor("alice", ActorKind::Person, false, "mastodon.test"))
            .await
            .unwrap();
        let found = db.local_actor_by_username("ALICE").await.unwrap();
        assert_eq!(found.id, alice.actor_id);
        let remote = db
            .remote_actor_by_handle("Alice", "mastodon.test")
            .await
            .unwrap();
        assert!(!remote.local);
    }
}

#[tokio::test]
async fn groups_start_with_their_owner_and_track_members() {
    for t in testing::all().await {
        let db = &t.db;
        let owner = person(db, "olga").await;
        let group = db
            .create_group(
                &actor("runners", ActorKind::Group, true, "kith.test"),
                (JoinPolicy::Approval, kith_storage::GroupVisibility::Public),
                &owner.actor_id,
                Some(&owner.id),
            )
            .await
            .unwrap();
        let settings = db.group_settings(&group.id).await.unwrap();
        assert_eq!(settings.join_policy, JoinPolicy::Approval);
        assert_eq!(settings.post_policy, PostPolicy::Members);
        let m = db.membership(&group.id, &owner.actor_id).await.unwrap();
        assert_eq!((m.state.as_str(), m.role.as_str()), ("accepted", "owner"));

        let remote = db
            .upsert_remote_actor(&actor("bob", ActorKind::Person, false, "mastodon.test"))
            .await
            .unwrap();
        db.upsert_membership(
            &group.id,
            &remote.id,
            MemberState::Pending,
            MemberRole::Member,
            Some("https://mastodon.test/f/1"),
        )
        .await
        .unwrap();
        let m = db
            .upsert_membership(
                &group.id,
                &remote.id,
                MemberState::Accepted,
                MemberRole::Member,
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            m.follow_activity_id.as_deref(),
            Some("https://mastodon.test/f/1")
        );
        assert_eq!(
            db.count_members(&group.id, MemberState::Accepted)
                .await
                .unwrap(),
            2
        );
        let page = db
            .members_page(&group.id, MemberState::Accepted, None, 1)
            .await
            .unwrap();
        let rest = db
            .members_page(
                &group.id,
                MemberState::Accepted,
                Some(&page[0].member_id),
                10,
            )
            .await
            .unwrap();
        assert_eq!(page.len() + rest.len(), 2);
        db.delete_membership(&group.id, &remote.id).await.unwrap();
        assert!(matches!(
            db.delete_membership(&group.id, &remote.id).await,
            Err(StorageError::NotFound)
        ));

        let orphan = db
            .upsert_membership(
                &group.id,
                "https://nowhere.test/u/x",
                MemberState::Accepted,
                MemberRole::Member,
                None,
            )
            .await;
        assert!(
            matches!(orphan, Err(StorageError::MissingReference { .. })),
            "{}: {orphan:?}",
            t.label
        );
    }
}

#[tokio::test]
async fn objects_threads_and_tombstones() {
    for t in testing::all().await {
        let db = &t.db;
        let a = person(db, "ann").await;
        let root = "https://kith.test/p/1";
        db.insert_object(&note(root, &a.actor_id, None, None, 1_000))
            .await
            .unwrap();
        for i in 0..3 {
            let id = format!("https://kith.test/p/r{i}");
            db.insert_object(&note(&id, &a.actor_id, None, Some(root), 2_000 + i))
                .await
                .unwrap();
        }
        // A direct message replying to it (the group's answer to one person, which may hold an
        // event's online link) is neither counted nor listed among its replies.
        let mut direct = note(
            "https://kith.test/p/dm",
            &a.actor_id,
            None,
            Some(root),
            2_001,
        );
        direct.visibility = Visibility::Direct;
        db.insert_object(&direct).await.unwrap();
        assert_eq!(db.count_replies(root).await.unwrap(), 3, "{}", t.label);
        // Pages read authors and reply counts for many posts at once.
        let counts = db
            .reply_counts(&[root, "https://kith.test/p/r0", "https://kith.test/p/none"])
            .await
            .unwrap();
        assert_eq!(counts.get(root), Some(&3));
        assert_eq!(counts.len(), 1, "posts without replies are absent");
        let authors = db
            .actors_by_ids(&[&a.actor_id, &a.actor_id, "https://kith.test/u/nobody"])
            .await
            .unwrap();
        assert_eq!(authors.len(), 1);
        assert_eq!(authors[0].id, a.actor_id);
        let dup = db
            .insert_object(&note(root, &a.actor_id, None, None, 1_000))
            .await;
        assert!(matches!(dup, Err(StorageError::Conflict { .. })));
        let first = db.replies_page(root, None, 2).await.unwrap();
        assert_eq!(first.len(), 2);
        let next = db
            .replies_page(root, Some(first[1].published_at), 2)
            .await
            .unwrap();
        assert_eq!(next.len(), 1);
        db.update_object_content(root, None, None, Some("<p>edited</p>"), "{\"e\":1}")
            .await
            .unwrap();
        assert_eq!(
            db.object(root).await.unwrap().content.as_deref(),
            Some("<p>edited</p>")
        );
        db.delete_object(root).await.unwrap();
        let gone = db.object(root).await.unwrap();
        assert!(gone.deleted_at.is_some() && gone.content.is_none());
        assert!(matches!(
            db.delete_object(root).await,
            Err(StorageError::NotFound)
        ));
        assert_eq!(
            db.usage_stats().await.unwrap().local_posts,
            4,
            "the replies and the direct message"
        );
    }
}

#[tokio::test]
async fn received_activities_are_applied_once() {
    for t in testing::all().await {
        let db = &t.db;
        let id = "https://mastodon.test/activities/1";
        assert!(
            db.record_received_activity(id, "https://mastodon.test/u/b", "Follow")
                .await
                .unwrap()
        );
        assert!(
            !db.record_received_activity(id, "https://mastodon.test/u/b", "Follow")
                .await
                .unwrap()
        );
        assert_eq!(db.prune_received_activities(i64::MAX, 10).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn delivery_queue_claims_leases_and_finishes() {
    for t in testing::all().await {
        let db = &t.db;
        let a = person(db, "dan").await;
        let queued = db
            .enqueue_delivery(&NewDelivery {
                activity_id: "https://kith.test/act/1".into(),
                actor_id: a.actor_id.clone(),
                body: "{\"type\":\"Announce\"}".into(),
                inboxes: vec![
                    "https://one.test/inbox".into(),
                    "https://two.test:8443/inbox".into(),
                    "https://one.test/inbox".into(),
                ],
            })
            .await
            .unwrap();
        assert_eq!(queued, 2, "shared inboxes are listed once");
        let claimed = db.claim_deliveries(10, 60_000).await.unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(claimed.iter().any(|d| d.host == "two.test:8443"));
        assert!(
            db.claim_deliveries(10, 60_000).await.unwrap().is_empty(),
            "leased rows wait"
        );
        let (actor, body) = db
            .outgoing_activity("https://kith.test/act/1")
            .await
            .unwrap();
        assert_eq!(
            (actor.as_str(), body.contains("Announce")),
            (a.actor_id.as_str(), true)
        );

        db.retry_delivery(&claimed[0], 0, "connection refused")
            .await
            .unwrap();
        let again = db.claim_deliveries(10, 60_000).await.unwrap();
        assert_eq!((again.len(), again[0].attempts), (1, 1));
        db.finish_delivery(&again[0]).await.unwrap();
        db.finish_delivery(&claimed[1]).await.unwrap();
        assert_eq!(db.pending_deliveries().await.unwrap(), 0);
        assert!(matches!(
            db.outgoing_activity("https://kith.test/act/1").await,
            Err(StorageError::NotFound)
        ));

        // An expired lease (a worker that died) makes the row due again.
        db.enqueue_delivery(&NewDelivery {
            activity_id: "https://kith.test/act/2".into(),
            actor_id: a.actor_id.clone(),
            body: "{}".into(),
            inboxes: vec!["https://one.test/inbox".into()],
        })
        .await
        .unwrap();
        assert_eq!(db.claim_deliveries(10, -1).await.unwrap().len(), 1);
        let late = db.claim_deliveries(10, 60_000).await.unwrap();
        assert_eq!(late.len(), 1);

        // Finished in a batch: every row of both activities at once; an activity whose rows
        // are not all finished stays.
        let inboxes: Vec<String> = (0..5).map(|n| format!("https://h{n}.test/inbox")).collect();
        db.enqueue_delivery(&NewDelivery {
            activity_id: "https://kith.test/act/3".into(),
            actor_id: a.actor_id.clone(),
            body: "{}".into(),
            inboxes,
        })
        .await
        .unwrap();
        let mut batch = db.claim_deliveries(10, 60_000).await.unwrap();
        assert_eq!(batch.len(), 5);
        let kept = batch.pop().unwrap();
        batch.extend(late);
        db.finish_deliveries(&batch).await.unwrap();
        assert_eq!(db.pending_deliveries().await.unwrap(), 1);
        assert!(matches!(
            db.outgoing_activity("https://kith.test/act/2").await,
            Err(StorageError::NotFound)
        ));
        assert!(
            db.outgoing_activity("https://kith.test/act/3")
                .await
                .is_ok()
        );
        db.finish_deliveries(&[kept]).await.unwrap();
        assert_eq!(db.pending_deliveries().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn usage_stats_count_accounts_and_groups() {
    for t in testing::all().await {
        let db = &t.db;
        let a = person(db, "uma").await;
        person(db, "vic").await;
        db.touch_account(&a.id).await.unwrap();
        db.create_group(
            &actor("knit", ActorKind::Group, true, "kith.test"),
            (JoinPolicy::Open, kith_storage::GroupVisibility::Public),
            &a.actor_id,
            None,
        )
        .await
        .unwrap();
        let s = db.usage_stats().await.unwrap();
        assert_eq!(
            (s.users_total, s.users_active_month, s.local_groups),
            (2, 1, 1),
            "{}",
            t.label
        );
    }
}

#[tokio::test]
async fn backup_copies_a_live_sqlite_database() {
    let t = testing::sqlite().await;
    person(&t.db, "bea").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.db");
    t.db.backup_to(&path).await.unwrap();
    assert!(t.db.backup_to(&path).await.is_err(), "never overwrites");
    let restored = Database::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert_eq!(
        restored.account_by_username("bea").await.unwrap().username,
        "bea"
    );

    if let Some(pg) = testing::postgres().await {
        let err = pg
            .db
            .backup_to(&dir.path().join("pg.db"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("pg_dump"));
    }
}

#[tokio::test]
async fn sqlite_files_are_created_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new/folder/kith.db");
    let db = Database::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    person(&db, "wal").await;
    assert!(file.exists(), "the file and its folder are created");
    let wal = file.with_file_name("kith.db-wal");
    assert!(wal.exists(), "writes go through the write-ahead log");
    // Foreign keys being on is shown by groups_start_with_their_owner_and_track_members.
}

#[tokio::test]
async fn bad_urls_are_refused_clearly() {
    let err = Database::connect("mysql://localhost/kith")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("sqlite://"), "{err}");
}
