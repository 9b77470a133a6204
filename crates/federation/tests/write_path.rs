//! A state change and the activities it causes are written in one transaction (issue 21): a
//! failure between them leaves neither, and applying an activity again finishes what an
//! earlier version left half done, once.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use kith_federation::activities::{self, Outcome};
use kith_federation::protocol::Activity;
use kith_federation::{
    Context, FederationSettings,
    actions::{
        accounts::create_account,
        groups::{NewGroup, create_group},
    },
};
use kith_storage::testing::{self, TestDatabase};
use kith_storage::{
    Actor, ActorKind, Database, JoinPolicy, MemberRole, MemberState, NewActor, StorageError,
    Visibility,
};
use serde_json::{Value, json};
use sqlx::{AnyPool, Executor};

const GROUP: &str = "https://kith.test/g/runners";

fn context(db: Database) -> Context {
    Context::new(db, FederationSettings::new("kith.test", false)).unwrap()
}

/// A person on another server, stored as the inbox would store them.
async fn remote_person(db: &Database, name: &str) -> Actor {
    let id = format!("https://remote.test/users/{name}");
    db.insert_actor(&NewActor {
        id: id.clone(),
        kind: ActorKind::Person,
        local: false,
        username: name.into(),
        domain: "remote.test".into(),
        display_name: None,
        summary: None,
        url: None,
        inbox_url: format!("{id}/inbox"),
        shared_inbox_url: Some("https://remote.test/inbox".into()),
        outbox_url: None,
        followers_url: Some(format!("{id}/followers")),
        key_id: format!("{id}#main-key"),
        public_key_pem: "PEM".into(),
        private_key_pem: None,
        manually_approves_followers: false,
        data: None,
    })
    .await
    .unwrap()
}

/// The group `runners` of `ann`, with `bob` of remote.test a member when `member`.
async fn group_with_remote(t: &TestDatabase, member: bool) -> (Context, Actor) {
    let ctx = context(t.db.clone());
    create_account(&ctx, "ann", "long enough", false)
        .await
        .unwrap();
    let group = NewGroup {
        name: "runners".into(),
        owner: "ann".into(),
        title: None,
        summary: None,
        join_policy: JoinPolicy::Open,
    };
    create_group(&ctx, &group).await.unwrap();
    let bob = remote_person(&t.db, "bob").await;
    if member {
        t.db.upsert_membership(
            GROUP,
            &bob.id,
            MemberState::Accepted,
            MemberRole::Member,
            None,
        )
        .await
        .unwrap();
    }
    (ctx, bob)
}

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

/// A pool beside the handle, to break the queue on purpose.
async fn pool(t: &TestDatabase) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(&t.url).await.unwrap()
}

/// Every insert into the delivery queue fails from now on (a failure between a change and the
/// activities it causes), until [`mend_queue`].
async fn break_queue(t: &TestDatabase, pool: &AnyPool) {
    let statements: &[&str] = if t.label == "sqlite" {
        &["CREATE TRIGGER broken BEFORE INSERT ON deliveries \
           BEGIN SELECT RAISE(ABORT, 'the queue is broken'); END"]
    } else {
        &[
            "CREATE FUNCTION broken() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'the queue is broken'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER broken BEFORE INSERT ON deliveries \
             FOR EACH ROW EXECUTE FUNCTION broken()",
        ]
    };
    for sql in statements {
        pool.execute(*sql).await.unwrap();
    }
}

async fn mend_queue(t: &TestDatabase, pool: &AnyPool) {
    let sql = if t.label == "sqlite" {
        "DROP TRIGGER broken"
    } else {
        "DROP TRIGGER broken ON deliveries"
    };
    pool.execute(sql).await.unwrap();
}

async fn queued(db: &Database) -> i64 {
    db.pending_deliveries().await.unwrap()
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
            "Note",
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
        assert_eq!(membership.state, MemberState::Accepted.as_str());
        assert_eq!(queued(&t.db).await, 1, "{}: the Accept", t.label);
    }
}
