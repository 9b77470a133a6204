//! A local group's relay: a `Service` actor that follows other servers' groups on the group's
//! behalf. Lemmy 0.19 refuses a `Follow` whose actor is a `Group` (its followers must be a
//! `Person`, `Service` or `Organization`: LemmyNet/lemmy `crates/apub/src/protocol/activities/
//! following/follow.rs` and `protocol/objects/person.rs`), Lemmy 1.0 accepts a group follower but
//! delivers nothing to it (its community deliveries go to followers who are people), and NodeBB
//! takes followers of the types `Application`, `Organization`, `Person` and `Service`
//! (NodeBB/NodeBB `src/activitypub/index.js`, `acceptableActorTypes`). A `Service` is read as a
//! follower by all of them, by Mobilizon, Mastodon, GoToSocial and Kith.
//!
//! The follow stays the group's: the relay only sends the `Follow` (and is the actor the remote
//! group delivers to, through the shared inbox); the answer is matched by the `Follow`'s id, and
//! what the followed group announces is kept for the local group, as when the group itself
//! followed. The relay is `https://DOMAIN/g/NAME/relay`, named `NAME.relay` (a name no person
//! or group can take, since theirs hold no dot), made when the group first follows something.

use kith_storage::{Actor, ActorKind, StorageError};

use crate::{Context, Result, actions, keys};

/// The id of a local group's relay.
pub fn relay_id(group: &Actor) -> String {
    format!("{}/relay", group.id)
}

/// The name of a local group's relay.
pub fn relay_name(group: &Actor) -> String {
    format!("{}.relay", group.username)
}

/// The relay of a local group, made on first use.
pub async fn ensure_relay(ctx: &Context, group: &Actor) -> Result<Actor> {
    let title = group.display_name.as_deref().unwrap_or(&group.username);
    let service = GroupService {
        id: relay_id(group),
        name: relay_name(group),
        display_name: format!("{title} (relay)"),
        summary: format!(
            "Follows other servers' groups for the group {} (@{}@{}).",
            title,
            group.username,
            ctx.urls().domain()
        ),
        // It receives through the shared inbox.
        own_inbox: false,
    };
    ensure_group_service(ctx, group, service).await
}

/// The local group a group's `Service` actor (its relay or its digest) acts for, if `actor` is
/// one: whoever may not know of the group may not know of it either.
pub async fn owner_group(ctx: &Context, actor: &Actor) -> Result<Option<Actor>> {
    if !actor.local || actor.kind != ActorKind::Service {
        return Ok(None);
    }
    let Some((group_id, _)) = actor.id.rsplit_once('/') else {
        return Ok(None);
    };
    match ctx.db.actor(group_id).await {
        Ok(group)
            if group.local
                && group.kind == ActorKind::Group
                && (relay_id(&group) == actor.id
                    || crate::group_digest::digest_id(&group) == actor.id) =>
        {
            Ok(Some(group))
        }
        Ok(_) | Err(StorageError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// A `Service` actor that acts for a local group: its relay, or its digest
/// (`crate::group_digest`). Its name is the group's with a suffix after a dot, which no person
/// or group can take; its page is the group's.
#[derive(Clone, Debug)]
pub(crate) struct GroupService {
    /// Its id, under the group's.
    pub id: String,
    /// Its `preferredUsername`.
    pub name: String,
    /// Its display name.
    pub display_name: String,
    /// What it is, in a sentence.
    pub summary: String,
    /// Whether it has an inbox of its own (`ID/inbox`) besides the shared inbox.
    pub own_inbox: bool,
}

/// The stored actor of `service`, made with its own key pair on first use (by whichever
/// request or process comes first).
pub(crate) async fn ensure_group_service(
    ctx: &Context,
    group: &Actor,
    service: GroupService,
) -> Result<Actor> {
    match ctx.db.actor(&service.id).await {
        Ok(actor) => return Ok(actor),
        Err(StorageError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    let keys = keys::generate().await?;
    let mut actor = actions::local_actor(
        ctx,
        service.id.clone(),
        ActorKind::Service,
        &service.name,
        Some(service.display_name),
        Some(service.summary),
        keys,
    );
    if !service.own_inbox {
        actor.inbox_url = ctx.urls().shared_inbox();
    }
    actor.url = Some(group.id.clone());
    match ctx.db.insert_actor(&actor).await {
        Ok(actor) => Ok(actor),
        // Made meanwhile by another request or process.
        Err(StorageError::Conflict { .. }) => Ok(ctx.db.actor(&service.id).await?),
        Err(other) => Err(other.into()),
    }
}
