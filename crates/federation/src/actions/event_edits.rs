//! What organisers change in an event once it is published: edit and reschedule, cancel, a new
//! picture, delete. Each change, its `Update` (with `previousStartTime` when rescheduled) or
//! `Delete`, and what it causes (the online link to people going, places given from the
//! waitlist, notices) commit in one transaction.

use kith_storage::{Actor, EventStatus, StorageError, StoredEvent};
use serde_json::json;

use crate::actions::acting::By;
use crate::actions::event_documents::{
    group_activity, live_event_document, live_event_document_showing,
};
use crate::actions::event_forms::{change_forms, deletion_forms, organiser_person};
use crate::actions::event_lookup::organised_event;
use crate::events::CheckedEvent;
use crate::events::patch::{EventPatch, draft_of, patched};
use crate::outbound::change::Change;
use crate::{Context, FederationError, Result, outbound::plan};

/// Edits an event and publishes the `Update` (with `previousStartTime` when it moved).
pub async fn update_event(
    ctx: &Context,
    id: &str,
    by: By<'_>,
    patch: &EventPatch,
) -> Result<StoredEvent> {
    let (event, group) = organised_event(ctx, id, by).await?;
    if event.object.deleted_at.is_some() {
        return Err(FederationError::Gone(event.object.id));
    }
    let edit = edited(&event, patch)?;
    write_and_announce(ctx, &event, &group, edit).await
}

/// The event as `patch` leaves it, checked as a new one is; what the patch cannot change (its
/// organiser, poll, series and date in it, a cancellation unless the status is given) is kept.
pub(crate) fn edited(event: &StoredEvent, patch: &EventPatch) -> Result<CheckedEvent> {
    let mut checked = patched(draft_of(event), patch).check()?;
    let keep = &event.fields;
    let fields = &mut checked.fields;
    fields.organizer_id = keep.organizer_id.clone();
    fields.question_id = keep.question_id.clone();
    fields.series_id = keep.series_id.clone();
    fields.occurrence = keep.occurrence;
    if keep.status == EventStatus::Cancelled && patch.status.is_none() {
        fields.status = keep.status;
    }
    Ok(checked)
}

/// Cancels an event: it stays listed, marked `CANCELLED` everywhere.
pub async fn cancel_event(ctx: &Context, id: &str, by: By<'_>) -> Result<StoredEvent> {
    let (event, group) = organised_event(ctx, id, by).await?;
    if event.object.deleted_at.is_some() {
        return Err(FederationError::Gone(event.object.id));
    }
    let mut fields = event.fields.clone();
    fields.status = EventStatus::Cancelled;
    let o = &event.object;
    let edit = CheckedEvent {
        title: o.name.clone().unwrap_or_default(),
        content: o.content.clone(),
        start: o.start_time.unwrap_or_default(),
        end: o.end_time.unwrap_or_default(),
        fields,
    };
    write_and_announce(ctx, &event, &group, edit).await
}

async fn write_and_announce(
    ctx: &Context,
    event: &StoredEvent,
    group: &Actor,
    edit: CheckedEvent,
) -> Result<StoredEvent> {
    // The edit, its `Update`, and the places it gives people waiting (with what tells them)
    // commit together; reads on the side see the counts, which the edit does not change.
    let mut change = Change::begin(ctx).await?;
    let updated = write_and_announce_in(ctx, &mut change, event, group, edit).await?;
    change.commit().await?;
    Ok(updated)
}

