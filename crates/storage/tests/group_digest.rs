//! What a public group's digest actor posts (migration 0025), on SQLite and (when configured)
//! PostgreSQL: only a public group's digest actor with followers is due, once a day; its day
//! lists public threads only (no unlisted, held or other groups' posts); the day's record is
//! written once and holds the post served at its id.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{actor, group_with_owner, note};
use kith_storage::{ActorKind, GroupVisibility, MemberRole, MemberState, Visibility, testing};

#[tokio::test]
async fn a_public_groups_digest_is_due_once_a_day_and_lists_public_threads_only() {
    for t in testing::all().await {
        let db = &t.db;
        let (owner, group) = group_with_owner(db).await;
        let mut digest = actor("runners.digest", ActorKind::Service, true, "kith.test");
        digest.id = format!("{}/digest", group.id);
        let digest = db.insert_actor(&digest).await.unwrap();
        let day = "2026-12-04";
        assert!(
            db.due_group_digests(day).await.unwrap().is_empty(),
            "{}: no followers, nothing due",
            t.label
        );
        let follower = actor("felix", ActorKind::Person, false, "remote.test");
        let follower = db.insert_actor(&follower).await.unwrap();
        db.upsert_membership(
            &digest.id,
            &follower.id,
            MemberState::Accepted,
            MemberRole::Member,
            None,
        )
        .await
        .unwrap();
        let due = db.due_group_digests(day).await.unwrap();
        assert_eq!(due.len(), 1, "{}", t.label);
        assert_eq!(
            (due[0].actor_id.as_str(), due[0].group_id.as_str()),
            (digest.id.as_str(), group.id.as_str())
        );

        let g = Some(group.id.as_str());
        let at = 1_000_000;
        db.insert_object(&note("https://kith.test/o/a", &owner.actor_id, g, None, at))
            .await
            .unwrap();
        let mut unlisted = note("https://kith.test/o/u", &owner.actor_id, g, None, at);
        unlisted.visibility = Visibility::Unlisted;
        db.insert_object(&unlisted).await.unwrap();
        let mut held = note("https://kith.test/o/h", &owner.actor_id, g, None, at);
        held.held_reason = Some("first post".into());
        db.insert_object(&held).await.unwrap();
        let threads = db
            .group_digest_threads(&group.id, at - 1, at + 1, 5)
            .await
            .unwrap();
        let ids: Vec<&str> = threads.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["https://kith.test/o/a"], "{}", t.label);
        assert!(
            db.group_digest_threads(&group.id, at + 1, at + 2, 5)
                .await
                .unwrap()
                .is_empty()
        );

        let mut tx = db.begin().await.unwrap();
        assert!(
            tx.digest_note_written(&digest.id, day, Some("{\"type\":\"Note\"}"))
                .await
                .unwrap()
        );
        assert!(
            !tx.digest_note_written(&digest.id, day, None).await.unwrap(),
            "once"
        );
        tx.commit().await.unwrap();
        assert_eq!(
            db.digest_note(&digest.id, day).await.unwrap().as_deref(),
            Some("{\"type\":\"Note\"}")
        );
        assert!(
            db.due_group_digests(day).await.unwrap().is_empty(),
            "done for the day"
        );
        assert_eq!(db.due_group_digests("2026-12-05").await.unwrap().len(), 1);

        db.set_group_visibility(&group.id, GroupVisibility::Members)
            .await
            .unwrap();
        assert!(
            db.due_group_digests("2026-12-05").await.unwrap().is_empty(),
            "{}: a members-only group posts nothing",
            t.label
        );
    }
}
