//! Members' posts into a members-only or hidden group (issue 26). What a member addresses to
//! the group alone ("mentioned people only", followers-only) is kept and shared with the
//! members as the group's copies (`private_copy`). A public or unlisted post is not shared: it
//! was already public, and sharing it would tell its readers who belongs to the group. Its
//! author is told at once, by a direct message from the group, how to write to members only.

use kith_storage::{Actor, ActorKind};
use serde_json::Value;

use crate::outbound::change::Change;
use crate::outbound::direct_note::direct_note;
use crate::sanitize::escape_html;
use crate::{Context, Result, outbound::plan};

use super::Outcome;

/// The local members-only or hidden group an activity is addressed to (`to`, `cc`,
/// `audience`), if any: the actor a member's non-public post is fetched as.
pub async fn addressed_private_group(ctx: &Context, activity: &Value) -> Result<Option<Actor>> {
    let prefix = format!("{}g/", ctx.urls().base());
    let mut ids = Vec::new();
    for key in ["to", "cc", "audience"] {
        match &activity[key] {
            Value::String(s) => ids.push(s.clone()),
            Value::Array(items) => {
                ids.extend(items.iter().filter_map(|v| v.as_str().map(str::to_owned)))
            }
            _ => {}
        }
    }
    for id in ids {
        let Some(name) = id.strip_prefix(&prefix).filter(|n| !n.contains('/')) else {
            continue;
        };
        match ctx.db.local_actor_by_username(name).await {
            Ok(group) if group.kind == ActorKind::Group && !group.is_public() => {
                return Ok(Some(group));
            }
            Ok(_) | Err(kith_storage::StorageError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(None)
}

/// What the author of a public post into a members-only group is told.
pub const NOT_SHARED: &str = "was public, so it was not shared with the group: everyone can \
     read it, and sharing it would show who belongs here. To write to the members alone, post \
     with \u{201c}mentioned people only\u{201d} (Mastodon, GoToSocial) or followers-only, \
     mentioning the group, and reply to members' posts the same way.";

/// Does not share a public or unlisted post `post_id` of `author` into `group`, and tells the
/// author by a direct message from the group (stored as a direct object, served to nobody).
pub async fn refuse_public(
    ctx: &Context,
    group: &Actor,
    author: &Actor,
    post_id: &str,
) -> Result<Outcome> {
    let body = format!(
        "<a href=\"{}\">Your post</a> {}</p>",
        escape_html(post_id),
        escape_html(NOT_SHARED),
    );
    let mut note = direct_note(ctx, group, author, &body, Some(post_id), None);
    // The refused post is not kept: the stored note answers nothing here.
    note.row.in_reply_to = None;
    let plan = plan::plan(ctx, group, &note.create, vec![plan::inbox_of(author)]).await?;
    let mut change = Change::begin(ctx).await?;
    change.tx().insert_object(&note.row).await?;
    change.queue(plan).await?;
    change.commit().await?;
    tracing::info!(group = %group.id, post = post_id, "a public post into a members-only group was not shared; its author was told");
    Ok(Outcome::ignored(
        "a public post into a members-only group is not shared",
    ))
}
