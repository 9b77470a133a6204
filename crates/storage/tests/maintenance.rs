//! Shared background tasks (`maintenance.rs`): a periodic task runs once per interval however
//! many processes share the database, and old received ids are pruned in bounded batches,
//! oldest first — on SQLite and (when configured) PostgreSQL. A second handle on the same
//! database plays another process.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use kith_storage::{Backend, Database, now_millis, testing};

#[tokio::test]
async fn a_periodic_task_runs_once_per_interval_across_processes() {
    for t in testing::all().await {
        let db = &t.db;
        let other_process = Database::connect(&t.url).await.unwrap();
        let hour = 3_600_000;
        let turn = db.claim_turn("task", hour).await.unwrap();
        assert!(turn.is_some(), "{}: the first asks first", t.label);
        if t.db.backend() == Backend::Postgres {
            // Still running: nobody else starts it, even when its interval has passed.
            assert!(other_process.claim_turn("task", 0).await.unwrap().is_none());
        }
        turn.unwrap().finish().await;
        assert!(
            other_process
                .claim_turn("task", hour)
                .await
                .unwrap()
                .is_none(),
            "{}: ran less than an hour ago",
            t.label
        );
        assert!(db.claim_turn("task", hour).await.unwrap().is_none());
        assert!(
            other_process
                .claim_turn("another task", hour)
                .await
                .unwrap()
                .is_some(),
            "tasks are counted apart"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
        let again = other_process.claim_turn("task", 1).await.unwrap();
        assert!(again.is_some(), "{}: the interval passed", t.label);
        again.unwrap().finish().await;
    }
}

#[tokio::test]
async fn old_received_ids_are_pruned_in_batches_and_recent_ones_kept() {
    for t in testing::all().await {
        let db = &t.db;
        let id = |n: u32| format!("https://mastodon.test/activities/{n}");
        for n in 0..5 {
            assert!(
                db.record_received_activity(&id(n), "https://mastodon.test/u/b", "Create")
                    .await
                    .unwrap()
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        let cut = now_millis();
        tokio::time::sleep(Duration::from_millis(5)).await;
        db.record_received_activity(&id(9), "https://mastodon.test/u/b", "Create")
            .await
            .unwrap();
        assert_eq!(db.prune_received_activities(cut, 2).await.unwrap(), 2);
        assert_eq!(db.prune_received_activities(cut, 2).await.unwrap(), 2);
        assert_eq!(db.prune_received_activities(cut, 2).await.unwrap(), 1);
        assert_eq!(db.prune_received_activities(cut, 2).await.unwrap(), 0);
        for n in 0..5 {
            assert!(!db.was_received(&id(n)).await.unwrap(), "{}", t.label);
        }
        assert!(db.was_received(&id(9)).await.unwrap(), "{}", t.label);
        assert!(
            !db.record_received_activity(&id(9), "https://mastodon.test/u/b", "Create")
                .await
                .unwrap(),
            "a recent id still refuses its copy"
        );
    }
}
