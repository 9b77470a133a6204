//! A member posts into a group: `Create{Note|Article|Page|Question}` addressed to it.

use kith_storage::{Actor, Visibility};

use super::{Outcome, event_messages, poll, remote_events};
use crate::actions::posting::{self, Decision};
use crate::outbound::announce;
use crate::outbound::announce::Redistribution;
use crate::outbound::change::Change;
use crate::protocol::{Activity, POST_KINDS};
use crate::{Context, FederationError, Result};

/// Stores a post addressed to a local group and, when policy allows, redistributes it.
pub async fn receive_create(ctx: &Context, activity: &Activity, sender: &Actor) -> Result<Outcome> {
    if activity.object_kind() == Some("Event") {
        return remote_events::receive_create(ctx, activity, sender).await;
    }
    if let Some(outcome) = poll::receive(ctx, activity, sender).await? {
        return Ok(outcome);
    }
    if let Some(kind) = activity.object_kind()
        && !POST_KINDS.contains(&kind)
    {
        return Ok(Outcome::ignored(format!("Create of {kind} is not handled")));
    }
    let document = match posting::verified_object(ctx, &activity.object, sender).await {
        Ok(document) => document,
        // A member's non-public post to a members-only group: Mastodon serves it only to the
        // actors it is addressed to, so it is fetched again signed as the group.
        Err(FederationError::NotFound(_) | FederationError::Remote(_))
            if let Some(group) =
                super::private_posts::addressed_private_group(ctx, &activity.raw).await? =>
        {
            posting::verified_object_as(ctx, &activity.object, sender, Some(&group)).await?
        }
        Err(other) => return Err(other),
    };
    let post = posting::parse_post(&document)?;
    if !POST_KINDS.contains(&post.kind.as_str()) {
        return Ok(Outcome::ignored(format!(
            "Create of {} is not handled",
            post.kind
        )));
    }
    if post.attributed_to.as_deref() != Some(sender.id.as_str()) {
        return Err(FederationError::Forbidden(
            "a Create must be sent by the object's author".into(),
        ));
    }
    let mentions = post
        .tag
        .iter()
        .filter(|t| t.get("type").and_then(serde_json::Value::as_str) == Some("Mention"))
        .count();
    if mentions > ctx.settings().limits.mentions_per_post {
        // Mention spam: many targets in one post is how spam waves reach groups.
        return Err(FederationError::Forbidden(format!(
            "{mentions} mentions in one post (at most {})",
            ctx.settings().limits.mentions_per_post
        )));
    }
    let parent = posting::parent_of(ctx, &post).await;
    let Some(group) = posting::target_group(ctx, &post, parent.as_ref()).await? else {
        // Not for a group: perhaps a remote event's group writing to a local person alone.
        return event_messages::receive(ctx, &post, &document, sender).await;
    };
    let visibility = posting::visibility(&post, sender);
    let private_group = group.local && !group.is_public();
    if private_group && matches!(visibility, Visibility::Public | Visibility::Unlisted) {
        return super::private_posts::refuse_public(ctx, &group, sender, &post.id).await;
    }
    // A members-only group keeps what its members address to it alone (and shares it with
    // the members only); any other group never redistributes a non-public post.
    if !private_group && matches!(visibility, Visibility::Direct | Visibility::Followers) {
        // Guppe re-broadcast private mentions to every member; Kith never does.
        return Ok(Outcome::ignored(format!(
            "a {} post is never redistributed",
            visibility.as_str()
        )));
    }
    let decision = posting::decide(ctx, &group, sender).await?;
    let held = match &decision {
        Decision::Refuse(reason) => {
            tracing::info!(group = %group.id, post = %post.id, %reason, "post refused");
            return Ok(Outcome::ignored(format!("refused: {reason}")));
        }
        Decision::Hold(reason) => Some(reason.clone()),
        Decision::Publish => None,
    };
    let create = &activity.raw;
    let new = posting::new_post(
        ctx,
        &post,
        parent,
        &document,
        &group.id,
        visibility,
        held,
        Some(create),
    )?;
    // The post and its announces are written in one transaction: a crash leaves both or
    // neither, and applying the activity again finishes what is left.
    let mut change = Change::begin(ctx).await?;
    let Some(stored) = change.tx().insert_object_if_new(&new).await? else {
        drop(change);
        return complete_stored(ctx, &group, &post.id, create).await;
    };
    if let Decision::Hold(reason) = decision {
        change.commit().await?;
        tracing::info!(group = %group.id, post = %stored.id, %reason, "post held for moderators");
        return Ok(Outcome::Applied);
    }
    // Planning reads (the members, their hosts) while the transaction waits.
    let redistribution = Redistribution::plan(ctx, &group, &stored, create).await?;
    redistribution.write(&mut change, &stored.id).await?;
    crate::actions::mail::notify::replied_by_id(&mut change, &stored).await?;
    change.commit().await?;
    Ok(Outcome::Applied)
}

/// A post stored before: applied again (a redelivery, or the inbox worker after a crash). A
/// post the group published was announced in the same transaction, and one held waits for a
/// moderator; a post stored and never published nor held was left by an earlier version, which
/// stored the post and queued its announces in two writes and could be stopped between them:
/// its announces are queued now. (A reply the group kept without a boost records no announce,
/// so one of those left that way cannot be told from a finished one and is left as it is.)
async fn complete_stored(
    ctx: &Context,
    group: &Actor,
    id: &str,
    create: &serde_json::Value,
) -> Result<Outcome> {
    let stored = ctx.db.object(id).await?;
    let unfinished = stored.group_id.as_deref() == Some(group.id.as_str())
        && stored.held_reason.is_none()
        && stored.deleted_at.is_none()
        && stored.announce_id.is_none()
        && announce::boosted(ctx, group, &stored).await?;
    if !unfinished {
        return Ok(Outcome::ignored("the post was stored before"));
    }
    tracing::info!(group = %group.id, post = %stored.id, "a post stored before was never announced: announced now");
    let redistribution = Redistribution::plan(ctx, group, &stored, create).await?;
    let mut change = Change::begin(ctx).await?;
    redistribution.write(&mut change, &stored.id).await?;
    change.commit().await?;
    Ok(Outcome::Applied)
}
