//! The instance actor: an `Application` that signs this server's own fetches and that other
//! servers' admins can follow (FEP-2677).

use kith_storage::{Actor, ActorKind};

use crate::{Context, Result, actions, keys};

/// Returns the instance actor, creating it on first start.
pub async fn ensure_instance_actor(ctx: &Context) -> Result<Actor> {
    let id = ctx.urls().instance_actor();
    if let Ok(actor) = ctx.db.actor(&id).await {
        return Ok(actor);
    }
    let keys = keys::generate().await?;
    // Mastodon names its instance actor after the domain; such a name cannot clash with a
    // person's or a group's, which never contain dots or colons.
    let domain = ctx.urls().domain().to_owned();
    let actor = actions::local_actor(
        ctx,
        id.clone(),
        ActorKind::Application,
        &domain,
        Some(domain.clone()),
        None,
        keys,
    );
    match ctx.db.insert_actor(&actor).await {
        Ok(actor) => Ok(actor),
        // Another process (an admin command, a second server) made it first.
        Err(kith_storage::StorageError::Conflict { .. }) => Ok(ctx.db.actor(&id).await?),
        Err(other) => Err(other.into()),
    }
}
