//! The rows group federation adds: follows of remote actors, announced and held posts, delivery
//! hosts and API tokens — on SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{actor, group_with_owner, note, person};
use kith_storage::{ActorKind, FollowState, NewInbound, StorageError, testing};

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

#[tokio::test]
async fn the_inbound_queue_takes_each_activity_once_and_hands_it_out_in_order() {
    for t in testing::all().await {
        let db = &t.db;
        let new = |n: usize| NewInbound {
            activity_id: format!("https://mastodon.test/users/felix/statuses/{n}/activity"),
            actor_id: "https://mastodon.test/users/felix".into(),
            kind: "Create".into(),
            body: format!("{{\"n\":{n}}}"),
        };
        // Written as the inbox's writer writes them: through pools of their own whose commits
        // do not wait for the flush (PostgreSQL), and seen by every other handle at once.
        let writer = db.inbound_writer_with_own_pools(2);
        // A batch larger than one statement, with a copy inside it and one already seen.
        assert_eq!(writer.accept_inbound(&[new(0)]).await.unwrap(), vec![true]);
        let mut batch: Vec<NewInbound> = (1..200).map(new).collect();
        batch.push(new(7));
        batch.push(new(0));
        let queued = writer.accept_inbound(&batch).await.unwrap();
        assert_eq!(queued.iter().filter(|q| **q).count(), 199);
        assert!(!queued[199] && !queued[200], "copies are not queued");
        assert!(db.was_received(&new(150).activity_id).await.unwrap());
        assert_eq!(db.inbound_backlog().await.unwrap(), 200);

        let first = db.claim_inbound(50, 60_000).await.unwrap();
        assert_eq!(first.len(), 50);
        assert_eq!(first[0].body, "{\"n\":0}");
        assert!(first.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
        let order: Vec<&str> = first.iter().map(|r| r.body.as_str()).collect();
        let sent: Vec<String> = (0..50).map(|n| new(n).body).collect();
        assert_eq!(order, sent, "queued in the order received");
        // Claimed rows are not handed out twice while the lease lasts.
        let second = db.claim_inbound(1_000, 60_000).await.unwrap();
        assert_eq!(second.len(), 150);
        assert!(db.claim_inbound(10, 60_000).await.unwrap().is_empty());
        // One comes back later; the rest are done.
        db.retry_inbound(first[0].id, 0).await.unwrap();
        let ids: Vec<i64> = first[1..].iter().chain(&second).map(|r| r.id).collect();
        db.finish_inbound(&ids).await.unwrap();
        let again = db.claim_inbound(10, 60_000).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 1);
        db.finish_inbound(&[again[0].id]).await.unwrap();
        assert_eq!(db.inbound_backlog().await.unwrap(), 0);

        // A body is kept as received, byte for byte: escapes, quotes, other scripts, emoji.
        let body = r#"{"content":"<p>\"quoted\" \\ back\u00e9 — ünïcødé 🏃 \n</p>"}"#;
        let odd = NewInbound {
            body: body.into(),
            ..new(1_000)
        };
        assert_eq!(db.accept_inbound(&[odd]).await.unwrap(), vec![true]);
        let kept = db.claim_inbound(10, 60_000).await.unwrap();
        assert_eq!(kept[0].body, body);
        db.finish_inbound(&[kept[0].id]).await.unwrap();
    }
}

#[tokio::test]
async fn stored_remote_html_is_read_in_pages_and_replaced_only_if_unchanged() {
    for t in testing::all().await {
        let db = &t.db;
        let (owner, group) = group_with_owner(db).await;
        let remote = db
            .upsert_remote_actor(&actor("ann", ActorKind::Person, false, "m.test"))
            .await
            .unwrap();
        for n in [3, 1, 2] {
            let mut post = note(
                &format!("https://m.test/n/{n}"),
                &remote.id,
                Some(&group.id),
                None,
                n,
            );
            post.local = false;
            post.content = Some(format!("<p>{n}</p>"));
            db.insert_object(&post).await.unwrap();
        }
        // Local posts are not read.
        db.insert_object(&note(
            "https://kith.test/n/1",
            &owner.actor_id,
            Some(&group.id),
            None,
            1,
        ))
        .await
        .unwrap();
        let first = db.remote_content_after("", 2).await.unwrap();
        let ids: Vec<&str> = first.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(
            ids,
            ["https://m.test/n/1", "https://m.test/n/2"],
            "{}",
            t.label
        );
        assert_eq!(first[0].1, "<p>1</p>");
        let rest = db.remote_content_after(&first[1].0, 2).await.unwrap();
        assert_eq!(rest.len(), 1);
        assert!(
            db.remote_content_after(&rest[0].0, 2)
                .await
                .unwrap()
                .is_empty()
        );
        // Replaced only while it is what was read (an edit meanwhile wins).
        let id = "https://m.test/n/1";
        let before = db.object(id).await.unwrap();
        assert!(
            !db.replace_remote_content(id, "<p>other</p>", "<p>x</p>")
                .await
                .unwrap()
        );
        assert!(
            db.replace_remote_content(id, "<p>1</p>", "<p>one</p>")
                .await
                .unwrap()
        );
        let after = db.object(id).await.unwrap();
        assert_eq!(after.content.as_deref(), Some("<p>one</p>"));
        assert_eq!(after.updated_at, before.updated_at, "not an edit");
        assert!(
            !db.replace_remote_content("https://kith.test/n/1", "<p>hello</p>", "x")
                .await
                .unwrap(),
            "local content is never replaced"
        );
    }
}
