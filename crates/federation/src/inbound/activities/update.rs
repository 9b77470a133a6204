//! Edits: `Update` of a post (redistributed when the group published it) or of an actor.

use kith_storage::{Actor, ObjectKind, StorageError};

use super::{Outcome, remote_events};
use crate::actions::posting;
use crate::outbound::change::Change;
use crate::protocol::Activity;
use crate::{Context, FederationError, Result, outbound::fetch};

/// Applies an edit by the post's author, or refreshes an actor that changed its profile.
pub async fn receive_update(ctx: &Context, activity: &Activity, sender: &Actor) -> Result<Outcome> {
    let id = activity
        .object_id()
        .ok_or_else(|| FederationError::BadRequest("Update without an object".into()))?;
    if id == sender.id {
        // Profiles and keys change; fetch the actor again from its own host.
        fetch::resolve_actor(ctx, id, true).await?;
        return Ok(Outcome::Applied);
    }
    let stored = match ctx.db.object(id).await {
        Ok(stored) => stored,
        Err(StorageError::NotFound) => return Ok(Outcome::ignored("an edit of an unknown post")),
        Err(other) => return Err(other.into()),
    };
    if stored.kind == ObjectKind::Event {
        let event = ctx.db.event(id).await?;
        return remote_events::receive_update(ctx, activity, sender, &event).await;
    }
    if stored.attributed_to != sender.id {
        return Err(FederationError::Forbidden(
            "only the author edits a post".into(),
        ));
    }
    if stored.deleted_at.is_some() {
        return Ok(Outcome::ignored("the post was deleted"));
    }
    let document = posting::verified_object(ctx, &activity.object, sender).await?;
    let edit = posting::Edit::of(ctx, id, &document)?;
    let plan = match published_in_local_group(ctx, &stored).await? {
        Some(group) => {
            // What is sent reads the post as edited (a members-only group's copy).
            let edited = edit.applied_to(&stored);
            let raw = &activity.raw;
            Some(
                crate::outbound::redistribute::plan_change(
                    ctx,
                    &group,
                    &edited,
                    raw,
                    false,
                    Vec::new(),
                )
                .await?,
            )
        }
        None => None,
    };
    // The edit and its redistribution commit together.
    let mut change = Change::begin(ctx).await?;
    edit.write(change.tx(), id, &document).await?;
    if let Some(plan) = plan {
        change.queue(plan).await?;
    }
    change.commit().await?;
    Ok(Outcome::Applied)
}

/// The local group that published a post, if one did.
pub(super) async fn published_in_local_group(
    ctx: &Context,
    stored: &kith_storage::StoredObject,
) -> Result<Option<Actor>> {
    let Some(group_id) = &stored.group_id else {
        return Ok(None);
    };
    if stored.held_reason.is_some() {
        return Ok(None);
    }
    let group = ctx.db.actor(group_id).await?;
    Ok(group.local.then_some(group))
}
