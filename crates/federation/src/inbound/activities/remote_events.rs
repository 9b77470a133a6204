//! Events from other servers: those published or announced by groups a local actor follows (another
//! Kith, Mobilizon, Gancio) land in the instance calendar and follow their updates and
//! cancellations (docs/protocol.md, Following remote groups); and the answers to local people's
//! `Join`s.

use kith_storage::{Actor, RsvpStatus, RsvpVia, StorageError, StoredEvent};
use serde_json::Value;

use super::Outcome;
use crate::actions::posting;
use crate::actions::remote_events::{self, Kept};
use crate::protocol::{Activity, host_of};
use crate::{Context, FederationError, Result};

/// Keeps an event document from another server (`actions::remote_events`), listed under
/// `group`, the followed actor that published or announced it.
pub async fn import(ctx: &Context, doc: &Value, group: Option<&Actor>) -> Result<Outcome> {
    Ok(match remote_events::keep(ctx, doc, group).await? {
        Kept::Stored => Outcome::Applied,
        Kept::Local => Outcome::ignored("a local event comes from the database, not the network"),
    })
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
