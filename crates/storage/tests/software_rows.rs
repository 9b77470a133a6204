//! What the per-host forms need (issue 20): hosts' software noted with the deliveries that first
//! reach them, claimed for look-ups and recorded; deliveries put off without an attempt; the
//! instance actor renamed under its id — on SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{actor, person};
use kith_storage::{ActorKind, NewDelivery, StorageError, now_millis, testing};

#[tokio::test]
async fn hosts_are_noted_with_their_deliveries_claimed_once_and_recorded() {
    for t in testing::all().await {
        let db = &t.db;
        let sender = person(db, "ann").await;
        let forms = [
            NewDelivery {
                activity_id: "https://kith.test/a/1".into(),
                actor_id: sender.actor_id.clone(),
                body: "{}".into(),
                inboxes: vec!["https://m.test/inbox".into(), "https://l.test/inbox".into()],
            },
            NewDelivery {
                activity_id: "https://kith.test/a/2".into(),
                actor_id: sender.actor_id.clone(),
                body: "{}".into(),
                inboxes: vec!["https://l.test/inbox".into()],
            },
            // A form no inbox reads stores nothing.
            NewDelivery {
                activity_id: "https://kith.test/a/3".into(),
                actor_id: sender.actor_id.clone(),
                body: "{}".into(),
                inboxes: Vec::new(),
            },
        ];
        let hosts = vec!["m.test".to_owned(), "l.test".to_owned()];
        assert_eq!(
            db.enqueue_deliveries(&forms, &hosts).await.unwrap(),
            3,
            "{}",
            t.label
        );
        assert_eq!(db.pending_deliveries().await.unwrap(), 3);
        assert!(matches!(
            db.outgoing_activity("https://kith.test/a/3").await,
            Err(StorageError::NotFound)
        ));
        // Noting again changes nothing; a host never noted has no row.
        db.note_hosts(&hosts).await.unwrap();
        let all = vec!["m.test".into(), "l.test".into(), "x.test".into()];
        let rows = db.host_software(&all).await.unwrap();
        assert_eq!(rows.len(), 2, "{}", t.label);
        assert!(
            rows.iter()
                .all(|r| r.software.is_none() && r.checked_at.is_none())
        );

        // Claimed once: a second claim (another process) gets nothing until the lease ends.
        let mut claimed = db.claim_host_lookups(10, 60_000).await.unwrap();
        claimed.sort();
        assert_eq!(claimed, ["l.test", "m.test"], "{}", t.label);
        assert!(db.claim_host_lookups(10, 60_000).await.unwrap().is_empty());

        let later = now_millis() + 86_400_000;
        db.record_host_software("l.test", Some(("Lemmy", Some("1.0.0"))), later)
            .await
            .unwrap();
        db.record_host_software("m.test", None, later)
            .await
            .unwrap();
        // A failed look-up keeps what was found before.
        db.record_host_software("l.test", None, later)
            .await
            .unwrap();
        let rows = db.host_software(&all).await.unwrap();
        let lemmy = rows.iter().find(|r| r.host == "l.test").unwrap();
        assert_eq!(lemmy.software.as_deref(), Some("lemmy"), "{}", t.label);
        assert_eq!(lemmy.version.as_deref(), Some("1.0.0"));
        assert_eq!(lemmy.refresh_at, later);
        let unknown = rows.iter().find(|r| r.host == "m.test").unwrap();
        assert!(unknown.software.is_none() && unknown.checked_at.is_some());
        // Due again only at `refresh_at`.
        assert!(db.claim_host_lookups(10, 60_000).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_deferred_delivery_keeps_its_attempts() {
    for t in testing::all().await {
        let db = &t.db;
        let sender = person(db, "ann").await;
        db.enqueue_delivery(&NewDelivery {
            activity_id: "https://kith.test/a/1".into(),
            actor_id: sender.actor_id.clone(),
            body: "{}".into(),
            inboxes: vec!["https://m.test/inbox".into()],
        })
        .await
        .unwrap();
        let claimed = db.claim_deliveries(10, 60_000).await.unwrap();
        db.defer_delivery(&claimed[0], now_millis() - 1, "HTTP 429")
            .await
            .unwrap();
        let again = db.claim_deliveries(10, 60_000).await.unwrap();
        assert_eq!(again.len(), 1, "{}: due again, unclaimed", t.label);
        assert_eq!(again[0].attempts, 0, "no attempt counted");
    }
}

#[tokio::test]
async fn a_local_actor_is_renamed_under_its_id() {
    for t in testing::all().await {
        let db = &t.db;
        let mut old = actor(
            "kith.test:3000",
            ActorKind::Application,
            true,
            "kith.test:3000",
        );
        old.id = "https://kith.test:3000/actor".into();
        old.key_id = format!("{}#main-key", old.id);
        let stored = db.insert_actor(&old).await.unwrap();
        let renamed = db
            .rename_local_actor(&stored.id, "kith.test")
            .await
            .unwrap();
        assert_eq!(renamed.username, "kith.test", "{}", t.label);
        assert_eq!(renamed.key_id, stored.key_id);
        assert_eq!(
            db.local_actor_by_username("kith.test").await.unwrap().id,
            stored.id
        );
        assert!(matches!(
            db.local_actor_by_username("kith.test:3000").await,
            Err(StorageError::NotFound)
        ));
        let ann = person(db, "ann").await;
        assert!(matches!(
            db.rename_local_actor(&ann.actor_id, "kith.test").await,
            Err(StorageError::Conflict { .. })
        ));
        assert!(matches!(
            db.rename_local_actor("https://nowhere.test/actor", "x")
                .await,
            Err(StorageError::NotFound)
        ));
    }
}
