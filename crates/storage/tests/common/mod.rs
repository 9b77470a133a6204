//! Rows the storage tests build.

#![allow(clippy::unwrap_used, dead_code)]

use kith_storage::ObjectKind;
use kith_storage::{
    Account, Actor, ActorKind, Database, JoinPolicy, NewAccount, NewActor, NewObject, Visibility,
};

pub fn actor(name: &str, kind: ActorKind, local: bool, domain: &str) -> NewActor {
    let id = format!("https://{domain}/a/{name}");
    NewActor {
        id: id.clone(),
        kind,
        local,
        username: name.into(),
        domain: domain.into(),
        display_name: Some(name.to_uppercase()),
        summary: None,
        url: Some(id.clone()),
        inbox_url: format!("{id}/inbox"),
        shared_inbox_url: Some(format!("https://{domain}/inbox")),
        outbox_url: Some(format!("{id}/outbox")),
        followers_url: Some(format!("{id}/followers")),
        key_id: format!("{id}#main-key"),
        public_key_pem: "PEM".into(),
        private_key_pem: local.then(|| "PRIVATE".into()),
        manually_approves_followers: false,
        data: None,
    }
}

pub async fn person(db: &Database, name: &str) -> kith_storage::Account {
    db.create_account(&NewAccount {
        actor: actor(name, ActorKind::Person, true, "kith.test"),
        email: None,
        password_hash: "$argon2id$fake".into(),
        is_admin: false,
        approved: true,
        application: None,
    })
    .await
    .unwrap()
}

pub fn note(
    id: &str,
    author: &str,
    group: Option<&str>,
    reply_to: Option<&str>,
    at: i64,
) -> NewObject {
    NewObject {
        id: id.into(),
        kind: ObjectKind::Note,
        local: true,
        attributed_to: author.into(),
        group_id: group.map(Into::into),
        in_reply_to: reply_to.map(Into::into),
        thread_root: reply_to.map(Into::into),
        visibility: Visibility::Public,
        url: None,
        name: None,
        summary: None,
        content: Some("<p>hello</p>".into()),
        sensitive: false,
        start_time: None,
        end_time: None,
        data: "{}".into(),
        published_at: at,
        announce_id: None,
        activity: None,
        held_reason: None,
    }
}

/// A group `runners` owned by `olga`.
pub async fn group_with_owner(db: &Database) -> (Account, Actor) {
    let owner = person(db, "olga").await;
    let local = actor("runners", ActorKind::Group, true, "kith.test");
    let group = db
        .create_group(
            &local,
            (JoinPolicy::Open, kith_storage::GroupVisibility::Public),
            &owner.actor_id,
            None,
        )
        .await
        .unwrap();
    (owner, group)
}
