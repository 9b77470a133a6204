//! The inboxes a group's posts go to stay right while each process keeps them in memory: every
//! change to the group's members, made through another handle (another process), shows at
//! once — on SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{actor, group_with_owner};
use kith_storage::{ActorKind, Database, MemberRole, MemberState, testing};

#[tokio::test]
async fn a_groups_inboxes_follow_every_change_to_its_members() {
    for t in testing::all().await {
        let db = &t.db;
        // A second handle on the same database has its own memory, as another process would.
        let other = Database::connect(&t.url).await.unwrap();
        let (_, group) = group_with_owner(db).await;
        let inboxes = |db: &Database| {
            let (db, id) = (db.clone(), group.id.clone());
            async move {
                let mut found = db.member_inboxes(&id).await.unwrap();
                found.sort();
                found
            }
        };
        assert!(inboxes(db).await.is_empty(), "{}: local members", t.label);

        let ann = other
            .upsert_remote_actor(&actor("ann", ActorKind::Person, false, "a.test"))
            .await
            .unwrap();
        let mut own_inbox = actor("ben", ActorKind::Person, false, "b.test");
        own_inbox.shared_inbox_url = None;
        let ben = other.upsert_remote_actor(&own_inbox).await.unwrap();
        let join = |who: &str, state| {
            let (other, group, who) = (other.clone(), group.id.clone(), who.to_owned());
            async move {
                other
                    .upsert_membership(&group, &who, state, MemberRole::Member, None)
                    .await
                    .unwrap();
            }
        };
        join(&ann.id, MemberState::Accepted).await;
        join(&ben.id, MemberState::Pending).await;
        assert_eq!(inboxes(db).await, ["https://a.test/inbox"], "{}", t.label);
        // Asked again with nothing changed: the same answer (from memory).
        assert_eq!(inboxes(db).await, ["https://a.test/inbox"]);

        join(&ben.id, MemberState::Accepted).await;
        assert_eq!(
            inboxes(db).await,
            ["https://a.test/inbox", "https://b.test/a/ben/inbox"],
            "{}: an application accepted",
            t.label
        );

        let mut moved = actor("ann", ActorKind::Person, false, "a.test");
        moved.shared_inbox_url = Some("https://a.test/shared".into());
        other.upsert_remote_actor(&moved).await.unwrap();
        assert_eq!(
            inboxes(db).await,
            ["https://a.test/shared", "https://b.test/a/ben/inbox"],
            "{}: a member's inbox moved",
            t.label
        );

        other.delete_membership(&group.id, &ben.id).await.unwrap();
        assert_eq!(
            inboxes(db).await,
            ["https://a.test/shared"],
            "{}: a member left",
            t.label
        );

        join(&ann.id, MemberState::Banned).await;
        assert!(inboxes(db).await.is_empty(), "{}: a member banned", t.label);

        join(&ann.id, MemberState::Accepted).await;
        assert_eq!(inboxes(db).await, ["https://a.test/shared"]);
        other.delete_memberships_of(&ann.id).await.unwrap();
        assert!(inboxes(db).await.is_empty(), "{}: a member gone", t.label);
        other.close().await;
    }
}
