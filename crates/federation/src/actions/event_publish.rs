//! Storing and publishing one event, alone or as a date of a series: the event, its
//! `Create{Event}`, the `Announce` and the poll for Mastodon members written with their
//! deliveries in one change. Called by `events` (a new event, a series' first dates) and
//! `series` (the dates the hourly run adds).

use kith_storage::{Actor, JoinMode, NewObject, ObjectKind, StoredEvent, now_millis};
use serde_json::Value;

use crate::actions::event_documents::{group_activity, live_event_document, to_value};
use crate::actions::event_forms::{announce_form, change_forms, organiser_person, poll_form};
use crate::events::EventDraft;
use crate::events::document::question_document;
use crate::outbound::announce::announce_object;
use crate::outbound::change::Change;
use crate::outbound::plan::Form;
use crate::outbound::software::{Dialect, Readers};
use crate::urls::Urls;
use crate::{Context, Result, outbound::plan};

/// A date of a series, as it is published.
pub(crate) struct Occurrence<'a> {
    /// The series.
    pub series_id: &'a str,
    /// The date's start, milliseconds.
    pub start: i64,
    /// Delivered to the group's members (the series' first date); else stored and served only.
    pub announced: bool,
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
    if !announced {
        // A quiet date of a series: only group servers get it (another Kith keeps it in its
        // calendar; NodeBB shows no events), so that timelines still get one post per series.
        forms = vec![Form::for_readers(create, Readers::of(&[Dialect::Groups]))];
    }
    change
        .queue(plan::plan_forms(ctx, group, &forms, inboxes).await?)
        .await?;
    Ok(event)
}
