//! What organisers do with events: create (once, or as a recurring series) here; edit,
//! reschedule, cancel and delete in `event_edits`, re-exported here. Every change is published
//! by the group (docs/protocol.md, Events): `Create{Event}` plus an `Announce` of it and, when
//! people can answer, a poll for Mastodon members; `Update` on edits (with `previousStartTime`
//! when rescheduled); `Delete` on removal. Each server gets the forms it reads (`event_forms`).

use kith_storage::{Actor, StoredEvent, now_millis};

use crate::actions::acting::By;
use crate::actions::event_publish::publish_new;
use crate::actions::membership::moderated_group;
use crate::events::{EventDraft, recurrence};
use crate::outbound::change::Change;
use crate::{Context, FederationError, Result};

// Edits and documents live beside this file (`event_edits`, `event_documents`); callers find
// every event action here.
pub use crate::actions::event_documents::{
    live_event_document, live_event_document_showing, live_question_document,
};
pub use crate::actions::event_edits::{cancel_event, delete_event, update_event};
pub use crate::actions::event_forms::event_document_for;
pub use crate::actions::event_lookup::organised_event;
pub use crate::events::patch::EventPatch;

/// The organiser an action is done as: the account, or for the operator the group's owner.
async fn organiser_of(ctx: &Context, group: &Actor, by: By<'_>) -> Result<String> {
    if let By::Account(account) = by {
        return Ok(account.actor_id.clone());
    }
    Ok(ctx
        .db
        .moderators(&group.id)
        .await?
        .into_iter()
        .next()
        .unwrap_or_else(|| group.id.clone()))
}

/// Creates an event in a group and publishes it; with `draft.repeat`, sets up a series and
/// creates its first occurrences (the first one is returned).
pub async fn create_event(
    ctx: &Context,
    group_name: &str,
    by: By<'_>,
    draft: &EventDraft,
) -> Result<StoredEvent> {
    let group = moderated_group(ctx, group_name, by).await?;
    let organiser = organiser_of(ctx, &group, by).await?;
    let checked = draft.check()?;
    if let Some(rule) = &draft.repeat {
        let rule = recurrence::check_rule(rule, checked.start, &checked.fields.timezone)?;
        let template =
            serde_json::to_string(draft).map_err(|e| FederationError::BadRequest(e.to_string()))?;
        // The series and its first occurrences, published, commit together.
        let mut change = Change::begin(ctx).await?;
        let series = change
            .tx()
            .insert_series(
                &ulid::Ulid::new().to_string().to_lowercase(),
                &group.id,
                Some(&organiser),
                &rule,
                checked.start,
                checked.end - checked.start,
                &checked.fields.timezone,
                &template,
            )
            .await?;
        let first = crate::actions::series::start_series(ctx, &mut change, &series, now_millis())
            .await?
            .ok_or_else(|| {
                FederationError::BadRequest(
                    "the repeat rule has no occurrence in the coming weeks".into(),
                )
            })?;
        change.commit().await?;
        // As stored once published.
        return Ok(ctx.db.event(&first.object.id).await?);
    }
    publish_new(ctx, &group, &organiser, draft, None).await
}
