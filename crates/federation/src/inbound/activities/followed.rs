//! What remote groups that a local actor follows announce: their posts are kept (docs/protocol.md,
//! Following remote groups).
//! Announces from actors nobody here follows are ignored (Gancio's rule), so a stranger cannot
//! push content into this instance by announcing it.

use kith_storage::{Actor, ObjectKind, StorageError};
use serde_json::Value;

use super::{Outcome, remote_events};
use crate::actions::posting;
use crate::outbound::change::Change;
use crate::protocol::{Activity, POST_KINDS, id_of};
use crate::{Context, FederationError, Result, outbound::fetch};

/// Keeps a post a followed group announced, in either form, and follows its edits and
/// deletions.
pub async fn receive_announce(
    ctx: &Context,
    activity: &Activity,
    sender: &Actor,
) -> Result<Outcome> {
    if ctx.db.accepted_followers_of(&sender.id).await?.is_empty() {
        return Ok(Outcome::ignored(
            "announces are kept only from followed actors",
        ));
    }
    let inner = &activity.object;
    match activity.object_kind() {
        Some("Create") => {
            let object = inner.get("object").cloned().unwrap_or(Value::Null);
            if object.get("type").and_then(Value::as_str) == Some("Event") {
                let doc = posting::verified_object(ctx, &object, sender).await?;
                return remote_events::import(ctx, &doc, Some(sender)).await;
            }
            keep_post(ctx, &object, sender, Some(inner)).await
        }
        Some("Event") => {
            let doc = posting::verified_object(ctx, inner, sender).await?;
            remote_events::import(ctx, &doc, Some(sender)).await
        }
        Some("Update") => refresh_post(ctx, inner, sender).await,
        Some("Delete") => removed_post(ctx, inner, sender).await,
        Some("Block") => banned_here(ctx, inner, sender).await,
        Some(kind @ ("Undo" | "Add" | "Remove")) => Ok(Outcome::ignored(format!(
            "announced {kind} in a remote group: Kith keeps no copy of its bans or moderators"
        ))),
        Some(kind) if POST_KINDS.contains(&kind) => keep_post(ctx, inner, sender, None).await,
        Some(kind) => Ok(Outcome::ignored(format!(
            "Announce of {kind} is not handled"
        ))),
        None => keep_post(ctx, inner, sender, None).await,
    }
}

async fn keep_post(
    ctx: &Context,
    object: &Value,
    group: &Actor,
    create: Option<&Value>,
) -> Result<Outcome> {
    if let Some(id) = id_of(object)
        && ctx.db.object(id).await.is_ok()
    {
        return Ok(Outcome::ignored("the post is kept already"));
    }
    let document = posting::verified_object(ctx, object, group).await?;
    if document.get("type").and_then(Value::as_str) == Some("Event") {
        // Mobilizon announces events by id.
        return remote_events::import(ctx, &document, Some(group)).await;
    }
    let post = posting::parse_post(&document)?;
    if !POST_KINDS.contains(&post.kind.as_str()) {
        return Ok(Outcome::ignored(format!("{} is not a post", post.kind)));
    }
    let Some(author_id) = &post.attributed_to else {
        return Err(FederationError::BadRequest("a post without author".into()));
    };
    let author = fetch::resolve_actor(ctx, author_id, false).await?;
    let visibility = posting::visibility(&post, &author);
    let parent = posting::parent_of(ctx, &post).await;
    posting::store_post(
        ctx, &post, parent, &document, &group.id, visibility, None, create,
    )
    .await?;
    Ok(Outcome::Applied)
}

/// An announced edit: the post is fetched again from its origin, which is the only source
/// trusted for its content.
async fn refresh_post(ctx: &Context, inner: &Value, group: &Actor) -> Result<Outcome> {
    let Some(id) = inner.get("object").and_then(id_of) else {
        return Err(FederationError::BadRequest(
            "an announced change without object".into(),
        ));
    };
    let stored = match ctx.db.object(id).await {
        Ok(stored) if stored.group_id.as_deref() == Some(group.id.as_str()) => stored,
        Ok(_) | Err(StorageError::NotFound) => return Ok(Outcome::ignored("not a kept post")),
        Err(other) => return Err(other.into()),
    };
    match fetch::fetch_json(ctx, &stored.id).await {
        Err(FederationError::Gone(_) | FederationError::NotFound(_)) => {
            ctx.db.delete_object(&stored.id).await?;
            Ok(Outcome::Applied)
        }
        Err(other) => Err(other),
        Ok(document) if stored.kind == ObjectKind::Event => {
            remote_events::import(ctx, &document, Some(group)).await
        }
        Ok(document) => {
            let mut change = Change::begin(ctx).await?;
            posting::apply_edit(ctx, change.tx(), &stored.id, &document).await?;
            change.commit().await?;
            Ok(Outcome::Applied)
        }
    }
}

/// A post the group deleted: its author's deletion, or its moderators' removal (a `Delete` with
/// the reason in `summary`). The group decides what is in it, so its word is taken: the kept copy
/// goes; a local author's own post only leaves the group.
async fn removed_post(ctx: &Context, inner: &Value, group: &Actor) -> Result<Outcome> {
    let Some(id) = inner.get("object").and_then(id_of) else {
        return Err(FederationError::BadRequest(
            "an announced Delete without object".into(),
        ));
    };
    let stored = match ctx.db.object(id).await {
        Ok(stored) if stored.group_id.as_deref() == Some(group.id.as_str()) => stored,
        Ok(_) | Err(StorageError::NotFound) => return Ok(Outcome::ignored("not a kept post")),
        Err(other) => return Err(other.into()),
    };
    if stored.local {
        ctx.db.detach_from_group(&stored.id).await?;
    } else {
        match ctx.db.delete_object(&stored.id).await {
            Ok(()) | Err(StorageError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    let reason = inner.get("summary").and_then(Value::as_str).unwrap_or("");
    tracing::info!(group = %group.id, post = %stored.id, %reason, "post removed by its group");
    Ok(Outcome::Applied)
}

/// A remote group banned someone: when it is a local person, their follow of the group ends
/// (the group will refuse what they send it).
async fn banned_here(ctx: &Context, inner: &Value, group: &Actor) -> Result<Outcome> {
    let target = inner.get("target").and_then(id_of);
    if target.is_some_and(|t| t != group.id) {
        return Ok(Outcome::ignored("a ban from another group"));
    }
    let Some(person) = inner.get("object").and_then(id_of) else {
        return Err(FederationError::BadRequest("a Block without object".into()));
    };
    match ctx.db.actor(person).await {
        Ok(actor) if actor.local => match ctx.db.delete_follow(&actor.id, &group.id).await {
            Ok(()) | Err(StorageError::NotFound) => {
                tracing::info!(group = %group.id, person = %actor.id, "banned from a remote group");
                Ok(Outcome::Applied)
            }
            Err(other) => Err(other.into()),
        },
        Ok(_) | Err(StorageError::NotFound) => {
            Ok(Outcome::ignored("a ban of someone not from here"))
        }
        Err(other) => Err(other.into()),
    }
}
