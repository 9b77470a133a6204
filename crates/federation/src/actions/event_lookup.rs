//! A local event as its organisers act on it: found by id or key, with the group that
//! organises it, once the one acting is known to organise that group.

use kith_storage::{Actor, StorageError, StoredEvent};

use crate::actions::acting::By;
use crate::actions::membership::moderated_group;
use crate::{Context, FederationError, Result};

/// The local event with this id (or `/o/KEY` key), with the group that organises it, if `by`
/// may organise it (any event for the operator).
pub async fn organised_event(ctx: &Context, id: &str, by: By<'_>) -> Result<(StoredEvent, Actor)> {
    let id = if id.contains('/') {
        id.to_owned()
    } else {
        ctx.urls().object(id)
    };
    let event = match ctx.db.event(&id).await {
        Ok(e) if e.object.local => e,
        Ok(_) | Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound(format!("no local event {id}")));
        }
        Err(other) => return Err(other.into()),
    };
    let group_id = event.object.group_id.clone().unwrap_or_default();
    let group = ctx.db.actor(&group_id).await?;
    moderated_group(ctx, &group.username, by).await?;
    Ok((event, group))
}
