//! Old received ids are pruned in bounded batches, oldest first — on SQLite and (when
//! configured) PostgreSQL. (Turns of periodic jobs across processes: `processes.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use kith_storage::{now_millis, testing};

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
