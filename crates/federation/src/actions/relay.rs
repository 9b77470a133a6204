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
    let id = relay_id(group);
    match ctx.db.actor(&id).await {
        Ok(relay) => return Ok(relay),
        Err(StorageError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    let keys = keys::generate().await?;
    let title = group.display_name.as_deref().unwrap_or(&group.username);
    let mut relay = actions::local_actor(
        ctx,
        id.clone(),
        ActorKind::Service,
        &relay_name(group),
        Some(format!("{title} (relay)")),
        Some(format!(
            "Follows other servers' groups for the group {} (@{}@{}).",
            title,
            group.username,
            ctx.urls().domain()
        )),
        keys,
    );
    // It receives through the shared inbox, and its page is the group's.
    relay.inbox_url = ctx.urls().shared_inbox();
    relay.url = Some(group.id.clone());
    match ctx.db.insert_actor(&relay).await {
        Ok(relay) => Ok(relay),
        // Made meanwhile by another request or process.
        Err(StorageError::Conflict { .. }) => Ok(ctx.db.actor(&id).await?),
        Err(other) => Err(other.into()),
    }
}
