//! A local person edits their own post: the text changes here and reaches every server that has
//! the post, in the form each reads, in the edit's transaction.
//!
//! The author's `Update{Note}` (with `updated`, which Mastodon requires to apply an edit,
//! `ProcessStatusUpdateService`) is what Mastodon-family servers read: they hold the author's
//! own note, boosted by a public group. A local public group also passes the edit on to group
//! servers as FEP-1b12 `Announce{Update}`; a members-only or hidden group sends its own copy's
//! `Update` to the servers that received the copy (`outbound::private_changes`). A post into a
//! remote group is sent to that group, which passes it on.

use kith_storage::{Account, ObjectKind, StoredObject, now_millis};
use serde_json::Value;

use crate::actions::posting::Edit;
use crate::outbound::change::Change;
use crate::outbound::plan::{self, Form};
use crate::outbound::software::Readers;
use crate::protocol::{OutgoingActivity, ids_of, rfc3339};
use crate::sanitize::plain_to_html;
use crate::urls::Urls;
use crate::{Context, FederationError, Result};

/// The longest post text a local person writes (as a new post).
const MAX_TEXT: usize = 5_000;

/// The author edits their post `post_url` to `text` (plain text, as it was written).
pub async fn edit_own_post(
    ctx: &Context,
    post_url: &str,
    text: &str,
    by: &Account,
) -> Result<StoredObject> {
    let stored = match ctx.db.object(post_url.trim()).await {
        Ok(o) if o.deleted_at.is_none() && o.kind == ObjectKind::Note => o,
        Ok(_) | Err(kith_storage::StorageError::NotFound) => {
            return Err(FederationError::NotFound(format!("no post {post_url}")));
        }
        Err(other) => return Err(other.into()),
    };
    if !stored.local || stored.attributed_to != by.actor_id {
        return Err(FederationError::Forbidden(
            "only its author edits a post".into(),
        ));
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(FederationError::BadRequest("the post is empty".into()));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(FederationError::BadRequest(format!(
            "a post is at most {MAX_TEXT} characters"
        )));
    }
    let author = ctx.db.actor(&by.actor_id).await?;
    let mut document: Value = serde_json::from_str(&stored.data)
        .map_err(|e| FederationError::Internal(format!("stored post {}: {e}", stored.id)))?;
    document["content"] = Value::String(plain_to_html(text));
    document["updated"] = Value::String(rfc3339(now_millis()));
    let edit = Edit::of(ctx, &stored.id, &document)?;
    let to = ids_of(&document["to"]);
    let mut update = OutgoingActivity::new(
        "Update",
        Urls::new_activity(&author.id),
        &author.id,
        document.clone(),
        to,
    );
    update.cc = ids_of(&document["cc"]);
    update.audience = stored.group_id.clone();
    let update_value =
        serde_json::to_value(&update).map_err(|e| FederationError::Internal(e.to_string()))?;
    let plan = match &stored.group_id {
        // Held for the organisers: nothing was sent, nothing is.
        _ if stored.held_reason.is_some() => None,
        Some(group_id) => {
            let group = ctx.db.actor(group_id).await?;
            if !group.local {
                Some(plan::plan(ctx, &author, &update, vec![plan::inbox_of(&group)]).await?)
            } else {
                let edited = edit.applied_to(&stored);
                let mut plan = crate::outbound::redistribute::plan_change(
                    ctx,
                    &group,
                    &edited,
                    &update_value,
                    false,
                    Vec::new(),
                )
                .await?;
                // Mastodon-family members of a public group hold the author's own note (the
                // plan reaches the group's members alone).
                if group.is_public() {
                    let forms = [Form::for_readers(update, Readers::microblogs_and_unknown())];
                    plan.add(&author, &forms)?;
                }
                Some(plan)
            }
        }
        None => None,
    };
    // The edit and what tells others commit together.
    let mut change = Change::begin(ctx).await?;
    edit.write(change.tx(), &stored.id, &document).await?;
    if let Some(plan) = plan {
        change.queue(plan).await?;
    }
    change.commit().await?;
    Ok(edit.applied_to(&stored))
}
