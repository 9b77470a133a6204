//! Events from other servers: those published or announced by groups a local actor follows (another
//! Kith, Mobilizon, Gancio) land in the instance calendar and follow their updates and
//! cancellations (docs/protocol.md, Following remote groups); and the answers to local people's
//! `Join`s.

use kith_storage::{Actor, NewObject, RsvpStatus, RsvpVia, StorageError, StoredEvent, now_millis};
use serde_json::Value;

use super::Outcome;
use crate::actions::posting;
use crate::events::incoming::parse_event;
use crate::protocol::{Activity, host_of};
use crate::{Context, FederationError, Result, outbound::fetch};

/// Stores an event document from another server, or refreshes the stored copy. `group` is the
/// followed actor that published or announced it (the event is listed under it).
pub async fn import(ctx: &Context, doc: &Value, group: Option<&Actor>) -> Result<Outcome> {
    let mut event = parse_event(doc, ctx.counters()).map_err(FederationError::BadRequest)?;
    if host_of(&event.id) != host_of(&event.attributed_to) {
        return Err(FederationError::Forbidden(format!(
            "{} is attributed to an actor on another host",
            event.id
        )));
    }
    if host_of(&event.id).as_deref() == Some(ctx.urls().domain()) {
        return Ok(Outcome::ignored(
            "a local event comes from the database, not the network",
        ));
    }
    let author = fetch::resolve_actor(ctx, &event.attributed_to, false).await?;
    // The organiser is kept only when their actor can be stored (it is referenced by id).
    if let Some(organizer) = event.fields.organizer_id.clone() {
        let known =
            organizer == author.id || fetch::resolve_actor(ctx, &organizer, false).await.is_ok();
        if !known {
            event.fields.organizer_id = None;
        }
    }
    let group_id = group
        .map(|g| g.id.clone())
        .unwrap_or_else(|| author.id.clone());
    match ctx.db.event(&event.id).await {
        Ok(stored) => {
            ctx.db
                .update_event(
                    &stored.object.id,
                    &event.name,
                    doc.get("summary")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    event.content.as_deref(),
                    event.start,
                    event.end,
                    &doc.to_string(),
                    &event.fields,
                )
                .await?;
            tracing::info!(event = %event.id, status = %event.fields.status, "remote event updated");
            return Ok(Outcome::Applied);
        }
        Err(StorageError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    let new = NewObject {
        id: event.id.clone(),
        kind: kith_storage::ObjectKind::Event,
        local: false,
        attributed_to: author.id.clone(),
        group_id: Some(group_id),
        in_reply_to: None,
        thread_root: None,
        visibility: event.visibility,
        url: event.url.clone(),
        name: Some(event.name.clone()),
        summary: doc
            .get("summary")
            .and_then(Value::as_str)
            .map(str::to_owned),
        content: event.content.clone(),
        sensitive: false,
        start_time: Some(event.start),
        end_time: Some(event.end),
        data: doc.to_string(),
        published_at: event.published.unwrap_or_else(now_millis),
        announce_id: None,
        activity: None,
        held_reason: None,
    };
    match ctx.db.insert_event(&new, &event.fields).await {
        Ok(()) | Err(StorageError::Conflict { .. }) => {
            tracing::info!(event = %event.id, "remote event kept");
            Ok(Outcome::Applied)
        }
        Err(other) => Err(other.into()),
    }
}

/// `Create{Event}` from an actor a local actor follows (a Mobilizon group, a Gancio instance,
/// another Kith group). Events from actors nobody here follows are ignored.
pub async fn receive_create(ctx: &Context, activity: &Activity, sender: &Actor) -> Result<Outcome> {
    if ctx.db.accepted_followers_of(&sender.id).await?.is_empty() {
        return Ok(Outcome::ignored(
            "events are kept only from followed actors",
        ));
    }
    let doc = posting::verified_object(ctx, &activity.object, sender).await?;
    import(ctx, &doc, Some(sender)).await
}

/// Whether `sender` may change or delete a stored remote event: its author, the group it is
/// listed under, or another actor of the event's own server (Mobilizon sends changes from the
/// organiser or the group).
pub fn may_change(event: &StoredEvent, sender: &Actor) -> bool {
    event.object.attributed_to == sender.id
        || event.object.group_id.as_deref() == Some(sender.id.as_str())
        || host_of(&event.object.id).as_deref() == Some(sender.domain.as_str())
}

/// `Update{Event}` of a stored remote event (edits, reschedules, cancellations).
pub async fn receive_update(
    ctx: &Context,
    activity: &Activity,
    sender: &Actor,
    stored: &StoredEvent,
) -> Result<Outcome> {
    if stored.object.local || !may_change(stored, sender) {
        return Err(FederationError::Forbidden(
            "only the event's server edits it".into(),
        ));
    }
    let doc = posting::verified_object(ctx, &activity.object, sender).await?;
    let group = match &stored.object.group_id {
        Some(id) => ctx.db.actor(id).await.ok(),
        None => None,
    };
    import(ctx, &doc, group.as_ref()).await
}

/// `Accept{Join}`, `Reject{Join}` or `Ignore{Join}` answering a local person's `Join`; `None`
/// when the activity answers something else.
pub async fn receive_join_answer(
    ctx: &Context,
    activity: &Activity,
    sender: &Actor,
) -> Result<Option<Outcome>> {
    let Some(join_id) = activity.object_id() else {
        return Ok(None);
    };
    let rsvp = match ctx.db.rsvp_by_activity(join_id).await {
        Ok(rsvp) => rsvp,
        Err(StorageError::NotFound) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    if host_of(&rsvp.event_id).as_deref() != Some(sender.domain.as_str()) {
        return Err(FederationError::Forbidden(
            "only the event's server answers a Join".into(),
        ));
    }
    let status = match activity.kind.as_str() {
        "Accept" => RsvpStatus::Going,
        "Reject" => RsvpStatus::Rejected,
        // The event takes no registrations: the person just comes.
        _ => RsvpStatus::Going,
    };
    ctx.db
        .record_rsvp(&rsvp.event_id, &rsvp.actor_id, status, None, RsvpVia::Join)
        .await?;
    tracing::info!(event = %rsvp.event_id, person = %rsvp.actor_id, status = status.as_str(),
        "answer to a join received");
    Ok(Some(Outcome::Applied))
}
