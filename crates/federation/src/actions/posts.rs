//! Local people posting into a group: here (stored, then redistributed by the group like any
//! member's post) or on another server (stored, and sent to the group as `Create{Note}`, which
//! the group then announces).

use kith_storage::{Actor, ActorKind, NewObject, ObjectKind, StoredObject, now_millis};
use serde_json::{Value, json};

use crate::actions::posting::{self, Decision};
use crate::outbound::announce::Redistribution;
use crate::outbound::change::Change;
use crate::protocol::{OutgoingActivity, PUBLIC, context, rfc3339};
use crate::sanitize::plain_to_html;
use crate::urls::Urls;
use crate::{Context, FederationError, Result, outbound::plan};

/// Publishes a public note by a local person into a group, optionally answering a post of it.
pub async fn post_to_group(
    ctx: &Context,
    author: &Actor,
    group: &Actor,
    text: &str,
    in_reply_to: Option<&str>,
) -> Result<StoredObject> {
    if !author.local || group.kind != ActorKind::Group {
        return Err(FederationError::BadRequest(
            "a local person posts into a group".into(),
        ));
    }
    if text.trim().is_empty() {
        return Err(FederationError::BadRequest("the post is empty".into()));
    }
    // Local people meet the same posting policy as members elsewhere (docs/protocol.md, Membership
    // and posting).
    let held_reason = if group.local {
        match posting::decide(ctx, group, author).await? {
            Decision::Publish => None,
            Decision::Hold(reason) => Some(reason),
            Decision::Refuse(reason) => return Err(FederationError::Forbidden(reason)),
        }
    } else {
        None
    };
    let parent = match in_reply_to {
        Some(id) => Some(ctx.db.object(id).await?),
        None => None,
    };
    let id = ctx.urls().new_object();
    let published = now_millis();
    let content = plain_to_html(text);
    let mention = format!("@{}@{}", group.username, group.domain);
    // Into a members-only or hidden group: to its members alone (its followers collection in
    // `to`, as Mastodon addresses "mentioned people only" to a group), never the author's
    // followers nor `Public`.
    let private = group.local && !group.is_public();
    let (to, cc) = if private {
        (
            vec![group.id.clone(), Urls::followers(&group.id)],
            Vec::new(),
        )
    } else {
        (
            vec![PUBLIC.to_owned()],
            vec![Urls::followers(&author.id), group.id.clone()],
        )
    };
    let note = json!({
        "@context": context(),
        "id": id,
        "type": "Note",
        "attributedTo": author.id,
        "to": to,
        "cc": cc,
        "audience": group.id,
        "inReplyTo": in_reply_to,
        "content": content,
        "published": rfc3339(published),
        "url": id,
        "tag": [{"type": "Mention", "href": group.id, "name": mention}],
    });
    let mut create = OutgoingActivity::new(
        "Create",
        format!("{id}/activity"),
        &author.id,
        note.clone(),
        to,
    );
    create.cc = cc;
    create.audience = Some(group.id.clone());
    create.published = Some(rfc3339(published));
    let create_value =
        serde_json::to_value(&create).map_err(|e| FederationError::BadRequest(e.to_string()))?;
    // Sent to a remote group: planned before the transaction (reads only).
    let remote = if held_reason.is_none() && !group.local {
        Some(plan::plan(ctx, author, &create, vec![plan::inbox_of(group)]).await?)
    } else {
        None
    };
    // The post and what it sends commit together.
    let mut change = Change::begin(ctx).await?;
    let stored = change
        .tx()
        .insert_object(&NewObject {
            group_id: Some(group.id.clone()),
            in_reply_to: in_reply_to.map(str::to_owned),
            thread_root: parent.map(|p| p.thread_root.unwrap_or(p.id)),
            content: Some(content),
            activity: Some(create_value.to_string()),
            held_reason: held_reason.clone(),
            visibility: if private {
                kith_storage::Visibility::Followers
            } else {
                kith_storage::Visibility::Public
            },
            ..NewObject::local(
                &id,
                ObjectKind::Note,
                &author.id,
                note.to_string(),
                published,
            )
        })
        .await?;
    if held_reason.is_none() {
        crate::actions::mail::notify::replied(&mut change, &stored, author).await?;
    }
    if held_reason.is_some() {
        // Kept for the group's moderators; nothing is sent until one releases it.
    } else if let Some(plan) = remote {
        change.queue(plan).await?;
    } else {
        let redistribution = Redistribution::plan(ctx, group, &stored, &create_value).await?;
        redistribution.write(&mut change, &stored.id).await?;
    }
    change.commit().await?;
    Ok(stored)
}

/// How many replies a thread shows at most.
pub const THREAD_LIMIT: i64 = 500;

/// The thread a post belongs to, as people see it: its first post and every live reply,
/// oldest first. A held or deleted post is not shown.
pub async fn thread(
    ctx: &Context,
    object: StoredObject,
) -> Result<(StoredObject, Vec<StoredObject>)> {
    if object.held_reason.is_some() || object.deleted_at.is_some() {
        return Err(FederationError::NotFound(format!("no post {}", object.id)));
    }
    let root = match &object.thread_root {
        Some(root) if root != &object.id => ctx.db.object(root).await?,
        _ => object,
    };
    let replies = ctx.db.thread_replies(&root.id, THREAD_LIMIT).await?;
    Ok((root, replies))
}

/// The document served at a local object's id.
pub fn object_document(object: &StoredObject) -> Result<Value> {
    if object.deleted_at.is_some() {
        return crate::outbound::documents::tombstone(object);
    }
    Ok(serde_json::from_str(&object.data).unwrap_or(Value::Null))
}
