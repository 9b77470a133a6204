//! Where a members-only group's own copies of posts went (issue 26, migration 0026), on both
//! databases: recorded in the transaction that queues them, read back in order, each inbox
//! once, and gone with the post.

#![allow(clippy::unwrap_used)]

mod common;

use common::{group_with_owner, note};
use kith_storage::testing;

#[tokio::test]
async fn copy_inboxes_are_recorded_with_the_change_and_read_back() {
    for t in testing::all().await {
        let db = &t.db;
        let (owner, group) = group_with_owner(db).await;
        let post = "https://kith.test/o/1";
        db.insert_object(&note(post, &owner.actor_id, Some(&group.id), None, 1))
            .await
            .unwrap();
        assert!(
            db.copy_inboxes(post).await.unwrap().is_empty(),
            "{}",
            t.label
        );

        // Dropped before commit, nothing is recorded.
        let mut tx = db.begin().await.unwrap();
        tx.record_copy_inboxes(post, &["https://b.test/inbox".into()])
            .await
            .unwrap();
        drop(tx);
        assert!(
            db.copy_inboxes(post).await.unwrap().is_empty(),
            "{}",
            t.label
        );

        let mut tx = db.begin().await.unwrap();
        let inboxes = [
            "https://b.test/inbox".to_owned(),
            "https://a.test/inbox".to_owned(),
        ];
        tx.record_copy_inboxes(post, &inboxes).await.unwrap();
        tx.record_copy_inboxes(post, &inboxes[..1]).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            db.copy_inboxes(post).await.unwrap(),
            ["https://a.test/inbox", "https://b.test/inbox"],
            "{}",
            t.label
        );
        assert!(
            db.copy_inboxes("https://kith.test/o/2")
                .await
                .unwrap()
                .is_empty()
        );
    }
}
