//! The moderation queue: the groups a person organises, and what waits in them — posts held by
//! the posting policy (published or discarded here) and answers to events that need approval.

use kith_storage::{
    Account, Actor, ActorKind, CalendarScope, MemberState, Rsvp, RsvpStatus, StorageError,
    StoredEvent, StoredObject, now_millis,
};
use serde_json::Value;

use crate::actions::acting::By;
use crate::actions::membership::moderated_group;
use crate::{Context, FederationError, Result};

/// The local groups `account` organises (every local group for an administrator).
pub async fn moderated_groups(ctx: &Context, account: &Account) -> Result<Vec<Actor>> {
    if account.is_admin {
        return Ok(ctx.db.local_actors_of_kind(ActorKind::Group).await?);
    }
    Ok(ctx
        .db
        .memberships_of(&account.actor_id)
        .await?
        .into_iter()
        .filter(|(_, m)| m.state == MemberState::Accepted && m.is_moderator())
        .map(|(group, _)| group)
        .collect())
}

/// A held post of a group `by` organises.
async fn held_post(
    ctx: &Context,
    group_name: &str,
    post_id: &str,
    by: &Account,
) -> Result<(Actor, StoredObject)> {
    let group = moderated_group(ctx, group_name, By::Account(by)).await?;
    match ctx.db.object(post_id).await {
        Ok(o) if o.group_id.as_deref() == Some(group.id.as_str()) && o.held_reason.is_some() => {
            Ok((group, o))
        }
        Ok(_) | Err(StorageError::NotFound) => Err(FederationError::NotFound(format!(
            "no post of {group_name} waits with id {post_id}"
        ))),
        Err(other) => Err(other.into()),
    }
}

/// Publishes a held post: the group announces it to its members as if it had been let in.
pub async fn release_post(
    ctx: &Context,
    group_name: &str,
    post_id: &str,
    by: &Account,
) -> Result<()> {
    let (group, object) = held_post(ctx, group_name, post_id, by).await?;
    let create: Value = object
        .activity
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok())
        .ok_or_else(|| {
            FederationError::BadRequest("the held post has no activity to announce".into())
        })?;
    crate::outbound::redistribute::redistribute_post(ctx, &group, &object, &create).await
}

/// Discards a held post (it was never shown).
pub async fn discard_post(
    ctx: &Context,
    group_name: &str,
    post_id: &str,
    by: &Account,
) -> Result<()> {
    let (_, object) = held_post(ctx, group_name, post_id, by).await?;
    Ok(ctx.db.delete_object(&object.id).await?)
}

/// Answers to a group's coming events that wait for an organiser, with who gave them.
pub async fn pending_answers(
    ctx: &Context,
    group: &Actor,
) -> Result<Vec<(StoredEvent, Actor, Rsvp)>> {
    let mut out = Vec::new();
    for event in ctx
        .db
        .calendar_events(CalendarScope::Group(&group.id), now_millis(), 200)
        .await?
    {
        for rsvp in ctx
            .db
            .rsvps_with_status(&event.object.id, RsvpStatus::Pending)
            .await?
        {
            let who = ctx.db.actor(&rsvp.actor_id).await?;
            out.push((event.clone(), who, rsvp));
        }
    }
    Ok(out)
}
