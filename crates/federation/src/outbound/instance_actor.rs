//! The instance actor: an `Application` that signs this server's own fetches and that other
//! servers' admins can follow (FEP-2677). Its name is the domain's host
//! ([`names::instance_actor_name`]); an instance actor made under an earlier name (`host:port`,
//! which GoToSocial cannot read) is renamed on start, keeping its id, key and follows.

use kith_storage::{Actor, ActorKind, StorageError};

use crate::{Context, Result, keys, names};

/// Returns the instance actor, creating it on first start and renaming one made under an
/// earlier name.
pub async fn ensure_instance_actor(ctx: &Context) -> Result<Actor> {
    let id = ctx.urls().instance_actor();
    let name = names::instance_actor_name(ctx.urls().domain());
    match ctx.db.actor(&id).await {
        Ok(actor) if actor.username == name => return Ok(actor),
        Ok(actor) => return rename(ctx, actor, &name).await,
        Err(StorageError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    let keys = keys::generate().await?;
    let actor = ctx.urls().new_local_actor(
        id.clone(),
        ActorKind::Application,
        &name,
        Some(ctx.urls().domain().to_owned()),
        None,
        keys,
    );
    match ctx.db.insert_actor(&actor).await {
        Ok(actor) => Ok(actor),
        // Another process (an admin command, a second server) made it first.
        Err(StorageError::Conflict { .. }) => Ok(ctx.db.actor(&id).await?),
        Err(other) => Err(other.into()),
    }
}

/// Renames the instance actor: WebFinger finds it under the new name from now on, and its
/// document carries it; the id, key and everything attached to it stay.
async fn rename(ctx: &Context, actor: Actor, name: &str) -> Result<Actor> {
    tracing::info!(actor = %actor.id, from = %actor.username, to = %name,
        "renaming the instance actor to a name every server reads");
    match ctx.db.rename_local_actor(&actor.id, name).await {
        Ok(renamed) => Ok(renamed),
        // Another process renamed it first.
        Err(StorageError::Conflict { .. }) => Ok(ctx.db.actor(&actor.id).await?),
        Err(other) => Err(other.into()),
    }
}
