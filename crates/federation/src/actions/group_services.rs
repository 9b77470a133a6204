//! The `Service` actors that act for a local group — its relay (`relay.rs`) and its digest
//! (`crate::actions::group_digest`) — their ids and names, how each is made on first use, and which group
//! an actor acts for. Both services' naming rules live here so that either module can ask
//! whether an actor is one of a group's services without importing the other.

use kith_storage::{Actor, ActorKind, StorageError};

use crate::{Context, Result, keys};

/// What a digest actor's name and id add to its group's.
pub const DIGEST_SUFFIX: &str = "digest";

/// The id of a local group's relay.
pub fn relay_id(group: &Actor) -> String {
    format!("{}/relay", group.id)
}

/// The name of a local group's relay.
pub fn relay_name(group: &Actor) -> String {
    format!("{}.relay", group.username)
}

/// The id of a group's digest actor.
pub fn digest_id(group: &Actor) -> String {
    format!("{}/{DIGEST_SUFFIX}", group.id)
}

/// The name of a group's digest actor (`NAME.digest`).
pub fn digest_name(group: &Actor) -> String {
    format!("{}.{DIGEST_SUFFIX}", group.username)
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
                && (relay_id(&group) == actor.id || digest_id(&group) == actor.id) =>
        {
            Ok(Some(group))
        }
        Ok(_) | Err(StorageError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// A `Service` actor that acts for a local group: its relay, or its digest
/// (`crate::actions::group_digest`). Its name is the group's with a suffix after a dot, which no person
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
    let mut actor = ctx.urls().new_local_actor(
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
