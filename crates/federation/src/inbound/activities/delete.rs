//! Deletions: of a post by its author (redistributed when the group published it), or of an
//! actor by itself (it leaves every group).

use kith_storage::{Actor, ObjectKind, StorageError};

use super::Outcome;
use super::update::published_in_local_group;
use crate::outbound::change::Change;
use crate::protocol::Activity;
use crate::{Context, FederationError, Result};

/// Applies a `Delete` from the post's author or from a deleted actor.
pub async fn receive_delete(ctx: &Context, activity: &Activity, sender: &Actor) -> Result<Outcome> {
    let id = activity
        .object_id()
        .ok_or_else(|| FederationError::BadRequest("Delete without an object".into()))?;
    if id == sender.id {
        let left = ctx.db.delete_memberships_of(&sender.id).await?;
        tracing::info!(actor = %sender.id, groups = left, "deleted actor left its groups");
        return Ok(Outcome::Applied);
    }
    let stored = match ctx.db.object(id).await {
        Ok(stored) => stored,
        Err(StorageError::NotFound) => {
            return Ok(Outcome::ignored("a deletion of an unknown post"));
        }
        Err(other) => return Err(other.into()),
    };
    let allowed = if stored.kind == ObjectKind::Event && !stored.local {
        super::remote_events::may_change(&ctx.db.event(id).await?, sender)
    } else {
        stored.attributed_to == sender.id
    };
    if !allowed {
        return Err(FederationError::Forbidden(
            "only the author deletes a post".into(),
        ));
    }
    if stored.deleted_at.is_some() {
        return Ok(Outcome::ignored("deleted already"));
    }
    let plan = match published_in_local_group(ctx, &stored).await? {
        Some(group) => Some(
            crate::outbound::redistribute::plan_change(
                ctx,
                &group,
                &stored,
                &activity.raw,
                true,
                Vec::new(),
            )
            .await?,
        ),
        None => None,
    };
    // The deletion and its redistribution commit together.
    let mut change = Change::begin(ctx).await?;
    match change.tx().delete_object(id).await {
        Ok(()) => {}
        Err(StorageError::NotFound) => return Ok(Outcome::ignored("deleted already")),
        Err(other) => return Err(other.into()),
    }
    // What a remote event's group told people here alone goes with the event.
    if stored.kind == ObjectKind::Event && !stored.local {
        change.tx().delete_event_messages(id).await?;
    }
    if let Some(plan) = plan {
        change.queue(plan).await?;
    }
    change.commit().await?;
    Ok(Outcome::Applied)
}
