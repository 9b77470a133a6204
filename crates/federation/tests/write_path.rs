//! A state change and the activities it causes are written in one transaction (issue 21): a
//! failure between them leaves neither, and applying an activity again finishes what an
//! earlier version left half done, once.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use kith_federation::inbound::activities::{self, Outcome};
use kith_federation::protocol::Activity;
use kith_storage::{MemberState, StorageError, Visibility};
use kith_storage::{ObjectKind, testing};
use serde_json::{Value, json};

mod support;
use support::{GROUP, break_queue, group_with_remote, mend_queue, pool, queued};

fn note_id(n: u32) -> String {
    format!("https://remote.test/users/bob/statuses/{n}")
}

/// `Create{Note}` by `bob` into the group.
fn create(n: u32) -> Activity {
    let note = note_id(n);
    Activity::from_value(json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note}/activity"),
        "type": "Create",
        "actor": "https://remote.test/users/bob",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [GROUP],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": "https://remote.test/users/bob",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [GROUP],
            "content": "<p>Sunday, 9am</p>",
            "published": "2026-05-01T09:00:00Z",
        },
    }))
    .unwrap()
}

#[tokio::test]
async fn a_post_whose_announces_cannot_be_queued_is_not_stored_and_is_applied_again_in_full() {
    for t in testing::all().await {
        let (ctx, bob) = group_with_remote(&t, true).await;
        let pool = pool(&t).await;
        break_queue(&t, &pool).await;
        let failed = activities::apply(&ctx, &create(1), &bob).await;
        assert!(failed.is_err(), "{}: {failed:?}", t.label);
        assert!(
            matches!(t.db.object(&note_id(1)).await, Err(StorageError::NotFound)),
            "{}: the post was stored without its announces",
            t.label
        );
        assert_eq!(queued(&t.db).await, 0, "{}", t.label);

        mend_queue(&t, &pool).await;
        let applied = activities::apply(&ctx, &create(1), &bob).await.unwrap();
        assert_eq!(applied, Outcome::Applied, "{}", t.label);
        let stored = t.db.object(&note_id(1)).await.unwrap();
        assert!(stored.announce_id.is_some(), "{}", t.label);
        let after_first = queued(&t.db).await;
        assert!(after_first > 0, "{}: nothing announced", t.label);

        // Applied once more (a redelivery, or the worker after a crash): nothing more queued.
        let again = activities::apply(&ctx, &create(1), &bob).await.unwrap();
        assert!(
            matches!(again, Outcome::Ignored(_)),
            "{}: {again:?}",
            t.label
        );
        assert_eq!(queued(&t.db).await, after_first, "{}", t.label);
    }
}

#[tokio::test]
async fn a_post_an_earlier_version_stored_without_its_announces_is_announced_once_on_reapply() {
    for t in testing::all().await {
        let (ctx, bob) = group_with_remote(&t, true).await;
        // What the two-step code left when stopped between its writes: the post stored,
        // published, never announced.
        let activity = create(2);
        let document = activity.raw["object"].clone();
        let mut row = kith_storage::NewObject::local(
            &note_id(2),
            ObjectKind::Note,
            &bob.id,
            document.to_string(),
            kith_storage::now_millis(),
        );
        row.local = false;
        row.group_id = Some(GROUP.into());
        row.visibility = Visibility::Public;
        row.activity = Some(activity.raw.to_string());
        t.db.insert_object(&row).await.unwrap();
        assert_eq!(queued(&t.db).await, 0);

        let applied = activities::apply(&ctx, &activity, &bob).await.unwrap();
        assert_eq!(applied, Outcome::Applied, "{}", t.label);
        let completed = queued(&t.db).await;
        assert!(
            completed > 0,
            "{}: the stored post was never announced",
            t.label
        );
        let stored = t.db.object(&note_id(2)).await.unwrap();
        assert!(stored.announce_id.is_some(), "{}", t.label);

        let again = activities::apply(&ctx, &activity, &bob).await.unwrap();
        assert!(
            matches!(again, Outcome::Ignored(_)),
            "{}: {again:?}",
            t.label
        );
        assert_eq!(
            queued(&t.db).await,
            completed,
            "{}: announced twice",
            t.label
        );
    }
}

#[tokio::test]
async fn a_held_post_queues_nothing_applied_once_or_twice() {
    for t in testing::all().await {
        // Not a member: the group's default policy holds the post for its moderators.
        let (ctx, bob) = group_with_remote(&t, false).await;
        for _ in 0..2 {
            activities::apply(&ctx, &create(3), &bob).await.unwrap();
            let stored = t.db.object(&note_id(3)).await.unwrap();
            assert!(stored.held_reason.is_some(), "{}", t.label);
            assert!(stored.announce_id.is_none(), "{}", t.label);
            assert_eq!(queued(&t.db).await, 0, "{}", t.label);
        }
    }
}

#[tokio::test]
async fn a_follow_whose_accept_cannot_be_queued_leaves_no_membership() {
    for t in testing::all().await {
        let (ctx, bob) = group_with_remote(&t, false).await;
        let follow: Value = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": "https://remote.test/users/bob#follows/1",
            "type": "Follow",
            "actor": bob.id,
            "object": GROUP,
        });
        let follow = Activity::from_value(follow).unwrap();
        let pool = pool(&t).await;
        break_queue(&t, &pool).await;
        assert!(activities::apply(&ctx, &follow, &bob).await.is_err());
        assert!(
            matches!(
                t.db.membership(GROUP, &bob.id).await,
                Err(StorageError::NotFound)
            ),
            "{}: a member whose Accept was never queued",
            t.label
        );
        mend_queue(&t, &pool).await;
        activities::apply(&ctx, &follow, &bob).await.unwrap();
        let membership = t.db.membership(GROUP, &bob.id).await.unwrap();
        assert_eq!(membership.state, MemberState::Accepted);
        assert_eq!(queued(&t.db).await, 1, "{}: the Accept", t.label);
    }
}
