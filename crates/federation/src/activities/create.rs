//! A member posts into a group: `Create{Note|Article|Page|Question}` addressed to it.

use kith_storage::{Actor, Visibility};

use super::post::{self, Decision};
use super::{Outcome, announce, poll, remote_events};
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
    let document = post::verified_object(ctx, &activity.object, sender).await?;
    let post = post::parse_post(&document)?;
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
    let parent = post::parent_of(ctx, &post).await;
    let Some(group) = post::target_group(ctx, &post, parent.as_ref()).await? else {
        return Ok(Outcome::ignored("not addressed to a local group"));
    };
    let visibility = post::visibility(&post, sender);
    if matches!(visibility, Visibility::Direct | Visibility::Followers) {
        // Guppe re-broadcast private mentions to every member; Kith never does.
        return Ok(Outcome::ignored(format!(
            "a {} post is never redistributed",
            visibility.as_str()
        )));
    }
    let decision = post::decide(ctx, &group, sender).await?;
    let held = match &decision {
        Decision::Refuse(reason) => {
            tracing::info!(group = %group.id, post = %post.id, %reason, "post refused");
            return Ok(Outcome::ignored(format!("refused: {reason}")));
        }
        Decision::Hold(reason) => Some(reason.clone()),
        Decision::Publish => None,
    };
    let create = &activity.raw;
    let stored = post::store_post(
        ctx,
        &post,
        parent,
        &document,
        &group.id,
        visibility,
        held,
        Some(create),
    )
    .await?;
    let Some(stored) = stored else {
        return Ok(Outcome::ignored("the post was stored before"));
    };
    if let Decision::Hold(reason) = decision {
        tracing::info!(group = %group.id, post = %stored.id, %reason, "post held for moderators");
        return Ok(Outcome::Applied);
    }
    announce::redistribute_post(ctx, &group, &stored, create).await?;
    Ok(Outcome::Applied)
}
