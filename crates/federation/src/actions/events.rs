//! What organisers do with events: create (once, or as a recurring series), edit, reschedule,
//! cancel and delete. Every change is published by the group (docs/protocol.md, Events):
//! `Create{Event}` plus an `Announce` of it and, when people can answer, a poll for Mastodon
//! members; `Update` on edits (with `previousStartTime` when rescheduled); `Delete` on removal.
//! Each server gets the forms it reads (`event_forms`).

use kith_storage::{
    Account, Actor, EventStatus, JoinMode, NewObject, ObjectKind, PictureRole, StorageError,
    StoredEvent, now_millis,
};
use serde_json::{Value, json};

use crate::actions::event_forms::{
    announce_form, change_forms, deletion_forms, organiser_person, poll_form,
};
use crate::actions::membership::moderated_group;
use crate::actions::series::Occurrence;
use crate::activities::announce::announce_object;
use crate::change::Change;
use crate::events::document::{EventContext, event_document, question_document};
use crate::events::patch::{draft_of, patched};
use crate::events::{EventDraft, recurrence};
use crate::protocol::{OutgoingActivity, PUBLIC, rfc3339};
use crate::urls::Urls;
use crate::{Context, FederationError, Result, deliver};

pub use crate::actions::event_forms::event_document_for;
pub use crate::events::patch::EventPatch;

/// The local event with this id (or `/o/KEY` key), with the group that organises it, if `by`
/// may organise it (any event for the operator).
pub async fn organised_event(
    ctx: &Context,
    id: &str,
    by: Option<&Account>,
) -> Result<(StoredEvent, Actor)> {
    let id = if id.contains('/') {
        id.to_owned()
    } else {
        ctx.urls().object(id)
    };
    let event = match ctx.db.event(&id).await {
        Ok(e) if e.object.local => e,
        Ok(_) | Err(StorageError::NotFound) => {
            return Err(FederationError::NotFound(format!("no local event {id}")));
        }
        Err(other) => return Err(other.into()),
    };
    let group_id = event.object.group_id.clone().unwrap_or_default();
    let group = ctx.db.actor(&group_id).await?;
    moderated_group(ctx, &group.username, by).await?;
    Ok((event, group))
}

