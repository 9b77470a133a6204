//! Account, group and instance-actor creation on every test database.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use kith_federation::{
    Context, FederationError, FederationSettings,
    actions::{
        accounts::{create_account, verify_password},
        groups::{NewGroup, create_group},
    },
    outbound::instance_actor::ensure_instance_actor,
};
use kith_storage::{ActorKind, JoinPolicy, MemberState, testing};

fn context(db: kith_storage::Database) -> Context {
    Context::new(db, FederationSettings::new("kith.test", false)).unwrap()
}

fn group(name: &str, owner: &str) -> NewGroup {
    NewGroup {
        name: name.into(),
        owner: owner.into(),
        title: Some("Sunday Runners".into()),
        summary: Some("Easy 5k every Sunday".into()),
        join_policy: JoinPolicy::Open,
        visibility: kith_storage::GroupVisibility::Public,
    }
}

#[tokio::test]
async fn accounts_and_groups_are_created_with_keys_and_owner() {
    for t in testing::all().await {
        let ctx = context(t.db.clone());
        let ann = create_account(&ctx, "Ann", "long enough", true)
            .await
            .unwrap();
        assert_eq!(ann.username, "ann");
        assert!(ann.is_admin);
        assert!(verify_password("long enough", &ann.password_hash));
        let actor = t.db.actor(&ann.actor_id).await.unwrap();
        assert_eq!(actor.id, "https://kith.test/u/ann");
        assert!(actor.public_key_pem.contains("BEGIN PUBLIC KEY"));
        assert!(actor.private_key_pem.unwrap().contains("PRIVATE KEY"));

        let g = create_group(&ctx, &group("runners", "ann")).await.unwrap();
        assert_eq!(g.id, "https://kith.test/g/runners");
        assert_eq!(g.kind, ActorKind::Group);
        assert_eq!(g.display_name.as_deref(), Some("Sunday Runners"));
        assert_eq!(
            t.db.count_members(&g.id, MemberState::Accepted)
                .await
                .unwrap(),
            1
        );
    }
}

#[tokio::test]
async fn taken_names_and_unknown_owners_are_refused() {
    for t in testing::all().await {
        let ctx = context(t.db.clone());
        create_account(&ctx, "bo", "long enough", false)
            .await
            .unwrap();
        let again = create_account(&ctx, "BO", "long enough", false).await;
        assert!(
            matches!(again, Err(FederationError::NameTaken(ref n)) if n == "bo"),
            "{again:?}"
        );
        let as_group = create_group(&ctx, &group("bo", "bo")).await;
        assert!(
            matches!(as_group, Err(FederationError::NameTaken(_))),
            "{as_group:?}"
        );
        create_group(&ctx, &group("knit", "bo")).await.unwrap();
        let as_person = create_account(&ctx, "knit", "long enough", false).await;
        assert!(
            matches!(as_person, Err(FederationError::NameTaken(_))),
            "{as_person:?}"
        );
        let orphan = create_group(&ctx, &group("chess", "nobody")).await;
        assert!(
            matches!(orphan, Err(FederationError::UnknownAccount(_))),
            "{orphan:?}"
        );
        let bad = create_account(&ctx, "no spaces", "long enough", false).await;
        assert!(
            matches!(bad, Err(FederationError::InvalidName { .. })),
            "{bad:?}"
        );
        let weak = create_account(&ctx, "cy", "short", false).await;
        assert!(
            matches!(weak, Err(FederationError::Password(_))),
            "{weak:?}"
        );
    }
}

#[tokio::test]
async fn the_instance_actor_is_made_once() {
    for t in testing::all().await {
        let ctx = context(t.db.clone());
        let first = ensure_instance_actor(&ctx).await.unwrap();
        let second = ensure_instance_actor(&ctx).await.unwrap();
        assert_eq!(first.id, second.id);
        assert_eq!(first.kind, ActorKind::Application);
        assert_eq!(first.username, "kith.test");
    }
}
