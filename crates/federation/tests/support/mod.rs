//! What the write-path tests share: a group with a person on another server, and a delivery
//! queue broken on purpose (a failure between a change and the activities it causes).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use kith_federation::{
    Context, FederationSettings,
    actions::{
        accounts::create_account,
        groups::{NewGroup, create_group},
    },
};
use kith_storage::testing::TestDatabase;
use kith_storage::{Actor, ActorKind, Database, JoinPolicy, MemberRole, MemberState, NewActor};
use sqlx::{AnyPool, Executor};

pub const GROUP: &str = "https://kith.test/g/runners";

pub fn context(db: Database) -> Context {
    Context::new(db, FederationSettings::new("kith.test", false)).unwrap()
}

/// A person on another server, stored as the inbox would store them.
pub async fn remote_person(db: &Database, name: &str) -> Actor {
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
pub async fn group_with_remote(t: &TestDatabase, member: bool) -> (Context, Actor) {
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
        visibility: kith_storage::GroupVisibility::Public,
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

/// A pool beside the handle, to break the queue on purpose.
pub async fn pool(t: &TestDatabase) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(&t.url).await.unwrap()
}

/// Every insert into the delivery queue fails from now on (a failure between a change and the
/// activities it causes), until [`mend_queue`].
pub async fn break_queue(t: &TestDatabase, pool: &AnyPool) {
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

pub async fn mend_queue(t: &TestDatabase, pool: &AnyPool) {
    let sql = if t.label == "sqlite" {
        "DROP TRIGGER broken"
    } else {
        "DROP TRIGGER broken ON deliveries"
    };
    pool.execute(sql).await.unwrap();
}

pub async fn queued(db: &Database) -> i64 {
    db.pending_deliveries().await.unwrap()
}