/// The organiser an action is done as: the account, or for the operator the group's owner.
async fn organiser_of(ctx: &Context, group: &Actor, by: Option<&Account>) -> Result<String> {
    if let Some(account) = by {
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
    by: Option<&Account>,
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

/// Stores and publishes one event from a draft (`series`: the date of a series it is), in a
/// transaction of its own.
pub(crate) async fn publish_new(
    ctx: &Context,
    group: &Actor,
    organiser: &str,
    draft: &EventDraft,
    series: Option<Occurrence<'_>>,
) -> Result<StoredEvent> {
    // The event, its poll, how it went out and the activities announcing it commit together:
    // a crash leaves all of it or none (an occurrence of a series is created again by the
    // next hourly run).
    let mut change = Change::begin(ctx).await?;
    let event = publish_in(ctx, &mut change, group, organiser, draft, series).await?;
    change.commit().await?;
    tracing::info!(group = %group.id, event = %event.object.id, "event published");
    Ok(event)
}

/// Stores and publishes one event from a draft in `change`; a quiet date of a series is stored
/// and served at its id but delivered to no one (`Occurrence`).
pub(crate) async fn publish_in(
    ctx: &Context,
    change: &mut Change<'_>,
    group: &Actor,
    organiser: &str,
    draft: &EventDraft,
    series: Option<Occurrence<'_>>,
) -> Result<StoredEvent> {
    let checked = draft.check()?;
    let id = ctx.urls().new_object();
    let mut fields = checked.fields.clone();
    fields.organizer_id = Some(organiser.to_owned());
    let rsvp_open = matches!(fields.join_mode, JoinMode::Free | JoinMode::Approval);
    if rsvp_open {
        fields.question_id = Some(ctx.urls().new_object());
    }
    let announced = series.as_ref().is_none_or(|o| o.announced);
    if let Some(o) = series {
        fields.series_id = Some(o.series_id.to_owned());
        fields.occurrence = Some(o.start);
    }
    let published = now_millis();
    let new = NewObject {
        group_id: Some(group.id.clone()),
        name: Some(checked.title.clone()),
        summary: Some(crate::events::summary_line(
            checked.start,
            checked.end,
            &fields,
        )),
        content: checked.content.clone(),
        start_time: Some(checked.start),
        end_time: Some(checked.end),
        ..NewObject::local(&id, ObjectKind::Event, &group.id, "{}".into(), published)
    };
    change.tx().insert_event(&new, &fields).await?;
    let event = change.tx().event(&id).await?;
    let doc = live_event_document(ctx, &event, None).await?;
    let create = group_activity("Create", group, doc);
    let create_value = to_value(&create)?;
    let announce_id = Urls::new_activity(&group.id);
    change
        .tx()
        .record_event_published(
            &id,
            &create.object.to_string(),
            &create_value.to_string(),
            &announce_id,
        )
        .await?;
    let inboxes = ctx.db.member_inboxes(&group.id).await?;
    let organiser = organiser_person(ctx, &event).await?;
    let mut forms = change_forms(group, &create, &create.object, organiser.as_ref());
    forms.push(announce_form(announce_object(
        group,
        &event.object,
        &announce_id,
    )));
    if let Some(question_id) = &event.fields.question_id {
        let question = question_document(&event, question_id, &group.id, Default::default());
        change
            .tx()
            .insert_object(&NewObject {
                // No group_id: the poll belongs to its event, not to the group's timeline.
                url: Some(id.clone()),
                content: question
                    .get("content")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                end_time: Some(checked.start),
                ..NewObject::local(
                    question_id,
                    ObjectKind::Question,
                    &group.id,
                    question.to_string(),
                    published,
                )
            })
            .await?;
        forms.push(poll_form(group_activity("Create", group, question)));
    }
    if announced {
        change
            .queue(deliver::plan_forms(ctx, group, &forms, inboxes).await?)
            .await?;
    }
    Ok(event)
}

fn group_activity(kind: &'static str, group: &Actor, object: Value) -> OutgoingActivity {
    let mut activity = OutgoingActivity::new(
        kind,
        Urls::new_activity(&group.id),
        &group.id,
        object,
        vec![PUBLIC.to_owned()],
    );
    activity.cc = vec![Urls::followers(&group.id)];
    activity.audience = Some(group.id.clone());
    activity.published = Some(rfc3339(now_millis()));
    activity
}

fn to_value(activity: &OutgoingActivity) -> Result<Value> {
    serde_json::to_value(activity).map_err(|e| FederationError::BadRequest(e.to_string()))
}

/// The document of a local event with its current answers counted.
pub async fn live_event_document(
    ctx: &Context,
    event: &StoredEvent,
    previous_start: Option<i64>,
) -> Result<Value> {
    let pictures = ctx.db.pictures_of(&event.object.id).await?;
    let picture = pictures
        .iter()
        .find(|p| p.role == PictureRole::Event)
        .map(|p| crate::actions::pictures::image_ref(ctx, p));
    live_event_document_showing(ctx, event, previous_start, picture).await
}

/// [`live_event_document`] with the picture as it will be once the change that sets it
/// commits.
pub async fn live_event_document_showing(
    ctx: &Context,
    event: &StoredEvent,
    previous_start: Option<i64>,
    picture: Option<crate::protocol::ImageRef>,
) -> Result<Value> {
    let counts = ctx.db.rsvp_counts(&event.object.id).await?;
    let group_id = event.object.group_id.clone().unwrap_or_default();
    Ok(event_document(
        event,
        &EventContext {
            group_id: &group_id,
            counts,
            previous_start,
            picture,
        },
    ))
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
        .queue(deliver::plan_forms(ctx, group, &forms, inboxes).await?)
        .await?;
    Ok(())
}

/// The document of a local event's poll with its current votes.
pub async fn live_question_document(ctx: &Context, question_id: &str) -> Result<Value> {
    let event = ctx.db.event_by_question(question_id).await?;
    let counts = ctx.db.rsvp_counts(&event.object.id).await?;
    let group_id = event.object.group_id.clone().unwrap_or_default();
    Ok(question_document(&event, question_id, &group_id, counts))
}

/// Edits an event and publishes the `Update` (with `previousStartTime` when it moved).
pub async fn update_event(
    ctx: &Context,
    id: &str,
    by: Option<&Account>,
    patch: &EventPatch,
) -> Result<StoredEvent> {
    let (event, group) = organised_event(ctx, id, by).await?;
    if event.object.deleted_at.is_some() {
        return Err(FederationError::Gone(event.object.id));
    }
    let draft = patched(draft_of(&event), patch);
    let checked = draft.check()?;
    let mut fields = checked.fields;
    let keep = &event.fields;
    fields.organizer_id = keep.organizer_id.clone();
    fields.question_id = keep.question_id.clone();
    fields.series_id = keep.series_id.clone();
    fields.occurrence = keep.occurrence;
    if keep.status == EventStatus::Cancelled && patch.status.is_none() {
        fields.status = keep.status;
    }
    write_and_announce(
        ctx,
        &event,
        &group,
        checked.title,
        checked.content,
        checked.start,
        checked.end,
        fields,
    )
    .await
}

/// Cancels an event: it stays listed, marked `CANCELLED` everywhere.
pub async fn cancel_event(ctx: &Context, id: &str, by: Option<&Account>) -> Result<StoredEvent> {
    let (event, group) = organised_event(ctx, id, by).await?;
    if event.object.deleted_at.is_some() {
        return Err(FederationError::Gone(event.object.id));
    }
    let mut fields = event.fields.clone();
    fields.status = EventStatus::Cancelled;
    let o = &event.object;
    write_and_announce(
        ctx,
        &event,
        &group,
        o.name.clone().unwrap_or_default(),
        o.content.clone(),
        o.start_time.unwrap_or_default(),
        o.end_time.unwrap_or_default(),
        fields,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn write_and_announce(
    ctx: &Context,
    event: &StoredEvent,
    group: &Actor,
    title: String,
    content: Option<String>,
    start: i64,
    end: i64,
    fields: kith_storage::EventFields,
) -> Result<StoredEvent> {
    let id = &event.object.id;
    let summary = crate::events::summary_line(start, end, &fields);
    // The edit, its `Update`, and the places it gives people waiting (with what tells them)
    // commit together; reads on the side see the counts, which the edit does not change.
    let mut change = Change::begin(ctx).await?;
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
        .queue(deliver::plan_forms(ctx, group, &forms, inboxes).await?)
        .await?;
    crate::actions::online_link::link_changed(ctx, &mut change, event, &updated).await?;
    // A larger capacity gives places to people waiting.
    let promoted = change.tx().fill_from_waitlist(id).await?;
    crate::actions::rsvp::tell_promoted(ctx, &mut change, &updated, &promoted).await?;
    crate::mail::notify::event_changed(&mut change, event, &updated).await?;
    change.commit().await?;
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
pub async fn delete_event(ctx: &Context, id: &str, by: Option<&Account>) -> Result<()> {
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
    let plan = deliver::plan_forms(ctx, &group, &forms, inboxes).await?;
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