/// Writes an edit of `event` in `change` with its `Update` to the group's members and the
/// people who answered, the new online link to people going when it changed, places given
/// from the waitlist and the notices of the change.
pub(crate) async fn write_and_announce_in(
    ctx: &Context,
    change: &mut Change<'_>,
    event: &StoredEvent,
    group: &Actor,
    edit: CheckedEvent,
) -> Result<StoredEvent> {
    let id = &event.object.id;
    let CheckedEvent {
        title,
        content,
        start,
        end,
        fields,
    } = edit;
    let summary = crate::events::summary_line(start, end, &fields);
    let tx = change.tx();
    tx.update_event(
        id,
        &title,
        &summary,
        content.as_deref(),
        start,
        end,
        "{}",
        &fields,
    )
    .await?;
    let updated = tx.event(id).await?;
    let moved = event.object.start_time.filter(|old| *old != start);
    let doc = live_event_document(ctx, &updated, moved).await?;
    change.tx().set_object_data(id, &doc.to_string()).await?;
    let update = group_activity("Update", group, doc);
    let organiser = organiser_person(ctx, &updated).await?;
    let forms = change_forms(group, &update, &update.object, organiser.as_ref());
    let inboxes = audience(ctx, group, id).await?;
    change
        .queue(plan::plan_forms(ctx, group, &forms, inboxes).await?)
        .await?;
    crate::actions::online_link::link_changed(ctx, change, event, &updated).await?;
    // A larger capacity gives places to people waiting.
    let promoted = change.tx().fill_from_waitlist(id).await?;
    crate::actions::rsvp::tell_promoted(ctx, change, &updated, &promoted).await?;
    crate::actions::mail::notify::event_changed(change, event, &updated).await?;
    Ok(updated)
}

/// Everyone who should hear of a change: the group's members and the people who answered.
async fn audience(ctx: &Context, group: &Actor, event_id: &str) -> Result<Vec<String>> {
    let mut inboxes = ctx.db.member_inboxes(&group.id).await?;
    inboxes.extend(ctx.db.answerer_inboxes(event_id).await?);
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

/// Deletes an event (and its poll); a tombstone is served from then on.
pub async fn delete_event(ctx: &Context, id: &str, by: By<'_>) -> Result<()> {
    let (event, group) = organised_event(ctx, id, by).await?;
    let inboxes = audience(ctx, &group, &event.object.id).await?;
    let organiser = organiser_person(ctx, &event).await?;
    let mut removed = vec![event.object.id.clone()];
    removed.extend(event.fields.question_id.clone());
    let deletes = removed
        .iter()
        .map(|object_id| {
            let tombstone = json!({"id": object_id, "type": "Tombstone"});
            group_activity("Delete", &group, tombstone)
        })
        .collect();
    let forms = deletion_forms(&group, deletes, &event.object.id, organiser.as_ref());
    let plan = plan::plan_forms(ctx, &group, &forms, inboxes).await?;
    // The tombstones and the `Delete`s commit together.
    let mut change = Change::begin(ctx).await?;
    change
        .tx()
        .delete_object(&event.object.id)
        .await
        .map_err(|e| match e {
            StorageError::NotFound => FederationError::Gone(event.object.id.clone()),
            other => other.into(),
        })?;
    if let Some(question) = &event.fields.question_id {
        match change.tx().delete_object(question).await {
            // A poll deleted before (or never stored) has nothing left to remove.
            Ok(()) | Err(StorageError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    change.queue(plan).await?;
    change.commit().await?;
    Ok(())
}

/// Tells an event's audience that its picture changed (`Update{Event}` in `change`, with the
/// stored document), as the edits above do.
pub(crate) async fn announce_picture(
    ctx: &Context,
    change: &mut Change<'_>,
    event: &StoredEvent,
    group: &Actor,
    picture: Option<crate::protocol::ImageRef>,
) -> Result<()> {
    let id = &event.object.id;
    let doc = live_event_document_showing(ctx, event, None, picture).await?;
    change.tx().set_object_data(id, &doc.to_string()).await?;
    let update = group_activity("Update", group, doc);
    let organiser = organiser_person(ctx, event).await?;
    let forms = change_forms(group, &update, &update.object, organiser.as_ref());
    let inboxes = audience(ctx, group, id).await?;
    change
        .queue(plan::plan_forms(ctx, group, &forms, inboxes).await?)
        .await?;
    Ok(())
}
